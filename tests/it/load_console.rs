//! OTel Python console-exporter output, OTel JS `ReadableSpan` dumps, and bare attribute
//! maps (GenAI / OpenInference fixtures).

use crate::common::*;
use serde_json::json;
use spanlens::model::detail::detail;
use spanlens::model::{SpanKind, Status, TraceIx};

/// Two spans as `ConsoleSpanExporter` prints them: pretty objects back to back, no commas.
const CONSOLE: &str = r#"{
    "name": "execute_tool flaky_tool",
    "context": {
        "trace_id": "0x64CF1377D9E71346BBF6F753004AB985",
        "span_id": "0xb31baa1f80851310",
        "trace_state": "[]"
    },
    "kind": "SpanKind.CLIENT",
    "parent_id": "0x2b034a177fe0d10f",
    "start_time": "2026-11-28T20:16:32.663427Z",
    "end_time": "2026-11-28T20:16:32.663584Z",
    "status": {
        "status_code": "ERROR",
        "description": "tool timed out after 5s"
    },
    "attributes": {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "flaky_tool"
    },
    "events": [
        {
            "name": "exception",
            "timestamp": "2026-11-28T20:16:32.663570Z",
            "attributes": {"exception.type": "TimeoutError", "exception.message": "tool timed out after 5s"}
        }
    ],
    "links": [],
    "resource": {"attributes": {"service.name": "weather-agent"}, "schema_url": ""}
}
{
    "name": "invoke_agent weather_agent",
    "context": {"trace_id": "0x64cf1377d9e71346bbf6f753004ab985", "span_id": "0x2b034a177fe0d10f", "trace_state": "[]"},
    "kind": "SpanKind.INTERNAL",
    "parent_id": null,
    "start_time": "2026-11-28T20:16:32.663076Z",
    "end_time": "2026-11-28T20:16:32.663724Z",
    "status": {"status_code": "UNSET"},
    "attributes": {"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 57},
    "events": [],
    "links": [],
    "resource": {"attributes": {"service.name": "weather-agent"}, "schema_url": ""}
}
"#;

#[test]
fn console_exporter_objects_back_to_back_form_one_tree() {
    let set = load_text("stdout.txt", CONSOLE.as_bytes());
    assert_eq!(set.files[0].format, "otel-console");
    assert_eq!(set.traces.len(), 1);
    assert_eq!(set.trace_id(TraceIx(0)), "64cf1377d9e71346bbf6f753004ab985");
    let root = span_named(&set, "invoke_agent weather_agent");
    let tool = span_named(&set, "execute_tool flaky_tool");
    let s = set.span(tool);
    assert_eq!(s.parent(), Some(root), "0x ids of either case link");
    assert_eq!(s.otel_kind, 3, "SpanKind.CLIENT");
    assert_eq!(s.kind, SpanKind::Tool);
    assert_eq!(set.str(s.tool), "flaky_tool");
    assert_eq!(s.status, Status::Error);
    assert_eq!(
        set.sources.text(s.status_msg.unwrap()),
        "tool timed out after 5s"
    );
    assert_eq!(s.duration_ns(), 157_000);
    let d = detail(&set, tool);
    assert_eq!(d.exceptions[0].kind, "TimeoutError");
    assert_eq!(
        d.events[0].time_ns,
        spanlens::model::time::parse_iso("2026-11-28T20:16:32.663570Z")
    );
    assert_eq!(set.span(root).kind, SpanKind::Agent);
    assert_eq!(set.span(root).tokens.input(), Some(57));
    assert_eq!(set.span(root).links, None);
    assert!(set.span(root).resource.is_some());
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
}

#[test]
fn a_console_stream_cut_mid_object_keeps_the_complete_spans() {
    let cut = &CONSOLE[..CONSOLE.len() - 40];
    let set = load_text("cut.txt", cut.as_bytes());
    assert_eq!(set.total_spans(), 1);
    let w = warnings(&set);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("cut.txt: line"), "{w:?}");
}

