//! Chat messages and tool calls, normalised from every shape in the wild: OpenAI chat
//! (`{role, content, tool_calls}`), OTel GenAI parts (`{role, parts: [...]}`), Anthropic
//! content blocks, Gemini `parts`, LangChain message dicts, and the flattened attribute
//! forms of OpenInference (`llm.input_messages.N.message.*`) and OpenLLMetry
//! (`gen_ai.prompt.N.*`).

use serde_json::{Map, Value};

/// Which side of a model call a message is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Input,
    Output,
}

/// A tool call requested by a model, with its result when a later message carries it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolCall {
    pub id: Option<String>,
    pub name: String,
    pub arguments: Value,
    pub result: Option<Value>,
}

/// One chat message.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub role: String,
    pub content: String,
    pub name: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    /// For tool-result messages: the call they answer.
    pub tool_call_id: Option<String>,
    pub direction: Direction,
}

impl Message {
    fn new(role: &str, direction: Direction) -> Self {
        Message {
            role: normalise_role(role),
            content: String::new(),
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
            direction,
        }
    }
}

fn normalise_role(role: &str) -> String {
    match role.to_ascii_lowercase().as_str() {
        "human" | "user" => "user",
        "ai" | "assistant" | "model" | "bot" => "assistant",
        "system" | "developer" => "system",
        "tool" | "function" | "ipython" => "tool",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// Parses a list of messages (or an object holding one under `messages`, `choices`, …).
pub fn messages_from(v: &Value, dir: Direction) -> Vec<Message> {
    match v {
        Value::Array(items) => items.iter().filter_map(|m| message_from(m, dir)).collect(),
        Value::Object(o) => {
            for key in ["messages", "input_messages", "output_messages"] {
                if let Some(list @ Value::Array(_)) = o.get(key) {
                    return messages_from(list, dir);
                }
            }
            if let Some(Value::Array(choices)) = o.get("choices") {
                return choices
                    .iter()
                    .filter_map(|c| c.get("message").or(c.get("delta")))
                    .filter_map(|m| message_from(m, dir))
                    .collect();
            }
            if let Some(Value::Array(candidates)) = o.get("candidates") {
                return candidates
                    .iter()
                    .filter_map(|c| c.get("content"))
                    .filter_map(|m| message_from(m, dir))
                    .collect();
            }
            if let Some(gens) = o.get("generations") {
                return generations(gens, dir);
            }
            message_from(v, dir).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// LangChain `generations: [[{text, message}]]`.
fn generations(v: &Value, dir: Direction) -> Vec<Message> {
    let mut out = Vec::new();
    for g in v.as_array().into_iter().flatten() {
        for item in g
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_else(|| vec![g])
        {
            match item.get("message").and_then(|m| message_from(m, dir)) {
                Some(m) => out.push(m),
                None => {
                    if let Some(text) = item.get("text").and_then(Value::as_str) {
                        let mut m = Message::new("assistant", dir);
                        m.content = text.to_owned();
                        out.push(m);
                    }
                }
            }
        }
    }
    out
}

/// One message in any supported shape; `None` when `v` does not look like a message.
pub fn message_from(v: &Value, dir: Direction) -> Option<Message> {
    let o = v.as_object()?;
    // LangChain serialised form: {"lc": 1, "kwargs": {...}, "id": [..., "HumanMessage"]}
    if let Some(kwargs) = o.get("kwargs").filter(|_| o.contains_key("lc")) {
        let role = o
            .get("id")
            .and_then(Value::as_array)
            .and_then(|id| id.last())
            .and_then(Value::as_str);
        let mut m = message_from(kwargs, dir)?;
        if let Some(r) = role {
            m.role = normalise_role(
                r.trim_end_matches("MessageChunk")
                    .trim_end_matches("Message"),
            );
        }
        return Some(m);
    }
    let role = ["role", "type", "message.role"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str));
    let has_body = [
        "content",
        "parts",
        "tool_calls",
        "message.content",
        "text",
        "message.tool_calls",
    ]
    .iter()
    .any(|k| o.contains_key(*k));
    if role.is_none() && !has_body {
        return None;
    }
    let default_role = if dir == Direction::Output {
        "assistant"
    } else {
        "user"
    };
    let mut m = Message::new(role.unwrap_or(default_role), dir);
    m.name = str_of(o, &["name", "message.name"]);
    m.tool_call_id = str_of(o, &["tool_call_id", "message.tool_call_id", "tool_use_id"]);
    for key in [
        "content",
        "message.content",
        "text",
        "parts",
        "message.contents",
    ] {
        if let Some(c) = o.get(key) {
            content_into(c, &mut m);
        }
    }
    for key in ["tool_calls", "message.tool_calls"] {
        for call in o.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let Some(tc) = tool_call_from(call) {
                m.tool_calls.push(tc);
            }
        }
    }
    if let Some(call) = o.get("function_call").filter(|f| f.is_object())
        && let Some(tc) = tool_call_from(&serde_json::json!({"function": call}))
    {
        m.tool_calls.push(tc);
    }
    if let Some(kw) = o
        .get("additional_kwargs")
        .and_then(|k| k.get("tool_calls"))
        .and_then(Value::as_array)
    {
        m.tool_calls.extend(kw.iter().filter_map(tool_call_from));
    }
    Some(m)
}

fn str_of(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
}

/// Message content: a string, or a list of parts (text, tool calls, tool results, media).
fn content_into(c: &Value, m: &mut Message) {
    match c {
        Value::String(s) => push_text(m, s),
        Value::Array(parts) => {
            for p in parts {
                part_into(p, m);
            }
        }
        Value::Null => {}
        other => push_text(m, &other.to_string()),
    }
}

fn push_text(m: &mut Message, s: &str) {
    if s.is_empty() {
        return;
    }
    if !m.content.is_empty() {
        m.content.push('\n');
    }
    m.content.push_str(s);
}

fn part_into(p: &Value, m: &mut Message) {
    let Some(o) = p.as_object() else {
        if let Some(s) = p.as_str() {
            push_text(m, s);
        }
        return;
    };
    let ty = o.get("type").and_then(Value::as_str).unwrap_or("");
    let text = ["content", "text", "message_content.text", "thinking"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str));
    match ty {
        "tool_call" | "tool_use" | "function_call" | "server_tool_call" => {
            if let Some(tc) = tool_call_from(p) {
                m.tool_calls.push(tc);
            }
        }
        "tool_call_response" | "tool_result" | "function_response" => {
            m.tool_call_id = m.tool_call_id.take().or(str_of(o, &["id", "tool_use_id"]));
            let result = o.get("response").or(o.get("content")).or(o.get("result"));
            match result {
                Some(Value::String(s)) => push_text(m, s),
                Some(v) => push_text(m, &pretty(v)),
                None => {}
            }
        }
        "blob" | "image" | "image_url" | "audio" | "file" | "uri" | "input_audio" => {
            let size = o.get("content").and_then(Value::as_str).map_or(0, str::len);
            let what = o
                .get("mime_type")
                .or(o.get("modality"))
                .and_then(Value::as_str)
                .unwrap_or(ty);
            push_text(
                m,
                &format!(
                    "[{what}{}]",
                    if size > 0 {
                        format!(", {size} bytes")
                    } else {
                        String::new()
                    }
                ),
            );
        }
        _ => {
            if let Some(fc) = o.get("functionCall") {
                if let Some(tc) = tool_call_from(
                    &serde_json::json!({"name": fc.get("name"), "arguments": fc.get("args")}),
                ) {
                    m.tool_calls.push(tc);
                }
            } else if let Some(fr) = o.get("functionResponse") {
                push_text(m, &pretty(fr.get("response").unwrap_or(fr)));
            } else if let Some(t) = text {
                push_text(m, t);
            }
        }
    }
}

/// A tool call in OpenAI (`{id, function: {name, arguments}}`), GenAI parts
/// (`{type: tool_call, id, name, arguments}`), Anthropic (`{type: tool_use, id, name, input}`)
/// or OpenInference (`{"tool_call.function.name": …}`) shape.
pub fn tool_call_from(v: &Value) -> Option<ToolCall> {
    let o = v.as_object()?;
    let f = o.get("function").and_then(Value::as_object);
    let name = f
        .and_then(|f| f.get("name"))
        .or(o.get("name"))
        .or(o.get("tool_call.function.name"))
        .or(o.get("toolName"))
        .and_then(Value::as_str)?;
    let args = f
        .and_then(|f| f.get("arguments"))
        .or(o.get("arguments"))
        .or(o.get("input"))
        .or(o.get("args"))
        .or(o.get("tool_call.function.arguments"))
        .cloned()
        .unwrap_or(Value::Null);
    let id = str_of(o, &["id", "tool_call.id", "toolCallId", "call_id"]);
    Some(ToolCall {
        id,
        name: name.to_owned(),
        arguments: decode_json_string(args),
        result: None,
    })
}

/// Arguments are often a JSON string; show them as JSON when they parse.
pub fn decode_json_string(v: Value) -> Value {
    match v {
        Value::String(s) => super::text::json_in_string(s),
        other => other,
    }
}

/// Pairs each tool call with the tool message that answers it (by id, else in order).
pub fn pair_tool_results(messages: &mut [Message]) {
    let results: Vec<(Option<String>, String)> = messages
        .iter()
        .filter(|m| m.role == "tool")
        .map(|m| (m.tool_call_id.clone(), m.content.clone()))
        .collect();
    let mut unused: Vec<bool> = vec![true; results.len()];
    for m in messages.iter_mut() {
        for call in &mut m.tool_calls {
            let by_id = results
                .iter()
                .position(|(id, _)| id.is_some() && *id == call.id);
            let pick =
                by_id.or_else(|| (0..results.len()).find(|&i| unused[i] && results[i].0.is_none()));
            if let Some(i) = pick {
                unused[i] = false;
                call.result = Some(decode_json_string(Value::String(results[i].1.clone())));
            }
        }
    }
}

/// Pretty JSON for display.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openai_chat_with_tool_call_and_result_pairs() {
        let v = json!({"messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 14}"}]});
        let mut msgs = messages_from(&v, Direction::Input);
        pair_tool_results(&mut msgs);
        assert_eq!(msgs.len(), 4);
        assert_eq!(msgs[0].role, "system");
        let call = &msgs[2].tool_calls[0];
        assert_eq!(call.name, "get_weather");
        assert_eq!(call.arguments, json!({"city": "Paris"}));
        assert_eq!(call.result, Some(json!({"temp": 14})));
    }

    #[test]
    fn genai_parts_and_anthropic_blocks() {
        let v = json!([{"role": "assistant", "parts": [
            {"type": "text", "content": "Checking."},
            {"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "rainy"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t2", "name": "lookup", "input": {"q": 1}}]}]);
        let mut msgs = messages_from(&v, Direction::Output);
        pair_tool_results(&mut msgs);
        assert_eq!(msgs[0].content, "Checking.");
        assert_eq!(msgs[0].tool_calls[0].result, Some(json!("rainy")));
        assert_eq!(msgs[2].tool_calls[0].name, "lookup");
    }
}
