//! Long parquet cells left in the file: every cell reads back exactly as when all text is
//! held in memory, across row groups, pages, dictionary and plain encodings and both data
//! page versions; search finds the same; a file changed after loading gives an error
//! text, not a panic.

use crate::common::*;
use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampNanosecondArray};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{WriterProperties, WriterVersion};
use spanlens::load::{self, LoadOptions};
use spanlens::model::{KEPT, SpanIx, TraceSet};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

const N: usize = 3_000;
const TRACE: &str = "5b8aa5a2d2c872e8321cf37308d69df2";
const START: i64 = 1_795_896_721_401_405_123;

/// What row `i` holds in `attributes.input.value`: nulls, short cells (held even when
/// their column is left in the file), a long value repeated on many rows (dictionary
/// friendly) and long unique ones with non-ASCII text.
fn input(i: usize) -> Option<String> {
    match i {
        _ if i.is_multiple_of(7) => None,
        _ if i.is_multiple_of(5) => Some(format!("short {i}")),
        _ if i.is_multiple_of(3) => Some("the same long prompt, 日本語 and émoji 🚀 ".repeat(8)),
        _ => Some(format!(
            "prompt {i}: {}",
            "weather in Paris, אביב, 🌧 ".repeat(4 + i % 20)
        )),
    }
}

fn output(i: usize) -> String {
    format!(
        "answer {i}: {}",
        "rate limit hit; retrying. ".repeat(6 + i % 9)
    )
}

fn batch() -> RecordBatch {
    let text = |v: Vec<Option<String>>| Arc::new(StringArray::from(v)) as ArrayRef;
    let ids: Vec<String> = (0..N).map(|i| format!("{:016x}", i + 1)).collect();
    let times = |d: i64| {
        let v: Vec<i64> = (0..N as i64).map(|i| START + i * 1000 + d).collect();
        Arc::new(TimestampNanosecondArray::from(v).with_timezone("UTC")) as ArrayRef
    };
    RecordBatch::try_from_iter(vec![
        (
            "name",
            text((0..N).map(|i| Some(format!("s{i}"))).collect()),
        ),
        ("span_kind", text(vec![Some("LLM".into()); N])),
        (
            "parent_id",
            text((0..N).map(|i| (i > 0).then(|| ids[0].clone())).collect()),
        ),
        ("start_time", times(0)),
        ("end_time", times(500)),
        ("status_code", text(vec![Some("OK".into()); N])),
        (
            "context.span_id",
            text(ids.iter().cloned().map(Some).collect()),
        ),
        ("context.trace_id", text(vec![Some(TRACE.into()); N])),
        ("attributes.input.value", text((0..N).map(input).collect())),
        (
            "attributes.output.value",
            text((0..N).map(|i| Some(output(i))).collect()),
        ),
    ])
    .unwrap()
}

/// The batch written with small row groups and pages, in one of the ways writers differ.
fn write(name: &str, dictionary: bool, version: WriterVersion) -> PathBuf {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(700))
        .set_write_batch_size(64)
        .set_data_page_row_count_limit(64)
        .set_dictionary_enabled(dictionary)
        .set_writer_version(version)
        .build();
    let mut buf = Vec::new();
    let b = batch();
    let mut w = ArrowWriter::try_new(&mut buf, b.schema(), Some(props)).unwrap();
    w.write(&b).unwrap();
    w.close().unwrap();
    temp_file(name, &buf)
}

fn load(path: &PathBuf, hold_text: bool) -> TraceSet {
    let opts = LoadOptions {
        hold_text,
        ..LoadOptions::default()
    };
    load::load(std::slice::from_ref(path), &opts, &|_| {}).unwrap()
}

/// Each span's attributes as text, by span name.
fn texts(set: &TraceSet) -> HashMap<String, Vec<(String, String)>> {
    (0..set.spans.len() as u32)
        .map(SpanIx)
        .map(|ix| {
            let attrs = set.attrs_of(ix);
            let attrs = attrs.map(|(k, t)| (k.to_owned(), set.sources.text(t)));
            (set.span_name(ix).to_owned(), attrs.collect())
        })
        .collect()
}

fn kept_refs(set: &TraceSet) -> usize {
    set.attrs.iter().filter(|a| a.off & KEPT != 0).count()
}

