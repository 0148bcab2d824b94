//! A bare attribute map (GenAI / OpenInference test fixtures, `{"gen_ai.operation.name":
//! "chat", …}`) read as one root span with no times.
//!
//! Such a map has no ids, so the trace id is made from the file name: two fixtures never
//! merge into one trace, and loading the same file twice gives the same id.

use super::Sink;
use super::json::{Ctx, RawObject, raw_str};
use crate::model::Enc;
use serde_json::value::RawValue;
use std::path::Path;

/// Keys whose value names the operation, best first.
const OPERATION_KEYS: [&str; 2] = ["gen_ai.operation.name", "openinference.span.kind"];
/// Keys whose value names what the operation acts on, best first.
const TARGET_KEYS: [&str; 6] = [
    "gen_ai.tool.name",
    "tool.name",
    "gen_ai.request.model",
    "llm.model_name",
    "gen_ai.agent.name",
    "embedding.model_name",
];

pub fn load(sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    let Some(o) = RawObject::parse(raw) else {
        sink.batch.diag(
            ctx.path,
            ctx.line_of(raw),
            "skipped: an attribute map must be a JSON object",
        );
        return;
    };
    let file = Path::new(ctx.path)
        .file_name()
        .map_or_else(|| ctx.path.to_owned(), |n| n.to_string_lossy().into_owned());
    let mut d = sink.batch.begin(ctx.src, Enc::Json, seq);
    d.span.trace_id = sink.batch.trace_id(&format!("file:{file}"));
    d.span.name = sink.batch.sym(&span_name(&o));
    d.span.set_end_ns(Some(0));
    for (key, v) in &o.0 {
        let at = ctx.at(v, Enc::Json);
        sink.batch.attr(&mut d, key, v.get().as_bytes(), at);
        // The openinference-genai fixtures carry the raw request and response as plain
        // `input` / `output`: shown when no convention key gives a payload (lowest rank).
        let alias = match &**key {
            "input" => "gen_ai.prompt",
            "output" => "gen_ai.completion",
            _ => continue,
        };
        d.sem
            .observe(alias, v.get().as_bytes(), at.with_enc(Enc::JsonStrJson));
    }
    sink.batch.finish(d);
}

/// `chat gpt-4`, `execute_tool get_weather`, `LLM gpt-4-0613`, or `span`.
fn span_name(o: &RawObject) -> String {
    let first = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| o.get(k).and_then(raw_str))
            .filter(|s| !s.is_empty())
    };
    match (first(&OPERATION_KEYS), first(&TARGET_KEYS)) {
        (Some(op), Some(target)) => format!("{op} {target}"),
        (Some(op), None) => op.into_owned(),
        (None, Some(target)) => target.into_owned(),
        (None, None) => "span".into(),
    }
}
