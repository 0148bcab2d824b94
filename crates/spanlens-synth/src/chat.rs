//! The chat of each LLM span: the question, the previous turn's tool calls with their
//! results paired by id, retrieved context up to the planned prompt size, and the reply
//! (an answer, or tool calls for the spans that follow).

use super::content::{S_TEXT, View};
use super::persona::ToolDef;
use super::plan::{Kind, NONE};
use super::text;

/// One part of a chat message (OTel GenAI part types).
#[derive(Clone, Debug)]
pub enum Part {
    Text(String),
    Call {
        id: String,
        name: String,
        args: String,
    },
    Response {
        id: String,
        body: String,
    },
}

#[derive(Clone, Debug)]
pub struct Msg {
    pub role: &'static str,
    pub parts: Vec<Part>,
}

/// The conversation of one LLM call.
pub struct Chat {
    pub system: &'static str,
    pub input: Vec<Msg>,
    /// `None` when the call failed.
    pub output: Option<Msg>,
    pub finish: &'static str,
    pub tools: &'static [ToolDef],
}

impl View<'_> {
    /// Calls requested by LLM span `l`: the tool spans right after it (a retry repeats a
    /// call, so it is listed once).
    pub fn calls_of(&self, l: usize) -> Vec<usize> {
        let mut v: Vec<usize> = Vec::new();
        let mut c = self.plan.next_sib[l];
        while c != NONE && self.plan.nodes[c as usize].kind == Kind::Tool {
            let ci = c as usize;
            if !self.plan.nodes[ci].retry {
                v.push(ci);
            }
            c = self.plan.next_sib[ci];
        }
        v
    }

    /// The span whose output answers a call: its last retry if it was retried.
    fn final_attempt(&self, t: usize) -> usize {
        let mut last = t;
        let mut c = self.plan.next_sib[t];
        while c != NONE
            && self.plan.nodes[c as usize].retry
            && self.plan.nodes[c as usize].kind == Kind::Tool
        {
            last = c as usize;
            c = self.plan.next_sib[last];
        }
        last
    }

    /// The messages of LLM span `l`.
    pub fn chat(&self, l: usize) -> Chat {
        let mut input = Vec::new();
        let question = match self.plan.nodes[self.plan.nodes[l].parent.min(l as u32) as usize].kind
        {
            Kind::Agent => self.agent_input(self.plan.nodes[l].parent as usize),
            _ => self.question(),
        };
        input.push(Msg {
            role: "user",
            parts: vec![Part::Text(question)],
        });
        let prev = self.plan.prev_llm[l];
        if prev != NONE {
            self.history(prev as usize, &mut input);
        }
        self.pad_context(l, &mut input);
        let calls = self.calls_of(l);
        let failed = self.plan.nodes[l].failed();
        let output = (!failed).then(|| self.reply(l, &calls));
        Chat {
            system: self.system_prompt(),
            input,
            output,
            finish: if calls.is_empty() {
                "stop"
            } else {
                "tool_call"
            },
            tools: self.plan.persona.tools,
        }
    }

    /// The previous turn: the assistant's tool calls and each call's result, paired by id.
    fn history(&self, prev: usize, input: &mut Vec<Msg>) {
        let calls = self.calls_of(prev);
        if calls.is_empty() {
            return;
        }
        input.push(self.reply(prev, &calls));
        for t in calls {
            let id = self.call_id(self.plan.nodes[t].call);
            let body = self.tool_output(self.final_attempt(t));
            input.push(Msg {
                role: "tool",
                parts: vec![Part::Response { id, body }],
            });
        }
    }

    /// Fills the first user message with retrieved context up to the planned prompt size.
    fn pad_context(&self, l: usize, input: &mut [Msg]) {
        let n = &self.plan.nodes[l];
        let have: usize = self.system_prompt().len() + input.iter().map(msg_len).sum::<usize>();
        let want = n.size as usize;
        if want <= have + 40 {
            return;
        }
        let mut rng = self.rng(l, S_TEXT);
        let mut ctx = String::from("\n\nContext:\n");
        text::context_bytes(&mut ctx, &self.filler(), &mut rng, want - have - 11);
        if let Some(Part::Text(t)) = input[0].parts.first_mut() {
            t.push_str(&ctx);
        }
    }

    fn reply(&self, l: usize, calls: &[usize]) -> Msg {
        if calls.is_empty() {
            return Msg {
                role: "assistant",
                parts: vec![Part::Text(self.answer(l))],
            };
        }
        let parts = calls
            .iter()
            .map(|&t| Part::Call {
                id: self.call_id(self.plan.nodes[t].call),
                name: self.tool_name(t),
                args: self.tool_args(t),
            })
            .collect();
        Msg {
            role: "assistant",
            parts,
        }
    }
}

fn msg_len(m: &Msg) -> usize {
    m.parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => t.len(),
            Part::Call { args, .. } => args.len() + 60,
            Part::Response { body, .. } => body.len() + 40,
        })
        .sum()
}
