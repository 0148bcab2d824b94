//! OTLP/JSON Lines as the Collector's file exporter writes them: one `{"resourceSpans":…}`
//! per line holding 1 to 8 spans, spans emitted as they end (children before parents), a
//! trace spread over many lines, and the lines of a few concurrent traces interleaved.
//! Attributes follow the latest GenAI conventions, plus OpenInference on some spans.

use super::chat::{Chat, Msg, Part};
use super::chatjson;
use super::content::{Doc, View};
use super::jsonw::{self, Attrs};
use super::plan::{Kind, NONE, TracePlan};
use super::rng::{Rng, mix};
use super::specs::tag;
use super::{GenOptions, Plans};
use std::io::{self, Write};

/// A trace whose spans are being written.
struct Active {
    plan: TracePlan,
    order: Vec<u32>,
    pos: usize,
}

impl Active {
    fn new(plan: TracePlan) -> Self {
        let mut order: Vec<u32> = (0..plan.len() as u32).collect();
        order.sort_by_key(|&i| (plan.end[i as usize], i));
        Active {
            plan,
            order,
            pos: 0,
        }
    }
}

pub fn write(opts: &GenOptions, plans: &mut Plans, out: &mut dyn Write) -> io::Result<()> {
    let mut rng = Rng::stream(opts.seed, tag::SHAPE, u64::MAX);
    let window = if opts.traces == Some(1) { 1 } else { 4 };
    let spice = plans.spice();
    let mut active: Vec<Active> = Vec::new();
    let mut line = Vec::with_capacity(1 << 20);
    let mut scratch = String::new();
    loop {
        while active.len() < window {
            match plans.next() {
                Some(p) => active.push(Active::new(p)),
                None => break,
            }
        }
        if active.is_empty() {
            return Ok(());
        }
        let a = rng.below(active.len() as u64) as usize;
        let take = rng.range(1, 8) as usize;
        let t = &mut active[a];
        let end = (t.pos + take).min(t.order.len());
        line.clear();
        let view = View::new(&t.plan, spice);
        write_line(&mut line, &view, &t.order[t.pos..end], &mut scratch);
        line.push(b'\n');
        out.write_all(&line)?;
        t.pos = end;
        if t.pos == t.order.len() {
            active.remove(a);
        }
    }
}

fn write_line(line: &mut Vec<u8>, v: &View, spans: &[u32], scratch: &mut String) {
    let p = v.plan;
    line.extend_from_slice(b"{\"resourceSpans\":[{\"resource\":{");
    let mut a = Attrs::open(line);
    a.s("telemetry.sdk.language", "python");
    a.s("telemetry.sdk.name", "opentelemetry");
    a.s("telemetry.sdk.version", "1.38.0");
    a.s("service.name", p.persona.service);
    a.s("service.instance.id", &instance_id(p));
    a.s("deployment.environment.name", "production");
    a.close();
    line.extend_from_slice(b"},\"scopeSpans\":[{\"scope\":{\"name\":\"spanlens.gen.agent\",\"version\":\"0.1.0\"},\"spans\":[");
    let trace = p.trace_hex();
    for (k, &i) in spans.iter().enumerate() {
        if k > 0 {
            line.push(b',');
        }
        write_span(line, v, i as usize, &trace, scratch);
    }
    line.extend_from_slice(b"]}]}]}");
}

fn instance_id(p: &TracePlan) -> String {
    let h = mix(p.seed ^ 0x1d);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 20) & 0xfff,
        mix(h) & 0xffff_ffff_ffff
    )
}

