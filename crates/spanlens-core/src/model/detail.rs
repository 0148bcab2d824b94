//! Everything about one span, decoded on demand: inputs and outputs as JSON, chat messages
//! with tool calls paired to their results, events and exceptions, and every attribute.
//!
//! Built only when a span is opened, copied or searched in depth, so load time and memory
//! never pay for it.

use super::kind::SpanKind;
use super::messages::{self, Direction, Message, ToolCall};
use super::span::SpanIx;
use super::text::{json_in_string, otlp_any_to_json};
use super::{TraceSet, time};
use serde_json::{Map, Value, json};

/// A span event (exceptions included).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub name: String,
    pub time_ns: Option<i64>,
    pub attributes: Vec<(String, Value)>,
}

/// An exception recorded on a span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exception {
    pub kind: String,
    pub message: String,
    pub stack: String,
}

/// The decoded content of one span.
#[derive(Clone, Debug, Default)]
pub struct SpanDetail {
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub messages: Vec<Message>,
    /// For tool spans: the call this span executed.
    pub tool_call: Option<ToolCall>,
    pub attributes: Vec<(String, Value)>,
    pub events: Vec<Event>,
    pub exceptions: Vec<Exception>,
    pub links: Option<Value>,
    pub resource: Vec<(String, Value)>,
}

/// Decodes span `ix` in full.
pub fn detail(set: &TraceSet, ix: SpanIx) -> SpanDetail {
    let s = set.span(ix);
    let attributes: Vec<(String, Value)> = set
        .attrs_of(ix)
        .map(|(k, t)| (k.to_owned(), set.sources.value(t)))
        .collect();
    let events = s
        .events
        .map(|t| parse_events(&set.sources.value(t)))
        .unwrap_or_default();
    let exceptions = events
        .iter()
        .filter(|e| e.name == "exception")
        .map(exception)
        .collect();
    let input = s.input.map(|t| set.sources.value(t));
    let output = s.output.map(|t| set.sources.value(t));
    let mut msgs = input_messages(&attributes, &events, input.as_ref());
    msgs.extend(output_messages(&attributes, &events, output.as_ref()));
    messages::pair_tool_results(&mut msgs);
    let tool_call = (s.kind == SpanKind::Tool).then(|| ToolCall {
        id: None,
        name: if s.tool.is_empty() {
            set.str(s.name)
        } else {
            set.str(s.tool)
        }
        .to_owned(),
        arguments: input.clone().unwrap_or(Value::Null),
        result: output.clone(),
    });
    let resource = s
        .resource
        .map(|t| resource_attrs(&set.sources.value(t)))
        .unwrap_or_default();
    SpanDetail {
        input,
        output,
        messages: msgs,
        tool_call,
        attributes,
        events,
        exceptions,
        links: s.links.map(|t| set.sources.value(t)),
        resource,
    }
}

fn attr<'a>(attrs: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A value that may be JSON text (most message attributes are JSON strings).
fn as_json(v: &Value) -> Value {
    match v {
        Value::String(s) => json_in_string(s.clone()),
        other => other.clone(),
    }
}

fn input_messages(
    attrs: &[(String, Value)],
    events: &[Event],
    input: Option<&Value>,
) -> Vec<Message> {
    let mut out = Vec::new();
    if let Some(sys) = attr(attrs, "gen_ai.system_instructions") {
        let mut m = messages::message_from(
            &json!({"role": "system", "parts": as_json(sys)}),
            Direction::Input,
        );
        if let Some(m) = m.as_mut().filter(|m| !m.content.is_empty()) {
            out.push(m.clone());
        }
    }
    let candidates = [
        attr(attrs, "gen_ai.input.messages")
            .map(|v| messages::messages_from(&as_json(v), Direction::Input)),
        attr(attrs, "llm.input_messages")
            .map(|v| messages::messages_from(&as_json(v), Direction::Input)),
        Some(super::flattened_messages::from_flat(
            attrs,
            "llm.input_messages",
            Direction::Input,
        )),
        Some(super::flattened_messages::from_flat(
            attrs,
            "gen_ai.prompt",
            Direction::Input,
        )),
        Some(event_messages(events, Direction::Input)),
        attr(attrs, "mlflow.chat.messages")
            .map(|v| messages::messages_from(&as_json(v), Direction::Input)),
        attr(attrs, "ai.prompt.messages")
            .map(|v| messages::messages_from(&as_json(v), Direction::Input)),
        input
            .and_then(chat_payload)
            .map(|v| messages::messages_from(v, Direction::Input)),
    ];
    out.extend(
        candidates
            .into_iter()
            .flatten()
            .find(|m| !m.is_empty())
            .unwrap_or_default(),
    );
    out
}

