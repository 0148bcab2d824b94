//! `scale-export` on the SDK-written corpus: every scaled file loads with exactly copies ×
//! the input's spans and traces and no diagnostics, ids are fresh and unique, parents
//! resolve, times move forward copy by copy, and every value keeps its encoding.

use crate::common::{corpus, load_paths};
use serde_json::Value;
use spanlens::model::{SpanIx, TraceSet};
use spanlens_synth::scale::{ScaleReport, scale_file};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The inputs `bench/run.sh` scales, and the other SDK-written shapes.
const FILES: &[&str] = &[
    "mlflow-v3/mlflow-3.17.2_trace_agent.to_json.json",
    "mlflow-v2/mlflow-2.22.5_trace_agent.to_json.json",
    "otlp-genai/otel_genai_latest.otlp.jsonl",
    "otlp-genai/otel_genai_default.otlp.jsonl",
    "otlp-genai/otel_genai_latest.protobuf-json-base64-ids.json",
    "openinference-phoenix/openinference_agent.otlp.json",
    "langfuse/langfuse_sdk_otel_export.otlp.jsonl",
    "langsmith/langsmith_runs.jsonl",
    "mlflow-v3/mlflow-3.17.2_search_traces.parquet",
    "mlflow-v3/mlflow-3.17.2_search_traces.records.json",
    "mlflow-v2/mlflow-2.22.5_search_traces.parquet",
    "mlflow-v2/mlflow-2.22.5_search_traces.records.json",
    "openinference-phoenix/phoenix_spans_dataframe.parquet",
    "openinference-phoenix/phoenix_spans_dataframe.records.json",
    "openinference-phoenix/phoenix_rest_v1_spans_otlpv1.json",
    "otel-python-console/console_exporter_stdout.txt",
];

const SPANS: u64 = 2_000;

struct Scaled {
    input: PathBuf,
    out: PathBuf,
    report: ScaleReport,
    orig: TraceSet,
    set: TraceSet,
}

/// Scales `rel` to `SPANS` into a temporary file named after the test (`tag`): the tests
/// run in parallel.
fn scaled(dir: &Path, rel: &str, tag: &str) -> Scaled {
    let input = dir.join("generated").join(rel);
    let name = Path::new(rel).file_name().unwrap().to_string_lossy();
    let out = std::env::temp_dir().join(format!(
        "spanlens-scale-{}-{tag}-{name}",
        std::process::id()
    ));
    let report = scale_file(&input, &out, SPANS).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let orig = load_paths(std::slice::from_ref(&input));
    let set = load_paths(std::slice::from_ref(&out));
    Scaled {
        input,
        out,
        report,
        orig,
        set,
    }
}

fn ids(set: &TraceSet) -> Vec<String> {
    (0..set.spans.len())
        .map(|i| {
            format!(
                "{}/{}",
                set.str(set.spans[i].trace_id),
                set.span_id(SpanIx(i as u32))
            )
        })
        .collect()
}

