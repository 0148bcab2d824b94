//! MLflow traces: `Trace.to_json()` (schema v2 and v3), the `traces.json` artifact (spans
//! only), `search_traces()` DataFrame rows, and the file-store trace directory.
//!
//! Traps handled (formats.md §1): five span-id encodings (0x-hex, bare hex, base64, `tr-`
//! trace ids), attribute values that are JSON-encoded strings, nanosecond integers beyond
//! 2^53, `parent_span_id` of `""` or `null` for roots, and assessment span ids in hex while
//! span dicts use base64.

mod assessment;
mod fast_walk;
mod rows;
mod span;
#[cfg(test)]
mod tests;
mod usage;

use super::format::Format;
use super::input::Input;
use super::json::{CowStr, Ctx, RawObject, is_null, raw_array};
use super::{ARENA_SRC, Sink, short_error};
use crate::model::{Assessment, Enc, FileLoad, Pos, Status, TraceInfo, ids};
pub use rows::load_trace_cell;
use serde_json::Value;
use serde_json::value::RawValue;
use span::{InfoFields, SpanFields, raw_attrs};
use std::path::Path;

/// Entry point for one MLflow JSON object of format `fmt`.
pub fn load(fmt: Format, sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    if fmt == Format::MlflowTrace && load_text(sink, ctx, raw.get(), seq) {
        return;
    }
    // PERF: a row's `trace` string found over the SIMD token index; as a `RawObject`,
    // serde_json stepped through its escapes, a fifth of a records load's CPU.
    if fmt == Format::MlflowSearchTraces
        && let Some(literal) = rows::row_trace(raw.get()).filter(|t| t.starts_with('"'))
    {
        return rows::load_trace_string(sink, ctx, literal, seq);
    }
    let Some(obj) = RawObject::parse(raw) else {
        sink.batch.diag(
            ctx.path,
            ctx.line_of(raw),
            "skipped: expected a JSON object",
        );
        return;
    };
    match fmt {
        Format::MlflowTrace => load_trace(sink, ctx, &obj, seq),
        Format::MlflowTraceData => {
            let spans = span_list(sink, ctx, raw, Some(&obj), "the document");
            load_spans(sink, ctx, &spans, None, seq)
        }
        _ => rows::load_row(sink, ctx, &obj, raw, seq),
    }
}

/// `{info, data: {spans}}` as written by `Trace.to_json()`, read in one pass.
///
/// PERF: a line holds a whole trace; reading each level as a `RawObject` (the trace, its
/// `data`, the span list, each span, its attributes) scanned most of its bytes six times.
/// Any other shape fails to parse as this and goes the `RawObject` way (`load_trace`).
#[derive(serde::Deserialize)]
struct TraceDoc<'a> {
    #[serde(borrow, default)]
    info: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data: Option<TraceData<'a>>,
}

#[derive(serde::Deserialize)]
struct TraceData<'a> {
    #[serde(borrow, default)]
    spans: Option<Vec<SpanDict<'a>>>,
}

