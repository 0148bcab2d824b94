//! JSON Lines files and JSON documents of records: every line, array element or value is
//! one record for its format's loader, and they are loaded in parallel pieces, each with
//! an arena of its own for text a loader has to write.

use super::arrays;
use super::input::Input;
use super::json::{self, Ctx};
use super::line_pieces::LineFn;
use super::lines;
use super::salvage::{self, Problem};
use super::sniff::{classify_value, unknown};
use super::{
    Format, LoadOptions, Progress, Sink, dispatch, is_empty_object, langsmith, mlflow, otlp,
    short_error,
};
use crate::model::{Batch, FileLoad, Pos};
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

pub(super) fn otlp_line(ctx: &Ctx, line: &str, at: u64, sink: &mut Sink) {
    if is_empty_object(line) {
        let msg = "empty record `{}`: nothing to load";
        return sink.batch.diag(ctx.path, Pos::Byte(at), msg);
    }
    otlp::parse_request_salvaging(ctx, line, at << 16, &mut sink.batch, "line");
}

/// One record of a JSON Lines export. PERF: the order key leaves room for the 2^20 spans a
/// record (a whole MLflow trace) may hold before the next line's keys begin.
pub(super) fn record_line(fmt: Format, ctx: &Ctx, line: &str, at: u64, sink: &mut Sink) {
    if is_empty_object(line) {
        let msg = "empty record `{}`: nothing to load";
        return sink.batch.diag(ctx.path, Pos::Byte(at), msg);
    }
    // PERF: a line that is a whole MLflow trace is read in one pass, not checked first.
    if fmt == Format::MlflowTrace && mlflow::load_text(sink, ctx, line, at << 20) {
        return;
    }
    if fmt == Format::Langsmith && langsmith::load_line_fast(sink, ctx, line, at << 20) {
        return;
    }
    match serde_json::from_str::<&RawValue>(line) {
        Ok(raw) => dispatch(fmt, sink, ctx, raw, at << 20),
        Err(e) => record_line_salvaged(fmt, ctx, line, at, sink, &e),
    }
}

/// A line that is not valid JSON (cut short, a stray byte): what is sound in it loads.
fn record_line_salvaged(
    fmt: Format,
    ctx: &Ctx,
    line: &str,
    at: u64,
    sink: &mut Sink,
    e: &serde_json::Error,
) {
    let skip = |sink: &mut Sink| {
        let msg = format!("skipped: {}", short_error(e));
        sink.batch.diag(ctx.path, Pos::Byte(at), msg);
    };
    let bytes = line.as_bytes();
    let Some(r) = salvage::repair(bytes, Problem::of(bytes, e), salvage::check_json) else {
        return skip(sink);
    };
    let sub = ctx.over_copy(line, &r.text);
    let parsed = std::str::from_utf8(&r.text)
        .ok()
        .and_then(|t| serde_json::from_str::<&RawValue>(t).ok());
    let Some(raw) = parsed else {
        return skip(sink);
    };
    let (mark, before) = (sink.batch.mark(), sink.batch.spans.len());
    dispatch(fmt, sink, &sub, raw, at << 20);
    if sink.batch.spans.len() > before {
        let original = ctx.over_copy(line, bytes);
        return salvage::report(&mut sink.batch, &original, &r.losses, "line");
    }
    // Nothing sound in it: one reason, not the repaired record's complaints.
    sink.batch.rollback(mark);
    skip(sink);
}

/// Loads a document: one JSON value, or several back to back (console exporter output).
/// A byte-order mark is skipped; a damaged document is repaired and what is sound loads.
pub(super) fn load_document(
    input: &Input,
    opts: &LoadOptions,
    path: &str,
    suffix: &str,
) -> Result<FileLoad, String> {
    let buf = input.whole().map_err(|e| format!("cannot read: {e}"))?;
    let bom = if buf.starts_with(BOM) { BOM.len() } else { 0 };
    // Offsets stay those of the file: text references resolve against the input itself.
    let ctx = Ctx {
        in_place: true,
        ..Ctx::new(&buf[bom..], bom as u64, 0, path)
    };
    let release = |a: usize, b: usize| buf.release_inside(bom + a, bom + b);
    load_text(input, opts, &ctx, suffix, Some(&release))
}

