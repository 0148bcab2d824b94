//! Langfuse loader: UI trace dumps, REST traces, API pages, UI export rows, blob-export
//! rows, kinds, errors, usage and cost fallbacks, scores, orphans.

use crate::common::*;
use serde_json::json;
use spanlens::load::{self, Format, LoadOptions};
use spanlens::model::{Flags, SpanKind, Status, TraceIx};

const TID: &str = "b82a0bdc1994fc5d1c8576ca032543f7";

/// A UI dump: light rows under `trace.observations`, full rows at the top level.
fn dump() -> String {
    format!(
        r#"{{"trace": {{"id": "{TID}", "name": "weather", "timestamp": "2025-06-06T14:40:28.000Z",
  "scores": [
    {{"id": "s1", "traceId": "{TID}", "observationId": null, "name": "toxicity", "value": 0.25,
     "stringValue": null, "dataType": "NUMERIC", "source": "EVAL", "comment": "mild"}},
    {{"id": "s2", "traceId": "{TID}", "observationId": "00000000000000b2", "name": "helpful",
     "value": 1, "stringValue": "True", "dataType": "BOOLEAN", "source": "ANNOTATION", "comment": null}}
  ],
  "observations": [{{"id": "00000000000000a1", "traceId": "{TID}", "type": "SPAN", "startTime": "2025-06-06T14:40:28.000Z"}}]}},
 "observations": [
  {{"id": "00000000000000a1", "traceId": "{TID}", "parentObservationId": null, "type": "SPAN",
   "name": "agent run", "startTime": "2025-06-06T14:40:28.000Z", "endTime": "2025-06-06T14:40:30.000Z",
   "level": "DEFAULT", "statusMessage": null, "input": "\"What is the weather?\"", "output": null,
   "usageDetails": {{}}, "inputUsage": 0, "outputUsage": 0, "totalUsage": 0, "totalCost": 0,
   "metadata": "{{\"attributes\":{{\"k\":1}}}}"}},
  {{"id": "00000000000000b2", "traceId": "{TID}", "parentObservationId": "00000000000000a1",
   "type": "GENERATION", "name": "chat", "startTime": "2025-06-06T14:40:28.100Z",
   "endTime": "2025-06-06T14:40:29.000Z", "model": "gpt-4o-mini", "level": "DEFAULT",
   "input": "{{\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}}]}}",
   "output": {{"role": "assistant", "content": "sunny"}},
   "usageDetails": {{"input": 57, "output": 17, "total": 74, "input_cached_tokens": 3}},
   "usage": {{"input": 1, "output": 1, "total": 2}},
   "inputUsage": 57, "outputUsage": 17, "totalUsage": 74, "totalCost": 0.0021,
   "costDetails": {{"total": 0.0021}}}},
  {{"id": "00000000000000c3", "traceId": "{TID}", "parentObservationId": "00000000000000a1",
   "type": "TOOL", "name": "get_weather", "startTime": "2025-06-06T14:40:29.000Z",
   "endTime": "2025-06-06T14:40:29.500Z", "level": "ERROR",
   "statusMessage": "weather service timed out", "input": "{{\"city\":\"Paris\"}}"}},
  {{"id": "00000000000000d4", "traceId": "{TID}", "parentObservationId": "00000000000000a1",
   "type": "EVENT", "name": "user feedback", "startTime": "2025-06-06T14:40:29.700Z",
   "endTime": null, "level": "WARNING"}}
 ]}}"#
    )
}

#[test]
fn a_ui_dump_loads_its_full_observations_with_kinds_parents_and_trace_info() {
    let set = load_text("dump.json", dump().as_bytes());
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
    assert_eq!(set.traces.len(), 1);
    let t = set.trace(TraceIx(0));
    assert_eq!(set.str(t.id), TID);
    assert_eq!(t.span_count(), 4, "the light rows must not be loaded too");
    assert_eq!(t.roots, 1);
    let info = set.sources.value(t.info.expect("trace info"));
    assert_eq!(info["name"], "weather");

    let root = span_named(&set, "agent run");
    assert_eq!(set.span(root).kind, SpanKind::Chain);
    for (name, kind) in [
        ("chat", SpanKind::Llm),
        ("get_weather", SpanKind::Tool),
        ("user feedback", SpanKind::Unknown),
    ] {
        let s = set.span(span_named(&set, name));
        assert_eq!(s.kind, kind, "{name}");
        assert_eq!(s.parent(), Some(root), "{name}");
    }
    let tool = set.span(span_named(&set, "get_weather"));
    assert_eq!(set.str(tool.tool), "get_weather");
}

