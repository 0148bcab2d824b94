//! Langfuse exports (formats.md §5): trace dumps `{trace, observations}`, REST
//! `TraceWithFullDetails`, API pages `{data, meta}`, single observation rows (UI export
//! arrays and JSON Lines arrive one element at a time) and blob-export rows in snake_case.
//!
//! An observation becomes a span and every non-null field becomes an attribute named as in
//! the file. Only ids, times, type, level, model, usage and cost are decoded here; input,
//! output and metadata stay references. Scores become assessments, the trace object a
//! `TraceInfo`. The trace itself is not an observation, so it adds no span: a dump whose top
//! observation points at a parent missing from the file loads that observation as an orphan.

use super::Sink;
use super::json::{Ctx, RawObject, is_null, raw_array, raw_f64, raw_i64, raw_str};
use crate::model::{Assessment, Batch, Enc, SpanDraft, SpanKind, Status, TraceInfo, ids, time};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Known keys that `Semantics` maps to the roles Langfuse fields play.
const USAGE_KEY: &str = "langfuse.observation.usage_details";
const COST_KEY: &str = "llm.cost.total";
const MODEL_KEY: &str = "llm.model_name";
const TOOL_KEY: &str = "tool.name";

pub fn load(sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    let batch = &mut sink.batch;
    let Some(o) = RawObject::parse(raw) else {
        let msg = "skipped: a Langfuse record must be a JSON object";
        batch.diag(ctx.path, ctx.line_of(raw), msg);
        return;
    };
    match o.get("data").filter(|d| is_array(d)) {
        // An API page: each element is one row.
        Some(data) if !o.has("trace") && !o.has("observations") => {
            for (k, row) in raw_array(data).into_iter().enumerate() {
                let row_seq = seq.wrapping_add(k as u64);
                match RawObject::parse(row) {
                    Some(r) => record(batch, ctx, row, &r, row_seq),
                    None => batch.diag(ctx.path, ctx.line_of(row), "skipped: row is not an object"),
                }
            }
        }
        _ => record(batch, ctx, raw, &o, seq),
    }
}

/// One object of any Langfuse shape.
fn record(batch: &mut Batch, ctx: &Ctx, raw: &RawValue, o: &RawObject, seq: u64) {
    if let Some(trace) = o.get("trace").filter(|t| is_object(t)) {
        // UI dump: the full observations are top-level; `trace.observations` are light rows.
        let t = RawObject::parse(trace).unwrap_or_default();
        let observations = o
            .any(&["observations"])
            .or_else(|| t.any(&["observations"]));
        let scores = t.any(&["scores"]).or_else(|| o.any(&["scores"]));
        load_trace(batch, ctx, trace, &t, observations, scores, seq);
    } else if o.get("observations").is_some_and(is_array) {
        // REST `TraceWithFullDetails`: the trace fields and its observations in one object.
        load_trace(
            batch,
            ctx,
            raw,
            o,
            o.get("observations"),
            o.get("scores"),
            seq,
        );
    } else if is_observation(o) {
        add_observation(batch, ctx, raw, o, seq, None);
    } else if is_score(o) {
        add_score(batch, o, None);
    } else if o.has("id") && o.has("timestamp") {
        // A trace row (blob export `traces/`): it describes spans that come in other rows.
        push_info(batch, ctx, raw, o);
    } else {
        let msg = "skipped: not a Langfuse trace, observation or score";
        batch.diag(ctx.path, ctx.line_of(raw), msg);
    }
}

/// A trace object with its observations and scores.
fn load_trace(
    batch: &mut Batch,
    ctx: &Ctx,
    trace_raw: &RawValue,
    t: &RawObject,
    observations: Option<&RawValue>,
    scores: Option<&RawValue>,
    seq: u64,
) {
    let tid = t.str(&["id"]).map(|s| s.into_owned());
    push_info(batch, ctx, trace_raw, t);
    let rows = observations.map(raw_array).unwrap_or_default();
    if rows.is_empty() {
        let id = tid.as_deref().unwrap_or("?");
        let msg = format!("trace {id} has no observations: nothing to show for it");
        batch.diag(ctx.path, ctx.line_of(trace_raw), msg);
    }
    for (k, row) in rows.into_iter().enumerate() {
        let row_seq = seq.wrapping_add(k as u64 + 1);
        match RawObject::parse(row) {
            Some(r) => add_observation(batch, ctx, row, &r, row_seq, tid.as_deref()),
            None => batch.diag(
                ctx.path,
                ctx.line_of(row),
                "observation skipped: not an object",
            ),
        }
    }
    for s in scores.map(raw_array).unwrap_or_default() {
        match RawObject::parse(s) {
            Some(r) => add_score(batch, &r, tid.as_deref()),
            None => batch.diag(ctx.path, ctx.line_of(s), "score skipped: not an object"),
        }
    }
}

