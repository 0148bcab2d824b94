//! The format-independent plan of one generated trace: spans in pre-order with their kind,
//! failure, durations and content seeds; and the pass that lays out their timestamps.
//!
//! Content (prompts, arguments, documents) is not stored: it is derived from each span's
//! seed when the span is written, so a trace of 100,000 spans stays small in memory.

use super::persona::{Facts, Persona};
use super::rng::mix;

pub const NONE: u32 = u32::MAX;

/// What a generated span does. Deliberately not the model's `SpanKind`: the generator
/// writes each export's own labels, so the loaders' mapping is tested, not shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Agent,
    Chain,
    Llm,
    Tool,
    Retriever,
    Embedding,
}

impl Kind {
    /// Upper-case label (OpenInference span kind, MLflow span type).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Agent => "AGENT",
            Kind::Chain => "CHAIN",
            Kind::Llm => "LLM",
            Kind::Tool => "TOOL",
            Kind::Retriever => "RETRIEVER",
            Kind::Embedding => "EMBEDDING",
        }
    }
}

/// How a span fails, if it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    No,
    /// A tool raised (timeout, bad argument, upstream 5xx): `exception` event + ERROR.
    Tool,
    /// The provider answered 429.
    RateLimit,
    /// The vector store or embedding call timed out.
    Timeout,
}

/// One planned span.
#[derive(Clone, Debug)]
pub struct Node {
    pub parent: u32,
    pub kind: Kind,
    pub fail: Fail,
    /// Starts together with the previous sibling (a parallel branch).
    pub parallel: bool,
    /// Repeats the failed call just before it (same tool call id).
    pub retry: bool,
    /// A 1 MB prompt.
    pub outlier: bool,
    /// Tool: index in the persona's tools (`DELEGATE` for a sub-agent hand-off).
    /// Agent: 0 for the persona's agent, `1 + i` for sub-agent `i`. Llm/Embedding: model
    /// index. Chain: chain name index.
    pub what: u16,
    /// Tool: the call number within the trace (the tool call id is derived from it).
    pub call: u32,
    /// Seed of this span's content.
    pub seed: u64,
    /// Own duration of a leaf, or the padding a parent adds around its children (ns).
    pub dur: i64,
    /// Wait after the previous sibling before starting (ns).
    pub gap: i64,
    /// Llm: prompt bytes. Retriever: documents returned. Embedding: texts embedded.
    pub size: u32,
    pub in_tokens: u32,
    pub out_tokens: u32,
}

/// Tool index meaning "hand off to a sub-agent".
pub const DELEGATE: u16 = u16::MAX;

impl Node {
    pub fn new(parent: u32, kind: Kind, seed: u64) -> Self {
        Node {
            parent,
            kind,
            fail: Fail::No,
            parallel: false,
            retry: false,
            outlier: false,
            what: 0,
            call: 0,
            seed,
            dur: 0,
            gap: 0,
            size: 0,
            in_tokens: 0,
            out_tokens: 0,
        }
    }

    pub fn failed(&self) -> bool {
        self.fail != Fail::No
    }
}

/// One trace: its persona, facts, spans and (after `finalize`) their times and links.
#[derive(Clone, Debug)]
pub struct TracePlan {
    /// Position of the trace in the generated file.
    pub index: usize,
    pub persona: &'static Persona,
    pub facts: Facts,
    /// System prompt variant (a mutation changes it).
    pub variant: u32,
    /// Seed for trace-level content (tool call ids and arguments, the question).
    pub seed: u64,
    /// Seed for ids (differs between a run and its mutated second run).
    pub id_seed: u64,
    pub start_ns: i64,
    pub nodes: Vec<Node>,
    /// Next free tool call number.
    pub next_call: u32,
    pub first_child: Vec<u32>,
    pub next_sib: Vec<u32>,
    /// For each span: the previous sibling LLM call that did not fail (`NONE` if none).
    pub prev_llm: Vec<u32>,
    pub start: Vec<i64>,
    pub end: Vec<i64>,
}

impl TracePlan {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn errors(&self) -> usize {
        self.nodes.iter().filter(|n| n.failed()).count()
    }

