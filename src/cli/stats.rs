//! `spanlens stats`: the step, tool, prompt and session tables across every loaded trace,
//! as text for a terminal, Markdown for an incident doc or PR, or JSON for scripts.

use crate::inert;
use crate::model::TraceSet;
use crate::model::time::format_duration;
use crate::stats::{PromptStats, SessionStats, Stats, StepStats, ToolStats, percentile};
use serde_json::{Value, json};
use std::fmt::Write;

/// How `stats` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    #[default]
    Text,
    Md,
}

/// Rows per table in text and Markdown when `--limit` is not given.
pub const DEFAULT_ROWS: usize = 20;

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

/// The `--json` document (shape in docs/stats.md; fields may be added, never renamed).
pub fn to_json(set: &TraceSet, stats: &Stats, limit: Option<usize>) -> Value {
    let take = limit.unwrap_or(usize::MAX);
    json!({
        "traces": stats.traces,
        "spans": stats.spans,
        "errors": stats.errors,
        "duration_ns": stats.duration_ns,
        "steps": stats.steps.iter().take(take).map(|s| step_json(s, stats.duration_ns)).collect::<Vec<_>>(),
        "tools": stats.tools.iter().take(take).map(tool_json).collect::<Vec<_>>(),
        "declared_unused_tools": stats.declared_unused_tools,
        "prompts": stats.prompts.iter().take(take).map(|p| prompt_json(set, p)).collect::<Vec<_>>(),
        "sessions": stats.sessions.iter().take(take).map(session_json).collect::<Vec<_>>(),
    })
}

fn step_json(s: &StepStats, total_ns: i64) -> Value {
    let p = |q| opt(s.duration(q));
    json!({
        "key": s.key, "name": s.name, "kind": s.kind.as_str(), "path": s.path,
        "traces": s.traces, "calls": s.calls, "max_calls_per_trace": s.max_calls_per_trace,
        "errors": s.errors, "error_rate": s.error_rate(),
        "top_errors": s.top_errors.iter().map(|e| json!({
            "type": e.kind, "message": e.message, "count": e.count,
        })).collect::<Vec<_>>(),
        "duration_ns": {"p50": p(50.0), "p90": p(90.0), "p99": p(99.0), "max": p(100.0)},
        "unknown_durations": s.unknown_durations,
        "self_ns": {"p50": opt(percentile(&s.self_ns, 50.0))},
        "critical_path_ns": s.critical_path_ns,
        "critical_path_share": s.critical_share(total_ns),
        "input_tokens": s.input_tokens, "output_tokens": s.output_tokens,
        "unknown_tokens": s.unknown_tokens,
        "cost": s.cost,
    })
}

fn sizes_json(sorted: &[i64]) -> Value {
    json!({
        "p50": opt(percentile(sorted, 50.0)),
        "max": opt(sorted.last().copied()),
    })
}

fn tool_json(t: &ToolStats) -> Value {
    json!({
        "name": t.name, "calls": t.calls, "traces": t.traces, "errors": t.errors,
        "error_rate": t.error_rate(), "max_calls_per_trace": t.max_calls_per_trace,
        "repeated_calls": t.repeated_calls, "loops": t.loops,
        "arg_bytes": sizes_json(&t.arg_bytes), "result_bytes": sizes_json(&t.result_bytes),
    })
}

fn prompt_json(set: &TraceSet, p: &PromptStats) -> Value {
    let q = |x| opt(percentile(&p.input_sizes, x));
    let c = &p.composition;
    json!({
        "step": p.step, "name": p.name, "calls": p.calls,
        "input_tokens": {"p50": q(50.0), "p95": q(95.0), "max": q(100.0)},
        "unit": p.unit.as_str(),
        "largest": p.largest.map(|ix| json!({
            "trace_id": set.trace_id(set.trace_of(ix)), "span_id": set.span_id(ix),
        })),
        "system_prompts": p.system_prompts.len(),
        "system_prompt_counts": p.system_prompts.iter().map(|s| json!({
            "hash": format!("{:016x}", s.hash), "count": s.count, "bytes": s.bytes,
        })).collect::<Vec<_>>(),
        "composition_bytes": {
            "system": c.system, "user": c.user, "assistant": c.assistant,
            "tool": c.tool, "documents": c.documents, "other": c.other,
        },
        "messages_read": p.messages_read,
    })
}

fn session_json(s: &SessionStats) -> Value {
    json!({
        "session_id": s.session_id, "traces": s.traces.len(),
        "input_tokens_first": s.first, "input_tokens_last": s.last,
        "unit": s.unit.as_str(), "slope": s.slope, "turns": s.turns,
    })
}

/// A cell of untrusted text, one line, cut to `width` characters.
fn cell(s: &str, width: usize) -> String {
    super::summary::clip(&inert::line(s), width)
}

fn dur(v: Option<i64>) -> String {
    v.map_or("-".to_owned(), format_duration)
}

fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

