//! OTLP/JSON loader: every spelling of ids, times and enums, JSON Lines, and damage.

use crate::common::*;
use spanlens::model::{Flags, SpanKind, Status};

const LINE_A: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"agent"}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"root","startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","kind":2,"status":{}}]}]}]}"#;
const LINE_B: &str = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"chat gpt-4","startTimeUnixNano":1544712660100000001,"endTimeUnixNano":"1544712660900000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"57"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":17}}],"status":{"code":2,"message":"rate limited"}}]}]}]}"#;

#[test]
fn a_trace_split_over_lines_is_one_trace_with_upper_and_lower_case_ids() {
    let text = format!("{LINE_B}\n{LINE_A}\n");
    let set = load_text("split.jsonl", text.as_bytes());
    assert_eq!(set.traces.len(), 1);
    let t = &set.traces[0];
    assert_eq!(t.span_count(), 2);
    assert_eq!(t.errors, 1);
    assert_eq!(t.input_tokens, 57);
    assert_eq!(t.output_tokens, 17);
    let chat = span_named(&set, "chat gpt-4");
    let s = set.span(chat);
    assert_eq!(s.parent(), Some(span_named(&set, "root")));
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.status, Status::Error);
    assert_eq!(set.str(s.model), "gpt-4");
    // 1544712660100000001 is not representable as f64: it must survive exactly.
    assert_eq!(s.start_ns, 1_544_712_660_100_000_001);
    assert_eq!(set.sources.text(s.status_msg.unwrap()), "rate limited");
    assert!(
        s.flags.0 == 0,
        "no anomalies expected, got {:?}",
        s.flags.describe()
    );
}

#[test]
fn a_truncated_last_line_keeps_the_rest_and_says_where() {
    let text = format!("{LINE_A}\n{}", &LINE_B[..LINE_B.len() / 2]);
    let set = load_text("cut.jsonl", text.as_bytes());
    assert_eq!(set.total_spans(), 1);
    let w = warnings(&set);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("cut.jsonl: line 2"), "{w:?}");
}

#[test]
fn base64_ids_and_enum_names_from_the_protobuf_look_alike() {
    let doc = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"nkG14kJ6Y+3RoYIK9wg7rw==","spanId":"AAAAAAAAAAE=","name":"root","kind":"SPAN_KIND_SERVER",
       "startTimeUnixNano":"10","endTimeUnixNano":"20","status":{"code":"STATUS_CODE_OK"}},
      {"traceId":"9e41b5e2427a63edd1a1820af7083baf","spanId":"0000000000000002","parentSpanId":"AAAAAAAAAAE=",
       "name":"child","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"11","endTimeUnixNano":"19",
       "status":{"code":"STATUS_CODE_ERROR"}}]}]}]}"#;
    let set = load_text("proto.json", doc.as_bytes());
    assert_eq!(set.traces.len(), 1);
    assert_eq!(
        set.trace_id(spanlens::model::TraceIx(0)),
        "9e41b5e2427a63edd1a1820af7083baf"
    );
    let child = span_named(&set, "child");
    assert_eq!(set.span(child).parent(), Some(span_named(&set, "root")));
    assert_eq!(set.span(child).otel_kind, 3);
    assert_eq!(set.total_errors(), 1);
}

