//! The evaluation ("golden") set: one record per trace or span marked good or given an
//! expectation, with its inputs, what is expected of it, and where it came from. The
//! `mlflow` form is a list of `mlflow.genai.evaluate` data records; `jsonl` and `csv` are
//! dataset uploads with `input` / `output` / `expected` columns.

use super::verdict::{self, Verdict};
use crate::model::{SpanIx, TraceIx, TraceSet};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};

/// The name MLflow's scorers read an expected answer from.
pub const EXPECTED_RESPONSE: &str = "expected_response";

/// The forms a golden set can be written in (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoldenFormat {
    Mlflow,
    Jsonl,
    Csv,
}

impl std::str::FromStr for GoldenFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mlflow" => Ok(GoldenFormat::Mlflow),
            "jsonl" => Ok(GoldenFormat::Jsonl),
            "csv" => Ok(GoldenFormat::Csv),
            _ => Err(format!(
                "unknown golden-set format {s:?}: use mlflow, jsonl or csv"
            )),
        }
    }
}

/// One item of the set: a span (a trace is its root span) and what is expected of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub trace: TraceIx,
    pub span: SpanIx,
    /// Expectations by name (`expected_response` first when there is one).
    pub expectations: Map<String, Value>,
}

/// The items of `set`: spans (trace-level marks count for the root) with an expectation,
/// or judged good and never bad. A good item without an expected response expects the
/// output it gave. `keep` narrows them (`--where`). In trace and span order.
pub fn items(set: &TraceSet, keep: &dyn Fn(SpanIx) -> bool) -> Vec<Item> {
    #[derive(Default)]
    struct Marks {
        good: bool,
        bad: bool,
        expect: Map<String, Value>,
    }
    let mut by_span: BTreeMap<SpanIx, (TraceIx, Marks)> = BTreeMap::new();
    for (a, target) in set.assessments.iter().zip(&set.assessment_targets) {
        let (Some(t), span) = *target else { continue };
        let span = span.unwrap_or(SpanIx(set.trace(t).span_start));
        let m = &mut by_span
            .entry(span)
            .or_insert_with(|| (t, Marks::default()))
            .1;
        if a.kind == "expectation" {
            m.expect.insert(a.name.clone(), a.value.clone());
        }
        match verdict::of(a) {
            Some(Verdict::Good) => m.good = true,
            Some(Verdict::Bad) => m.bad = true,
            None => {}
        }
    }
    let mut out = Vec::new();
    for (span, (trace, mut m)) in by_span {
        let good = m.good && !m.bad;
        if (m.expect.is_empty() && !good) || !keep(span) {
            continue;
        }
        if !m.expect.contains_key(EXPECTED_RESPONSE)
            && good
            && let Some(o) = set.span(span).output
        {
            m.expect
                .insert(EXPECTED_RESPONSE.into(), set.sources.value(o));
        }
        let mut expectations = Map::new();
        if let Some(v) = m.expect.remove(EXPECTED_RESPONSE) {
            expectations.insert(EXPECTED_RESPONSE.into(), v);
        }
        expectations.extend(m.expect);
        out.push(Item {
            trace,
            span,
            expectations,
        });
    }
    out
}

/// The span's input as MLflow wants `inputs`: a JSON object as it is, chat messages as
/// `{"messages": [...]}`, anything else as `{"input": ...}`.
pub fn inputs(set: &TraceSet, span: SpanIx) -> Value {
    let v = set
        .span(span)
        .input
        .map_or(Value::Null, |r| set.sources.value(r));
    let v = match v {
        Value::String(s) => serde_json::from_str::<Value>(&s)
            .ok()
            .filter(|p| p.is_object() || p.is_array())
            .unwrap_or(Value::String(s)),
        other => other,
    };
    match v {
        Value::Object(_) => v,
        Value::Array(items) if items.iter().all(|m| m.get("role").is_some()) => {
            json!({ "messages": items })
        }
        other => json!({ "input": other }),
    }
}

/// The span's actual output.
pub fn output(set: &TraceSet, span: SpanIx) -> Value {
    set.span(span)
        .output
        .map_or(Value::Null, |r| set.sources.value(r))
}

/// The trace id as the source spelled it, and the span id.
fn ids(set: &TraceSet, item: &Item) -> (String, String) {
    let tr = set.trace(item.trace);
    let trace = match set.str(tr.original_id) {
        "" => set.str(tr.id),
        o => o,
    };
    (trace.to_owned(), set.span_id(item.span).to_owned())
}

/// One `mlflow.genai.evaluate` data record: `inputs`, `expectations`, and the source ids
/// as `tags` (string to string, as MLflow requires).
pub fn mlflow_record(set: &TraceSet, item: &Item) -> Value {
    let (trace, span) = ids(set, item);
    json!({
        "inputs": inputs(set, item.span),
        "expectations": item.expectations,
        "tags": { "source_trace_id": trace, "source_span_id": span },
    })
}

/// One upload row: `input`, `output`, `expected`, `trace_id`, `span_id`.
pub fn upload_row(set: &TraceSet, item: &Item) -> Value {
    let (trace, span) = ids(set, item);
    let expected = (item.expectations.get(EXPECTED_RESPONSE))
        .cloned()
        .unwrap_or_else(|| Value::Object(item.expectations.clone()));
    json!({
        "input": inputs(set, item.span),
        "output": output(set, item.span),
        "expected": expected,
        "trace_id": trace,
        "span_id": span,
    })
}

/// The whole set in `format`.
pub fn render(set: &TraceSet, items: &[Item], format: GoldenFormat) -> String {
    match format {
        GoldenFormat::Mlflow => {
            let records: Vec<String> = (items.iter())
                .map(|i| mlflow_record(set, i).to_string())
                .collect();
            format!("[\n{}\n]\n", records.join(",\n"))
        }
        GoldenFormat::Jsonl => (items.iter())
            .map(|i| format!("{}\n", upload_row(set, i)))
            .collect(),
        GoldenFormat::Csv => {
            let cols = ["input", "output", "expected", "trace_id", "span_id"];
            let mut out = format!("{}\r\n", cols.join(","));
            for i in items {
                let row = upload_row(set, i);
                let cells: Vec<String> = cols.iter().map(|c| csv_cell(&row[c])).collect();
                out.push_str(&cells.join(","));
                out.push_str("\r\n");
            }
            out
        }
    }
}

/// A CSV cell (RFC 4180): text as it is, other values as compact JSON, quoted when needed.
fn csv_cell(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The spans a search query selects, for `--where` (filters, assessments and text alike).
pub fn selected_by(set: &TraceSet, query: &crate::search::Query) -> HashSet<SpanIx> {
    let index = crate::search::Index::default();
    let found = crate::search::run(
        set,
        &index,
        query,
        crate::search::Scope::All,
        usize::MAX,
        &|| false,
        &mut |_| {},
    );
    found.hits.into_iter().map(|h| h.span).collect()
}
