//! What each planned span says: names, the question, tool arguments and results,
//! retrieved documents, answers and errors (chat messages: `chat.rs`). Everything is a pure function of the plan, so every output format tells the
//! same story and a span's content never depends on the order spans are written in.

use super::persona::{
    CHAIN_DOCS, CHAIN_EMBED, CHAIN_INDEX, CHAIN_PLAN, CHAIN_RAG, CHAINS, MODELS, ToolDef,
};
use super::plan::{DELEGATE, Fail, Kind, NONE, TracePlan};
use super::rng::{Rng, mix};
use super::text::{self, Filler, Spice};

/// Sub-streams of a span's seed, one per purpose.
pub(super) const S_TEXT: u64 = 1;
const S_ERR: u64 = 2;
const S_RESULT: u64 = 3;

/// An exception as OTel records it.
pub struct ErrorInfo {
    pub ty: String,
    pub message: String,
    pub stacktrace: String,
}

impl ErrorInfo {
    pub fn status(&self) -> String {
        format!("{}: {}", self.ty, self.message)
    }
}

/// A retrieved document.
pub struct Doc {
    pub id: String,
    pub score: String,
    pub uri: String,
    pub text: String,
}

/// Content of one trace under one profile.
pub struct View<'a> {
    pub plan: &'a TracePlan,
    pub spice: Spice,
}

impl<'a> View<'a> {
    pub fn new(plan: &'a TracePlan, spice: Spice) -> Self {
        View { plan, spice }
    }

