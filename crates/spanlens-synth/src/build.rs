//! The span tree of one trace: an agent loop of LLM calls and tool calls with sub-agents,
//! a RAG pipeline, a 30-deep planner, a 5,000-child fan-out. Every builder consumes exactly
//! the span budget it is given, so the report's counts are exact.

use super::persona::{
    CHAIN_DOCS, CHAIN_EMBED, CHAIN_INDEX, CHAIN_PARSE, CHAIN_PLAN, CHAIN_RAG, EMBED_MODEL, Persona,
};
use super::plan::{DELEGATE, Fail, Kind, NONE, Node};
use super::rng::Rng;
use super::specs::{DEEP_LEVELS, FANOUT, MS, Shape, TraceSpec, tag};
use super::{GenOptions, Profile};

/// Builds the span tree of one trace.
pub struct Builder {
    rng: Rng,
    pub nodes: Vec<Node>,
    pub next_call: u32,
    persona: &'static Persona,
    model: u16,
    rate: f64,
    max_prompt: u64,
    max_answer: u64,
    outlier: bool,
    deck: Vec<u16>,
}

/// Deepest a sub-agent hand-off may reach in ordinary traces.
const MAX_NEST_DEPTH: u32 = 12;

impl Builder {
    pub fn new(opts: &GenOptions, persona: &'static Persona, index: usize) -> Builder {
        let mut rng = Rng::stream(opts.seed, tag::SHAPE, index as u64);
        let model = rng.pick(persona.models) as u16;
        let realistic = opts.profile == Profile::Realistic;
        Builder {
            rng,
            nodes: Vec::new(),
            next_call: 1,
            persona,
            model,
            rate: opts.error_rate,
            max_prompt: if realistic { 20_000 } else { 3_000 },
            max_answer: if realistic { 600 } else { 120 },
            // A few 1 MB prompts in large realistic files, at fixed trace positions.
            outlier: realistic && opts.spans >= 20_000 && index % 997 == 3,
            deck: Vec::new(),
        }
    }

    /// Builds a trace of exactly `spec.size` spans.
    pub fn build(&mut self, spec: &TraceSpec) {
        match spec.shape {
            Shape::Normal | Shape::Huge => self.top(spec.size),
            Shape::Deep => self.deep(spec.size),
            Shape::FanOut => self.fanout(spec.size),
        }
        debug_assert_eq!(self.nodes.len(), spec.size);
    }

    fn top(&mut self, size: usize) {
        if size == 0 {
            return;
        }
        if self.persona.tools.is_empty() {
            let root = self.push(NONE, Kind::Chain);
            self.nodes[root as usize].what = CHAIN_RAG;
            self.rag_body(root, size - 1);
        } else {
            self.agent(NONE, 0, size, 0);
        }
    }

    /// A planner that decomposes its task 30 levels deep, then works normally.
    fn deep(&mut self, size: usize) {
        let root = self.push(NONE, Kind::Agent);
        let mut parent = root;
        for _ in 1..DEEP_LEVELS {
            parent = self.push(parent, Kind::Chain);
            self.nodes[parent as usize].what = CHAIN_PLAN;
        }
        self.llm(parent);
        self.body(root, 1, size - 1 - DEEP_LEVELS);
    }

    /// An indexing job that embeds 5,000 chunks in parallel batches of 16.
    fn fanout(&mut self, size: usize) {
        let root = self.push(NONE, Kind::Chain);
        self.nodes[root as usize].what = CHAIN_INDEX;
        let batch = self.push(root, Kind::Chain);
        self.nodes[batch as usize].what = CHAIN_EMBED;
        for i in 0..FANOUT {
            let e = self.embedding(batch) as usize;
            self.nodes[e].parallel = i % 16 != 0;
            self.nodes[e].gap /= 4;
        }
        self.body(root, 1, size - 2 - FANOUT);
    }

    fn body(&mut self, me: u32, depth: u32, left: usize) {
        if self.persona.tools.is_empty() {
            self.rag_body(me, left);
        } else {
            self.agent_body(me, depth, left);
        }
    }

    /// An agent span and its loop: `budget` spans in all.
    fn agent(&mut self, parent: u32, depth: u32, budget: usize, who: u16) {
        let me = self.push(parent, Kind::Agent);
        self.nodes[me as usize].what = who;
        self.agent_body(me, depth + 1, budget - 1);
    }