#[test]
fn level_error_is_an_error_with_its_status_message_and_warning_is_not() {
    let set = load_text("dump.json", dump().as_bytes());
    assert_eq!(set.trace(TraceIx(0)).errors, 1);
    let tool = set.span(span_named(&set, "get_weather"));
    assert_eq!(tool.status, Status::Error);
    let msg = set.sources.text(tool.status_msg.expect("status message"));
    assert_eq!(msg, "weather service timed out");
    let event = set.span(span_named(&set, "user feedback"));
    assert_ne!(event.status, Status::Error);
}

#[test]
fn an_event_without_end_time_is_a_point_not_in_progress() {
    let set = load_text("dump.json", dump().as_bytes());
    let event = set.span(span_named(&set, "user feedback"));
    assert_eq!(event.end_ns(), Some(event.start_ns));
    assert!(!event.flags.has(Flags::IN_PROGRESS));
    assert_eq!(set.trace(TraceIx(0)).anomalies.in_progress, 0);
}

#[test]
fn usage_details_win_and_unpriced_spans_get_no_tokens_or_cost() {
    let set = load_text("dump.json", dump().as_bytes());
    let chat = set.span(span_named(&set, "chat"));
    assert_eq!(set.str(chat.model), "gpt-4o-mini");
    assert_eq!(
        chat.tokens.input(),
        Some(57),
        "usageDetails beats legacy usage"
    );
    assert_eq!(chat.tokens.output(), Some(17));
    assert_eq!(chat.tokens.total(), Some(74));
    assert_eq!(chat.cost(), Some(0.0021));
    let root = set.span(span_named(&set, "agent run"));
    assert!(root.tokens.is_empty(), "{:?}", root.tokens);
    assert_eq!(
        root.cost(),
        None,
        "a zero cost without usage means unpriced"
    );
    let t = set.trace(TraceIx(0));
    assert_eq!((t.input_tokens, t.output_tokens), (57, 17));
}

#[test]
fn payloads_that_are_json_strings_decode_to_json_and_objects_stay_objects() {
    let set = load_text("dump.json", dump().as_bytes());
    let chat = set.span(span_named(&set, "chat"));
    let input = set.sources.value(chat.input.expect("input"));
    assert_eq!(input["messages"][0]["content"], "hi");
    let output = set.sources.value(chat.output.expect("output"));
    assert_eq!(output["content"], "sunny");
    let root = set.span(span_named(&set, "agent run"));
    assert_eq!(
        set.sources.text(root.input.expect("input")),
        "What is the weather?"
    );
    assert_eq!(root.output, None, "null output is no output");
}

#[test]
fn every_non_null_field_is_an_attribute_named_as_in_the_file() {
    let set = load_text("dump.json", dump().as_bytes());
    let chat = span_named(&set, "chat");
    assert_eq!(set.attr_value(chat, "model"), Some(json!("gpt-4o-mini")));
    assert_eq!(
        set.attr_value(chat, "usageDetails").unwrap()["input_cached_tokens"],
        3
    );
    assert_eq!(set.attr_value(chat, "type"), Some(json!("GENERATION")));
    let root = span_named(&set, "agent run");
    assert!(set.attr_value(root, "metadata").is_some());
    assert_eq!(
        set.attr_value(root, "statusMessage"),
        None,
        "nulls are left out"
    );
}