    pub(super) fn filler(&self) -> Filler<'a> {
        Filler {
            persona: self.plan.persona,
            facts: &self.plan.facts,
            start_ns: self.plan.start_ns,
            spice: self.spice,
        }
    }

    pub(super) fn rng(&self, i: usize, purpose: u64) -> Rng {
        Rng::stream(self.plan.nodes[i].seed, purpose, 0)
    }

    pub fn model(&self, i: usize) -> (&'static str, &'static str) {
        MODELS[usize::from(self.plan.nodes[i].what) % MODELS.len()]
    }

    /// The model an agent (or pipeline) calls: its first LLM child's, else its persona's.
    pub fn agent_model(&self, i: usize) -> (&'static str, &'static str) {
        match self
            .plan
            .children(i)
            .find(|&c| self.plan.nodes[c].kind == Kind::Llm)
        {
            Some(c) => self.model(c),
            None => MODELS[self.plan.persona.models[0]],
        }
    }

    pub fn agent_name(&self, i: usize) -> &'static str {
        match self.plan.nodes[i].what {
            0 => self.plan.persona.agent,
            w => {
                let subs = self.plan.persona.sub_agents;
                let k = (usize::from(w) - 1) % subs.len().max(1);
                subs.get(k).copied().unwrap_or(self.plan.persona.agent)
            }
        }
    }

    pub fn tool_def(&self, i: usize) -> Option<&'static ToolDef> {
        let tools = self.plan.persona.tools;
        match self.plan.nodes[i].what {
            DELEGATE => None,
            w => tools.get(usize::from(w) % tools.len().max(1)),
        }
    }

    /// The tool's name; a hand-off is `delegate_to_<sub-agent>`.
    pub fn tool_name(&self, i: usize) -> String {
        match self.tool_def(i) {
            Some(t) => t.name.to_owned(),
            None => format!("delegate_to_{}", self.delegate_target(i)),
        }
    }

    fn delegate_target(&self, i: usize) -> &'static str {
        match self.plan.first_child.get(i) {
            Some(&c) if c != NONE => self.agent_name(c as usize),
            _ => "helper",
        }
    }

    /// A span name in OTel GenAI style (`chat gpt-4o`, `execute_tool get_weather`).
    pub fn otel_name(&self, i: usize) -> String {
        let n = &self.plan.nodes[i];
        let name = match n.kind {
            Kind::Agent => format!("invoke_agent {}", self.agent_name(i)),
            Kind::Chain => CHAINS[usize::from(n.what) % CHAINS.len()].to_owned(),
            Kind::Llm => format!("chat {}", self.model(i).1),
            Kind::Tool => format!("execute_tool {}", self.tool_name(i)),
            Kind::Retriever => format!("retrieval {}", self.store()),
            Kind::Embedding => format!("embeddings {}", self.model(i).1),
        };
        self.spiced_name(i, name)
    }

    /// A span name as Python tracing decorators write it (MLflow, Phoenix).
    pub fn func_name(&self, i: usize) -> String {
        let n = &self.plan.nodes[i];
        let name = match n.kind {
            Kind::Agent => self.agent_name(i).to_owned(),
            Kind::Chain => CHAINS[usize::from(n.what) % CHAINS.len()].to_owned(),
            Kind::Llm => "ChatCompletion".to_owned(),
            Kind::Tool => self.tool_name(i),
            Kind::Retriever => "retrieve".to_owned(),
            Kind::Embedding => "Embeddings".to_owned(),
        };
        self.spiced_name(i, name)
    }

    /// Realistic files put a hostile string in about one name in 400 chains and tools.
    fn spiced_name(&self, i: usize, mut name: String) -> String {
        let n = &self.plan.nodes[i];
        let eligible = matches!(n.kind, Kind::Chain | Kind::Tool);
        if eligible && self.spice.hostile > 0.0 && mix(n.seed) % 400 == 7 {
            name.push(' ');
            name.push_str(text::HOSTILE[(mix(n.seed ^ 1) % text::HOSTILE.len() as u64) as usize]);
        }
        name
    }

    pub fn store(&self) -> &'static str {
        self.plan.persona.store.unwrap_or("vector-store")
    }

    pub fn system_prompt(&self) -> &'static str {
        let s = self.plan.persona.system;
        s[self.plan.variant as usize % s.len()]
    }

    /// The user's question for the whole trace.
    pub fn question(&self) -> String {
        let mut rng = Rng::stream(self.plan.seed, S_TEXT, 0);
        let mut q = String::new();
        let t = rng.pick(self.plan.persona.questions);
        text::fill(&mut q, t, &self.filler(), &mut rng, false);
        text::spice(&mut q, self.spice, &mut rng, false);
        q
    }

    /// What an agent span was asked: the question, or the task handed to a sub-agent.
    pub fn agent_input(&self, i: usize) -> String {
        let n = &self.plan.nodes[i];
        if n.parent == NONE || n.what == 0 {
            return self.question();
        }
        format!("Sub-task for {}: {}", self.agent_name(i), self.question())
    }

    /// The final answer of an agent or pipeline: its last successful LLM call's answer.
    pub fn outcome(&self, i: usize) -> String {
        let last = self
            .plan
            .children(i)
            .filter(|&c| self.plan.nodes[c].kind == Kind::Llm && !self.plan.nodes[c].failed())
            .last();
        match last {
            Some(l) => self.answer(l),
            None => self.answer(i),
        }
    }

    /// An answer text of about `out_tokens * 4` bytes.
    pub fn answer(&self, i: usize) -> String {
        let mut rng = self.rng(i, S_TEXT);
        let mut a = String::new();
        let t = rng.pick(self.plan.persona.answers);
        let f = self.filler();
        text::fill(&mut a, t, &f, &mut rng, false);
        let want = self.plan.nodes[i].out_tokens as usize * 4;
        if want > a.len() {
            let more = want - a.len();
            a.push(' ');
            text::prose_bytes(&mut a, &f, &mut rng, more, false);
        }
        a
    }

    /// `call_` + 24 characters, stable for a call number within a trace.
    pub fn call_id(&self, call: u32) -> String {
        const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut r = Rng::stream(self.plan.seed, 9, u64::from(call));
        let mut id = String::from("call_");
        for _ in 0..24 {
            id.push(char::from(ABC[r.below(ABC.len() as u64) as usize]));
        }
        id
    }

    /// The arguments of tool span `i` as JSON text (the same for a call and its retry).
    pub fn tool_args(&self, i: usize) -> String {
        let call = self.plan.nodes[i].call;
        let mut rng = Rng::stream(self.plan.seed, 10, u64::from(call));
        let f = self.filler();
        let mut s = String::from("{");
        let Some(def) = self.tool_def(i) else {
            s.push_str("\"task\": \"");
            let q = self.agent_input(self.plan.first_child[i].min(i as u32) as usize);
            text::push_escaped(&mut s, &q);
            s.push_str("\"}");
            return s;
        };
        for (k, (name, _, tmpl)) in def.params.iter().enumerate() {
            if k > 0 {
                s.push_str(", ");
            }
            s.push('"');
            s.push_str(name);
            s.push_str("\": ");
            match tmpl.strip_prefix('#') {
                Some(num) => text::fill(&mut s, num, &f, &mut rng, true),
                None => {
                    s.push('"');
                    text::fill(&mut s, tmpl, &f, &mut rng, true);
                    s.push('"');
                }
            }
        }
        s.push('}');
        s
    }

    /// The result of a successful tool span as JSON text.
    pub fn tool_result(&self, i: usize) -> String {
        let mut rng = self.rng(i, S_RESULT);
        let mut s = String::new();
        match self.tool_def(i) {
            Some(def) => text::fill(&mut s, def.result, &self.filler(), &mut rng, true),
            None => {
                let c = self.plan.first_child[i];
                let answer = if c == NONE {
                    self.answer(i)
                } else {
                    self.outcome(c as usize)
                };
                s.push_str("{\"agent\": \"");
                s.push_str(self.delegate_target(i));
                s.push_str("\", \"answer\": \"");
                text::push_escaped(&mut s, &answer);
                s.push_str("\"}");
            }
        }
        s
    }

    /// What the model sees as the tool's output: the result, or the error text.
    pub fn tool_output(&self, i: usize) -> String {
        match self.error(i) {
            Some(e) => format!("\"Error: {}\"", json_escape(&e.status())),
            None => self.tool_result(i),
        }
    }

    /// The exception of a failed span.
    pub fn error(&self, i: usize) -> Option<ErrorInfo> {
        let n = &self.plan.nodes[i];
        let mut rng = self.rng(i, S_ERR);
        let f = self.filler();
        let (ty, msg, func) = match n.fail {
            Fail::No => return None,
            Fail::Tool => {
                let def = self.tool_def(i)?;
                let (ty, tmpl) = rng.pick(def.errors);
                let mut m = String::new();
                text::fill(&mut m, tmpl, &f, &mut rng, false);
                (ty.to_owned(), m, def.name)
            }
            Fail::RateLimit => {
                let (ty, m) = rate_limit(self.model(i), &mut rng);
                (ty, m, "create")
            }
            Fail::Timeout => {
                let m = format!(
                    "vector store query on {} exceeded 5.0 seconds",
                    self.store()
                );
                ("TimeoutError".to_owned(), m, "similarity_search")
            }
        };
        let stacktrace = traceback(&ty, &msg, func, n.fail, &mut rng);
        Some(ErrorInfo {
            ty,
            message: msg,
            stacktrace,
        })
    }

    /// Documents a retriever returned.
    pub fn docs(&self, i: usize) -> Vec<Doc> {
        let mut rng = self.rng(i, S_RESULT);
        let f = self.filler();
        let n = self.plan.nodes[i].size.max(1) as u64;
        let mut score = 96 - rng.below(8);
        (0..n)
            .map(|k| {
                let pick = rng.below(self.plan.persona.docs.len() as u64) as usize;
                let mut text = String::new();
                text::fill(&mut text, self.plan.persona.docs[pick], &f, &mut rng, false);
                if self.spice.unicode > 0.0 {
                    text.push(' ');
                    let extra = rng.log_uniform(50, 1_500) as usize;
                    text::prose_bytes(&mut text, &f, &mut rng, extra, false);
                }
                score -= rng.range(1, 9).min(score - 10);
                Doc {
                    id: format!("doc-{}", k + 1),
                    score: format!("0.{score:02}"),
                    uri: format!("kb://{}/{}", self.store(), pick + 1),
                    text,
                }
            })
            .collect()
    }

    /// Texts an embedding span embedded.
    pub fn embed_input(&self, i: usize) -> String {
        let parent = self.plan.nodes[i].parent;
        if parent != NONE && self.plan.nodes[parent as usize].kind == Kind::Retriever {
            return self.question();
        }
        let mut rng = self.rng(i, S_TEXT);
        let mut s = format!("chunk {}: ", i);
        let bytes = self.plan.nodes[i].in_tokens as usize * 4;
        text::prose_bytes(&mut s, &self.filler(), &mut rng, bytes, false);
        s
    }

    /// Input and output of a chain span, as JSON texts.
    pub fn chain_io(&self, i: usize) -> (String, String) {
        let n = &self.plan.nodes[i];
        let q = json_escape(&self.question());
        match n.what {
            CHAIN_PLAN => {
                let depth = self.depth(i);
                (
                    format!("{{\"task\": \"{q}\", \"level\": {depth}}}"),
                    format!("{{\"subtasks\": 2, \"level\": {depth}}}"),
                )
            }
            CHAIN_INDEX => (
                format!(
                    "{{\"source\": \"s3://corpus/{}/\"}}",
                    self.plan.facts.topic.replace(' ', "-")
                ),
                "{\"indexed_chunks\": 5000}".to_owned(),
            ),
            CHAIN_EMBED => (
                "{\"batch_size\": 16, \"chunks\": 5000}".to_owned(),
                "{\"vectors\": 5000, \"dimensions\": 1536}".to_owned(),
            ),
            CHAIN_RAG => (
                format!("{{\"question\": \"{q}\"}}"),
                format!("\"{}\"", json_escape(&self.outcome(i))),
            ),
            CHAIN_DOCS => {
                let mut rng = self.rng(i, S_TEXT);
                let mut ctx = String::new();
                text::prose(&mut ctx, &self.filler(), &mut rng, 3, false);
                (
                    "{\"documents\": 4}".to_owned(),
                    format!("\"{}\"", json_escape(&ctx)),
                )
            }
            _ => (
                format!("{{\"text\": \"{q}\"}}"),
                "{\"action\": \"final_answer\"}".to_owned(),
            ),
        }
    }

    fn depth(&self, mut i: usize) -> usize {
        let mut d = 0;
        while self.plan.nodes[i].parent != NONE && d < 64 {
            i = self.plan.nodes[i].parent as usize;
            d += 1;
        }
        d
    }
}

