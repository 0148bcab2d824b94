//! The prompt lens: per LLM step (grouped as the step table is), input size percentiles
//! with the largest call, distinct system prompts, and what the prompts are made of.
//!
//! Sizes are input tokens; a step whose spans carry no input token count at all is
//! measured in bytes of stored input instead. Decoding messages is the costly part, so
//! system prompts and composition read every call up to `MESSAGE_BUDGET` calls and an
//! evenly spaced sample of that many beyond (`PromptStats::messages_read` says how many).

use super::groups::{Groups, NONE};
use super::hash::{FastMap, Fnv};
use super::{Composition, PromptStats, SizeUnit, SystemPrompt};
use crate::model::detail::input_messages_of;
use crate::model::messages::Message;
use crate::model::{SpanIx, SpanKind, TraceIx, TraceSet};
use rayon::prelude::*;

/// At most this many LLM calls have their messages decoded.
pub const MESSAGE_BUDGET: usize = 5_000;
/// Characters of a system prompt kept for display.
const PREVIEW_CHARS: usize = 120;

/// What one call's input messages hold.
#[derive(Clone, Debug, Default)]
struct Read {
    system: Option<(u64, u64, String)>,
    composition: Composition,
}

pub fn prompt_lens(set: &TraceSet, traces: &[TraceIx], groups: &Groups) -> Vec<PromptStats> {
    let calls: Vec<SpanIx> = traces
        .iter()
        .flat_map(|&t| set.trace(t).spans())
        .filter(|&i| set.spans[i].kind == SpanKind::Llm && groups.of_span[i] != NONE)
        .map(|i| SpanIx(i as u32))
        .collect();
    let stride = calls.len().div_ceil(MESSAGE_BUDGET).max(1);
    let reads: Vec<(SpanIx, Read)> = calls
        .par_iter()
        .step_by(stride)
        .map(|&ix| (ix, read(set, ix)))
        .collect();
    let mut by_group: FastMap<u32, (Vec<SpanIx>, Vec<Read>)> = FastMap::default();
    for &ix in &calls {
        by_group
            .entry(groups.of_span[ix.0 as usize])
            .or_default()
            .0
            .push(ix);
    }
    for (ix, r) in reads {
        if let Some(g) = by_group.get_mut(&groups.of_span[ix.0 as usize]) {
            g.1.push(r);
        }
    }
    let mut out: Vec<PromptStats> = by_group
        .into_iter()
        .map(|(g, (spans, reads))| finish(set, &groups.keys[g as usize], &spans, reads))
        .collect();
    out.sort_by(|a, b| {
        b.input_sizes
            .last()
            .cmp(&a.input_sizes.last())
            .then_with(|| a.step.cmp(&b.step))
    });
    out
}

fn finish(
    set: &TraceSet,
    key: &super::groups::GroupKey,
    spans: &[SpanIx],
    reads: Vec<Read>,
) -> PromptStats {
    let with_tokens = spans
        .iter()
        .any(|&ix| set.span(ix).tokens.input().is_some());
    let size = |ix: SpanIx| -> Option<i64> {
        let s = set.span(ix);
        if with_tokens {
            s.tokens.input().map(i64::from)
        } else {
            Some(s.input.map_or(0, |t| i64::from(t.len)))
        }
    };
    let mut largest: Option<(i64, SpanIx)> = None;
    let mut sizes = Vec::with_capacity(spans.len());
    for &ix in spans {
        if let Some(n) = size(ix) {
            sizes.push(n);
            if largest.is_none_or(|(m, _)| n > m) {
                largest = Some((n, ix));
            }
        }
    }
    sizes.sort_unstable();
    let mut systems: FastMap<u64, SystemPrompt> = FastMap::default();
    let mut composition = Composition::default();
    let messages_read = reads.len() as u64;
    for r in reads {
        add(&mut composition, &r.composition);
        if let Some((hash, bytes, preview)) = r.system {
            let e = systems.entry(hash).or_insert_with(|| SystemPrompt {
                hash,
                count: 0,
                bytes,
                preview,
            });
            e.count += 1;
        }
    }
    let mut system_prompts: Vec<SystemPrompt> = systems.into_values().collect();
    system_prompts.sort_by(|a, b| b.count.cmp(&a.count).then(a.hash.cmp(&b.hash)));
    PromptStats {
        step: key.key.clone(),
        name: key.name.clone(),
        calls: spans.len() as u64,
        input_sizes: sizes,
        unit: if with_tokens {
            SizeUnit::Tokens
        } else {
            SizeUnit::Bytes
        },
        largest: largest.map(|(_, ix)| ix),
        system_prompts,
        composition,
        messages_read,
    }
}

fn add(a: &mut Composition, b: &Composition) {
    a.system += b.system;
    a.user += b.user;
    a.assistant += b.assistant;
    a.tool += b.tool;
    a.documents += b.documents;
    a.other += b.other;
}

/// The system prompt and composition of one call's input messages.
fn read(set: &TraceSet, ix: SpanIx) -> Read {
    let msgs = input_messages_of(set, ix);
    let mut r = Read::default();
    let mut system = Fnv::default();
    let mut system_text = String::new();
    for m in &msgs {
        let bytes = message_bytes(m);
        let slot = match m.role.as_str() {
            "system" => {
                system.write(m.content.as_bytes());
                system.write(b"\0");
                if system_text.len() < PREVIEW_CHARS * 4 {
                    system_text.push_str(&m.content);
                }
                &mut r.composition.system
            }
            "user" => &mut r.composition.user,
            "assistant" => &mut r.composition.assistant,
            "tool" => &mut r.composition.tool,
            role if is_document_role(role) => &mut r.composition.documents,
            _ => &mut r.composition.other,
        };
        *slot += bytes;
    }
    if r.composition.system > 0 || msgs.iter().any(|m| m.role == "system") {
        let preview = system_text.chars().take(PREVIEW_CHARS).collect();
        r.system = Some((system.finish(), r.composition.system, preview));
    }
    r
}

fn is_document_role(role: &str) -> bool {
    ["document", "context", "retriev"]
        .iter()
        .any(|k| role.contains(k))
}

/// Bytes a message adds to the prompt: its text and the arguments of its tool calls.
fn message_bytes(m: &Message) -> u64 {
    let calls: usize = m
        .tool_calls
        .iter()
        .map(|c| c.name.len() + c.arguments.to_string().len())
        .sum();
    (m.content.len() + calls) as u64
}
