//! `spanlens feedback` (every assessment, from the export and the sidecar) and
//! `spanlens export golden` (an evaluation set from the items marked good or given an
//! expected output).

use super::{ExportCommand, Failure, InputArgs, emit, load};
use crate::feedback::golden;
use crate::inert;
use crate::model::time::format_iso_ms;
use crate::model::{Assessment, SpanIx, TraceIx, TraceSet};
use serde_json::{Value, json};
use std::fmt::Write;
use std::path::PathBuf;

/// `spanlens feedback PATH... [--json]`.
pub fn list(paths: &[PathBuf], input: &InputArgs, json: bool) -> Result<(), Failure> {
    let set = load(paths, input)?;
    if json {
        emit(&format!("{}\n", super::json::render(&to_json(&set))))
    } else {
        emit(&to_text(&set))
    }
}

/// The `--json` document: `{"assessments": [...], "warnings": [...]}`.
pub fn to_json(set: &TraceSet) -> Value {
    let items: Vec<Value> = rows(set)
        .map(|(a, t, s)| {
            json!({
                "trace_id": a.trace_id, "span_id": a.span_id,
                "span": s.map(|s| set.span_name(s)),
                "name": a.name, "kind": a.kind, "value": a.value,
                "rationale": a.rationale, "source": a.source, "error": a.error,
                "assessment_id": a.id, "time": a.time_ns.map(format_iso_ms),
                "loaded": t.is_some(),
            })
        })
        .collect();
    let warnings: Vec<String> = set.diagnostics.iter().map(|d| d.to_string()).collect();
    json!({ "assessments": items, "warnings": warnings })
}

/// One line per assessment, then the warnings.
pub fn to_text(set: &TraceSet) -> String {
    let mut out = String::new();
    for (a, t, s) in rows(set) {
        let at = match (t, s) {
            (_, Some(s)) => format!(
                "span {} ({})",
                a.span_id.as_deref().unwrap_or(""),
                set.span_name(s)
            ),
            (Some(_), None) => "trace".to_owned(),
            (None, _) => "not in the loaded traces".to_owned(),
        };
        let value = match &a.value {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let _ = write!(
            out,
            "{}  {}  {} {} = {}",
            a.trace_id, at, a.kind, a.name, value
        );
        if let Some(src) = &a.source {
            let _ = write!(out, "  by {src}");
        }
        if let Some(t) = a.time_ns {
            let _ = write!(out, "  at {}", format_iso_ms(t));
        }
        if let Some(r) = &a.rationale {
            let _ = write!(out, "  — {r}");
        }
        if let Some(e) = &a.error {
            let _ = write!(out, "  error: {e}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{} assessments", set.assessments.len());
    for d in &set.diagnostics {
        let _ = writeln!(out, "warning: {d}");
    }
    // Values, names and rationales come from the traces.
    inert::text(&out).into_owned()
}

fn rows(set: &TraceSet) -> impl Iterator<Item = (&Assessment, Option<TraceIx>, Option<SpanIx>)> {
    set.assessments
        .iter()
        .zip(&set.assessment_targets)
        .map(|(a, (t, s))| (a, *t, *s))
}

/// `spanlens export golden …`.
pub fn export(what: ExportCommand) -> Result<(), Failure> {
    let ExportCommand::Golden {
        paths,
        input_format,
        feedback,
        out,
        format,
        where_,
    } = what;
    let query = match where_.as_deref().map(crate::search::Query::parse) {
        None => None,
        Some(Ok(q)) => Some(q),
        Some(Err(e)) => {
            let why = format!("bad --where query: {e}");
            return Err(Failure::new(super::EXIT_BAD_QUERY, why));
        }
    };
    let input = InputArgs {
        format: input_format,
        feedback,
        ..Default::default()
    };
    let set = load(&paths, &input)?;
    let chosen = query.as_ref().map(|q| golden::selected_by(&set, q));
    let keep = |s: SpanIx| chosen.as_ref().is_none_or(|c| c.contains(&s));
    let items = golden::items(&set, &keep);
    let text = golden::render(&set, &items, format);
    if let Err(e) = std::fs::write(&out, text) {
        return Err(Failure::new(
            1,
            format!("cannot write {}: {e}", out.display()),
        ));
    }
    eprintln!(
        "spanlens: wrote {} item{} to {}",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        out.display()
    );
    if items.is_empty() {
        eprintln!("spanlens: no trace or span is marked good or given an expected output");
    }
    Ok(())
}