    /// Optional retrieval, then LLM step -> tool calls -> ... -> final LLM answer.
    fn agent_body(&mut self, me: u32, depth: u32, mut left: usize) {
        if left >= 5 && self.persona.store.is_some() && self.rng.chance(0.5) {
            left -= self.retriever(me, left >= 6);
        }
        while left > 0 {
            left -= match left {
                1 => {
                    self.llm(me);
                    1
                }
                2 => {
                    let c = self.push(me, Kind::Chain);
                    self.nodes[c as usize].what = CHAIN_PARSE;
                    1
                }
                _ => self.step(me, depth, left),
            };
        }
    }

    /// One LLM call that asks for tools, and the tool calls. Keeps one span for the answer.
    fn step(&mut self, me: u32, depth: u32, left: usize) -> usize {
        let mut used = 1;
        let l = self.llm(me) as usize;
        self.nodes[l].out_tokens = self.rng.range(12, 90) as u32;
        if left >= 4 && self.rng.chance(self.rate / 2.0) {
            self.rate_limit_then_retry(l);
            used += 1;
        }
        let room = left - used - 1;
        let calls = (self.rng.range(1, 4) as usize).min(room);
        let parallel = calls >= 2 && self.rng.chance(0.35);
        let mut spent = 0;
        for c in 0..calls {
            let avail = room - spent - (calls - c - 1);
            spent += self.tool_call(me, depth, avail, parallel && c > 0);
        }
        used + spent
    }

    /// Turns LLM span `l` into a 429 and appends the successful retry.
    fn rate_limit_then_retry(&mut self, l: usize) {
        let mut retry = self.nodes[l].clone();
        retry.retry = true;
        retry.gap = self.rng.range(500, 3_000) as i64 * MS;
        let n = &mut self.nodes[l];
        n.fail = Fail::RateLimit;
        n.out_tokens = 0;
        n.dur = self.rng.range(40, 300) as i64 * MS;
        self.nodes.push(retry);
    }

    /// A tool call (possibly failing, possibly retried) or a hand-off to a sub-agent.
    fn tool_call(&mut self, me: u32, depth: u32, avail: usize, parallel: bool) -> usize {
        let p = if avail > 40 { 0.4 } else { 0.12 };
        if avail >= 12
            && depth + 2 <= MAX_NEST_DEPTH
            && !self.persona.sub_agents.is_empty()
            && self.rng.chance(p)
        {
            let lo = (avail / 4).max(5);
            let b = self.rng.urange(lo, (avail / 2).max(lo));
            let t = self.tool(me, DELEGATE, parallel);
            let who = 1 + self.rng.below(self.persona.sub_agents.len() as u64) as u16;
            self.agent(t, depth + 1, b - 1, who);
            return b;
        }
        let which = self.next_tool();
        let t = self.tool(me, which, parallel) as usize;
        if self.rng.chance(self.rate) {
            self.nodes[t].fail = Fail::Tool;
            if avail >= 2 && self.rng.chance(0.6) {
                let mut retry = self.nodes[t].clone();
                retry.fail = Fail::No;
                retry.retry = true;
                retry.parallel = false;
                retry.seed = self.rng.next_u64();
                retry.gap = self.rng.range(200, 2_000) as i64 * MS;
                self.nodes.push(retry);
                return 2;
            }
        }
        1
    }

    /// The next tool from a shuffled deck, so a trace uses its tools evenly.
    fn next_tool(&mut self) -> u16 {
        if self.deck.is_empty() {
            let n = self.persona.tools.len();
            self.deck = (0..n as u16).collect();
            for k in (1..n).rev() {
                let j = self.rng.below(k as u64 + 1) as usize;
                self.deck.swap(k, j);
            }
        }
        self.deck.pop().unwrap_or(0)
    }