fn push_info(batch: &mut Batch, ctx: &Ctx, raw: &RawValue, t: &RawObject) {
    let Some(id) = t.str(&["id"]).filter(|s| !s.is_empty()) else {
        return;
    };
    batch.infos.push(TraceInfo {
        trace_id: ids::normalize(&id).into_owned(),
        original_id: Some(id.into_owned()),
        state: None,
        info: Some(ctx.at(raw, Enc::Json)),
    });
}

fn is_observation(o: &RawObject) -> bool {
    o.has("startTime")
        || o.has("start_time")
        || o.has("type") && (o.has("traceId") || o.has("trace_id"))
}

fn is_score(o: &RawObject) -> bool {
    let targets = o.has("traceId") || o.has("trace_id") || o.has("observationId");
    o.has("dataType") || o.has("data_type") || o.has("name") && o.has("value") && targets
}

/// One observation row, camelCase (API, UI) or snake_case (blob export).
fn add_observation(
    batch: &mut Batch,
    ctx: &Ctx,
    raw: &RawValue,
    o: &RawObject,
    seq: u64,
    trace_fallback: Option<&str>,
) {
    let mut d = batch.begin(ctx.src, Enc::Json, seq);
    let tid = o.str(&["traceId", "trace_id"]);
    d.span.trace_id = batch.trace_id(tid.as_deref().or(trace_fallback).unwrap_or(""));
    d.span.span_id = batch.id(&o.str(&["id"]).unwrap_or_default());
    let parent = o.str(&["parentObservationId", "parent_observation_id"]);
    d.span.parent_id = batch.id(&parent.unwrap_or_default());
    let name = o.str(&["name"]).unwrap_or_default();
    d.span.name = batch.sym(&name);
    let kind = o.str(&["type"]).and_then(|t| SpanKind::from_label(&t));
    if let Some(k) = kind {
        d.sem.set_kind(0, k);
    }
    if kind == Some(SpanKind::Tool) && !name.is_empty() {
        d.sem
            .observe_decoded(TOOL_KEY, &Value::String(name.into_owned()));
    }
    times(batch, ctx, raw, o, &mut d, kind == Some(SpanKind::Unknown));
    status(ctx, o, &mut d);
    if let Some(m) = o.str(&["model", "provided_model_name", "providedModelName"]) {
        d.sem
            .observe_decoded(MODEL_KEY, &Value::String(m.into_owned()));
    }
    let has_usage = usage(o, &mut d);
    cost(o, &mut d, has_usage);
    d.span.input = payload(ctx, o.get("input"));
    d.span.output = payload(ctx, o.get("output"));
    for (k, v) in &o.0 {
        if !is_null(v) {
            batch.attr(&mut d, k, v.get().as_bytes(), ctx.at(v, Enc::Json));
        }
    }
    batch.finish(d);
}

/// Start and end. An EVENT is a point in time: no `endTime` means it ended when it started.
fn times(
    batch: &mut Batch,
    ctx: &Ctx,
    raw: &RawValue,
    o: &RawObject,
    d: &mut SpanDraft,
    is_event: bool,
) {
    let start = o.any(&["startTime", "start_time"]);
    match start.and_then(parse_time) {
        Some(t) => d.span.start_ns = t,
        None => {
            let pos = ctx.line_of(start.unwrap_or(raw));
            let msg = "observation has no valid startTime; shown at 0";
            batch.diag(ctx.path, pos, msg);
        }
    }
    let end = o
        .any(&["endTime", "end_time"])
        .filter(|e| e.get() != "\"\"");
    let end_ns = match end {
        Some(e) => {
            let t = parse_time(e);
            if t.is_none() {
                let msg = "observation endTime not understood; shown as in progress";
                batch.diag(ctx.path, ctx.line_of(e), msg);
            }
            t
        }
        None if is_event => Some(d.span.start_ns),
        None => None,
    };
    d.span.set_end_ns(end_ns);
}

fn parse_time(raw: &RawValue) -> Option<i64> {
    time::parse_iso(&raw_str(raw)?)
}

/// `level: ERROR` is Langfuse's only error signal; `statusMessage` says why.
fn status(ctx: &Ctx, o: &RawObject, d: &mut SpanDraft) {
    let level = o.str(&["level"]).unwrap_or_default();
    if level.eq_ignore_ascii_case("ERROR") {
        d.span.status = Status::Error;
    }
    let msg = o.any(&["statusMessage", "status_message"]);
    d.span.status_msg = msg.and_then(|m| ctx.at_opt(Some(m), string_enc(m)));
}

/// Payloads are JSON strings that often hold JSON, or (newer dumps) plain objects.
fn payload(ctx: &Ctx, raw: Option<&RawValue>) -> Option<crate::model::TextRef> {
    let raw = raw?;
    ctx.at_opt(Some(raw), string_enc(raw))
}

fn string_enc(raw: &RawValue) -> Enc {
    if raw.get().starts_with('"') {
        Enc::JsonStrJson
    } else {
        Enc::Json
    }
}