#[test]
fn scores_become_assessments_on_the_trace_or_their_observation() {
    let set = load_text("dump.json", dump().as_bytes());
    assert_eq!(set.assessments.len(), 2);
    let tox = &set.assessments[0];
    assert_eq!(
        (tox.kind.as_str(), tox.name.as_str()),
        ("score", "toxicity")
    );
    assert_eq!(tox.value, json!(0.25));
    assert_eq!(tox.rationale.as_deref(), Some("mild"));
    assert_eq!(tox.source.as_deref(), Some("EVAL"));
    assert_eq!(tox.span_id, None);
    let helpful = &set.assessments[1];
    assert_eq!(helpful.value, json!(true));
    assert_eq!(helpful.span_id.as_deref(), Some("00000000000000b2"));
    assert_eq!(
        set.assessment_targets[1],
        (Some(TraceIx(0)), Some(span_named(&set, "chat")))
    );
    assert_eq!(set.assessment_targets[0], (Some(TraceIx(0)), None));
}

#[test]
fn a_dump_without_top_level_observations_falls_back_to_the_trace_rows() {
    let doc = format!(
        r#"{{"trace": {{"id": "{TID}", "timestamp": "2025-06-06T14:40:28.000Z", "observations": [
          {{"id": "a", "traceId": "{TID}", "type": "SPAN", "name": "only", "startTime": "2025-06-06T14:40:28.000Z",
           "endTime": "2025-06-06T14:40:29.000Z"}}]}}}}"#
    );
    // Detection keys on a top-level `observations`, so this shape needs `--format langfuse`.
    let opts = LoadOptions {
        format: Some(Format::Langfuse),
        ..LoadOptions::default()
    };
    let path = temp_file("light.json", doc.as_bytes());
    let set = load::load(&[path], &opts, &|_| {}).expect("loads");
    assert_eq!(set.total_spans(), 1);
    assert_eq!(set.span(span_named(&set, "only")).kind, SpanKind::Chain);
}

#[test]
fn a_top_observation_whose_parent_is_missing_loads_as_an_orphan_without_a_made_up_root() {
    // As in the C# sample: the top observation points at a parent not in the file.
    let doc = format!(
        r#"{{"trace": {{"id": "{TID}", "timestamp": "2025-06-06T14:40:28.000Z"}}, "observations": [
          {{"id": "0000000000000002", "traceId": "{TID}", "parentObservationId": "00000000000000ff", "type": "AGENT",
           "name": "agent", "startTime": "2025-06-06T14:40:28.000Z", "endTime": "2025-06-06T14:40:29.000Z"}},
          {{"id": "0000000000000003", "traceId": "{TID}", "parentObservationId": "0000000000000002", "type": "GENERATION",
           "name": "llm", "startTime": "2025-06-06T14:40:28.100Z", "endTime": "2025-06-06T14:40:28.900Z"}}]}}"#
    );
    let set = load_text("orphan.json", doc.as_bytes());
    assert_eq!(set.total_spans(), 2, "no synthetic span, none dropped");
    let t = set.trace(TraceIx(0));
    assert_eq!((t.roots, t.anomalies.orphans), (1, 1));
    let agent = span_named(&set, "agent");
    assert!(set.span(agent).flags.has(Flags::ORPHAN));
    assert_eq!(set.id_str(set.span(agent).parent_id), "00000000000000ff");
    assert_eq!(set.span(span_named(&set, "llm")).parent(), Some(agent));
}

#[test]
fn every_observation_type_maps_to_a_kind() {
    let types = [
        ("GENERATION", SpanKind::Llm),
        ("SPAN", SpanKind::Chain),
        ("EVENT", SpanKind::Unknown),
        ("AGENT", SpanKind::Agent),
        ("TOOL", SpanKind::Tool),
        ("CHAIN", SpanKind::Chain),
        ("RETRIEVER", SpanKind::Retriever),
        ("EVALUATOR", SpanKind::Evaluator),
        ("EMBEDDING", SpanKind::Embedding),
        ("GUARDRAIL", SpanKind::Guardrail),
    ];
    // A UI export: an array of camelCase rows, one per observation.
    let rows: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, (ty, _))| {
            format!(
                r#"{{"id":"o{i}","traceId":"t1","type":"{ty}","name":"{ty}","startTime":"2025-01-01T00:00:0{i}.000Z","endTime":"2025-01-01T00:00:0{i}.500Z","model":"m"}}"#
            )
        })
        .collect();
    let set = load_text("export.json", format!("[{}]", rows.join(",")).as_bytes());
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
    assert_eq!(set.total_spans(), types.len());
    for (ty, kind) in types {
        assert_eq!(set.span(span_named(&set, ty)).kind, kind, "{ty}");
    }
}

