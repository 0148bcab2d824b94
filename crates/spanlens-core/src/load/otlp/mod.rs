//! OTLP/JSON traces: one `ExportTraceServiceRequest`, an array of them, JSON Lines as the
//! Collector file exporter writes, the protobuf-JSON look-alike (base64 ids, enum names,
//! snake_case keys) and Phoenix's `/spans/otlpv1` (bare snake_case spans, nulls everywhere).
//!
//! Ids are decoded per field (hex or base64), enums accepted as numbers or names, and
//! 64-bit integers accepted as strings or numbers (formats.md §2).
//!
//! Two readers walk a request and share what its fields mean (this file): `fast_walk` over
//! a SIMD token index, for the common case, and `serde_walk` with serde_json, for
//! everything else and for exact error messages. The fast reader gives up on anything
//! unusual before its spans are kept, so both always give the same spans.

mod fast_walk;
#[cfg(test)]
mod sdk_shape_tests;
mod serde_walk;
#[cfg(test)]
mod tests;

pub use serde_walk::parse_bare_span;

use super::json::{Ctx, text_i64, text_str};
use super::salvage;
use crate::model::{Batch, Enc, Pos, SpanDraft, Status, Sym, TextRef};

/// Parses one request object (a JSON Lines line or a whole document) into `batch`.
/// Returns the number of spans added, or the parse error.
pub fn parse_request(
    ctx: &Ctx,
    text: &str,
    seq_base: u64,
    batch: &mut Batch,
) -> Result<usize, serde_json::Error> {
    read(ctx, text, seq_base, batch, Unit::Request)
}

/// What a request is in the file, for the slow-path counts (`Batch::slow`).
#[derive(Clone, Copy)]
enum Unit {
    Line,
    Request,
}

impl Unit {
    fn of(unit: &str) -> Unit {
        if unit == "line" {
            Unit::Line
        } else {
            Unit::Request
        }
    }

    /// The slow path a request of this unit takes to `serde_walk`.
    fn serde(self) -> &'static str {
        match self {
            Unit::Line => "otlp line",
            Unit::Request => "otlp request",
        }
    }

    /// The slow path of a damaged request of this unit: repaired, then read again.
    fn repair(self) -> &'static str {
        match self {
            Unit::Line => "otlp line repaired",
            Unit::Request => "otlp request repaired",
        }
    }
}

/// The spans `serde_walk` read, by why the fast reader left their request to it.
const SLOW_SPANS: &str = "otlp span";

/// `parse_request`, counting a request the fast reader leaves to `serde_walk` (and the
/// spans serde_walk then reads) as a slow path of `unit`, by reason.
fn read(
    ctx: &Ctx,
    text: &str,
    seq_base: u64,
    batch: &mut Batch,
    unit: Unit,
) -> Result<usize, serde_json::Error> {
    let why = match fast_walk::parse_request(ctx, text, seq_base, batch) {
        Ok(n) => return Ok(n),
        Err(why) => why.as_str(),
    };
    batch.slow.add(unit.serde(), why, 1);
    let read = serde_walk::parse_request(ctx, text, seq_base, batch);
    if let Ok(n) = read {
        batch.slow.add(SLOW_SPANS, why, n as u64);
    }
    read
}

/// Why serde_json refused a request, in a few words (the message says where).
fn damage(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "cut short",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "a value of the wrong type",
        serde_json::error::Category::Io => "read error",
    }
}