fn cost(c: Option<f64>) -> String {
    c.map_or("-".to_owned(), |c| format!("${c:.4}"))
}

/// The step's label: its path when grouped by path, else its key.
fn label(s: &StepStats) -> &str {
    s.path.as_deref().unwrap_or(&s.key)
}

fn first_error(s: &StepStats) -> String {
    s.top_errors
        .first()
        .map(|e| {
            let head = if e.kind.is_empty() {
                e.message.clone()
            } else {
                format!("{}: {}", e.kind, e.message)
            };
            format!("{} ×{}", head, e.count)
        })
        .unwrap_or_default()
}

/// The human report: totals, then each table.
pub fn to_text(stats: &Stats, limit: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} traces, {} spans, {} errors\n",
        stats.traces, stats.spans, stats.errors
    );
    let _ = writeln!(
        out,
        "{:<40} {:>6} {:>7} {:>4} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>14} {:>15} {:>9}  TOP ERROR",
        "STEP",
        "TRACES",
        "CALLS",
        "MAX",
        "ERRORS",
        "RATE",
        "P50",
        "P90",
        "P99",
        "MAX",
        "SELF50",
        "CRITICAL",
        "TOKENS IN/OUT",
        "COST"
    );
    for s in stats.steps.iter().take(limit) {
        let _ = writeln!(
            out,
            "{:<40} {:>6} {:>7} {:>4} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>14} {:>15} {:>9}  {}",
            cell(label(s), 40),
            s.traces,
            s.calls,
            s.max_calls_per_trace,
            s.errors,
            pct(s.error_rate()),
            dur(s.duration(50.0)),
            dur(s.duration(90.0)),
            dur(s.duration(99.0)),
            dur(s.duration(100.0)),
            dur(percentile(&s.self_ns, 50.0)),
            format!(
                "{} {:>3.0}%",
                format_duration(s.critical_path_ns),
                s.critical_share(stats.duration_ns) * 100.0
            ),
            format!("{}/{}", s.input_tokens, s.output_tokens),
            cost(s.cost),
            cell(&first_error(s), 60),
        );
    }
    tools_text(&mut out, stats, limit);
    prompts_text(&mut out, stats, limit);
    sessions_text(&mut out, stats, limit);
    out
}

fn tools_text(out: &mut String, stats: &Stats, limit: usize) {
    if stats.tools.is_empty() && stats.declared_unused_tools.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{:<32} {:>7} {:>6} {:>6} {:>6} {:>4} {:>8} {:>5} {:>9} {:>9}",
        "TOOL",
        "CALLS",
        "TRACES",
        "ERRORS",
        "RATE",
        "MAX",
        "REPEATED",
        "LOOPS",
        "ARGS P50",
        "RESULT50"
    );
    for t in stats.tools.iter().take(limit) {
        let _ = writeln!(
            out,
            "{:<32} {:>7} {:>6} {:>6} {:>6} {:>4} {:>8} {:>5} {:>9} {:>9}",
            cell(&t.name, 32),
            t.calls,
            t.traces,
            t.errors,
            pct(t.error_rate()),
            t.max_calls_per_trace,
            t.repeated_calls,
            t.loops,
            bytes(percentile(&t.arg_bytes, 50.0)),
            bytes(percentile(&t.result_bytes, 50.0)),
        );
    }
    if !stats.declared_unused_tools.is_empty() {
        let names: Vec<String> = (stats.declared_unused_tools.iter())
            .map(|n| cell(n, 40))
            .collect();
        let _ = writeln!(out, "declared but never called: {}", names.join(", "));
    }
}

fn bytes(v: Option<i64>) -> String {
    v.map_or("-".to_owned(), |b| format!("{b}B"))
}

fn prompts_text(out: &mut String, stats: &Stats, limit: usize) {
    if stats.prompts.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{:<32} {:>7} {:>7} {:>9} {:>9} {:>9} {:>7}  COMPOSITION (share of bytes)",
        "LLM STEP", "CALLS", "UNIT", "P50", "P95", "MAX", "SYSTEMS"
    );
    for p in stats.prompts.iter().take(limit) {
        let q = |x| percentile(&p.input_sizes, x).map_or("-".to_owned(), |v| v.to_string());
        let _ = writeln!(
            out,
            "{:<32} {:>7} {:>7} {:>9} {:>9} {:>9} {:>7}  {}",
            cell(&p.step, 32),
            p.calls,
            p.unit.as_str(),
            q(50.0),
            q(95.0),
            q(100.0),
            p.system_prompts.len(),
            composition(p),
        );
    }
}

fn composition(p: &PromptStats) -> String {
    let parts: Vec<String> = (p.composition.shares().iter())
        .filter(|(_, s)| *s > 0.0)
        .map(|(n, s)| format!("{n} {:.0}%", s * 100.0))
        .collect();
    parts.join(", ")
}

