//! Span kinds and statuses, and how each export's labels map onto them.

/// Longer labels than this match no known label.
const LABEL_MAX: usize = 24;

/// `label` trimmed of space and quotes, in one case, in `buf`; `None` when too long to be
/// a known label. PERF: no allocation, and bytes compared as bytes (no UTF-8 check); a
/// label is read for every span.
fn folded<'b>(label: &str, buf: &'b mut [u8; LABEL_MAX], upper: bool) -> Option<&'b [u8]> {
    let l = label.trim().trim_matches('"').as_bytes();
    let out = buf.get_mut(..l.len())?;
    out.copy_from_slice(l);
    if upper {
        out.make_ascii_uppercase();
    } else {
        out.make_ascii_lowercase();
    }
    Some(out)
}

/// What a span does in an LLM pipeline. One enum for every export format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum SpanKind {
    Agent,
    Chain,
    Llm,
    Tool,
    Retriever,
    Embedding,
    Reranker,
    Parser,
    Guardrail,
    Evaluator,
    #[default]
    Unknown,
}

impl SpanKind {
    pub const ALL: [SpanKind; 11] = [
        SpanKind::Agent,
        SpanKind::Chain,
        SpanKind::Llm,
        SpanKind::Tool,
        SpanKind::Retriever,
        SpanKind::Embedding,
        SpanKind::Reranker,
        SpanKind::Parser,
        SpanKind::Guardrail,
        SpanKind::Evaluator,
        SpanKind::Unknown,
    ];

    /// Maps a kind label from any format (MLflow `spanType`, OpenInference span kind, GenAI
    /// operation name, Langfuse observation type, LangSmith run type, Traceloop kind).
    pub fn from_label(label: &str) -> Option<SpanKind> {
        let mut buf = [0; LABEL_MAX];
        Some(match folded(label, &mut buf, false).unwrap_or(b"?") {
            b"agent" | b"invoke_agent" | b"create_agent" => SpanKind::Agent,
            b"chain" | b"workflow" | b"task" | b"invoke_workflow" | b"prompt" | b"span" => {
                SpanKind::Chain
            }
            b"llm" | b"chat_model" | b"chat" | b"generation" | b"generate_content"
            | b"text_completion" | b"completion" | b"chat_completion" => SpanKind::Llm,
            b"tool" | b"execute_tool" | b"function" => SpanKind::Tool,
            b"retriever" | b"retrieval" => SpanKind::Retriever,
            b"embedding" | b"embeddings" => SpanKind::Embedding,
            b"reranker" => SpanKind::Reranker,
            b"parser" | b"output_parser" => SpanKind::Parser,
            b"guardrail" => SpanKind::Guardrail,
            b"evaluator" => SpanKind::Evaluator,
            b"unknown" | b"memory" | b"event" | b"" => SpanKind::Unknown,
            _ => return None,
        })
    }

    /// Upper-case name, as MLflow and OpenInference spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Agent => "AGENT",
            SpanKind::Chain => "CHAIN",
            SpanKind::Llm => "LLM",
            SpanKind::Tool => "TOOL",
            SpanKind::Retriever => "RETRIEVER",
            SpanKind::Embedding => "EMBEDDING",
            SpanKind::Reranker => "RERANKER",
            SpanKind::Parser => "PARSER",
            SpanKind::Guardrail => "GUARDRAIL",
            SpanKind::Evaluator => "EVALUATOR",
            SpanKind::Unknown => "UNKNOWN",
        }
    }

    /// A fixed-width (5 cell) tag for tree rows.
    pub fn tag(self) -> &'static str {
        match self {
            SpanKind::Agent => "agent",
            SpanKind::Chain => "chain",
            SpanKind::Llm => " llm ",
            SpanKind::Tool => "tool ",
            SpanKind::Retriever => "retr ",
            SpanKind::Embedding => "embed",
            SpanKind::Reranker => "rrank",
            SpanKind::Parser => "parse",
            SpanKind::Guardrail => "guard",
            SpanKind::Evaluator => "eval ",
            SpanKind::Unknown => "  ·  ",
        }
    }
}

/// Span status, after mapping every format's error signal (OTLP code 2, MLflow
/// `STATUS_CODE_ERROR`, Langfuse `level: ERROR`, LangSmith `error != null`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    #[default]
    Unset,
    Ok,
    Error,
}

impl Status {
    /// Parses a status code given as a number or a name in any format's spelling.
    pub fn from_label(label: &str) -> Status {
        let mut buf = [0; LABEL_MAX];
        match folded(label, &mut buf, true).unwrap_or(b"?") {
            b"2" | b"ERROR" | b"STATUS_CODE_ERROR" | b"STATUSCODE.ERROR" => Status::Error,
            b"1" | b"OK" | b"STATUS_CODE_OK" | b"STATUSCODE.OK" | b"SUCCESS" => Status::Ok,
            _ => Status::Unset,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unset => "unset",
            Status::Ok => "ok",
            Status::Error => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_in_any_case_with_quotes_and_space() {
        assert_eq!(
            SpanKind::from_label(" \"Chat_Model\" "),
            Some(SpanKind::Llm)
        );
        assert_eq!(SpanKind::from_label("TOOL"), Some(SpanKind::Tool));
        assert_eq!(SpanKind::from_label(&"x".repeat(40)), None);
        assert_eq!(SpanKind::from_label("é"), None);
        assert_eq!(Status::from_label("status_code_error"), Status::Error);
        assert_eq!(Status::from_label("\"ok\""), Status::Ok);
        assert_eq!(Status::from_label(&"E".repeat(30)), Status::Unset);
    }

    #[test]
    fn labels_from_every_format() {
        assert_eq!(SpanKind::from_label("CHAT_MODEL"), Some(SpanKind::Llm));
        assert_eq!(SpanKind::from_label("\"TOOL\""), Some(SpanKind::Tool));
        assert_eq!(SpanKind::from_label("execute_tool"), Some(SpanKind::Tool));
        assert_eq!(SpanKind::from_label("GENERATION"), Some(SpanKind::Llm));
        assert_eq!(SpanKind::from_label("retriever"), Some(SpanKind::Retriever));
        assert_eq!(SpanKind::from_label("mystery"), None);
        assert_eq!(Status::from_label("STATUS_CODE_ERROR"), Status::Error);
        assert_eq!(Status::from_label("2"), Status::Error);
        assert_eq!(Status::from_label("StatusCode.OK"), Status::Ok);
        assert_eq!(Status::from_label("0"), Status::Unset);
    }
}
