//! LangSmith loader: runs from `list_runs` (JSON Lines), `{post, patch}` batches merged with
//! and without ids, ISO and epoch-ms times, run types, errors, tokens, cost, events.

use crate::common::*;
use serde_json::json;
use spanlens::model::{Flags, SpanKind, Status, TraceIx};

const ROOT: &str = "01a223ca-632a-7d0b-8b59-0164268a3c04";
const LLM: &str = "01a223ca-6337-7c11-b478-06c0dfae32c1";
const TOOL: &str = "01a223ca-6338-7000-8000-000000000003";

fn runs_jsonl() -> String {
    let d0 = format!("20261128T201315946665Z{ROOT}");
    [
        format!(
            r#"{{"id":"{ROOT}","name":"agent","run_type":"chain","start_time":"2026-11-28T20:13:15.946665Z","end_time":"2026-11-28T20:13:15.961319+00:00","error":null,"inputs":{{"question":"weather?"}},"outputs":{{"output":"rainy"}},"parent_run_id":null,"trace_id":"{ROOT}","dotted_order":"{d0}","tags":["demo"],"status":"success","total_cost":null,"prompt_tokens":null}}"#
        ),
        format!(
            r#"{{"id":"{LLM}","name":"ChatOpenAI","run_type":"llm","start_time":"2026-11-28T20:13:15.950000Z","end_time":"2026-11-28T20:13:15.960000Z","error":null,"extra":{{"metadata":{{"ls_provider":"openai","ls_model_name":"gpt-4o-mini"}}}},"inputs":{{"messages":[{{"role":"user","content":"hi"}}]}},"outputs":{{"content":"rainy","usage_metadata":{{"input_tokens":57,"output_tokens":17,"total_tokens":74}}}},"parent_run_id":"{ROOT}","trace_id":"{ROOT}","dotted_order":"{d0}.20261128T201315950000Z{LLM}","total_cost":"0.00123","prompt_tokens":null,"completion_tokens":null,"total_tokens":null}}"#
        ),
        format!(
            r#"{{"id":"{TOOL}","name":"flaky_tool","run_type":"tool","start_time":"2026-11-28T20:13:15.960602Z","end_time":"2026-11-28T20:13:15.960985Z","error":"ValueError('flaky tool failed for x=3')\n\nTraceback (most recent call last):\n  ...","inputs":{{"x":3}},"outputs":null,"parent_run_id":"{ROOT}","trace_id":"{ROOT}","dotted_order":"{d0}.20261128T201315960602Z{TOOL}","status":"error"}}"#
        ),
    ]
    .join("\n")
}

#[test]
fn runs_from_list_runs_build_a_tree_with_kinds_tokens_model_cost_and_errors() {
    let set = load_text("runs.jsonl", runs_jsonl().as_bytes());
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
    assert_eq!(set.traces.len(), 1);
    let t = set.trace(TraceIx(0));
    assert_eq!(set.str(t.id), ROOT);
    assert_eq!((t.span_count(), t.roots, t.errors), (3, 1, 1));
    let agent = span_named(&set, "agent");
    let a = set.span(agent);
    assert_eq!(a.kind, SpanKind::Chain);
    assert_eq!(a.status, Status::Ok);
    assert_eq!(
        a.end_ns().unwrap() - a.start_ns,
        14_654_000,
        "ISO with Z and +00:00"
    );
    assert_eq!(
        set.sources.value(a.input.unwrap()),
        json!({"question": "weather?"})
    );

    let llm = set.span(span_named(&set, "ChatOpenAI"));
    assert_eq!(llm.parent(), Some(agent));
    assert_eq!(llm.kind, SpanKind::Llm);
    assert_eq!(set.str(llm.model), "gpt-4o-mini");
    assert_eq!(
        (llm.tokens.input(), llm.tokens.output(), llm.tokens.total()),
        (Some(57), Some(17), Some(74))
    );
    assert_eq!(llm.cost(), Some(0.00123), "Decimal costs arrive as strings");

    let tool = set.span(span_named(&set, "flaky_tool"));
    assert_eq!(tool.parent(), Some(agent));
    assert_eq!((tool.kind, tool.status), (SpanKind::Tool, Status::Error));
    assert_eq!(set.str(tool.tool), "flaky_tool");
    let msg = set.sources.text(tool.status_msg.unwrap());
    assert!(
        msg.starts_with("ValueError('flaky tool failed for x=3')\n\nTraceback"),
        "{msg}"
    );
    assert_eq!(tool.output, None);
}

#[test]
fn every_top_level_field_is_an_attribute_and_nulls_are_left_out() {
    let set = load_text("runs.jsonl", runs_jsonl().as_bytes());
    let llm = span_named(&set, "ChatOpenAI");
    assert_eq!(
        set.attr_value(llm, "extra").unwrap()["metadata"]["ls_provider"],
        "openai"
    );
    assert_eq!(set.attr_value(llm, "run_type"), Some(json!("llm")));
    assert!(set.attr_value(llm, "dotted_order").is_some());
    assert_eq!(set.attr_value(llm, "prompt_tokens"), None);
}

