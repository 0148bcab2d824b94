//! Semantic conventions: which attribute keys carry a span's kind, model, tool, tokens, cost,
//! input and output, across MLflow, OpenInference, OTel GenAI (all three generations),
//! OpenLLMetry, Langfuse's OTel attributes and the Vercel AI SDK.
//!
//! Loaders call `Semantics::observe` for every attribute. Only keys with a role are decoded
//! (a handful per span); payload roles keep a `TextRef` and are never decoded at load time.
//! Several keys can fill one role; the lowest rank wins, so `gen_ai.response.model` beats
//! `gen_ai.request.model` whatever their order in the file.

use super::kind::{SpanKind, Status};
use super::span::Tokens;
use super::text::{Enc, TextRef, decode_value};
use serde_json::Value;
use std::borrow::Cow;

mod flat;
mod objects;
pub use objects::usage_key;
mod raw;

use raw::{json_str_json_compact, otlp_member, otlp_scalar_serde};

/// What an attribute key means for the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Kind(u8),
    Model(u8),
    Tool,
    InTokens(u8),
    OutTokens(u8),
    TotalTokens(u8),
    Cost(u8),
    Input(u8),
    Output(u8),
    StatusMessage,
    Level,
    /// An object holding input/output/total tokens (MLflow, Langfuse).
    UsageObject,
    /// An object holding costs (MLflow, Langfuse).
    CostObject,
}

/// The role of attribute `key`, if it has one.
pub fn role_of(key: &str) -> Option<Role> {
    use Role::*;
    Some(match key {
        "openinference.span.kind" | "mlflow.spanType" => Kind(0),
        "langfuse.observation.type" => Kind(1),
        "gen_ai.operation.name" => Kind(2),
        "traceloop.span.kind" => Kind(3),
        "llm.request.type" | "ai.operationId" => Kind(4),
        "gen_ai.response.model" | "llm.response.model_name" | "ai.response.model" => Model(0),
        "llm.model_name" | "gen_ai.request.model" | "mlflow.llm.model" => Model(1),
        "langfuse.observation.model.name" => Model(1),
        "ai.model.id" | "embedding.model_name" | "llm.request.model_name" => Model(2),
        // MLflow autolog writes the request's model as a plain `model` attribute.
        "model" => Model(3),
        "reranker.model_name" => Model(2),
        "tool.name" | "gen_ai.tool.name" | "ai.toolCall.name" => Tool,
        "gen_ai.usage.input_tokens" | "llm.token_count.prompt" => InTokens(0),
        "gen_ai.usage.prompt_tokens" | "ai.usage.inputTokens" | "ai.usage.promptTokens" => {
            InTokens(1)
        }
        "gen_ai.usage.output_tokens" | "llm.token_count.completion" => OutTokens(0),
        "gen_ai.usage.completion_tokens" | "ai.usage.outputTokens" => OutTokens(1),
        "ai.usage.completionTokens" => OutTokens(1),
        "llm.token_count.total" | "gen_ai.usage.total_tokens" => TotalTokens(0),
        "llm.usage.total_tokens" | "ai.usage.totalTokens" => TotalTokens(1),
        "mlflow.chat.tokenUsage" | "langfuse.observation.usage_details" => UsageObject,
        "llm.cost.total" => Cost(0),
        "gen_ai.usage.cost" => Cost(1),
        "mlflow.llm.cost" | "langfuse.observation.cost_details" => CostObject,
        "input.value" | "mlflow.spanInputs" | "langfuse.observation.input" => Input(0),
        "traceloop.entity.input" => Input(1),
        "gen_ai.input.messages" | "gen_ai.tool.call.arguments" | "ai.toolCall.args" => Input(2),
        "ai.prompt.messages" | "gen_ai.retrieval.query.text" => Input(3),
        "ai.prompt" => Input(4),
        "gen_ai.prompt" => Input(5),
        "output.value" | "mlflow.spanOutputs" | "langfuse.observation.output" => Output(0),
        "traceloop.entity.output" => Output(1),
        "gen_ai.output.messages" | "gen_ai.tool.call.result" | "ai.toolCall.result" => Output(2),
        "ai.response.text" | "ai.response.object" => Output(3),
        "ai.response.toolCalls" => Output(4),
        "gen_ai.completion" => Output(5),
        "langfuse.observation.status_message" => StatusMessage,
        "langfuse.observation.level" => Level,
        _ => return None,
    })
}

