//! What the fields of an MLflow span dict and of a trace's `info` mean, whichever reader
//! found them. The serde_json reader (`RawObject`s) and the fast reader (the token index,
//! `fast_walk`) both hand over the JSON text of each field, and the functions here build
//! the span and the trace record from it, in one order of batch calls, so the two readers
//! give the very same batch.

use super::usage;
use crate::load::json::is_null_text as is_null;
use crate::load::json::{Ctx, text_i64, text_str};
use crate::load::{Sink, json::CowStr};
use crate::model::{Enc, Pos, Status, Stored, TraceInfo, ids};
use std::borrow::Cow;

/// The JSON texts of a span dict's fields: each the first occurrence of its key (as
/// `RawObject::get` finds it), `None` when absent. Pairs list the keys read in turn (the
/// first present and not null counts).
#[derive(Default)]
pub(super) struct SpanFields<'a> {
    /// `context.span_id` (v2, when `context` is an object) or `span_id` (v3).
    pub span_id: Option<&'a str>,
    /// `context.trace_id` or `trace_id`, likewise.
    pub trace_id: Option<&'a str>,
    /// `parent_span_id` (v3), `parent_id` (v2).
    pub parent: [Option<&'a str>; 2],
    pub name: Option<&'a str>,
    /// `start_time_unix_nano`, `start_time`.
    pub start: [Option<&'a str>; 2],
    /// `end_time_unix_nano`, `end_time`.
    pub end: [Option<&'a str>; 2],
    /// `status.code`, `status.status_code` when `status` is an object; else `status_code`.
    pub code: [Option<&'a str>; 2],
    /// `status.message` or else `status.description`; else `status_message`.
    pub message: Option<&'a str>,
    pub events: Option<&'a str>,
    pub links: Option<&'a str>,
    /// Where the first field's value starts: what messages about the span point at.
    pub first: Option<&'a str>,
}

/// The fields of a trace's `info` that are read.
#[derive(Default)]
pub(super) struct InfoFields<'a> {
    /// The whole `info` value, kept as a reference.
    pub raw: Option<&'a str>,
    /// `trace_id` (v3), `request_id` (v2).
    pub trace_id: [Option<&'a str>; 2],
    /// `state` (v3), `status` (v2).
    pub state: [Option<&'a str>; 2],
    /// The elements of `assessments`, when it is an array.
    pub assessments: Vec<AssessmentText<'a>>,
}

/// One element of `info.assessments`: its JSON text, and its top-level fields when the
/// fast reader's walk read them.
#[derive(Clone, Copy)]
pub(super) struct AssessmentText<'a> {
    pub text: &'a str,
    pub fields: Option<super::assessment::Fields<'a>>,
}

impl AssessmentText<'_> {
    /// The assessment: kept as its text, with the ids the walked fields give, when there
    /// are some and the text is the source's own; else read from the text now. `trace`:
    /// the id its trace's `info` gives, as written and canonical.
    pub fn read(&self, ctx: &Ctx, trace: Option<super::assessment::Known>) -> Option<Stored> {
        match self.fields {
            Some(fields) if !ctx.repaired => {
                super::assessment::keep(ctx.at_text(self.text, Enc::Json), fields, trace)
            }
            _ => super::assessment::read(self.text).map(Stored::from),
        }
    }
}

/// The first text present and not null (`RawObject::any`).
fn any<'a>(texts: &[Option<&'a str>]) -> Option<&'a str> {
    texts.iter().flatten().copied().find(|t| !is_null(t))
}

/// The first text present and not null, as a string (`RawObject::str`).
fn str_of<'a>(texts: &[Option<&'a str>]) -> Option<Cow<'a, str>> {
    any(texts).and_then(text_str)
}

/// Records a trace's `info` (id, state, assessments); returns the canonical trace id.
pub(super) fn record_info(sink: &mut Sink, ctx: &Ctx, f: &InfoFields) -> String {
    let original = str_of(&f.trace_id).unwrap_or_default().into_owned();
    let trace_id = ids::normalize(&original).into_owned();
    let state = str_of(&f.state).map(|s| Status::from_label(&s));
    if !f.assessments.is_empty() {
        let shared: std::sync::Arc<str> = trace_id.as_str().into();
        // The spans that follow ask for this symbol too (`Batch::trace_id` keeps it).
        let sym = sink.batch.trace_id(&trace_id);
        let known = Some((original.as_str(), &shared, sym));
        let read = f.assessments.iter().filter_map(|a| a.read(ctx, known));
        sink.batch.assessments.extend(read);
    }
    sink.batch.infos.push(TraceInfo {
        trace_id: trace_id.clone(),
        original_id: Some(original),
        state,
        info: ctx.at_opt_text(f.raw, Enc::Json),
    });
    trace_id
}