fn write_span(line: &mut Vec<u8>, v: &View, i: usize, trace: &str, scratch: &mut String) {
    let p = v.plan;
    let n = &p.nodes[i];
    line.extend_from_slice(b"{\"traceId\":\"");
    line.extend_from_slice(trace.as_bytes());
    line.extend_from_slice(b"\",\"spanId\":\"");
    line.extend_from_slice(p.span_hex(i).as_bytes());
    line.push(b'"');
    if n.parent != NONE {
        line.extend_from_slice(b",\"parentSpanId\":\"");
        line.extend_from_slice(p.span_hex(n.parent as usize).as_bytes());
        line.push(b'"');
    }
    line.extend_from_slice(b",\"name\":");
    jsonw::str(line, &v.otel_name(i));
    let kind: &[u8] = if matches!(n.kind, Kind::Llm | Kind::Embedding) {
        b"3"
    } else {
        b"1"
    };
    line.extend_from_slice(b",\"kind\":");
    line.extend_from_slice(kind);
    line.extend_from_slice(b",\"startTimeUnixNano\":\"");
    jsonw::num(line, p.start[i]);
    line.extend_from_slice(b"\",\"endTimeUnixNano\":\"");
    jsonw::num(line, p.end[i]);
    line.extend_from_slice(b"\",");
    let mut a = Attrs::open(line);
    attributes(&mut a, v, i, scratch);
    a.close();
    let error = v.error(i);
    if let Some(e) = &error {
        line.extend_from_slice(b",\"events\":[{\"timeUnixNano\":\"");
        jsonw::num(line, p.end[i] - 1_000);
        line.extend_from_slice(b"\",\"name\":\"exception\",");
        let mut a = Attrs::open(line);
        a.s("exception.type", &e.ty);
        a.s("exception.message", &e.message);
        a.s("exception.stacktrace", &e.stacktrace);
        a.b("exception.escaped", false);
        a.close();
        line.extend_from_slice(b"}],\"status\":{\"code\":2,\"message\":");
        jsonw::str(line, &e.status());
        line.push(b'}');
    } else if n.parent == NONE {
        line.extend_from_slice(b",\"status\":{\"code\":1}");
    } else {
        line.extend_from_slice(b",\"status\":{}");
    }
    line.extend_from_slice(b",\"flags\":256}");
}

/// Whether this span also carries OpenInference attributes (about 3 in 10).
fn openinference(v: &View, i: usize) -> bool {
    let n = &v.plan.nodes[i];
    matches!(n.kind, Kind::Agent | Kind::Chain | Kind::Retriever) || mix(n.seed ^ 0x0e) % 10 < 3
}

fn attributes(a: &mut Attrs, v: &View, i: usize, scratch: &mut String) {
    let n = &v.plan.nodes[i];
    match n.kind {
        Kind::Agent => agent(a, v, i),
        Kind::Chain => {
            let (input, output) = v.chain_io(i);
            a.s("openinference.span.kind", "CHAIN");
            a.s("input.value", &input);
            a.s("input.mime_type", "application/json");
            a.s("output.value", &output);
            a.s("output.mime_type", "application/json");
        }
        Kind::Llm => llm(a, v, i, scratch),
        Kind::Tool => tool(a, v, i),
        Kind::Retriever => retriever(a, v, i, scratch),
        Kind::Embedding => embedding(a, v, i),
    }
    if let Some(e) = n.failed().then(|| v.error(i)).flatten() {
        a.s("error.type", &e.ty);
    }
}

fn conversation(v: &View) -> String {
    format!("conv-{:08x}", mix(v.plan.seed) >> 32)
}

fn agent(a: &mut Attrs, v: &View, i: usize) {
    let (provider, model) = v.agent_model(i);
    a.s("gen_ai.operation.name", "invoke_agent");
    a.s("gen_ai.agent.name", v.agent_name(i));
    a.s(
        "gen_ai.agent.id",
        &format!("agent-{:03}", v.plan.nodes[i].what + 1),
    );
    a.s("gen_ai.provider.name", provider);
    a.s("gen_ai.request.model", model);
    a.s("gen_ai.conversation.id", &conversation(v));
    a.s("openinference.span.kind", "AGENT");
    a.s("input.value", &v.agent_input(i));
    a.s("output.value", &v.outcome(i));
}

fn server(provider: &str) -> &'static str {
    match provider {
        "anthropic" => "api.anthropic.com",
        "gcp.gemini" => "generativelanguage.googleapis.com",
        _ => "api.openai.com",
    }
}

fn llm(a: &mut Attrs, v: &View, i: usize, scratch: &mut String) {
    let n = &v.plan.nodes[i];
    let (provider, model) = v.model(i);
    let chat = v.chat(i);
    a.s("gen_ai.operation.name", "chat");
    a.s("gen_ai.provider.name", provider);
    a.s("gen_ai.request.model", model);
    a.d("gen_ai.request.temperature", "0.2");
    a.i("gen_ai.request.max_tokens", 1024);
    a.s("server.address", server(provider));
    a.i("server.port", 443);
    a.s("gen_ai.conversation.id", &conversation(v));
    if !n.failed() {
        a.s(
            "gen_ai.response.id",
            &format!("chatcmpl-{:016x}", mix(n.seed)),
        );
        a.s("gen_ai.response.model", model);
        a.strs("gen_ai.response.finish_reasons", &[chat.finish]);
        a.i("gen_ai.usage.input_tokens", i64::from(n.in_tokens));
        a.i("gen_ai.usage.output_tokens", i64::from(n.out_tokens));
    }
    messages(a, &chat, provider, v.plan.prev_llm[i] == NONE, scratch);
    if openinference(v, i) {
        a.s("openinference.span.kind", "LLM");
        a.s("llm.model_name", model);
    }
}