/// Parses one request, repaired where it is damaged (cut short, a bad value, a wrong
/// type): everything sound loads, each loss is a warning with its position, and only a
/// request beyond repair is skipped whole. `unit` names the request in messages ("line").
/// Returns the number of spans added. PERF: the repair runs only after a parse failed.
pub fn parse_request_salvaging(
    ctx: &Ctx,
    text: &str,
    seq_base: u64,
    batch: &mut Batch,
    unit: &str,
) -> usize {
    let mark = batch.mark();
    let kind = Unit::of(unit);
    let err = match read(ctx, text, seq_base, batch, kind) {
        Ok(n) => return n,
        Err(e) => e,
    };
    // The serde reader keeps the spans it read before the error: they are read again.
    batch.rollback(mark);
    batch.slow.add(kind.repair(), damage(&err), 1);
    let bytes = text.as_bytes();
    let check = |b: &[u8]| {
        let s = match std::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => return Some(salvage::Problem::invalid_utf8(e)),
        };
        let mut scratch = Batch::default();
        let c = Ctx::new(b, 0, ctx.src, ctx.path);
        let r = serde_walk::parse_request(&c, s, 0, &mut scratch);
        r.err().map(|e| salvage::Problem::of(b, &e))
    };
    let repaired = salvage::repair(bytes, salvage::Problem::of(bytes, &err), check);
    let fixed = repaired.and_then(|r| String::from_utf8(r.text).ok().map(|t| (t, r.losses)));
    let Some((fixed, losses)) = fixed else {
        let msg = format!("skipped: {}", crate::load::short_error(&err));
        batch.diag(ctx.path, ctx.line_of_text(text), msg);
        return 0;
    };
    let sub = ctx.over_copy(text, fixed.as_bytes());
    // The repaired copy is counted as repaired above, not again as read slowly.
    let slow = std::mem::take(&mut batch.slow);
    let read = parse_request(&sub, &fixed, seq_base, batch);
    batch.slow = slow;
    match read {
        Ok(n) if n > 0 => {
            salvage::report(batch, &ctx.over_copy(text, bytes), &losses, unit);
            n
        }
        Ok(_) => {
            // Nothing sound in it: one reason, not the repaired request's complaints.
            batch.rollback(mark);
            let msg = format!("skipped: {}", crate::load::short_error(&err));
            batch.diag(ctx.path, ctx.line_of_text(text), msg);
            0
        }
        Err(e) => {
            batch.rollback(mark);
            let msg = format!("skipped: {}", crate::load::short_error(&e));
            batch.diag(ctx.path, ctx.line_of_text(text), msg);
            0
        }
    }
}

/// Where spans go while a request is walked.
struct Out<'c, 'b> {
    ctx: &'c Ctx<'c>,
    batch: &'b mut Batch,
    seq: u64,
    count: usize,
}

/// Shared per-resource context for the spans under it.
struct Scoped {
    resource: Option<TextRef>,
    scope: Sym,
}

/// Keys of a request object that hold resources.
fn is_resource_spans(key: &str) -> bool {
    matches!(key, "resourceSpans" | "resource_spans")
}

/// Keys of a `resourceSpans` element.
enum ResourceKey {
    Resource,
    ScopeSpans,
    Other,
}

impl ResourceKey {
    fn of(key: &str) -> ResourceKey {
        match key {
            "resource" => ResourceKey::Resource,
            "scopeSpans"
            | "scope_spans"
            | "instrumentationLibrarySpans"
            | "instrumentation_library_spans" => ResourceKey::ScopeSpans,
            _ => ResourceKey::Other,
        }
    }
}

/// Keys of a `scopeSpans` element.
enum ScopeKey {
    Scope,
    Spans,
    Other,
}

impl ScopeKey {
    fn of(key: &str) -> ScopeKey {
        match key {
            "scope" | "instrumentationLibrary" | "instrumentation_library" => ScopeKey::Scope,
            "spans" => ScopeKey::Spans,
            _ => ScopeKey::Other,
        }
    }
}

/// Keys of a span, by what their value is read as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SpanKey {
    /// A string (or null) kept as an id or symbol.
    TraceId,
    SpanId,
    ParentId,
    Name,
    /// Any value, kept as its JSON text.
    Kind,
    Start,
    End,
    Events,
    Links,
    /// Read by the walkers themselves.
    Attributes,
    Status,
    Other,
}

impl SpanKey {
    fn of(key: &str) -> SpanKey {
        match key {
            "traceId" | "trace_id" => SpanKey::TraceId,
            "spanId" | "span_id" => SpanKey::SpanId,
            "parentSpanId" | "parent_span_id" => SpanKey::ParentId,
            "name" => SpanKey::Name,
            "kind" => SpanKey::Kind,
            "startTimeUnixNano" | "start_time_unix_nano" => SpanKey::Start,
            "endTimeUnixNano" | "end_time_unix_nano" => SpanKey::End,
            "attributes" => SpanKey::Attributes,
            "events" => SpanKey::Events,
            "links" => SpanKey::Links,
            "status" => SpanKey::Status,
            _ => SpanKey::Other,
        }
    }

    /// Whether the value is read as a string.
    fn is_str(self) -> bool {
        matches!(
            self,
            SpanKey::TraceId | SpanKey::SpanId | SpanKey::ParentId | SpanKey::Name
        )
    }
}

/// A span being read: its draft and its start time as written.
struct Reading<'t> {
    d: SpanDraft,
    start: Option<&'t str>,
}

impl Out<'_, '_> {
    fn begin<'t>(&self) -> Reading<'t> {
        let d = (self.batch).begin(self.ctx.src, Enc::OtlpAny, self.seq + self.count as u64);
        Reading { d, start: None }
    }

