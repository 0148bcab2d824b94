//! Edits that turn a generated run into a "second run" of the same agent (for diff tests),
//! and the scripted failures of the bundled samples. Each edit says what it changed.

use super::GenOptions;
use super::content::View;
use super::plan::{DELEGATE, Fail, Kind, NONE, Node, TracePlan};
use super::rng::Rng;
use super::specs::{MS, Shape, TraceSpec, tag};
use super::text::Spice;
use spanlens_core::model::time::format_duration;

/// One edit of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A tool call is inserted after an existing one.
    ExtraToolCall,
    /// A tool call is removed.
    RemoveStep,
    /// The agent's system prompt changes.
    SystemPrompt,
    /// A leaf step takes three times as long.
    Slower,
    /// A tool call that succeeded now fails.
    NewError,
    /// Two sibling tool calls swap places.
    Reorder,
    /// An LLM call's token counts change.
    Tokens,
    /// A tool call fails with an exception and is retried successfully.
    ToolFailRetry,
    /// An LLM call is rate-limited and retried successfully.
    LlmFailRetry,
}

/// What `mutate > 0` changes, in the order applied.
pub const SECOND_RUN: [Change; 7] = [
    Change::Slower,
    Change::Tokens,
    Change::SystemPrompt,
    Change::NewError,
    Change::Reorder,
    Change::ExtraToolCall,
    Change::RemoveStep,
];

/// The edits of a second run: every change of `SECOND_RUN`, each in a trace the mutation
/// seed picks among the ordinary ones.
pub fn choose(opts: &GenOptions, specs: &[TraceSpec]) -> Vec<(usize, Change)> {
    if opts.mutate == 0 || specs.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::stream(opts.seed, tag::MUTATE, u64::from(opts.mutate));
    let mut candidates: Vec<usize> = (0..specs.len())
        .filter(|&k| specs[k].shape == Shape::Normal && specs[k].size >= 5)
        .collect();
    if candidates.is_empty() {
        candidates = (0..specs.len()).collect();
    }
    SECOND_RUN
        .iter()
        .map(|&c| (rng.pick(&candidates), c))
        .collect()
}

/// Applies one edit; `None` when the trace has nothing it applies to. Spans an earlier
/// edit touched (by content seed, which survives insertions) are left alone, so that every
/// listed change stays visible in the result.
pub fn apply(
    plan: &mut TracePlan,
    change: Change,
    rng: &mut Rng,
    spice: Spice,
    touched: &mut Vec<u64>,
) -> Option<String> {
    let mut e = Edit {
        rng,
        spice,
        touched,
    };
    match change {
        Change::Slower => slower(plan, &mut e),
        Change::Tokens => tokens(plan, &mut e),
        Change::SystemPrompt => {
            if plan.persona.system.len() < 2 || plan.is_empty() {
                return None;
            }
            plan.variant += 1;
            Some(format!("changed system prompt of {}", plan.persona.agent))
        }
        Change::NewError => new_error(plan, &mut e),
        Change::Reorder => reorder(plan, &mut e),
        Change::ExtraToolCall => extra_call(plan, &mut e),
        Change::RemoveStep => remove_step(plan, &mut e),
        Change::ToolFailRetry => tool_fail_retry(plan, &mut e),
        Change::LlmFailRetry => llm_fail_retry(plan, &mut e),
    }
}

/// The state one edit works with.
struct Edit<'a> {
    rng: &'a mut Rng,
    spice: Spice,
    touched: &'a mut Vec<u64>,
}

impl Edit<'_> {
    /// Picks one of `candidates` that no earlier edit touched, and marks it.
    fn pick(&mut self, p: &TracePlan, candidates: &[usize]) -> Option<usize> {
        let free: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| !self.touched.contains(&p.nodes[i].seed))
            .collect();
        if free.is_empty() {
            return None;
        }
        let i = self.rng.pick(&free);
        self.touched.push(p.nodes[i].seed);
        Some(i)
    }

    fn touch(&mut self, p: &TracePlan, i: usize) {
        self.touched.push(p.nodes[i].seed);
    }

    fn name(&self, p: &TracePlan, i: usize) -> String {
        View::new(p, self.spice).otel_name(i)
    }

    fn error_type(&self, p: &TracePlan, i: usize) -> String {
        View::new(p, self.spice)
            .error(i)
            .map(|e| e.ty)
            .unwrap_or_default()
    }
}

