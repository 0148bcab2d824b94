//! Chat messages as JSON text, in the two shapes exports carry: OTel GenAI messages with
//! typed parts (`gen_ai.input.messages`) and OpenAI chat-completion bodies (MLflow span
//! inputs and outputs, OpenInference `input.value`). Spacing follows Python's
//! `json.dumps`, as the instrumentations that write these strings use it.

use super::chat::{Msg, Part};
use super::content::json_escape;
use super::persona::ToolDef;
use std::fmt::Write;

fn q(out: &mut String, s: &str) {
    out.push('"');
    super::text::push_escaped(out, s);
    out.push('"');
}

/// `[{"role": …, "parts": [...]}, …]`; output messages carry `finish_reason`.
pub fn genai_messages(out: &mut String, msgs: &[Msg], finish: Option<&str>) {
    out.push('[');
    for (k, m) in msgs.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"role\": ");
        q(out, m.role);
        out.push_str(", \"parts\": [");
        for (j, p) in m.parts.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            genai_part(out, p);
        }
        out.push(']');
        if let Some(f) = finish {
            out.push_str(", \"finish_reason\": ");
            q(out, f);
        }
        out.push('}');
    }
    out.push(']');
}

fn genai_part(out: &mut String, p: &Part) {
    match p {
        Part::Text(t) => {
            out.push_str("{\"type\": \"text\", \"content\": ");
            q(out, t);
        }
        Part::Call { id, name, args } => {
            out.push_str("{\"type\": \"tool_call\", \"id\": ");
            q(out, id);
            out.push_str(", \"name\": ");
            q(out, name);
            out.push_str(", \"arguments\": ");
            out.push_str(args);
        }
        Part::Response { id, body } => {
            out.push_str("{\"type\": \"tool_call_response\", \"id\": ");
            q(out, id);
            out.push_str(", \"response\": ");
            out.push_str(body);
        }
    }
    out.push('}');
}

/// `gen_ai.system_instructions`: a list of parts.
pub fn system_instructions(out: &mut String, text: &str) {
    out.push_str("[{\"type\": \"text\", \"content\": ");
    q(out, text);
    out.push_str("}]");
}

fn parameters(out: &mut String, t: &ToolDef) {
    out.push_str("{\"type\": \"object\", \"properties\": {");
    for (k, (name, ty, _)) in t.params.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{name}\": {{\"type\": \"{ty}\"}}");
    }
    out.push_str("}, \"required\": [");
    for (k, (name, _, _)) in t.params.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{name}\"");
    }
    out.push_str("]}");
}

/// `gen_ai.tool.definitions`.
pub fn genai_tools(out: &mut String, tools: &[ToolDef]) {
    tool_list(out, tools, false);
}

/// OpenAI `tools`: the same, each wrapped in `"function": {…}`.
pub fn openai_tools(out: &mut String, tools: &[ToolDef]) {
    tool_list(out, tools, true);
}

fn tool_list(out: &mut String, tools: &[ToolDef], wrapped: bool) {
    out.push('[');
    for (k, t) in tools.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"type\": \"function\", ");
        if wrapped {
            out.push_str("\"function\": {");
        }
        let (name, description) = (t.name, t.description);
        let _ = write!(
            out,
            "\"name\": \"{name}\", \"description\": \"{description}\", \"parameters\": "
        );
        parameters(out, t);
        out.push_str(if wrapped { "}}" } else { "}" });
    }
    out.push(']');
}

/// One OpenAI chat message.
fn openai_message(out: &mut String, m: &Msg) {
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut response = None;
    for p in &m.parts {
        match p {
            Part::Text(t) => text.push_str(t),
            Part::Call { id, name, args } => calls.push((id, name, args)),
            Part::Response { id, body } => response = Some((id, body)),
        }
    }
    out.push_str("{\"role\": ");
    q(out, m.role);
    if let Some((id, body)) = response {
        out.push_str(", \"tool_call_id\": ");
        q(out, id);
        out.push_str(", \"content\": ");
        q(out, body);
    } else if calls.is_empty() {
        out.push_str(", \"content\": ");
        q(out, &text);
    } else {
        out.push_str(", \"content\": null, \"tool_calls\": [");
        for (k, (id, name, args)) in calls.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            out.push_str("{\"id\": ");
            q(out, id);
            out.push_str(", \"type\": \"function\", \"function\": {\"name\": ");
            q(out, name);
            out.push_str(", \"arguments\": ");
            q(out, args);
            out.push_str("}}");
        }
        out.push(']');
    }
    out.push('}');
}

/// An OpenAI chat-completion request body.
pub fn openai_request(
    out: &mut String,
    model: &str,
    system: &str,
    msgs: &[Msg],
    tools: &[ToolDef],
) {
    out.push_str("{\"model\": ");
    q(out, model);
    out.push_str(", \"messages\": [{\"role\": \"system\", \"content\": ");
    q(out, system);
    out.push('}');
    for m in msgs {
        out.push_str(", ");
        openai_message(out, m);
    }
    out.push(']');
    if !tools.is_empty() {
        out.push_str(", \"tools\": ");
        openai_tools(out, tools);
    }
    out.push_str(", \"temperature\": 0.2}");
}

/// An OpenAI chat-completion response body.
pub fn openai_response(
    out: &mut String,
    model: &str,
    id: &str,
    m: &Msg,
    finish: &str,
    usage: (u32, u32),
) {
    let finish = if finish == "tool_call" {
        "tool_calls"
    } else {
        finish
    };
    let _ = write!(
        out,
        "{{\"id\": \"{id}\", \"object\": \"chat.completion\", \"model\": \"{}\", \"choices\": [{{\"index\": 0, \"message\": ",
        json_escape(model)
    );
    openai_message(out, m);
    let _ = write!(
        out,
        ", \"finish_reason\": \"{finish}\"}}], \"usage\": {{\"prompt_tokens\": {}, \"completion_tokens\": {}, \"total_tokens\": {}}}}}",
        usage.0,
        usage.1,
        usage.0 + usage.1
    );
}