    /// A string field (`null` reads as ""): ids and the name.
    fn set_str(&mut self, r: &mut Reading, key: SpanKey, s: &str) {
        let (b, span) = (&mut *self.batch, &mut r.d.span);
        match key {
            SpanKey::TraceId => span.trace_id = b.trace_id(s),
            SpanKey::SpanId => span.span_id = b.id(s),
            SpanKey::ParentId => span.parent_id = b.id(s),
            SpanKey::Name => span.name = b.sym(s),
            _ => debug_assert!(false, "not a string field"),
        }
    }

    /// A field kept from its JSON text (`None` for a missing or null value).
    fn set_raw<'t>(&mut self, r: &mut Reading<'t>, key: SpanKey, raw: Option<&'t str>) {
        let span = &mut r.d.span;
        match key {
            SpanKey::Kind => span.otel_kind = raw.map_or(0, otel_kind_text),
            SpanKey::Start => r.start = raw,
            SpanKey::End => span.set_end_ns(raw.and_then(text_i64).filter(|&e| e != 0)),
            SpanKey::Events => span.events = non_empty(raw).map(|e| self.ctx.at_text(e, Enc::Json)),
            SpanKey::Links => span.links = non_empty(raw).map(|e| self.ctx.at_text(e, Enc::Json)),
            _ => debug_assert!(false, "not a raw field"),
        }
    }

    /// A `status` object's `code` (a number or a name) and `message`, as JSON text.
    fn set_status(&mut self, r: &mut Reading, code: Option<&str>, message: Option<&str>) {
        let span = &mut r.d.span;
        span.status = code
            .and_then(text_str)
            .map_or(Status::Unset, |c| Status::from_label(&c));
        span.status_msg = self.ctx.at_opt_text(message, Enc::JsonStr);
    }

    /// One attribute; `value` is its JSON text (the OTLP `AnyValue` object).
    fn attr(&mut self, r: &mut Reading, key: &str, value: &str) {
        let at = self.ctx.at_text(value, Enc::OtlpAny);
        self.batch.attr(&mut r.d, key, value.as_bytes(), at);
    }

    fn finish(&mut self, r: Reading, scoped: &Scoped) {
        let Reading { mut d, start } = r;
        match start.and_then(text_i64) {
            Some(t) => d.span.start_ns = t,
            None => {
                let pos = start.map_or(Pos::None, |s| self.ctx.line_of_text(s));
                let msg = "span has no valid start time; shown at 0";
                self.batch.diag(self.ctx.path, pos, msg);
            }
        }
        d.span.scope = scoped.scope;
        d.span.resource = scoped.resource;
        self.batch.finish(d);
        self.count += 1;
    }

    /// `resource` may come after the spans: it goes to every span of the resource read
    /// since `first` that has none.
    fn close_resource(&mut self, first: usize, resource: Option<TextRef>) {
        for s in &mut self.batch.spans[first..] {
            s.resource = s.resource.or(resource);
        }
    }

    /// Likewise the scope name, which may come after the spans.
    fn close_scope(&mut self, first: usize, scope: Sym) {
        for s in &mut self.batch.spans[first..] {
            if s.scope.is_empty() {
                s.scope = scope;
            }
        }
    }
}

impl Out<'_, '_> {
    /// A list of resources, scopes or spans written as `null`: nothing is lost, but nothing
    /// is there either, which the user is told (`at`: where its key is).
    fn null_list(&mut self, name: &str, at: Option<usize>) {
        let pos = at.map_or(Pos::None, |o| self.ctx.pos_at(o));
        let msg = format!("`{name}` is null: no spans there");
        self.batch.diag(self.ctx.path, pos, msg);
    }

    /// A key a resource or scope element does not have (a typo such as `spanz` would
    /// otherwise hide spans without a word).
    fn unknown_key(&mut self, key: &str, element: &str) {
        if matches!(key, "schemaUrl" | "schema_url") {
            return;
        }
        let pos = self
            .ctx
            .offset_of(key)
            .map_or(Pos::None, |o| self.ctx.pos_at(o));
        let msg = format!("unknown key `{key}` in a `{element}` element: ignored");
        self.batch.diag(self.ctx.path, pos, msg);
    }
}

fn non_empty(raw: Option<&str>) -> Option<&str> {
    raw.filter(|r| !matches!(r.trim(), "[]" | "null" | ""))
}

/// OTel span kind from a number or an enum name (`SPAN_KIND_CLIENT`, `SpanKind.CLIENT`).
pub fn otel_kind(raw: &serde_json::value::RawValue) -> u8 {
    otel_kind_text(raw.get())
}

/// `otel_kind` of JSON text.
fn otel_kind_text(raw: &str) -> u8 {
    let Some(s) = text_str(raw) else { return 0 };
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
