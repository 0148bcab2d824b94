//! MLflow 3 `Trace.to_json()` documents, one trace per line: `info` (TraceInfoV3 with
//! `tr-` id, state, request time, metadata, tags) and `data.spans` with base64 ids, integer
//! nanosecond times, `STATUS_CODE_*` statuses and JSON-encoded attribute values.

use super::chatjson;
use super::content::{View, json_escape};
use super::jsonw;
use super::plan::{Kind, NONE, TracePlan};
use super::rng::mix;
use super::{GenOptions, Plans};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use spanlens_core::model::time::format_iso_ms;
use std::io::{self, Write};

/// Flush the line buffer to the output past this size (a 100,000-span trace is one line).
const FLUSH: usize = 1 << 20;

pub fn write(_opts: &GenOptions, plans: &mut Plans, out: &mut dyn Write) -> io::Result<()> {
    let spice = plans.spice();
    let mut buf = Vec::with_capacity(FLUSH * 2);
    let mut scratch = String::new();
    for plan in plans.by_ref() {
        let v = View::new(&plan, spice);
        buf.extend_from_slice(b"{\"info\": ");
        info(&mut buf, &v);
        buf.extend_from_slice(b", \"data\": {\"spans\": [");
        let tid = STANDARD.encode(plan.trace_id());
        let req = format!("\"tr-{}\"", plan.trace_hex());
        for i in 0..plan.len() {
            if i > 0 {
                buf.extend_from_slice(b", ");
            }
            span(&mut buf, &v, i, (&tid, &req), &mut scratch);
            if buf.len() > FLUSH {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        buf.extend_from_slice(b"]}}\n");
        out.write_all(&buf)?;
        buf.clear();
    }
    Ok(())
}

fn b64_span(p: &TracePlan, i: usize) -> String {
    STANDARD.encode(p.span_id(i).to_be_bytes())
}

/// A string member `"k": "v"` after a comma.
fn kv(buf: &mut Vec<u8>, k: &str, v: &str) {
    buf.extend_from_slice(b", ");
    jsonw::str(buf, k);
    buf.extend_from_slice(b": ");
    jsonw::str(buf, v);
}

/// Cut to `max` characters, as MLflow's metadata and previews are.
fn cut(s: &str, max: usize, suffix: &str) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let keep = max.saturating_sub(suffix.chars().count());
            let end = s.char_indices().nth(keep).map_or(s.len(), |(b, _)| b);
            format!("{}{suffix}", &s[..end])
        }
    }
}

fn info(buf: &mut Vec<u8>, v: &View) {
    let p = v.plan;
    let root = 0;
    let inputs = format!("{{\"question\": \"{}\"}}", json_escape(&v.question()));
    let outputs = format!("\"{}\"", json_escape(&v.outcome(root)));
    let (tin, tout) = p
        .nodes
        .iter()
        .filter(|n| n.kind == Kind::Llm && !n.failed())
        .fold((0u64, 0u64), |(a, b), n| {
            (a + u64::from(n.in_tokens), b + u64::from(n.out_tokens))
        });
    buf.extend_from_slice(b"{\"trace_id\": ");
    jsonw::str(buf, &format!("tr-{}", p.trace_hex()));
    kv(buf, "client_request_id", &format!("req-{:06}", p.index + 1));
    buf.extend_from_slice(b", \"trace_location\": {\"type\": \"MLFLOW_EXPERIMENT\", \"mlflow_experiment\": {\"experiment_id\": \"1\"}}");
    kv(buf, "request_time", &format_iso_ms(p.start[root]));
    buf.extend_from_slice(b", \"execution_duration_ms\": ");
    jsonw::num(buf, (p.end[root] - p.start[root]) / 1_000_000);
    kv(
        buf,
        "state",
        if p.nodes[root].failed() {
            "ERROR"
        } else {
            "OK"
        },
    );
    kv(buf, "request_preview", &cut(&inputs, 1000, ""));
    kv(buf, "response_preview", &cut(&outputs, 1000, ""));
    buf.extend_from_slice(b", \"trace_metadata\": {\"mlflow.trace_schema.version\": \"3\"");
    kv(buf, "mlflow.traceInputs", &cut(&inputs, 250, "..."));
    kv(buf, "mlflow.traceOutputs", &cut(&outputs, 250, "..."));
    let usage = format!(
        "{{\"input_tokens\": {tin}, \"output_tokens\": {tout}, \"total_tokens\": {}}}",
        tin + tout
    );
    kv(buf, "mlflow.trace.tokenUsage", &usage);
    kv(buf, "mlflow.trace.user", p.facts.email);
    kv(
        buf,
        "mlflow.trace.session",
        &format!("session-{:08x}", mix(p.seed) >> 32),
    );
    kv(buf, "mlflow.source.type", "LOCAL");
    kv(
        buf,
        "mlflow.source.name",
        &format!("{}.py", p.persona.agent),
    );
    kv(buf, "mlflow.user", "svc-agents");
    buf.extend_from_slice(b"}, \"tags\": {\"mlflow.traceName\": ");
    jsonw::str(buf, &v.func_name(root));
    kv(
        buf,
        "mlflow.artifactLocation",
        &format!("mlflow-artifacts:/1/traces/tr-{}/artifacts", p.trace_hex()),
    );
    kv(buf, "service", p.persona.service);
    buf.extend_from_slice(b"}, \"assessments\": []}");
}

