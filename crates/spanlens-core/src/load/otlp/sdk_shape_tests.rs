//! The shapes OTLP SDKs and the Collector write (issue 17, item 4) all take the fast
//! reader and give the batch `serde_walk` gives; what it leaves to serde_json is counted by
//! reason, per request and per span.

use super::fast_walk::GiveUp;
use super::tests::why_slow;
use crate::load::json::Ctx;
use crate::model::Batch;

/// A request of one resource and one scope holding `spans` (JSON texts).
fn request(spans: &[String]) -> String {
    let resource = r#"{"attributes":[{"key":"service.name","value":{"stringValue":"weather-agent"}},{"key":"telemetry.sdk.version","value":{"stringValue":"1.45.2"}}],"droppedAttributesCount":0}"#;
    let scope = r#"{"name":"opentelemetry.instrumentation.openai_v2","version":"2.4b0","attributes":[{"key":"scope.k","value":{"boolValue":true}}],"droppedAttributesCount":0}"#;
    format!(
        r#"{{"resourceSpans":[{{"resource":{resource},"scopeSpans":[{{"scope":{scope},"spans":[{}],"schemaUrl":"https://opentelemetry.io/schemas/1.28.0"}}],"schemaUrl":""}}]}}"#,
        spans.join(",")
    )
}

/// A span as the Collector writes it, with `name`, `ids` (trace, span, parent), `kind`,
/// and `attrs` (a JSON list of attributes).
fn span(name: &str, ids: [&str; 3], kind: &str, attrs: &str) -> String {
    let [t, s, p] = ids;
    format!(
        r#"{{"traceId":"{t}","spanId":"{s}","parentSpanId":"{p}","flags":257,"traceState":"","name":"{name}","kind":{kind},"startTimeUnixNano":"1795896675655547024","endTimeUnixNano":"1795896675655685920","attributes":{attrs},"droppedAttributesCount":0,"events":[{{"timeUnixNano":"1795896675655596738","name":"gen_ai.user.message","attributes":[{{"key":"content","value":{{"stringValue":"What's the weather?"}}}}],"droppedAttributesCount":0}}],"droppedEventsCount":0,"links":[{{"traceId":"{t}","spanId":"{p}","traceState":"","attributes":[],"droppedAttributesCount":0,"flags":256}}],"droppedLinksCount":0,"status":{{"code":2,"message":"boom"}}}}"#
    )
}

const HEX: [&str; 3] = [
    "5b8efff798038103d269b633813fc60c",
    "eee19b7ec3c1b174",
    "c4c4a0a42aadb1d1",
];

/// Every kind of `AnyValue`, integers as strings and as numbers.
const ALL_VALUES: &str = r#"[{"key":"s","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"57"}},{"key":"n","value":{"intValue":42}},{"key":"d","value":{"doubleValue":0.2}},{"key":"d2","value":{"doubleValue":"NaN"}},{"key":"b","value":{"boolValue":false}},{"key":"bytes","value":{"bytesValue":"AAECAw=="}},{"key":"gen_ai.response.finish_reasons","value":{"arrayValue":{"values":[{"stringValue":"tool_calls"},{"intValue":"1"}]}}},{"key":"empty_array","value":{"arrayValue":{}}},{"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":true}},{"key":"nested","value":{"kvlistValue":{"values":[]}}}]}}},{"key":"empty","value":{}},{"key":"no_value"}]"#;