#[test]
fn scaled_corpus_files_load_with_exact_counts_fresh_ids_and_later_times() {
    let Some(dir) = corpus() else { return };
    for rel in FILES {
        let s = scaled(&dir, rel, "counts");
        let (r, set, orig) = (&s.report, &s.set, &s.orig);
        assert!(
            r.spans >= SPANS && r.spans < SPANS + r.spans_per_copy,
            "{rel}: {r:?}"
        );
        assert_eq!(r.spans_per_copy, orig.spans.len() as u64, "{rel}");
        assert_eq!(r.traces_per_copy, orig.traces.len() as u64, "{rel}");
        assert_eq!(set.spans.len() as u64, r.spans, "{rel}: spans");
        assert_eq!(
            set.traces.len() as u64,
            r.copies * r.traces_per_copy,
            "{rel}: traces"
        );
        assert!(set.diagnostics.is_empty(), "{rel}: {:?}", set.diagnostics);
        // Fresh and unique: no span id of the input survives, none repeats.
        let scaled_ids = ids(set);
        let unique: HashSet<&String> = scaled_ids.iter().collect();
        assert_eq!(unique.len(), scaled_ids.len(), "{rel}: duplicate ids");
        let spans_in: HashSet<String> = (0..orig.spans.len())
            .map(|i| orig.span_id(SpanIx(i as u32)).to_string())
            .collect();
        let reused = (0..set.spans.len())
            .filter(|&i| spans_in.contains(set.span_id(SpanIx(i as u32))))
            .count();
        assert_eq!(reused, 0, "{rel}: input span ids reused");
        let traces_in: HashSet<&str> = (0..orig.traces.len())
            .map(|i| orig.str(orig.traces[i].id))
            .collect();
        assert!(
            set.traces
                .iter()
                .all(|t| !traces_in.contains(set.str(t.id))),
            "{rel}: input trace ids reused"
        );
        // Parents resolve within each copy: as many roots per copy as in the input, no orphans.
        let roots = |s: &TraceSet| s.spans.iter().filter(|sp| sp.parent().is_none()).count() as u64;
        assert_eq!(roots(set), roots(orig) * r.copies, "{rel}: roots");
        for t in &set.traces {
            assert_eq!(
                t.anomalies.orphans + t.anomalies.duplicate_ids + t.anomalies.cycles,
                0,
                "{rel}: {:?}",
                t.anomalies
            );
        }
        // Times: copy 0 keeps the input's, the last copy is (copies - 1) strides later.
        let first = |s: &TraceSet| s.spans.iter().map(|sp| sp.start_ns).min().unwrap();
        let last = |s: &TraceSet| s.spans.iter().map(|sp| sp.start_ns).max().unwrap();
        let stride_ns = r.stride_secs * 1_000_000_000;
        assert_eq!(first(set), first(orig), "{rel}: first start");
        assert_eq!(
            last(set),
            last(orig) + (r.copies as i64 - 1) * stride_ns,
            "{rel}: last start"
        );
        let _ = std::fs::remove_file(&s.out);
        let _ = &s.input;
    }
}

/// Two values with the same structure, where strings that differ keep their length and,
/// character by character, their class (hex digit, other letter or digit, or the same
/// punctuation), and numbers stay numbers of the same kind.
fn same_shape(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "keys at {at}"
            );
            for (k, v) in x {
                same_shape(v, &y[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "length at {at}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                same_shape(v, w, &format!("{at}[{i}]"));
            }
        }
        (Value::String(x), Value::String(y)) => {
            // JSON inside a string (MLflow attributes, the search_traces `trace` column).
            if let (Ok(p @ (Value::Object(_) | Value::Array(_) | Value::String(_))), Ok(q)) = (
                serde_json::from_str::<Value>(x),
                serde_json::from_str::<Value>(y),
            ) {
                return same_shape(&p, &q, &format!("{at}(json)"));
            }
            assert_eq!(x.len(), y.len(), "{at}: {x:?} vs {y:?}");
            // Hex digits may change into hex digits of the same case; nothing else changes.
            let class = |c: u8| match c {
                b'0'..=b'9' => 'h',
                b'a'..=b'f' => 'x',
                b'A'..=b'F' => 'X',
                c => c as char,
            };
            let same = |p: char, q: char| {
                p == q
                    || (p == 'h' && q != 'h' && "xX".contains(q))
                    || (q == 'h' && "xX".contains(p))
            };
            let (bx, by) = (base64_ids(x), base64_ids(y));
            for (i, (p, q)) in x.bytes().zip(y.bytes()).enumerate() {
                // Inside base64 ids any alphabet character may change; elsewhere hex stays
                // hex (in the same case) and everything else stays as it was.
                let ok = if bx[i] || by[i] {
                    bx[i] && by[i]
                } else {
                    same(class(p), class(q))
                };
                assert!(ok, "{at}: byte {i} of {x:?} vs {y:?}");
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            assert_eq!(
                (x.is_u64(), x.is_i64(), x.is_f64()),
                (y.is_u64(), y.is_i64(), y.is_f64()),
                "{at}"
            );
        }
        (x, y) => assert_eq!(x, y, "{at}"),
    }
}