fn span(buf: &mut Vec<u8>, v: &View, i: usize, (tid, req): (&str, &str), scratch: &mut String) {
    let p = v.plan;
    let n = &p.nodes[i];
    buf.extend_from_slice(b"{\"trace_id\": ");
    jsonw::str(buf, tid);
    kv(buf, "span_id", &b64_span(p, i));
    buf.extend_from_slice(b", \"parent_span_id\": ");
    if n.parent == NONE {
        buf.extend_from_slice(b"null");
    } else {
        jsonw::str(buf, &b64_span(p, n.parent as usize));
    }
    kv(buf, "name", &v.func_name(i));
    buf.extend_from_slice(b", \"start_time_unix_nano\": ");
    jsonw::num(buf, p.start[i]);
    buf.extend_from_slice(b", \"end_time_unix_nano\": ");
    jsonw::num(buf, p.end[i]);
    buf.extend_from_slice(b", \"events\": [");
    let error = v.error(i);
    if let Some(e) = &error {
        buf.extend_from_slice(b"{\"name\": \"exception\", \"time_unix_nano\": ");
        jsonw::num(buf, p.end[i] - 1_000);
        buf.extend_from_slice(b", \"attributes\": {\"exception.type\": ");
        jsonw::str(buf, &e.ty);
        kv(buf, "exception.message", &e.message);
        kv(buf, "exception.stacktrace", &e.stacktrace);
        kv(buf, "exception.escaped", "False");
        buf.extend_from_slice(b"}}");
    }
    buf.extend_from_slice(b"], \"status\": {\"code\": ");
    match &error {
        Some(e) => {
            jsonw::str(buf, "STATUS_CODE_ERROR");
            kv(buf, "message", &e.status());
        }
        None => buf.extend_from_slice(b"\"STATUS_CODE_OK\", \"message\": \"\""),
    }
    buf.extend_from_slice(b"}, \"attributes\": {\"mlflow.traceRequestId\": ");
    jsonw::str(buf, req);
    attributes(buf, v, i, error.is_some(), scratch);
    buf.extend_from_slice(b"}, \"links\": []}");
}