/// Input/output messages; Anthropic-style providers get the system prompt separately.
fn messages(a: &mut Attrs, chat: &Chat, provider: &str, first_call: bool, scratch: &mut String) {
    let separate_system = provider == "anthropic";
    scratch.clear();
    if separate_system {
        chatjson::system_instructions(scratch, chat.system);
        a.s("gen_ai.system_instructions", scratch);
        scratch.clear();
        chatjson::genai_messages(scratch, &chat.input, None);
    } else {
        let mut all = Vec::with_capacity(chat.input.len() + 1);
        all.push(Msg {
            role: "system",
            parts: vec![Part::Text(chat.system.to_owned())],
        });
        all.extend(chat.input.iter().cloned());
        chatjson::genai_messages(scratch, &all, None);
    }
    a.s("gen_ai.input.messages", scratch);
    if let Some(out) = &chat.output {
        scratch.clear();
        chatjson::genai_messages(scratch, std::slice::from_ref(out), Some(chat.finish));
        a.s("gen_ai.output.messages", scratch);
    }
    // Tool definitions are recorded on an agent's first call only (they do not change).
    if !chat.tools.is_empty() && first_call {
        scratch.clear();
        chatjson::genai_tools(scratch, chat.tools);
        a.s("gen_ai.tool.definitions", scratch);
    }
}

fn tool(a: &mut Attrs, v: &View, i: usize) {
    let n = &v.plan.nodes[i];
    let name = v.tool_name(i);
    let args = v.tool_args(i);
    a.s("gen_ai.operation.name", "execute_tool");
    a.s("gen_ai.tool.name", &name);
    a.s("gen_ai.tool.call.id", &v.call_id(n.call));
    a.s("gen_ai.tool.type", "function");
    if let Some(def) = v.tool_def(i) {
        a.s("gen_ai.tool.description", def.description);
    }
    a.s("gen_ai.tool.call.arguments", &args);
    let result = (!n.failed()).then(|| v.tool_result(i));
    if let Some(r) = &result {
        a.s("gen_ai.tool.call.result", r);
    }
    if openinference(v, i) {
        a.s("openinference.span.kind", "TOOL");
        a.s("tool.name", &name);
        a.s("input.value", &args);
        if let Some(r) = &result {
            a.s("output.value", r);
        }
    }
}

/// Documents as JSON: `[{"id", "score", "content", "metadata": {"uri"}}]`.
pub fn docs_json(out: &mut String, docs: &[Doc], with_content: bool) {
    out.push('[');
    for (k, d) in docs.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("{{\"id\": \"{}\", \"score\": {}", d.id, d.score));
        if with_content {
            out.push_str(", \"content\": \"");
            super::text::push_escaped(out, &d.text);
            out.push_str(&format!("\", \"metadata\": {{\"uri\": \"{}\"}}", d.uri));
        }
        out.push('}');
    }
    out.push(']');
}

fn retriever(a: &mut Attrs, v: &View, i: usize, scratch: &mut String) {
    let q = v.question();
    a.s("gen_ai.operation.name", "retrieval");
    a.s("gen_ai.data_source.id", v.store());
    a.s("gen_ai.retrieval.query.text", &q);
    a.s("openinference.span.kind", "RETRIEVER");
    a.s("input.value", &q);
    if !v.plan.nodes[i].failed() {
        let docs = v.docs(i);
        scratch.clear();
        docs_json(scratch, &docs, false);
        a.s("gen_ai.retrieval.documents", scratch);
        scratch.clear();
        docs_json(scratch, &docs, true);
        a.s("output.value", scratch);
        a.s("output.mime_type", "application/json");
    }
}

fn embedding(a: &mut Attrs, v: &View, i: usize) {
    let n = &v.plan.nodes[i];
    let (provider, model) = v.model(i);
    a.s("gen_ai.operation.name", "embeddings");
    a.s("gen_ai.provider.name", provider);
    a.s("gen_ai.request.model", model);
    a.i("gen_ai.usage.input_tokens", i64::from(n.in_tokens));
    a.i("gen_ai.embeddings.dimension.count", 1536);
    if openinference(v, i) {
        a.s("openinference.span.kind", "EMBEDDING");
        a.s("embedding.model_name", model);
        a.s("input.value", &v.embed_input(i));
    }
}
