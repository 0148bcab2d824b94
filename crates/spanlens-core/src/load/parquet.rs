//! Parquet exports (`DataFrame.to_parquet()` of MLflow `search_traces`, Phoenix spans and
//! annotations, LangSmith runs, Langfuse observations): the flavour is told from the
//! column names. Phoenix spans (the bulky, common case) are read column by column
//! (`columns`); each row of the other flavours becomes the JSON record the format's JSON
//! loader reads.
//!
//! Why JSON for the others: the same DataFrames are exported as `to_json(orient="records")`
//! too, so one loader per format serves both, and text references point at real bytes
//! (each row is written to the file's arena). Rows are read in bounded record batches.

mod cells;
mod columns;
#[cfg(test)]
mod columns_vs_records;
mod live;
#[cfg(test)]
mod live_tests;
mod open;
mod quiet;
mod report;
mod row_json;
#[cfg(test)]
mod trace_vs_records;

use super::format::{self, Format};
use super::input::Input;
use super::json::{Ctx, RawObject};
use super::{ARENA_SRC, LoadOptions, Progress, Sink, dispatch};
use crate::model::{FileLoad, Pos};
use arrow_array::RecordBatch;
use live::Held;
use open::{Reader, check_metadata, open};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use parquet::file::metadata::ParquetMetaData;
use report::Report;
use serde_json::value::RawValue;
use std::sync::Arc;

/// Most rows per record batch: enough to amortise decoding, small enough to bound memory.
const BATCH_ROWS: usize = 8192;

/// About the bytes of column data a record batch holds (from the footer's uncompressed
/// sizes). PERF: a batch of 8192 `search_traces` rows held 69 MB of `trace` text, and a
/// load holds up to `2 * GROUP + 1` batches at once.
const BATCH_BYTES: u64 = 8 << 20;

/// Most parts (record batches, each with its own source number) a file is loaded in:
/// source numbers are `u16` across every file of a load.
const MAX_PARTS: u64 = 4096;

/// MLflow columns that duplicate what the `trace` column holds (and are the bulky ones:
/// `spans` is a list of union-of-keys structs). Not read when `trace` is there.
const MLFLOW_DUPLICATES: [&str; 7] = [
    "spans",
    "request",
    "response",
    "assessments",
    "trace_metadata",
    "tags",
    "request_metadata",
];

