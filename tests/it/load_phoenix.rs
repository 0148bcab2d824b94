//! Phoenix loader: `get_spans_dataframe()` records, REST `/spans` and `/spans/otlpv1`
//! pages, and span annotations.

use crate::common::*;
use serde_json::json;
use spanlens::model::{SpanKind, Status, TraceIx};

const TRACE: &str = "a81e4560743c64745de3d766f31b8fcc";

/// Two DataFrame rows as `to_json(orient="records", date_format="iso")` writes them: the
/// child first, float token counts, a nested message list, NaN as null, the saved index.
fn df_records(start_root: &str, start_child: &str) -> String {
    format!(
        r#"[
 {{"name":"ChatCompletion","span_kind":"LLM","parent_id":"139bfb22935b53ff",
   "start_time":{start_child},"end_time":null,"status_code":"ERROR","status_message":"rate limited",
   "events":[{{"name":"exception","timestamp":"2026-11-28T20:12:01.411373+00:00","attributes":{{"exception.type":"RateLimitError"}}}}],
   "context.span_id":"ab08e1b010e9a8fe","context.trace_id":"{TRACE}",
   "attributes.llm.token_count.prompt":97.0,"attributes.llm.token_count.completion":20.0,
   "attributes.llm.model_name":"gpt-4o-mini-2024-07-18",
   "attributes.llm.input_messages":[{{"message.role":"user","message.content":"And tomorrow?"}}],
   "attributes.input.value":"{{\"model\": \"gpt-4o-mini\"}}",
   "attributes.agent.name":null,"__index_level_0__":"ab08e1b010e9a8fe"}},
 {{"name":"weather_agent","span_kind":"AGENT","parent_id":null,
   "start_time":{start_root},"end_time":"2026-11-28T20:12:01.429Z","status_code":"OK","status_message":"",
   "events":[],"context.span_id":"139bfb22935b53ff","context.trace_id":"{TRACE}",
   "attributes.llm.token_count.prompt":null,"attributes.agent.name":"weather_agent"}}
]"#
    )
}

#[test]
fn dataframe_records_link_parents_and_read_attribute_columns() {
    let doc = df_records(
        r#""2026-11-28T20:12:01.401Z""#,
        r#""2026-11-28T20:12:01.423Z""#,
    );
    let set = load_text("df.records.json", doc.as_bytes());
    assert_eq!(set.files[0].format, "phoenix-spans");
    assert_eq!(set.traces.len(), 1);
    assert_eq!(set.trace_id(TraceIx(0)), TRACE);
    let root = span_named(&set, "weather_agent");
    let chat = span_named(&set, "ChatCompletion");
    assert_eq!(set.span(chat).parent(), Some(root));
    assert_eq!(set.span(root).kind, SpanKind::Agent);
    let s = set.span(chat);
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.status, Status::Error);
    assert_eq!(set.sources.text(s.status_msg.unwrap()), "rate limited");
    assert_eq!(s.tokens.input(), Some(97), "float token counts are read");
    assert_eq!(s.tokens.output(), Some(20));
    assert_eq!(set.str(s.model), "gpt-4o-mini-2024-07-18");
    assert_eq!(s.end_ns(), None, "a null end time is an in-progress span");
    assert_eq!(
        s.start_ns,
        spanlens::model::time::parse_iso("2026-11-28T20:12:01.423Z").unwrap()
    );
    // `attributes.` is dropped, nested lists stay JSON, nulls and the index are skipped.
    assert_eq!(
        set.attr_value(chat, "llm.input_messages"),
        Some(json!([{"message.role": "user", "message.content": "And tomorrow?"}]))
    );
    let keys: Vec<&str> = set.attrs_of(chat).map(|(k, _)| k).collect();
    assert!(!keys.contains(&"agent.name"), "{keys:?}");
    assert!(!keys.iter().any(|k| k.starts_with("__index")), "{keys:?}");
    assert!(!keys.contains(&"name"), "span fields are not attributes");
    assert_eq!(
        set.sources.value(s.input.unwrap()),
        json!({"model": "gpt-4o-mini"})
    );
    let events = set.sources.value(s.events.unwrap());
    assert_eq!(events[0]["name"], "exception");
    assert_eq!(
        set.span(root).events,
        None,
        "an empty event list is no events"
    );
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
}

#[test]
fn dataframe_records_with_pandas_default_epoch_millisecond_times() {
    let doc = df_records("1795896721401", "1795896721423");
    let set = load_text("df-epoch.json", doc.as_bytes());
    let root = set.span(span_named(&set, "weather_agent"));
    assert_eq!(root.start_ns, 1_795_896_721_401_000_000);
    let chat = set.span(span_named(&set, "ChatCompletion"));
    assert_eq!(chat.start_ns, 1_795_896_721_423_000_000);
}

