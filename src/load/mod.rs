//! Loading trace exports: expand paths, detect each file's format from its content, parse
//! it into batches, and build one `TraceSet`. Bad input never panics: a file that cannot be
//! read or recognised becomes a diagnostic naming it, a partly bad file loads what is good.
//!
//! Loaders never import the UI.

mod attrmap;
mod console;
pub mod format;
pub mod input;
pub mod json;
mod langfuse;
mod langsmith;
pub mod lines;
mod mlflow;
pub mod otlp;
mod parquet;
mod phoenix;
pub mod preview;
mod sink;
mod sniff;
mod spool;
mod walk;

pub use format::Format;
pub use sink::{ARENA_SRC, Sink};

use crate::model::{Batch, Diagnostic, FileLoad, Pos, TraceSet, build};
use input::Input;
use json::Ctx;
use lines::LineFn;
use rayon::prelude::*;
use serde_json::value::RawValue;
use sniff::{
    classify_value, describe_non_json, detect_line, first_line, is_json_lines, skip_bom_ws, unknown,
};
use std::path::{Path, PathBuf};
use walk::Item;

/// How much of an input is read to detect its format.
const SNIFF: usize = 64 << 10;

/// Loading progress, reported from loader threads.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub path: String,
    pub done: u64,
    pub total: u64,
    /// With `LoadOptions::preview`: what the block just read adds to each trace's tally.
    pub traces: Vec<preview::TraceTally>,
    /// With `LoadOptions::preview`, after `Peek::want`: the wanted trace as read so far.
    pub partial: Option<std::sync::Arc<crate::model::TraceSet>>,
    /// The bytes counted are of a compressed file being decompressed, before parsing.
    pub decompressing: bool,
}

impl Progress {
    /// What is being done, for a progress line: "decompressing" or "loading".
    pub fn verb(&self) -> &'static str {
        if self.decompressing {
            "decompressing"
        } else {
            "loading"
        }
    }
}

impl Progress {
    pub fn bytes(path: &str, done: u64, total: u64) -> Self {
        Progress {
            path: path.to_owned(),
            done,
            total,
            traces: Vec::new(),
            partial: None,
            decompressing: false,
        }
    }
}

/// Options for `load`.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Skip detection and read every input as this format.
    pub format: Option<Format>,
    /// Report trace tallies with each block's progress (large JSON Lines files), for
    /// listing traces before the load ends, and answer asks for one trace read so far.
    pub preview: Option<std::sync::Arc<preview::Peek>>,
}

/// Nothing at all could be loaded.
#[derive(Debug, thiserror::Error)]
#[error("nothing could be loaded:\n{}", .problems.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))]
pub struct LoadError {
    pub problems: Vec<Diagnostic>,
}

