//! OTLP/JSON traces: one `ExportTraceServiceRequest`, an array of them, JSON Lines as the
//! Collector file exporter writes, the protobuf-JSON look-alike (base64 ids, enum names,
//! snake_case keys) and Phoenix's `/spans/otlpv1` (bare snake_case spans, nulls everywhere).
//!
//! Ids are decoded per field (hex or base64), enums accepted as numbers or names, and
//! 64-bit integers accepted as strings or numbers (formats.md §2).
//!
//! PERF: this is the hot path for million-span files. The request is walked with serde
//! seeds that write each span straight into the batch: no intermediate `Vec` of spans or
//! attributes, keys borrowed from the input, values kept as `&RawValue` positions.

use super::json::{CowStr, Ctx, raw_i64, raw_str};
use crate::model::{Batch, Enc, Pos, SpanDraft, Status, Sym, TextRef};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// Where spans go while a request is walked.
struct Out<'c, 'b> {
    ctx: &'c Ctx<'c>,
    batch: &'b mut Batch,
    seq: u64,
    count: usize,
}

/// Parses one request object (a JSONL line or a whole document) into `batch`.
/// Returns the number of spans added, or the parse error.
pub fn parse_request(
    ctx: &Ctx,
    text: &str,
    seq_base: u64,
    batch: &mut Batch,
) -> Result<usize, serde_json::Error> {
    let mut out = Out {
        ctx,
        batch,
        seq: seq_base,
        count: 0,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    Request(&mut out).deserialize(&mut de)?;
    de.end()?;
    Ok(out.count)
}

/// Parses a bare span object (Phoenix `/spans/otlpv1` rows).
pub fn parse_bare_span(ctx: &Ctx, raw: &RawValue, seq: u64, batch: &mut Batch) -> bool {
    let mut out = Out {
        ctx,
        batch,
        seq,
        count: 0,
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let scoped = Scoped {
        resource: None,
        scope: Sym::EMPTY,
    };
    match SpanSeed(&mut out, &scoped).deserialize(&mut de) {
        Ok(()) => true,
        Err(e) => {
            batch.diag(ctx.path, ctx.line_of(raw), format!("span skipped: {e}"));
            false
        }
    }
}

struct Request<'o, 'c, 'b>(&'o mut Out<'c, 'b>);

impl<'de> DeserializeSeed<'de> for Request<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Request<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OTLP traces request")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            match &*key {
                "resourceSpans" | "resource_spans" => {
                    map.next_value_seed(List(self.0, ListOf::Resource))?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What the elements of a list are.
#[derive(Clone, Copy)]
enum ListOf {
    Resource,
    Scope(Option<TextRef>),
}

struct List<'o, 'c, 'b>(&'o mut Out<'c, 'b>, ListOf);

impl<'de> DeserializeSeed<'de> for List<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for List<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(()) // `null` where a list was expected (Phoenix writes nulls for empty fields)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let List(out, of) = self;
        match of {
            ListOf::Resource => while seq.next_element_seed(ResourceSeed(out))?.is_some() {},
            ListOf::Scope(resource) => {
                while seq.next_element_seed(ScopeSeed(out, resource))?.is_some() {}
            }
        }
        Ok(())
    }
}

struct ResourceSeed<'o, 'c, 'b>(&'o mut Out<'c, 'b>);

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("resourceSpans")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let first = out.batch.spans.len();
        let mut resource = None;
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            match &*key {
                "resource" => {
                    let raw: Option<&'de RawValue> = map.next_value()?;
                    resource = out.ctx.at_opt(raw, Enc::Json);
                }
                "scopeSpans"
                | "scope_spans"
                | "instrumentationLibrarySpans"
                | "instrumentation_library_spans" => {
                    map.next_value_seed(List(out, ListOf::Scope(resource)))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // `resource` may come after the spans: give it to every span of this resource.
        for s in &mut out.batch.spans[first..] {
            s.resource = s.resource.or(resource);
        }
        Ok(())
    }
}

struct ScopeSeed<'o, 'c, 'b>(&'o mut Out<'c, 'b>, Option<TextRef>);

impl<'de> DeserializeSeed<'de> for ScopeSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

#[derive(Deserialize)]
struct Scope<'a> {
    #[serde(borrow, default)]
    name: Option<CowStr<'a>>,
}

impl<'de> Visitor<'de> for ScopeSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("scopeSpans")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ScopeSeed(out, resource) = self;
        let first = out.batch.spans.len();
        let mut scoped = Scoped {
            resource,
            scope: Sym::EMPTY,
        };
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            match &*key {
                "scope" | "instrumentationLibrary" | "instrumentation_library" => {
                    let scope: Option<Scope<'de>> = map.next_value()?;
                    scoped.scope = out
                        .batch
                        .sym(scope.and_then(|s| s.name).as_deref().unwrap_or(""));
                }
                "spans" => map.next_value_seed(Spans(out, &scoped))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for s in &mut out.batch.spans[first..] {
            if s.scope.is_empty() {
                s.scope = scoped.scope;
            }
        }
        Ok(())
    }
}

