//! What the fields of a LangSmith run mean, whichever reader found them. The serde_json
//! reader (`RawObject`s) and the fast reader (the token index, `fast_walk`) both hand over
//! the JSON text of each field, and `add_run` builds the span from it in one order of
//! batch calls, so the two readers give the very same batch.

use crate::load::json::{Ctx, text_str};
use crate::model::{Batch, Enc, Pos, SpanDraft, SpanKind, Status, time};
use serde_json::Value;
use std::borrow::Cow;

/// Known keys that `Semantics` maps to the roles LangSmith fields play.
const USAGE_KEY: &str = "langfuse.observation.usage_details";
const MODEL_KEY: &str = "llm.model_name";
const TOOL_KEY: &str = "tool.name";
const COST_KEY: &str = "llm.cost.total";

/// The JSON texts of a run's fields: each the first occurrence of its key (as
/// `RawObject::get` finds it), `None` when absent. Nested fields are read only when their
/// holder (the first occurrence of its key) is an object.
#[derive(Default, Debug)]
pub(super) struct RunFields<'a> {
    pub id: Option<&'a str>,
    pub trace_id: Option<&'a str>,
    pub parent_run_id: Option<&'a str>,
    pub dotted_order: Option<&'a str>,
    pub name: Option<&'a str>,
    pub run_type: Option<&'a str>,
    pub start_time: Option<&'a str>,
    pub end_time: Option<&'a str>,
    pub error: Option<&'a str>,
    pub status: Option<&'a str>,
    /// `prompt_tokens`, `completion_tokens`, `total_tokens`.
    pub tokens: [Option<&'a str>; 3],
    pub total_cost: Option<&'a str>,
    pub inputs: Option<&'a str>,
    pub outputs: Option<&'a str>,
    pub events: Option<&'a str>,
    pub feedback_stats: Option<&'a str>,
    /// `outputs.usage_metadata`, `outputs.usage`.
    pub usage: [Option<&'a str>; 2],
    /// `outputs.llm_output.token_usage`.
    pub token_usage: Option<&'a str>,
    /// `extra.metadata.ls_model_name`.
    pub meta_model: Option<&'a str>,
    /// `extra.invocation_params.model`, `extra.invocation_params.model_name`.
    pub params_model: [Option<&'a str>; 2],
}

pub(super) use crate::load::json::is_null_text as is_null;

/// The first text present and not null (`RawObject::any`).
fn any<'a>(texts: &[Option<&'a str>]) -> Option<&'a str> {
    texts.iter().flatten().copied().find(|t| !is_null(t))
}

/// The first text present and not null, as a string (`RawObject::str`).
fn str_of<'a>(texts: &[Option<&'a str>]) -> Option<Cow<'a, str>> {
    any(texts).and_then(text_str)
}

/// Where a run is in the file and in the load order.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    pub seq: u64,
    pub pos: Where<'a>,
}

/// Where messages about a run point. PERF: in a document a position is a line number,
/// found by counting the newlines before it, so it is found only when a message needs it
/// (found for every run, a one-line array of 20,000 runs took 14 s).
#[derive(Clone, Copy)]
pub(super) enum Where<'a> {
    Known(Pos),
    /// The run's text, borrowed from the buffer of the `Ctx` it is loaded with.
    Text(&'a str),
}

impl Where<'_> {
    pub(super) fn pos(self, ctx: &Ctx) -> Pos {
        match self {
            Where::Known(p) => p,
            Where::Text(t) => ctx.line_of_text(t),
        }
    }
}