/// A span dict: its fields as raw pairs, and its attributes read in the same pass.
struct SpanDict<'a> {
    fields: RawObject<'a>,
    attributes: Option<RawObject<'a>>,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for SpanDict<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = SpanDict<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an MLflow span")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let (mut fields, mut attributes) = (Vec::new(), None);
                while let Some(key) = map.next_key::<CowStr<'de>>()? {
                    if &*key == "attributes" && attributes.is_none() {
                        attributes = map.next_value::<Option<RawObject<'de>>>()?;
                    } else {
                        fields.push((key, map.next_value::<&'de RawValue>()?));
                    }
                }
                Ok(SpanDict {
                    fields: RawObject(fields),
                    attributes,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// Loads `text` (borrowed from `ctx.buf`) if it is a `Trace.to_json()` document; false
/// when it is something else, or not JSON, and has to go the `RawObject` way. The fast
/// reader reads it where it can; each document it leaves to serde_json is counted, by why.
pub fn load_text(sink: &mut Sink, ctx: &Ctx, text: &str, seq: u64) -> bool {
    if super::fastjson::enabled() {
        match fast_walk::load_document(sink, ctx, text, seq) {
            Ok(()) => return true,
            Err(why) => sink.batch.slow.add("mlflow line", why, 1),
        }
    }
    load_text_serde(sink, ctx, text, seq)
}

/// `load_text` with the serde_json reader only.
fn load_text_serde(sink: &mut Sink, ctx: &Ctx, text: &str, seq: u64) -> bool {
    match serde_json::from_str::<TraceDoc>(text) {
        Ok(doc) if doc.info.is_none() && doc.data.is_none() => {
            not_a_trace(sink, ctx, text);
            true
        }
        // No span list: the `RawObject` way says what is there instead.
        Ok(doc) if doc.data.as_ref().and_then(|d| d.spans.as_ref()).is_none() => false,
        Ok(doc) => {
            load_trace_doc(sink, ctx, &doc, seq);
            true
        }
        Err(_) => false,
    }
}

fn load_trace_doc(sink: &mut Sink, ctx: &Ctx, doc: &TraceDoc, seq: u64) {
    let trace_id = trace_info(sink, ctx, doc.info);
    let spans = doc.data.as_ref().and_then(|d| d.spans.as_deref());
    for (i, span) in spans.unwrap_or_default().iter().enumerate() {
        let attrs = span.attributes.as_ref().map_or(&[][..], |a| &a.0[..]);
        let f = span_fields(&span.fields);
        let seq = seq + i as u64;
        span::load_span(sink, ctx, (&f, raw_attrs(attrs)), Some(&trace_id), seq);
    }
}

/// `{info, data: {spans}}` as written by `Trace.to_json()`.
fn load_trace(sink: &mut Sink, ctx: &Ctx, obj: &RawObject, seq: u64) {
    let trace_id = trace_info(sink, ctx, obj.get("info"));
    let spans = match obj.get("data") {
        Some(data) => span_list(sink, ctx, data, RawObject::parse(data).as_ref(), "`data`"),
        None => {
            let pos = pos_of(ctx, obj);
            sink.batch
                .diag(ctx.path, pos, "trace has no `data`: no spans");
            Vec::new()
        }
    };
    load_spans(sink, ctx, &spans, Some(&trace_id), seq);
}

/// Records a trace's `info` (id, state, assessments); returns the canonical trace id.
fn trace_info(sink: &mut Sink, ctx: &Ctx, info_raw: Option<&RawValue>) -> String {
    let info = info_raw.and_then(RawObject::parse).unwrap_or_default();
    let get = |k: &str| info.get(k).map(RawValue::get);
    let fields = InfoFields {
        raw: info_raw.map(RawValue::get),
        trace_id: [get("trace_id"), get("request_id")],
        state: [get("state"), get("status")],
        assessments: (info.arr("assessments").iter())
            .map(|a| span::AssessmentText {
                text: a.get(),
                fields: None,
            })
            .collect(),
    };
    span::record_info(sink, ctx, &fields)
}

/// MLflow trace states and statuses (`OK`, `ERROR`, `IN_PROGRESS`, `STATE_UNSPECIFIED`).
fn trace_state(s: &str) -> Status {
    Status::from_label(s)
}

fn load_spans(sink: &mut Sink, ctx: &Ctx, spans: &[&RawValue], trace: Option<&str>, seq: u64) {
    for (i, raw) in spans.iter().enumerate() {
        match RawObject::parse(raw) {
            Some(o) => {
                let attrs = o.obj("attributes");
                let attrs = attrs.as_ref().map_or(&[][..], |a| &a.0[..]);
                let f = span_fields(&o);
                span::load_span(sink, ctx, (&f, raw_attrs(attrs)), trace, seq + i as u64)
            }
            None => sink
                .batch
                .diag(ctx.path, ctx.line_of(raw), "span skipped: not an object"),
        }
    }
}

/// The fields of a span dict read as a `RawObject` (its first field is where messages
/// about it point).
fn span_fields<'a>(o: &RawObject<'a>) -> SpanFields<'a> {
    let get = |k: &str| o.get(k).map(RawValue::get);
    let (span_id, trace_id) = match o.obj("context") {
        Some(c) => (c.get("span_id"), c.get("trace_id")),
        None => (o.get("span_id"), o.get("trace_id")),
    };
    let (code, message) = match o.obj("status") {
        Some(st) => (
            [st.get("code"), st.get("status_code")],
            st.get("message").or(st.get("description")),
        ),
        None => ([o.get("status_code"), None], o.get("status_message")),
    };
    SpanFields {
        span_id: span_id.map(RawValue::get),
        trace_id: trace_id.map(RawValue::get),
        parent: [get("parent_span_id"), get("parent_id")],
        name: get("name"),
        start: [get("start_time_unix_nano"), get("start_time")],
        end: [get("end_time_unix_nano"), get("end_time")],
        code: code.map(|c| c.map(RawValue::get)),
        message: message.map(RawValue::get),
        events: get("events"),
        links: get("links"),
        first: o.0.first().map(|(_, v)| v.get()),
    }
}

/// The `spans` list of `holder` (the raw value `raw`, `where_` in messages); anything
/// else there (missing, null, a number) is a warning, never silence.
fn span_list<'a>(
    sink: &mut Sink,
    ctx: &Ctx,
    raw: &'a RawValue,
    holder: Option<&RawObject<'a>>,
    where_: &str,
) -> Vec<&'a RawValue> {
    let spans = holder.and_then(|h| h.get("spans"));
    let problem = match spans {
        Some(s) if s.get().trim_start().starts_with('[') => return raw_array(s),
        Some(s) if is_null(s) => "is null",
        Some(_) => "is not a list",
        None if holder.is_none() => "is missing (not an object)",
        None => "is missing",
    };
    let pos = ctx.line_of(spans.unwrap_or(raw));
    let msg = format!("`spans` in {where_} {problem}: no spans loaded");
    sink.batch.diag(ctx.path, pos, msg);
    Vec::new()
}

