//! Running a search: filters, then short fields (names, tools, models: matched once per
//! distinct value), then long fields decoded span by span on all cores. Results are
//! published as they arrive, best first, and a search stops as soon as it is cancelled
//! (the user typed another key).

use super::byte_index::Index;
use super::fields::long_fields;
use super::matcher::TextMatcher;
use super::query::{Cmp, FieldKind, Filter, Mode, Query};
use super::{raw_expand, raw_scan, short_fields};
use crate::model::detail::detail;
use crate::model::{SpanIx, TraceIx, TraceSet};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
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
/// Above this many spans, exact and regex queries search long fields in their raw bytes;
/// below it, decoding every span is quicker. Fuzzy queries always search raw bytes.
const RAW_SCAN_MIN: usize = 20_000;

/// How long fields are searched. `Auto` picks by scope size (and raw for fuzzy text); the
/// others exist so tests can check that both paths agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Auto,
    /// Decode every span's payloads (exact and regex queries; fuzzy ones scan raw).
    Decode,
    /// Scan raw bytes; every hit is kept, and the lines of the shown ones decoded.
    Raw,
}

/// Runs `query` over `scope`, publishing progress; returns the final result. `index`
/// keeps what later searches of the same set can reuse.
pub fn run(
    set: &TraceSet,
    index: &Index,
    query: &Query,
    scope: Scope,
    limit: usize,
    cancelled: &(dyn Fn() -> bool + Sync),
    publish: &mut dyn FnMut(&Found),
) -> Found {
    let job = Job {
        set,
        index,
        query,
        scope,
        limit,
    };
    run_using(job, Strategy::Auto, cancelled, publish)
}

/// One search: what to look for, where, and how many hits to keep.
#[derive(Clone, Copy)]
pub struct Job<'a> {
    pub set: &'a TraceSet,
    pub index: &'a Index,
    pub query: &'a Query,
    pub scope: Scope,
    pub limit: usize,
}

/// [`run`] with an explicit [`Strategy`] for long fields.
pub fn run_using(
    job: Job,
    strategy: Strategy,
    cancelled: &(dyn Fn() -> bool + Sync),
    publish: &mut dyn FnMut(&Found),
) -> Found {
    let Job {
        set,
        index: _,
        query,
        scope,
        limit,
    } = job;
    let range = match scope {
        Scope::All => 0..set.spans.len(),
        Scope::Trace(t) => set.trace(t).spans(),
    };
    let marks = super::assess::Marks::of(set, &query.filters);
    let keep = |ix: SpanIx| passes(set, ix, &query.filters) && marks.keeps(ix);
    let mut m = TextMatcher::new(query);
    let t = crate::timing::phase("search: short fields");
    let mut short = short_fields::hits(set, query, range.clone(), &keep);
    short.sort_by(|a, b| b.score.cmp(&a.score).then(a.span.cmp(&b.span)));
    drop(t);
    let mut long: Vec<Hit> = Vec::new();
    let mut found = merge(set, query, &short, &long, 0, limit, false, &mut m);
    publish(&found);
    if cancelled() {
        return found;
    }
    if query.text.is_empty() || !searches_long(query) {
        found.done = true;
        publish(&found);
        return found;
    }
    let _t = crate::timing::phase("search: long fields");
    let meta_range = range.clone();
    let long_total = if raw_scan(query, strategy, range.len()) {
        match raw_search(job, range, &keep, cancelled) {
            Some(hits) => {
                long = hits;
                long.len()
            }
            None => return found,
        }
    } else {
        let mut on_progress = |long: &[Hit]| {
            let f = merge(
                set,
                query,
                &short,
                long,
                long.len(),
                limit,
                false,
                &mut TextMatcher::new(query),
            );
            publish(&f);
        };
        match decoded_search(set, query, range, &keep, cancelled, &mut on_progress) {
            Some(hits) => {
                long = hits;
                long.len()
            }
            None => return found,
        }
    };
    // Trace metadata (MLflow user, session, tags, previews) is searched as attributes.
    let meta = super::tracemeta::hits(set, query, meta_range, &keep);
    let long_total = long_total + meta.len();
    if !meta.is_empty() {
        long.extend(meta);
        sort_hits(&mut long);
    }
    found = merge(set, query, &short, &long, long_total, limit, true, &mut m);
    publish(&found);
    found
}

