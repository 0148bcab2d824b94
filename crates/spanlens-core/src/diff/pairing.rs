//! Pairing the traces of two runs: by session id and turn order where both runs carry
//! sessions that coincide, then by the root's input (normalised text), then by root name
//! and start order. Each rule only sees what the rules before it left unpaired, and every
//! pair remembers the rule that made it.

use super::align::{normalise_name, strip_operation};
use crate::model::{MetaKeys, SpanIx, TraceIx, TraceSet};
use std::collections::HashMap;

/// How a pair was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    SessionTurn,
    Input,
    NameOrder,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::SessionTurn => "session+turn",
            Rule::Input => "input",
            Rule::NameOrder => "name+order",
        }
    }
}

/// Traces of the two runs, paired.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pairing {
    pub pairs: Vec<(TraceIx, TraceIx, Rule)>,
    pub only_left: Vec<TraceIx>,
    pub only_right: Vec<TraceIx>,
}

impl Pairing {
    /// The rule that made the most pairs (ties go to the stronger rule); `name+order`
    /// when nothing paired.
    pub fn main_rule(&self) -> Rule {
        [Rule::SessionTurn, Rule::Input, Rule::NameOrder]
            .into_iter()
            .max_by_key(|r| {
                let n = self.pairs.iter().filter(|p| p.2 == *r).count();
                (n, std::cmp::Reverse(*r))
            })
            .filter(|r| self.pairs.iter().any(|p| p.2 == *r))
            .unwrap_or(Rule::NameOrder)
    }

    /// How many pairs each rule made, strongest rule first.
    pub fn counts(&self) -> Vec<(Rule, usize)> {
        [Rule::SessionTurn, Rule::Input, Rule::NameOrder]
            .into_iter()
            .map(|r| (r, self.pairs.iter().filter(|p| p.2 == r).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// The session a trace belongs to, in whatever convention it was written (the stats
/// branch's `TraceSet::trace_meta`).
pub fn session_of(keys: &MetaKeys, set: &TraceSet, t: TraceIx) -> Option<String> {
    keys.trace_meta(set, t).session
}

/// The root's input as comparable text: JSON wrappers of one string (`{"question": …}`,
/// `["…"]`) unwrapped, case folded and whitespace collapsed, so two SDKs' spellings of one
/// question agree.
pub fn input_key(set: &TraceSet, t: TraceIx) -> Option<String> {
    let tr = set.trace(t);
    if tr.span_count() == 0 {
        return None;
    }
    let r = set.span(SpanIx(tr.span_start)).input?;
    let mut v = set.sources.value(r);
    loop {
        v = match v {
            serde_json::Value::Object(m) if m.len() == 1 => m.into_iter().next()?.1,
            serde_json::Value::Array(mut a) if a.len() == 1 => a.pop()?,
            other => break v = other,
        };
    }
    let text = match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => return None,
        other => other.to_string(),
    };
    let norm = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!norm.is_empty()).then_some(norm)
}

/// The root's name without run-specific numbers or the GenAI operation prefix.
fn name_key(set: &TraceSet, t: TraceIx) -> String {
    normalise_name(strip_operation(set.str(set.trace(t).name)))
}

/// Pairs `lt` of `left` with `rt` of `right`.
pub fn pair(left: &TraceSet, lt: &[TraceIx], right: &TraceSet, rt: &[TraceIx]) -> Pairing {
    let mut l: Vec<TraceIx> = lt.to_vec();
    let mut r: Vec<TraceIx> = rt.to_vec();
    // Start order everywhere: turns, repeated inputs and names pair first with first.
    l.sort_by_key(|&t| (left.trace(t).start_ns, t));
    r.sort_by_key(|&t| (right.trace(t).start_ns, t));
    let mut out = Pairing::default();
    by_session(left, &mut l, right, &mut r, &mut out.pairs);
    by_key(
        (&mut l, &|t| input_key(left, t)),
        (&mut r, &|t| input_key(right, t)),
        Rule::Input,
        &mut out.pairs,
    );
    by_key(
        (&mut l, &|t| Some(name_key(left, t))),
        (&mut r, &|t| Some(name_key(right, t))),
        Rule::NameOrder,
        &mut out.pairs,
    );
    out.only_left = l;
    out.only_right = r;
    out
}

/// Session + turn: the k-th trace (in start order) of a session pairs with the k-th trace
/// of the same session on the other side. Session ids are usually fresh on every run, so
/// the rule applies only to sessions present on both sides.
fn by_session(
    left: &TraceSet,
    l: &mut Vec<TraceIx>,
    right: &TraceSet,
    r: &mut Vec<TraceIx>,
    pairs: &mut Vec<(TraceIx, TraceIx, Rule)>,
) {
    let sessions = |set: &TraceSet, ts: &[TraceIx]| {
        let keys = MetaKeys::new(set);
        let of: HashMap<TraceIx, String> = ts
            .iter()
            .filter_map(|&t| Some((t, session_of(&keys, set, t)?)))
            .collect();
        let mut turns: HashMap<String, Vec<TraceIx>> = HashMap::new();
        for t in ts {
            if let Some(s) = of.get(t) {
                turns.entry(s.clone()).or_default().push(*t);
            }
        }
        (of, turns)
    };
    let ((lof, ls), (_, rs)) = (sessions(left, l), sessions(right, r));
    if ls.is_empty() || rs.is_empty() {
        return;
    }
    let mut taken_l = std::collections::HashSet::new();
    let mut taken_r = std::collections::HashSet::new();
    // Sessions in the order of their first trace on the left, for a stable pair order.
    for &t in l.iter() {
        let Some(s) = lof.get(&t) else {
            continue;
        };
        let (Some(a), Some(b)) = (ls.get(s), rs.get(s)) else {
            continue;
        };
        let Some(turn) = a.iter().position(|&x| x == t) else {
            continue;
        };
        if let Some(&u) = b.get(turn) {
            pairs.push((t, u, Rule::SessionTurn));
            taken_l.insert(t);
            taken_r.insert(u);
        }
    }
    l.retain(|t| !taken_l.contains(t));
    r.retain(|t| !taken_r.contains(t));
}

type Side<'a> = (&'a mut Vec<TraceIx>, &'a dyn Fn(TraceIx) -> Option<String>);

/// Pairs traces with equal keys, the k-th of a key on the left with the k-th on the right.
fn by_key((l, lkey): Side, (r, rkey): Side, rule: Rule, pairs: &mut Vec<(TraceIx, TraceIx, Rule)>) {
    let mut waiting: HashMap<String, std::collections::VecDeque<TraceIx>> = HashMap::new();
    for &u in r.iter() {
        if let Some(k) = rkey(u) {
            waiting.entry(k).or_default().push_back(u);
        }
    }
    let mut taken_r = std::collections::HashSet::new();
    l.retain(|&t| {
        let hit = lkey(t).and_then(|k| waiting.get_mut(&k)?.pop_front());
        match hit {
            Some(u) => {
                pairs.push((t, u, rule));
                taken_r.insert(u);
                false
            }
            None => true,
        }
    });
    r.retain(|u| !taken_r.contains(u));
}