#[test]
fn the_shapes_sdks_write_are_read_fast_and_the_same() {
    let attrs = ALL_VALUES;
    let b64 = ["+pdeUka4nWAvs83vtNtXFA==", "j5B3WNcG2t8=", "xMSgpCqtsdE="];
    let shapes = [
        // The Collector's file exporter: one span a line, every kind of value.
        request(&[span("chat gpt-4o-mini", HEX, "3", attrs)]),
        // Enum names and base64 ids (protobuf JSON), a `/` escaped as JSON allows.
        request(&[span("tool", b64, r#""SPAN_KIND_CLIENT""#, "[]")]),
        request(&[span(
            "x",
            ["\\/pdeUka4nWAvs83vtNtXFA==", "j5B3WNcG2t8=", ""],
            "1",
            "[]",
        )])
        .replace(r#""code":2"#, r#""code":"STATUS_CODE_ERROR""#),
        // Times as numbers; a status with only a code; no parent.
        request(&[span("n", [HEX[0], HEX[1], ""], "0", "[]")])
            .replace(r#""1795896675655547024""#, "1795896675655547024")
            .replace(r#","message":"boom""#, ""),
        // Escaped and non-ASCII names, keys and scope names, as Python's `ensure_ascii`
        // and hand-written exporters write them.
        request(&[span(
            r#"say \"hi\" caf\u00e9 \ud83d\ude00 \/ \t"#,
            HEX,
            "1",
            r#"[{"key":"gen_ai.prompt.\u00e9","value":{"stringValue":"caf\u00e9 \"q\""}}]"#,
        )])
        .replace("openai_v2", r#"open\u0061i"#),
        request(&[span(
            "résumé 漢字 🙂",
            HEX,
            "2",
            r#"[{"key":"clé","value":{"stringValue":"naïve ✓"}}]"#,
        )]),
    ];
    for s in &shapes {
        assert_eq!(why_slow(s), None, "{s}");
    }
}

#[test]
fn requests_of_512_spans_and_pretty_printed_ones_are_read_fast() {
    let spans: Vec<String> = (0..512)
        .map(|i| span(&format!("step {i}"), HEX, "1", ALL_VALUES))
        .collect();
    let big = request(&spans);
    assert_eq!(why_slow(&big), None);
    // Indented as `MessageToJson` and `json.dumps(indent=2)` write it.
    let v: serde_json::Value = serde_json::from_str(&request(&spans[..3])).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    assert_eq!(why_slow(&pretty), None);
}

#[test]
fn snake_case_requests_are_read_fast() {
    let s = request(&[span("s", HEX, "1", ALL_VALUES)])
        .replace("resourceSpans", "resource_spans")
        .replace("scopeSpans", "scope_spans")
        .replace("traceId", "trace_id")
        .replace("spanId", "span_id")
        .replace("startTimeUnixNano", "start_time_unix_nano")
        .replace("endTimeUnixNano", "end_time_unix_nano")
        .replace("schemaUrl", "schema_url");
    assert_eq!(why_slow(&s), None);
}

#[test]
fn each_give_up_says_why() {
    let spans =
        |inner: &str| format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{inner}]}}]}}]}}"#);
    let cases = [
        (spans(r#"{"n\u0061me":"x"}"#), GiveUp::EscapedKey),
        (spans(r#"{"name":"half \ud83d"}"#), GiveUp::Undecodable),
        (spans(r#"{"name":5}"#), GiveUp::WrongType),
        (spans(r#"{"attributes":{"key":"k"}}"#), GiveUp::WrongType),
        (
            spans(r#"{"status":{"code":1,"code":2}}"#),
            GiveUp::Duplicate,
        ),
        (spans(r#"{"attributes":[{"value":{}}]}"#), GiveUp::NoKey),
        (spans(r#"{"name":"ok"},"#), GiveUp::Invalid),
        (
            spans("{\"name\":\"tab\tinside\"}"),
            GiveUp::NoIndex(crate::load::fastjson::NoIndex::BadString),
        ),
        (format!("{} x", spans("{}")), GiveUp::Trailing),
        (format!("{} {{}}", spans("{}")), GiveUp::Trailing),
        (r#"{"resourceSpans":null}"#.into(), GiveUp::NullList),
        (r#"{"other":1}"#.into(), GiveUp::NoResourceSpans),
        (
            r#"{"resourceSpans":[{"scopeSpans":[{"spanz":[]}]}]}"#.into(),
            GiveUp::UnknownKey,
        ),
    ];
    for (text, want) in cases {
        assert_eq!(why_slow(&text), Some(want), "{text}");
    }
}

#[test]
fn requests_left_to_serde_are_counted_by_reason_with_their_spans() {
    let text = request(&[span("a", HEX, "1", "[]"), span("b", HEX, "1", "[]")])
        .replace(r#""name":"b""#, r#""n\u0061me":"b""#);
    let ctx = Ctx::new(text.as_bytes(), 0, 1, "t.jsonl");
    let mut batch = Batch::default();
    assert_eq!(
        super::parse_request_salvaging(&ctx, &text, 0, &mut batch, "line"),
        2
    );
    let why = GiveUp::EscapedKey.as_str();
    assert_eq!(batch.slow.count("otlp line", why), 1);
    assert_eq!(batch.slow.count("otlp span", why), 2);
    // A damaged line: read slowly, then repaired and read again (counted once, as repaired).
    let whole = request(&[span("a", HEX, "1", "[]"), span("b", HEX, "1", "[]")]);
    let cut = &whole[..whole.find(r#""name":"b"#).unwrap() + 9];
    let ctx = Ctx::new(cut.as_bytes(), 0, 1, "t.jsonl");
    let mut batch = Batch::default();
    let n = super::parse_request_salvaging(&ctx, cut, 0, &mut batch, "line");
    assert_eq!(n, 1, "{:?}", batch.diagnostics);
    let open = GiveUp::NoIndex(crate::load::fastjson::NoIndex::BadString);
    assert_eq!(batch.slow.count("otlp line", open.as_str()), 1);
    assert_eq!(batch.slow.count("otlp line repaired", "cut short"), 1);
    assert_eq!(batch.slow.total("otlp line"), 1, "{:?}", batch.slow);
    // A request the fast reader reads counts nothing.
    let mut batch = Batch::default();
    let ok = request(&[span("a", HEX, "1", "[]")]);
    let ctx = Ctx::new(ok.as_bytes(), 0, 1, "t.jsonl");
    assert_eq!(
        super::parse_request_salvaging(&ctx, &ok, 0, &mut batch, "line"),
        1
    );
    assert!(batch.slow.is_empty(), "{:?}", batch.slow);
}
