//! `spanlens diff LEFT RIGHT`: resolve each side (`FILE` with one trace, or
//! `FILE#TRACE_ID`), then print the diff or open the diff view.

use super::{InputArgs, load_or_exit};
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

/// Loads one side of a diff and picks its trace, or explains which to pick.
pub fn resolve(spec: &str, input: &InputArgs) -> Result<(TraceSet, TraceIx), String> {
    let (path, id) = split_spec(spec);
    let set = load_or_exit(std::slice::from_ref(&path), input);
    let trace = match (&id, set.traces.len()) {
        (Some(id), _) => set.find_trace(id).ok_or_else(|| {
            format!(
                "{}: no trace {} (or it is ambiguous){}",
                path.display(),
                inert::line(id),
                listing(&set)
            )
        })?,
        (None, 1) => TraceIx(0),
        (None, 0) => return Err(format!("{}: holds no traces", path.display())),
        (None, n) => {
            return Err(format!(
                "{}: holds {n} traces; pick one with {}#TRACE_ID{}",
                path.display(),
                path.display(),
                listing(&set)
            ));
        }
    };
    Ok((set, trace))
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