/// Token usage: `usageDetails`, else legacy `usage`, else the flat `inputUsage`/`outputUsage`/
/// `totalUsage` columns (zero everywhere on observations without usage, so zeros are
/// ignored there). Returns true when a source had counts.
fn usage(o: &RawObject, d: &mut SpanDraft) -> bool {
    for key in ["usageDetails", "usage_details", "usage"] {
        if let Some(v) = o.get(key).filter(|v| !is_null(v)).map(decode_small)
            && has_counts(&v)
        {
            d.sem.observe_decoded(USAGE_KEY, &v);
            return true;
        }
    }
    let flat = [
        ("input", ["inputUsage", "input_usage"]),
        ("output", ["outputUsage", "output_usage"]),
        ("total", ["totalUsage", "total_usage"]),
    ];
    let mut m = Map::new();
    for (slot, keys) in flat {
        if let Some(n) = o.any(&keys).and_then(raw_i64).filter(|n| *n > 0) {
            m.insert(slot.into(), n.into());
        }
    }
    let found = !m.is_empty();
    if found {
        d.sem.observe_decoded(USAGE_KEY, &Value::Object(m));
    }
    found
}

/// True when a usage value has at least one count (`{}` has none). A string that is not
/// JSON (a Python repr) is passed on for `Semantics` to read leniently.
fn has_counts(v: &Value) -> bool {
    const KEYS: [&str; 8] = [
        "input",
        "output",
        "total",
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "prompt_tokens",
        "completion_tokens",
    ];
    match v {
        Value::Object(m) => KEYS.iter().any(|k| m.get(*k).is_some_and(|n| !n.is_null())),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => has_counts(&Value::Object(m)),
            Ok(_) => false,
            Err(_) => KEYS.iter().any(|k| s.contains(k)),
        },
        _ => false,
    }
}

/// Cost in USD: `totalCost`, `calculatedTotalCost`, then `costDetails.total`. Langfuse
/// writes 0 for observations nobody priced, so a zero counts only beside token usage.
fn cost(o: &RawObject, d: &mut SpanDraft, has_usage: bool) {
    let direct = [
        "totalCost",
        "total_cost",
        "calculatedTotalCost",
        "calculated_total_cost",
    ];
    let mut found: Vec<f64> = direct
        .iter()
        .filter_map(|k| o.get(k).and_then(raw_f64))
        .collect();
    if let Some(details) = o.any(&["costDetails", "cost_details"]).map(decode_small) {
        let obj = match details {
            Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
            v => v,
        };
        found.extend(obj.get("total").and_then(Value::as_f64));
    }
    let best = found.iter().copied().find(|c| *c != 0.0);
    let best = best.or_else(|| found.first().copied().filter(|_| has_usage));
    if let Some(c) = best {
        d.sem.observe_decoded(COST_KEY, &Value::from(c));
    }
}

/// A score (trace or observation level) as an assessment.
fn add_score(batch: &mut Batch, o: &RawObject, trace_fallback: Option<&str>) {
    let tid = o.str(&["traceId", "trace_id"]);
    let tid = tid.as_deref().or(trace_fallback).unwrap_or("");
    let span = o
        .str(&["observationId", "observation_id"])
        .filter(|s| ids::is_present(s));
    batch.assessments.push(
        Assessment {
            trace_id: ids::normalize(tid).into_owned(),
            span_id: span.map(|s| ids::normalize(&s).into_owned()),
            name: o.str(&["name"]).unwrap_or_default().into_owned(),
            kind: "score".into(),
            value: score_value(o),
            rationale: non_empty(o.str(&["comment"])),
            source: non_empty(o.str(&["source"])),
            error: None,
            id: non_empty(o.str(&["id"])),
            time_ns: o
                .str(&["timestamp", "createdAt", "created_at"])
                .and_then(|t| time::parse_iso(&t)),
        }
        .into(),
    );
}

/// The value a score carries: a number, a boolean (stored as 1/0) or a category or text
/// in `stringValue` / `longStringValue`.
fn score_value(o: &RawObject) -> Value {
    let data_type = o.str(&["dataType", "data_type"]).unwrap_or_default();
    let number = o.any(&["value"]).map(decode_small);
    let text = non_empty(o.str(&["stringValue", "string_value"]))
        .or_else(|| non_empty(o.str(&["longStringValue", "long_string_value"])));
    match (data_type.to_ascii_uppercase().as_str(), number, text) {
        ("BOOLEAN", Some(n), _) if n.is_number() => Value::Bool(n.as_f64() != Some(0.0)),
        ("NUMERIC", Some(n), _) => n,
        (_, _, Some(t)) => Value::String(t),
        (_, Some(n), None) => n,
        (_, None, None) => Value::Null,
    }
}

fn non_empty(s: Option<std::borrow::Cow<str>>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(|s| s.into_owned())
}

/// Decodes a small field (usage, cost, a score value); never a payload.
fn decode_small(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

fn is_array(raw: &RawValue) -> bool {
    raw.get().trim_start().starts_with('[')
}

fn is_object(raw: &RawValue) -> bool {
    raw.get().trim_start().starts_with('{')
}
