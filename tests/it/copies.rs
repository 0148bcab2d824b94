//! The same spans in several files (one run exported in several formats, side by side in a
//! directory) count once: copies are merged, conflicting duplicates stay anomalies.

use crate::common::*;
use spanlens::model::{Flags, TraceSet};
use spanlens_synth::GenFormat;
use std::path::PathBuf;

/// Per trace: id, spans, errors, input and output tokens; sorted by id.
fn per_trace(set: &TraceSet) -> Vec<(String, u32, u32, u64, u64)> {
    let mut v: Vec<_> = (0..set.traces.len() as u32)
        .map(|t| {
            let ix = spanlens::model::TraceIx(t);
            let tr = set.trace(ix);
            let id = set.trace_id(ix).to_owned();
            (
                id,
                tr.span_count(),
                tr.errors,
                tr.input_tokens,
                tr.output_tokens,
            )
        })
        .collect();
    v.sort();
    v
}

fn merged_note(set: &TraceSet) -> Vec<String> {
    warnings(set)
        .into_iter()
        .filter(|w| w.contains("duplicate cop"))
        .collect()
}

/// A fresh directory holding `files`.
fn dir_with(files: &[(&str, &[u8])]) -> PathBuf {
    let first = temp_file(files[0].0, files[0].1);
    let dir = first.parent().unwrap().to_owned();
    for (name, bytes) in &files[1..] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    dir
}

/// The generator names spans per convention (`execute_tool x` in OTLP, `x` in MLflow and
/// Phoenix), so its MLflow and Phoenix exports are the two forms of one run that agree on
/// names; their times differ in precision (ns and µs).
#[test]
fn one_run_in_two_formats_counts_as_one() {
    let mlflow = generated(600, GenFormat::Mlflow);
    let parquet = generated(600, GenFormat::Parquet);
    let single = load_text("run.mlflow.jsonl", &mlflow);
    assert!(merged_note(&single).is_empty());
    let dir = dir_with(&[("run.mlflow.jsonl", &mlflow), ("run.parquet", &parquet)]);
    let all = load_paths(&[dir]);
    assert_eq!(all.total_spans(), single.total_spans());
    assert_eq!(all.total_errors(), single.total_errors());
    assert_eq!(per_trace(&all), per_trace(&single));
    assert_eq!(all.anomalies().duplicate_ids, 0);
    let notes = merged_note(&all);
    assert_eq!(notes.len(), 1, "said once: {notes:?}");
    assert!(
        notes[0].contains(&format!("{} duplicate copies merged", single.total_spans())),
        "{notes:?}"
    );
    // Each file still says what it holds.
    for f in &all.files {
        assert_eq!(f.spans, single.total_spans(), "{}", f.path);
        assert_eq!(f.traces, single.traces.len(), "{}", f.path);
    }
}

/// One span of trace `a`, id `b1`, as an OTLP span object.
fn otlp_span(name: &str, start: &str, end: &str, attrs: &str) -> String {
    format!(
        r#"{{"traceId":"0000000000000000000000000000000a","spanId":"00000000000000b1","name":"{name}","startTimeUnixNano":"{start}","endTimeUnixNano":"{end}","attributes":[{attrs}]}}"#
    )
}

/// An OTLP request holding `spans`.
fn doc(spans: &[String]) -> Vec<u8> {
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
    .into_bytes()
}

fn attr(key: &str, value: &str) -> String {
    format!(r#"{{"key":"{key}","value":{{"stringValue":"{value}"}}}}"#)
}

#[test]
fn each_copy_adds_what_the_other_lacks() {
    // The second copy's times were cut to milliseconds, as some exports do.
    let a = otlp_span(
        "chat",
        "1795896721377618854",
        "1795896721387993083",
        &attr("input.value", "what is the weather"),
    );
    let b = otlp_span(
        "chat",
        "1795896721377000000",
        "1795896721387000000",
        &[
            attr("output.value", "sunny"),
            attr("llm.model_name", "gpt-4o"),
        ]
        .join(","),
    );
    let dir = dir_with(&[("a.otlp.json", &doc(&[a])), ("b.otlp.json", &doc(&[b]))]);
    let set = load_paths(&[dir]);
    assert_eq!(set.total_spans(), 1);
    let s = set.span(spanlens::model::SpanIx(0));
    assert!(s.input.is_some() && s.output.is_some(), "both texts kept");
    assert_eq!(set.str(s.model), "gpt-4o");
    assert_eq!(
        s.start_ns, 1_795_896_721_377_618_854,
        "the precise times win"
    );
    assert_eq!(s.end_ns(), Some(1_795_896_721_387_993_083));
    assert!(!s.flags.has(Flags::DUPLICATE_ID));
    assert_eq!(merged_note(&set).len(), 1);
}

#[test]
fn conflicting_duplicates_stay_anomalies() {
    let a = otlp_span("chat", "1000000", "2000000", "");
    let renamed = otlp_span("embed", "1000000", "2000000", "");
    let moved = otlp_span("chat", "9000000", "9500000", "");
    for other in [renamed, moved] {
        let dir = dir_with(&[
            ("a.otlp.json", &doc(std::slice::from_ref(&a))),
            ("b.otlp.json", &doc(&[other])),
        ]);
        let set = load_paths(&[dir]);
        assert_eq!(set.total_spans(), 2, "nothing merged");
        assert_eq!(set.anomalies().duplicate_ids, 1);
        assert!(merged_note(&set).is_empty());
    }
    // Two copies in one file are not an export in two formats: still an anomaly.
    let set = load_text("twice.otlp.json", &doc(&[a.clone(), a]));
    assert_eq!(set.total_spans(), 2);
    assert_eq!(set.anomalies().duplicate_ids, 1);
}

/// The corpus holds each generated scenario in several forms side by side: loading a
/// directory counts each trace as its most complete single file does.
#[test]
fn corpus_directories_of_one_run_count_once() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let gen_dir = corpus.join("generated");
    for (dir, single) in [
        ("otlp-genai", "otel_genai_latest.otlp.json"),
        ("mlflow-v3", "mlflow-3.17.2_trace_agent.to_json.json"),
        ("mlflow-v2", "mlflow-2.22.5_trace_agent.to_json.json"),
        ("openinference-phoenix", "openinference_agent.otlp.json"),
        ("langfuse", "langfuse_sdk_otel_export.otlp.jsonl"),
    ] {
        let all = load_paths(&[gen_dir.join(dir)]);
        let one = load_paths(&[gen_dir.join(dir).join(single)]);
        let theirs = per_trace(&one);
        let ours: Vec<_> = per_trace(&all)
            .into_iter()
            .filter(|t| theirs.iter().any(|o| o.0 == t.0))
            .collect();
        assert_eq!(ours, theirs, "{dir}");
        assert_eq!(all.anomalies().duplicate_ids, 0, "{dir}");
        assert_eq!(merged_note(&all).len(), 1, "{dir}");
    }
}