fn is_leaf(p: &TracePlan, i: usize) -> bool {
    p.first_child[i] == NONE
}

/// Tool calls that succeeded at the first attempt and are plain tools (not hand-offs).
fn plain_tools(p: &TracePlan) -> Vec<usize> {
    (0..p.len())
        .filter(|&i| {
            let n = &p.nodes[i];
            let next = p.next_sib[i];
            n.kind == Kind::Tool
                && is_leaf(p, i)
                && !n.failed()
                && !n.retry
                && n.what != DELEGATE
                && (next == NONE || !p.nodes[next as usize].retry)
        })
        .collect()
}

/// Successful LLM calls that are not retries.
fn plain_llm_calls(p: &TracePlan) -> Vec<usize> {
    (0..p.len())
        .filter(|&i| p.nodes[i].kind == Kind::Llm && !p.nodes[i].failed() && !p.nodes[i].retry)
        .collect()
}

fn slower(p: &mut TracePlan, e: &mut Edit) -> Option<String> {
    let c: Vec<usize> = (0..p.len())
        .filter(|&i| {
            let n = &p.nodes[i];
            matches!(n.kind, Kind::Llm | Kind::Tool) && is_leaf(p, i) && !n.failed() && !n.retry
        })
        .collect();
    let i = e.pick(p, &c)?;
    let before = p.end[i] - p.start[i];
    p.nodes[i].dur = before * 3;
    Some(format!(
        "slower step: {} x3 ({} -> {})",
        e.name(p, i),
        format_duration(before),
        format_duration(before * 3)
    ))
}

fn tokens(p: &mut TracePlan, e: &mut Edit) -> Option<String> {
    let i = e.pick(p, &plain_llm_calls(p))?;
    let n = &mut p.nodes[i];
    let (a, b) = (n.in_tokens, n.out_tokens);
    n.in_tokens = (u64::from(a) * e.rng.range(115, 160) / 100) as u32;
    n.out_tokens = b + e.rng.range(5, 60) as u32;
    let (a2, b2) = (n.in_tokens, n.out_tokens);
    Some(format!(
        "token counts changed: {} input {a} -> {a2}, output {b} -> {b2}",
        e.name(p, i)
    ))
}

fn new_error(p: &mut TracePlan, e: &mut Edit) -> Option<String> {
    let i = e.pick(p, &plain_tools(p))?;
    p.nodes[i].fail = Fail::Tool;
    Some(format!(
        "new error: {}: {}",
        e.name(p, i),
        e.error_type(p, i)
    ))
}

/// Swaps two adjacent sibling tool calls, preferring a parallel pair.
fn reorder(p: &mut TracePlan, e: &mut Edit) -> Option<String> {
    let plain = plain_tools(p);
    let free = |i: usize| !e.touched.contains(&p.nodes[i].seed);
    let pairs: Vec<(usize, usize)> = plain
        .iter()
        .filter_map(|&a| {
            let b = p.next_sib[a];
            (b != NONE && plain.contains(&(b as usize))).then_some((a, b as usize))
        })
        .filter(|&(a, b)| free(a) && free(b))
        .collect();
    let parallel: Vec<(usize, usize)> = pairs
        .iter()
        .copied()
        .filter(|&(_, b)| p.nodes[b].parallel)
        .collect();
    let set = if parallel.is_empty() {
        &pairs
    } else {
        &parallel
    };
    let (a, b) = e.rng.pick(non_empty(set)?);
    e.touch(p, a);
    e.touch(p, b);
    let what = if p.nodes[b].parallel {
        "parallel branch"
    } else {
        "tool calls"
    };
    let (pa, pb) = (p.nodes[a].parallel, p.nodes[b].parallel);
    p.nodes.swap(a, b);
    p.nodes[a].parallel = pa;
    p.nodes[b].parallel = pb;
    Some(format!(
        "reordered {what}: {} now runs before {}",
        e.name(p, a),
        e.name(p, b)
    ))
}