#[test]
fn every_run_type_maps_to_a_kind() {
    let types = [
        ("llm", SpanKind::Llm),
        ("chain", SpanKind::Chain),
        ("tool", SpanKind::Tool),
        ("retriever", SpanKind::Retriever),
        ("embedding", SpanKind::Embedding),
        ("prompt", SpanKind::Chain),
        ("parser", SpanKind::Parser),
    ];
    let lines: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, (ty, _))| {
            format!(
                r#"{{"id":"run-{i}","trace_id":"t","name":"{ty}","run_type":"{ty}","dotted_order":"20240101T000000000000Zrun-{i}","start_time":"2024-01-01T00:00:00Z","end_time":"2024-01-01T00:00:01Z"}}"#
            )
        })
        .collect();
    let set = load_text("types.jsonl", lines.join("\n").as_bytes());
    assert_eq!(set.total_spans(), types.len());
    for (ty, kind) in types {
        assert_eq!(set.span(span_named(&set, ty)).kind, kind, "{ty}");
    }
}

#[test]
fn a_batch_merges_patches_into_posts_by_id_and_points_at_the_merged_record() {
    let doc = format!(
        r#"{{
  "post": [
    {{"id": "{ROOT}", "name": "agent", "run_type": "chain", "start_time": "2024-10-11T20:58:23.298773+00:00",
      "trace_id": "{ROOT}", "dotted_order": "20241011T205823298773Z{ROOT}", "inputs": {{"q": "hi"}},
      "outputs": {{}}, "tags": ["a"]}},
    {{"id": "{LLM}", "name": "still running", "run_type": "llm", "start_time": "2024-10-11T20:58:23.400000+00:00",
      "trace_id": "{ROOT}", "parent_run_id": "{ROOT}",
      "dotted_order": "20241011T205823298773Z{ROOT}.20241011T205823400000Z{LLM}"}}
  ],
  "patch": [
    {{"id": "{ROOT}", "trace_id": "{ROOT}", "end_time": "2024-10-11T20:58:24.417106+00:00",
      "outputs": {{"answer": "hello"}}, "tags": null, "error": "boom",
      "events": [{{"name": "new_token", "time": "2024-10-11T20:58:24.0Z", "kwargs": {{"token": "he"}}}}]}}
  ]
}}"#
    );
    let set = load_text("batch.json", doc.as_bytes());
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
    assert_eq!(set.total_spans(), 2, "a patch is not a run of its own");
    let agent = span_named(&set, "agent");
    let a = set.span(agent);
    assert_eq!(a.end_ns().unwrap() - a.start_ns, 1_118_333_000);
    assert_eq!(a.status, Status::Error);
    assert_eq!(set.sources.text(a.status_msg.unwrap()), "boom");
    assert_eq!(
        set.sources.value(a.output.unwrap()),
        json!({"answer": "hello"})
    );
    assert_eq!(set.sources.value(a.input.unwrap()), json!({"q": "hi"}));
    assert_eq!(
        set.attr_value(agent, "tags"),
        Some(json!(["a"])),
        "a null in a patch erases nothing"
    );
    let events = set.sources.value(a.events.unwrap());
    assert_eq!(events[0]["kwargs"]["token"], "he");
    // The merged record lives in the arena (source 1 of the file), as compact JSON.
    assert_eq!(a.output.unwrap().src, 1);
    assert_eq!(
        set.sources
            .text(a.input.unwrap().with_enc(spanlens::model::Enc::Utf8)),
        r#"{"q":"hi"}"#
    );

    let open = set.span(span_named(&set, "still running"));
    assert_eq!(open.parent(), Some(agent));
    assert_eq!(open.end_ns(), None);
    assert!(open.flags.has(Flags::IN_PROGRESS));
    assert_eq!(open.src, 0, "an unpatched post is read in place");
}