#[test]
fn legacy_usage_flat_usage_and_cost_fallbacks() {
    let rows = [
        r#"{"id":"a","traceId":"t","type":"GENERATION","name":"legacy","startTime":"2025-01-01T00:00:00Z","endTime":"2025-01-01T00:00:01Z","usageDetails":{},"usage":{"input":5,"output":6,"total":11,"unit":"TOKENS"},"totalCost":null,"calculatedTotalCost":0.5}"#,
        r#"{"id":"b","traceId":"t","type":"GENERATION","name":"flat","startTime":"2025-01-01T00:00:00Z","endTime":"2025-01-01T00:00:01Z","inputUsage":7,"outputUsage":8,"totalUsage":15,"costDetails":{"input":0.1,"total":0.25}}"#,
        r#"{"id":"c","traceId":"t","type":"GENERATION","name":"priced at zero","startTime":"2025-01-01T00:00:00Z","endTime":"2025-01-01T00:00:01Z","usageDetails":{"input":1,"output":1},"totalCost":0}"#,
    ];
    let set = load_text("usage.jsonl", rows.join("\n").as_bytes());
    let legacy = set.span(span_named(&set, "legacy"));
    assert_eq!(
        (
            legacy.tokens.input(),
            legacy.tokens.output(),
            legacy.tokens.total()
        ),
        (Some(5), Some(6), Some(11))
    );
    assert_eq!(legacy.cost(), Some(0.5));
    let flat = set.span(span_named(&set, "flat"));
    assert_eq!(
        (
            flat.tokens.input(),
            flat.tokens.output(),
            flat.tokens.total()
        ),
        (Some(7), Some(8), Some(15))
    );
    assert_eq!(flat.cost(), Some(0.25));
    let zero = set.span(span_named(&set, "priced at zero"));
    assert_eq!(
        zero.cost(),
        Some(0.0),
        "a zero beside usage is a real price"
    );
}

#[test]
fn blob_export_rows_in_snake_case_with_space_separated_utc_times() {
    let rows = [
        r#"{"id":"root-1","trace_id":"trace-9","project_id":"p","type":"SPAN","parent_observation_id":"","start_time":"2025-06-06 14:40:28.562000","end_time":"2025-06-06 14:40:30.000001","name":"pipeline","level":"DEFAULT","status_message":"","input":"{\"q\":\"hi\"}","output":"","usage_details":{},"cost_details":{},"total_cost":0}"#,
        r#"{"id":"gen-2","trace_id":"trace-9","project_id":"p","type":"GENERATION","parent_observation_id":"root-1","start_time":"2025-06-06 14:40:28.600000","end_time":"2025-06-06 14:40:29.000000","name":"llm call","level":"ERROR","status_message":"rate limited","provided_model_name":"gpt-4o","usage_details":{"input":12,"output":3,"total":15},"cost_details":{"total":0.003},"total_cost":0.003}"#,
    ];
    let set = load_text("observations.jsonl", rows.join("\n").as_bytes());
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
    assert_eq!(set.traces.len(), 1);
    assert_eq!(set.trace_id(TraceIx(0)), "trace-9");
    let root = span_named(&set, "pipeline");
    let r = set.span(root);
    assert_eq!(r.parent(), None);
    assert!(!r.flags.has(Flags::ORPHAN), "\"\" means root");
    let start = spanlens::model::time::parse_iso("2025-06-06T14:40:28.562Z").unwrap();
    assert_eq!(r.start_ns, start);
    assert_eq!(r.end_ns(), Some(start + 1_438_001_000));
    assert_eq!(r.status_msg, None, "an empty status message is none");
    assert_eq!(r.output, None, "an empty output is none");
    assert_eq!(set.sources.value(r.input.unwrap())["q"], "hi");
    let gen_ = set.span(span_named(&set, "llm call"));
    assert_eq!(gen_.parent(), Some(root));
    assert_eq!(gen_.kind, SpanKind::Llm);
    assert_eq!(set.str(gen_.model), "gpt-4o");
    assert_eq!(gen_.status, Status::Error);
    assert_eq!(set.sources.text(gen_.status_msg.unwrap()), "rate limited");
    assert_eq!(gen_.tokens.total(), Some(15));
    assert_eq!(gen_.cost(), Some(0.003));
}

