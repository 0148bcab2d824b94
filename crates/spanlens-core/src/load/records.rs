//! JSON Lines files and JSON documents of records: every line, array element or value is
//! one record for its format's loader, and they are loaded in parallel pieces, each with
//! an arena of its own for text a loader has to write.

use super::input::Input;
use super::json::{self, Ctx};
use super::lines::{self, LineFn};
use super::sniff::{classify_value, skip_bom_ws, unknown};
use super::{ARENA_SRC, Format, LoadOptions, Progress, Sink, dispatch, mlflow, otlp, short_error};
use crate::model::{Batch, Diagnostic, FileLoad, Pos};
use rayon::prelude::*;
use serde_json::value::RawValue;

/// Loads a JSON Lines file of format `fmt` (OTLP requests or one record per line), every
/// line on its own, streamed and in parallel.
pub(super) fn load_lines(
    input: &Input,
    fmt: Format,
    opts: &LoadOptions,
    (path, suffix): (&str, &str),
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<FileLoad, String> {
    let otlp = |ctx: &Ctx, line: &str, at: u64, sink: &mut Sink| otlp_line(ctx, line, at, sink);
    let record =
        |ctx: &Ctx, line: &str, at: u64, sink: &mut Sink| record_line(fmt, ctx, line, at, sink);
    let f: &LineFn = if fmt == Format::Otlp { &otlp } else { &record };
    let format = format!("{} (jsonl{suffix})", fmt.name());
    let loading = format!("{} (jsonl, loading)", fmt.name());
    let parts = lines::read_lines(
        input,
        path,
        (f, &loading),
        opts.preview.as_deref(),
        progress,
    )
    .map_err(|e| format!("cannot read: {e}"))?;
    Ok(Sink::default().into_load_parts(input, format, parts))
}

fn otlp_line(ctx: &Ctx, line: &str, at: u64, sink: &mut Sink) {
    if let Err(e) = otlp::parse_request(ctx, line, at << 16, &mut sink.batch) {
        let msg = format!("skipped: {}", short_error(&e));
        sink.batch.diag(ctx.path, Pos::Byte(at), msg);
    }
}

/// One record of a JSON Lines export. PERF: the order key leaves room for the 2^20 spans a
/// record (a whole MLflow trace) may hold before the next line's keys begin.
fn record_line(fmt: Format, ctx: &Ctx, line: &str, at: u64, sink: &mut Sink) {
    // PERF: a line that is a whole MLflow trace is read in one pass, not checked first.
    if fmt == Format::MlflowTrace && mlflow::load_text(sink, ctx, line, at << 20) {
        return;
    }
    match serde_json::from_str::<&RawValue>(line) {
        Ok(raw) => dispatch(fmt, sink, ctx, raw, at << 20),
        Err(e) => {
            let msg = format!("skipped: {}", short_error(&e));
            sink.batch.diag(ctx.path, Pos::Byte(at), msg);
        }
    }
}

/// Loads a document: one JSON value, or several back to back (console exporter output).
pub(super) fn load_document(
    input: &Input,
    opts: &LoadOptions,
    path: &str,
    suffix: &str,
) -> Result<FileLoad, String> {
    let buf = input.whole().map_err(|e| format!("cannot read: {e}"))?;
    let ctx = Ctx::new(&buf, 0, 0, path);
    if let Some(load) = load_one_array(input, opts, &ctx, suffix) {
        return Ok(load);
    }
    let mut sink = Sink::default();
    let mut parts = Vec::new();
    let mut fmt = opts.format;
    let mut values = 0u64;
    let mut unknown_shape = None;
    let result = json::for_each_value(&buf, |raw| {
        values += 1;
        let detected = fmt.or_else(|| classify_value(raw));
        let Some(f) = detected else {
            unknown_shape.get_or_insert_with(|| unknown(raw.get().as_bytes()));
            return;
        };
        fmt = Some(f);
        load_value(f, (&mut sink, &mut parts), &ctx, raw, values << 32);
    });
    if let Err(e) = result {
        if values == 0 && e.is_eof() {
            return load_truncated(input, &buf, opts, path, suffix, &e);
        }
        if values == 0 && fmt.is_none() {
            return Err(format!(
                "not a trace file: not valid JSON ({})",
                short_error(&e)
            ));
        }
        sink.batch.diag(
            path,
            json::error_pos(&e),
            format!("stopped reading: {}", short_error(&e)),
        );
    }
    let Some(fmt) = fmt else {
        return Err(unknown_shape.unwrap_or_else(|| "no JSON value found".into()));
    };
    let format = format!("{}{}", fmt.name(), doc_suffix(suffix));
    Ok(sink.into_load_parts(input, format, parts))
}

/// A document that ends too early: load its complete elements and say what was lost.
fn load_truncated(
    input: &Input,
    buf: &[u8],
    opts: &LoadOptions,
    path: &str,
    suffix: &str,
    err: &serde_json::Error,
) -> Result<FileLoad, String> {
    let cut = || {
        format!(
            "file ends early ({}); nothing complete to load",
            short_error(err)
        )
    };
    let repaired = json::repair_truncated(buf).ok_or_else(cut)?;
    let fixed = Input::from_bytes(input.path().to_owned(), repaired).map_err(|e| e.to_string())?;
    let mut load = load_document(&fixed, opts, path, suffix)?;
    // The repaired prefix keeps the original offsets: text resolves against the input itself.
    load.sources.replace(0, input.source());
    let pos = json::error_pos(err);
    let message =
        format!("file ends early: loaded the complete elements before {pos}, the rest is lost");
    let diag = Diagnostic {
        path: path.into(),
        pos,
        message,
    };
    let mut batch = Batch::default();
    batch.diagnostics.push(diag);
    load.batches.push(batch);
    Ok(load)
}

fn doc_suffix(suffix: &str) -> String {
    if suffix.is_empty() {
        String::new()
    } else {
        format!(" ({})", suffix.trim_start_matches(", "))
    }
}

/// A document that is one array of records, walked element by element straight from the
/// buffer and loaded in parallel. `None` for anything else (other values, a damaged or
/// truncated array, an unknown shape): the general path reads those and says what it found.
/// PERF: the general path reads each value whole before walking it, a pass more.
fn load_one_array(input: &Input, opts: &LoadOptions, ctx: &Ctx, suffix: &str) -> Option<FileLoad> {
    if skip_bom_ws(ctx.buf).first() != Some(&b'[') {
        return None;
    }
    let mut elements = Vec::new();
    json::for_each_element(ctx.buf, |el| elements.push(el)).ok()?;
    let fmt = opts.format.or_else(|| classify_value(elements.first()?))?;
    let mut parts = Vec::new();
    load_elements(fmt, &mut parts, ctx, &elements, 1 << 32);
    let format = format!("{}{}", fmt.name(), doc_suffix(suffix));
    Some(Sink::default().into_load_parts(input, format, parts))
}

/// Loads one top-level value: an array element by element (in parallel, into `parts`),
/// anything else into `sink`.
fn load_value(
    fmt: Format,
    (sink, parts): (&mut Sink, &mut Vec<Sink>),
    ctx: &Ctx,
    raw: &RawValue,
    seq: u64,
) {
    if !raw.get().starts_with('[') {
        return dispatch(fmt, sink, ctx, raw, seq);
    }
    // Elements borrow from `raw`, which borrows from `ctx.buf`: offsets stay valid.
    let mut elements = Vec::new();
    let r = json::for_each_element(raw.get().as_bytes(), |el| elements.push(el));
    load_elements(fmt, parts, ctx, &elements, seq);
    if let Err(e) = r {
        let n = elements.len() + 1;
        let msg = format!("array element {n} and later skipped: {}", short_error(&e));
        sink.batch.diag(ctx.path, ctx.line_of(raw), msg);
    }
}

/// Loads array elements on every core, in runs of about equal size, each run into a part
/// with an arena of its own (source `ARENA_SRC + 1 + i`, after the parts before it).
/// PERF: a document of a million spans is often one array (pandas `to_json` records, a
/// list of MLflow traces); element by element on one core it loaded at half the speed.
fn load_elements(fmt: Format, parts: &mut Vec<Sink>, ctx: &Ctx, elements: &[&RawValue], seq: u64) {
    // Small documents stay one run: nothing to gain, and a loader's once-per-run notes
    // (rows that all lack the same field) stay once.
    let bytes: usize = elements.iter().map(|e| e.get().len()).sum();
    let runs = even_runs(
        elements,
        (rayon::current_num_threads() * 8).min(bytes / MIN_RUN + 1),
    );
    let first_src = ARENA_SRC as usize + 1 + parts.len();
    let loaded: Vec<Sink> = (runs.par_iter().enumerate())
        .map(|(r, range)| {
            let mut part = Sink {
                src: u16::try_from(first_src + r).unwrap_or(u16::MAX),
                ..Sink::default()
            };
            for i in range.clone() {
                dispatch(fmt, &mut part, ctx, elements[i], seq + i as u64 + 1);
            }
            part
        })
        .collect();
    parts.extend(loaded);
}

/// Bytes of array elements below which splitting a document does not pay.
const MIN_RUN: usize = 1 << 20;

/// Splits `elements` into at most `n` runs of about the same number of bytes.
fn even_runs(elements: &[&RawValue], n: usize) -> Vec<std::ops::Range<usize>> {
    let total: usize = elements.iter().map(|e| e.get().len()).sum();
    let step = (total / n.max(1)).max(1);
    let (mut runs, mut start, mut size) = (Vec::new(), 0, 0);
    for (i, e) in elements.iter().enumerate() {
        size += e.get().len();
        if size >= step {
            runs.push(start..i + 1);
            (start, size) = (i + 1, 0);
        }
    }
    if start < elements.len() {
        runs.push(start..elements.len());
    }
    runs
}