/// Whether long fields are scanned raw. Fuzzy matching is defined on the raw text in
/// every scope, so what a fuzzy query finds does not change as a set grows past
/// `RAW_SCAN_MIN`; exact and regex queries find the same either way (both are checked).
fn raw_scan(q: &Query, strategy: Strategy, spans: usize) -> bool {
    match strategy {
        Strategy::Raw => true,
        _ if q.mode == Mode::Fuzzy => true,
        Strategy::Auto => spans > RAW_SCAN_MIN,
        Strategy::Decode => false,
    }
}

/// Keeps one hit per span field, as decoding gives: a span's status message and exception
/// events are one error field, and its prompt may sit in more than one attribute. Tool
/// calls found in messages are told apart by the field that carried them, their text and
/// how often that text occurs there, so a call repeated in one prompt stays repeated but
/// the same prompt stored twice does not double it. Hits come best first; the best stays.
#[derive(Default)]
struct FieldDedup {
    fields: HashSet<(SpanIx, FieldKind, Option<String>)>,
    calls: HashSet<(SpanIx, FieldKind, FieldKind, String, usize)>,
}

impl FieldDedup {
    fn add(&mut self, from: &raw_scan::RawHit, e: raw_expand::Expanded, out: &mut Vec<Hit>) {
        if let Some(h) = e.field
            && self.fields.insert((h.span, h.field, h.key.clone()))
        {
            out.push(h);
        }
        let mut times: HashMap<(FieldKind, String), usize> = HashMap::new();
        for h in e.calls {
            let n = times.entry((h.field, h.snippet.clone())).or_default();
            *n += 1;
            if self
                .calls
                .insert((h.span, from.field, h.field, h.snippet.clone(), *n))
            {
                out.push(h);
            }
        }
    }
}

/// Raw hits expanded between checks for cancellation.
const EXPAND_ROUND: usize = 16_384;