/// A value read as an MLflow trace that has neither `info` nor `data` (another format,
/// with `--format mlflow`): a warning naming its keys, not a trace with no spans.
fn not_a_trace(sink: &mut Sink, ctx: &Ctx, text: &str) {
    let keys: Vec<String> = serde_json::from_str::<RawObject>(text)
        .map(|o| o.0.iter().take(6).map(|(k, _)| k.0.to_string()).collect())
        .unwrap_or_default();
    let msg = format!(
        "not an MLflow trace: no `info` or `data` (keys: {}); skipped",
        keys.join(", ")
    );
    sink.batch.diag(ctx.path, ctx.line_of_text(text), msg);
}

fn pos_of(ctx: &Ctx, o: &RawObject) -> Pos {
    o.0.first().map_or(Pos::None, |(_, v)| ctx.line_of(v))
}

/// An MLflow 3 assessment (feedback, expectation or issue) as a model assessment.
fn assessment(v: &Value) -> Option<Assessment> {
    let obj = v.as_object()?;
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    let (kind, body) = ["feedback", "expectation", "issue"]
        .iter()
        .find_map(|k| obj.get(*k).map(|b| (*k, b)))?;
    let value = match body.get("serialized_value") {
        Some(sv) => sv
            .get("value")
            .and_then(Value::as_str)
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null),
        None => body.get("value").cloned().unwrap_or(Value::Null),
    };
    let error = body.get("error").map(|e| {
        let code = e
            .get("error_code")
            .and_then(Value::as_str)
            .unwrap_or("ERROR");
        let msg = e.get("error_message").and_then(Value::as_str).unwrap_or("");
        format!("{code}: {msg}")
    });
    let source = obj.get("source").map(|src| {
        let kind = src.get("source_type").and_then(Value::as_str).unwrap_or("");
        let id = src.get("source_id").and_then(Value::as_str).unwrap_or("");
        format!("{kind} {id}").trim().to_owned()
    });
    Some(Assessment {
        trace_id: ids::normalize(&s("trace_id").unwrap_or_default()).into_owned(),
        span_id: s("span_id").map(|id| ids::normalize(&id).into_owned()),
        name: s("assessment_name").unwrap_or_default(),
        kind: kind.to_owned(),
        value,
        rationale: s("rationale"),
        source,
        error,
        id: s("assessment_id"),
        time_ns: s("last_update_time")
            .or_else(|| s("create_time"))
            .and_then(|t| crate::model::time::parse_iso(&t)),
    })
}

/// An MLflow file-store trace directory: `trace_info.yaml`, `artifacts/traces.json` and
/// (MLflow 3) `assessments/*.yaml`.
pub(crate) fn load_dir(dir: &Path) -> Result<FileLoad, String> {
    let info = read_yaml(&dir.join("trace_info.yaml"))?;
    let spans_path = dir.join("artifacts/traces.json");
    let input = Input::open(&spans_path).map_err(|e| {
        format!("no readable artifacts/traces.json ({e}); MLflow 3 may keep spans in its tracking database")
    })?;
    let buf = input
        .read_all()
        .map_err(|e| format!("cannot read artifacts/traces.json: {e}"))?;
    let path = spans_path.display().to_string();
    let ctx = Ctx::new(&buf, 0, 0, &path);
    let mut sink = Sink::default();
    let original = info
        .get("trace_id")
        .or(info.get("request_id"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let trace_id = ids::normalize(original).into_owned();
    let info_text = serde_json::to_vec(&info).unwrap_or_default();
    let info_ref = crate::model::TextRef::new(
        ARENA_SRC,
        sink.stash(&info_text),
        info_text.len(),
        Enc::Json,
    );
    let state = info
        .get("state")
        .or(info.get("status"))
        .and_then(Value::as_str)
        .map(trace_state);
    sink.batch.infos.push(TraceInfo {
        trace_id: trace_id.clone(),
        original_id: Some(original.to_owned()),
        state,
        info: Some(info_ref),
    });
    match serde_json::from_slice::<RawObject>(&buf) {
        Ok(doc) => load_spans(&mut sink, &ctx, &doc.arr("spans"), Some(&trace_id), 0),
        Err(e) => sink.batch.diag(
            &path,
            super::json::error_pos(&e),
            format!("stopped reading: {}", short_error(&e)),
        ),
    }
    for a in read_assessments(&dir.join("assessments"), &mut sink) {
        sink.batch.assessments.push(a.into());
    }
    let mut load = sink.into_load(&input, "mlflow-dir".into(), Vec::new());
    load.path = dir.display().to_string();
    Ok(load)
}

fn read_yaml(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: not valid YAML: {e}", path.display()))
}

fn read_assessments(dir: &Path, sink: &mut Sink) -> Vec<Assessment> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        match read_yaml(p).map(|v| assessment(&v)) {
            Ok(Some(a)) => out.push(a),
            Ok(None) => sink.batch.diag(
                &p.display().to_string(),
                Pos::None,
                "not an assessment; skipped",
            ),
            Err(e) => sink.batch.diag(&p.display().to_string(), Pos::None, e),
        }
    }
    out
}