    /// Retrieval steps (each with its query embedding) and the answer.
    fn rag_body(&mut self, me: u32, mut left: usize) {
        let mut first = true;
        while left > 1 {
            if left >= 3 {
                let used = self.retriever(me, true);
                // Multi-query retrieval runs in parallel.
                if !first {
                    let r = self.nodes.len() - used;
                    self.nodes[r].parallel = true;
                }
                first = false;
                left -= used;
            } else if self.rng.chance(self.rate) {
                // The answer call is rate-limited once and retried.
                let l = self.llm(me) as usize;
                self.rate_limit_then_retry(l);
                return;
            } else {
                let c = self.push(me, Kind::Chain);
                self.nodes[c as usize].what = CHAIN_DOCS;
                left -= 1;
            }
        }
        if left == 1 {
            self.llm(me);
        }
    }

    fn retriever(&mut self, parent: u32, with_embedding: bool) -> usize {
        let r = self.push(parent, Kind::Retriever);
        self.nodes[r as usize].size = self.rng.range(3, 5) as u32;
        if self.rng.chance(self.rate / 2.0) {
            self.nodes[r as usize].fail = Fail::Timeout;
        }
        if with_embedding {
            let e = self.embedding(r) as usize;
            self.nodes[e].in_tokens = self.rng.range(8, 40) as u32;
            return 2;
        }
        1
    }

    fn embedding(&mut self, parent: u32) -> u32 {
        let e = self.push(parent, Kind::Embedding);
        let n = &mut self.nodes[e as usize];
        n.what = EMBED_MODEL as u16;
        n.size = 1;
        n.in_tokens = self.rng.range(60, 400) as u32;
        e
    }

    fn tool(&mut self, parent: u32, which: u16, parallel: bool) -> u32 {
        let t = self.push(parent, Kind::Tool);
        let n = &mut self.nodes[t as usize];
        n.what = which;
        n.parallel = parallel;
        n.call = self.next_call;
        self.next_call += 1;
        t
    }

    /// An LLM call; a final answer by default (`step` shortens it to a tool-call turn).
    fn llm(&mut self, parent: u32) -> u32 {
        let l = self.push(parent, Kind::Llm);
        let size = if std::mem::take(&mut self.outlier) {
            1 << 20
        } else {
            // The smallest of three log-uniform draws: every size from 200 B to the maximum
            // occurs, but most prompts are short, as in real agent traffic (and 1,000,000
            // spans come to about 1.7 GB of OTLP JSON).
            let draw = |rng: &mut super::rng::Rng| rng.log_uniform(200, self.max_prompt);
            let a = draw(&mut self.rng).min(draw(&mut self.rng));
            a.min(draw(&mut self.rng))
        };
        let out = self.rng.log_uniform(30, self.max_answer) as u32;
        let n = &mut self.nodes[l as usize];
        n.what = self.model;
        n.outlier = size == 1 << 20;
        n.size = size as u32;
        n.in_tokens = (size / 4) as u32 + 40;
        n.out_tokens = out;
        n.dur = 250 * MS + i64::from(out) * 12 * MS + (size as i64 / 4) * 20_000;
        l
    }

    /// Appends a span with a fresh content seed, a gap and a default duration.
    fn push(&mut self, parent: u32, kind: Kind) -> u32 {
        let r = &mut self.rng;
        let mut n = Node::new(parent, kind, r.next_u64());
        n.gap = r.range(50, 3_000) as i64 * 1_000;
        n.dur = match kind {
            Kind::Agent | Kind::Chain => r.range(1, 40) as i64 * MS,
            Kind::Tool => r.log_uniform(5, 2_000) as i64 * MS,
            Kind::Retriever => r.log_uniform(40, 600) as i64 * MS,
            Kind::Embedding => r.log_uniform(20, 300) as i64 * MS,
            Kind::Llm => 0,
        } + r.below(1_000_000) as i64;
        self.nodes.push(n);
        (self.nodes.len() - 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_budget_is_used_exactly_with_parents_first() {
        let opts = GenOptions {
            error_rate: 0.2,
            ..GenOptions::default()
        };
        for persona in crate::persona::ALL {
            for size in (1..120).chain([250, 499, 2_000]) {
                let spec = TraceSpec {
                    size,
                    shape: Shape::Normal,
                };
                let mut b = Builder::new(&opts, persona, size);
                b.build(&spec);
                assert_eq!(b.nodes.len(), size, "{} {size}", persona.service);
                for (i, n) in b.nodes.iter().enumerate() {
                    assert!(n.parent == NONE && i == 0 || (n.parent as usize) < i);
                }
            }
        }
    }
}
