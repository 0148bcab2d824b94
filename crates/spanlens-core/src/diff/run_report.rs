//! A run diff as text (CI logs), Markdown (PR comments) or JSON (scripts), with the gate's
//! verdict when one was asked for.

use super::Summary;
use super::gate::{Outcome, trim};
use super::report::{Sides, delta};
use super::runs::{Dist, PairRow, RunDiff, RunSummary, StepDelta, StepSide};
use crate::inert;
use crate::model::time::format_duration;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::fmt::Write;

/// Pairs listed in the text and Markdown forms (JSON lists all).
pub const PAIRS_SHOWN: usize = 20;

/// Everything a report shows: the diff, each pair's span-level totals, the gate.
pub struct RunReport<'a> {
    pub sides: Sides<'a>,
    pub run: &'a RunDiff,
    /// Span-level totals of each pair, in `run.pairs` order.
    pub pair_summaries: Vec<Summary>,
    pub gate: Option<(&'a str, Outcome)>,
}

/// Diffs the first `limit` pairs' span trees (in parallel) for their same / changed /
/// added / removed counts. At 10,000 pairs of 50 spans this takes seconds, so the text and
/// Markdown forms ask only for the pairs they list.
pub fn pair_summaries(sides: &Sides, run: &RunDiff, limit: usize) -> Vec<Summary> {
    run.pairs[..limit.min(run.pairs.len())]
        .par_iter()
        .map(|p| super::diff(sides.left, p.left, sides.right, p.right).summary)
        .collect()
}

fn dist_json(d: Dist) -> Value {
    json!({"p50": d.p50, "p95": d.p95})
}

fn summary_json(s: &RunSummary) -> Value {
    json!({
        "traces": s.traces,
        "error_traces": s.error_traces,
        "duration_ns": dist_json(s.duration),
        "tokens": s.tokens,
        "cost": s.cost,
        "feedback": s.feedback,
    })
}

fn step_side_json(s: &Option<StepSide>) -> Value {
    match s {
        None => Value::Null,
        Some(s) => json!({
            "calls_per_trace": s.calls_per_trace,
            "error_rate": s.error_rate,
            "duration_ns": dist_json(s.duration),
            "tokens": s.tokens,
        }),
    }
}

