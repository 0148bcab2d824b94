//! MLflow `search_traces()` rows: the `trace` column (a whole `Trace.to_json()`, as a JSON
//! string, an object, or a parquet text cell), or the `spans` column when there is none.

use super::{fast_walk, load_spans, load_trace, trace_state};
use crate::load::fast_fields::top_member;
use crate::load::fastjson;
use crate::load::json::{Ctx, RawObject, is_null, raw_array};
use crate::load::{Sink, in_input, short_error};
use crate::model::{Pos, TraceInfo, ids};
use serde_json::value::RawValue;

/// The JSON text of the first `trace` member of the row `text`, as `RawObject::get` finds
/// it; `None` when the fast reader is off, the row has none, or it is not an object that
/// reader reads whole (an escaped key, bad JSON), for the `RawObject` way to read.
pub(super) fn row_trace(text: &str) -> Option<&str> {
    top_member(text, "trace")?.0
}

/// One `search_traces()` row: the `trace` column holds the whole `Trace.to_json()`; rows
/// without it fall back to the `spans` column.
pub(super) fn load_row(sink: &mut Sink, ctx: &Ctx, o: &RawObject, raw: &RawValue, seq: u64) {
    match o.get("trace").filter(|t| !is_null(t)) {
        Some(t) if t.get().starts_with('"') => load_trace_string(sink, ctx, t.get(), seq),
        Some(t) => match RawObject::parse(t) {
            Some(doc) => load_trace(sink, ctx, &doc, seq),
            None => sink.batch.diag(
                ctx.path,
                ctx.line_of(raw),
                "row skipped: `trace` is not a trace",
            ),
        },
        None => load_row_spans(sink, ctx, o, seq),
    }
}

/// A trace serialised into a string column: unescape it, then load it as a cell. Read from
/// the input itself, the decoded copy is dropped once loaded (`in_input`).
pub(super) fn load_trace_string(sink: &mut Sink, ctx: &Ctx, literal: &str, seq: u64) {
    // The raw value is a valid JSON string (no control characters), whose contents
    // `unescape_mapped` decodes exactly as serde_json does, or refuses.
    let mapped = (ctx.in_place && literal.len() >= 2)
        .then(|| spanlens_json::unescape_mapped(&literal[1..literal.len() - 1]))
        .flatten();
    let (text, shifts) = match mapped {
        Some((text, shifts)) => (text, Some(shifts)),
        None => match serde_json::from_str::<String>(literal) {
            Ok(s) => (s, None),
            Err(e) => {
                let msg = format!("row skipped: {}", short_error(&e));
                return sink.batch.diag(ctx.path, ctx.line_of_text(literal), msg);
            }
        },
    };
    let before = in_input::Before::of(sink);
    load_trace_cell(sink, ctx.path, &text, || ctx.line_of_text(literal), seq);
    drop(text);
    if let Some(shifts) = shifts {
        in_input::leave_in_input(sink, before, ctx, literal, &shifts);
    }
}

/// The text of a `trace` cell (a whole `Trace.to_json()`): copied to the arena and parsed
/// there, so its text references point at real bytes. `pos` gives where a message about
/// the cell points (only asked for one: finding a line scans the text before it).
/// Parquet rows call this straight from the arrow cell (no row JSON).
pub fn load_trace_cell(
    sink: &mut Sink,
    path: &str,
    text: &str,
    pos: impl FnOnce() -> Pos,
    seq: u64,
) {
    let base = sink.stash(text.as_bytes());
    let inner = Ctx::new(text.as_bytes(), base, sink.src, path);
    // PERF: read in one pass over the SIMD token index, as `to_json` lines are; level by
    // level as `RawObject`s, the cell was read through about six times (a third of the
    // CPU of a records load). What the fast reader leaves goes that way, as before.
    if fastjson::enabled() {
        match fast_walk::load_document(sink, &inner, text, seq) {
            Ok(()) => return,
            Err(why) => sink.batch.slow.add("mlflow trace cell", why, 1),
        }
    }
    match serde_json::from_str::<RawObject>(text) {
        Ok(doc) => load_trace(sink, &inner, &doc, seq),
        Err(e) => sink.batch.diag(
            path,
            pos(),
            format!(
                "row skipped: its `trace` column is not JSON: {}",
                short_error(&e)
            ),
        ),
    }
}

fn load_row_spans(sink: &mut Sink, ctx: &Ctx, o: &RawObject, seq: u64) {
    let original = o
        .str(&["trace_id", "request_id"])
        .unwrap_or_default()
        .into_owned();
    let trace_id = ids::normalize(&original).into_owned();
    let state = o.str(&["state", "status"]).map(|s| trace_state(&s));
    sink.batch.infos.push(TraceInfo {
        trace_id: trace_id.clone(),
        original_id: Some(original),
        state,
        info: None,
    });
    let spans = o.get("spans").map(raw_array).unwrap_or_default();
    load_spans(sink, ctx, &spans, Some(&trace_id), seq);
}
