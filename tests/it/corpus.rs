//! Every file of the shared corpus (exports written by the real SDKs, and public samples)
//! loads with the right counts. The expectations were written by reading each file (and
//! cross-checked with independent Python counts), not by running the loader.
//! Skips, saying so, where `../shared/corpus` is absent.

use crate::common::*;

/// (path under the corpus, format prefix, traces, spans, error spans, assessments)
const EXPECTED: &[(&str, &str, usize, usize, usize, usize)] = &[
    (
        "generated/langfuse/langfuse_sdk_otel_export.otlp.jsonl",
        "otlp",
        1,
        7,
        1,
        0,
    ),
    (
        "generated/langfuse/langfuse_sdk_otel_export.otlp.pretty.json",
        "otlp",
        1,
        7,
        1,
        0,
    ),
    (
        "generated/langsmith/langsmith_runs.jsonl",
        "langsmith",
        1,
        6,
        1,
        0,
    ),
    (
        "generated/langsmith/langsmith_runs_batch_ingest.json",
        "langsmith",
        1,
        6,
        1,
        0,
    ),
    (
        "generated/mlflow-v2/filestore-trace-dir",
        "mlflow-dir",
        1,
        7,
        1,
        0,
    ),
    (
        "generated/mlflow-v2/mlflow-2.22.5_search_traces.parquet",
        "mlflow-search-traces",
        2,
        9,
        2,
        0,
    ),
    (
        "generated/mlflow-v2/mlflow-2.22.5_search_traces.records.json",
        "mlflow-search-traces",
        2,
        9,
        2,
        0,
    ),
    (
        "generated/mlflow-v2/mlflow-2.22.5_trace_agent.to_json.json",
        "mlflow",
        1,
        7,
        1,
        0,
    ),
    (
        "generated/mlflow-v2/mlflow-2.22.5_trace_error.to_json.json",
        "mlflow",
        1,
        2,
        1,
        0,
    ),
    (
        "generated/mlflow-v3/filestore-trace-dir",
        "mlflow-dir",
        1,
        7,
        1,
        4,
    ),
    (
        "generated/mlflow-v3/mlflow-3.17.2_search_traces.parquet",
        "mlflow-search-traces",
        2,
        9,
        2,
        4,
    ),
    (
        "generated/mlflow-v3/mlflow-3.17.2_search_traces.records.json",
        "mlflow-search-traces",
        2,
        9,
        2,
        4,
    ),
    (
        "generated/mlflow-v3/mlflow-3.17.2_trace_agent.to_json.json",
        "mlflow",
        1,
        7,
        1,
        4,
    ),
    (
        "generated/mlflow-v3/mlflow-3.17.2_trace_error.to_json.json",
        "mlflow",
        1,
        2,
        1,
        0,
    ),
    (
        "generated/openinference-phoenix/openinference_agent.otlp.json",
        "otlp",
        2,
        10,
        1,
        0,
    ),
    (
        "generated/openinference-phoenix/phoenix_rest_v1_spans.json",
        "phoenix-rest",
        2,
        10,
        1,
        0,
    ),
    (
        "generated/openinference-phoenix/phoenix_rest_v1_spans_otlpv1.json",
        "phoenix-otlpv1",
        2,
        10,
        1,
        0,
    ),
    (
        "generated/openinference-phoenix/phoenix_span_annotations.parquet",
        "phoenix-annotations",
        0,
        0,
        0,
        2,
    ),
    (
        "generated/openinference-phoenix/phoenix_span_annotations.records.json",
        "phoenix-annotations",
        0,
        0,
        0,
        2,
    ),
    (
        "generated/openinference-phoenix/phoenix_spans_dataframe.parquet",
        "phoenix-spans",
        2,
        10,
        1,
        0,
    ),
    (
        "generated/openinference-phoenix/phoenix_spans_dataframe.records.json",
        "phoenix-spans",
        2,
        10,
        1,
        0,
    ),
    (
        "generated/otel-python-console/console_exporter_stdout.txt",
        "otel-console",
        1,
        3,
        1,
        0,
    ),
    (
        "generated/otlp-genai/otel_genai_default.otlp.json",
        "otlp",
        1,
        6,
        1,
        0,
    ),
    (
        "generated/otlp-genai/otel_genai_default.otlp.jsonl",
        "otlp",
        1,
        6,
        1,
        0,
    ),
    (
        "generated/otlp-genai/otel_genai_default.protobuf-json-base64-ids.json",
        "otlp",
        1,
        6,
        1,
        0,
    ),
    (
        "generated/otlp-genai/otel_genai_latest.otlp.json",
        "otlp",
        1,
        6,
        1,
        0,
    ),
    (
        "generated/otlp-genai/otel_genai_latest.otlp.jsonl",
        "otlp",
        1,
        6,
        1,
        0,
    ),
    (
        "generated/otlp-genai/otel_genai_latest.protobuf-json-base64-ids.json",
        "otlp",
        1,
        6,
        1,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_agno-2025-06-11.trace.json",
        "langfuse",
        1,
        6,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_autogen-2025-06-06.trace.json",
        "langfuse",
        1,
        2,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_beeai-2025-08-01.trace.json",
        "langfuse",
        1,
        29,
        0,
        2,
    ),
    (
        "public/langfuse/langfuse_framework-traces_claude-agent-2025-12-22.trace.json",
        "langfuse",
        1,
        7,
        0,
        3,
    ),
    (
        "public/langfuse/langfuse_framework-traces_crewai-2025-07-11.trace.json",
        "langfuse",
        1,
        6,
        0,
        2,
    ),
    (
        "public/langfuse/langfuse_framework-traces_csharp-agent-with-gemini-2026-03-09.trace.json",
        "langfuse",
        1,
        8,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_google-adk-2025-08-28.trace.json",
        "langfuse",
        1,
        5,
        0,
        2,
    ),
    (
        "public/langfuse/langfuse_framework-traces_google-gemini-2025-08-01.trace.json",
        "langfuse",
        1,
        1,
        0,
        2,
    ),
    (
        "public/langfuse/langfuse_framework-traces_koog-2025-08-26.trace.json",
        "langfuse",
        1,
        11,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_langgraph-js-2025-10-30.trace.json",
        "langfuse",
        1,
        20,
        0,
        2,
    ),
    (
        "public/langfuse/langfuse_framework-traces_langgraph-python-2025-08-22.trace.json",
        "langfuse",
        1,
        9,
        0,
        2,
    ),
    (
        "public/langfuse/langfuse_framework-traces_llamaindex-2025-06-05.trace.json",
        "langfuse",
        1,
        2,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_microsoft-agent-2025-12-17.trace.json",
        "langfuse",
        1,
        4,
        0,
        3,
    ),
    (
        "public/langfuse/langfuse_framework-traces_openai-agents-2025-09-30.trace.json",
        "langfuse",
        1,
        5,
        0,
        2,
    ),
    (
        "public/langfuse/langfuse_framework-traces_pydantic-ai-2025-06-06.trace.json",
        "langfuse",
        1,
        3,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_pydantic-ai-tools-2025-06-06.trace.json",
        "langfuse",
        1,
        3,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_pydantic-ai-tools-2025-12-04.trace.json",
        "langfuse",
        1,
        12,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_pydantic-ai-with-gemini-2025-12-24.trace.json",
        "langfuse",
        1,
        1,
        0,
        0,
    ),
    (
        "public/langfuse/langfuse_framework-traces_vercel-aisdk-2025-11-17.trace.json",
        "langfuse",
        1,
        3,
        0,
        2,
    ),
    (
        "public/langfuse/langfuse_framework-traces_vertex-ai-2025-08-01.trace.json",
        "langfuse",
        1,
        1,
        0,
        2,
    ),
    (
        "public/langsmith/langsmith-sdk_langsmith_js_wrap_openai_default.json",
        "langsmith",
        1,
        1,
        0,
        0,
    ),
    (
        "public/langsmith/langsmith-sdk_langsmith_js_wrap_openai_reasoning.json",
        "langsmith",
        1,
        1,
        0,
        0,
    ),
    (
        "public/langsmith/langsmith-sdk_langsmith_py_wrap_openai_.json",
        "langsmith",
        1,
        1,
        0,
        0,
    ),
    (
        "public/langsmith/langsmith-sdk_langsmith_py_wrap_openai_stream.json",
        "langsmith",
        1,
        1,
        0,
        0,
    ),
    (
        "public/openinference/openinference-genai_fixture_openinference_client_span_input_output_only.attributes.json",
        "attributes",
        1,
        1,
        0,
        0,
    ),
    (
        "public/openinference/openinference-genai_fixture_openinference_client_span_tool_calls.attributes.json",
        "attributes",
        1,
        1,
        0,
        0,
    ),
    (
        "public/otel-genai/openinference-genai_fixture_otel_genai_client_span_tool_calls.attributes.json",
        "attributes",
        1,
        1,
        0,
        0,
    ),
    (
        "public/otel-genai/openinference-genai_fixture_otel_genai_deprecated_client_span_tool_calls.attributes.json",
        "attributes",
        1,
        1,
        0,
        0,
    ),
    (
        "public/otel-genai/openinference-genai_fixture_otel_genai_tool_execution_span.attributes.json",
        "attributes",
        1,
        1,
        0,
        0,
    ),
    (
        "public/otel-js-readablespan/openinference-vercel_v6-spans_ai-generateText.json",
        "otel-js",
        2,
        2,
        0,
        0,
    ),
    (
        "public/otel-js-readablespan/openinference-vercel_v6-spans_ai-streamText-doStream.json",
        "otel-js",
        1,
        1,
        0,
        0,
    ),
    (
        "public/otel-js-readablespan/openinference-vercel_v6-spans_all-spans.json",
        "otel-js",
        10,
        10,
        0,
        0,
    ),
    (
        "public/otlp-json/opentelemetry-proto_examples_trace.json",
        "otlp",
        1,
        1,
        0,
        0,
    ),
    (
        "public/otlp-json/otel-spec_file-exporter_traces.jsonl",
        "otlp",
        1,
        8,
        4,
        0,
    ),
];

