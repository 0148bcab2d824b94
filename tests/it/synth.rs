//! The trace generator: the same options give the same bytes, the bundled samples equal
//! what the code generates now, and every generated file loads with exactly the counts the
//! generator reported (traces, spans, errors, deepest span, widest fan-out).

use crate::common::*;
use spanlens::load::{self, Format, LoadOptions};
use spanlens::model::{SpanIx, Status, TraceSet};
use spanlens_synth::{
    GenFormat, GenOptions, GenReport, Profile, SAMPLES, Scenario, generate, write_samples,
};
use std::io::Read;
use std::path::Path;

fn opts(spans: usize, format: GenFormat) -> GenOptions {
    GenOptions {
        spans,
        format,
        ..GenOptions::default()
    }
}

fn run(o: &GenOptions) -> (Vec<u8>, GenReport) {
    let mut out = Vec::new();
    let report = generate(o, &mut out).expect("generate");
    assert_eq!(report.bytes, out.len() as u64, "report.bytes");
    (out, report)
}

fn file_name(format: GenFormat) -> &'static str {
    match format {
        GenFormat::Otlp => "gen.otlp.jsonl",
        GenFormat::Mlflow => "gen.mlflow.jsonl",
        GenFormat::Parquet => "gen.parquet",
    }
}

fn max_depth(set: &TraceSet) -> usize {
    set.spans
        .iter()
        .map(|s| s.depth as usize)
        .max()
        .unwrap_or(0)
}

fn max_children(set: &TraceSet) -> usize {
    let mut kids = vec![0usize; set.spans.len()];
    for s in &set.spans {
        if let Some(p) = s.parent() {
            kids[p.0 as usize] += 1;
        }
    }
    kids.into_iter().max().unwrap_or(0)
}

/// Generates, loads (detecting the format, or as `forced`), and checks the loader sees
/// exactly what the generator reported.
fn roundtrip_as(o: &GenOptions, forced: Option<Format>) -> (TraceSet, GenReport) {
    let (bytes, report) = run(o);
    let path = temp_file(file_name(o.format), &bytes);
    let set = load::load(
        &[path],
        &LoadOptions {
            format: forced,
            ..LoadOptions::default()
        },
        &|_| {},
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.traces.len(), report.traces, "traces");
    assert_eq!(set.total_spans(), report.spans, "spans");
    assert_eq!(set.total_errors(), report.errors, "errors");
    assert_eq!(max_depth(&set), report.max_depth, "max depth");
    assert_eq!(max_children(&set), report.max_children, "max children");
    assert!(
        set.anomalies().describe().is_empty(),
        "{:?}",
        set.anomalies().describe()
    );
    (set, report)
}

fn roundtrip(o: &GenOptions) -> (TraceSet, GenReport) {
    roundtrip_as(o, None)
}

#[test]
fn same_options_give_the_same_bytes() {
    for format in [GenFormat::Otlp, GenFormat::Mlflow, GenFormat::Parquet] {
        let o = opts(400, format);
        let (a, ra) = run(&o);
        let (b, rb) = run(&o);
        assert!(a == b, "{format:?}: two runs differ");
        assert_eq!(ra, rb);
        assert_eq!(ra.spans, 400);
        let (c, _) = run(&GenOptions { seed: 2, ..o });
        assert!(a != c, "{format:?}: another seed gave the same bytes");
    }
}

#[test]
fn otlp_loads_with_the_reported_counts() {
    let (set, report) = roundtrip(&opts(3_000, GenFormat::Otlp));
    assert!(
        report.errors > 0 && report.errors < 3_000 / 20,
        "{report:?}"
    );
    // Realistic files include a planner trace 30 levels deep.
    assert_eq!(report.max_depth, 30);
    assert!(set.traces.len() > 5);
}

#[test]
fn mlflow_loads_with_the_reported_counts() {
    // Realistic MLflow lines are often longer than the 64 KB detection window: detection
    // must read the whole first line.
    let (_, report) = roundtrip_as(&opts(3_000, GenFormat::Mlflow), None);
    assert!(report.errors > 0, "{report:?}");
    assert_eq!(report.max_depth, 30);
}

