//! Format detection from content (never from the file name), and the `--format` names.

use super::json::RawObject;

/// Every input format spanlens reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OTLP/JSON: a request object, an array of them, or the protobuf-JSON look-alike.
    Otlp,
    /// Phoenix `/v1/projects/{p}/spans/otlpv1`: bare snake_case OTLP spans under `data`.
    PhoenixOtlpV1,
    /// MLflow `Trace.to_json()` (schema v2 or v3).
    MlflowTrace,
    /// MLflow `traces.json` artifact: `{"spans": [...]}` with no `info`.
    MlflowTraceData,
    /// MLflow file-store trace directory (`trace_info.yaml`, `artifacts/traces.json`).
    MlflowDir,
    /// MLflow `search_traces()` DataFrame rows (JSON records or parquet).
    MlflowSearchTraces,
    /// Phoenix `get_spans_dataframe()` rows (JSON records or parquet).
    PhoenixSpans,
    /// Phoenix REST `/v1/projects/{p}/spans`.
    PhoenixRest,
    /// Phoenix `get_span_annotations_dataframe()` rows.
    PhoenixAnnotations,
    /// Langfuse trace dumps, REST traces, observation lists and blob-export rows.
    Langfuse,
    /// LangSmith runs (JSON, JSONL) and `{post, patch}` ingestion batches.
    Langsmith,
    /// OTel Python `ConsoleSpanExporter` output.
    OtelConsole,
    /// OTel JS `ReadableSpan` dumps.
    OtelJs,
    /// A bare attribute map (test fixtures): one span.
    Attributes,
}

impl Format {
    pub const ALL: [Format; 14] = [
        Format::Otlp,
        Format::PhoenixOtlpV1,
        Format::MlflowTrace,
        Format::MlflowTraceData,
        Format::MlflowDir,
        Format::MlflowSearchTraces,
        Format::PhoenixSpans,
        Format::PhoenixRest,
        Format::PhoenixAnnotations,
        Format::Langfuse,
        Format::Langsmith,
        Format::OtelConsole,
        Format::OtelJs,
        Format::Attributes,
    ];

