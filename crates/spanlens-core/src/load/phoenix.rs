//! Phoenix exports: `get_spans_dataframe()` rows (JSON records or parquet), REST `/spans`
//! pages, REST `/spans/otlpv1` pages, and span-annotation rows (formats.md §4.3–4.5).
//!
//! Traps handled: DataFrame times as ISO strings or epoch numbers (pandas' default
//! `date_format`), token counts as floats, attribute columns that are partly un-flattened
//! (`attributes.llm.input_messages` is a list of dicts), NaN written as `null`, the index
//! saved as `__index_level_0__`, and REST attributes that lost `openinference.span.kind`.

use super::Sink;
use super::format::Format;
use super::json::{Ctx, RawObject, is_null, raw_array, raw_str};
use super::otlp;
use crate::model::time::parse_iso;
use crate::model::{Assessment, Enc, SpanDraft, SpanKind, Status, Stored, ids};
use serde_json::Value;
use serde_json::value::RawValue;

/// DataFrame columns that are span fields, not attributes.
pub(super) const DF_FIELDS: [&str; 10] = [
    "name",
    "span_kind",
    "parent_id",
    "start_time",
    "end_time",
    "status_code",
    "status_message",
    "events",
    "context.span_id",
    "context.trace_id",
];

/// Entry point for one Phoenix JSON object of format `fmt`.
pub fn load(fmt: Format, sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    let Some(o) = RawObject::parse(raw) else {
        sink.batch.diag(
            ctx.path,
            ctx.line_of(raw),
            format!("{} record skipped: not a JSON object", fmt.name()),
        );
        return;
    };
    match fmt {
        Format::PhoenixOtlpV1 => load_otlpv1(sink, ctx, &o, raw, seq),
        Format::PhoenixRest => match o.get("data") {
            Some(data) => {
                for (i, el) in raw_array(data).into_iter().enumerate() {
                    match RawObject::parse(el) {
                        Some(span) => load_rest_span(sink, ctx, &span, el, seq + i as u64),
                        None => not_an_object(sink, ctx, el),
                    }
                }
            }
            None => load_rest_span(sink, ctx, &o, raw, seq),
        },
        Format::PhoenixAnnotations => load_annotation(sink, ctx, &o, raw),
        _ => load_df_row(sink, ctx, &o, raw, seq),
    }
}

fn not_an_object(sink: &mut Sink, ctx: &Ctx, raw: &RawValue) {
    sink.batch.diag(
        ctx.path,
        ctx.line_of(raw),
        "span skipped: not a JSON object",
    );
}

/// `{data: [snake_case OTLP span]}` (or one such span): the OTLP loader reads each.
fn load_otlpv1(sink: &mut Sink, ctx: &Ctx, o: &RawObject, raw: &RawValue, seq: u64) {
    let spans = match o.get("data") {
        Some(data) => raw_array(data),
        None => vec![raw],
    };
    for (i, span) in spans.into_iter().enumerate() {
        otlp::parse_bare_span(ctx, span, seq + i as u64, &mut sink.batch);
    }
}

/// One `get_spans_dataframe()` row: `attributes.X` columns are attribute `X`.
fn load_df_row(sink: &mut Sink, ctx: &Ctx, o: &RawObject, raw: &RawValue, seq: u64) {
    let tid = o.str(&["context.trace_id", "trace_id"]).unwrap_or_default();
    let sid = o.str(&["context.span_id", "span_id"]).unwrap_or_default();
    let mut d = sink.batch.begin(ctx.src, Enc::Json, seq);
    d.span.trace_id = sink.batch.trace_id(&tid);
    d.span.span_id = sink.batch.id(&sid);
    span_fields(sink, ctx, o, raw, &mut d);
    for (key, v) in &o.0 {
        if is_null(v) {
            continue; // a key other spans have: NaN/None in this row
        }
        if let Some(name) = key.strip_prefix("attributes.") {
            sink.batch
                .attr(&mut d, name, v.get().as_bytes(), ctx.at(v, Enc::Json));
        } else if &**key == "attributes" {
            spread_attributes(sink, ctx, &mut d, v);
        } else if !DF_FIELDS.contains(&&**key) && !key.starts_with("__index_level_") {
            // An extra column (a user-added one): keep it rather than lose it.
            sink.batch
                .attr(&mut d, key, v.get().as_bytes(), ctx.at(v, Enc::Json));
        }
    }
    sink.batch.finish(d);
}