#[test]
fn mlflow_lines_are_detected() {
    let o = GenOptions {
        traces: Some(40),
        profile: Profile::Sample,
        error_rate: 0.1,
        ..opts(160, GenFormat::Mlflow)
    };
    let (bytes, _) = run(&o);
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    assert!(first.len() < 60_000, "first line is {} bytes", first.len());
    let (_, report) = roundtrip(&o);
    assert_eq!(report.traces, 40);
    assert!(report.errors > 0);
}

#[test]
fn parquet_loads_with_the_reported_counts() {
    let (_, report) = roundtrip(&opts(3_000, GenFormat::Parquet));
    assert!(report.errors > 0, "{report:?}");
}

#[test]
fn fan_out_of_5000_and_30_deep_tree_load() {
    let (set, report) = roundtrip(&opts(10_500, GenFormat::Otlp));
    assert_eq!(report.max_children, 5_000);
    assert_eq!(report.max_depth, 30);
    let wide = (0..set.spans.len())
        .find(|&i| set.span_name(SpanIx(i as u32)) == "embed_batch")
        .expect("the fan-out span");
    let s = &set.spans[wide];
    assert_eq!(s.subtree_end as usize - wide - 1, 5_000);
}

/// More spans than one window of the arena's gather (65,536), with traces across the
/// window boundaries: every trace is one pre-order run of the arena, in start order.
#[test]
fn arena_gathered_in_several_windows_is_pre_order_trace_after_trace() {
    let (set, _) = roundtrip(&opts(100_000, GenFormat::Otlp));
    let mut covered = 0;
    for (t, trace) in set.traces.iter().enumerate() {
        let (start, end) = (trace.span_start as usize, trace.span_end as usize);
        assert_eq!(start, covered, "trace {t} follows the one before it");
        covered = end;
        let mut roots = 0;
        for i in start..end {
            let s = &set.spans[i];
            assert_eq!(s.trace as usize, t, "span {i}");
            assert!(
                i < s.subtree_end as usize && s.subtree_end as usize <= end,
                "span {i}"
            );
            match s.parent() {
                None => {
                    assert_eq!(s.depth, 0, "span {i}");
                    roots += 1;
                }
                Some(p) => {
                    let (p, ps) = (p.0 as usize, &set.spans[p.0 as usize]);
                    assert!(start <= p && p < i, "span {i}: parent {p} before it");
                    assert!(
                        i < ps.subtree_end as usize,
                        "span {i} in its parent's subtree"
                    );
                    assert!(s.subtree_end <= ps.subtree_end, "span {i}");
                    assert_eq!(s.depth, ps.depth + 1, "span {i}");
                }
            }
        }
        assert_eq!(roots, trace.roots, "trace {t}");
    }
    assert_eq!(covered, set.spans.len());
    assert!(
        set.traces
            .windows(2)
            .all(|w| w[0].start_ns <= w[1].start_ns)
    );
}