#[test]
fn copies_keep_every_key_and_value_encoding() {
    let Some(dir) = corpus() else { return };
    for rel in FILES
        .iter()
        .filter(|f| !f.ends_with(".parquet") && !f.ends_with(".txt"))
    {
        let s = scaled(&dir, rel, "shape");
        let text = std::fs::read_to_string(&s.out).unwrap();
        let values: Vec<Value> = if text.starts_with('[') {
            serde_json::from_str::<Value>(&text)
                .unwrap()
                .as_array()
                .unwrap()
                .clone()
        } else {
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let per_copy = values.len() / s.report.copies as usize;
        assert_eq!(per_copy * s.report.copies as usize, values.len(), "{rel}");
        let last = values.len() - per_copy;
        for i in 0..per_copy {
            same_shape(&values[i], &values[last + i], rel);
            assert_ne!(values[i], values[last + i], "{rel}: copies identical");
        }
        // The MLflow 3 ids in their three forms: still base64 in spans, tr- + hex in info.
        if rel.contains("mlflow-3.17.2_trace_agent") {
            let v = &values[last];
            let span = &v["data"]["spans"][0];
            let tid = span["trace_id"].as_str().unwrap();
            assert!(tid.len() == 24 && tid.ends_with("=="), "{tid}");
            let hex: String = base64_hex(tid);
            assert_eq!(v["info"]["trace_id"], format!("tr-{hex}"));
            let attr = span["attributes"]["mlflow.traceRequestId"]
                .as_str()
                .unwrap();
            assert_eq!(attr, format!("\"tr-{hex}\""));
            // The CODE assessment targets a span by hex id: it still names a span of the copy.
            let targets: Vec<String> = v["data"]["spans"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| base64_hex(s["span_id"].as_str().unwrap()))
                .collect();
            let a = v["info"]["assessments"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|a| a["span_id"].as_str())
                .unwrap();
            assert!(targets.iter().any(|t| t == a), "{a} not in {targets:?}");
        }
        let _ = std::fs::remove_file(&s.out);
    }
}

/// Which bytes of `s` belong to a padded base64 id (11 or 22 alphabet characters, `=`/`==`).
fn base64_ids(s: &str) -> Vec<bool> {
    let b = s.as_bytes();
    let mut mask = vec![false; b.len()];
    let alpha = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|&&c| alpha(c)).count();
        let pad = b[i + run..].iter().take_while(|&&c| c == b'=').count();
        if (run, pad) == (11, 1) || (run, pad) == (22, 2) {
            mask[i..i + run + pad].fill(true);
        }
        i += run.max(1);
    }
    mask
}

fn base64_hex(b64: &str) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn scaled_parquet_keeps_schema_codec_and_cell_lengths() {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let Some(dir) = corpus() else { return };
    for rel in FILES.iter().filter(|f| f.ends_with(".parquet")) {
        let s = scaled(&dir, rel, "parquet");
        let open = |p: &Path| {
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(p).unwrap()).unwrap()
        };
        let (a, b) = (open(&s.input), open(&s.out));
        assert_eq!(a.schema(), b.schema(), "{rel}: schema");
        let codec =
            |m: &parquet::file::metadata::ParquetMetaData| m.row_group(0).column(0).compression();
        assert_eq!(codec(a.metadata()), codec(b.metadata()), "{rel}: codec");
        let rows_in: Vec<_> = a.build().unwrap().map(Result::unwrap).collect();
        let rows_out: Vec<_> = b.build().unwrap().map(Result::unwrap).collect();
        let n_in: usize = rows_in.iter().map(|b| b.num_rows()).sum();
        let n_out: usize = rows_out.iter().map(|b| b.num_rows()).sum();
        assert_eq!(n_out, n_in * s.report.copies as usize, "{rel}: rows");
        // Top-level string cells of the last copy have the input's lengths and nulls.
        let last = rows_out.last().unwrap();
        let first = rows_in.last().unwrap();
        for (c, col) in first.columns().iter().enumerate() {
            if let Some(x) = col.as_string_opt::<i32>() {
                let y = last.column(c).as_string::<i32>();
                for r in 0..x.len() {
                    assert_eq!(x.is_null(r), y.is_null(r), "{rel} col {c}");
                    assert_eq!(x.value(r).len(), y.value(r).len(), "{rel} col {c} row {r}");
                }
            }
        }
        let _ = std::fs::remove_file(&s.out);
    }
}