/// Reads a parquet input. `opts.format` overrides detection from the column names.
pub fn load(
    input: &Input,
    opts: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<FileLoad, String> {
    // The parquet crate asserts on some malformed metadata; `check_metadata` rules out the
    // known cases, and this turns any other into an error for this file alone, on one
    // line (the panic's message and backtrace are not printed).
    let read = || read(input, opts, progress);
    quiet::catch(read).unwrap_or_else(|msg| {
        Err(format!(
            "cannot read parquet: the reader failed on damaged data ({msg})"
        ))
    })
}

fn read(
    input: &Input,
    opts: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<FileLoad, String> {
    let (reader, meta) = open(input)?;
    check_metadata(meta.metadata(), input.len())?;
    let names = column_names(meta.schema());
    let rows = meta.metadata().file_metadata().num_rows().max(0) as u64;
    let group_rows: Vec<u64> = (meta.metadata().row_groups().iter())
        .map(|rg| rg.num_rows().max(0) as u64)
        .collect();
    let fmt = match opts.format.or_else(|| flavour(&names)) {
        Some(f) => f,
        None => return Err(unknown_columns(&names)),
    };
    let keep: Vec<usize> = (0..names.len())
        .filter(|&i| !skipped(fmt, &names, &names[i]))
        .collect();
    let cells = (!opts.hold_text)
        .then(|| kept_cells(fmt, &reader, &meta, &names))
        .flatten();
    let batch_rows = batch_rows(meta.metadata(), &keep);
    let mask = ProjectionMask::roots(meta.parquet_schema(), keep);
    let batches = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, meta)
        .with_batch_size(batch_rows)
        .with_projection(mask)
        .build()
        .map_err(|e| format!("cannot read parquet: {e}"))?;
    let path = input.display();
    let mut sink = Sink::default();
    let report = Report {
        input,
        path: &path,
        rows,
        format: format!("{} (parquet, loading)", fmt.name()),
        preview: opts.preview.as_deref(),
        progress,
    };
    let parts = read_rows(
        (batches, &group_rows),
        fmt,
        cells.as_ref(),
        &mut sink,
        &report,
    )?;
    let suffix = input
        .compression()
        .map(|c| format!(", {c}"))
        .unwrap_or_default();
    let format = format!("{} (parquet{suffix})", fmt.name());
    Ok(sink.into_load_parts(input, format, parts))
}

/// Rows per record batch for about `BATCH_BYTES` of the columns read (`roots`), between
/// the number that keeps to `MAX_PARTS` and `BATCH_ROWS`.
fn batch_rows(md: &ParquetMetaData, roots: &[usize]) -> usize {
    let descr = md.file_metadata().schema_descr();
    let rows = md.file_metadata().num_rows().max(1) as u64;
    let read = |leaf: usize| roots.contains(&descr.get_column_root_idx(leaf));
    let bytes: u64 = (md.row_groups().iter())
        .flat_map(|g| g.columns().iter().enumerate())
        .filter(|(leaf, _)| read(*leaf))
        .map(|(_, c)| c.uncompressed_size().max(0) as u64)
        .sum();
    let per_row = (bytes / rows).max(1);
    let fewest = rows.div_ceil(MAX_PARTS).min(BATCH_ROWS as u64);
    (BATCH_BYTES / per_row).clamp(fewest.max(1), BATCH_ROWS as u64) as usize
}

fn column_names(schema: &arrow_schema::Schema) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

/// The long text cells of a Phoenix span table, or MLflow's `trace` column, left in the
/// file (`cells`).
fn kept_cells(
    fmt: Format,
    reader: &Reader,
    meta: &ArrowReaderMetadata,
    names: &[String],
) -> Option<Arc<cells::FileCells>> {
    let text: Vec<&str> = match fmt {
        Format::PhoenixSpans => (names.iter())
            .filter(|n| columns::is_attribute_column(n))
            .map(String::as_str)
            .collect(),
        Format::MlflowSearchTraces => vec!["trace"],
        _ => return None,
    };
    let _t = crate::timing::phase("parquet: locate pages");
    cells::FileCells::locate(reader, meta, &text).map(Arc::new)
}

/// The export a set of columns comes from (formats.md §7, step 1).
fn flavour(names: &[String]) -> Option<Format> {
    let has = |c: &str| names.iter().any(|n| n == c);
    let mlflow3 = has("trace_id") && has("request_time");
    let mlflow2 = has("request_id") && has("timestamp_ms");
    if mlflow3 || mlflow2 || has("trace") && (has("trace_id") || has("request_id")) {
        return Some(Format::MlflowSearchTraces);
    }
    if has("context.span_id") || has("span_kind") {
        return Some(Format::PhoenixSpans);
    }
    if has("annotation_name") {
        return Some(Format::PhoenixAnnotations);
    }
    if has("run_type") && (has("dotted_order") || has("trace_id")) {
        return Some(Format::Langsmith);
    }
    if has("trace_id") && has("parent_observation_id") {
        return Some(Format::Langfuse);
    }
    // Anything else: the JSON record rules, applied to a record with these keys.
    let keys: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|n| (n.clone(), serde_json::Value::Null))
        .collect();
    let text = serde_json::Value::Object(keys).to_string();
    let obj: RawObject = serde_json::from_str(&text).ok()?;
    format::classify(&obj)
}

/// Columns not read: MLflow's duplicates of its `trace` column.
fn skipped(fmt: Format, names: &[String], name: &str) -> bool {
    fmt == Format::MlflowSearchTraces
        && names.iter().any(|n| n == "trace")
        && MLFLOW_DUPLICATES.contains(&name)
}

fn unknown_columns(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
    let more = if names.len() > shown.len() {
        ", …"
    } else {
        ""
    };
    format!(
        "a parquet file whose columns match no trace export spanlens knows (columns: {}{more})",
        shown.join(", ")
    )
}

/// Record batches decoded before their rows are loaded in parallel (one part each).
const GROUP: usize = 4;

/// Reads every record batch; an error before the first row fails the file, a later one
/// keeps the rows read so far and says where it stopped. Batches are decoded in order
/// and their rows loaded in parallel, each batch into a part with its own arena source.
///
/// Decoding runs on its own thread, a few batches ahead: it is serial, and would otherwise
/// leave the cores idle between groups (it is as much work as loading the rows).
fn read_rows(
    (mut reader, group_rows): (ParquetRecordBatchReader, &[u64]),
    fmt: Format,
    cells: Option<&Arc<cells::FileCells>>,
    sink: &mut Sink,
    report: &Report,
) -> Result<Vec<Sink>, String> {
    let (tx, rx) = std::sync::mpsc::sync_channel(GROUP);
    let live = live::Live::default();
    let live = &live;
    let parts = std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut rows = 0u64;
            loop {
                // A panic in the reader (damaged pages) ends the file with an error naming
                // the row group it was in.
                let batch = match quiet::catch(|| reader.next()) {
                    Ok(None) => break,
                    Ok(Some(b)) => b.map(|b| live.hold(b)),
                    Err(msg) => Err(arrow_schema::ArrowError::ExternalError(
                        damaged(group_rows, rows, &msg).into(),
                    )),
                };
                let failed = batch.is_err();
                rows += batch.as_ref().map_or(0, |b| b.batch.num_rows() as u64);
                // The receiver is gone when loading stopped early: stop decoding too.
                if tx.send(batch).is_err() || failed {
                    break;
                }
            }
        });
        load_batches(rx.into_iter(), fmt, cells, sink, report)
    });
    crate::timing::note(|| format!("parquet: at most {} record batches held", live.most()));
    #[cfg(test)]
    live::MOST.set(live.most());
    parts
}