/// Traces whose lines come in reverse start order are laid out in start order, and each
/// keeps its own totals: recounted here from the spans the arena gives it.
#[test]
fn totals_follow_their_traces_when_the_input_is_out_of_start_order() {
    let (bytes, report) = run(&opts(6_000, GenFormat::Otlp));
    let text = String::from_utf8(bytes).expect("UTF-8");
    let reversed: Vec<&str> = text.lines().rev().collect();
    let set = load_text("reversed.otlp.jsonl", reversed.join("\n").as_bytes());
    assert_eq!(set.traces.len(), report.traces);
    assert!(set.traces.len() > 10);
    for (t, trace) in set.traces.iter().enumerate() {
        let spans = &set.spans[trace.spans()];
        let first = &spans[0];
        assert_eq!(
            (trace.id, trace.name),
            (first.trace_id, first.name),
            "trace {t}"
        );
        let start = spans.iter().map(|s| s.start_ns).min();
        let end = (spans.iter())
            .map(|s| s.end_ns().unwrap_or(s.start_ns).max(s.start_ns))
            .max();
        assert_eq!(
            (Some(trace.start_ns), Some(trace.end_ns)),
            (start, end),
            "trace {t}"
        );
        let errors = spans.iter().filter(|s| s.is_error()).count();
        assert_eq!(trace.errors as usize, errors, "trace {t}");
        // Usage of spans that have no span with usage below them.
        let has = |s: &spanlens::model::Span| !s.tokens.is_empty() || s.cost().is_some();
        let leaf_usage = |i: usize| {
            let below = &spans[i + 1..spans[i].subtree_end as usize - trace.span_start as usize];
            !below.iter().any(has)
        };
        let input: u64 = (0..spans.len())
            .filter(|&i| leaf_usage(i))
            .map(|i| u64::from(spans[i].tokens.input().unwrap_or(0)))
            .sum();
        assert_eq!(trace.input_tokens, input, "trace {t}");
    }
    assert!(set.traces.iter().any(|t| t.input_tokens > 0));
    assert!(
        set.traces
            .windows(2)
            .all(|w| w[0].start_ns <= w[1].start_ns)
    );
}

#[test]
fn exact_trace_count_and_span_total() {
    let o = GenOptions {
        traces: Some(7),
        ..opts(123, GenFormat::Mlflow)
    };
    let (_, report) = roundtrip(&o);
    assert_eq!((report.traces, report.spans), (7, 123));
    let too_many = GenOptions {
        traces: Some(10),
        ..opts(5, GenFormat::Otlp)
    };
    assert!(generate(&too_many, &mut Vec::new()).is_err());
}

#[test]
fn second_run_lists_its_changes_and_loads_beside_the_first() {
    let first = GenOptions {
        traces: Some(1),
        profile: Profile::Sample,
        scenario: Scenario::Weather,
        error_rate: 0.0,
        ..opts(40, GenFormat::Otlp)
    };
    let second = GenOptions {
        mutate: 3,
        ..first.clone()
    };
    let (a, ra) = run(&first);
    let (b, rb) = run(&second);
    assert!(ra.changes.is_empty());
    let kinds = [
        "slower step",
        "token counts changed",
        "changed system prompt",
        "new error",
        "reordered",
        "extra tool call",
        "removed step",
    ];
    for k in kinds {
        assert!(
            rb.changes.iter().any(|c| c.contains(k)),
            "{k}: {:?}",
            rb.changes
        );
    }
    assert_eq!(rb.errors, ra.errors + 1);
    assert_eq!(rb.spans, ra.spans, "one call added, one removed");
    // Different ids, so both runs load side by side as two traces.
    let pa = temp_file("run1.otlp.jsonl", &a);
    let pb = temp_file("run2.otlp.jsonl", &b);
    let set = load_paths(&[pa, pb]);
    assert_eq!(set.traces.len(), 2);
    assert_eq!(set.total_spans(), ra.spans + rb.spans);
}

#[test]
fn realistic_text_is_spiced_and_sample_text_is_not() {
    let (real, _) = run(&opts(3_000, GenFormat::Otlp));
    let real = String::from_utf8(real).expect("utf-8");
    for needle in [
        "\\u001b[31m",
        "\\u001b]52;c;",
        "\u{202e}",
        "\\u0000",
        "東京",
        "👍🏽",
    ] {
        assert!(real.contains(needle), "realistic output lacks {needle:?}");
    }
    let sample = GenOptions {
        profile: Profile::Sample,
        ..opts(3_000, GenFormat::Otlp)
    };
    let (plain, _) = run(&sample);
    let plain = String::from_utf8(plain).expect("utf-8");
    assert!(
        !plain.contains("\\u001b") && !plain.contains("\\u0000") && !plain.contains('\u{202e}')
    );
}

