//! `spanlens diff LEFT RIGHT`: resolve each side (`FILE#TRACE_ID`, or every trace of a
//! file or directory), then print the trace or run diff with the gate's verdict, or open
//! the diff view.

use super::{EXIT_NOTHING_LOADED, Failure, InputArgs, load};
use crate::diff::gate::GateError;
use crate::inert;
use crate::model::{TraceIx, TraceSet};
use std::path::{Path, PathBuf};

/// Output formats for a printed diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Text,
    Md,
    Json,
}

/// Splits `FILE#TRACE_ID`; a path that exists as written is taken whole.
pub fn split_spec(spec: &str) -> (PathBuf, Option<String>) {
    if Path::new(spec).exists() {
        return (PathBuf::from(spec), None);
    }
    match spec.rsplit_once('#') {
        Some((file, id)) if !id.is_empty() => (PathBuf::from(file), Some(id.to_owned())),
        _ => (PathBuf::from(spec), None),
    }
}

/// One side of a diff: the loaded set and the traces it compares (one when the spec
/// named a trace with `#TRACE_ID`, else every trace of the files or directory).
pub struct Side {
    pub set: TraceSet,
    pub traces: Vec<TraceIx>,
}

/// Loads one side of a diff and picks its traces, or explains what is wrong.
pub fn resolve_side(spec: &str, input: &InputArgs) -> Result<Side, Failure> {
    let (path, id) = split_spec(spec);
    let set = load(std::slice::from_ref(&path), input)?;
    let traces = match &id {
        Some(id) => vec![set.find_trace(id).ok_or_else(|| {
            let why = format!(
                "{}: no trace {} (or it is ambiguous){}",
                path.display(),
                inert::line(id),
                listing(&set)
            );
            Failure::new(EXIT_NOTHING_LOADED, why)
        })?],
        None if set.traces.is_empty() => {
            let why = format!("{}: holds no traces", path.display());
            return Err(Failure::new(EXIT_NOTHING_LOADED, why));
        }
        None => (0..set.traces.len() as u32).map(TraceIx).collect(),
    };
    Ok(Side { set, traces })
}

/// Loads one side of a diff and picks its single trace, or explains which to pick.
pub fn resolve(spec: &str, input: &InputArgs) -> Result<(TraceSet, TraceIx), Failure> {
    let side = resolve_side(spec, input)?;
    match side.traces.as_slice() {
        [t] => Ok((side.set, *t)),
        ts => Err(Failure::new(
            EXIT_NOTHING_LOADED,
            format!(
                "{spec}: holds {} traces; pick one with {spec}#TRACE_ID{}",
                ts.len(),
                listing(&side.set)
            ),
        )),
    }
}

/// Exit status when a `--fail-on` condition tripped.
pub const EXIT_GATE_FAILED: i32 = 1;

/// `spanlens diff` with `--format` (or `--fail-on`): prints the trace diff (one trace a
/// side) or the run diff (several), checks the gate, and returns the exit status.
pub fn print(
    left: Side,
    right: Side,
    format: OutFormat,
    fail_on: Option<&str>,
) -> Result<i32, GateError> {
    use crate::diff::{gate, report, run_report, runs};
    let conds = fail_on.map(gate::parse).transpose()?;
    let sides = report::Sides {
        left: &left.set,
        right: &right.set,
    };
    let t = crate::timing::phase("diff: runs");
    let run = runs::compare_runs(&left.set, &left.traces, &right.set, &right.traces);
    drop(t);
    let gate = conds.map(|c| (fail_on.unwrap_or(""), gate::check(&c, &run)));
    let failed = gate.as_ref().is_some_and(|(_, o)| !o.failed.is_empty());
    if let ([lt], [rt]) = (left.traces.as_slice(), right.traces.as_slice()) {
        let d = crate::diff::diff(&left.set, *lt, &right.set, *rt);
        let text = match format {
            OutFormat::Json => {
                let mut v = report::to_json(&sides, &d);
                if let Some((expr, o)) = &gate {
                    v["gate"] =
                        serde_json::json!({"expr": expr, "failed": o.failed, "notes": o.notes});
                }
                format!("{}\n", super::json::render(&v))
            }
            OutFormat::Md => report::to_markdown(&sides, &d) + &gate_tail(&gate, "- "),
            OutFormat::Text => report::to_text(&sides, &d) + &gate_tail(&gate, "  "),
        };
        if let Err(f) = super::emit(&text) {
            if !f.message.is_empty() {
                eprintln!("spanlens: {f}");
            }
            return Ok(f.code);
        }
    } else {
        let t = crate::timing::phase("diff: pair trees");
        let listed = match format {
            OutFormat::Json => usize::MAX,
            OutFormat::Md | OutFormat::Text => run_report::PAIRS_SHOWN,
        };
        let pair_summaries = run_report::pair_summaries(&sides, &run, listed);
        drop(t);
        let rep = run_report::RunReport {
            sides,
            run: &run,
            pair_summaries,
            gate,
        };
        let text = match format {
            OutFormat::Json => format!("{}\n", super::json::render(&rep.to_json())),
            OutFormat::Md => rep.to_markdown(),
            OutFormat::Text => rep.to_text(),
        };
        if let Err(f) = super::emit(&text) {
            if !f.message.is_empty() {
                eprintln!("spanlens: {f}");
            }
            return Ok(f.code);
        }
    }
    Ok(if failed { EXIT_GATE_FAILED } else { 0 })
}

/// The gate's verdict under a single-trace report.
fn gate_tail(gate: &Option<(&str, crate::diff::gate::Outcome)>, bullet: &str) -> String {
    let Some((expr, o)) = gate else {
        return String::new();
    };
    let mut out = format!(
        "\ngate {}: {}\n",
        if o.failed.is_empty() {
            "passed"
        } else {
            "FAILED"
        },
        inert::line(expr)
    );
    for f in &o.failed {
        out.push_str(&format!("{bullet}tripped: {}\n", inert::line(f)));
    }
    for n in &o.notes {
        out.push_str(&format!("{bullet}note: {}\n", inert::line(n)));
    }
    out
}

fn listing(set: &TraceSet) -> String {
    let mut out = String::from(":");
    for t in set.traces.iter().take(12) {
        out.push_str(&format!(
            "\n  {}  {}",
            set.str(t.id),
            inert::line(set.str(t.name))
        ));
    }
    if set.traces.len() > 12 {
        out.push_str(&format!("\n  … and {} more", set.traces.len() - 12));
    }
    out
}