/// The error for a reader that failed after `rows` rows: the row group it was reading.
fn damaged(group_rows: &[u64], rows: u64, msg: &str) -> String {
    let mut end = 0u64;
    let group = group_rows.iter().position(|&n| {
        end += n;
        rows < end
    });
    match group {
        Some(g) => format!("damaged data in row group {g} (the reader failed: {msg})"),
        None => format!("damaged data after row {rows} (the reader failed: {msg})"),
    }
}

/// Loads decoded batches in groups (see `read_rows`).
fn load_batches<'a>(
    batches: impl Iterator<Item = Result<Held<'a>, arrow_schema::ArrowError>>,
    fmt: Format,
    cells: Option<&Arc<cells::FileCells>>,
    sink: &mut Sink,
    report: &Report,
) -> Result<Vec<Sink>, String> {
    let path = report.path;
    let mut parts = Vec::new();
    let mut group: Vec<(Held, u64)> = Vec::new();
    let mut row_no = 0u64;
    for (n, batch) in batches.enumerate() {
        let batch = match batch {
            Ok(b) => b,
            Err(e) if row_no == 0 => return Err(format!("cannot read parquet: {e}")),
            Err(e) => {
                let msg = format!("stopped reading: {e}");
                sink.batch.diag(path, Pos::Record(row_no + 1), msg);
                break;
            }
        };
        if n == 0 {
            warn_unsupported(sink, path, &batch.batch);
        }
        let rows = batch.batch.num_rows() as u64;
        group.push((batch, row_no));
        row_no += rows;
        if group.len() == GROUP {
            let fresh = load_group(&mut group, fmt, cells, path, &mut parts);
            report.group_done(&parts, fresh, row_no);
        }
    }
    let fresh = load_group(&mut group, fmt, cells, path, &mut parts);
    report.group_done(&parts, fresh, row_no);
    if row_no == 0 {
        sink.batch
            .diag(path, Pos::None, "the parquet file has no rows");
    }
    Ok(parts)
}

/// Loads the rows of a group of batches, one part per batch, on every core. Returns how
/// many parts it added.
fn load_group(
    group: &mut Vec<(Held, u64)>,
    fmt: Format,
    cells: Option<&Arc<cells::FileCells>>,
    path: &str,
    parts: &mut Vec<Sink>,
) -> usize {
    use rayon::prelude::*;
    let first_src = ARENA_SRC as usize + 1 + parts.len();
    let loaded: Vec<Sink> = group
        .par_iter()
        .enumerate()
        .map(|(i, (held, first_row))| {
            let batch = &held.batch;
            let mut part = Sink {
                src: u16::try_from(first_src + i).unwrap_or(u16::MAX),
                ..Sink::default()
            };
            match fmt {
                Format::PhoenixSpans => {
                    let kept = cells.map(Arc::as_ref);
                    columns::load_batch(&mut part, path, batch, *first_row, kept);
                    part.cells = cells.map(|c| Arc::clone(c) as Arc<dyn crate::model::Cells>);
                }
                _ => {
                    let kept = cells.filter(|c| c.kept("trace") == Some(0));
                    load_records(&mut part, (fmt, path), batch, *first_row, kept);
                }
            }
            part
        })
        .collect();
    let fresh = loaded.len();
    parts.extend(loaded);
    group.clear();
    fresh
}

