//! Span detail: chat messages, tool calls paired with results, exceptions, attributes.

use crate::common::*;
use serde_json::json;
use spanlens::model::detail::detail;

fn otlp_doc(attrs: &str, events: &str) -> String {
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"00000000000000000000000000000001","spanId":"0000000000000001","name":"chat","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{attrs}],"events":[{events}]}}]}}]}}]}}"#
    )
}

fn kv(key: &str, value: &str) -> String {
    format!(
        r#"{{"key":"{key}","value":{{"stringValue":{}}}}}"#,
        serde_json::to_string(value).unwrap()
    )
}

#[test]
fn genai_latest_messages_from_json_string_attributes() {
    let input = r#"[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]"#;
    let output = r#"[{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_call"}]"#;
    let doc = otlp_doc(
        &format!(
            "{},{}",
            kv("gen_ai.input.messages", input),
            kv("gen_ai.output.messages", output)
        ),
        "",
    );
    let set = load_text("latest.json", doc.as_bytes());
    let d = detail(&set, span_named(&set, "chat"));
    let roles: Vec<&str> = d.messages.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(roles, ["system", "user", "assistant"]);
    assert_eq!(d.messages[1].content, "Weather in Paris?");
    assert_eq!(d.messages[2].tool_calls[0].name, "get_weather");
    assert_eq!(
        d.messages[2].tool_calls[0].arguments,
        json!({"city": "Paris"})
    );
}

#[test]
fn genai_event_messages_pair_tool_results_by_id() {
    let ev = |name: &str, attrs: &str| {
        format!(r#"{{"name":"{name}","timeUnixNano":"1","attributes":[{attrs}]}}"#)
    };
    let events = [
        ev("gen_ai.user.message", &kv("content", "Weather?")),
        ev(
            "gen_ai.assistant.message",
            &kv(
                "tool_calls",
                r#"[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]"#,
            ),
        ),
        ev(
            "gen_ai.tool.message",
            &format!("{},{}", kv("id", "call_1"), kv("content", "rainy, 14C")),
        ),
        ev(
            "gen_ai.choice",
            &kv(
                "message",
                r#"{"role":"assistant","content":"It is rainy."}"#,
            ),
        ),
    ];
    let set = load_text("events.json", otlp_doc("", &events.join(",")).as_bytes());
    let d = detail(&set, span_named(&set, "chat"));
    assert_eq!(d.messages.len(), 4);
    let call = &d.messages[1].tool_calls[0];
    assert_eq!(call.result, Some(json!("rainy, 14C")));
    assert_eq!(d.messages[3].content, "It is rainy.");
}

#[test]
fn exceptions_come_from_events() {
    let exc = format!(
        r#"{{"name":"exception","timeUnixNano":"2","attributes":[{},{},{}]}}"#,
        kv("exception.type", "ValueError"),
        kv("exception.message", "flaky tool failed"),
        kv(
            "exception.stacktrace",
            "Traceback (most recent call last):\n  ..."
        )
    );
    let set = load_text("exc.json", otlp_doc("", &exc).as_bytes());
    let d = detail(&set, span_named(&set, "chat"));
    assert_eq!(d.exceptions.len(), 1);
    assert_eq!(d.exceptions[0].kind, "ValueError");
    assert!(d.exceptions[0].stack.starts_with("Traceback"));
}

#[test]
fn openinference_flattened_messages_and_tool_span_call() {
    let attrs = [
        kv("openinference.span.kind", "LLM"),
        kv("llm.input_messages.0.message.role", "user"),
        kv("llm.input_messages.0.message.content", "hello"),
        kv("llm.output_messages.0.message.role", "assistant"),
        kv("llm.output_messages.0.message.content", "hi there"),
    ];
    let set = load_text("oi.json", otlp_doc(&attrs.join(","), "").as_bytes());
    let d = detail(&set, span_named(&set, "chat"));
    assert_eq!(d.messages.len(), 2);
    assert_eq!(d.messages[1].content, "hi there");
    let tool = [
        kv("openinference.span.kind", "TOOL"),
        kv("tool.name", "get_weather"),
        kv("input.value", r#"{"city":"Paris"}"#),
        kv("output.value", "rainy"),
    ];
    let set = load_text("tool.json", otlp_doc(&tool.join(","), "").as_bytes());
    let d = detail(&set, span_named(&set, "chat"));
    let call = d.tool_call.expect("tool spans describe their call");
    assert_eq!(call.name, "get_weather");
    assert_eq!(call.arguments, json!({"city": "Paris"}));
    assert_eq!(call.result, Some(json!("rainy")));
}

#[test]
fn span_json_carries_every_attribute() {
    let set = load_text(
        "j.json",
        otlp_doc(&[kv("a.b", "1"), kv("custom", "x")].join(","), "").as_bytes(),
    );
    let v = spanlens::model::detail::span_json(&set, span_named(&set, "chat"));
    assert_eq!(v["attributes"]["custom"], json!("x"));
    assert_eq!(v["span_id"], json!("0000000000000001"));
    assert_eq!(v["start_unix_nano"], json!("1"));
}

#[test]
fn self_time_counts_overlapping_children_once_and_clips_to_the_parent() {
    // Parent 0-100 ms; children 10-40 and 30-60 overlap (parallel calls), 80-120 runs
    // past the parent's end. Covered: 10-60 and 80-100, so self time is 30 ms.
    let span = |id: u8, parent: &str, name: &str, start_ms: u64, end_ms: u64| {
        format!(
            r#"{{"traceId":"00000000000000000000000000000001","spanId":"000000000000000{id}","parentSpanId":"{parent}","name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}"#,
            start_ms * 1_000_000,
            end_ms * 1_000_000
        )
    };
    let p = "0000000000000001";
    let spans = [
        span(1, "", "parent", 0, 100),
        span(2, p, "a", 10, 40),
        span(3, p, "b", 30, 60),
        span(4, p, "late", 80, 120),
    ];
    let doc = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    let set = load_text("self.json", doc.as_bytes());
    assert_eq!(set.self_time_ns(span_named(&set, "parent")), 30_000_000);
    assert_eq!(
        set.self_time_ns(span_named(&set, "a")),
        30_000_000,
        "a leaf: all of it"
    );
}
