//! Loading trace exports: expand paths, detect each file's format from its content, parse
//! it into batches, and build one `TraceSet`. Bad input never panics: a file that cannot be
//! read or recognised becomes a diagnostic naming it, a partly bad file loads what is good.
//!
//! Loaders never import the UI.

mod arrays;
mod attrmap;
mod console;
mod fast_fields;
mod in_input;
#[cfg(test)]
pub(crate) mod mutate;
pub use spanlens_json as fastjson;
pub mod follow;
pub mod format;
pub mod input;
pub mod json;
mod langfuse;
mod langsmith;
mod line_pieces;
pub mod lines;
pub mod live;
mod mlflow;
pub mod otlp;
mod parquet;
mod phoenix;
mod piece_shape;
pub mod preview;
mod records;
pub mod salvage;
mod sink;
mod sniff;
mod spool;
mod walk;

pub use format::Format;
pub use sink::{ARENA_SRC, Sink};

use crate::model::{Diagnostic, FileLoad, Pos, TraceSet, build};
use input::Input;
use json::Ctx;
use rayon::prelude::*;
use serde_json::value::RawValue;
use sniff::{describe_non_json, is_json_lines, skip_bom_ws, unknown};
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
    /// Hold all text in memory, even the long parquet cells that are otherwise left in the
    /// file and decoded when read (`SPANLENS_PARQUET_HOLD=1`; for comparing the two).
    pub hold_text: bool,
    /// Most bytes a compressed input may decompress to (`--max-decompressed`); `None`
    /// stops what looks like a decompression bomb (see `input::Budget`).
    pub max_decompressed: Option<u64>,
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
            Ok(l) if loaded_nothing(&l) => diagnostics.extend(nothing_loaded(l)),
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
    let set = build::build(loads, diagnostics);
    crate::timing::slow_paths(&set.slow_paths);
    Ok(set)
}

/// A file read without error that gave no span and no assessment: it counts as not
/// loaded (so a run where nothing else loads exits 2), and says so.
fn loaded_nothing(l: &FileLoad) -> bool {
    l.batches
        .iter()
        .all(|b| b.spans.is_empty() && b.assessments.is_empty())
}

/// The problems of a file that loaded nothing: its own warnings, then why.
fn nothing_loaded(l: FileLoad) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = l.batches.into_iter().flat_map(|b| b.diagnostics).collect();
    let why = if out.is_empty() {
        format!("no spans found (read as {})", l.format)
    } else {
        format!(
            "no spans loaded (read as {}; see the warnings above)",
            l.format
        )
    };
    out.push(Diagnostic {
        path: l.path,
        pos: Pos::None,
        message: why,
    });
    out
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
            let budget = input::Budget {
                max: opts.max_decompressed,
            };
            let input = Input::open_with(path, budget)
                .map_err(|e| fail(path, format!("cannot read: {e}")))?;
            let result = load_input(&input, opts, progress);
            let cut = input.cut().map(|c| cut_warning(&input, &c));
            match (result, cut) {
                (Err(msg), cut) => {
                    let msg = match cut {
                        Some(d) => format!("{msg} ({})", d.message),
                        None => msg,
                    };
                    let skipped = if *explicit { "" } else { "skipped: " };
                    Err(fail(path, format!("{skipped}{msg}")))
                }
                (Ok(mut l), Some(d)) => {
                    let mut batch = crate::model::Batch::default();
                    batch.diagnostics.push(d);
                    l.batches.push(batch);
                    Ok(l)
                }
                (Ok(l), None) => Ok(l),
            }
        }
    }
}

/// The warning for a compressed input that broke off: where, and that what came before
/// it was loaded.
fn cut_warning(input: &Input, cut: &input::Cut) -> Diagnostic {
    let kind = input.compression().unwrap_or("compressed");
    Diagnostic {
        path: input.display(),
        pos: Pos::Byte(cut.at),
        message: format!(
            "the {kind} stream breaks off at compressed byte {} ({}): loaded the {} bytes that decompressed before it",
            cut.compressed_at, cut.why, cut.at
        ),
    }
}

/// Detects the format of one input and loads it. Errors are a one-line reason.
fn load_input(
    input: &Input,
    opts: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<FileLoad, String> {
    let cannot = |e: std::io::Error| format!("cannot read: {e}");
    let mut head = input.head(SNIFF).map_err(cannot)?;
    let mut sniffed = head.len();
    if skip_bom_ws(&head).is_empty() && head.len() == SNIFF {
        // More blank lines than the sniff window: look from the first text on.
        let Some(at) = input.first_content().map_err(cannot)? else {
            return Err("empty file (only white space)".into());
        };
        head = input.read_at(at, SNIFF).map_err(cannot)?;
        sniffed = at as usize + head.len();
    }
    let text = skip_bom_ws(&head);
    if text.is_empty() {
        return Err(match input.len_so_far() {
            0 => "empty file".into(),
            _ => "empty file (only white space)".into(),
        });
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
    if let Some(at) = salvage::too_deep(text) {
        let at = head.len() - text.len() + at;
        return Err(format!(
            "not a trace file: JSON nested deeper than {} levels (at byte {at})",
            salvage::MAX_DEPTH
        ));
    }
    let lines =
        is_json_lines(text, input.longer_than(sniffed)) || sniff::lines_past_bad_first(text);
    if (!matches!(text[0], b'{' | b'[') || sniff::looks_binary(text)) && !lines {
        return Err(describe_non_json(text));
    }
    let suffix = input
        .compression()
        .map(|c| format!(", {c}"))
        .unwrap_or_default();
    if lines {
        let fmt = opts
            .format
            .or_else(|| sniff::detect_lines(text, input))
            .ok_or_else(|| unknown(text))?;
        return records::load_lines(input, fmt, opts, (&path, &suffix), progress);
    }
    whole()?;
    records::load_document(input, opts, &path, &suffix)
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

/// Sends one JSON object to its format's loader.
pub(crate) fn dispatch(fmt: Format, sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    if is_empty_object(raw.get()) {
        let msg = "empty record `{}`: nothing to load";
        return sink.batch.diag(ctx.path, ctx.line_of(raw), msg);
    }
    match fmt {
        Format::Otlp => {
            otlp::parse_request_salvaging(ctx, raw.get(), seq, &mut sink.batch, "request");
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

/// `{}`, with any white space inside.
fn is_empty_object(text: &str) -> bool {
    let t = text.trim();
    t.len() < 64 && t.starts_with('{') && t.ends_with('}') && t[1..t.len() - 1].trim().is_empty()
}

/// A serde_json error without its position (positions are reported separately).
pub fn short_error(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}