    /// The name used in reports and accepted by `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Otlp => "otlp",
            Format::PhoenixOtlpV1 => "phoenix-otlpv1",
            Format::MlflowTrace => "mlflow",
            Format::MlflowTraceData => "mlflow-traces-json",
            Format::MlflowDir => "mlflow-dir",
            Format::MlflowSearchTraces => "mlflow-search-traces",
            Format::PhoenixSpans => "phoenix-spans",
            Format::PhoenixRest => "phoenix-rest",
            Format::PhoenixAnnotations => "phoenix-annotations",
            Format::Langfuse => "langfuse",
            Format::Langsmith => "langsmith",
            Format::OtelConsole => "otel-console",
            Format::OtelJs => "otel-js",
            Format::Attributes => "attributes",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        let n = name.trim().to_ascii_lowercase();
        let n = match n.as_str() {
            "otlp-json" | "otlp-jsonl" | "otel" => "otlp",
            "mlflow-trace" => "mlflow",
            "phoenix" => "phoenix-spans",
            other => other,
        };
        Format::ALL.into_iter().find(|f| f.name() == n)
    }

    /// Whether a whole input holds one record per line of this format.
    pub fn names() -> String {
        Format::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Classifies one JSON object: a whole document or one record of a table or list.
pub fn classify(o: &RawObject) -> Option<Format> {
    if o.has("resourceSpans") || o.has("resource_spans") {
        return Some(Format::Otlp);
    }
    if o.has("info") && o.has("data") {
        return Some(Format::MlflowTrace);
    }
    // A `Trace.to_json()` document cut short before its `data`: the info alone, still an
    // MLflow trace (its loader says the spans are missing).
    if o.0.len() == 1
        && o.obj("info")
            .is_some_and(|i| i.has("trace_id") || i.has("request_id"))
    {
        return Some(Format::MlflowTrace);
    }
    if o.has("spans") && !o.has("trace") && !o.has("trace_id") && !o.has("request_id") {
        return Some(Format::MlflowTraceData);
    }
    if o.has("trace") && (o.has("request_time") || o.has("timestamp_ms") || o.has("spans")) {
        return Some(Format::MlflowSearchTraces);
    }
    let trace_with_observations = o.obj("trace").is_some_and(|t| t.has("observations"));
    if o.has("trace") && (o.has("observations") || trace_with_observations)
        || o.has("htmlPath") && o.has("observations")
    {
        return Some(Format::Langfuse);
    }
    if o.has("post") || o.has("patch") {
        return Some(Format::Langsmith);
    }
    if o.has("run_type") && (o.has("dotted_order") || o.has("trace_id") || o.has("start_time")) {
        return Some(Format::Langsmith);
    }
    if let Some(data) = o.get("data") {
        return classify_data_page(data);
    }
    if o.has("context.span_id") || o.has("context.trace_id") {
        return Some(Format::PhoenixSpans);
    }
    if o.has("annotation_name") {
        return Some(Format::PhoenixAnnotations);
    }
    if let Some(ctx) = o.obj("context")
        && (ctx.has("span_id") || ctx.has("trace_id"))
    {
        return Some(if o.has("span_kind") {
            Format::PhoenixRest
        } else {
            Format::OtelConsole
        });
    }
    if o.has("spanContext") || o.has("_spanContext") {
        return Some(Format::OtelJs);
    }
    if is_langfuse_row(o) {
        return Some(Format::Langfuse);
    }
    if is_attribute_map(o) {
        return Some(Format::Attributes);
    }
    None
}

/// `{data: [...]}` pages: Phoenix REST spans, Phoenix otlpv1 spans, Langfuse API lists.
fn classify_data_page(data: &serde_json::value::RawValue) -> Option<Format> {
    let first = super::json::raw_array(data).into_iter().next()?;
    let row = RawObject::parse(first)?;
    if row.has("span_kind") || row.obj("context").is_some() {
        Some(Format::PhoenixRest)
    } else if row.has("trace_id") && row.has("span_id") && row.has("start_time_unix_nano") {
        Some(Format::PhoenixOtlpV1)
    } else if is_langfuse_row(&row) {
        Some(Format::Langfuse)
    } else {
        None
    }
}

fn is_langfuse_row(o: &RawObject) -> bool {
    let camel = o.has("traceId") && o.has("startTime") && o.has("type");
    let snake = o.has("trace_id") && o.has("parent_observation_id") && o.has("start_time");
    camel || snake
}

/// An object whose keys all look like attribute names from the GenAI conventions.
fn is_attribute_map(o: &RawObject) -> bool {
    !o.0.is_empty()
        && o.0.iter().any(|(k, _)| {
            k.starts_with("gen_ai.")
                || k.starts_with("llm.")
                || k.starts_with("openinference.")
                || k.starts_with("input.")
                || k.starts_with("output.")
        })
        && o.0.iter().all(|(k, _)| !k.contains(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_str(s: &str) -> Option<Format> {
        classify(&serde_json::from_str(s).unwrap())
    }

    #[test]
    fn shapes() {
        assert_eq!(classify_str(r#"{"resourceSpans":[]}"#), Some(Format::Otlp));
        assert_eq!(
            classify_str(r#"{"info":{},"data":{"spans":[]}}"#),
            Some(Format::MlflowTrace)
        );
        assert_eq!(
            classify_str(r#"{"spans":[]}"#),
            Some(Format::MlflowTraceData)
        );
        assert_eq!(
            classify_str(r#"{"post":[],"patch":[]}"#),
            Some(Format::Langsmith)
        );
        assert_eq!(
            classify_str(r#"{"data":[{"context":{"span_id":"a"},"span_kind":"LLM"}]}"#),
            Some(Format::PhoenixRest)
        );
        assert_eq!(classify_str(r#"{"hello":1}"#), None);
        assert_eq!(Format::from_name("otlp-jsonl"), Some(Format::Otlp));
    }
}