/// Returns true when `key` carries what the model shows as a field of its own: the span's
/// input, output or messages, its tool, model or kind.
pub fn is_content_key(key: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "llm.input_messages.",
        "llm.output_messages.",
        "gen_ai.prompt.",
        "gen_ai.completion.",
        "ai.prompt",
        "ai.response.text",
    ];
    matches!(
        role_of(key),
        Some(Role::Input(_) | Role::Output(_) | Role::Tool | Role::Model(_) | Role::Kind(_))
    ) || matches!(
        key,
        "gen_ai.input.messages"
            | "gen_ai.output.messages"
            | "gen_ai.system_instructions"
            | "mlflow.chat.messages"
            | "llm.input_messages"
            | "llm.output_messages"
    ) || PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Returns true when `key` means something to the model (used to skip decoding the rest).
pub fn is_semantic(key: &str) -> bool {
    role_of(key).is_some()
}

/// Best candidates seen so far for one span.
#[derive(Debug, Default)]
pub struct Semantics {
    kind: Option<(u8, SpanKind)>,
    model: Option<(u8, String)>,
    tool: Option<String>,
    tokens: [Option<(u8, u32)>; 3],
    cost: Option<(u8, f64)>,
    input: Option<(u8, TextRef)>,
    output: Option<(u8, TextRef)>,
    status_message: Option<TextRef>,
    error_level: bool,
    /// Values of OTLP attributes that mean something but were not compact scalars
    /// (`{"stringValue":"x"}` with no spaces), so they went through serde_json: counted
    /// as a slow path (`Batch::finish`).
    pub slow_otlp_values: u32,
}

/// What `Semantics` concluded, ready to copy into a span.
#[derive(Debug, Default)]
pub struct Resolved {
    pub kind: Option<SpanKind>,
    pub model: Option<String>,
    pub tool: Option<String>,
    pub tokens: Tokens,
    pub cost: Option<f64>,
    pub input: Option<TextRef>,
    pub output: Option<TextRef>,
    pub status_message: Option<TextRef>,
    pub status: Option<Status>,
}

impl Semantics {
    /// Looks at one attribute. `raw` are the value's bytes, `text` where they live.
    pub fn observe(&mut self, key: &str, raw: &[u8], text: TextRef) {
        self.observe_role(role_of(key), raw, text);
    }

    /// Like `observe`, with the key's role already looked up (loaders cache it per key).
    pub fn observe_role(&mut self, role: Option<Role>, raw: &[u8], text: TextRef) {
        let Some(role) = role else { return };
        match role {
            Role::Input(rank) => keep_best(&mut self.input, rank, payload(text)),
            Role::Output(rank) => keep_best(&mut self.output, rank, payload(text)),
            Role::StatusMessage => self.status_message = Some(text),
            _ => {
                // PERF: OTLP scalars (`{"stringValue": "chat"}`) decode without building a
                // JSON object; everything else goes through the general decoder. The one
                // member of the value is found once, for each reading below.
                let member = (text.enc == Enc::OtlpAny)
                    .then(|| otlp_member(raw))
                    .flatten();
                if let Some(s) = member.and_then(|m| m.plain_string())
                    && self.observe_str(role, s)
                {
                    return;
                }
                // PERF: likewise MLflow's `"\"AGENT\""` and `"gpt-4o"` (a tenth of loading
                // real-shape MLflow lines was decoding these twice into `Value`s).
                if text.enc == Enc::JsonStrJson
                    && let Some(s) = json_str_json_compact(raw)
                    && self.observe_str(role, s)
                {
                    return;
                }
                // PERF: and its usage and cost objects, through typed fields; so too
                // Langfuse's usage and cost details, the same objects in an OTLP string
                // (428,574 values decoded twice into `Value`s at 1M spans).
                let object_text = match text.enc {
                    Enc::JsonStrJson => Some(raw),
                    _ => member.and_then(|m| m.string_literal()),
                };
                if matches!(role, Role::UsageObject | Role::CostObject)
                    && let Some(t) = object_text
                    && self.observe_object_text(t, role == Role::CostObject)
                {
                    return;
                }
                let v = match text.enc {
                    Enc::OtlpAny => match member.and_then(|m| m.scalar()) {
                        Some(v) => v,
                        None => {
                            self.slow_otlp_values += 1;
                            otlp_scalar_serde(raw).unwrap_or_else(|| decode_value(raw, text.enc))
                        }
                    },
                    enc => decode_value(raw, enc),
                };
                self.observe_value(role, &v)
            }
        }
    }

