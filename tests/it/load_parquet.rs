//! Parquet loader: flavour detection from columns, arrow types to JSON records (ns
//! timestamps with a zone, large strings, lists of structs with union keys, NaN), record
//! batches, compression, and damaged files. Fixtures are written here with `ArrowWriter`.

use crate::common::*;
use arrow_array::builder::{ListBuilder, StringBuilder, StructBuilder};
use arrow_array::{
    ArrayRef, Float64Array, Int64Array, LargeStringArray, RecordBatch, StringArray, StructArray,
    TimestampNanosecondArray,
};
use arrow_schema::{DataType, Field, Fields};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::json;
use spanlens::load::{self, Format, LoadOptions};
use spanlens::model::{SpanKind, Status, TraceIx};
use std::path::PathBuf;
use std::sync::Arc;

const TRACE: &str = "a81e4560743c64745de3d766f31b8fcc";
const ROOT_START: i64 = 1_795_896_721_401_405_123;

fn parquet_bytes(batch: &RecordBatch, compression: Compression) -> Vec<u8> {
    let props = WriterProperties::builder()
        .set_compression(compression)
        .build();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    buf
}

fn write_parquet(name: &str, batch: &RecordBatch, compression: Compression) -> PathBuf {
    temp_file(name, &parquet_bytes(batch, compression))
}