#[test]
fn orphans_duplicates_cycles_and_open_spans_are_kept_and_counted() {
    let span = |id: &str, parent: &str, start: u64, end: &str| {
        format!(
            r#"{{"traceId":"00000000000000000000000000000001","spanId":"{id}","parentSpanId":"{parent}","name":"s{id}","startTimeUnixNano":"{start}"{end}}}"#
        )
    };
    let spans = [
        span("000000000000000a", "", 100, r#","endTimeUnixNano":"200""#),
        span(
            "000000000000000b",
            "000000000000000a",
            50,
            r#","endTimeUnixNano":"300""#,
        ),
        span(
            "000000000000000c",
            "00000000000000ff",
            100,
            r#","endTimeUnixNano":"90""#,
        ),
        span(
            "000000000000000d",
            "000000000000000e",
            100,
            r#","endTimeUnixNano":"120""#,
        ),
        span(
            "000000000000000e",
            "000000000000000d",
            100,
            r#","endTimeUnixNano":"120""#,
        ),
        span("000000000000000a", "", 130, ""),
    ];
    let doc = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    let set = load_text("anomalies.json", doc.as_bytes());
    assert_eq!(set.total_spans(), 6, "no span may be dropped");
    let a = set.traces[0].anomalies;
    assert_eq!(a.orphans, 1);
    assert_eq!(a.duplicate_ids, 1);
    assert_eq!(a.cycles, 1);
    assert_eq!(a.starts_before_parent, 1);
    assert_eq!(a.ends_after_parent, 1);
    assert_eq!(a.negative_durations, 1);
    assert_eq!(a.in_progress, 1);
    assert!(
        set.span(span_named(&set, "s000000000000000c"))
            .flags
            .has(Flags::ORPHAN)
    );
}

#[test]
fn a_chain_100000_deep_loads_without_recursion() {
    let n = 100_000;
    let mut out = String::from(r#"{"resourceSpans":[{"scopeSpans":[{"spans":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let parent = if i == 0 {
            String::new()
        } else {
            format!("{:016x}", i)
        };
        out.push_str(&format!(
            r#"{{"traceId":"00000000000000000000000000000002","spanId":"{:016x}","parentSpanId":"{parent}","name":"n","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}"#,
            i + 1,
            1000 + i,
            1_000_000 - i
        ));
    }
    out.push_str("]}]}]}");
    let set = load_text("deep.json", out.as_bytes());
    assert_eq!(set.total_spans(), n);
    let last = set.spans.last().unwrap();
    assert_eq!(last.depth as usize, n - 1);
    assert_eq!(set.spans[0].subtree_end as usize, n);
}

