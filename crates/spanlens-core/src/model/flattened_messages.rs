//! Messages written as flattened attributes (OpenInference's
//! `llm.input_messages.0.message.role`, OpenLLMetry's `gen_ai.prompt.0.content`): the keys
//! are folded back into message objects, which are then read like any other.

use super::messages::{Direction, Message, message_from};
use serde_json::{Map, Value};

/// Rebuilds messages from flattened attributes: `prefix.N.suffix` keys, where the suffix
/// names fields (`message.role`, `role`, `content`, `tool_calls.J.name`, …).
pub fn from_flat(attrs: &[(String, Value)], prefix: &str, dir: Direction) -> Vec<Message> {
    let mut rows: Vec<(usize, Map<String, Value>)> = Vec::new();
    for (k, v) in attrs {
        let Some(rest) = k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((idx, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(i) = idx.parse::<usize>() else {
            continue;
        };
        let row = match rows.iter_mut().find(|(n, _)| *n == i) {
            Some(r) => r,
            None => {
                rows.push((i, Map::new()));
                rows.last_mut().unwrap()
            }
        };
        insert_path(&mut row.1, field, v.clone());
    }
    rows.sort_by_key(|(i, _)| *i);
    rows.into_iter()
        .filter_map(|(_, o)| message_from(&unflatten_message(o), dir))
        .collect()
}

/// Inserts `a.b.3.c` style paths into nested objects; numeric segments become list indices.
fn insert_path(obj: &mut Map<String, Value>, path: &str, value: Value) {
    // Keep OpenInference's `message.` / `tool_call.` namespaces as part of the key names.
    let parts = split_path(path);
    let mut cur = obj;
    for (n, part) in parts.iter().enumerate() {
        if n + 1 == parts.len() {
            cur.insert(part.clone(), value);
            return;
        }
        let next = cur
            .entry(part.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        cur = next.as_object_mut().unwrap();
    }
}

/// Splits `message.tool_calls.0.tool_call.function.name` into
/// `["message.tool_calls", "0", "tool_call.function.name"]`.
fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for seg in path.split('.') {
        if seg.parse::<usize>().is_ok() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            out.push(seg.to_owned());
        } else {
            if !cur.is_empty() {
                cur.push('.');
            }
            cur.push_str(seg);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Objects keyed by list index (`{"0": …, "1": …}`) become arrays.
fn unflatten_message(o: Map<String, Value>) -> Value {
    Value::Object(
        o.into_iter()
            .map(|(k, v)| (k, indexed_to_array(v)))
            .collect(),
    )
}

fn indexed_to_array(v: Value) -> Value {
    match v {
        Value::Object(o) if !o.is_empty() && o.keys().all(|k| k.parse::<usize>().is_ok()) => {
            let mut items: Vec<(usize, Value)> = o
                .into_iter()
                .map(|(k, v)| (k.parse().unwrap_or(0), indexed_to_array(v)))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            Value::Array(items.into_iter().map(|(_, v)| v).collect())
        }
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, indexed_to_array(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openinference_flattened_attributes() {
        let attrs = vec![
            (
                "llm.input_messages.1.message.role".to_owned(),
                json!("assistant"),
            ),
            (
                "llm.input_messages.0.message.role".to_owned(),
                json!("user"),
            ),
            (
                "llm.input_messages.0.message.content".to_owned(),
                json!("hi"),
            ),
            (
                "llm.input_messages.1.message.tool_calls.0.tool_call.function.name".to_owned(),
                json!("get_weather"),
            ),
            (
                "llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments".to_owned(),
                json!("{\"city\":\"Paris\"}"),
            ),
            (
                "llm.input_messages.1.message.tool_calls.0.tool_call.id".to_owned(),
                json!("call_9"),
            ),
        ];
        let msgs = from_flat(&attrs, "llm.input_messages", Direction::Input);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            (msgs[0].role.as_str(), msgs[0].content.as_str()),
            ("user", "hi")
        );
        let call = &msgs[1].tool_calls[0];
        assert_eq!(
            (call.name.as_str(), call.id.as_deref()),
            ("get_weather", Some("call_9"))
        );
        assert_eq!(call.arguments, json!({"city": "Paris"}));
    }

    #[test]
    fn openllmetry_flattened_prompts() {
        let attrs = vec![
            ("gen_ai.prompt.0.role".to_owned(), json!("user")),
            ("gen_ai.prompt.0.content".to_owned(), json!("What is 2+2?")),
        ];
        let msgs = from_flat(&attrs, "gen_ai.prompt", Direction::Input);
        assert_eq!(msgs[0].content, "What is 2+2?");
    }
}
