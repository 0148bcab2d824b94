//! OTLP/JSON traces: one `ExportTraceServiceRequest`, an array of them, JSON Lines as the
//! Collector file exporter writes, the protobuf-JSON look-alike (base64 ids, enum names,
//! snake_case keys) and Phoenix's `/spans/otlpv1` (bare snake_case spans, nulls everywhere).
//!
//! Ids are decoded per field (hex or base64), enums accepted as numbers or names, and
//! 64-bit integers accepted as strings or numbers (formats.md §2).

use super::json::{CowStr, Ctx, raw_i64, raw_str};
use crate::model::{Batch, Enc, Pos, Status, Sym};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow, rename = "resourceSpans", alias = "resource_spans", default)]
    resource_spans: Option<Vec<ResourceSpans<'a>>>,
}

#[derive(Deserialize)]
struct ResourceSpans<'a> {
    #[serde(borrow, default)]
    resource: Option<&'a RawValue>,
    #[serde(
        borrow,
        rename = "scopeSpans",
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        alias = "instrumentation_library_spans",
        default
    )]
    scope_spans: Option<Vec<ScopeSpans<'a>>>,
}

#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(
        borrow,
        alias = "instrumentationLibrary",
        alias = "instrumentation_library",
        default
    )]
    scope: Option<Scope<'a>>,
    #[serde(borrow, default)]
    spans: Option<Vec<OtlpSpan<'a>>>,
}

#[derive(Deserialize)]
struct Scope<'a> {
    #[serde(borrow, default)]
    name: Option<CowStr<'a>>,
}

/// One span in any of the OTLP-shaped spellings.
#[derive(Deserialize)]
pub struct OtlpSpan<'a> {
    #[serde(borrow, rename = "traceId", alias = "trace_id", default)]
    trace_id: Option<CowStr<'a>>,
    #[serde(borrow, rename = "spanId", alias = "span_id", default)]
    span_id: Option<CowStr<'a>>,
    #[serde(borrow, rename = "parentSpanId", alias = "parent_span_id", default)]
    parent_span_id: Option<CowStr<'a>>,
    #[serde(borrow, default)]
    name: Option<CowStr<'a>>,
    #[serde(borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(
        borrow,
        rename = "startTimeUnixNano",
        alias = "start_time_unix_nano",
        default
    )]
    start: Option<&'a RawValue>,
    #[serde(
        borrow,
        rename = "endTimeUnixNano",
        alias = "end_time_unix_nano",
        default
    )]
    end: Option<&'a RawValue>,
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(borrow, default)]
    events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    links: Option<&'a RawValue>,
    #[serde(borrow, default)]
    status: Option<OtlpStatus<'a>>,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: CowStr<'a>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct OtlpStatus<'a> {
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

/// Shared per-resource context for the spans under it.
struct Scoped {
    resource: Option<crate::model::TextRef>,
    scope: Sym,
}

/// Parses one request object (a JSONL line or a whole document) into `batch`.
/// Returns the number of spans added, or the parse error.
pub fn parse_request(
    ctx: &Ctx,
    text: &[u8],
    seq_base: u64,
    batch: &mut Batch,
) -> Result<usize, serde_json::Error> {
    let req: Request = serde_json::from_slice(text)?;
    let mut n = 0;
    for rs in req.resource_spans.unwrap_or_default() {
        let resource = ctx.at_opt(rs.resource, Enc::Json);
        for ss in rs.scope_spans.unwrap_or_default() {
            let scope_name = ss.scope.and_then(|s| s.name).unwrap_or_default();
            let scoped = Scoped {
                resource,
                scope: batch.sym(&scope_name),
            };
            for span in ss.spans.unwrap_or_default() {
                add_span(ctx, batch, &span, &scoped, seq_base + n as u64);
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Parses a bare span object (Phoenix `/spans/otlpv1` rows).
pub fn parse_bare_span(ctx: &Ctx, raw: &RawValue, seq: u64, batch: &mut Batch) -> bool {
    match serde_json::from_str::<OtlpSpan>(raw.get()) {
        Ok(span) => {
            let scoped = Scoped {
                resource: None,
                scope: Sym::EMPTY,
            };
            add_span(ctx, batch, &span, &scoped, seq);
            true
        }
        Err(e) => {
            batch.diag(ctx.path, ctx.line_of(raw), format!("span skipped: {e}"));
            false
        }
    }
}

fn add_span(ctx: &Ctx, batch: &mut Batch, sp: &OtlpSpan, scoped: &Scoped, seq: u64) {
    let mut d = batch.begin(ctx.src, Enc::OtlpAny, seq);
    d.span.trace_id = batch.trace_id(sp.trace_id.as_deref().unwrap_or(""));
    d.span.span_id = batch.id(sp.span_id.as_deref().unwrap_or(""));
    d.span.parent_id = batch.id(sp.parent_span_id.as_deref().unwrap_or(""));
    d.span.name = batch.sym(sp.name.as_deref().unwrap_or(""));
    d.span.otel_kind = sp.kind.map_or(0, otel_kind);
    d.span.scope = scoped.scope;
    d.span.resource = scoped.resource;
    match sp.start.and_then(raw_i64) {
        Some(t) => d.span.start_ns = t,
        None => batch.diag(
            ctx.path,
            start_pos(ctx, sp),
            "span has no valid start time; shown at 0",
        ),
    }
    d.span.end_ns = sp.end.and_then(raw_i64).filter(|&e| e != 0);
    if let Some(st) = &sp.status {
        d.span.status = st
            .code
            .and_then(raw_str)
            .map_or(Status::Unset, |c| Status::from_label(&c));
        d.span.status_msg = ctx.at_opt(st.message, Enc::JsonStr);
    }
    for kv in sp.attributes.iter().flatten() {
        if let Some(v) = kv.value {
            batch.attr(&mut d, &kv.key, v.get().as_bytes(), ctx.at(v, Enc::OtlpAny));
        }
    }
    d.span.events = sp
        .events
        .filter(|e| non_empty(e))
        .map(|e| ctx.at(e, Enc::Json));
    d.span.links = sp
        .links
        .filter(|e| non_empty(e))
        .map(|e| ctx.at(e, Enc::Json));
    batch.finish(d);
}

fn start_pos(ctx: &Ctx, sp: &OtlpSpan) -> Pos {
    sp.start.or(sp.kind).map_or(Pos::None, |r| ctx.line_of(r))
}

fn non_empty(raw: &RawValue) -> bool {
    !matches!(raw.get().trim(), "[]" | "null" | "")
}

/// OTel span kind from a number or an enum name (`SPAN_KIND_CLIENT`, `SpanKind.CLIENT`).
pub fn otel_kind(raw: &RawValue) -> u8 {
    let Some(s) = raw_str(raw) else { return 0 };
    if let Ok(n) = s.parse::<u8>() {
        return n.min(5);
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.rsplit(['_', '.']).next().unwrap_or("");
    match name {
        "INTERNAL" => 1,
        "SERVER" => 2,
        "CLIENT" => 3,
        "PRODUCER" => 4,
        "CONSUMER" => 5,
        _ => 0,
    }
}

/// Name of an OTel span kind number.
pub fn otel_kind_name(kind: u8) -> &'static str {
    match kind {
        1 => "INTERNAL",
        2 => "SERVER",
        3 => "CLIENT",
        4 => "PRODUCER",
        5 => "CONSUMER",
        _ => "UNSPECIFIED",
    }
}