#[test]
fn js_batches_without_patch_ids_match_by_trace_and_dotted_order_with_epoch_ms_times() {
    let child = "dc34609e-0000-459d-bc2a-000000000002";
    let root = "dc34609e-3eeb-459d-bc2a-6fedb01d2e6e";
    let d0 = format!("20241013T070537170001Z{root}");
    let d1 = format!("{d0}.20241013T070537200001Z{child}");
    let doc = format!(
        r#"{{"post": [
      {{"id": "{root}", "name": "pipeline", "run_type": "chain", "start_time": 1728803137170,
       "trace_id": "{root}", "dotted_order": "{d0}", "inputs": {{}}, "child_runs": []}},
      {{"id": "{child}", "name": "ChatOpenAI", "start_time": 1728803137200, "run_type": "llm",
       "extra": {{"invocation_params": {{"model": "gpt-4o-mini"}}}},
       "trace_id": "{root}", "dotted_order": "{d1}", "inputs": {{"messages": []}}}}],
     "patch": [
      {{"end_time": 1728803138285, "trace_id": "{root}", "dotted_order": "{d1}",
       "outputs": {{"usage": {{"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}}}}}},
      {{"end_time": 1728803138300, "trace_id": "{root}", "dotted_order": "{d0}", "outputs": {{"ok": true}}}}]}}"#
    );
    let set = load_text("js.json", doc.as_bytes());
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
    assert_eq!(set.total_spans(), 2);
    let p = span_named(&set, "pipeline");
    assert_eq!(set.span(p).start_ns, 1_728_803_137_170_000_000);
    assert_eq!(set.span(p).end_ns(), Some(1_728_803_138_300_000_000));
    let llm = set.span(span_named(&set, "ChatOpenAI"));
    assert_eq!(llm.parent(), Some(p), "parent read from dotted_order");
    assert_eq!(llm.end_ns().unwrap() - llm.start_ns, 1_085_000_000);
    assert_eq!(set.str(llm.model), "gpt-4o-mini");
    assert_eq!(
        (llm.tokens.input(), llm.tokens.output(), llm.tokens.total()),
        (Some(9), Some(4), Some(13))
    );
}

#[test]
fn a_patch_without_its_post_is_kept_and_reported() {
    let doc = r#"{"post": [], "patch": [
      {"id": "lonely", "trace_id": "t", "name": "late patch", "run_type": "tool",
       "end_time": "2024-01-01T00:00:01Z"}]}"#;
    let set = load_text("patch.json", doc.as_bytes());
    assert_eq!(set.total_spans(), 1);
    let w = warnings(&set);
    assert!(
        w.iter()
            .any(|m| m.contains("no matching post") && m.contains("line 2")),
        "{w:?}"
    );
    assert!(w.iter().any(|m| m.contains("start_time")), "{w:?}");
}

#[test]
fn run_level_token_fields_win_and_ids_come_from_dotted_order_when_missing() {
    let line = r#"{"name":"llm","run_type":"llm","start_time":"2024-01-01T00:00:00Z","end_time":"2024-01-01T00:00:01Z","dotted_order":"20240101T000000000000Zaaaa-root.20240101T000000100000Zbbbb-self","prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"outputs":{"usage_metadata":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}}"#;
    let set = load_text("one.jsonl", line.as_bytes());
    let s = set.span(span_named(&set, "llm"));
    assert_eq!((s.tokens.input(), s.tokens.total()), (Some(100), Some(120)));
    assert_eq!(set.id_str(s.span_id), "bbbb-self");
    assert_eq!(set.id_str(s.parent_id), "aaaa-root");
    assert_eq!(set.trace_id(TraceIx(0)), "aaaa-root");
    assert!(s.flags.has(Flags::ORPHAN), "its parent is not in the file");
}

#[test]
fn loaded_child_runs_are_flattened_into_the_tree() {
    let doc = r#"{"id":"r","trace_id":"r","name":"root","run_type":"chain","start_time":"2024-01-01T00:00:00Z",
      "end_time":"2024-01-01T00:00:03Z","dotted_order":"20240101T000000000000Zr","child_runs":[
        {"id":"c1","trace_id":"r","parent_run_id":"r","name":"child","run_type":"retriever",
         "start_time":"2024-01-01T00:00:01Z","end_time":"2024-01-01T00:00:02Z","child_runs":[
           {"id":"g","trace_id":"r","parent_run_id":"c1","name":"grandchild","run_type":"embedding",
            "start_time":"2024-01-01T00:00:01.5Z","end_time":"2024-01-01T00:00:01.6Z"}]}]}"#;
    let set = load_text("tree.json", doc.as_bytes());
    assert_eq!(set.total_spans(), 3);
    let g = set.span(span_named(&set, "grandchild"));
    assert_eq!(g.parent(), Some(span_named(&set, "child")));
    assert_eq!(g.depth, 2);
}

/// A `list_runs` dump as one pretty JSON array: every run loads (the elements are read by
/// the fast reader too), and messages point at the line of the run they are about.
#[test]
fn a_json_array_of_runs_loads_with_messages_at_each_runs_line() {
    let runs = json!([
        {"id": ROOT, "name": "agent", "run_type": "chain", "start_time": "2026-11-28T20:13:15.946665Z", "trace_id": ROOT},
        {"id": LLM, "name": "llm", "run_type": "llm", "trace_id": ROOT, "parent_run_id": ROOT},
        {"id": TOOL, "name": "tool", "run_type": "tool", "start_time": 1728803137170u64, "end_time": "soon", "trace_id": ROOT, "parent_run_id": ROOT},
    ]);
    let text = serde_json::to_string_pretty(&runs).unwrap();
    let line_of = |id: &str| text.lines().position(|l| l.contains(id)).unwrap() as u64 + 1;
    let set = load_text("runs.json", text.as_bytes());
    assert_eq!(set.spans.len(), 3);
    let pos: Vec<(String, spanlens::model::Pos)> = (set.diagnostics.iter())
        .map(|d| (d.message.clone(), d.pos))
        .collect();
    // Each run's first line holds `{`; its `id` is on the next line.
    let start = |id: &str| spanlens::model::Pos::Line(line_of(id) - 1);
    assert!(
        pos.contains(&("run has no valid start_time; shown at 0".into(), start(LLM))),
        "{pos:?}"
    );
    let end = "run end_time not understood; shown as in progress";
    assert!(pos.contains(&(end.into(), start(TOOL))), "{pos:?}");
}