#[test]
fn a_row_without_a_start_time_is_kept_and_reported_at_its_line() {
    let doc = df_records("null", r#""2026-11-28T20:12:01.423Z""#);
    let set = load_text("nostart.json", doc.as_bytes());
    assert_eq!(set.total_spans(), 2, "the span is kept");
    let w = warnings(&set);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("nostart.json: line 11"), "{w:?}");
    assert!(w[0].contains("no valid start time"), "{w:?}");
}

const REST_ROOT: &str = r#"{"id":"U3BhbjoxMA==","name":"weather_agent","context":{"trace_id":"a81e4560743c64745de3d766f31b8fcc","span_id":"139bfb22935b53ff"},
 "span_kind":"AGENT","parent_id":null,"start_time":"2026-11-28T20:12:01.401405+00:00","end_time":"2026-11-28T20:12:01.429363+00:00",
 "status_code":"OK","status_message":"","attributes":{"input.value":"And tomorrow?","agent.name":"weather_agent"},"events":[]}"#;

#[test]
fn rest_pages_use_span_kind_and_flat_dotted_attributes() {
    let child = r#"{"id":"U3BhbjoxMQ==","name":"get_weather","context":{"trace_id":"a81e4560743c64745de3d766f31b8fcc","span_id":"4c1faed2104a42a6"},
 "span_kind":"TOOL","parent_id":"139bfb22935b53ff","start_time":"2026-11-28T20:12:01.411001+00:00","end_time":"2026-11-28T20:12:01.411500+00:00",
 "status_code":"ERROR","status_message":"weather API unreachable",
 "attributes":{"tool.name":"get_weather","metadata.env":"test","llm.token_count.prompt":12},
 "events":[{"name":"exception","timestamp":"2026-11-28T20:12:01.411373+00:00","attributes":{"exception.message":"weather API unreachable"}}]}"#;
    let doc = format!(r#"{{"data":[{REST_ROOT},{child}],"next_cursor":null}}"#);
    let set = load_text("rest.json", doc.as_bytes());
    assert_eq!(set.files[0].format, "phoenix-rest");
    assert_eq!(set.total_spans(), 2);
    let root = span_named(&set, "weather_agent");
    let tool = span_named(&set, "get_weather");
    let s = set.span(tool);
    assert_eq!(s.parent(), Some(root));
    assert_eq!(
        s.kind,
        SpanKind::Tool,
        "span_kind stands in for the removed attribute"
    );
    assert_eq!(set.str(s.tool), "get_weather");
    assert_eq!(s.tokens.input(), Some(12));
    assert_eq!(s.status, Status::Error);
    assert_eq!(s.duration_ns(), 499_000);
    assert_eq!(set.attr_value(tool, "metadata.env"), Some(json!("test")));
    assert_eq!(set.span(root).start_ns, 1_795_896_721_401_405_000);
    assert_eq!(
        set.sources.text(set.span(root).input.unwrap()),
        "And tomorrow?"
    );
}

#[test]
fn a_single_rest_span_object_loads() {
    let set = load_text("one.json", REST_ROOT.as_bytes());
    assert_eq!(set.files[0].format, "phoenix-rest");
    assert_eq!(set.total_spans(), 1);
    assert_eq!(
        set.span(span_named(&set, "weather_agent")).kind,
        SpanKind::Agent
    );
}

