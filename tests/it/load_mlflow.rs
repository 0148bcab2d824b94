//! MLflow loader: both schemas, all five span-id encodings, JSON-encoded attributes,
//! assessments, DataFrame rows and the file-store directory.

use crate::common::*;
use spanlens::model::{SpanKind, Status, TraceIx};

/// An MLflow 3.6+ trace: base64 ids, `null` parent, JSON-encoded attribute values.
const V3: &str = r#"{"info": {"trace_id": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", "state": "ERROR",
  "request_time": "2026-11-28T20:06:51.774Z", "execution_duration_ms": 5,
  "assessments": [{"assessment_id": "a-1", "assessment_name": "tool_error",
     "trace_id": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", "span_id": "d87e1fb59ff6cde2",
     "source": {"source_type": "CODE", "source_id": "checker.py"},
     "feedback": {"value": null, "error": {"error_code": "TIMEOUT", "error_message": "judge timed out"}}},
    {"assessment_id": "a-2", "assessment_name": "expected", "trace_id": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904",
     "source": {"source_type": "HUMAN", "source_id": "bob"},
     "expectation": {"serialized_value": {"serialization_format": "JSON_FORMAT", "value": "{\"city\": \"Paris\"}"}}}]},
 "data": {"spans": [
  {"trace_id": "3ULf6M1Zyk2fywS5j4qpBA==", "span_id": "p+biTuZKUzg=", "parent_span_id": null, "name": "agent",
   "start_time_unix_nano": 1795896411900000001, "end_time_unix_nano": 1795896411990000000,
   "status": {"code": "STATUS_CODE_OK", "message": ""},
   "attributes": {"mlflow.spanType": "\"AGENT\"", "mlflow.spanInputs": "{\"question\": \"weather?\"}"}, "events": []},
  {"trace_id": "3ULf6M1Zyk2fywS5j4qpBA==", "span_id": "2H4ftZ/2zeI=", "parent_span_id": "p+biTuZKUzg=", "name": "flaky_tool",
   "start_time_unix_nano": 1795896411910624978, "end_time_unix_nano": 1795896411912178656,
   "events": [{"name": "exception", "time_unix_nano": 1795896411911980800,
     "attributes": {"exception.message": "flaky tool failed for x=3", "exception.type": "ValueError"}}],
   "status": {"code": "STATUS_CODE_ERROR", "message": "ValueError: flaky tool failed for x=3"},
   "attributes": {"mlflow.spanType": "\"TOOL\"", "mlflow.spanInputs": "{\"x\": 3}"}},
  {"trace_id": "3ULf6M1Zyk2fywS5j4qpBA==", "span_id": "AAAAAAAAAAM=", "parent_span_id": "p+biTuZKUzg=", "name": "Completions",
   "start_time_unix_nano": 1795896411920000000, "end_time_unix_nano": 1795896411950000000,
   "status": {"code": "STATUS_CODE_OK", "message": ""},
   "attributes": {"mlflow.spanType": "\"CHAT_MODEL\"", "mlflow.llm.model": "\"gpt-4o-mini\"",
     "mlflow.chat.tokenUsage": "{\"input_tokens\": 57, \"output_tokens\": 17, \"total_tokens\": 74}"}}]}}"#;

#[test]
fn mlflow3_base64_ids_link_and_attributes_decode() {
    let set = load_text("v3.json", V3.as_bytes());
    assert_eq!(set.traces.len(), 1);
    let t = &set.traces[0];
    assert_eq!(set.str(t.id), "dd42dfe8cd59ca4d9fcb04b98f8aa904");
    assert_eq!(
        set.str(t.original_id),
        "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904"
    );
    assert_eq!(t.state, Some(Status::Error));
    assert_eq!((t.span_count(), t.errors, t.roots), (3, 1, 1));
    assert_eq!((t.input_tokens, t.output_tokens), (57, 17));
    let tool = span_named(&set, "flaky_tool");
    let s = set.span(tool);
    assert_eq!(s.kind, SpanKind::Tool);
    assert_eq!(s.parent(), Some(span_named(&set, "agent")));
    assert_eq!(
        s.start_ns, 1_795_896_411_910_624_978,
        "nanoseconds beyond 2^53 stay exact"
    );
    assert_eq!(set.span_id(tool), "d87e1fb59ff6cde2");
    assert_eq!(
        set.sources.value(s.input.unwrap()),
        serde_json::json!({"x": 3})
    );
    let llm = set.span(span_named(&set, "Completions"));
    assert_eq!(llm.kind, SpanKind::Llm);
    assert_eq!(set.str(llm.model), "gpt-4o-mini");
}