/// `summary --json` of the real binary over `args`, with `stdin` piped in.
fn summary_json(args: &[&str], stdin: &[u8]) -> serde_json::Value {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spanlens"))
        .args(["summary", "--json"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn stdin_zstd_and_directories_load_like_the_plain_file() {
    let plain = std::fs::read(fixture("agent.otlp.jsonl")).unwrap();
    let expect = load_fixture("agent.otlp.jsonl");
    let totals =
        |v: &serde_json::Value| (v["totals"]["traces"].clone(), v["totals"]["spans"].clone());
    let want = (
        serde_json::json!(expect.traces.len()),
        serde_json::json!(expect.total_spans()),
    );
    assert_eq!(totals(&summary_json(&["-"], &plain)), want, "stdin");
    let zst = zstd::encode_all(&plain[..], 3).unwrap();
    let path = temp_file("agent.otlp.jsonl.zst", &zst);
    let v = summary_json(&[path.to_str().unwrap()], b"");
    assert_eq!(totals(&v), want, "zstd");
    assert!(
        v["files"][0]["format"].as_str().unwrap().contains("zstd"),
        "{v}"
    );
    // A directory is walked recursively; a file that is not a trace is reported, skipped.
    let dir = path.parent().unwrap().join("nested/deeper");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("agent.jsonl"), &plain).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a trace").unwrap();
    let v = summary_json(
        &[path.parent().unwrap().join("nested").to_str().unwrap()],
        b"",
    );
    assert_eq!(totals(&v), want, "directory");
    assert!(v["warnings"].to_string().contains("notes.txt"), "{v}");
}

#[test]
fn a_reader_that_stops_early_ends_the_report_quietly() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    // Thousands of one-span traces: a report far larger than a pipe's buffer.
    let mut text = String::new();
    for t in 0..3000 {
        text.push_str(&format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{t:032x}","spanId":"{t:016x}","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2"}}]}}]}}]}}"#
        ));
        text.push('\n');
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_spanlens"))
        .args(["summary", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let mut head = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap(); // then closed, as `head` does
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_compressed_file_loads_from_memory_where_no_temporary_file_can_be_written() {
    let plain = std::fs::read(fixture("agent.otlp.jsonl")).unwrap();
    let expect = load_fixture("agent.otlp.jsonl");
    let path = temp_file(
        "agent.otlp.jsonl.zst",
        &zstd::encode_all(&plain[..], 3).unwrap(),
    );
    let args = ["summary", "--json", path.to_str().unwrap()];
    let out = run_spanlens(&args, &[("TMPDIR", "/nonexistent/spanlens-no-such-dir")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["totals"]["spans"],
        serde_json::json!(expect.total_spans())
    );
    assert!(
        v["files"][0]["format"].as_str().unwrap().contains("zstd"),
        "{v}"
    );
}

#[test]
fn a_damaged_compressed_file_fails_naming_it_and_a_compressed_document_loads() {
    let plain = std::fs::read(fixture("agent.otlp.jsonl")).unwrap();
    let mut packed = zstd::encode_all(&plain[..], 3).unwrap();
    packed.truncate(packed.len() * 2 / 3);
    let path = temp_file("cut.otlp.jsonl.zst", &packed);
    let out = run_spanlens(&["summary", path.to_str().unwrap()], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cut.otlp.jsonl.zst"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // A document (not JSON Lines) is read whole once decompressed.
    let lines = std::fs::read_to_string("sample-traces/support-bot-errors.mlflow.json").unwrap();
    let doc = format!("[{}]", lines.trim().lines().collect::<Vec<_>>().join(","));
    let path = temp_file("trace.mlflow.json.gz", &{
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), Default::default());
        gz.write_all(doc.as_bytes()).unwrap();
        gz.finish().unwrap()
    });
    let set = load_paths(&[path]);
    assert_eq!(
        set.total_spans(),
        load_paths(&["sample-traces/support-bot-errors.mlflow.json".into()]).total_spans()
    );
    let format = &set.files[0].format;
    assert!(
        format.contains("gzip") && !format.contains("jsonl"),
        "{format}"
    );
}

/// `summary --json` and an exact search over every prompt and output, with and without
/// the SIMD reader (`SPANLENS_SERDE_ONLY=1`): the same spans, counts and payload text.
pub fn same_with_both_readers(path: &std::path::Path) {
    let p = path.to_str().unwrap();
    for args in [
        vec!["summary", "--json", p],
        vec!["search", "--json", "--limit", "100000", "'e", p],
    ] {
        let fast = run_spanlens(&args, &[]);
        let serde = run_spanlens(&args, &[("SPANLENS_SERDE_ONLY", "1")]);
        assert!(fast.status.success(), "{args:?}: {fast:?}");
        assert_eq!(fast.stdout, serde.stdout, "{args:?} on {p}");
        assert_eq!(fast.stderr, serde.stderr, "{args:?} on {p}");
    }
}

#[test]
fn the_simd_reader_and_serde_json_load_the_same_generated_file() {
    let mut text = generated(3000, spanlens_synth::GenFormat::Otlp);
    // A damaged line, and lines each reader handles differently (escaped name, spaces).
    text.extend_from_slice(b"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"x\"\n");
    text.extend_from_slice(
        format!("{LINE_A}\n")
            .replace("\"root\"", "\"r\\u006fot\"")
            .as_bytes(),
    );
    text.extend_from_slice(format!("{}\n", LINE_B.replace(':', " : ")).as_bytes());
    same_with_both_readers(&temp_file("both.jsonl", &text));
}

#[test]
fn summary_json_written_in_parts_on_the_pool_is_the_same_document() {
    // Enough traces for several parts (of at least 64 rows) and rounds (two parts per
    // thread, up to 8 threads), to be joined in order; 1,250 leave the last round with
    // fewer parts than the others, whose buffers (reused) must not be written again.
    for traces in [1200, 1250] {
        let opts = spanlens_synth::GenOptions {
            spans: 5 * traces,
            traces: Some(traces),
            ..Default::default()
        };
        let mut text = Vec::new();
        spanlens_synth::generate(&opts, &mut text).expect("generate");
        text.extend_from_slice(
            b"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"x\"\n",
        );
        let set = load_text("doc.jsonl", &text);
        assert!(set.traces.len() >= traces && !set.diagnostics.is_empty());
        let mut streamed = Vec::new();
        spanlens::cli::summary::write_json(&set, &mut streamed).expect("write");
        let whole = spanlens::cli::json::render(&spanlens::cli::summary::to_json(&set)) + "\n";
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            whole,
            "{traces} traces"
        );
    }
}

/// `write_json` (rows written by hand) against `render(to_json)` (rows through serde's
/// derive) on one set.
fn rows_written_as_serde_writes_them(set: &spanlens::model::TraceSet) {
    let mut streamed = Vec::new();
    spanlens::cli::summary::write_json(set, &mut streamed).expect("write");
    let whole = spanlens::cli::json::render(&spanlens::cli::summary::to_json(set)) + "\n";
    assert_eq!(String::from_utf8(streamed).unwrap(), whole);
}

#[test]
fn summary_rows_are_written_as_serde_writes_them_whatever_they_hold() {
    // Hostile names and ids (controls, C1, bidi, quotes, non-ASCII), a path that needs
    // escaping, a negative duration and a span that starts before the epoch.
    let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"t\u001b[31m\"x","spanId":"a","name":"n\u009b2J \u202e é \\ \"q\"","startTimeUnixNano":"2000","endTimeUnixNano":"1000"},{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"b","name":"","startTimeUnixNano":"-5"}]}]}]}"#;
    let set = load_text("we\"ird\u{9b}.jsonl", format!("{line}\n").as_bytes());
    assert_eq!(set.traces.len(), 2);
    rows_written_as_serde_writes_them(&set);
    // MLflow traces carry original ids, states and costs; the corpus MLflow 3 exports.
    let Some(corpus) = corpus() else {
        eprintln!("skipped the corpus part: ../shared/corpus is absent");
        return;
    };
    for name in [
        "mlflow-3.17.2_trace_agent.to_json.json",
        "mlflow-3.17.2_trace_error.to_json.json",
        "mlflow-3.17.2_search_traces.records.json",
    ] {
        let set = load_paths(&[corpus.join("generated/mlflow-v3").join(name)]);
        let rich = set
            .traces
            .iter()
            .any(|t| t.cost.is_some() || t.state.is_some());
        assert!(rich, "{name}");
        rows_written_as_serde_writes_them(&set);
    }
}

