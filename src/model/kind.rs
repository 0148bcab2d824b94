//! Span kinds and statuses, and how each export's labels map onto them.

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
        let l = label.trim().trim_matches('"').to_ascii_lowercase();
        Some(match l.as_str() {
            "agent" | "invoke_agent" | "create_agent" => SpanKind::Agent,
            "chain" | "workflow" | "task" | "invoke_workflow" | "prompt" | "span" => {
                SpanKind::Chain
            }
            "llm" | "chat_model" | "chat" | "generation" | "generate_content"
            | "text_completion" | "completion" | "chat_completion" => SpanKind::Llm,
            "tool" | "execute_tool" | "function" => SpanKind::Tool,
            "retriever" | "retrieval" => SpanKind::Retriever,
            "embedding" | "embeddings" => SpanKind::Embedding,
            "reranker" => SpanKind::Reranker,
            "parser" | "output_parser" => SpanKind::Parser,
            "guardrail" => SpanKind::Guardrail,
            "evaluator" => SpanKind::Evaluator,
            "unknown" | "memory" | "event" | "" => SpanKind::Unknown,
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
        let l = label.trim().trim_matches('"').to_ascii_uppercase();
        match l.as_str() {
            "2" | "ERROR" | "STATUS_CODE_ERROR" | "STATUSCODE.ERROR" => Status::Error,
            "1" | "OK" | "STATUS_CODE_OK" | "STATUSCODE.OK" | "SUCCESS" => Status::Ok,
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