/// Gives back the pages of the document's bytes `[a, b)` (offsets in `ctx.buf`), read or
/// parsed. PERF: a document of 4 GB (MLflow `search_traces` records of a million spans)
/// was resident whole until its end, 1.6x the file at the peak with what it loaded.
pub(super) type Release<'r> = dyn Fn(usize, usize) + Sync + 'r;

/// The UTF-8 byte-order mark some Windows tools write first.
pub(super) const BOM: &[u8] = b"\xef\xbb\xbf";

/// Loads the document in `ctx.buf`; with `release` (a document read from its input, not a
/// repaired copy), a text that is not valid JSON is repaired (`salvage`) and loaded
/// again, each loss a warning.
fn load_text(
    input: &Input,
    opts: &LoadOptions,
    ctx: &Ctx,
    suffix: &str,
    release: Option<&Release>,
) -> Result<FileLoad, String> {
    let path = ctx.path;
    let (repair, release) = (release.is_some(), release.unwrap_or(&|_, _| {}));
    if let Some(load) = load_one_array(input, opts, ctx, suffix, release) {
        return Ok(load);
    }
    let buf = ctx.buf;
    let mut sink = Sink::default();
    let mut parts = Vec::new();
    let mut fmt = opts.format;
    let mut values = 0u64;
    let mut unknown_shape = None;
    let result = json::for_each_value(buf, |raw| {
        values += 1;
        let detected = fmt.or_else(|| classify_value(raw));
        let Some(f) = detected else {
            unknown_shape.get_or_insert_with(|| unknown(raw.get().as_bytes()));
            return;
        };
        fmt = Some(f);
        load_value(f, (&mut sink, &mut parts), ctx, raw, values << 32, release);
    });
    if let Err(e) = result {
        if repair && let Some(load) = load_repaired(input, opts, ctx, suffix, &e) {
            return load;
        }
        if values == 0 && fmt.is_none() {
            return Err(format!(
                "not a trace file: not valid JSON ({} at {})",
                short_error(&e),
                ctx.pos_at(Problem::of(buf, &e).at)
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

/// A document that is not valid JSON (cut short, a stray byte, a broken string): repaired
/// in a copy with the same offsets, loaded, and each loss reported where it was.
/// `None` when it cannot be repaired.
fn load_repaired(
    input: &Input,
    opts: &LoadOptions,
    ctx: &Ctx,
    suffix: &str,
    err: &serde_json::Error,
) -> Option<Result<FileLoad, String>> {
    let first = Problem::of(ctx.buf, err);
    let repaired = salvage::repair(ctx.buf, first, salvage::check_json)?;
    let fixed = Ctx {
        buf: &repaired.text,
        in_place: false,
        repaired: true,
        ..*ctx
    };
    let mut load = match load_text(input, opts, &fixed, suffix, None) {
        Ok(load) => load,
        Err(e) => return Some(Err(e)),
    };
    let mut batch = Batch::default();
    salvage::report(&mut batch, ctx, &repaired.losses, "file");
    load.batches.push(batch);
    Some(Ok(load))
}

fn doc_suffix(suffix: &str) -> String {
    if suffix.is_empty() {
        String::new()
    } else {
        format!(" ({})", suffix.trim_start_matches(", "))
    }
}

/// A document that is one array of records, loaded by `arrays::one_array`; `None` for
/// anything else, which the general path reads and says what it found.
fn load_one_array(
    input: &Input,
    opts: &LoadOptions,
    ctx: &Ctx,
    suffix: &str,
    release: &Release,
) -> Option<FileLoad> {
    let (fmt, parts) = arrays::one_array(opts, ctx, release)?;
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
    release: &Release,
) {
    if !raw.get().starts_with('[') {
        return dispatch(fmt, sink, ctx, raw, seq);
    }
    // Elements borrow from `raw`, which borrows from `ctx.buf`: offsets stay valid.
    let mut elements = Vec::new();
    let r = json::for_each_element(raw.get().as_bytes(), |el| elements.push(el));
    arrays::load_elements(fmt, parts, ctx, &elements, seq, release);
    if let Err(e) = r {
        let n = elements.len() + 1;
        let msg = format!("array element {n} and later skipped: {}", short_error(&e));
        sink.batch.diag(ctx.path, ctx.line_of(raw), msg);
    }
}