#[test]
fn assessments_attach_by_hex_span_id_although_spans_use_base64() {
    let set = load_text("v3a.json", V3.as_bytes());
    let on_tool: Vec<_> = set
        .assessments_for(TraceIx(0), Some(span_named(&set, "flaky_tool")))
        .collect();
    assert_eq!(on_tool.len(), 1);
    assert_eq!(
        on_tool[0].error.as_deref(),
        Some("TIMEOUT: judge timed out")
    );
    let all: Vec<_> = set.assessments_for(TraceIx(0), None).collect();
    assert_eq!(all.len(), 2);
    let expectation = all.iter().find(|a| a.kind == "expectation").unwrap();
    assert_eq!(expectation.value, serde_json::json!({"city": "Paris"}));
}

/// MLflow 2.14–2.21: `context`, `0x` ids, `status_code`, `mlflow.chat.messages`.
const V2: &str = r#"{"info": {"request_id": "9ED6DC4402014AE6BB8BFE22208B7489", "status": "OK", "timestamp_ms": 1795896495087},
 "data": {"spans": [
  {"name": "root", "context": {"span_id": "0x84f212578f747953", "trace_id": "0x635ca3c6a5d21ca3ce3bddf3a2861853"},
   "parent_id": null, "start_time": 1795896495138840046, "end_time": 1795896495200000000, "status_code": "OK",
   "status_message": "", "attributes": {"mlflow.spanType": "\"CHAIN\""}, "events": []},
  {"name": "Completions_1", "context": {"span_id": "0xeb114cc7139eec04", "trace_id": "0x635ca3c6a5d21ca3ce3bddf3a2861853"},
   "parent_id": "0x84f212578f747953", "start_time": 1795896495140000000, "end_time": 1795896495150000000,
   "status_code": "ERROR", "status_message": "rate limited",
   "attributes": {"mlflow.spanType": "\"CHAT_MODEL\"", "model": "\"gpt-4o-mini\"",
     "mlflow.spanOutputs": "{\"usage\": {\"prompt_tokens\": 57, \"completion_tokens\": 17, \"total_tokens\": 74}}"}}],
 "request": "{}", "response": "{}"}}"#;

#[test]
fn mlflow2_context_ids_and_usage_from_the_response() {
    let set = load_text("v2.json", V2.as_bytes());
    let t = &set.traces[0];
    assert_eq!(set.str(t.id), "9ed6dc4402014ae6bb8bfe22208b7489");
    assert_eq!((t.span_count(), t.errors), (2, 1));
    let llm = span_named(&set, "Completions_1");
    assert_eq!(set.span(llm).parent(), Some(span_named(&set, "root")));
    assert_eq!(set.span_id(llm), "eb114cc7139eec04");
    assert_eq!(set.str(set.span(llm).model), "gpt-4o-mini");
    assert_eq!(set.span(llm).tokens.total(), Some(74));
    assert_eq!(
        set.sources.text(set.span(llm).status_msg.unwrap()),
        "rate limited"
    );
}

#[test]
fn mlflow_3_5_regression_shape_with_tr_trace_ids_and_hex_spans() {
    let doc = r#"{"info": {"trace_id": "tr-aae47f7bc2d252cac522a8f4f7ab1df0", "state": "OK"}, "data": {"spans": [
      {"trace_id": "tr-aae47f7bc2d252cac522a8f4f7ab1df0", "span_id": "bf73206ee806bfbe", "parent_span_id": null,
       "name": "a", "start_time_unix_nano": 10, "end_time_unix_nano": 20, "status": {"code": "OK"}, "attributes": {}},
      {"trace_id": "tr-aae47f7bc2d252cac522a8f4f7ab1df0", "span_id": "bf73206ee806bfbf", "parent_span_id": "bf73206ee806bfbe",
       "name": "b", "start_time_unix_nano": 11, "end_time_unix_nano": 19, "status": {"code": "UNSET"}, "attributes": {}}]}}"#;
    let set = load_text("v35.json", doc.as_bytes());
    assert_eq!(
        set.span(span_named(&set, "b")).parent(),
        Some(span_named(&set, "a"))
    );
}