/// `s` escaped for the inside of a JSON string.
pub fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    text::push_escaped(&mut out, s);
    out
}

fn rate_limit((provider, model): (&str, &str), rng: &mut Rng) -> (String, String) {
    let wait = rng.range(2, 30);
    match provider {
        "anthropic" => (
            "anthropic.RateLimitError".into(),
            "Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Number of request tokens has exceeded your per-minute rate limit'}}".into(),
        ),
        "gcp.gemini" => (
            "google.api_core.exceptions.ResourceExhausted".into(),
            "429 Resource has been exhausted (e.g. check quota).".into(),
        ),
        _ => (
            "openai.RateLimitError".into(),
            format!(
                "Error code: 429 - {{'error': {{'message': 'Rate limit reached for {model} in organization org-demo on tokens per min (TPM): Limit 30000, Used {}, Requested {}. Please try again in {wait}.{}s.', 'type': 'tokens', 'code': 'rate_limit_exceeded'}}}}",
                rng.range(28_000, 29_990),
                rng.range(800, 4_000),
                rng.below(100)
            ),
        ),
    }
}

/// A Python traceback ending in the exception, through the code path that fails.
fn traceback(ty: &str, msg: &str, func: &str, fail: Fail, rng: &mut Rng) -> String {
    let (a, b) = (rng.range(40, 400), rng.range(10, 120));
    let frames = match fail {
        Fail::RateLimit => format!(
            "  File \"/app/agent/llm.py\", line {a}, in call_model\n    response = client.chat.completions.create(**request)\n  File \"/usr/lib/python3.12/site-packages/openai/_base_client.py\", line 1047, in request\n    raise self._make_status_error_from_response(err.response) from None\n"
        ),
        Fail::Timeout => format!(
            "  File \"/app/agent/retrieval.py\", line {a}, in retrieve\n    hits = store.{func}(query, k=top_k)\n  File \"/usr/lib/python3.12/site-packages/vectorstore/client.py\", line {b}, in {func}\n    return self._post(\"/query\", payload, timeout=5.0)\n"
        ),
        _ => format!(
            "  File \"/app/agent/runner.py\", line {a}, in run_step\n    result = tool.invoke(arguments)\n  File \"/app/agent/tools/{func}.py\", line {b}, in {func}\n    response = client.request(payload, timeout=10.0)\n"
        ),
    };
    format!("Traceback (most recent call last):\n{frames}{ty}: {msg}\n")
}