#[test]
fn long_cells_read_back_from_the_file_as_written() {
    let ways = [
        (true, WriterVersion::PARQUET_1_0),
        (false, WriterVersion::PARQUET_1_0),
        (true, WriterVersion::PARQUET_2_0),
        (false, WriterVersion::PARQUET_2_0),
    ];
    for (n, (dictionary, version)) in ways.into_iter().enumerate() {
        let path = write(&format!("cells{n}.parquet"), dictionary, version);
        let (kept, held) = (load(&path, false), load(&path, true));
        let way = format!("dictionary {dictionary}, {version:?}");
        assert_eq!(kept.total_spans(), N, "{way}");
        assert!(
            kept_refs(&kept) > N,
            "{way}: long cells are left in the file"
        );
        assert_eq!(kept_refs(&held), 0, "{way}");
        let (kept, held) = (texts(&kept), texts(&held));
        assert_eq!(kept, held, "{way}");
        for i in 0..N {
            let attrs: HashMap<_, _> = kept[&format!("s{i}")].iter().cloned().collect();
            assert_eq!(
                attrs.get("input.value"),
                input(i).as_ref(),
                "{way}, row {i}"
            );
            assert_eq!(
                attrs.get("output.value"),
                Some(&output(i)),
                "{way}, row {i}"
            );
        }
    }
}

#[test]
fn search_finds_the_same_in_cells_left_in_the_file() {
    let path = write("search.parquet", true, WriterVersion::PARQUET_1_0);
    let path = path.to_str().unwrap();
    for query in [
        "'émoji 🚀",
        "re:prompt 2[0-9]+1:",
        "paris weather",
        "out:retrying",
    ] {
        let args = ["search", "--json", query, path];
        let kept = run_spanlens(&args, &[]);
        let held = run_spanlens(&args, &[("SPANLENS_PARQUET_HOLD", "1")]);
        assert!(kept.status.success(), "{query}");
        let text = String::from_utf8_lossy(&kept.stdout).into_owned();
        assert!(text.matches("\"span_id\"").count() > 3, "{query}: {text}");
        assert_eq!(text, String::from_utf8_lossy(&held.stdout), "{query}");
    }
}

#[test]
fn a_file_cut_short_after_loading_reads_as_an_error() {
    let path = write("cut.parquet", false, WriterVersion::PARQUET_1_0);
    let set = load(&path, false);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let cut = (0..set.spans.len() as u32).map(SpanIx).flat_map(|ix| {
        let attrs: Vec<_> = set.attrs_of(ix).map(|(_, t)| t).collect();
        attrs.into_iter().filter(|t| t.off & KEPT != 0)
    });
    let unreadable = cut
        .map(|t| set.sources.text(t))
        .filter(|t| t.starts_with("<unreadable"));
    assert!(unreadable.count() > N / 2);
}

/// One long value on every row is a tiny column once dictionary-encoded; its size in the
/// footer's statistics still says its cells are long, so they are left in the file.
#[test]
fn a_long_value_repeated_on_every_row_is_left_in_the_file() {
    let n = 2_000;
    let text = |f: &dyn Fn(usize) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values((0..n).map(f)))
    };
    let starts: Vec<i64> = (0..n as i64).map(|i| START + i * 1000).collect();
    let long = "the same system prompt, 日本語 🚀 ".repeat(12);
    let b = RecordBatch::try_from_iter(vec![
        ("name", text(&|i| format!("s{i}"))),
        ("span_kind", text(&|_| "LLM".into())),
        (
            "start_time",
            Arc::new(TimestampNanosecondArray::from(starts).with_timezone("UTC")) as ArrayRef,
        ),
        ("context.span_id", text(&|i| format!("{:016x}", i + 1))),
        ("context.trace_id", text(&|_| TRACE.into())),
        ("attributes.input.value", text(&|_| long.clone())),
    ])
    .unwrap();
    let props = WriterProperties::builder()
        .set_dictionary_enabled(true)
        .build();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, b.schema(), Some(props)).unwrap();
    w.write(&b).unwrap();
    w.close().unwrap();
    let path = temp_file("repeated.parquet", &buf);
    let (kept, held) = (load(&path, false), load(&path, true));
    assert_eq!(
        kept_refs(&kept),
        n,
        "every input.value cell is left in the file"
    );
    assert_eq!(texts(&kept), texts(&held));
    // Held, every row's copy of the value is in memory; left in the file, none is.
    let (k, h) = (kept.sources.memory_bytes(), held.sources.memory_bytes());
    assert!(h >= k + n * long.len(), "held {h} bytes, kept {k}");
}