/// Long fields in raw bytes, every raw hit then decoded without looking for its line (a
/// field's raw hit is its hit; only tool calls inside messages need decoding to be
/// known), so the hits and their total are the same whatever the limit. The lines of the
/// best `limit` hits are found at the end.
fn raw_search(
    job: Job,
    range: std::ops::Range<usize>,
    keep: &(dyn Fn(SpanIx) -> bool + Sync),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<Hit>> {
    let Job {
        set,
        index,
        query: q,
        limit,
        ..
    } = job;
    let mut found = raw_scan::hits(set, index, q, range, keep, cancelled);
    if cancelled() {
        return None;
    }
    found.par_sort_unstable_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.span.cmp(&b.span))
            .then(a.field.cmp(&b.field))
            .then(a.text.off.cmp(&b.text.off))
    });
    let expand = |round: &[raw_scan::RawHit], lines: bool| -> Vec<raw_expand::Expanded> {
        round
            .par_chunks(64)
            .flat_map_iter(|c| {
                let mut m = TextMatcher::new(q);
                c.iter()
                    .map(move |h| raw_expand::expand(set, q, &mut m, h, lines))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let mut out = Vec::new();
    let mut origin = Vec::new();
    let mut dedup = FieldDedup::default();
    // In rounds, so a search the user has moved on from stops soon.
    for (r, round) in found.chunks(EXPAND_ROUND).enumerate() {
        if cancelled() {
            return None;
        }
        for (j, e) in expand(round, false).into_iter().enumerate() {
            let i = r * EXPAND_ROUND + j;
            dedup.add(&found[i], e, &mut out);
            origin.resize(out.len(), i);
        }
    }
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&a, &b| hit_order(&out[a], &out[b]));
    // The lines of the hits that will be shown.
    let shown: Vec<usize> = order.iter().copied().take(limit).collect();
    let pending: Vec<usize> = (shown.iter().copied())
        .filter(|&i| out[i].snippet.is_empty() && out[i].field == found[origin[i]].field)
        .collect();
    let raw: Vec<raw_scan::RawHit> = pending.iter().map(|&i| found[origin[i]]).collect();
    for (&i, e) in pending.iter().zip(expand(&raw, true)) {
        if let Some(h) = e.field {
            out[i] = h;
        }
    }
    let mut slots: Vec<Option<Hit>> = out.into_iter().map(Some).collect();
    Some(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// Long fields of a small scope, every span decoded; progress is reported as it goes.
fn decoded_search(
    set: &TraceSet,
    q: &Query,
    range: std::ops::Range<usize>,
    keep: &(dyn Fn(SpanIx) -> bool + Sync),
    cancelled: &(dyn Fn() -> bool + Sync),
    progress: &mut dyn FnMut(&[Hit]),
) -> Option<Vec<Hit>> {
    let spans: Vec<SpanIx> = range.map(|i| SpanIx(i as u32)).collect();
    let chunks: Vec<&[SpanIx]> = spans.chunks(CHUNK).collect();
    let mut all = Vec::new();
    let mut last = Instant::now();
    // Chunks go to the pool a few at a time so partial results can be published between.
    for group in chunks.chunks(rayon::current_num_threads() * 4) {
        if cancelled() {
            return None;
        }
        let hits: Vec<Vec<Hit>> = group
            .par_iter()
            .map(|c| long_hits(set, q, c, keep, cancelled))
            .collect();
        all.extend(hits.into_iter().flatten());
        if last.elapsed() >= PUBLISH_EVERY {
            sort_hits(&mut all);
            progress(&all);
            last = Instant::now();
        }
    }
    sort_hits(&mut all);
    Some(all)
}

/// Best first; ties in file order, then by field and key (a stable sort keeps the rest
/// in the order they were found, which is the same for every limit).
fn sort_hits(all: &mut [Hit]) {
    all.sort_by(hit_order);
}

fn hit_order(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.score
        .cmp(&a.score)
        .then(a.span.cmp(&b.span))
        .then(a.field.cmp(&b.field))
        .then(a.key.cmp(&b.key))
}

/// The best `limit` of the short hits (sorted) and long hits (sorted), as full hits.
#[allow(clippy::too_many_arguments)]
fn merge(
    set: &TraceSet,
    q: &Query,
    short: &[short_fields::ShortHit],
    long: &[Hit],
    long_total: usize,
    limit: usize,
    done: bool,
    m: &mut TextMatcher,
) -> Found {
    let mut hits = Vec::with_capacity(limit.min(short.len() + long.len()));
    let (mut i, mut j) = (0, 0);
    while hits.len() < limit && (i < short.len() || j < long.len()) {
        let take_short = match (short.get(i), long.get(j)) {
            (Some(a), Some(b)) => {
                (a.score, std::cmp::Reverse(a.span)) >= (b.score, std::cmp::Reverse(b.span))
            }
            (Some(_), None) => true,
            _ => false,
        };
        if take_short {
            hits.push(short_fields::expand(set, q, &short[i], m));
            i += 1;
        } else {
            hits.push(long[j].clone());
            j += 1;
        }
    }
    Found {
        hits,
        total: short.len() + long_total.max(long.len()),
        done,
    }
}

fn searches_long(q: &Query) -> bool {
    use FieldKind::*;
    [ToolArgs, ToolResult, Prompt, Output, Error, Attribute]
        .iter()
        .any(|f| q.searches(*f))
}

/// Returns true when span `ix` passes every property filter (assessment filters are
/// `assess::Marks`).
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
        // Checked against `assess::Marks`, built once per search.
        Filter::Feedback(_) | Filter::Assess(_) => true,
    })
}

/// Hits in decoded text: prompts, outputs, tool arguments and results, errors, attributes.
fn long_hits(
    set: &TraceSet,
    q: &Query,
    spans: &[SpanIx],
    keep: &(dyn Fn(SpanIx) -> bool + Sync),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Vec<Hit> {
    let mut matcher = TextMatcher::new(q);
    let mut out = Vec::new();
    for &ix in spans {
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

/// Whether an attribute with `key` is searched (`attr:KEY` narrows to matching keys).
pub fn key_wanted(q: &Query, key: Option<&str>) -> bool {
    match key {
        Some(k) if !q.attr_keys.is_empty() => {
            let k = k.to_ascii_lowercase();
            q.attr_keys.iter().any(|want| k.contains(want.as_str()))
        }
        _ => true,
    }
}
