//! `spanlens search`: the explorer's search without the TUI, for scripts and quick looks.

use crate::inert;
use crate::model::TraceSet;
use crate::search::{Found, Hit, Query, Scope};
use serde_json::{Value, json};
use std::fmt::Write;

/// Runs the search to completion.
pub fn run(set: &TraceSet, query: &Query, scope: Scope, limit: usize) -> Found {
    crate::search::run(
        set,
        &crate::search::Index::default(),
        query,
        scope,
        limit,
        &|| false,
        &mut |_| {},
    )
}

/// `{"query": …, "total": N, "hits": [{trace_id, span_id, span, field, snippet, score, …}]}`
pub fn to_json(set: &TraceSet, text: &str, found: &Found) -> Value {
    let hits: Vec<Value> = found
        .hits
        .iter()
        .map(|h| {
            let mut v = json!({
                "trace_id": set.trace_id(set.trace_of(h.span)),
                "span_id": set.span_id(h.span),
                "span": set.span_name(h.span),
                "field": h.field_label(),
                "snippet": h.snippet,
                "score": h.score,
                "line": h.line + 1,
            });
            if let Some(k) = &h.key {
                v["attribute"] = json!(k);
            }
            v
        })
        .collect();
    json!({"query": text, "total": found.total, "hits": hits})
}

/// One line per hit: score, trace and span ids, span name, field, snippet. Matches are marked with ANSI bold
/// underline when `highlight`, else left plain.
pub fn to_text(set: &TraceSet, found: &Found, highlight: bool) -> String {
    let mut out = String::new();
    for h in &found.hits {
        let trace = set.trace_id(set.trace_of(h.span));
        let _ = writeln!(
            out,
            "{:>5}  {:<8}  {:<8}  {:<28}  {:<18}  {}",
            h.score,
            super::summary::clip(trace, 8),
            super::summary::clip(set.span_id(h.span), 8),
            super::summary::clip(&inert::line(set.span_name(h.span)), 28),
            super::summary::clip(&h.field_label(), 18),
            snippet(h, highlight)
        );
    }
    let shown = found.hits.len();
    let _ = writeln!(out, "{shown} of {} hits", found.total);
    out
}

fn snippet(h: &Hit, highlight: bool) -> String {
    let mut out = String::new();
    for (i, c) in h.snippet.chars().enumerate() {
        let marked = highlight && h.ranges.iter().any(|r| i >= r.0 && i < r.1);
        let c = inert::line(&c.to_string()).into_owned();
        if marked {
            out.push_str(&format!("\x1b[1;4m{c}\x1b[0m"));
        } else {
            out.push_str(&c);
        }
    }
    out
}