    /// The 16-byte trace id.
    pub fn trace_id(&self) -> [u8; 16] {
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&mix(self.id_seed ^ 0x7472_6163_6531).to_be_bytes());
        id[8..].copy_from_slice(&mix(self.id_seed ^ 0x7472_6163_6532).to_be_bytes());
        id
    }

    pub fn trace_hex(&self) -> String {
        spanlens_core::model::ids::to_hex(&self.trace_id())
    }

    /// Span ids: a bijection of the position, so they never collide within a trace.
    pub fn span_id(&self, i: usize) -> u64 {
        mix(mix(self.id_seed ^ 0x7370_616e).wrapping_add(i as u64 + 1)).max(1)
    }

    pub fn span_hex(&self, i: usize) -> String {
        format!("{:016x}", self.span_id(i))
    }

    /// Children of `i`, in order.
    pub fn children(&self, i: usize) -> Children<'_> {
        Children {
            plan: self,
            next: self.first_child[i],
        }
    }

    /// Rebuilds child links and timestamps after the nodes changed.
    pub fn finalize(&mut self) {
        self.link();
        self.layout();
    }

    fn link(&mut self) {
        let n = self.nodes.len();
        self.first_child = vec![NONE; n];
        self.next_sib = vec![NONE; n];
        self.prev_llm = vec![NONE; n];
        let mut last = vec![NONE; n];
        let mut last_llm = vec![NONE; n];
        for i in 0..n {
            let p = self.nodes[i].parent;
            if p == NONE {
                continue;
            }
            let p = p as usize;
            self.prev_llm[i] = last_llm[p];
            if self.nodes[i].kind == Kind::Llm && !self.nodes[i].failed() {
                last_llm[p] = i as u32;
            }
            match last[p] {
                NONE => self.first_child[p] = i as u32,
                prev => self.next_sib[prev as usize] = i as u32,
            }
            last[p] = i as u32;
        }
    }

    /// Durations bottom-up (children after parents in pre-order, so a reverse walk sees
    /// every child first), then starts top-down. Children sit strictly inside parents.
    fn layout(&mut self) {
        let n = self.nodes.len();
        let mut dur = vec![0i64; n];
        for i in (0..n).rev() {
            dur[i] = match self.first_child[i] {
                NONE => self.nodes[i].dur.max(1_000),
                _ => {
                    let pad = self.nodes[i].dur;
                    self.place_children(i, &dur, None) + pad - pad / 2
                }
            };
        }
        self.start = vec![0; n];
        self.end = vec![0; n];
        let mut starts = vec![0i64; n];
        for i in 0..n {
            if self.nodes[i].parent == NONE {
                self.start[i] = self.start_ns;
            } else {
                self.start[i] = starts[i];
            }
            self.end[i] = self.start[i] + dur[i];
            if self.first_child[i] != NONE {
                let base = self.start[i];
                self.place_children(i, &dur, Some((&mut starts, base)));
            }
        }
    }

    /// Lays out the children of `p` after a lead-in of half the parent's padding: a
    /// `parallel` sibling starts with the sibling that opened its group (staggered by a
    /// fraction of its gap), any other one after everything before it has ended. Returns
    /// where the last child ends, relative to the parent's start; writes starts if asked.
    fn place_children(
        &self,
        p: usize,
        dur: &[i64],
        mut starts: Option<(&mut Vec<i64>, i64)>,
    ) -> i64 {
        let lead = self.nodes[p].dur / 2;
        let mut group_start = lead;
        let mut max_end = lead;
        let mut c = self.first_child[p];
        while c != NONE {
            let ci = c as usize;
            let node = &self.nodes[ci];
            let at = if node.parallel {
                group_start + node.gap / 8
            } else {
                group_start = max_end + node.gap;
                group_start
            };
            max_end = max_end.max(at + dur[ci]);
            if let Some((s, base)) = starts.as_mut() {
                s[ci] = *base + at;
            }
            c = self.next_sib[ci];
        }
        max_end
    }
}

/// Iterator over a span's children.
pub struct Children<'a> {
    plan: &'a TracePlan,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next == NONE {
            return None;
        }
        let i = self.next as usize;
        self.next = self.plan.next_sib[i];
        Some(i)
    }
}

/// Depth of every span and the largest child count, for reports.
pub fn shape(plan: &TracePlan) -> (u32, u32) {
    let n = plan.len();
    let mut depth = vec![0u32; n];
    let mut kids = vec![0u32; n];
    for i in 0..n {
        let p = plan.nodes[i].parent;
        if p != NONE {
            depth[i] = depth[p as usize] + 1;
            kids[p as usize] += 1;
        }
    }
    (
        depth.iter().copied().max().unwrap_or(0),
        kids.iter().copied().max().unwrap_or(0),
    )
}