fn extra_call(p: &mut TracePlan, e: &mut Edit) -> Option<String> {
    let t = e.pick(p, &plain_tools(p))?;
    let tools = p.persona.tools.len() as u64;
    let mut node = Node::new(p.nodes[t].parent, Kind::Tool, e.rng.next_u64());
    node.what = ((u64::from(p.nodes[t].what) + 1 + e.rng.below(tools.max(2) - 1)) % tools) as u16;
    node.call = p.next_call;
    p.next_call += 1;
    node.dur = e.rng.log_uniform(5, 2_000) as i64 * MS;
    node.gap = e.rng.range(50, 3_000) as i64 * 1_000;
    e.touched.push(node.seed);
    insert(p, t + 1, node);
    Some(format!(
        "extra tool call: {} after {}",
        e.name(p, t + 1),
        e.name(p, t)
    ))
}

fn remove_step(p: &mut TracePlan, e: &mut Edit) -> Option<String> {
    // Not a tool an earlier edit used, so the removal is not mistaken for a move.
    let used: Vec<u16> = p
        .nodes
        .iter()
        .filter(|n| n.kind == Kind::Tool && e.touched.contains(&n.seed))
        .map(|n| n.what)
        .collect();
    let all = plain_tools(p);
    let other: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| !used.contains(&p.nodes[i].what))
        .collect();
    let c = if other.is_empty() { all } else { other };
    // Prefer a call that has a sibling call in the same turn, so the turn keeps a tool.
    let shared: Vec<usize> = c
        .iter()
        .copied()
        .filter(|&i| {
            let next = p.next_sib[i];
            next != NONE && p.nodes[next as usize].kind == Kind::Tool
        })
        .collect();
    let r = match e.pick(p, &shared) {
        Some(r) => r,
        None => e.pick(p, &c)?,
    };
    let what = e.name(p, r);
    remove(p, r);
    Some(format!("removed step: {what}"))
}

fn tool_fail_retry(p: &mut TracePlan, e: &mut Edit) -> Option<String> {
    let t = e.pick(p, &plain_tools(p))?;
    let mut retry = p.nodes[t].clone();
    retry.retry = true;
    retry.parallel = false;
    retry.seed = e.rng.next_u64();
    retry.gap = e.rng.range(200, 2_000) as i64 * MS;
    e.touched.push(retry.seed);
    p.nodes[t].fail = Fail::Tool;
    insert(p, t + 1, retry);
    Some(format!(
        "tool failed and was retried: {}: {}",
        e.name(p, t),
        e.error_type(p, t)
    ))
}

fn llm_fail_retry(p: &mut TracePlan, e: &mut Edit) -> Option<String> {
    let l = e.pick(p, &plain_llm_calls(p))?;
    let mut failed = p.nodes[l].clone();
    failed.fail = Fail::RateLimit;
    failed.out_tokens = 0;
    failed.dur = e.rng.range(40, 300) as i64 * MS;
    let original_gap = failed.gap;
    insert(p, l, failed);
    let retry = &mut p.nodes[l + 1];
    retry.retry = true;
    retry.gap = original_gap + e.rng.range(500, 3_000) as i64 * MS;
    Some(format!(
        "LLM call rate-limited and retried: {}",
        e.name(p, l)
    ))
}

fn non_empty<T>(v: &[T]) -> Option<&[T]> {
    (!v.is_empty()).then_some(v)
}

/// Inserts a leaf at position `at` (pre-order), shifting parent indexes after it.
fn insert(p: &mut TracePlan, at: usize, node: Node) {
    for n in p.nodes.iter_mut() {
        if n.parent != NONE && n.parent as usize >= at {
            n.parent += 1;
        }
    }
    p.nodes.insert(at, node);
}

/// Removes leaf `at`, shifting parent indexes after it.
fn remove(p: &mut TracePlan, at: usize) {
    p.nodes.remove(at);
    for n in p.nodes.iter_mut() {
        if n.parent != NONE && n.parent as usize > at {
            n.parent -= 1;
        }
    }
}