    /// Looks at an attribute whose value is already decoded (Phoenix DataFrame columns).
    pub fn observe_decoded(&mut self, key: &str, value: &Value) {
        match role_of(key) {
            Some(Role::Input(_) | Role::Output(_) | Role::StatusMessage) | None => {}
            Some(role) => self.observe_value(role, value),
        }
    }

    /// A string for a role read as a string (kind, model, tool, level); `false` for the
    /// other roles. PERF: compact OTLP strings come here without a `Value` built first
    /// (two allocations per such attribute).
    fn observe_str(&mut self, role: Role, s: &str) -> bool {
        match role {
            Role::Kind(rank) => {
                if let Some(kind) = kind_of(s) {
                    keep_best(&mut self.kind, rank, kind);
                }
            }
            Role::Model(rank) => {
                if !s.is_empty() && self.model.as_ref().is_none_or(|(r, _)| rank < *r) {
                    self.model = Some((rank, s.to_owned()));
                }
            }
            Role::Tool => {
                if !s.is_empty() {
                    self.tool = Some(s.to_owned());
                }
            }
            Role::Level => self.error_level = s.eq_ignore_ascii_case("ERROR"),
            _ => return false,
        }
        true
    }

    fn observe_value(&mut self, role: Role, v: &Value) {
        match role {
            // The roles read as strings: numbers and booleans as written; other values
            // are no string (and turn an error level off).
            Role::Kind(_) | Role::Model(_) | Role::Tool | Role::Level => match as_string(v) {
                Some(text) => {
                    self.observe_str(role, &text);
                }
                None => self.error_level &= role != Role::Level,
            },
            Role::InTokens(r) => self.set_tokens(0, r, v),
            Role::OutTokens(r) => self.set_tokens(1, r, v),
            Role::TotalTokens(r) => self.set_tokens(2, r, v),
            Role::UsageObject => self.usage_from_object(v),
            Role::Cost(rank) => {
                if let Some(c) = as_f64(v) {
                    keep_best(&mut self.cost, rank, c);
                }
            }
            Role::CostObject => {
                let obj = object_of(v);
                self.keep_object(true, |_| None, |k| obj.get(k).and_then(as_f64));
            }
            Role::Input(_) | Role::Output(_) | Role::StatusMessage => {}
        }
    }

    fn set_tokens(&mut self, slot: usize, rank: u8, v: &Value) {
        if let Some(n) = as_u32(v) {
            keep_best(&mut self.tokens[slot], rank, n);
        }
    }

    /// Reads a usage object (decoded), such as one taken out of its response.
    pub fn usage_from_object(&mut self, v: &Value) {
        let obj = object_of(v);
        self.keep_object(false, |k| obj.get(k).and_then(as_u32), |_| None);
    }

    /// A token count from a usage object (rank 0: an object beats single attributes).
    fn keep_tokens(&mut self, slot: usize, n: u32) {
        keep_best(&mut self.tokens[slot], 0, n);
    }

    /// A total cost from a cost object.
    fn keep_cost(&mut self, c: f64) {
        keep_best(&mut self.cost, 0, c);
    }

    /// Returns true when some token count was found.
    pub fn has_tokens(&self) -> bool {
        self.tokens.iter().any(Option::is_some)
    }

    /// Takes token usage from a provider response body (`{"usage": {...}}` as OpenAI and
    /// Anthropic return it), for sources that only record the raw response (MLflow 2).
    pub fn usage_from_response(&mut self, v: &Value) {
        if let Some(usage) = v.get("usage").filter(|u| u.is_object()) {
            self.usage_from_object(usage);
        }
    }