impl RunReport<'_> {
    fn trace_id(&self, left: bool, t: crate::model::TraceIx) -> String {
        let set = if left {
            self.sides.left
        } else {
            self.sides.right
        };
        set.trace_id(t).to_owned()
    }

    /// The machine-readable form (shape documented in docs/run-diff.md).
    pub fn to_json(&self) -> Value {
        let r = self.run;
        let steps: Vec<Value> = r
            .steps
            .iter()
            .map(|s| {
                json!({
                    "key": s.key, "name": s.name, "kind": s.kind.as_str(),
                    "status": s.status.as_str(),
                    "left": step_side_json(&s.left), "right": step_side_json(&s.right),
                    "p_value": s.test.map(|t| t.p),
                    "regressions": s.regressions,
                })
            })
            .collect();
        let pairs: Vec<Value> = r
            .pairs
            .iter()
            .zip(&self.pair_summaries)
            .map(|(p, s)| {
                json!({
                    "left_trace_id": self.trace_id(true, p.left),
                    "right_trace_id": self.trace_id(false, p.right),
                    "rule": p.rule.as_str(),
                    "summary": {"same": s.same, "changed": s.changed, "added": s.added, "removed": s.removed},
                    "left_duration_ns": p.left_duration_ns, "right_duration_ns": p.right_duration_ns,
                    "left_errors": p.left_errors, "right_errors": p.right_errors,
                })
            })
            .collect();
        let ids = |left: bool, ts: &[crate::model::TraceIx]| {
            ts.iter()
                .map(|&t| self.trace_id(left, t))
                .collect::<Vec<_>>()
        };
        let mut out = json!({
            "pairing": r.pairing.main_rule().as_str(),
            "summary": {
                "paired": r.pairing.pairs.len(),
                "only_left": r.pairing.only_left.len(),
                "only_right": r.pairing.only_right.len(),
                "left": summary_json(&r.left),
                "right": summary_json(&r.right),
            },
            "steps": steps,
            "pairs": pairs,
            "only_left": ids(true, &r.pairing.only_left),
            "only_right": ids(false, &r.pairing.only_right),
            "warnings": r.warnings,
        });
        if let Some((expr, o)) = &self.gate {
            out["gate"] = json!({"expr": expr, "failed": o.failed, "notes": o.notes});
        }
        out
    }

    /// Lines of the run summary, shared by text and Markdown.
    fn summary_rows(&self) -> Vec<(String, String, String, String)> {
        let (l, r) = (&self.run.left, &self.run.right);
        let mut rows = vec![
            row_n("traces", l.traces as f64, r.traces as f64),
            row_n("error traces", l.error_traces as f64, r.error_traces as f64),
            row_d("duration p50", l.duration.p50, r.duration.p50),
            row_d("duration p95", l.duration.p95, r.duration.p95),
            row_n("tokens / trace", l.tokens, r.tokens),
        ];
        if l.cost.is_some() || r.cost.is_some() {
            rows.push(row_n(
                "cost / trace",
                l.cost.unwrap_or(0.0),
                r.cost.unwrap_or(0.0),
            ));
        }
        let names: std::collections::BTreeSet<&String> =
            l.feedback.keys().chain(r.feedback.keys()).collect();
        for n in names {
            let (a, b) = (l.feedback.get(n), r.feedback.get(n));
            let show = |v: Option<&f64>| v.map_or("—".into(), |v| trim(*v));
            let d = match (a, b) {
                (Some(a), Some(b)) => format!("{:+}", trim(b - a)),
                _ => String::new(),
            };
            rows.push((format!("feedback {}", inert::line(n)), show(a), show(b), d));
        }
        rows
    }

    fn pairing_line(&self) -> String {
        let p = &self.run.pairing;
        let rules: Vec<String> = p
            .counts()
            .iter()
            .map(|(r, n)| format!("{n} by {}", r.as_str()))
            .collect();
        format!(
            "{} paired ({}), {} only left, {} only right; pairing: {}",
            p.pairs.len(),
            if rules.is_empty() {
                "none".into()
            } else {
                rules.join(", ")
            },
            p.only_left.len(),
            p.only_right.len(),
            p.main_rule().as_str()
        )
    }

    /// The plain-text form.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.pairing_line());
        for w in &self.run.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        out.push('\n');
        for (what, a, b, d) in self.summary_rows() {
            let _ = writeln!(out, "{what:<22} {a:>12} → {b:<12} {d}");
        }
        let _ = writeln!(out, "\nsteps:");
        for s in &self.run.steps {
            let _ = writeln!(out, "{}", step_text(s));
        }
        self.unpaired_text(&mut out);
        let _ = writeln!(out, "\npairs (new errors first, then largest change):");
        for (p, s) in self
            .run
            .pairs
            .iter()
            .zip(&self.pair_summaries)
            .take(PAIRS_SHOWN)
        {
            let _ = writeln!(out, "  {}", self.pair_text(p, Some(s)));
        }
        if self.run.pairs.len() > PAIRS_SHOWN {
            let _ = writeln!(out, "  … {} more", self.run.pairs.len() - PAIRS_SHOWN);
        }
        self.gate_text(&mut out, "");
        out
    }

    fn unpaired_text(&self, out: &mut String) {
        for (label, left, ts) in [
            ("only left", true, &self.run.pairing.only_left),
            ("only right", false, &self.run.pairing.only_right),
        ] {
            if ts.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{label}:");
            for &t in ts.iter().take(PAIRS_SHOWN) {
                let set = if left {
                    self.sides.left
                } else {
                    self.sides.right
                };
                let _ = writeln!(
                    out,
                    "  {}  {}",
                    set.trace_id(t),
                    inert::line(set.str(set.trace(t).name))
                );
            }
            if ts.len() > PAIRS_SHOWN {
                let _ = writeln!(out, "  … {} more", ts.len() - PAIRS_SHOWN);
            }
        }
    }

    /// One pair: ids, root name, duration change, errors and span counts.
    pub fn pair_text(&self, p: &PairRow, s: Option<&Summary>) -> String {
        let name = inert::line(self.sides.left.str(self.sides.left.trace(p.left).name));
        let errs = if p.left_errors != p.right_errors {
            format!("  errors {} → {}", p.left_errors, p.right_errors)
        } else {
            String::new()
        };
        let spans = s.map_or(String::new(), |s| {
            format!(
                "  [{} changed, {} added, {} removed]",
                s.changed, s.added, s.removed
            )
        });
        format!(
            "{} ↔ {}  {name}  {} → {} {}{errs}{spans}",
            short(self.sides.left.trace_id(p.left)),
            short(self.sides.right.trace_id(p.right)),
            format_duration(p.left_duration_ns),
            format_duration(p.right_duration_ns),
            delta(Some(p.left_duration_ns), Some(p.right_duration_ns)),
        )
    }

    fn gate_text(&self, out: &mut String, bullet: &str) {
        let Some((expr, o)) = &self.gate else { return };
        if o.failed.is_empty() {
            let _ = writeln!(out, "\ngate passed: {}", inert::line(expr));
        } else {
            let _ = writeln!(out, "\ngate FAILED: {}", inert::line(expr));
            for f in &o.failed {
                let _ = writeln!(out, "{bullet}  tripped: {}", inert::line(f));
            }
        }
        for n in &o.notes {
            let _ = writeln!(out, "{bullet}  note: {}", inert::line(n));
        }
    }

    /// The Markdown form, for a PR comment.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("## Run diff\n\n");
        let _ = writeln!(out, "{}\n", md(&self.pairing_line()));
        for w in &self.run.warnings {
            let _ = writeln!(out, "> ⚠ {}", md(w));
        }
        if !self.run.warnings.is_empty() {
            out.push('\n');
        }
        out.push_str("| | left | right | Δ |\n|---|---:|---:|---:|\n");
        for (what, a, b, d) in self.summary_rows() {
            let _ = writeln!(out, "| {} | {a} | {b} | {d} |", md(&what));
        }
        let differing: Vec<&StepDelta> = self
            .run
            .steps
            .iter()
            .filter(|s| s.status != super::runs::StepStatus::Same)
            .collect();
        if differing.is_empty() {
            out.push_str("\nNo step changed.\n");
        } else {
            out.push_str("\n| step | status | calls/trace | error rate | p50 | p95 | p | regressions |\n|---|---|---:|---:|---:|---:|---:|---|\n");
            for s in differing {
                let _ = writeln!(out, "{}", step_md(s));
            }
        }
        if !self.run.pairs.is_empty() {
            out.push_str("\n<details><summary>Pairs that changed most</summary>\n\n");
            for (p, s) in self
                .run
                .pairs
                .iter()
                .zip(&self.pair_summaries)
                .take(PAIRS_SHOWN)
            {
                let _ = writeln!(out, "- {}", md(&self.pair_text(p, Some(s))));
            }
            out.push_str("\n</details>\n");
        }
        self.gate_text(&mut out, "-");
        out
    }
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn row_n(what: &str, a: f64, b: f64) -> (String, String, String, String) {
    let d = if a == b {
        String::new()
    } else {
        let pct = if a != 0.0 {
            format!(" ({:+.0}%)", (b - a) / a.abs() * 100.0)
        } else {
            String::new()
        };
        format!("{}{}{pct}", if b >= a { "+" } else { "" }, trim(b - a))
    };
    (what.to_owned(), trim(a), trim(b), d)
}