/// REST `/v1/projects/{p}/spans` span: `context{trace_id, span_id}`, flat `attributes{}`.
fn load_rest_span(sink: &mut Sink, ctx: &Ctx, o: &RawObject, raw: &RawValue, seq: u64) {
    let c = o.obj("context").unwrap_or_default();
    let tid = c.str(&["trace_id"]).unwrap_or_default();
    let sid = c.str(&["span_id"]).unwrap_or_default();
    let mut d = sink.batch.begin(ctx.src, Enc::Json, seq);
    d.span.trace_id = sink.batch.trace_id(&tid);
    d.span.span_id = sink.batch.id(&sid);
    span_fields(sink, ctx, o, raw, &mut d);
    if let Some(attrs) = o.get("attributes") {
        spread_attributes(sink, ctx, &mut d, attrs);
    }
    sink.batch.finish(d);
}

/// Every key of an attribute object becomes an attribute (nulls skipped).
fn spread_attributes(sink: &mut Sink, ctx: &Ctx, d: &mut SpanDraft, attrs: &RawValue) {
    for (key, v) in RawObject::parse(attrs).unwrap_or_default().0 {
        if !is_null(v) {
            sink.batch
                .attr(d, &key, v.get().as_bytes(), ctx.at(v, Enc::Json));
        }
    }
}

/// The fields DataFrame rows and REST spans share: name, kind, parent, times, status, events.
fn span_fields(sink: &mut Sink, ctx: &Ctx, o: &RawObject, raw: &RawValue, d: &mut SpanDraft) {
    let b = &mut sink.batch;
    d.span.parent_id = b.id(&o.str(&["parent_id"]).unwrap_or_default());
    d.span.name = b.sym(&o.str(&["name"]).unwrap_or_default());
    if let Some(kind) = o.str(&["span_kind"]).and_then(|k| SpanKind::from_label(&k)) {
        d.sem.set_kind(0, kind);
    }
    match o.get("start_time").and_then(time_ns) {
        Some(t) => d.span.start_ns = t,
        None => b.diag(
            ctx.path,
            ctx.line_of(raw),
            "span has no valid start time; shown at 0",
        ),
    }
    d.span.set_end_ns(o.get("end_time").and_then(time_ns));
    d.span.status = o
        .str(&["status_code"])
        .map_or(Status::Unset, |c| Status::from_label(&c));
    d.span.status_msg = ctx.at_opt(o.get("status_message"), Enc::JsonStr);
    d.span.events = o
        .get("events")
        .filter(|e| !matches!(e.get().trim(), "[]" | "null"))
        .map(|e| ctx.at(e, Enc::Json));
}

/// A time given as an ISO string, or as an epoch number in s, ms, µs or ns (pandas'
/// `to_json` writes epoch milliseconds unless told `date_format="iso"`).
pub(super) fn time_ns(raw: &RawValue) -> Option<i64> {
    let t = raw.get().trim();
    if t.starts_with('"') {
        return time_ns_text(&raw_str(raw)?);
    }
    epoch_ns(t)
}

/// A time given as text: ISO, or an epoch number as text.
pub(super) fn time_ns_text(s: &str) -> Option<i64> {
    parse_iso(s).or_else(|| epoch_ns(s.trim()))
}