    /// Sets a kind directly (for formats with a kind field rather than an attribute).
    pub fn set_kind(&mut self, rank: u8, kind: SpanKind) {
        keep_best(&mut self.kind, rank, kind);
    }

    /// Final values. A span with a model but no kind is an LLM call; one with a tool name
    /// is a tool call.
    pub fn resolve(self) -> Resolved {
        let kind = self.kind.map(|(_, k)| k).or(if self.model.is_some() {
            Some(SpanKind::Llm)
        } else if self.tool.is_some() {
            Some(SpanKind::Tool)
        } else {
            None
        });
        Resolved {
            kind,
            model: self.model.map(|(_, m)| m),
            tool: self.tool,
            tokens: Tokens::new(
                self.tokens[0].map(|t| t.1),
                self.tokens[1].map(|t| t.1),
                self.tokens[2].map(|t| t.1),
            ),
            cost: self.cost.map(|c| c.1),
            input: self.input.map(|t| t.1),
            output: self.output.map(|t| t.1),
            status_message: self.status_message,
            status: self.error_level.then_some(Status::Error),
        }
    }
}

fn keep_best<T>(slot: &mut Option<(u8, T)>, rank: u8, value: T) {
    if slot.as_ref().is_none_or(|(r, _)| rank < *r) {
        *slot = Some((rank, value));
    }
}

/// Payload text may hold JSON (a prompt as a JSON string, a messages array): mark it so.
fn payload(text: TextRef) -> TextRef {
    match text.enc {
        Enc::OtlpAny => text.with_enc(Enc::OtlpAnyJson),
        Enc::JsonStr => text.with_enc(Enc::JsonStrJson),
        // Plain JSON values (Phoenix, console, Langfuse rows): a string may hold JSON too.
        Enc::Json => text.with_enc(Enc::JsonStrJson),
        // Parquet cells: raw text may hold JSON too.
        Enc::Cell => text.with_enc(Enc::CellJson),
        _ => text,
    }
}

fn kind_of(label: &str) -> Option<SpanKind> {
    if let Some(k) = SpanKind::from_label(label) {
        return Some(k);
    }
    // Vercel AI SDK operation ids: ai.generateText.doGenerate, ai.toolCall, ai.embed.doEmbed
    let l = label.to_ascii_lowercase();
    if l.starts_with("ai.toolcall") {
        Some(SpanKind::Tool)
    } else if l.starts_with("ai.embed") {
        Some(SpanKind::Embedding)
    } else if l.starts_with("ai.") {
        Some(if l.contains(".do") {
            SpanKind::Llm
        } else {
            SpanKind::Chain
        })
    } else {
        None
    }
}

fn object_of(v: &Value) -> Cow<'_, serde_json::Map<String, Value>> {
    match v {
        Value::Object(m) => Cow::Borrowed(m),
        Value::String(s) => Cow::Owned(match crate::model::text::json_in_string(s.clone()) {
            Value::Object(m) => m,
            _ => lenient_python_dict(s),
        }),
        _ => Cow::Owned(Default::default()),
    }
}

/// Langfuse dumps sometimes carry Python reprs (`{'input': 39, 'output': 6}`).
fn lenient_python_dict(s: &str) -> serde_json::Map<String, Value> {
    let fixed = s
        .replace('\'', "\"")
        .replace("None", "null")
        .replace("True", "true");
    match serde_json::from_str(&fixed.replace("False", "false")) {
        Ok(Value::Object(m)) => m,
        _ => Default::default(),
    }
}

/// A value as text: strings as they are, numbers and booleans printed.
pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value as a number; numeric strings count (OTLP `intValue`, MLflow attributes).
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// A value as a token count (whole, non-negative; Phoenix stores counts as floats).
pub fn as_u32(v: &Value) -> Option<u32> {
    if let Value::Number(n) = v
        && let Some(u) = n.as_u64()
    {
        return u32::try_from(u).ok();
    }
    as_f64(v)
        .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f <= f64::from(u32::MAX))
        .map(|f| f as u32)
}

#[cfg(test)]
mod tests;