fn output_messages(
    attrs: &[(String, Value)],
    events: &[Event],
    output: Option<&Value>,
) -> Vec<Message> {
    let candidates = [
        attr(attrs, "gen_ai.output.messages")
            .map(|v| messages::messages_from(&as_json(v), Direction::Output)),
        attr(attrs, "llm.output_messages")
            .map(|v| messages::messages_from(&as_json(v), Direction::Output)),
        Some(super::flattened_messages::from_flat(
            attrs,
            "llm.output_messages",
            Direction::Output,
        )),
        Some(super::flattened_messages::from_flat(
            attrs,
            "gen_ai.completion",
            Direction::Output,
        )),
        Some(event_messages(events, Direction::Output)),
        vercel_output(attrs),
        output
            .and_then(chat_payload)
            .map(|v| messages::messages_from(v, Direction::Output)),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|m| !m.is_empty())
        .unwrap_or_default()
}

/// A payload that is a conversation: a list of role-bearing messages, or an object holding
/// `messages`, `choices`, `candidates` or `generations`, or a single message with a role.
fn chat_payload(v: &Value) -> Option<&Value> {
    let has_role = |m: &Value| {
        m.get("role")
            .or(m.get("type"))
            .is_some_and(Value::is_string)
            || m.get("lc").is_some()
    };
    match v {
        Value::Array(items) if !items.is_empty() && items.iter().all(has_role) => Some(v),
        Value::Object(o)
            if ["messages", "choices", "candidates", "generations"]
                .iter()
                .any(|k| o.contains_key(*k))
                || (o.contains_key("role")
                    && (o.contains_key("content") || o.contains_key("parts"))) =>
        {
            Some(v)
        }
        Value::Object(o) => o.get("content").filter(|c| c.get("role").is_some()),
        _ => None,
    }
}

/// Vercel AI SDK: `ai.response.text` and `ai.response.toolCalls`.
fn vercel_output(attrs: &[(String, Value)]) -> Option<Vec<Message>> {
    let text = attr(attrs, "ai.response.text").and_then(Value::as_str);
    let calls = attr(attrs, "ai.response.toolCalls").map(as_json);
    if text.is_none() && calls.is_none() {
        return None;
    }
    let mut m = json!({"role": "assistant", "content": text.unwrap_or("")});
    if let Some(Value::Array(c)) = calls {
        m["tool_calls"] = Value::Array(c);
    }
    messages::message_from(&m, Direction::Output).map(|m| vec![m])
}

/// GenAI v1.27–1.36 content events: `gen_ai.{system,user,assistant,tool}.message` for
/// input, `gen_ai.choice` for output.
fn event_messages(events: &[Event], dir: Direction) -> Vec<Message> {
    let mut out = Vec::new();
    for e in events {
        let role = match (e.name.as_str(), dir) {
            ("gen_ai.system.message", Direction::Input) => "system",
            ("gen_ai.user.message", Direction::Input) => "user",
            ("gen_ai.assistant.message", Direction::Input) => "assistant",
            ("gen_ai.tool.message", Direction::Input) => "tool",
            ("gen_ai.choice", Direction::Output) => "assistant",
            _ => continue,
        };
        let mut body: Map<String, Value> = e
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), as_json(v)))
            .collect();
        if let Some(Value::Object(inner)) = body.remove("message") {
            body.extend(inner);
        }
        body.entry("role").or_insert(json!(role));
        if role == "tool"
            && let Some(id) = body.get("id").cloned()
        {
            body.entry("tool_call_id").or_insert(id);
        }
        if let Some(m) = messages::message_from(&Value::Object(body), dir) {
            out.push(m);
        }
    }
    out
}

/// Events in OTLP (`timeUnixNano`, key/value attributes), MLflow (`time_unix_nano`,
/// `timestamp`) or console (`timestamp` ISO) shape.
fn parse_events(v: &Value) -> Vec<Event> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let time = ["timeUnixNano", "time_unix_nano", "timestamp", "time"]
                .iter()
                .find_map(|k| e.get(*k))
                .and_then(time_of);
            let attributes = key_values(e.get("attributes"));
            let name = e
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            Event {
                name,
                time_ns: time,
                attributes,
            }
        })
        .collect()
}

fn time_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => time::parse_nanos(s).or_else(|| time::parse_iso(s)),
        Value::Array(hr) if hr.len() == 2 => {
            Some(hr[0].as_i64()? * 1_000_000_000 + hr[1].as_i64()?)
        }
        _ => None,
    }
}

