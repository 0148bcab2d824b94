//! OTel Python `ConsoleSpanExporter` output (`ReadableSpan.to_json()`, objects back to
//! back) and OTel JS `ReadableSpan` dumps (Vercel AI SDK fixtures), formats.md §2.4.
//!
//! Traps handled: `0x`-hex ids, `SpanKind.X` names, ISO µs times (Python); HrTime
//! `[sec, nanos]` times, a parent as `parentSpanId` or `parentSpanContext.spanId`, and the
//! JS `SpanKind` enum, which starts at INTERNAL = 0 where OTLP has UNSPECIFIED = 0.

use super::Sink;
use super::format::Format;
use super::json::{Ctx, RawObject, is_null, raw_array, raw_f64, raw_i64};
use super::otlp::otel_kind;
use super::phoenix::time_ns;
use crate::model::{Enc, SpanDraft, Status};
use serde_json::value::RawValue;

/// Entry point for one console-exporter or JS span object.
pub fn load(fmt: Format, sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    let Some(o) = RawObject::parse(raw) else {
        sink.batch.diag(
            ctx.path,
            ctx.line_of(raw),
            "span skipped: not a JSON object",
        );
        return;
    };
    let mut d = sink.batch.begin(ctx.src, Enc::Json, seq);
    let times = if fmt == Format::OtelJs {
        js_fields(sink, &o, &mut d)
    } else {
        python_fields(sink, &o, &mut d)
    };
    match times {
        Some(start) => d.span.start_ns = start,
        None => sink.batch.diag(
            ctx.path,
            ctx.line_of(raw),
            "span has no valid start time; shown at 0",
        ),
    }
    d.span.name = sink.batch.sym(&o.str(&["name"]).unwrap_or_default());
    if let Some(attrs) = o.obj("attributes") {
        for (key, v) in attrs.0 {
            sink.batch
                .attr(&mut d, &key, v.get().as_bytes(), ctx.at(v, Enc::Json));
        }
    }
    d.span.events = non_empty(o.get("events")).map(|e| ctx.at(e, Enc::Json));
    d.span.links = non_empty(o.get("links")).map(|e| ctx.at(e, Enc::Json));
    d.span.resource = non_empty(o.get("resource")).map(|e| ctx.at(e, Enc::Json));
    let status = o.obj("status").unwrap_or_default();
    d.span.status_msg = ctx.at_opt(status.any(&["description", "message"]), Enc::JsonStr);
    sink.batch.finish(d);
}

/// Python `ReadableSpan.to_json()`: ids, kind, ISO times, status. Returns the start time.
fn python_fields(sink: &mut Sink, o: &RawObject, d: &mut SpanDraft) -> Option<i64> {
    let c = o.obj("context").unwrap_or_default();
    let b = &mut sink.batch;
    d.span.trace_id = b.trace_id(&c.str(&["trace_id"]).unwrap_or_default());
    d.span.span_id = b.id(&c.str(&["span_id"]).unwrap_or_default());
    d.span.parent_id = b.id(&o.str(&["parent_id"]).unwrap_or_default());
    d.span.otel_kind = o.get("kind").map_or(0, otel_kind);
    let scope = o
        .obj("instrumentation_scope")
        .or_else(|| o.obj("instrumentation_info"));
    d.span.scope = b.sym(&scope.and_then(|s| s.str(&["name"])).unwrap_or_default());
    let status = o.obj("status").unwrap_or_default();
    d.span.status = status
        .str(&["status_code"])
        .map_or(Status::Unset, |c| Status::from_label(&c));
    d.span.set_end_ns(o.get("end_time").and_then(time_ns));
    o.get("start_time").and_then(time_ns)
}

/// JS `ReadableSpan`: `spanContext`, HrTime times, numeric kind and status code.
fn js_fields(sink: &mut Sink, o: &RawObject, d: &mut SpanDraft) -> Option<i64> {
    let c = o
        .obj("spanContext")
        .or_else(|| o.obj("_spanContext"))
        .unwrap_or_default();
    let parent = o
        .str(&["parentSpanId"])
        .or_else(|| o.obj("parentSpanContext").and_then(|p| p.str(&["spanId"])));
    let b = &mut sink.batch;
    d.span.trace_id = b.trace_id(&c.str(&["traceId"]).unwrap_or_default());
    d.span.span_id = b.id(&c.str(&["spanId"]).unwrap_or_default());
    d.span.parent_id = b.id(&parent.unwrap_or_default());
    d.span.otel_kind = o.get("kind").map_or(0, js_kind);
    let scope = o
        .obj("instrumentationScope")
        .or_else(|| o.obj("instrumentationLibrary"));
    d.span.scope = b.sym(&scope.and_then(|s| s.str(&["name"])).unwrap_or_default());
    let status = o.obj("status").unwrap_or_default();
    d.span.status = status
        .str(&["code"])
        .map_or(Status::Unset, |c| Status::from_label(&c));
    let start = o.get("startTime").and_then(hr_time);
    let end = o.get("endTime").and_then(hr_time).or_else(|| {
        let dur = o.get("duration").and_then(hr_time)?;
        start?.checked_add(dur)
    });
    d.span.set_end_ns(end);
    start
}

/// JS `SpanKind` (INTERNAL = 0 … CONSUMER = 4) as the OTLP number (INTERNAL = 1 …).
fn js_kind(raw: &RawValue) -> u8 {
    match raw_i64(raw) {
        Some(n @ 0..=4) => n as u8 + 1,
        Some(_) => 0,
        None => otel_kind(raw),
    }
}

/// HrTime `[seconds, nanos]`, or an epoch number / ISO string some dumps write instead.
pub(super) fn hr_time(raw: &RawValue) -> Option<i64> {
    if !raw.get().trim_start().starts_with('[') {
        return time_ns(raw);
    }
    let parts = raw_array(raw);
    let [sec, nanos] = parts.as_slice() else {
        return None;
    };
    let sec = raw_i64(sec)?;
    let nanos = raw_i64(nanos).or_else(|| raw_f64(nanos).map(|f| f as i64))?;
    sec.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn non_empty(raw: Option<&RawValue>) -> Option<&RawValue> {
    raw.filter(|r| !is_null(r) && !matches!(r.get().trim(), "[]" | "{}"))
}