/// Loads the rows of a batch; `first_row` rows come before it. An MLflow row with a
/// `trace` text cell is loaded from the cell itself; any other row as its JSON record.
/// With `kept` (the file's `trace` column, its first kept one), each span's text is then
/// read from the file when shown, not held.
///
/// PERF: the row's JSON record held the `trace` cell escaped, and was stashed in the
/// arena beside the unescaped copy the MLflow loader parses: at 1M spans 2.2 GB held
/// for nothing, and the escaping and unescaping were a third of the load. The copy of the
/// cell itself was then most of what was left (1.9 GB).
fn load_records(
    part: &mut Sink,
    (fmt, path): (Format, &str),
    batch: &RecordBatch,
    first_row: u64,
    kept: Option<&Arc<cells::FileCells>>,
) {
    let names = column_names(&batch.schema());
    let trace = trace_column(fmt, &names, batch);
    let mut buf = Vec::new();
    for r in 0..batch.num_rows() {
        let row_no = first_row + r as u64 + 1;
        let Some((_, text)) = trace.filter(|(a, _)| !a.is_null(r)) else {
            load_row(part, fmt, path, (&names, batch, r), row_no, &mut buf);
            continue;
        };
        let before = super::in_input::Before::of(part);
        load_trace_cell(part, path, text.value(r), row_no);
        // Row `row_no` counts from 1; the file's rows from 0.
        let place = |off: usize, _| cells::FileCells::part_of_cell(row_no - 1, off);
        if let Some(kept) = kept
            && super::in_input::move_out(part, before, &place)
        {
            part.cells = Some(Arc::clone(kept) as Arc<dyn crate::model::Cells>);
        }
    }
}

/// Every row of a batch as its JSON record (the way rows without a `trace` cell go; the
/// tests compare `load_records` with it).
#[cfg(test)]
fn load_records_as_json(
    part: &mut Sink,
    fmt: Format,
    path: &str,
    batch: &RecordBatch,
    first_row: u64,
) {
    let names = column_names(&batch.schema());
    let mut buf = Vec::new();
    for r in 0..batch.num_rows() {
        let row_no = first_row + r as u64 + 1;
        load_row(part, fmt, path, (&names, batch, r), row_no, &mut buf);
    }
}

/// The `trace` column of an MLflow batch, when it is the only column of that name and
/// holds text: its rows are what `mlflow::load` reads of a record with it.
fn trace_column<'a>(
    fmt: Format,
    names: &[String],
    batch: &'a RecordBatch,
) -> Option<(&'a dyn arrow_array::Array, columns::Text<'a>)> {
    let mut at = names.iter().enumerate().filter(|(_, n)| *n == "trace");
    let (i, _) = at.next().filter(|_| fmt == Format::MlflowSearchTraces)?;
    if at.next().is_some() {
        return None;
    }
    let array = batch.column(i).as_ref();
    columns::Text::of(array).map(|t| (array, t))
}

/// One row's `trace` cell, as `load_row` would load its record: messages name the row.
fn load_trace_cell(sink: &mut Sink, path: &str, text: &str, row_no: u64) {
    let before = sink.batch.diagnostics.len();
    let pos = Pos::Record(row_no);
    super::mlflow::load_trace_cell(sink, path, text, || pos, row_no << 24);
    for d in &mut sink.batch.diagnostics[before..] {
        d.pos = pos;
    }
}

fn warn_unsupported(sink: &mut Sink, path: &str, batch: &RecordBatch) {
    for f in batch.schema().fields() {
        if !row_json::supported(f.data_type(), 0) {
            let msg = format!(
                "column {:?} has a type spanlens does not read ({}); shown as null",
                f.name(),
                f.data_type()
            );
            sink.batch.diag(path, Pos::None, msg);
        }
    }
}

/// Writes one row into the arena and hands it to the format's loader. The row is parsed
/// from a local copy of exactly the bytes stashed at `base`, so the loader's text
/// references (source `sink.src`, `base` + offset) point at the same bytes.
fn load_row(
    sink: &mut Sink,
    fmt: Format,
    path: &str,
    (names, batch, r): (&[String], &RecordBatch, usize),
    row_no: u64,
    buf: &mut Vec<u8>,
) {
    buf.clear();
    row_json::write_row(buf, names, batch.columns(), r);
    buf.push(b'\n');
    let base = sink.stash(buf);
    let raw: &RawValue = match serde_json::from_slice(buf) {
        Ok(raw) => raw,
        Err(e) => {
            let msg = format!("row skipped: {}", super::short_error(&e));
            sink.batch.diag(path, Pos::Record(row_no), msg);
            return;
        }
    };
    let ctx = Ctx::new(buf, base, sink.src, path);
    let before = sink.batch.diagnostics.len();
    dispatch(fmt, sink, &ctx, raw, row_no << 24);
    // Lines within a one-line row mean nothing to the user: name the row instead.
    for d in &mut sink.batch.diagnostics[before..] {
        d.pos = Pos::Record(row_no);
    }
}