/// One span, in either the v2 (`context`, `parent_id`, `start_time`, `status_code`) or
/// the v3 (`span_id`, `parent_span_id`, `start_time_unix_nano`, `status{code}`) shape,
/// with its attributes (key, JSON text of the value) in file order.
pub(super) fn load_span<'a, 'k>(
    sink: &mut Sink,
    ctx: &Ctx,
    (f, attrs): (&SpanFields<'a>, impl Iterator<Item = (&'k str, &'a str)>),
    trace: Option<&str>,
    seq: u64,
) {
    let span_id = str_of(&[f.span_id]).unwrap_or_default();
    let own_trace = str_of(&[f.trace_id]).unwrap_or_default();
    let parent = str_of(&f.parent).unwrap_or_default();
    let mut d = sink.batch.begin(ctx.src, Enc::JsonStrJson, seq);
    d.span.span_id = sink.batch.id(&span_id);
    d.span.parent_id = sink.batch.id(&parent);
    d.span.name = sink.batch.sym(&str_of(&[f.name]).unwrap_or_default());
    match any(&f.start).and_then(text_i64) {
        Some(t) => d.span.start_ns = t,
        None => {
            let pos = f.first.map_or(Pos::None, |v| ctx.line_of_text(v));
            let msg = "span has no valid start time; shown at 0";
            sink.batch.diag(ctx.path, pos, msg);
        }
    }
    d.span.set_end_ns(any(&f.end).and_then(text_i64));
    d.span.status = str_of(&f.code).map_or(Status::Unset, |c| Status::from_label(&c));
    d.span.status_msg = ctx.at_opt_text(f.message, Enc::JsonStr);
    let mut request_id = None;
    let mut outputs = None;
    for (key, v) in attrs {
        match key {
            // Only read when the trace gives no id (a bare span list).
            "mlflow.traceRequestId" if trace.is_none() => request_id = decoded_string(v),
            "mlflow.spanOutputs" => outputs = Some(v),
            _ => {}
        }
        sink.batch
            .attr(&mut d, key, v.as_bytes(), ctx.at_text(v, Enc::JsonStrJson));
    }
    // MLflow 2 autolog keeps token usage only inside the provider response.
    if let Some(out) = outputs.filter(|o| !d.sem.has_tokens() && usage::worth_parsing(o)) {
        usage::read_from_response(&mut d.sem, out);
    }
    // PERF: borrowed where it can be: a `String` per span was a malloc and a free each.
    let tid: Cow<str> = match (trace, request_id) {
        (Some(t), _) => Cow::Borrowed(t),
        (None, Some(r)) => Cow::Owned(r),
        (None, None) => own_trace,
    };
    d.span.trace_id = sink.batch.trace_id(&tid);
    d.span.events = non_empty(f.events).map(|e| ctx.at_text(e, Enc::Json));
    d.span.links = non_empty(f.links).map(|e| ctx.at_text(e, Enc::Json));
    sink.batch.finish(d);
}

fn non_empty(t: Option<&str>) -> Option<&str> {
    t.filter(|t| !is_null(t) && t.trim() != "[]")
}

/// An attribute value such as `"\"tr-…\""`: a JSON string holding a JSON string.
fn decoded_string(text: &str) -> Option<String> {
    let outer: String = serde_json::from_str(text).ok()?;
    Some(serde_json::from_str::<String>(&outer).unwrap_or(outer))
}

/// Attribute keys as the serde reader has them (unescaped), for `load_span`.
pub(super) fn raw_attrs<'a, 'o>(
    attrs: &'o [(CowStr<'a>, &'a serde_json::value::RawValue)],
) -> impl Iterator<Item = (&'o str, &'a str)> {
    attrs.iter().map(|(k, v)| (&**k, v.get()))
}