/// Shared per-resource context for the spans under it.
struct Scoped {
    resource: Option<TextRef>,
    scope: Sym,
}

struct Spans<'o, 'c, 'b, 's>(&'o mut Out<'c, 'b>, &'s Scoped);

impl<'de> DeserializeSeed<'de> for Spans<'_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Spans<'_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of spans")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(SpanSeed(self.0, self.1))?.is_some() {}
        Ok(())
    }
}

struct SpanSeed<'o, 'c, 'b, 's>(&'o mut Out<'c, 'b>, &'s Scoped);

impl<'de> DeserializeSeed<'de> for SpanSeed<'_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// A status object: `{code, message}`, code as a number or a name.
#[derive(Deserialize)]
struct OtlpStatus<'a> {
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

impl<'de> Visitor<'de> for SpanSeed<'_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a span")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let SpanSeed(out, scoped) = self;
        let ctx = out.ctx;
        let mut d = out
            .batch
            .begin(ctx.src, Enc::OtlpAny, out.seq + out.count as u64);
        let mut start: Option<&'de RawValue> = None;
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            let batch = &mut *out.batch;
            match &*key {
                "traceId" | "trace_id" => {
                    d.span.trace_id =
                        batch.trace_id(&map.next_value::<Option<CowStr>>()?.unwrap_or_default())
                }
                "spanId" | "span_id" => {
                    d.span.span_id =
                        batch.id(&map.next_value::<Option<CowStr>>()?.unwrap_or_default())
                }
                "parentSpanId" | "parent_span_id" => {
                    d.span.parent_id =
                        batch.id(&map.next_value::<Option<CowStr>>()?.unwrap_or_default());
                }
                "name" => {
                    d.span.name =
                        batch.sym(&map.next_value::<Option<CowStr>>()?.unwrap_or_default())
                }
                "kind" => {
                    d.span.otel_kind = map
                        .next_value::<Option<&'de RawValue>>()?
                        .map_or(0, otel_kind)
                }
                "startTimeUnixNano" | "start_time_unix_nano" => start = map.next_value()?,
                "endTimeUnixNano" | "end_time_unix_nano" => {
                    let end: Option<&RawValue> = map.next_value()?;
                    d.span.end_ns = end.and_then(raw_i64).filter(|&e| e != 0);
                }
                "attributes" => map.next_value_seed(Attributes(batch, &mut d, ctx))?,
                "events" => {
                    d.span.events = non_empty(map.next_value()?).map(|e| ctx.at(e, Enc::Json))
                }
                "links" => {
                    d.span.links = non_empty(map.next_value()?).map(|e| ctx.at(e, Enc::Json))
                }
                "status" => {
                    if let Some(st) = map.next_value::<Option<OtlpStatus<'de>>>()? {
                        d.span.status = st
                            .code
                            .and_then(raw_str)
                            .map_or(Status::Unset, |c| Status::from_label(&c));
                        d.span.status_msg = ctx.at_opt(st.message, Enc::JsonStr);
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        finish(out, d, start, scoped);
        Ok(())
    }
}

fn finish(out: &mut Out, mut d: SpanDraft, start: Option<&RawValue>, scoped: &Scoped) {
    match start.and_then(raw_i64) {
        Some(t) => d.span.start_ns = t,
        None => {
            let pos = start.map_or(Pos::None, |r| out.ctx.line_of(r));
            out.batch.diag(
                out.ctx.path,
                pos,
                "span has no valid start time; shown at 0",
            );
        }
    }
    d.span.scope = scoped.scope;
    d.span.resource = scoped.resource;
    out.batch.finish(d);
    out.count += 1;
}

struct Attributes<'b, 'd, 'c>(&'b mut Batch, &'d mut SpanDraft, &'c Ctx<'c>);

impl<'de> DeserializeSeed<'de> for Attributes<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// One `{key, value}` attribute, value kept raw.
#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: CowStr<'a>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

impl<'de> Visitor<'de> for Attributes<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of attributes")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Attributes(batch, draft, ctx) = self;
        while let Some(kv) = seq.next_element::<KeyValue<'de>>()? {
            if let Some(v) = kv.value {
                batch.attr(draft, &kv.key, v.get().as_bytes(), ctx.at(v, Enc::OtlpAny));
            }
        }
        Ok(())
    }
}

fn non_empty(raw: Option<&RawValue>) -> Option<&RawValue> {
    raw.filter(|r| !matches!(r.get().trim(), "[]" | "null" | ""))
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