#[test]
fn traces_json_artifact_groups_by_request_id_attribute() {
    let doc = r#"{"spans": [
      {"trace_id": "3ULf6M1Zyk2fywS5j4qpBA==", "span_id": "p+biTuZKUzg=", "parent_span_id": "", "name": "one",
       "start_time_unix_nano": 1, "end_time_unix_nano": 2, "status": {"code": "STATUS_CODE_OK"},
       "attributes": {"mlflow.traceRequestId": "\"tr-dd42dfe8cd59ca4d9fcb04b98f8aa904\""}}]}"#;
    let set = load_text("traces.json", doc.as_bytes());
    assert_eq!(set.traces.len(), 1);
    assert_eq!(set.trace_id(TraceIx(0)), "dd42dfe8cd59ca4d9fcb04b98f8aa904");
}

#[test]
fn search_traces_rows_read_the_trace_column() {
    let row = serde_json::json!([{"trace_id": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", "trace": V3,
        "state": "ERROR", "request_time": 1795896411774i64, "spans": []}]);
    let set = load_text("rows.json", row.to_string().as_bytes());
    assert_eq!(set.files[0].format, "mlflow-search-traces");
    assert_eq!(set.total_spans(), 3);
    assert_eq!(set.assessments.len(), 2);
    // Payloads of a trace that was inside a string are still readable.
    let tool = set.span(span_named(&set, "flaky_tool"));
    assert_eq!(
        set.sources.value(tool.input.unwrap()),
        serde_json::json!({"x": 3})
    );
}

#[test]
fn file_store_directory_with_yaml_info_and_assessments() {
    let dir = temp_file("placeholder", b"")
        .parent()
        .unwrap()
        .join("mlruns-trace");
    std::fs::create_dir_all(dir.join("artifacts")).unwrap();
    std::fs::create_dir_all(dir.join("assessments")).unwrap();
    std::fs::write(
        dir.join("trace_info.yaml"),
        "trace_id: tr-dd42dfe8cd59ca4d9fcb04b98f8aa904\nstate: OK\nrequest_time: '2026-11-28T20:07:26.481Z'\n",
    )
    .unwrap();
    let spans = &V3[V3.find("\"spans\"").unwrap() - 1..V3.rfind('}').unwrap()];
    std::fs::write(dir.join("artifacts/traces.json"), spans).unwrap();
    std::fs::write(
        dir.join("assessments/a-1.yaml"),
        "assessment_id: a-1\nassessment_name: helpful\ntrace_id: tr-dd42dfe8cd59ca4d9fcb04b98f8aa904\n\
         feedback:\n  value: true\nsource:\n  source_type: HUMAN\n  source_id: alice\n",
    )
    .unwrap();
    let set = load_paths(std::slice::from_ref(&dir));
    assert_eq!(set.files[0].format, "mlflow-dir");
    assert_eq!(set.total_spans(), 3);
    assert_eq!(set.traces[0].state, Some(Status::Ok));
    let a: Vec<_> = set.assessments_for(TraceIx(0), None).collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].value, serde_json::json!(true));
}

#[test]
fn a_truncated_trace_keeps_the_complete_spans_and_says_where() {
    let cut = &V3[..V3.find("\"name\": \"Completions\"").unwrap()];
    let set = load_text("cut.json", cut.as_bytes());
    assert_eq!(set.total_spans(), 2, "the two complete spans load");
    let w = warnings(&set);
    assert!(
        w.iter()
            .any(|w| w.contains("cut.json: line") && w.contains("ends early")),
        "{w:?}"
    );
    // Payload references into the truncated file still resolve.
    let tool = set.span(span_named(&set, "flaky_tool"));
    assert_eq!(
        set.sources.value(tool.input.unwrap()),
        serde_json::json!({"x": 3})
    );
}

