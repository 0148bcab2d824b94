//! Whether two runs can fairly be compared: the same models, system prompts and tools on
//! both sides, trace counts of the same order, and pairs that matched on more than order.
//! Each finding is a warning sentence; none stops the comparison.

use super::pairing::{Pairing, Rule};
use crate::inert;
use crate::model::messages::Direction;
use crate::model::{SpanIx, SpanKind, TraceIx, TraceSet};
use std::collections::BTreeSet;

/// Trace counts further apart than this ratio get a warning.
const COUNT_RATIO: f64 = 1.5;
/// System prompts are read from at most this many LLM calls per side (decoding every
/// prompt of a 500,000-span run would cost seconds).
const PROMPT_SAMPLE: usize = 400;
/// Names listed in one warning.
const LIST_MAX: usize = 4;

/// The warnings for comparing run `lt` of `left` with run `rt` of `right`.
pub fn warnings(
    left: &TraceSet,
    lt: &[TraceIx],
    right: &TraceSet,
    rt: &[TraceIx],
    pairing: &Pairing,
) -> Vec<String> {
    let mut out = Vec::new();
    let (ln, rn) = (lt.len().max(1) as f64, rt.len().max(1) as f64);
    if ln / rn > COUNT_RATIO || rn / ln > COUNT_RATIO {
        out.push(format!(
            "very different trace counts: {} left, {} right",
            lt.len(),
            rt.len()
        ));
    }
    let field = |set: &TraceSet, ts: &[TraceIx], tools: bool| {
        let mut names = BTreeSet::new();
        for &t in ts {
            for s in &set.spans[set.trace(t).spans()] {
                let sym = if tools && s.kind == SpanKind::Tool {
                    s.tool
                } else if tools {
                    continue;
                } else {
                    s.model
                };
                let name = set.str(sym);
                if !name.is_empty() {
                    names.insert(name.to_owned());
                }
            }
        }
        names
    };
    differ(
        &mut out,
        "models",
        &field(left, lt, false),
        &field(right, rt, false),
    );
    differ(
        &mut out,
        "tool sets",
        &field(left, lt, true),
        &field(right, rt, true),
    );
    let (lp, rp) = (prompts(left, lt), prompts(right, rt));
    if !lp.is_empty() && !rp.is_empty() && lp.is_disjoint(&rp) {
        out.push(format!(
            "different system prompts: {} on the left, {} on the right, none shared",
            lp.len(),
            rp.len()
        ));
    } else if lp != rp && !lp.is_empty() && !rp.is_empty() {
        out.push(format!(
            "system prompts differ: {} only on the left, {} only on the right",
            lp.difference(&rp).count(),
            rp.difference(&lp).count()
        ));
    }
    let by_order = pairing
        .pairs
        .iter()
        .filter(|p| p.2 == Rule::NameOrder)
        .count();
    if by_order > 0 {
        out.push(format!(
            "{by_order} pair{} matched only by root name and order",
            if by_order == 1 { "" } else { "s" }
        ));
    }
    out
}

/// Adds a warning when the two sets of names differ.
fn differ(out: &mut Vec<String>, what: &str, a: &BTreeSet<String>, b: &BTreeSet<String>) {
    if a == b {
        return;
    }
    let list = |s: Vec<&String>| {
        let mut v: Vec<String> = s
            .iter()
            .take(LIST_MAX)
            .map(|x| inert::line(x).into_owned())
            .collect();
        if s.len() > LIST_MAX {
            v.push(format!("… {} more", s.len() - LIST_MAX));
        }
        if v.is_empty() {
            "nothing".to_owned()
        } else {
            v.join(", ")
        }
    };
    out.push(format!(
        "different {what}: only left {}; only right {}",
        list(a.difference(b).collect()),
        list(b.difference(a).collect())
    ));
}

/// Hashes of the system prompts of up to `PROMPT_SAMPLE` LLM calls, spread over the run.
fn prompts(set: &TraceSet, ts: &[TraceIx]) -> BTreeSet<u64> {
    use std::hash::{Hash, Hasher};
    let llm: Vec<SpanIx> = ts
        .iter()
        .flat_map(|&t| set.trace(t).spans())
        .filter(|&i| set.spans[i].kind == SpanKind::Llm)
        .map(|i| SpanIx(i as u32))
        .collect();
    let step = (llm.len() / PROMPT_SAMPLE).max(1);
    llm.iter()
        .step_by(step)
        .filter_map(|&s| system_prompt(set, s))
        .map(|p| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            p.trim().hash(&mut h);
            h.finish()
        })
        .collect()
}

/// The system prompt of an LLM call, in whatever convention it was written.
pub fn system_prompt(set: &TraceSet, s: SpanIx) -> Option<String> {
    crate::model::detail::detail(set, s)
        .messages
        .into_iter()
        .find(|m| m.direction == Direction::Input && m.role == "system")
        .map(|m| m.content)
}