fn strings(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

fn large(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(LargeStringArray::from(v.to_vec()))
}

/// One struct of a `list<struct<a, b>>` cell: `a` and a nullable `b`.
type Pair<'a> = (&'a str, Option<&'a str>);

/// `list<struct<a, b>>` of (a, b) string pairs per row; `None` is a null list.
fn list_of_structs(names: [&str; 2], rows: &[Option<Vec<Pair>>]) -> ArrayRef {
    let fields = Fields::from(vec![
        Field::new(names[0], DataType::Utf8, true),
        Field::new(names[1], DataType::Utf8, true),
    ]);
    let mut b = ListBuilder::new(StructBuilder::from_fields(fields, 0));
    for row in rows {
        for (x, y) in row.iter().flatten() {
            let s = b.values();
            s.field_builder::<StringBuilder>(0).unwrap().append_value(x);
            s.field_builder::<StringBuilder>(1)
                .unwrap()
                .append_option(*y);
            s.append(true);
        }
        b.append(row.is_some());
    }
    Arc::new(b.finish())
}

/// Two Phoenix DataFrame rows (child first) as pandas + pyarrow write them.
fn phoenix_batch(child_start: Option<i64>) -> RecordBatch {
    let ts = |v: Vec<Option<i64>>| -> ArrayRef {
        Arc::new(TimestampNanosecondArray::from(v).with_timezone("UTC"))
    };
    let metadata = StructArray::from(vec![(
        Arc::new(Field::new("env", DataType::Utf8, true)),
        strings(&[Some("test"), None]),
    )]);
    RecordBatch::try_from_iter(vec![
        (
            "name",
            large(&[Some("ChatCompletion"), Some("weather_agent")]),
        ),
        ("span_kind", large(&[Some("LLM"), Some("AGENT")])),
        ("parent_id", large(&[Some("139bfb22935b53ff"), None])),
        ("start_time", ts(vec![child_start, Some(ROOT_START)])),
        (
            "end_time",
            ts(vec![
                Some(ROOT_START + 2_000_000),
                Some(ROOT_START + 27_958_000),
            ]),
        ),
        ("status_code", large(&[Some("ERROR"), Some("OK")])),
        ("status_message", large(&[Some("rate limited"), Some("")])),
        (
            "events",
            list_of_structs(
                ["name", "timestamp"],
                &[
                    Some(vec![(
                        "exception",
                        Some("2026-11-28T20:12:01.411373+00:00"),
                    )]),
                    Some(vec![]),
                ],
            ),
        ),
        (
            "context.span_id",
            large(&[Some("ab08e1b010e9a8fe"), Some("139bfb22935b53ff")]),
        ),
        ("context.trace_id", large(&[Some(TRACE), Some(TRACE)])),
        (
            "attributes.llm.token_count.prompt",
            Arc::new(Float64Array::from(vec![97.0, f64::NAN])) as ArrayRef,
        ),
        (
            "attributes.llm.input_messages",
            list_of_structs(
                ["message.role", "message.content"],
                &[
                    Some(vec![("user", Some("And tomorrow?")), ("assistant", None)]),
                    None,
                ],
            ),
        ),
        (
            "attributes.input.value",
            large(&[Some(r#"{"model": "gpt-4o-mini"}"#), Some("And tomorrow?")]),
        ),
        ("attributes.metadata", Arc::new(metadata) as ArrayRef),
        (
            "__index_level_0__",
            large(&[Some("ab08e1b010e9a8fe"), Some("139bfb22935b53ff")]),
        ),
    ])
    .unwrap()
}

#[test]
fn phoenix_spans_parquet_loads_like_its_json_records() {
    let path = write_parquet(
        "spans.parquet",
        &phoenix_batch(Some(ROOT_START + 1)),
        Compression::SNAPPY,
    );
    let set = load_paths(&[path]);
    assert_eq!(set.files[0].format, "phoenix-spans (parquet)");
    assert_eq!(set.traces.len(), 1);
    assert_eq!(set.trace_id(TraceIx(0)), TRACE);
    let root = span_named(&set, "weather_agent");
    let chat = span_named(&set, "ChatCompletion");
    let s = set.span(chat);
    assert_eq!(s.parent(), Some(root));
    assert_eq!(set.span(root).start_ns, ROOT_START, "ns precision survives");
    assert_eq!(s.start_ns, ROOT_START + 1);
    assert_eq!(set.span(root).kind, SpanKind::Agent);
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.status, Status::Error);
    assert_eq!(set.sources.text(s.status_msg.unwrap()), "rate limited");
    assert_eq!(s.tokens.input(), Some(97));
    assert_eq!(set.span(root).tokens.input(), None, "NaN is no value");
    assert_eq!(
        set.attr_value(chat, "llm.input_messages"),
        Some(json!([
            {"message.role": "user", "message.content": "And tomorrow?"},
            {"message.role": "assistant"}
        ])),
        "null struct fields are left out"
    );
    assert_eq!(
        set.attr_value(chat, "metadata"),
        Some(json!({"env": "test"}))
    );
    assert_eq!(set.attr_value(root, "metadata"), Some(json!({})));
    assert_eq!(set.attr_value(root, "llm.input_messages"), None);
    assert!(set.attrs_of(chat).all(|(k, _)| !k.starts_with("__index")));
    // Payloads point into the arena, at the right bytes.
    assert_eq!(
        set.sources.value(s.input.unwrap()),
        json!({"model": "gpt-4o-mini"})
    );
    assert_eq!(
        set.sources.text(set.span(root).input.unwrap()),
        "And tomorrow?"
    );
    let events = set.sources.value(s.events.unwrap());
    assert_eq!(events[0]["name"], "exception");
    assert_eq!(set.span(root).events, None);
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
}

#[test]
fn a_row_problem_is_reported_by_record_number() {
    let path = write_parquet(
        "nostart.parquet",
        &phoenix_batch(None),
        Compression::UNCOMPRESSED,
    );
    let set = load_paths(&[path]);
    assert_eq!(set.total_spans(), 2, "the span is kept");
    let w = warnings(&set);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("nostart.parquet: record 1: span has no valid start time"),
        "{w:?}"
    );
}

#[test]
fn many_rows_are_read_across_record_batches() {
    const N: usize = 20_000;
    let ids: Vec<String> = (0..N).map(|i| format!("{:016x}", i + 1)).collect();
    let names: Vec<String> = (0..N).map(|i| format!("s{i}")).collect();
    let parents: Vec<Option<&str>> = (0..N).map(|i| (i > 0).then_some(ids[0].as_str())).collect();
    let starts: Vec<i64> = (0..N as i64).map(|i| ROOT_START + i).collect();
    let batch = RecordBatch::try_from_iter(vec![
        (
            "name",
            Arc::new(StringArray::from_iter_values(&names)) as ArrayRef,
        ),
        (
            "span_kind",
            Arc::new(StringArray::from_iter_values((0..N).map(|_| "TOOL"))),
        ),
        ("parent_id", strings(&parents)),
        (
            "start_time",
            Arc::new(TimestampNanosecondArray::from(starts).with_timezone("UTC")),
        ),
        (
            "context.span_id",
            Arc::new(StringArray::from_iter_values(&ids)),
        ),
        (
            "context.trace_id",
            Arc::new(StringArray::from_iter_values((0..N).map(|_| TRACE))),
        ),
    ])
    .unwrap();
    let path = write_parquet(
        "many.parquet",
        &batch,
        Compression::ZSTD(ZstdLevel::default()),
    );
    let set = load_paths(&[path]);
    assert_eq!(set.total_spans(), N);
    assert_eq!(set.traces[0].roots, 1);
    let last = span_named(&set, &format!("s{}", N - 1));
    assert_eq!(set.span(last).start_ns, ROOT_START + N as i64 - 1);
    assert_eq!(set.span(last).parent(), Some(span_named(&set, "s0")));
    assert!(warnings(&set).is_empty(), "{:?}", warnings(&set));
}

#[test]
fn annotation_parquet_attaches_to_span_parquet() {
    let spans = write_parquet(
        "spans.parquet",
        &phoenix_batch(Some(ROOT_START)),
        Compression::SNAPPY,
    );
    let batch = RecordBatch::try_from_iter(vec![
        ("annotation_name", large(&[Some("relevance")])),
        ("annotator_kind", large(&[Some("LLM")])),
        ("result.label", large(&[Some("relevant")])),
        (
            "result.score",
            Arc::new(Float64Array::from(vec![0.8])) as ArrayRef,
        ),
        ("result.explanation", large(&[None])),
        ("span_id", large(&[Some("ab08e1b010e9a8fe")])),
    ])
    .unwrap();
    let ann = write_parquet(
        "ann.parquet",
        &batch,
        Compression::ZSTD(ZstdLevel::default()),
    );
    let set = load_paths(&[spans, ann]);
    assert_eq!(set.files[1].format, "phoenix-annotations (parquet)");
    let chat = span_named(&set, "ChatCompletion");
    let a: Vec<_> = set.assessments_for(TraceIx(0), Some(chat)).collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].value, json!({"label": "relevant", "score": 0.8}));
    assert_eq!(a[0].rationale, None);
}

