//! Tests: MLflow `search_traces` rows loaded from their `trace` cell (`load_records`) give
//! the spans, trace infos, assessments and messages that the JSON record of each row gives
//! (`load_records_as_json`, the way every row went before), on the corpus exports and on
//! rows whose `trace` cell is damaged, empty, null or not an object.

use super::columns_vs_records::{batches, seen};
use super::{load_records, load_records_as_json};
use crate::load::Sink;
use crate::load::format::Format;
use crate::model::text::decode_text;
use arrow_array::{ArrayRef, LargeStringArray, RecordBatch, StringArray, StringViewArray};
use std::sync::Arc;

/// What a part holds besides its spans, with references resolved.
fn rest(sink: &Sink) -> (Vec<String>, Vec<String>, String) {
    let b = &sink.batch;
    let infos = (b.infos.iter())
        .map(|i| {
            let text = i.info.map(|t| {
                let bytes = &sink.arena[t.off as usize..][..t.len as usize];
                decode_text(bytes, t.enc)
            });
            format!("{} {:?} {:?} {text:?}", i.trace_id, i.original_id, i.state)
        })
        .collect();
    let assessments = b.assessments.iter().map(|a| format!("{a:?}")).collect();
    (infos, assessments, format!("{:?}", b.diagnostics))
}

/// Loads `batch` both ways and asserts they agree; returns how many spans it had.
fn assert_same(batch: &RecordBatch, first_row: u64) -> usize {
    let part = || Sink {
        src: 2,
        ..Sink::default()
    };
    let (mut json, mut cells) = (part(), part());
    load_records_as_json(&mut json, Format::MlflowSearchTraces, "t", batch, first_row);
    let fmt = (Format::MlflowSearchTraces, "t");
    load_records(&mut cells, fmt, batch, first_row, None);
    let (want, got) = (seen(&json), seen(&cells));
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w, g);
    }
    assert_eq!(want.len(), got.len());
    assert_eq!(rest(&json), rest(&cells));
    // The row's JSON record is no longer held beside the trace it carries.
    assert!(cells.arena.len() < json.arena.len() || batch.num_rows() == 0);
    got.len()
}

/// A corpus file's bytes (the corpus is beside the workspace), or `None`, saying so.
pub(super) fn corpus_file(name: &str) -> Option<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = ["../../../shared/corpus", "../shared/corpus"]
        .iter()
        .map(|c| root.join(c).join(name))
        .find(|p| p.exists());
    match found {
        Some(p) => std::fs::read(p).ok(),
        None => {
            eprintln!("skipped: {name} is not in the corpus");
            None
        }
    }
}

#[test]
fn corpus_search_traces_load_the_same_both_ways() {
    for name in [
        "generated/mlflow-v3/mlflow-3.17.2_search_traces.parquet",
        "generated/mlflow-v2/mlflow-2.22.5_search_traces.parquet",
    ] {
        let Some(bytes) = corpus_file(name) else {
            continue;
        };
        let (mut rows, mut spans) = (0, 0);
        for batch in batches(bytes, 1) {
            spans += assert_same(&batch, rows);
            rows += batch.num_rows() as u64;
        }
        assert!(
            rows > 0 && spans > rows as usize,
            "{name}: {rows} rows, {spans} spans"
        );
    }
}

const TRACE: &str = r#"{"info": {"trace_id": "tr-6a3f41574ac34e50b5cecd2fa2c8ca6f", "state": "OK",
 "assessments": [{"assessment_id": "a-1", "assessment_name": "ok", "trace_id": "tr-6a3f41574ac34e50b5cecd2fa2c8ca6f",
  "span_id": "0000000000000001", "feedback": {"value": true}, "create_time": "2026-11-28T20:07:19.442Z"}]},
 "data": {"spans": [{"trace_id": "aj9BV0rDTlC1zs0vosjKbw==", "span_id": "AAAAAAAAAAE=", "parent_span_id": null,
  "name": "pipe\u00e9 \"q\"", "start_time_unix_nano": "1795896439442894336", "end_time_unix_nano": 1795896439443000000,
  "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
  "attributes": {"mlflow.spanType": "\"CHAIN\"", "mlflow.spanInputs": "{\"q\": \"hi\\n\"}", "n": 3}}]}}"#;

/// Rows with a good trace, a damaged one, an empty one, one that is not an object, a
/// null (the row's `spans` column is read instead), and a trace with no `data`.
fn odd_rows(trace: ArrayRef) -> RecordBatch {
    let spans: ArrayRef = Arc::new(StringArray::from(vec![None::<&str>; 6]));
    let ids: ArrayRef = Arc::new(StringArray::from(vec![Some("tr-1"); 6]));
    RecordBatch::try_from_iter(vec![("trace_id", ids), ("trace", trace), ("spans", spans)]).unwrap()
}

const ODD: [Option<&str>; 6] = [
    Some(TRACE),
    Some(r#"{"info": {"trace_id": "tr-2"}, "data": {"spans": [{"name": "#),
    Some(""),
    Some("[1, 2]"),
    None,
    Some(r#"{"info": {"trace_id": "tr-3"}}"#),
];

#[test]
fn damaged_and_odd_trace_cells_load_the_same_both_ways() {
    let arrays: [ArrayRef; 3] = [
        Arc::new(StringArray::from(ODD.to_vec())),
        Arc::new(LargeStringArray::from(ODD.to_vec())),
        Arc::new(StringViewArray::from(ODD.to_vec())),
    ];
    for trace in arrays {
        let batch = odd_rows(trace);
        assert_eq!(assert_same(&batch, 40), 1);
        let mut sink = Sink::default();
        load_records(
            &mut sink,
            (Format::MlflowSearchTraces, "t"),
            &batch,
            40,
            None,
        );
        let at: Vec<String> = (sink.batch.diagnostics.iter())
            .map(|d| format!("{:?}", d.pos))
            .collect();
        // Every damaged row is named by its row number, none is silent.
        assert!(at.len() >= 4, "{at:?}");
        assert!(at.iter().any(|p| p.contains("42")), "{at:?}");
    }
}