/// OTel JS spans: HrTime times, JS `SpanKind` (CLIENT = 2), Vercel `ai.*` attributes.
const JS: &str = r#"[
  {"name":"ai.generateText","spanContext":{"traceId":"700d5f98fe2420adcf6ab0822f7a323c","spanId":"648be1dfd8e521b6"},
   "kind":0,"attributes":{"ai.operationId":"ai.generateText","ai.model.id":"gpt-4o-mini","ai.prompt":"{\"prompt\":\"Write a haiku.\"}"},
   "status":{"code":0},"startTime":[1770131992,241000000],"endTime":[1770131994,22541000],"events":[],
   "instrumentationLibrary":{"name":"ai","version":"6.0.68"}},
  {"name":"ai.generateText.doGenerate","spanContext":{"traceId":"700d5f98fe2420adcf6ab0822f7a323c","spanId":"39d6e9b3ddec9996"},
   "parentSpanContext":{"traceId":"700d5f98fe2420adcf6ab0822f7a323c","spanId":"648be1dfd8e521b6"},
   "kind":2,"attributes":{"ai.operationId":"ai.generateText.doGenerate","ai.model.id":"gpt-4o-mini","ai.response.model":"gpt-4o-mini-2024-07-18",
     "ai.usage.promptTokens":14,"ai.usage.completionTokens":20,"ai.response.text":"Lines of code align."},
   "status":{"code":2,"message":"overloaded"},"startTime":[1770131992,300000000],"endTime":[1770131994,0],
   "events":[{"name":"ai.stream.firstChunk","time":[1770131992,900000000],"attributes":{}}],
   "instrumentationScope":{"name":"ai"}},
  {"name":"ai.toolCall","spanContext":{"traceId":"700d5f98fe2420adcf6ab0822f7a323c","spanId":"1111111111111111"},
   "parentSpanId":"648be1dfd8e521b6","kind":0,"attributes":{"ai.toolCall.name":"get_weather"},
   "status":{"code":1},"startTime":[1770131994,1],"duration":[0,500]}
]"#;

#[test]
fn js_readable_spans_read_hrtime_parents_and_vercel_attributes() {
    let set = load_text("spans.json", JS.as_bytes());
    assert_eq!(set.files[0].format, "otel-js");
    assert_eq!(set.traces.len(), 1);
    let root = span_named(&set, "ai.generateText");
    let gen_ = span_named(&set, "ai.generateText.doGenerate");
    let tool = span_named(&set, "ai.toolCall");
    let r = set.span(root);
    assert_eq!(r.start_ns, 1_770_131_992_241_000_000);
    assert_eq!(r.end_ns(), Some(1_770_131_994_022_541_000));
    assert_eq!(r.otel_kind, 1, "JS INTERNAL = 0 is OTLP INTERNAL = 1");
    assert_eq!(r.kind, SpanKind::Chain);
    assert_eq!(set.str(r.scope), "ai", "instrumentationLibrary");
    assert_eq!(
        set.sources.value(r.input.unwrap()),
        json!({"prompt": "Write a haiku."}),
        "a payload string holding JSON decodes to the JSON"
    );
    let g = set.span(gen_);
    assert_eq!(g.parent(), Some(root), "parentSpanContext.spanId");
    assert_eq!(g.otel_kind, 3, "JS CLIENT = 2 is OTLP CLIENT = 3");
    assert_eq!(g.kind, SpanKind::Llm);
    assert_eq!(set.str(g.model), "gpt-4o-mini-2024-07-18");
    assert_eq!((g.tokens.input(), g.tokens.output()), (Some(14), Some(20)));
    assert_eq!(g.status, Status::Error);
    assert_eq!(set.sources.text(g.status_msg.unwrap()), "overloaded");
    assert_eq!(
        detail(&set, gen_).events[0].time_ns,
        Some(1_770_131_992_900_000_000)
    );
    let t = set.span(tool);
    assert_eq!(t.parent(), Some(root), "parentSpanId");
    assert_eq!(t.kind, SpanKind::Tool);
    assert_eq!(t.status, Status::Ok);
    assert_eq!(t.duration_ns(), 500, "end from startTime + duration");
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
}

#[test]
fn a_js_span_with_a_malformed_start_time_is_kept_and_reported() {
    let doc = r#"{"name":"x","spanContext":{"traceId":"700d5f98fe2420adcf6ab0822f7a323c","spanId":"648be1dfd8e521b6"},
"startTime":[1770131992],"endTime":[1770131994,0]}"#;
    let set = load_text("bad.json", doc.as_bytes());
    assert_eq!(set.total_spans(), 1);
    let w = warnings(&set);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("bad.json: line 1") && w[0].contains("start time"),
        "{w:?}"
    );
}