#[test]
fn json_lines_of_traces_load_in_parallel_pieces_and_a_bad_line_is_named() {
    let text = generated(4_000, spanlens_synth::GenFormat::Mlflow);
    let clean = load_text("traces.mlflow.jsonl", &text);
    // A broken record as line 4: the others all load, and the warning names the line.
    let mut lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    lines.insert(3, br#"{"info": {"trace_id": "tr-broken""#);
    let damaged = load_text("damaged.mlflow.jsonl", &lines.join(&b'\n'));
    assert_eq!(damaged.total_spans(), clean.total_spans());
    assert_eq!(damaged.traces.len(), clean.traces.len());
    let w: Vec<String> = damaged.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("damaged.mlflow.jsonl: line 4"), "{w:?}");
    // Lines were parsed in pieces, each with an arena of its own, and text read from any
    // of them decodes as in the clean load.
    assert!(
        damaged.sources.len() > 3,
        "{} sources",
        damaged.sources.len()
    );
    let inputs = |set: &spanlens::model::TraceSet| -> Vec<String> {
        (set.spans.iter())
            .filter_map(|s| s.input.map(|r| set.sources.text(r)))
            .collect()
    };
    let want = inputs(&clean);
    assert!(want.len() > 100);
    assert_eq!(inputs(&damaged), want);
}

#[test]
fn a_trace_read_in_one_pass_equals_the_same_trace_read_level_by_level() {
    let text = String::from_utf8(generated(600, spanlens_synth::GenFormat::Mlflow)).unwrap();
    // The same traces as `search_traces` rows whose `trace` column is the object: that
    // path reads each level as a `RawObject`.
    let rows: String = (text.lines())
        .map(|l| format!("{{\"trace_id\": \"r\", \"request_time\": 0, \"trace\": {l}}}\n"))
        .collect();
    let direct = load_text("one-pass.mlflow.jsonl", text.as_bytes());
    let levels = load_text("rows.mlflow.jsonl", rows.as_bytes());
    assert!(direct.diagnostics.is_empty(), "{:?}", direct.diagnostics);
    assert!(
        levels.files[0].format.contains("search"),
        "{}",
        levels.files[0].format
    );
    let (a, b) = (span_view(&direct), span_view(&levels));
    assert_eq!(a.len(), 600);
    assert_eq!(a, b);
    assert_eq!(direct.assessments.len(), levels.assessments.len());
}

/// Every span of `set` as one line: ids, name, kind, status, times, tokens, payloads and
/// attributes, decoded.
pub(crate) fn span_view(set: &spanlens::model::TraceSet) -> Vec<String> {
    use spanlens::model::SpanIx;
    (0..set.spans.len() as u32)
        .map(SpanIx)
        .map(|ix| {
            let s = set.span(ix);
            let text = |r: Option<spanlens::model::TextRef>| r.map(|r| set.sources.text(r));
            let attrs: Vec<(String, String)> = (set.attrs_of(ix))
                .map(|(k, v)| (k.to_owned(), set.sources.text(v)))
                .collect();
            format!(
                "{} {} {} {:?} {:?} {} {:?} {:?} {:?} {:?} {attrs:?}",
                set.trace_id(TraceIx(s.trace)),
                set.span_id(ix),
                set.str(s.name),
                s.kind,
                s.status,
                s.start_ns,
                s.end_ns(),
                s.tokens,
                text(s.input),
                text(s.output),
            )
        })
        .collect()
}

#[test]
fn one_big_array_of_traces_loads_in_parallel_runs_like_its_lines() {
    let text = String::from_utf8(generated(6_000, spanlens_synth::GenFormat::Mlflow)).unwrap();
    let array = format!("[{}]", text.lines().collect::<Vec<_>>().join(",\n"));
    assert!(array.len() > 4 << 20, "big enough for several runs");
    let lines = load_text("lines.mlflow.jsonl", text.as_bytes());
    let doc = load_text("array.mlflow.json", array.as_bytes());
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    // Runs were loaded apart: one arena source per run besides the file's own two.
    assert!(doc.sources.len() > 3, "{} sources", doc.sources.len());
    assert_eq!(span_view(&doc), span_view(&lines));
    assert_eq!(doc.traces.len(), lines.traces.len());
}