/// Loads every path (files, directories, `-` for stdin) into one trace set.
pub fn load(
    paths: &[PathBuf],
    opts: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<TraceSet, LoadError> {
    let mut diagnostics = Vec::new();
    let items = walk::expand(paths, &mut diagnostics);
    let parse = crate::timing::phase("parse files");
    let results: Vec<Result<FileLoad, Diagnostic>> = items
        .par_iter()
        .map(|item| load_item(item, opts, progress))
        .collect();
    drop(parse);
    let mut loads = Vec::new();
    for r in results {
        match r {
            Ok(l) => loads.push(l),
            Err(d) => diagnostics.push(d),
        }
    }
    if loads.is_empty() {
        if diagnostics.is_empty() {
            diagnostics.push(Diagnostic {
                path: "(no input)".into(),
                pos: Pos::None,
                message: "no files given".into(),
            });
        }
        return Err(LoadError {
            problems: diagnostics,
        });
    }
    Ok(build::build(loads, diagnostics))
}

fn load_item(
    item: &Item,
    opts: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<FileLoad, Diagnostic> {
    let fail = |path: &Path, msg: String| Diagnostic {
        path: path.display().to_string(),
        pos: Pos::None,
        message: msg,
    };
    match item {
        Item::MlflowDir(dir) => mlflow::load_dir(dir).map_err(|msg| fail(dir, msg)),
        Item::File { path, explicit } => {
            let name = path.display().to_string();
            let input = Input::open_reporting(path, &decompressing(&name, progress))
                .map_err(|e| fail(path, format!("cannot read: {e}")))?;
            let result = load_input(&input, opts, progress);
            match result {
                Err(msg) if !explicit => Err(fail(path, format!("skipped: {msg}"))),
                Err(msg) => Err(fail(path, msg)),
                Ok(l) => Ok(l),
            }
        }
    }
}

/// Detects the format of one input and loads it. Errors are a one-line reason.
fn load_input(
    input: &Input,
    opts: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<FileLoad, String> {
    let head = input.head(SNIFF).map_err(|e| format!("cannot read: {e}"))?;
    let text = skip_bom_ws(&head);
    if text.is_empty() {
        return Err("empty file".into());
    }
    let path = input.display();
    // A spooled file that is not JSON Lines is read whole: show its decompression.
    let whole = || {
        let report = decompressing(&path, progress);
        input
            .finish_reporting(&report)
            .map_err(|e| format!("cannot read: {e}"))
    };
    if head.starts_with(b"PAR1") {
        whole()?;
        return parquet::load(input, opts, progress);
    }
    if !matches!(text[0], b'{' | b'[') {
        return Err(describe_non_json(text));
    }
    let suffix = input
        .compression()
        .map(|c| format!(", {c}"))
        .unwrap_or_default();
    if is_json_lines(text, input.longer_than(head.len())) {
        let first = first_line(text);
        let fmt = opts
            .format
            .or_else(|| detect_line(first, input))
            .ok_or_else(|| unknown(text))?;
        return load_lines(input, fmt, opts, (&path, &suffix), progress);
    }
    whole()?;
    load_document(input, opts, &path, &suffix)
}

/// Reports decompression progress (compressed bytes read, of how many) for `path`.
fn decompressing<'a>(
    path: &'a str,
    progress: &'a (dyn Fn(Progress) + Sync),
) -> impl Fn(u64, u64) + 'a {
    move |done, total| {
        let p = Progress::bytes(path, done, total);
        progress(Progress {
            decompressing: true,
            ..p
        })
    }
}

/// Loads a JSON Lines file of format `fmt` (OTLP requests or one record per line), every
/// line on its own, streamed and in parallel.
fn load_lines(
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
fn load_document(
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

/// Loads one top-level value of format `fmt`: an array is a list of records.
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

/// Sends one JSON object to its format's loader.
pub(crate) fn dispatch(fmt: Format, sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    match fmt {
        Format::Otlp => {
            if let Err(e) = otlp::parse_request(ctx, raw.get(), seq, &mut sink.batch) {
                sink.batch.diag(
                    ctx.path,
                    ctx.line_of(raw),
                    format!("skipped: {}", short_error(&e)),
                );
            }
        }
        Format::PhoenixOtlpV1
        | Format::PhoenixSpans
        | Format::PhoenixRest
        | Format::PhoenixAnnotations => phoenix::load(fmt, sink, ctx, raw, seq),
        Format::MlflowTrace
        | Format::MlflowTraceData
        | Format::MlflowSearchTraces
        | Format::MlflowDir => mlflow::load(fmt, sink, ctx, raw, seq),
        Format::Langfuse => langfuse::load(sink, ctx, raw, seq),
        Format::Langsmith => langsmith::load(sink, ctx, raw, seq),
        Format::OtelConsole | Format::OtelJs => console::load(fmt, sink, ctx, raw, seq),
        Format::Attributes => attrmap::load(sink, ctx, raw, seq),
    }
}

/// A serde_json error without its position (positions are reported separately).
pub fn short_error(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}