fn sessions_text(out: &mut String, stats: &Stats, limit: usize) {
    if stats.sessions.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{:<36} {:>6} {:>7} {:>9} {:>9} {:>9}",
        "SESSION", "TURNS", "UNIT", "FIRST", "LAST", "SLOPE"
    );
    for s in stats.sessions.iter().take(limit) {
        let _ = writeln!(
            out,
            "{:<36} {:>6} {:>7} {:>9} {:>9} {:>9.1}",
            cell(&s.session_id, 36),
            s.traces.len(),
            s.unit.as_str(),
            s.first,
            s.last,
            s.slope
        );
    }
}

/// A Markdown table cell: inert, one line, with what Markdown and HTML would interpret
/// escaped (names and error messages come from the traces).
fn md(s: &str, width: usize) -> String {
    crate::diff::report::md_escape(&cell(s, width))
}

/// The Markdown report: totals, failing steps, slowest steps, tools, prompts.
pub fn to_md(stats: &Stats, limit: usize) -> String {
    let mut out = String::from("## Trace statistics\n\n");
    let _ = writeln!(
        out,
        "**{}** traces · **{}** spans · **{}** error spans\n",
        stats.traces, stats.spans, stats.errors
    );
    let failing: Vec<&StepStats> = stats.steps.iter().filter(|s| s.errors > 0).collect();
    out.push_str("### Steps that fail most\n\n");
    if failing.is_empty() {
        out.push_str("No step has errors.\n\n");
    } else {
        out.push_str("| Step | Traces | Calls | Errors | Error rate | Top error |\n");
        out.push_str("|---|---:|---:|---:|---:|---|\n");
        for s in failing.iter().take(limit) {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                md(label(s), 80),
                s.traces,
                s.calls,
                s.errors,
                pct(s.error_rate()),
                md(&first_error(s), 100)
            );
        }
        out.push('\n');
    }
    let mut slow: Vec<&StepStats> = stats.steps.iter().collect();
    slow.sort_by(|a, b| {
        b.duration(90.0)
            .cmp(&a.duration(90.0))
            .then_with(|| a.key.cmp(&b.key))
    });
    out.push_str("### Slowest steps\n\n");
    out.push_str("| Step | Calls | p50 | p90 | p99 | max | self p50 | critical path |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in slow.iter().take(limit) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} ({:.0}%) |",
            md(label(s), 80),
            s.calls,
            dur(s.duration(50.0)),
            dur(s.duration(90.0)),
            dur(s.duration(99.0)),
            dur(s.duration(100.0)),
            dur(percentile(&s.self_ns, 50.0)),
            format_duration(s.critical_path_ns),
            s.critical_share(stats.duration_ns) * 100.0
        );
    }
    tools_md(&mut out, stats, limit);
    prompts_md(&mut out, stats, limit);
    out
}

fn tools_md(out: &mut String, stats: &Stats, limit: usize) {
    out.push_str("\n### Tools\n\n");
    if stats.tools.is_empty() {
        out.push_str("No tool calls.\n");
    } else {
        out.push_str(
            "| Tool | Calls | Traces | Errors | Error rate | Max/trace | Repeated | Loops |\n",
        );
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for t in stats.tools.iter().take(limit) {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
                md(&t.name, 60),
                t.calls,
                t.traces,
                t.errors,
                pct(t.error_rate()),
                t.max_calls_per_trace,
                t.repeated_calls,
                t.loops
            );
        }
    }
    if !stats.declared_unused_tools.is_empty() {
        let names: Vec<String> = (stats.declared_unused_tools.iter())
            .map(|n| format!("`{}`", md(n, 60)))
            .collect();
        let _ = writeln!(out, "\nDeclared but never called: {}", names.join(", "));
    }
}

fn prompts_md(out: &mut String, stats: &Stats, limit: usize) {
    out.push_str("\n### Prompts\n\n");
    if stats.prompts.is_empty() {
        out.push_str("No LLM calls.\n");
        return;
    }
    out.push_str("| LLM step | Calls | Unit | p50 | p95 | max | System prompts | Composition |\n");
    out.push_str("|---|---:|---|---:|---:|---:|---:|---|\n");
    for p in stats.prompts.iter().take(limit) {
        let q = |x| percentile(&p.input_sizes, x).map_or("-".to_owned(), |v| v.to_string());
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
            md(&p.step, 60),
            p.calls,
            p.unit.as_str(),
            q(50.0),
            q(95.0),
            q(100.0),
            p.system_prompts.len(),
            composition(p)
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_cells_escape_what_markdown_and_html_would_interpret() {
        let cell = super::md("<img src=x> a|b *c* [d](e) \u{1b}[31m", 80);
        let unescaped = cell
            .match_indices('<')
            .any(|(i, _)| !cell[..i].ends_with('\\'));
        assert!(!unescaped, "a bare < in {cell}");
        for escaped in ["\\<img", "a\\|b", "\\*c\\*", "\\[d\\]"] {
            assert!(cell.contains(escaped), "{escaped} in {cell}");
        }
        assert!(!cell.contains('\u{1b}'), "{cell}");
    }
}