/// Span attributes; every value is JSON text inside a JSON string.
fn attributes(buf: &mut Vec<u8>, v: &View, i: usize, failed: bool, s: &mut String) {
    let n = &v.plan.nodes[i];
    let ty = match n.kind {
        Kind::Llm => "CHAT_MODEL",
        k => k.label(),
    };
    kv(buf, "mlflow.spanType", &format!("\"{ty}\""));
    if n.kind != Kind::Llm {
        kv(
            buf,
            "mlflow.spanFunctionName",
            &format!("\"{}\"", json_escape(&v.func_name(i))),
        );
    }
    s.clear();
    let output = io(v, i, s);
    kv(buf, "mlflow.spanInputs", s);
    if !failed {
        kv(buf, "mlflow.spanOutputs", &output);
    }
    kv(buf, "mlflow.spanLogLevel", if failed { "40" } else { "20" });
    if n.kind == Kind::Llm {
        let (provider, model) = v.model(i);
        kv(buf, "mlflow.message.format", "\"openai\"");
        kv(buf, "mlflow.llm.model", &format!("\"{model}\""));
        kv(buf, "mlflow.llm.provider", &format!("\"{provider}\""));
        kv(buf, "model", &format!("\"{model}\""));
        kv(buf, "temperature", "0.2");
        if !failed {
            let usage = format!(
                "{{\"input_tokens\": {}, \"output_tokens\": {}, \"total_tokens\": {}}}",
                n.in_tokens,
                n.out_tokens,
                n.in_tokens + n.out_tokens
            );
            kv(buf, "mlflow.chat.tokenUsage", &usage);
        }
        if !v.plan.persona.tools.is_empty() {
            s.clear();
            chatjson::openai_tools(s, v.plan.persona.tools);
            kv(buf, "mlflow.chat.tools", s);
        }
    }
}

/// Writes the span's inputs (JSON) into `s` and returns its outputs (JSON).
fn io(v: &View, i: usize, s: &mut String) -> String {
    let n = &v.plan.nodes[i];
    match n.kind {
        Kind::Agent => {
            s.push_str(&format!(
                "{{\"question\": \"{}\"}}",
                json_escape(&v.agent_input(i))
            ));
            format!("\"{}\"", json_escape(&v.outcome(i)))
        }
        Kind::Chain => {
            let (input, output) = v.chain_io(i);
            s.push_str(&input);
            output
        }
        Kind::Llm => {
            let chat = v.chat(i);
            let model = v.model(i).1;
            chatjson::openai_request(s, model, chat.system, &chat.input, chat.tools);
            let mut out = String::new();
            if let Some(m) = &chat.output {
                let id = format!("chatcmpl-{:016x}", mix(n.seed));
                chatjson::openai_response(
                    &mut out,
                    model,
                    &id,
                    m,
                    chat.finish,
                    (n.in_tokens, n.out_tokens),
                );
            }
            out
        }
        Kind::Tool => {
            s.push_str(&v.tool_args(i));
            if n.failed() {
                String::new()
            } else {
                v.tool_result(i)
            }
        }
        Kind::Retriever => {
            s.push_str(&format!(
                "{{\"query\": \"{}\"}}",
                json_escape(&v.question())
            ));
            if n.failed() {
                return String::new();
            }
            retrieved(v, i)
        }
        Kind::Embedding => {
            s.push_str(&format!(
                "{{\"input\": [\"{}\"]}}",
                json_escape(&v.embed_input(i))
            ));
            let h = mix(n.seed);
            let vec: Vec<String> = (0..8)
                .map(|k| {
                    format!(
                        "{}0.0{:03}",
                        if (h >> k) & 1 == 1 { "-" } else { "" },
                        (h >> (k * 8)) % 1000
                    )
                })
                .collect();
            format!("[[{}]]", vec.join(", "))
        }
    }
}

/// LangChain-style documents: `[{page_content, metadata{doc_uri, chunk_id}, id}]`.
fn retrieved(v: &View, i: usize) -> String {
    let docs = v.docs(i);
    let mut out = String::from("[");
    for (k, d) in docs.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!(
            "{{\"page_content\": \"{}\", \"metadata\": {{\"doc_uri\": \"{}\", \"chunk_id\": \"c-{}\", \"score\": {}}}, \"id\": \"{}\"}}",
            json_escape(&d.text),
            d.uri,
            k + 1,
            d.score,
            d.id
        ));
    }
    out.push(']');
    out
}