#[test]
fn otlpv1_pages_read_snake_case_spans_with_null_members() {
    let any = |k: &str, v: &str| {
        format!(
            r#"{{"key":"{k}","value":{{"array_value":null,"bool_value":null,"int_value":{int},"string_value":{s}}}}}"#,
            int = if v.starts_with('"') { "null" } else { v },
            s = if v.starts_with('"') { v } else { "null" },
        )
    };
    let span = |id: &str, parent: &str, name: &str, attrs: &[String], code: u8| {
        format!(
            r#"{{"attributes":[{}],"dropped_attributes_count":null,"end_time_unix_nano":1795896721429362944,"events":null,
              "kind":"SPAN_KIND_INTERNAL","links":null,"name":"{name}","parent_span_id":{parent},"span_id":"{id}",
              "start_time_unix_nano":1795896721401405184,"status":{{"code":{code},"message":null}},"trace_id":"{TRACE}"}}"#,
            attrs.join(",")
        )
    };
    let root = span(
        "139bfb22935b53ff",
        "null",
        "weather_agent",
        &[any("openinference.span.kind", r#""AGENT""#)],
        1,
    );
    let llm = span(
        "ab08e1b010e9a8fe",
        r#""139bfb22935b53ff""#,
        "ChatCompletion",
        &[
            any("openinference.span.kind", r#""LLM""#),
            any("llm.token_count.prompt", "97"),
        ],
        2,
    );
    let doc = format!(r#"{{"data":[{root},{llm}],"next_cursor":null}}"#);
    let set = load_text("otlpv1.json", doc.as_bytes());
    assert_eq!(set.files[0].format, "phoenix-otlpv1");
    let chat = span_named(&set, "ChatCompletion");
    let s = set.span(chat);
    assert_eq!(s.parent(), Some(span_named(&set, "weather_agent")));
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.tokens.input(), Some(97));
    assert_eq!(s.status, Status::Error);
    assert_eq!(s.otel_kind, 1);
    assert_eq!(s.start_ns, 1_795_896_721_401_405_184);
}

const ANNOTATIONS: &str = r#"[
 {"id":"U3BhbkFubm90YXRpb246Mg==","annotation_name":"relevance","annotator_kind":"LLM","metadata":{},"identifier":"",
  "result.label":"relevant","result.score":0.8,"result.explanation":"judge rationale","span_id":"139bfb22935b53ff"},
 {"id":"U3BhbkFubm90YXRpb246MQ==","annotation_name":"helpfulness","annotator_kind":"HUMAN","metadata":{},"identifier":"",
  "result.label":null,"result.score":1.0,"result.explanation":null,"span_id":"139BFB22935B53FF"}
]"#;

#[test]
fn annotations_attach_to_spans_loaded_from_another_file() {
    let spans = temp_file(
        "rest.json",
        format!(r#"{{"data":[{REST_ROOT}]}}"#).as_bytes(),
    );
    let ann = temp_file("annotations.json", ANNOTATIONS.as_bytes());
    let set = load_paths(&[spans, ann]);
    assert_eq!(set.files[1].format, "phoenix-annotations");
    assert_eq!(set.files[1].spans, 0, "annotations are not spans");
    assert_eq!(set.assessments.len(), 2);
    let a = &set.assessments[0];
    assert_eq!(a.kind, "annotation");
    assert_eq!(a.name, "relevance");
    assert_eq!(a.value, json!({"label": "relevant", "score": 0.8}));
    assert_eq!(a.rationale.as_deref(), Some("judge rationale"));
    assert_eq!(a.source.as_deref(), Some("LLM"));
    assert_eq!(set.assessments[1].value, json!(1.0));
    let root = span_named(&set, "weather_agent");
    let attached: Vec<&str> = set
        .assessments_for(TraceIx(0), Some(root))
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        attached,
        ["relevance", "helpfulness"],
        "ids match in any case"
    );
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
}

#[test]
fn annotations_without_span_ids_load_and_warn_once() {
    let doc = ANNOTATIONS
        .replace(r#","span_id":"139bfb22935b53ff""#, "")
        .replace(r#","span_id":"139BFB22935B53FF""#, "");
    let set = load_text("ann.records.json", doc.as_bytes());
    assert_eq!(set.assessments.len(), 2);
    assert!(set.assessments.iter().all(|a| a.span_id.is_none()));
    let w = warnings(&set);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("no span_id"), "{w:?}");
}

#[test]
fn a_rest_page_element_that_is_not_an_object_is_reported() {
    let doc = format!(
        r#"{{"data":[{REST_ROOT},
 42]}}"#
    );
    let set = load_text("bad.json", doc.as_bytes());
    assert_eq!(set.total_spans(), 1);
    let w = warnings(&set);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("bad.json: line 4"), "{w:?}");
}

#[test]
fn corpus_phoenix_exports_agree_with_each_other() {
    let Some(dir) = corpus().map(|c| c.join("generated/openinference-phoenix")) else {
        return;
    };
    for name in [
        "phoenix_rest_v1_spans.json",
        "phoenix_rest_v1_spans_otlpv1.json",
        "phoenix_spans_dataframe.records.json",
        "phoenix_spans_dataframe.parquet",
    ] {
        let set = load_paths(&[dir.join(name)]);
        assert_eq!(set.traces.len(), 2, "{name}");
        assert_eq!(set.total_spans(), 10, "{name}");
        assert_eq!(set.total_errors(), 1, "{name}");
        let tokens: u64 = set.traces.iter().map(|t| t.input_tokens).sum();
        assert_eq!(tokens, 124 + 164, "{name}");
        assert!(set.traces.iter().all(|t| t.roots == 1), "{name}");
        assert!(warnings(&set).is_empty(), "{name}: {:?}", warnings(&set));
    }
}

#[test]
fn a_long_run_of_annotations_without_span_ids_warns_once_however_it_is_split() {
    let row = |i: usize| {
        format!(
            r#"{{"annotation_name":"relevance","annotator_kind":"LLM","identifier":"","result.label":"ok","result.score":{i},"result.explanation":null}}"#
        )
    };
    let rows: Vec<String> = (0..40_000).map(row).collect();
    // JSON Lines (parsed in parallel pieces) and one array (loaded in parallel runs).
    let lines = rows.join("\n");
    let array = format!("[{}]", rows.join(",\n"));
    for (name, text) in [("ann.jsonl", lines), ("ann.records.json", array)] {
        let set = load_text(name, text.as_bytes());
        assert_eq!(set.assessments.len(), 40_000, "{name}");
        let w = warnings(&set);
        assert_eq!(w.len(), 1, "{name}: {w:?}");
        assert!(w[0].contains("no span_id"), "{name}: {w:?}");
    }
}
