//! Tests: Phoenix spans batches read column by column (`columns`) give the spans that the
//! JSON records path gives for the same rows, field by field and value by value.

use super::{columns, load_records};
use crate::load::Sink;
use crate::load::format::Format;
use crate::model::text::{decode_text, decode_value};
use crate::model::{IdRef, Sym, TextRef};
use arrow_array::builder::{ListBuilder, StringBuilder, StringDictionaryBuilder, StructBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch,
    StringArray, StringViewArray, StructArray, TimestampMicrosecondArray,
    TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Fields};
use serde_json::Value;
use std::sync::Arc;

/// A span with every reference resolved, so spans of two batches compare.
#[derive(Debug, PartialEq)]
pub(super) struct Seen {
    seq: u64,
    ids: [String; 3],
    name: String,
    kind: String,
    times: (i64, Option<i64>),
    status: String,
    model_tool: (String, String),
    usage: String,
    texts: Vec<Option<(String, Value)>>,
    attrs: Vec<(String, String, Value)>,
}

pub(super) fn seen(sink: &Sink) -> Vec<Seen> {
    let b = &sink.batch;
    let sym = |s: Sym| b.syms.get(s).to_owned();
    let id = |r: IdRef| String::from_utf8_lossy(&b.ids[r.off as usize..][..r.len as usize]).into();
    let bytes = |t: TextRef| &sink.arena[t.off as usize..][..t.len as usize];
    let text = |t: Option<TextRef>| {
        t.map(|t| (decode_text(bytes(t), t.enc), decode_value(bytes(t), t.enc)))
    };
    b.spans
        .iter()
        .map(|s| Seen {
            seq: s.seq,
            ids: [sym(s.trace_id), id(s.span_id), id(s.parent_id)],
            name: sym(s.name),
            kind: format!("{:?}", s.kind),
            times: (s.start_ns, s.end_ns()),
            status: format!("{:?}", s.status),
            model_tool: (sym(s.model), sym(s.tool)),
            usage: format!("{:?} {:?}", s.tokens, s.cost()),
            texts: [s.status_msg, s.input, s.output, s.events]
                .into_iter()
                .map(text)
                .collect(),
            attrs: b.attrs[s.attr_range()]
                .iter()
                .map(|a| {
                    let t = TextRef::new(s.src, a.off, a.len as usize, s.attr_enc);
                    let (shown, value) = text(Some(t)).unwrap();
                    (sym(a.key), shown, value)
                })
                .collect(),
        })
        .collect()
}

/// Loads `batch` both ways and asserts the spans and diagnostics agree.
fn assert_same(batch: &RecordBatch, first_row: u64) -> Vec<Seen> {
    let mut json = Sink {
        src: 2,
        ..Sink::default()
    };
    load_records(
        &mut json,
        (Format::PhoenixSpans, "t"),
        batch,
        first_row,
        None,
    );
    let mut cols = Sink {
        src: 2,
        ..Sink::default()
    };
    columns::load_batch(&mut cols, "t", batch, first_row, None);
    let (want, got) = (seen(&json), seen(&cols));
    assert_eq!(want.len(), batch.num_rows(), "no row dropped");
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w, g);
    }
    assert_eq!(want.len(), got.len());
    assert_eq!(json.batch.diagnostics, cols.batch.diagnostics);
    got
}

/// One struct of a `list<struct<a, b>>` cell.
type Pair<'a> = (&'a str, Option<&'a str>);

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
            let second = s.field_builder::<StringBuilder>(1).unwrap();
            second.append_option(*y);
            s.append(true);
        }
        b.append(row.is_some());
    }
    Arc::new(b.finish())
}

fn utf8(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

/// Three rows with the column types pandas and pyarrow write, and a few they might.
fn mixed_batch() -> RecordBatch {
    let mut kind = StringDictionaryBuilder::<Int32Type>::new();
    kind.append_value("LLM");
    kind.append_value("TOOL");
    kind.append_null();
    let start = TimestampMillisecondArray::from(vec![Some(1_795_896_721_401), None, Some(5)])
        .with_timezone("+02:00");
    let naive = TimestampMicrosecondArray::from(vec![Some(1_795_896_721_401_405), None, None]);
    let spread = StructArray::from(vec![
        (
            Arc::new(Field::new("llm.model_name", DataType::Utf8, true)),
            utf8(&[Some("gpt-4o"), None, Some("claude")]),
        ),
        (
            Arc::new(Field::new("a", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![Some(1), Some(2), None])) as ArrayRef,
        ),
    ]);
    let messages = [
        Some(vec![("user", Some("héllo \"x\"")), ("assistant", None)]),
        None,
        Some(vec![]),
    ];
    let cols: Vec<(&str, ArrayRef)> = vec![
        (
            "name",
            utf8(&[Some("chat \"x\" café"), Some("tool\\x"), None]),
        ),
        ("span_kind", Arc::new(kind.finish())),
        (
            "parent_id",
            utf8(&[None, Some("ab08e1b010e9a8fe"), Some("")]),
        ),
        ("start_time", Arc::new(start)),
        (
            "end_time",
            Arc::new(Int64Array::from(vec![
                Some(1_795_896_721_500),
                None,
                Some(9),
            ])),
        ),
        ("status_code", utf8(&[Some("ERROR"), Some("OK"), None])),
        (
            "status_message",
            utf8(&[Some("boom \"bad\""), Some(""), None]),
        ),
        (
            "events",
            list_of_structs(
                ["name", "timestamp"],
                &[Some(vec![("exception", Some("t"))]), Some(vec![]), None],
            ),
        ),
        (
            "context.span_id",
            utf8(&[Some("139bfb22935b53ff"), Some("ab08e1b010e9a8fe"), None]),
        ),
        (
            "context.trace_id",
            utf8(&[Some("a81e4560743c64745de3d766f31b8fcc"), None, None]),
        ),
        ("trace_id", utf8(&[Some("other"), Some("fallback"), None])),
        (
            "attributes.input.value",
            Arc::new(LargeStringArray::from(vec![
                Some(r#"{"q": "say \"hi\" \\ café"}"#),
                Some("a \\ b\nc"),
                None,
            ])),
        ),
        (
            "attributes.output.value",
            Arc::new(StringViewArray::from(vec![
                Some("[1, 2]"),
                Some("42"),
                Some(""),
            ])),
        ),
        (
            "attributes.llm.token_count.prompt",
            Arc::new(Float64Array::from(vec![97.0, f64::NAN, 3.5])),
        ),
        (
            "attributes.llm.token_count.completion",
            Arc::new(Int32Array::from(vec![Some(5), None, Some(7)])),
        ),
        (
            "attributes.flag",
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
        ),
        (
            "attributes.llm.input_messages",
            list_of_structs(["message.role", "message.content"], &messages),
        ),
        ("attributes.when", Arc::new(naive)),
        ("attributes", Arc::new(spread)),
        (
            "__index_level_0__",
            utf8(&[Some("x"), Some("y"), Some("z")]),
        ),
        (
            "user_col",
            Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])),
        ),
    ];
    RecordBatch::try_from_iter(cols).unwrap()
}