const GENAI_MAP: &str = r#"{
  "gen_ai.operation.name": "chat",
  "gen_ai.request.model": "gpt-4",
  "gen_ai.response.model": "gpt-4-0613",
  "gen_ai.usage.output_tokens": 52,
  "gen_ai.usage.input_tokens": 97,
  "gen_ai.response.finish_reasons": ["stop"]
}"#;

#[test]
fn an_attribute_map_is_one_span_named_after_its_operation() {
    let set = load_text("chat.attributes.json", GENAI_MAP.as_bytes());
    assert_eq!(set.files[0].format, "attributes");
    assert_eq!(set.trace_id(TraceIx(0)), "file:chat.attributes.json");
    let ix = span_named(&set, "chat gpt-4");
    let s = set.span(ix);
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(set.str(s.model), "gpt-4-0613");
    assert_eq!((s.tokens.input(), s.tokens.output()), (Some(97), Some(52)));
    assert_eq!((s.start_ns, s.end_ns()), (0, Some(0)));
    assert_eq!(set.attrs_of(ix).count(), 6, "every key is an attribute");
    assert_eq!(
        set.attr_value(ix, "gen_ai.response.finish_reasons"),
        Some(json!(["stop"]))
    );
}

#[test]
fn two_attribute_maps_stay_two_traces_and_plain_input_output_are_payloads() {
    let tool = r#"{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
      "input": "{\"city\": \"New York\"}", "output": "{\"status\": \"success\"}"}"#;
    let oi = r#"{"openinference.span.kind": "LLM", "llm.model_name": "gpt-4-0613",
      "input.value": "Weather in Paris?", "llm.token_count.total": 149}"#;
    let a = temp_file("tool.attributes.json", tool.as_bytes());
    let b = temp_file("oi.attributes.json", oi.as_bytes());
    let set = load_paths(&[a, b]);
    assert_eq!(set.traces.len(), 2);
    let t = set.span(span_named(&set, "execute_tool get_weather"));
    assert_eq!(t.kind, SpanKind::Tool);
    assert_eq!(
        set.sources.value(t.input.unwrap()),
        json!({"city": "New York"})
    );
    assert_eq!(
        set.sources.value(t.output.unwrap()),
        json!({"status": "success"})
    );
    let o = set.span(span_named(&set, "LLM gpt-4-0613"));
    assert_eq!(o.kind, SpanKind::Llm);
    assert_eq!(o.tokens.total(), Some(149));
    assert_eq!(set.sources.text(o.input.unwrap()), "Weather in Paris?");
}

#[test]
fn a_json_schema_is_not_mistaken_for_a_trace() {
    let schema = r##"{"$defs": {"TextPart": {"type": "object"}}, "description": "gen_ai.input.messages",
      "items": {"$ref": "#/$defs/ChatMessage"}, "title": "InputMessages", "type": "array"}"##;
    let path = temp_file("gen-ai-input-messages.schema.json", schema.as_bytes());
    let err = spanlens::load::load(&[path], &Default::default(), &|_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("not a trace format"), "{msg}");
}

#[test]
fn corpus_console_js_and_attribute_files_load() {
    let Some(c) = corpus() else { return };
    let cases: [(&str, usize, usize, usize); 6] = [
        (
            "generated/otel-python-console/console_exporter_stdout.txt",
            1,
            3,
            1,
        ),
        (
            "public/otel-js-readablespan/openinference-vercel_v6-spans_all-spans.json",
            10,
            10,
            0,
        ),
        (
            "public/otel-js-readablespan/openinference-vercel_v6-spans_ai-generateText.json",
            2,
            2,
            0,
        ),
        (
            "public/openinference/openinference-genai_fixture_openinference_client_span_tool_calls.attributes.json",
            1,
            1,
            0,
        ),
        (
            "public/otel-genai/openinference-genai_fixture_otel_genai_client_span_tool_calls.attributes.json",
            1,
            1,
            0,
        ),
        (
            "public/otel-genai/openinference-genai_fixture_otel_genai_tool_execution_span.attributes.json",
            1,
            1,
            0,
        ),
    ];
    for (name, traces, spans, errors) in cases {
        let set = load_paths(&[c.join(name)]);
        assert_eq!(
            (set.traces.len(), set.total_spans(), set.total_errors()),
            (traces, spans, errors),
            "{name}"
        );
        assert!(warnings(&set).is_empty(), "{name}: {:?}", warnings(&set));
    }
}