#[test]
fn mlflow_parquet_reads_the_trace_column() {
    let trace = json!({
        "info": {"trace_id": "tr-6a3f41574ac34e50b5cecd2fa2c8ca6f", "state": "ERROR", "request_time": "2026-11-28T20:07:19.442Z"},
        "data": {"spans": [{
            "trace_id": "aj9BV0rDTlC1zs0vosjKbw==", "span_id": "AAAAAAAAAAE=", "parent_span_id": null,
            "name": "failing_pipeline", "start_time_unix_nano": "1795896439442894336",
            "end_time_unix_nano": "1795896439443000000", "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
            "attributes": {"mlflow.spanType": "\"CHAIN\"", "mlflow.spanInputs": "{\"q\": \"hi\"}"}
        }]}
    })
    .to_string();
    let batch = RecordBatch::try_from_iter(vec![
        (
            "trace_id",
            large(&[Some("tr-6a3f41574ac34e50b5cecd2fa2c8ca6f")]),
        ),
        ("trace", large(&[Some(&trace)])),
        ("state", large(&[Some("ERROR")])),
        (
            "request_time",
            Arc::new(Int64Array::from(vec![1_795_896_439_442i64])) as ArrayRef,
        ),
        (
            "spans",
            list_of_structs(["name", "span_id"], &[Some(vec![("x", None)])]),
        ),
    ])
    .unwrap();
    let path = write_parquet("traces.parquet", &batch, Compression::SNAPPY);
    let set = load_paths(&[path]);
    assert_eq!(set.files[0].format, "mlflow-search-traces (parquet)");
    assert_eq!(set.trace_id(TraceIx(0)), "6a3f41574ac34e50b5cecd2fa2c8ca6f");
    let s = set.span(span_named(&set, "failing_pipeline"));
    assert_eq!(s.status, Status::Error);
    assert_eq!(s.kind, SpanKind::Chain);
    assert_eq!(set.sources.value(s.input.unwrap()), json!({"q": "hi"}));
}