/// An epoch number whose unit is guessed from its size (dates between 1973 and 5138).
pub(super) fn epoch_ns(t: &str) -> Option<i64> {
    const SCALE: [(f64, i64); 4] = [
        (1e17, 1),
        (1e14, 1_000),
        (1e11, 1_000_000),
        (0.0, 1_000_000_000),
    ];
    if let Ok(n) = t.parse::<i64>() {
        let mag = n.unsigned_abs() as f64;
        let (_, mul) = SCALE.iter().find(|(lim, _)| mag >= *lim)?;
        return n.checked_mul(*mul);
    }
    let f = t.parse::<f64>().ok().filter(|f| f.is_finite())?;
    let (_, mul) = SCALE.iter().find(|(lim, _)| f.abs() >= *lim)?;
    let ns = f * *mul as f64;
    (ns.abs() < 9.2e18).then_some(ns as i64)
}

/// The note for a run of annotation rows without span ids.
const NO_SPAN_ID: &str = "annotations have no span_id (the DataFrame index was not saved): they cannot be attached to spans";

/// Rows loaded in parallel parts (JSON Lines pieces, array runs, parquet batches): a run
/// of rows without span ids that crosses into the next part is still one run, so the note
/// that part starts with is dropped.
pub(super) fn join_annotation_runs(parts: &mut [Sink]) {
    let lacks = |a: Option<&Stored>| a.is_some_and(|a| a.span_id().is_none());
    let mut run_open = false;
    for part in parts.iter_mut() {
        let b = &mut part.batch;
        let continues = run_open && lacks(b.assessments.first());
        if continues
            && b.diagnostics
                .first()
                .is_some_and(|d| d.message == NO_SPAN_ID)
        {
            b.diagnostics.remove(0);
        }
        if !b.assessments.is_empty() {
            run_open = lacks(b.assessments.last());
        }
    }
}

/// One `get_span_annotations_dataframe()` row (or a REST annotation with `result{}`).
fn load_annotation(sink: &mut Sink, ctx: &Ctx, o: &RawObject, raw: &RawValue) {
    let text = |keys: &[&str]| {
        o.str(keys)
            .map(|s| s.into_owned())
            .filter(|s| !s.is_empty())
    };
    let span_id = text(&["span_id", "context.span_id", "__index_level_0__"]);
    // Warn once per run of such rows (a DataFrame's rows are all alike).
    let after_attached = sink
        .batch
        .assessments
        .last()
        .is_none_or(|a| a.span_id().is_some());
    if span_id.is_none() && after_attached {
        sink.batch.diag(ctx.path, ctx.line_of(raw), NO_SPAN_ID);
    }
    let source = match (text(&["annotator_kind"]), text(&["identifier"])) {
        (Some(k), Some(id)) => Some(format!("{k} {id}")),
        (k, id) => k.or(id),
    };
    let (value, rationale) = annotation_result(o);
    let trace_id = text(&["trace_id", "context.trace_id"]).unwrap_or_default();
    sink.batch.assessments.push(
        Assessment {
            trace_id: ids::normalize(&trace_id).into_owned(),
            span_id: span_id.map(|s| ids::normalize(&s).into_owned()),
            name: text(&["annotation_name", "name"]).unwrap_or_default(),
            kind: "annotation".into(),
            value,
            rationale,
            source,
            error: None,
            ..Assessment::default()
        }
        .into(),
    );
}

/// The value (`{label, score}`, or whichever of them is set) and the explanation, from
/// flat `result.*` columns or a nested `result` object.
fn annotation_result(o: &RawObject) -> (Value, Option<String>) {
    let result = o.obj("result").unwrap_or_default();
    let field = |flat: &str, nested: &str| {
        o.get(flat)
            .or_else(|| result.get(nested))
            .filter(|v| !is_null(v))
            .and_then(|v| serde_json::from_str::<Value>(v.get()).ok())
    };
    let label = field("result.label", "label");
    let value = match (label, field("result.score", "score")) {
        (Some(label), Some(score)) => serde_json::json!({ "label": label, "score": score }),
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => Value::Null,
    };
    let explanation = field("result.explanation", "explanation").map(|e| match e {
        Value::String(s) => s,
        other => other.to_string(),
    });
    (value, explanation)
}
