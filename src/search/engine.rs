//! Running a search: filters, then short fields (names, tools, models: matched once per
//! distinct value), then long fields decoded span by span on all cores. Results are
//! published as they arrive, best first, and a search stops as soon as it is cancelled
//! (the user typed another key).

use super::fields::{long_fields, short_fields};
use super::matcher::TextMatcher;
use super::query::{Cmp, FieldKind, Filter, Query};
use crate::model::detail::detail;
use crate::model::{SpanIx, TraceIx, TraceSet};
use rayon::prelude::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One search hit: a span, the field that matched, and the matching line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub span: SpanIx,
    pub field: FieldKind,
    /// The attribute key, for attribute hits.
    pub key: Option<String>,
    /// 0-based line within the field's text.
    pub line: usize,
    pub snippet: String,
    /// Matched character ranges within `snippet`.
    pub ranges: Vec<(usize, usize)>,
    pub score: u32,
}

impl Hit {
    /// `span name`, `tool result`, `attr gen_ai.request.model`.
    pub fn field_label(&self) -> String {
        match &self.key {
            Some(k) => format!("attr {k}"),
            None => self.field.label().to_owned(),
        }
    }
}

/// Which spans a search covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Trace(TraceIx),
}

/// What the search found so far.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// Best hits first, at most the request's limit.
    pub hits: Vec<Hit>,
    /// All hits found, beyond the limit too.
    pub total: usize,
    pub done: bool,
}

/// Spans decoded per parallel work item.
const CHUNK: usize = 1024;
/// How often partial results are published.
const PUBLISH_EVERY: Duration = Duration::from_millis(40);

/// Runs `query` over `scope`, publishing progress; returns the final result.
pub fn run(
    set: &TraceSet,
    query: &Query,
    scope: Scope,
    limit: usize,
    cancelled: &(dyn Fn() -> bool + Sync),
    publish: &mut dyn FnMut(&Found),
) -> Found {
    let range = match scope {
        Scope::All => 0..set.spans.len(),
        Scope::Trace(t) => set.trace(t).spans(),
    };
    let keep = |ix: SpanIx| passes(set, ix, &query.filters);
    let mut all: Vec<Hit> = short_hits(set, query, range.clone(), &keep);
    let mut found = snapshot(&mut all, limit, false);
    publish(&found);
    if cancelled() {
        return found;
    }
    if query.text.is_empty() || !searches_long(query) {
        found.done = true;
        publish(&found);
        return found;
    }
    let mut last = Instant::now();
    let starts: Vec<usize> = range.clone().step_by(CHUNK).collect();
    // Chunks go to the pool a few at a time so partial results can be published between.
    for group in starts.chunks(rayon::current_num_threads() * 4) {
        if cancelled() {
            return found;
        }
        let hits: Vec<Vec<Hit>> = group
            .par_iter()
            .map(|&start| {
                let end = (start + CHUNK).min(range.end);
                long_hits(set, query, start..end, &keep, cancelled)
            })
            .collect();
        all.extend(hits.into_iter().flatten());
        if last.elapsed() >= PUBLISH_EVERY {
            found = snapshot(&mut all, limit, false);
            publish(&found);
            last = Instant::now();
        }
    }
    found = snapshot(&mut all, limit, true);
    publish(&found);
    found
}

fn searches_long(q: &Query) -> bool {
    use FieldKind::*;
    [ToolArgs, ToolResult, Prompt, Output, Error, Attribute]
        .iter()
        .any(|f| q.searches(*f))
}

/// Sorts best first and cuts to `limit` (keeping the total).
fn snapshot(all: &mut [Hit], limit: usize, done: bool) -> Found {
    all.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.span.cmp(&b.span))
            .then(a.field.cmp(&b.field))
    });
    Found {
        hits: all.iter().take(limit).cloned().collect(),
        total: all.len(),
        done,
    }
}

/// Returns true when span `ix` passes every filter.
pub fn passes(set: &TraceSet, ix: SpanIx, filters: &[Filter]) -> bool {
    let s = set.span(ix);
    filters.iter().all(|f| match f {
        Filter::Kind(k) => s.kind == *k,
        Filter::Status(st) => s.status == *st,
        Filter::Model(m) => set.str(s.model).to_ascii_lowercase().contains(m.as_str()),
        Filter::Duration(cmp, ns) => {
            let d = s.duration_ns();
            match cmp {
                Cmp::Lt => d < *ns,
                Cmp::Le => d <= *ns,
                Cmp::Gt => d > *ns,
                Cmp::Ge => d >= *ns,
            }
        }
    })
}

/// A score and the matched character ranges.
type Scored = (u32, Vec<(usize, usize)>);

/// Hits in names, tools, models and kinds. Each distinct value is matched once.
fn short_hits(
    set: &TraceSet,
    q: &Query,
    range: std::ops::Range<usize>,
    keep: &dyn Fn(SpanIx) -> bool,
) -> Vec<Hit> {
    let mut matcher = TextMatcher::new(q);
    let mut cache: HashMap<(FieldKind, &str), Option<Scored>> = HashMap::new();
    let mut out = Vec::new();
    for i in range {
        let ix = SpanIx(i as u32);
        if !keep(ix) {
            continue;
        }
        if q.text.is_empty() {
            // A filter-only query lists the spans that pass.
            let name = set.span_name(ix).to_owned();
            out.push(Hit {
                span: ix,
                field: FieldKind::Name,
                key: None,
                line: 0,
                snippet: name,
                ranges: vec![],
                score: 0,
            });
            continue;
        }
        for (field, value) in short_fields(set, ix) {
            if value.is_empty() || !q.searches(field) {
                continue;
            }
            let m = cache
                .entry((field, value))
                .or_insert_with(|| matcher.short(value));
            if let Some((score, ranges)) = m {
                out.push(Hit {
                    span: ix,
                    field,
                    key: None,
                    line: 0,
                    snippet: value.to_owned(),
                    ranges: ranges.clone(),
                    score: *score + field.weight(),
                });
            }
        }
    }
    out
}

/// Hits in decoded text: prompts, outputs, tool arguments and results, errors, attributes.
fn long_hits(
    set: &TraceSet,
    q: &Query,
    range: std::ops::Range<usize>,
    keep: &dyn Fn(SpanIx) -> bool,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Vec<Hit> {
    let mut matcher = TextMatcher::new(q);
    let mut out = Vec::new();
    for i in range {
        let ix = SpanIx(i as u32);
        if !keep(ix) {
            continue;
        }
        if cancelled() {
            break;
        }
        let d = detail(set, ix);
        for f in long_fields(set, ix, &d, !q.attr_keys.is_empty()) {
            if !q.searches(f.kind) || !key_wanted(q, f.key.as_deref()) {
                continue;
            }
            if let Some(m) = matcher.best_line(&f.text) {
                out.push(Hit {
                    span: ix,
                    field: f.kind,
                    key: f.key,
                    line: m.line,
                    snippet: m.snippet,
                    ranges: m.ranges,
                    score: m.score + f.kind.weight(),
                });
            }
        }
    }
    out
}

fn key_wanted(q: &Query, key: Option<&str>) -> bool {
    match key {
        Some(k) if !q.attr_keys.is_empty() => {
            let k = k.to_ascii_lowercase();
            q.attr_keys.iter().any(|want| k.contains(want.as_str()))
        }
        _ => true,
    }
}