fn read_maybe_gz(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if !path.to_string_lossy().ends_with(".gz") {
        return bytes;
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

/// The committed samples are what the generator writes now (compressed files are compared
/// after decompression, so a zlib upgrade does not count as drift).
#[test]
fn bundled_samples_match_the_generator() {
    let dir = temp_file("unused", b"").with_file_name("samples");
    let reports = write_samples(&dir).expect("write samples");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    for (file, report) in &reports {
        let fresh = read_maybe_gz(&dir.join(file));
        let kept = read_maybe_gz(&committed.join(file));
        assert!(
            fresh == kept,
            "sample-traces/{file} is stale: regenerate with `cargo run --release -p spanlens-synth --bin gen-traces -- --samples sample-traces`"
        );
        let set = load_paths(&[committed.join(file)]);
        assert_eq!(set.total_spans(), report.spans, "{file}");
        assert_eq!(set.total_errors(), report.errors, "{file}");
        assert_eq!(set.traces.len(), report.traces, "{file}");
    }
    assert_eq!(reports.len(), SAMPLES.len());
}

#[test]
fn bundled_samples_tell_their_stories() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    let total: u64 = SAMPLES
        .iter()
        .map(|s| std::fs::metadata(dir.join(s.file)).map_or(0, |m| m.len()))
        .sum();
    assert!(total < 1 << 20, "samples take {total} bytes");
    // The support bot: a tool that failed with an exception and was retried, and a
    // rate-limited LLM call.
    let set = load_paths(&[dir.join("support-bot-errors.mlflow.json")]);
    let failed: Vec<SpanIx> = (0..set.spans.len() as u32)
        .map(SpanIx)
        .filter(|&i| set.span(i).status == Status::Error)
        .collect();
    assert_eq!(failed.len(), 2);
    let names: Vec<&str> = failed.iter().map(|&i| set.span_name(i)).collect();
    assert!(names.contains(&"ChatCompletion"), "{names:?}");
    let tool = names
        .iter()
        .find(|n| **n != "ChatCompletion")
        .expect("a failed tool");
    let attempts = (0..set.spans.len() as u32)
        .filter(|&i| set.span_name(SpanIx(i)) == *tool)
        .count();
    assert!(attempts >= 2, "the failed tool {tool} was not retried");
    // The two weather runs differ, and the second has one more error.
    let run1 = load_paths(&[dir.join("weather-agent-run1.otlp.jsonl")]);
    let run2 = load_paths(&[dir.join("weather-agent-run2.otlp.jsonl")]);
    assert_eq!(run2.total_errors(), run1.total_errors() + 1);
    let rag = load_paths(&[dir.join("rag-eval.parquet")]);
    assert_eq!(rag.traces.len(), 20);
    let incident = load_paths(&[dir.join("incident.otlp.jsonl.gz")]);
    assert_eq!(incident.traces.len(), 10);
    assert!(incident.total_errors() > 0);
}

/// Large parquet files are loaded in parallel, one part (with its own arena source) per
/// record batch: counts stay exact, and text in every part decodes and is found by search.
#[test]
fn parquet_in_several_parts_loads_and_decodes() {
    let (set, _) = roundtrip(&opts(17_000, GenFormat::Parquet));
    assert!(set.sources.len() >= 5, "file, arena and three parts");
    let mut parts_with_input = std::collections::BTreeSet::new();
    for (i, s) in set.spans.iter().enumerate() {
        if let Some(t) = s.input {
            let text = set.sources.text(t);
            assert!(!text.starts_with("<unreadable"), "span {i}: {text}");
            parts_with_input.insert(t.src);
        }
    }
    assert!(parts_with_input.len() >= 3, "{parts_with_input:?}");
    let query = spanlens::search::Query::parse("'timed out").unwrap();
    let index = spanlens::search::Index::default();
    let job = spanlens::search::Job {
        set: &set,
        index: &index,
        query: &query,
        scope: spanlens::search::Scope::All,
        limit: 100_000,
    };
    let found = |s| spanlens::search::run_using(job, s, &|| false, &mut |_| {}).total;
    let raw = found(spanlens::search::Strategy::Raw);
    assert!(raw > 0);
    assert_eq!(raw, found(spanlens::search::Strategy::Decode));
}
