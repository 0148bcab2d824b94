//! Tests: a parquet load holds a bounded number of decoded record batches, however many
//! row groups and batches the file has (counted, not timed).

use super::live::MOST;
use super::{BATCH_ROWS, GROUP, load};
use crate::load::LoadOptions;
use crate::load::input::Input;
use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

/// A Phoenix spans table of `rows` root spans, in row groups of `group` rows.
fn phoenix_file(rows: usize, group: usize) -> Vec<u8> {
    let text = |f: &dyn Fn(usize) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values((0..rows).map(f)))
    };
    let start = TimestampMicrosecondArray::from_iter_values(
        (0..rows as i64).map(|i| 1_795_896_721_000_000 + i),
    );
    let batch = RecordBatch::try_from_iter(vec![
        ("name", text(&|i| format!("span {i}"))),
        ("span_kind", text(&|_| "LLM".into())),
        ("start_time", Arc::new(start) as ArrayRef),
        ("context.span_id", text(&|i| format!("{i:016x}"))),
        ("context.trace_id", text(&|i| format!("{i:032x}"))),
    ])
    .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

#[test]
fn decoded_batches_are_dropped_as_their_rows_are_loaded() {
    let rows = 24 * BATCH_ROWS;
    let bytes = phoenix_file(rows, 3 * BATCH_ROWS);
    let input = Input::Memory {
        path: "many.parquet".into(),
        bytes: Arc::new(bytes),
        compression: None,
        cut: None,
    };
    let load = load(&input, &LoadOptions::default(), &|_| {}).unwrap();
    let spans: usize = load.batches.iter().map(|b| b.spans.len()).sum();
    assert_eq!(spans, rows);
    // 24 batches in 8 row groups; held at once: a group being loaded, as many waiting in
    // the channel, and the one being decoded.
    let most = MOST.get();
    assert!(
        (1..=2 * GROUP + 1).contains(&most),
        "held {most} batches at once"
    );
}