fn exception(e: &Event) -> Exception {
    let get = |k: &str| {
        e.attributes
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    };
    Exception {
        kind: get("exception.type").unwrap_or_default(),
        message: get("exception.message").unwrap_or_default(),
        stack: get("exception.stacktrace").unwrap_or_default(),
    }
}

/// Resource attributes from an OTLP resource (`{attributes: [kv]}`) or a console resource.
fn resource_attrs(v: &Value) -> Vec<(String, Value)> {
    key_values(v.get("attributes"))
}

/// Attributes as OTLP writes them (`[{key, value: AnyValue}]`) or as a plain object.
fn key_values(v: Option<&Value>) -> Vec<(String, Value)> {
    match v {
        Some(Value::Array(kvs)) => kvs
            .iter()
            .map(|kv| {
                let key = kv.get("key").and_then(Value::as_str).unwrap_or("");
                let value = kv.get("value").map(otlp_any_to_json);
                (key.to_owned(), value.unwrap_or(Value::Null))
            })
            .collect(),
        Some(Value::Object(o)) => o.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Vec::new(),
    }
}

/// The whole span as one JSON object, for copying and `--json` output.
pub fn span_json(set: &TraceSet, ix: SpanIx) -> Value {
    let s = set.span(ix);
    let d = detail(set, ix);
    let mut v = json!({
        "trace_id": set.trace_id(set.trace_of(ix)),
        "span_id": set.span_id(ix),
        "parent_span_id": set.id_str(s.parent_id),
        "name": set.str(s.name),
        "kind": s.kind.as_str(),
        "start_unix_nano": s.start_ns.to_string(),
        "end_unix_nano": s.end_ns().map(|e| e.to_string()),
        "duration_ns": s.duration_ns(),
        "status": s.status.as_str(),
        "status_message": s.status_msg.map(|t| set.sources.text(t)),
        "attributes": Value::Object(d.attributes.into_iter().collect()),
    });
    let extra = [
        (
            "model",
            (!s.model.is_empty()).then(|| json!(set.str(s.model))),
        ),
        ("input_tokens", s.tokens.input().map(Value::from)),
        ("output_tokens", s.tokens.output().map(Value::from)),
        ("total_tokens", s.tokens.total().map(Value::from)),
        ("cost", s.cost().map(Value::from)),
        ("flags", (s.flags.0 != 0).then(|| json!(s.flags.describe()))),
        ("links", d.links),
    ];
    for (k, val) in extra {
        if let Some(val) = val {
            v[k] = val;
        }
    }
    if !d.events.is_empty() {
        v["events"] = Value::Array(
            d.events
                .iter()
                .map(|e| {
                    json!({"name": e.name, "time_unix_nano": e.time_ns.map(|t| t.to_string()),
                    "attributes": Value::Object(e.attributes.iter().cloned().collect())})
                })
                .collect(),
        );
    }
    if !d.resource.is_empty() {
        v["resource"] = Value::Object(d.resource.into_iter().collect());
    }
    v
}

/// Attribute keys that can hold a span's input messages.
fn is_prompt_key(key: &str) -> bool {
    matches!(
        key,
        "gen_ai.system_instructions"
            | "gen_ai.input.messages"
            | "llm.input_messages"
            | "mlflow.chat.messages"
            | "ai.prompt.messages"
    ) || key.starts_with("llm.input_messages.")
        || key.starts_with("gen_ai.prompt.")
}

/// Only the input messages of span `ix`, as `detail` finds them, decoding just the
/// attributes that can hold them (PERF: the prompt lens reads every LLM span).
pub fn input_messages_of(set: &TraceSet, ix: SpanIx) -> Vec<Message> {
    let s = set.span(ix);
    let attributes: Vec<(String, Value)> = set
        .attrs_of(ix)
        .filter(|(k, _)| is_prompt_key(k))
        .map(|(k, t)| (k.to_owned(), set.sources.value(t)))
        .collect();
    let events = s
        .events
        .map(|t| parse_events(&set.sources.value(t)))
        .unwrap_or_default();
    // PERF: the input is often the same text as a messages attribute; decode it only when
    // the attributes and events hold no conversation.
    let found = input_messages(&attributes, &events, None);
    if found.iter().any(|m| m.role != "system") {
        return found;
    }
    let input = s.input.map(|t| set.sources.value(t));
    input_messages(&attributes, &events, input.as_ref())
}

/// The exceptions in a span's decoded events (for callers that read the bytes themselves).
pub fn exceptions_in(events: &Value) -> Vec<Exception> {
    parse_events(events)
        .iter()
        .filter(|e| e.name == "exception")
        .map(exception)
        .collect()
}