#[test]
fn gzip_compressed_parquet_is_read_through_its_decompressed_copy() {
    use std::io::Write;
    let bytes = parquet_bytes(&phoenix_batch(Some(ROOT_START)), Compression::SNAPPY);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let set = load_text("spans.parquet.gz", &gz.finish().unwrap());
    assert_eq!(set.files[0].format, "phoenix-spans (parquet, gzip)");
    assert_eq!(set.total_spans(), 2);
    let chat = set.span(span_named(&set, "ChatCompletion"));
    assert_eq!(
        set.sources.value(chat.input.unwrap()),
        json!({"model": "gpt-4o-mini"})
    );
}

fn load_err(path: PathBuf, opts: &LoadOptions) -> String {
    match load::load(&[path], opts, &|_| {}) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_columns_are_named_and_format_overrides_detection() {
    let batch = RecordBatch::try_from_iter(vec![
        ("context.trace", large(&[Some(TRACE)])),
        ("label", large(&[Some("x")])),
    ])
    .unwrap();
    let path = write_parquet("other.parquet", &batch, Compression::SNAPPY);
    let msg = load_err(path.clone(), &LoadOptions::default());
    assert!(msg.contains("columns: context.trace, label"), "{msg}");
    let forced = LoadOptions {
        format: Some(Format::PhoenixSpans),
        ..LoadOptions::default()
    };
    let set = load::load(&[path], &forced, &|_| {}).unwrap();
    assert_eq!(set.files[0].format, "phoenix-spans (parquet)");
    assert_eq!(set.total_spans(), 1);
}

#[test]
fn a_damaged_parquet_file_is_an_error_naming_parquet() {
    let mut bytes = parquet_bytes(&phoenix_batch(Some(ROOT_START)), Compression::SNAPPY);
    let n = bytes.len();
    bytes[n - 12..n - 4].fill(0xff); // the footer length and part of the metadata
    let msg = load_err(temp_file("bad.parquet", &bytes), &LoadOptions::default());
    assert!(
        msg.contains("bad.parquet") && msg.contains("parquet"),
        "{msg}"
    );
    let msg = load_err(temp_file("tiny.parquet", b"PAR1"), &LoadOptions::default());
    assert!(msg.contains("not a readable parquet file"), "{msg}");
}

#[test]
fn corpus_parquet_files_match_their_json_records() {
    let Some(c) = corpus() else { return };
    let pairs = [
        "generated/openinference-phoenix/phoenix_spans_dataframe",
        "generated/openinference-phoenix/phoenix_span_annotations",
        "generated/mlflow-v3/mlflow-3.17.2_search_traces",
        "generated/mlflow-v2/mlflow-2.22.5_search_traces",
    ];
    for stem in pairs {
        let pq = load_paths(&[c.join(format!("{stem}.parquet"))]);
        let js = load_paths(&[c.join(format!("{stem}.records.json"))]);
        let shape = |s: &spanlens::model::TraceSet| {
            (
                s.traces.len(),
                s.total_spans(),
                s.total_errors(),
                s.assessments.len(),
            )
        };
        assert_eq!(shape(&pq), shape(&js), "{stem}");
        assert!(pq.diagnostics.is_empty(), "{stem}: {:?}", warnings(&pq));
    }
}

#[test]
fn an_empty_parquet_file_loads_nothing_and_says_so() {
    // Nothing loaded is an error (exit 2), with the file's own warning and the reason.
    let batch = phoenix_batch(Some(ROOT_START)).slice(0, 0);
    let path = write_parquet("empty.parquet", &batch, Compression::SNAPPY);
    let e = spanlens::load::load(&[path], &Default::default(), &|_| {})
        .expect_err("nothing loads")
        .to_string();
    assert!(
        e.contains("empty.parquet: the parquet file has no rows")
            && e.contains("no spans loaded (read as phoenix-spans (parquet)"),
        "{e}"
    );
}

#[test]
fn corpus_annotation_parquet_attaches_to_the_corpus_spans() {
    let Some(c) = corpus() else { return };
    let dir = c.join("generated/openinference-phoenix");
    let set = load_paths(&[
        dir.join("phoenix_spans_dataframe.parquet"),
        dir.join("phoenix_span_annotations.parquet"),
    ]);
    let t = set.find_trace("593ef2a8242fae052769fb7d1e7e6032").unwrap();
    let root = set.find_span(t, "35306b8a1f24fa66").unwrap();
    let mut names: Vec<&str> = set
        .assessments_for(t, Some(root))
        .map(|a| a.name.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["helpfulness", "relevance"]);
}

/// MLflow `search_traces` saved as parquet: each span's text stays in its row's `trace`
/// cell in the file and is decoded when read. Every span reads as it does with all text
/// held in memory (`hold_text`), for generated traces (several pages, two row groups) and
/// the corpus exports, and the held text is gone.
#[test]
fn mlflow_trace_cells_left_in_the_file_read_as_held_ones() {
    let text = String::from_utf8(generated(3_000, spanlens_synth::GenFormat::Mlflow)).unwrap();
    let docs: Vec<&str> = text.lines().collect();
    let ids: Vec<String> = (0..docs.len()).map(|i| format!("tr-{i:032x}")).collect();
    let batch = RecordBatch::try_from_iter([
        (
            "trace_id",
            strings(&ids.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>()),
        ),
        (
            "trace",
            large(&docs.iter().map(|d| Some(*d)).collect::<Vec<_>>()),
        ),
        (
            "request_time",
            Arc::new(Int64Array::from(vec![0i64; docs.len()])) as ArrayRef,
        ),
    ])
    .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(docs.len() / 2 + 1))
        .set_data_page_size_limit(64 << 10)
        .build();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let mut files = vec![temp_file("gen.search_traces.parquet", &buf)];
    if let Some(c) = corpus() {
        files.push(c.join("generated/mlflow-v3/mlflow-3.17.2_search_traces.parquet"));
        files.push(c.join("generated/mlflow-v2/mlflow-2.22.5_search_traces.parquet"));
    }
    for path in files {
        let load = |hold_text| {
            let opts = LoadOptions {
                hold_text,
                ..Default::default()
            };
            load::load(std::slice::from_ref(&path), &opts, &|_| {}).unwrap()
        };
        let (kept, held) = (load(false), load(true));
        assert!(kept.diagnostics.is_empty(), "{:?}", warnings(&kept));
        let (a, b) = (
            crate::load_mlflow::span_view(&kept),
            crate::load_mlflow::span_view(&held),
        );
        assert_eq!(a.len(), b.len(), "{}", path.display());
        for (a, b) in a.iter().zip(&b) {
            assert!(a == b, "{}: {a:.300} against {b:.300}", path.display());
        }
        for ix in (0..kept.spans.len() as u32).map(spanlens::model::SpanIx) {
            let detail = |set| spanlens::model::detail::span_json(set, ix);
            assert!(
                detail(&kept) == detail(&held),
                "{}: span {}",
                path.display(),
                ix.0
            );
        }
        let (k, h) = (kept.sources.memory_bytes(), held.sources.memory_bytes());
        assert!(
            k * 10 < h,
            "{}: {k} bytes held, against {h}",
            path.display()
        );
    }
}