/// One run as a span, with its top-level fields (key, JSON text) in file order as its
/// attributes; returns its id for its `child_runs`.
pub(super) fn add_run<'a, 'k>(
    batch: &mut Batch,
    ctx: &Ctx,
    (f, attrs): (&RunFields<'a>, impl Iterator<Item = (&'k str, &'a str)>),
    at: At,
    parent_fallback: Option<String>,
) -> Option<String> {
    let links = Links::of(f, parent_fallback);
    let mut d = batch.begin(ctx.src, Enc::Json, at.seq);
    d.span.trace_id = batch.trace_id(links.trace.as_deref().unwrap_or(""));
    d.span.span_id = batch.id(links.id.as_deref().unwrap_or(""));
    d.span.parent_id = batch.id(links.parent.as_deref().unwrap_or(""));
    let name = str_of(&[f.name]).unwrap_or_default();
    d.span.name = batch.sym(&name);
    let kind = str_of(&[f.run_type]).and_then(|t| SpanKind::from_label(&t));
    if let Some(k) = kind {
        d.sem.set_kind(0, k);
    }
    if kind == Some(SpanKind::Tool) && !name.is_empty() {
        d.sem
            .observe_decoded(TOOL_KEY, &Value::String(name.into_owned()));
    }
    times(batch, ctx, f, &mut d, at.pos);
    status(ctx, f, &mut d);
    tokens(f, &mut d);
    if let Some(m) = model(f) {
        d.sem.observe_decoded(MODEL_KEY, &Value::String(m));
    }
    if let Some(c) = f.total_cost.and_then(|c| serde_json::from_str(c).ok()) {
        d.sem.observe_decoded(COST_KEY, &c);
    }
    d.span.input = ctx.at_opt_text(f.inputs, Enc::Json);
    d.span.output = ctx.at_opt_text(f.outputs, Enc::Json);
    d.span.events = f
        .events
        .filter(|e| !is_empty_list(e))
        .map(|e| ctx.at_text(e, Enc::Json));
    for (k, v) in attrs {
        if !is_null(v) {
            batch.attr(&mut d, k, v.as_bytes(), ctx.at_text(v, Enc::Json));
        }
    }
    batch.finish(d);
    feedback_stats(batch, f, &links);
    links.id
}

/// A run's `feedback_stats` (`{"correctness": {"n": 2, "avg": 0.5}}`, what LangSmith keeps
/// of its feedback on the run) as one assessment per key: the average (or the whole stats
/// object when there is none), with the count as the rationale.
fn feedback_stats(batch: &mut Batch, f: &RunFields, links: &Links) {
    let stats = f.feedback_stats.filter(|v| !is_null(v));
    let Some(Value::Object(keys)) = stats.map(decode_small) else {
        return;
    };
    let norm = |id: &Option<String>| {
        crate::model::ids::normalize(id.as_deref().unwrap_or("")).into_owned()
    };
    for (name, st) in keys {
        let value = st.get("avg").filter(|v| !v.is_null()).cloned();
        let n = st.get("n").and_then(Value::as_u64);
        batch.assessments.push(
            crate::model::Assessment {
                trace_id: norm(&links.trace),
                span_id: links.id.as_ref().map(|_| norm(&links.id)),
                name,
                kind: "feedback".into(),
                value: value.unwrap_or(st),
                rationale: n.map(|n| {
                    format!(
                        "average of {n} feedback record{}",
                        if n == 1 { "" } else { "s" }
                    )
                }),
                source: Some("LangSmith feedback_stats".into()),
                ..Default::default()
            }
            .into(),
        );
    }
}

/// A run's own, trace and parent ids. `dotted_order` (`<time>Z<uuid>` segments from the
/// root down) fills in what a record leaves out.
struct Links {
    id: Option<String>,
    trace: Option<String>,
    parent: Option<String>,
}

impl Links {
    fn of(f: &RunFields, parent_fallback: Option<String>) -> Links {
        let dotted = str_of(&[f.dotted_order]).unwrap_or_default();
        let segs: Vec<&str> = dotted
            .split('.')
            .filter_map(|s| s.split_once('Z').map(|(_, id)| id))
            .filter(|id| !id.is_empty())
            .collect();
        let own = |s: Option<Cow<str>>| s.map(|s| s.into_owned());
        let id = own(str_of(&[f.id])).or_else(|| segs.last().map(|s| s.to_string()));
        let trace = own(str_of(&[f.trace_id]))
            .or_else(|| segs.first().map(|s| s.to_string()))
            .or_else(|| id.clone());
        let from_dotted = segs.len().checked_sub(2).map(|i| segs[i].to_string());
        let parent = own(str_of(&[f.parent_run_id]))
            .or(from_dotted)
            .or(parent_fallback);
        Links { id, trace, parent }
    }
}

fn times(batch: &mut Batch, ctx: &Ctx, f: &RunFields, d: &mut SpanDraft, pos: Where) {
    match any(&[f.start_time]).and_then(parse_time) {
        Some(t) => d.span.start_ns = t,
        None => batch.diag(
            ctx.path,
            pos.pos(ctx),
            "run has no valid start_time; shown at 0",
        ),
    }
    let end = any(&[f.end_time]);
    d.span.set_end_ns(end.and_then(parse_time));
    if end.is_some() && d.span.end_ns().is_none() {
        batch.diag(
            ctx.path,
            pos.pos(ctx),
            "run end_time not understood; shown as in progress",
        );
    }
}

/// ISO-8601 strings (Python SDK) or epoch numbers (JS SDK: milliseconds). A bare number's
/// unit is read from its size, so seconds, micro- and nanoseconds also land right.
pub(super) fn parse_time(raw: &str) -> Option<i64> {
    let s = text_str(raw)?;
    if let Some(t) = time::parse_iso(&s) {
        return Some(t);
    }
    if let Ok(n) = s.parse::<i64>() {
        let scale = match n.unsigned_abs() {
            0..100_000_000_000 => 1_000_000_000,
            100_000_000_000..100_000_000_000_000 => 1_000_000,
            100_000_000_000_000..100_000_000_000_000_000 => 1_000,
            _ => 1,
        };
        return n.checked_mul(scale);
    }
    let f: f64 = s.parse().ok().filter(|f: &f64| f.is_finite())?;
    let ns = if f.abs() < 1e11 { f * 1e9 } else { f * 1e6 };
    Some(ns.round() as i64)
}

/// `error` set means the run failed; its text (often a traceback) is the message.
fn status(ctx: &Ctx, f: &RunFields, d: &mut SpanDraft) {
    if let Some(e) = f.error.filter(|e| !is_null(e) && *e != "\"\"") {
        d.span.status = Status::Error;
        let enc = if e.starts_with('"') {
            Enc::JsonStr
        } else {
            Enc::Json
        };
        d.span.status_msg = Some(ctx.at_text(e, enc));
        return;
    }
    d.span.status = match str_of(&[f.status]).as_deref() {
        Some("error") => Status::Error,
        Some("success") => Status::Ok,
        _ => Status::Unset,
    };
}

/// Tokens: the run's own `prompt_tokens`/`completion_tokens`/`total_tokens`, else the usage
/// the provider response carries in `outputs` (LangChain `usage_metadata`, OpenAI `usage`,
/// LangChain `llm_output.token_usage`).
fn tokens(f: &RunFields, d: &mut SpanDraft) {
    let own = ["prompt_tokens", "completion_tokens", "total_tokens"];
    let mut m = serde_json::Map::new();
    for (k, v) in own.into_iter().zip(f.tokens) {
        if let Some(v) = v.filter(|v| !is_null(v)) {
            m.insert(k.into(), decode_small(v));
        }
    }
    if !m.is_empty() {
        d.sem.observe_decoded(USAGE_KEY, &Value::Object(m));
        return;
    }
    let found = any(&f.usage).or(f.token_usage);
    if let Some(v) = found.map(decode_small).filter(Value::is_object) {
        d.sem.observe_decoded(USAGE_KEY, &v);
    }
}

/// The model: `extra.metadata.ls_model_name`, else `extra.invocation_params.model`.
fn model(f: &RunFields) -> Option<String> {
    str_of(&[f.meta_model])
        .or_else(|| str_of(&f.params_model))
        .filter(|m| !m.is_empty())
        .map(|m| m.into_owned())
}

fn is_empty_list(raw: &str) -> bool {
    matches!(raw.trim(), "[]" | "null" | "")
}

/// Decodes a small field (a token count); never a payload.
fn decode_small(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or(Value::Null)
}