#[test]
fn a_rest_trace_with_full_details_and_an_api_page() {
    let rest = r#"{"id":"trace-r","timestamp":"2025-01-01T00:00:00.000Z","name":"rest","htmlPath":"/project/p/traces/trace-r",
      "latency":1.5,"totalCost":0.01,
      "observations":[{"id":"x1","traceId":"trace-r","type":"GENERATION","name":"gen","startTime":"2025-01-01T00:00:00.000Z",
        "endTime":"2025-01-01T00:00:01.500Z","parentObservationId":null,"model":"claude","calculatedTotalCost":0.01,
        "usageDetails":{"input":3,"output":4,"total":7}}],
      "scores":[{"id":"sc","traceId":"trace-r","observationId":"x1","name":"quality","value":0,"stringValue":"good",
        "dataType":"CATEGORICAL","source":"API","comment":"fine"}]}"#;
    let set = load_text("rest.json", rest.as_bytes());
    assert_eq!(set.total_spans(), 1);
    let t = set.trace(TraceIx(0));
    assert_eq!(
        set.sources.value(t.info.unwrap())["htmlPath"],
        "/project/p/traces/trace-r"
    );
    assert_eq!(t.cost, Some(0.01));
    assert_eq!(set.assessments.len(), 1);
    assert_eq!(set.assessments[0].value, json!("good"));
    assert_eq!(set.assessment_targets[0].1, Some(span_named(&set, "gen")));

    let page = r#"{"data":[
      {"id":"p1","traceId":"tp","type":"SPAN","name":"page root","startTime":"2025-01-01T00:00:00Z","endTime":"2025-01-01T00:00:02Z"},
      {"id":"p2","traceId":"tp","parentObservationId":"p1","type":"TOOL","name":"page tool","startTime":"2025-01-01T00:00:01Z"}],
      "meta":{"cursor":"abc"}}"#;
    let set = load_text("page.json", page.as_bytes());
    assert_eq!(set.total_spans(), 2);
    let tool = set.span(span_named(&set, "page tool"));
    assert_eq!(tool.parent(), Some(span_named(&set, "page root")));
    assert_eq!(
        tool.end_ns(),
        None,
        "a tool without end time is still running"
    );
    assert!(tool.flags.has(Flags::IN_PROGRESS));
}

#[test]
fn bad_rows_are_reported_with_their_line_and_the_rest_loads() {
    let text = concat!(
        "[\n",
        r#"{"id":"a","traceId":"t","type":"SPAN","name":"good","startTime":"2025-01-01T00:00:00Z","endTime":"2025-01-01T00:00:01Z"},"#,
        "\n",
        r#"{"id":"b","traceId":"t","type":"SPAN","name":"bad time","startTime":"yesterday"},"#,
        "\n",
        r#"{"hello":"world"},"#,
        "\n",
        r#"{"id":"c","traceId":"t","type":"SPAN","name":"late","startTime":"2025-01-01T00:00:00Z","endTime":"soon"}"#,
        "\n]"
    );
    let set = load_text("rows.json", text.as_bytes());
    assert_eq!(set.total_spans(), 3, "a bad time keeps the span");
    let w = warnings(&set);
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(
        w[0].contains("line 3") && w[0].contains("startTime"),
        "{w:?}"
    );
    assert!(
        w[1].contains("line 4") && w[1].contains("not a Langfuse"),
        "{w:?}"
    );
    assert!(w[2].contains("line 5") && w[2].contains("endTime"), "{w:?}");
    assert_eq!(set.span(span_named(&set, "bad time")).start_ns, 0);
}