/// Files in the corpus that are not traces (JSON Schemas of message formats): they must be
/// reported as such, never crash.
const NOT_TRACES: &[&str] = &[
    "public/otel-genai/semconv-v1.41.0_gen-ai-input-messages.schema.json",
    "public/otel-genai/semconv-v1.41.0_gen-ai-output-messages.schema.json",
];

fn corpus_or_skip() -> Option<std::path::PathBuf> {
    corpus()
}

#[test]
fn every_corpus_file_loads_with_its_counts() {
    let Some(root) = corpus_or_skip() else { return };
    let mut failures = Vec::new();
    for &(rel, format, traces, spans, errors, assessments) in EXPECTED {
        let set = load_paths(&[root.join(rel)]);
        let got = (
            set.files[0]
                .format
                .split(' ')
                .next()
                .unwrap_or("")
                .to_owned(),
            set.traces.len(),
            set.total_spans(),
            set.total_errors(),
            set.assessments.len(),
        );
        let want = (format.to_owned(), traces, spans, errors, assessments);
        if got != want {
            failures.push(format!("{rel}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_simd_reader_and_serde_json_load_the_otlp_files_the_same() {
    let Some(root) = corpus_or_skip() else { return };
    let otlp = EXPECTED.iter().filter(|e| e.1 == "otlp");
    for &(rel, ..) in otlp {
        crate::load_otlp::same_with_both_readers(&root.join(rel));
    }
}

#[test]
fn the_table_covers_every_corpus_file() {
    let Some(root) = corpus_or_skip() else { return };
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        if dir.join("trace_info.yaml").is_file() {
            files.push(dir.strip_prefix(&root).unwrap().display().to_string());
            continue;
        }
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_none_or(|x| x != "md") {
                files.push(p.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    let known: Vec<&str> = EXPECTED
        .iter()
        .map(|e| e.0)
        .chain(NOT_TRACES.iter().copied())
        .collect();
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !known.contains(&f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "corpus files without expectations: {missing:?}"
    );
}

#[test]
fn json_schemas_are_reported_not_loaded() {
    let Some(root) = corpus_or_skip() else { return };
    for rel in NOT_TRACES {
        let err = spanlens::load::load(&[root.join(rel)], &Default::default(), &|_| {})
            .expect_err("a JSON Schema is not a trace");
        assert!(err.to_string().contains("not a trace format"), "{err}");
    }
}

#[test]
fn the_same_agent_has_the_same_token_totals_in_every_mlflow_and_otlp_export() {
    let Some(root) = corpus_or_skip() else { return };
    // The generated corpus runs one weather agent through every SDK: two LLM calls.
    let cases = [
        (
            "generated/mlflow-v3/mlflow-3.17.2_trace_agent.to_json.json",
            (124, 35),
        ),
        (
            "generated/mlflow-v2/mlflow-2.22.5_trace_agent.to_json.json",
            (124, 35),
        ),
        ("generated/mlflow-v3/filestore-trace-dir", (124, 35)),
        (
            "generated/otlp-genai/otel_genai_latest.otlp.jsonl",
            (150, 29),
        ),
        (
            "generated/otlp-genai/otel_genai_default.protobuf-json-base64-ids.json",
            (150, 29),
        ),
        (
            "generated/langsmith/langsmith_runs_batch_ingest.json",
            (145, 29),
        ),
        (
            "generated/langfuse/langfuse_sdk_otel_export.otlp.jsonl",
            (145, 29),
        ),
    ];
    for (rel, (input, output)) in cases {
        let set = load_paths(&[root.join(rel)]);
        let t = &set.traces[0];
        assert_eq!((t.input_tokens, t.output_tokens), (input, output), "{rel}");
    }
}

#[test]
fn the_langfuse_trace_without_a_root_keeps_its_orphan() {
    let Some(root) = corpus_or_skip() else { return };
    let rel =
        "public/langfuse/langfuse_framework-traces_csharp-agent-with-gemini-2026-03-09.trace.json";
    let set = load_paths(&[root.join(rel)]);
    assert_eq!(set.traces[0].anomalies.orphans, 1);
    assert_eq!(set.total_spans(), 8);
}
