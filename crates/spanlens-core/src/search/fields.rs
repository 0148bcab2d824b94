//! The searchable text of a span, by field: short fields straight from the model (name,
//! kind, model, tool) and long fields decoded on demand (prompt and messages, output, tool
//! arguments and results, error, attributes).

use super::query::FieldKind;
use crate::model::conventions::is_content_key;
use crate::model::detail::SpanDetail;
use crate::model::messages::pretty;
use crate::model::{SpanIx, SpanKind, TraceSet};
use serde_json::Value;

/// One piece of searchable text.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldText {
    pub kind: FieldKind,
    /// The attribute key, for `FieldKind::Attribute`.
    pub key: Option<String>,
    pub text: String,
}

impl FieldText {
    fn new(kind: FieldKind, text: String) -> FieldText {
        FieldText {
            kind,
            key: None,
            text,
        }
    }
}

/// Short fields, read from the model without decoding anything.
pub fn short_fields(set: &TraceSet, ix: SpanIx) -> [(FieldKind, &str); 4] {
    let s = set.span(ix);
    let kind = if s.kind == SpanKind::Unknown {
        ""
    } else {
        s.kind.as_str()
    };
    [
        (FieldKind::Name, set.str(s.name)),
        (FieldKind::Tool, set.str(s.tool)),
        (FieldKind::Model, set.str(s.model)),
        (FieldKind::Kind, kind),
    ]
}

/// Long fields from a decoded span.
pub fn long_fields(
    set: &TraceSet,
    ix: SpanIx,
    d: &SpanDetail,
    explicit_attrs: bool,
) -> Vec<FieldText> {
    let s = set.span(ix);
    let mut out = Vec::new();
    let content_seen = !d.messages.is_empty() || d.input.is_some() || d.output.is_some();
    let tool_span = s.kind == SpanKind::Tool;
    let (in_kind, out_kind) = if tool_span {
        (FieldKind::ToolArgs, FieldKind::ToolResult)
    } else {
        (FieldKind::Prompt, FieldKind::Output)
    };
    let (ins, outs): (Vec<_>, Vec<_>) = d
        .messages
        .iter()
        .partition(|m| m.direction == crate::model::messages::Direction::Input);
    if !ins.is_empty() {
        out.push(FieldText::new(FieldKind::Prompt, join_messages(&ins)));
    } else if let Some(v) = &d.input {
        out.push(FieldText::new(in_kind, text_of(v)));
    }
    if !outs.is_empty() {
        out.push(FieldText::new(FieldKind::Output, join_messages(&outs)));
    } else if let Some(v) = &d.output {
        out.push(FieldText::new(out_kind, text_of(v)));
    }
    for m in &d.messages {
        for c in &m.tool_calls {
            out.push(FieldText::new(
                FieldKind::ToolArgs,
                format!("{}({})", c.name, compact(&c.arguments)),
            ));
            if let Some(r) = &c.result {
                out.push(FieldText::new(FieldKind::ToolResult, text_of(r)));
            }
        }
    }
    let mut error = s
        .status_msg
        .map(|t| set.sources.text(t))
        .unwrap_or_default();
    for e in &d.exceptions {
        error.push_str(&format!("\n{}: {}\n{}", e.kind, e.message, e.stack));
    }
    if !error.trim().is_empty() {
        out.push(FieldText::new(FieldKind::Error, error.trim().to_owned()));
    }
    for (k, v) in &d.attributes {
        // Content attributes were searched above as prompt and output; asking for them by
        // key (`attr:gen_ai.input.messages`) still finds them.
        if content_seen && is_content_key(k) && !explicit_attrs {
            continue;
        }
        out.push(FieldText {
            kind: FieldKind::Attribute,
            key: Some(k.clone()),
            text: text_of(v),
        });
    }
    out
}

/// Messages as `role: content` lines (content keeps its own line breaks).
fn join_messages(msgs: &[&crate::model::messages::Message]) -> String {
    msgs.iter()
        .map(|m| format!("{}: {}", m.role, m.content))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => pretty(other),
    }
}

pub(super) fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