/// `search_traces` rows hold each trace as a JSON string. Read from a file, that text is
/// left escaped in the file, not kept decoded in memory, and decoded again when read:
/// every span reads as the same trace written as a `to_json` line, in both row forms (one
/// array, JSON Lines) and with non-ASCII written as `\uXXXX` escapes (Python's default).
#[test]
fn trace_strings_left_escaped_in_the_file_read_as_the_traces_they_hold() {
    let text = String::from_utf8(generated(600, spanlens_synth::GenFormat::Mlflow)).unwrap();
    let mut docs: Vec<String> = text.lines().map(str::to_owned).collect();
    docs.push(V3.replace('\n', " "));
    // `data` before `info`: the SIMD reader leaves this one to the `RawObject` way.
    let v3: serde_json::Value = serde_json::from_str(V3).unwrap();
    docs.push(format!(
        r#"{{"data": {}, "info": {}}}"#,
        v3["data"], v3["info"]
    ));
    let lines = docs.join("\n");
    let want = load_text("traces.mlflow.jsonl", lines.as_bytes());
    assert!(want.spans.len() > 600);
    let row = |doc: &str, ascii: bool| {
        let mut s = serde_json::to_string(doc).unwrap();
        if ascii {
            s = ascii_escaped(&s);
        }
        format!(r#"{{"trace_id": "tr-x", "trace": {s}, "state": "OK", "request_time": 0}}"#)
    };
    for ascii in [false, true] {
        let rows: Vec<String> = docs.iter().map(|d| row(d, ascii)).collect();
        let forms = [
            ("rows.json", format!("[{}]", rows.join(",\n"))),
            ("rows.jsonl", rows.join("\n")),
        ];
        for (name, file) in forms {
            let got = load_text(name, file.as_bytes());
            assert!(got.files[0].format.contains("search"), "{name}");
            assert!(got.diagnostics.is_empty(), "{name}: {:?}", got.diagnostics);
            // The decoded traces were most of the file; what stays in memory is not.
            let held = got.sources.memory_bytes();
            assert!(held < lines.len() / 50, "{name}: {held} bytes held");
            // Every trace cell but the one read in one pass (SIMD token index).
            let slow = &got.slow_paths;
            assert_eq!(
                slow.total("mlflow trace cell"),
                1,
                "{name}: {:?}",
                slow.lines()
            );
            let (a, b) = (span_view(&got), span_view(&want));
            assert_eq!(a.len(), b.len(), "{name}");
            for (a, b) in a.iter().zip(&b) {
                assert!(a == b, "{name} ascii={ascii}: {a:.300} against {b:.300}");
            }
            for ix in (0..got.spans.len() as u32).map(spanlens::model::SpanIx) {
                let detail = |set| spanlens::model::detail::span_json(set, ix);
                assert!(
                    detail(&got) == detail(&want),
                    "{name} ascii={ascii}: span {}",
                    ix.0
                );
            }
        }
    }
}

/// A document of one pretty-printed row loads into the file's own part, not a run's: its
/// trace's text is read back from the file all the same (it was once left with no source
/// to read it from, and search panicked).
#[test]
fn one_pretty_printed_row_reads_its_trace_text_from_the_file() {
    let doc = V3.replace('\n', " ");
    let row = serde_json::json!({"trace_id": "tr-x", "trace": doc, "request_time": 0});
    let pretty = serde_json::to_string_pretty(&row).unwrap();
    assert!(pretty.lines().count() > 3);
    let got = load_text("row.json", pretty.as_bytes());
    let want = load_text("trace.mlflow.jsonl", doc.as_bytes());
    assert!(
        got.files[0].format.contains("search"),
        "{}",
        got.files[0].format
    );
    assert!(got.sources.memory_bytes() < doc.len() / 4);
    assert_eq!(span_view(&got), span_view(&want));
    let q = spanlens::search::Query::parse("'flaky tool failed").unwrap();
    let index = spanlens::search::Index::default();
    let all = spanlens::search::Scope::All;
    let found = spanlens::search::run(&got, &index, &q, all, 10, &|| false, &mut |_| {});
    assert!(!found.hits.is_empty());
}

/// The JSON text `s` with every non-ASCII character written as `\uXXXX` escapes, as
/// Python's `json.dumps` writes it by default. (Search has the same function for its
/// patterns; the test keeps an oracle of its own.)
fn ascii_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}
