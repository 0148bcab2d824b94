//! A diff as text (CI logs), Markdown (PR comments) or JSON (scripts).

use super::{Diff, RowStatus};
use crate::inert;
use crate::model::time::format_duration;
use crate::model::{SpanIx, TraceSet};
use serde_json::{Value, json};
use std::fmt::Write;

/// The two sides of a diff.
pub struct Sides<'a> {
    pub left: &'a TraceSet,
    pub right: &'a TraceSet,
}

impl Sides<'_> {
    fn name(&self, l: Option<SpanIx>, r: Option<SpanIx>) -> String {
        match (r, l) {
            (Some(r), _) => self.right.span_name(r).to_owned(),
            (None, Some(l)) => self.left.span_name(l).to_owned(),
            (None, None) => String::new(),
        }
    }

    fn kind(&self, l: Option<SpanIx>, r: Option<SpanIx>) -> &'static str {
        match (r, l) {
            (Some(r), _) => self.right.span(r).kind.as_str(),
            (None, Some(l)) => self.left.span(l).kind.as_str(),
            (None, None) => "",
        }
    }

    fn dur(set: &TraceSet, s: Option<SpanIx>) -> Option<i64> {
        s.map(|s| set.span(s).duration_ns())
    }
}

/// `+1.20s (+45%)` style delta.
pub fn delta(a: Option<i64>, b: Option<i64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if a == b => String::new(),
        (Some(a), Some(b)) => {
            let d = b - a;
            let sign = if d >= 0 { "+" } else { "" };
            let pct = if a > 0 {
                format!(" ({sign}{:.0}%)", d as f64 * 100.0 / a as f64)
            } else {
                String::new()
            };
            format!("{sign}{}{pct}", format_duration(d))
        }
        _ => String::new(),
    }
}

/// A row's changed assessments with both values.
fn feedback(sides: &Sides, r: &super::Row) -> Vec<(String, Option<Value>, Option<Value>)> {
    match (r.left, r.right) {
        (Some(l), Some(x)) if r.changes.contains(&super::Change::Feedback) => {
            super::changes::feedback_changes(sides.left, l, sides.right, x)
        }
        _ => Vec::new(),
    }
}

fn mark(s: RowStatus) -> char {
    match s {
        RowStatus::Same => ' ',
        RowStatus::Changed => '~',
        RowStatus::Added => '+',
        RowStatus::Removed => '-',
    }
}

/// The machine-readable form.
pub fn to_json(sides: &Sides, diff: &Diff) -> Value {
    let s = &diff.summary;
    let rows: Vec<Value> = diff
        .rows
        .iter()
        .map(|r| {
            json!({
                "status": r.status.as_str(),
                "name": sides.name(r.left, r.right),
                "kind": sides.kind(r.left, r.right),
                "depth": r.depth,
                "left_span_id": r.left.map(|l| sides.left.span_id(l).to_owned()),
                "right_span_id": r.right.map(|x| sides.right.span_id(x).to_owned()),
                "left_duration_ns": Sides::dur(sides.left, r.left),
                "right_duration_ns": Sides::dur(sides.right, r.right),
                "left_tokens": r.tokens.0,
                "right_tokens": r.tokens.1,
                "changes": r.changes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "feedback": feedback(sides, r).iter().map(|(n, a, b)| json!({"name": n, "left": a, "right": b})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "summary": {
            "same": s.same, "changed": s.changed, "added": s.added, "removed": s.removed,
            "left": {"spans": s.spans.0, "duration_ns": s.duration_ns.0, "tokens": s.tokens.0, "errors": s.errors.0, "cost": s.cost.0},
            "right": {"spans": s.spans.1, "duration_ns": s.duration_ns.1, "tokens": s.tokens.1, "errors": s.errors.1, "cost": s.cost.1},
        },
        "rows": rows,
    })
}

/// The plain-text form: a header, then every row with its mark.
pub fn to_text(sides: &Sides, diff: &Diff) -> String {
    let s = &diff.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} same, {} changed, {} added, {} removed",
        s.same, s.changed, s.added, s.removed
    );
    let d = delta(Some(s.duration_ns.0), Some(s.duration_ns.1));
    let _ = writeln!(
        out,
        "duration {} → {}{}, tokens {} → {}, errors {} → {}\n",
        format_duration(s.duration_ns.0),
        format_duration(s.duration_ns.1),
        if d.is_empty() {
            String::new()
        } else {
            format!(" ({d})")
        },
        s.tokens.0,
        s.tokens.1,
        s.errors.0,
        s.errors.1
    );
    for r in &diff.rows {
        let name = inert::line(&sides.name(r.left, r.right)).into_owned();
        let indent = "  ".repeat(r.depth as usize);
        let (a, b) = (
            Sides::dur(sides.left, r.left),
            Sides::dur(sides.right, r.right),
        );
        let durs = match (a, b) {
            (Some(a), Some(b)) => format!(
                "{} → {} {}",
                format_duration(a),
                format_duration(b),
                delta(Some(a), Some(b))
            ),
            (Some(a), None) => format_duration(a),
            (None, Some(b)) => format_duration(b),
            (None, None) => String::new(),
        };
        let changes: Vec<&str> = r.changes.iter().map(|c| c.as_str()).collect();
        let mut tail = if changes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", changes.join(", "))
        };
        for (n, a, b) in feedback(sides, r) {
            let show = |v: &Option<Value>| v.as_ref().map_or("—".into(), Value::to_string);
            tail.push_str(&format!(
                "  {} {} → {}",
                inert::line(&n),
                inert::line(&show(&a)),
                inert::line(&show(&b))
            ));
        }
        let _ = writeln!(out, "{} {indent}{name}  {durs}{tail}", mark(r.status));
    }
    out
}