/// Times written as text and numbers, naive timestamps, numeric ids, a missing start.
fn text_times_batch() -> RecordBatch {
    let naive = TimestampMicrosecondArray::from(vec![Some(1_795_896_721_401_405), None, Some(0)]);
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("name", utf8(&[Some("a"), Some("b"), Some("c")])),
        (
            "start_time",
            utf8(&[
                Some("2026-11-28T20:12:01.401405+00:00"),
                Some("not a time"),
                Some("1795896721401"),
            ]),
        ),
        ("end_time", Arc::new(naive)),
        (
            "context.span_id",
            Arc::new(Int64Array::from(vec![Some(12), Some(13), None])),
        ),
        (
            "context.trace_id",
            Arc::new(Int64Array::from(vec![Some(7), Some(7), Some(8)])),
        ),
        (
            "status_message",
            Arc::new(Int64Array::from(vec![Some(3), None, None])),
        ),
        (
            "events",
            utf8(&[Some("[]"), Some("[{\"name\": \"e\"}]"), None]),
        ),
    ];
    RecordBatch::try_from_iter(cols).unwrap()
}

#[test]
fn mixed_types_load_the_same_both_ways() {
    let got = assert_same(&mixed_batch(), 10);
    // The comparison would pass if both paths lost everything: check a few values.
    assert_eq!(got[0].name, "chat \"x\" café");
    assert_eq!(got[0].kind, "Llm");
    assert!(got[0].attrs.iter().any(|a| a.0 == "llm.model_name"));
    assert!(got[0].attrs.iter().any(|a| a.0 == "user_col"));
    assert!(got[0].attrs.iter().all(|a| !a.0.starts_with("__index")));
    assert_eq!(got[1].ids[0], "fallback");
    let input = got[0].texts[1].as_ref().unwrap();
    assert_eq!(input.1["q"], "say \"hi\" \\ café");
    assert_eq!(got[0].seq, 11 << 24);
}

#[test]
fn times_as_text_and_numbers_load_the_same_both_ways() {
    let got = assert_same(&text_times_batch(), 0);
    assert_eq!(got[0].times.0, 1_795_896_721_401_405_000);
    assert_eq!(got[2].times.0, 1_795_896_721_401_000_000);
}

/// Every batch of parquet `bytes`, `rows` rows at a time.
pub(super) fn batches(bytes: Vec<u8>, rows: usize) -> Vec<RecordBatch> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .unwrap()
        .with_batch_size(rows)
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A real export (pandas + pyarrow) from the shared corpus, when it is there.
#[test]
fn a_real_phoenix_export_loads_the_same_both_ways() {
    let name = "generated/openinference-phoenix/phoenix_spans_dataframe.parquet";
    let Some(bytes) = super::trace_vs_records::corpus_file(name) else {
        return;
    };
    let mut rows = 0;
    for batch in batches(bytes, 4) {
        let got = assert_same(&batch, rows);
        assert!(got.iter().all(|s| !s.attrs.is_empty()));
        rows += batch.num_rows() as u64;
    }
    assert_eq!(rows, 10);
}

#[test]
fn generated_spans_load_the_same_both_ways() {
    use spanlens_synth::{GenFormat, GenOptions, generate};
    let opts = GenOptions {
        spans: 2000,
        format: GenFormat::Parquet,
        ..GenOptions::default()
    };
    let mut bytes = Vec::new();
    generate(&opts, &mut bytes).expect("generate");
    let mut rows = 0;
    for batch in batches(bytes, 700) {
        let got = assert_same(&batch, rows);
        assert!(
            got.iter()
                .any(|s| !s.usage.starts_with("Tokens { input: None"))
        );
        rows += batch.num_rows() as u64;
    }
    assert!(rows >= 2000);
}