fn row_d(what: &str, a: i64, b: i64) -> (String, String, String, String) {
    (
        what.to_owned(),
        format_duration(a),
        format_duration(b),
        delta(Some(a), Some(b)),
    )
}

/// `a → b` of one step field, or one side alone.
pub fn arrow<T>(
    a: &Option<StepSide>,
    b: &Option<StepSide>,
    f: impl Fn(&StepSide) -> T,
    show: impl Fn(T) -> String,
) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{} → {}", show(f(a)), show(f(b))),
        (Some(a), None) => format!("{} → —", show(f(a))),
        (None, Some(b)) => format!("— → {}", show(f(b))),
        (None, None) => String::new(),
    }
}

/// The p-value of a step's rank test, or why there is none.
pub fn noise(s: &StepDelta) -> String {
    match (&s.left, &s.right, s.test) {
        (Some(_), Some(_), Some(t)) => format!("p={:.3}", t.p),
        (Some(_), Some(_), None) => "too few samples".into(),
        _ => String::new(),
    }
}

fn step_text(s: &StepDelta) -> String {
    let mark = match s.status {
        super::runs::StepStatus::Same => ' ',
        super::runs::StepStatus::Changed => '~',
        super::runs::StepStatus::Added => '+',
        super::runs::StepStatus::Removed => '-',
    };
    let regress = if s.regressions.is_empty() {
        String::new()
    } else {
        format!("  REGRESSED: {}", s.regressions.join(", "))
    };
    format!(
        "{mark} {:<28} calls/trace {}  errors {}  p50 {}  p95 {}  tokens/trace {}  {}{regress}",
        inert::line(&s.key),
        arrow(&s.left, &s.right, |x| x.calls_per_trace, trim),
        arrow(&s.left, &s.right, |x| x.error_rate, pct),
        arrow(&s.left, &s.right, |x| x.duration.p50, format_duration),
        arrow(&s.left, &s.right, |x| x.duration.p95, format_duration),
        arrow(&s.left, &s.right, |x| x.tokens, trim),
        noise(s),
    )
}

fn step_md(s: &StepDelta) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        md(&s.key),
        s.status.as_str(),
        arrow(&s.left, &s.right, |x| x.calls_per_trace, trim),
        arrow(&s.left, &s.right, |x| x.error_rate, pct),
        arrow(&s.left, &s.right, |x| x.duration.p50, format_duration),
        arrow(&s.left, &s.right, |x| x.duration.p95, format_duration),
        noise(s),
        if s.regressions.is_empty() {
            String::new()
        } else {
            format!("**{}**", s.regressions.join(", "))
        },
    )
}

pub fn pct(v: f64) -> String {
    format!("{}%", trim(v * 100.0))
}

/// Text from traces in a Markdown table or list: made inert, Markdown and HTML escaped.
fn md(s: &str) -> String {
    super::report::md_escape(s)
}