/// The OTLP files the SDKs and the Collector wrote, in the corpus.
const CORPUS_OTLP: [&str; 6] = [
    "generated/otlp-genai/otel_genai_latest.otlp.jsonl",
    "generated/otlp-genai/otel_genai_default.otlp.jsonl",
    "generated/otlp-genai/otel_genai_latest.protobuf-json-base64-ids.json",
    "generated/openinference-phoenix/openinference_agent.otlp.json",
    "generated/langfuse/langfuse_sdk_otel_export.otlp.jsonl",
    "public/otlp-json/otel-spec_file-exporter_traces.jsonl",
];

#[test]
fn corpus_otlp_files_and_scaled_copies_take_no_slow_path() {
    let Some(dir) = corpus() else { return };
    for rel in CORPUS_OTLP {
        let path = dir.join(rel);
        let scaled = temp_file("scaled.jsonl", b"");
        spanlens_synth::scale::scale_file(&path, &scaled, 3000).expect("scales");
        for p in [path, scaled] {
            let set = load_paths(std::slice::from_ref(&p));
            assert!(!set.spans.is_empty(), "{}", p.display());
            // Requests and spans: none left to serde_json. (Values of a pretty-printed
            // document, `{ "stringValue": "x" }` with spaces, are: counted as `otlp value`.)
            let slow = &set.slow_paths;
            let requests = ["otlp line", "otlp request", "otlp span"].map(|w| slow.total(w));
            assert_eq!(requests, [0; 3], "{rel}: {:?}", slow.lines());
        }
    }
}