/// The Markdown form: a totals table, then the rows that differ.
pub fn to_markdown(sides: &Sides, diff: &Diff) -> String {
    let s = &diff.summary;
    let mut out = String::from("## Trace diff\n\n| | left | right | Δ |\n|---|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| duration | {} | {} | {} |",
        format_duration(s.duration_ns.0),
        format_duration(s.duration_ns.1),
        delta(Some(s.duration_ns.0), Some(s.duration_ns.1))
    );
    let counts = [
        ("spans", u64::from(s.spans.0), u64::from(s.spans.1)),
        ("tokens", s.tokens.0, s.tokens.1),
        ("errors", u64::from(s.errors.0), u64::from(s.errors.1)),
    ];
    for (what, a, b) in counts {
        let _ = writeln!(out, "| {what} | {a} | {b} | {:+} |", b as i64 - a as i64);
    }
    let _ = writeln!(
        out,
        "\n**{} changed, {} added, {} removed**, {} unchanged.\n",
        s.changed, s.added, s.removed, s.same
    );
    let differing: Vec<_> = diff
        .rows
        .iter()
        .filter(|r| r.status != RowStatus::Same)
        .collect();
    if differing.is_empty() {
        out.push_str("No differences.\n");
        return out;
    }
    out.push_str("| | span | kind | left | right | Δ duration | Δ tokens | changes |\n|---|---|---|---:|---:|---:|---:|---|\n");
    for r in differing {
        let name = md_escape(&sides.name(r.left, r.right));
        let (a, b) = (
            Sides::dur(sides.left, r.left),
            Sides::dur(sides.right, r.right),
        );
        let show = |d: Option<i64>| d.map(format_duration).unwrap_or_else(|| "—".into());
        let dt = r.tokens.1 as i64 - r.tokens.0 as i64;
        let changes: Vec<&str> = r.changes.iter().map(|c| c.as_str()).collect();
        let _ = writeln!(
            out,
            "| {} | {}{} | {} | {} | {} | {} | {} | {} |",
            md_mark(r.status),
            "&nbsp;&nbsp;".repeat(r.depth as usize),
            name,
            sides.kind(r.left, r.right),
            show(a),
            show(b),
            delta(a, b),
            if dt == 0 {
                String::new()
            } else {
                format!("{dt:+}")
            },
            changes.join(", ")
        );
    }
    out
}

fn md_mark(s: RowStatus) -> &'static str {
    match s {
        RowStatus::Same => "",
        RowStatus::Changed => "~",
        RowStatus::Added => "+",
        RowStatus::Removed => "−",
    }
}

/// Span names are untrusted: escape what Markdown and HTML would interpret.
pub fn md_escape(s: &str) -> String {
    let mut out = String::new();
    for c in inert::line(s).chars() {
        match c {
            '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}
