//! Statistics across many traces: the step table (one row per step, by step key, path,
//! tool, model or session), the tool lens, the prompt lens and per-session prompt growth.
//!
//! Everything is computed from the arena in one pass per lens, in parallel across traces
//! (rayon), with exact counts and exact (nearest-rank) percentiles. Nothing here imports
//! the UI; `cli::stats` prints it and the TUI shows it.

pub mod critical;
pub mod filter;
mod groups;
mod hash;
mod prompts;
mod sessions;
pub mod sort;
mod steps;
mod tools;

pub use filter::{FilterError, TraceFilter};
pub use groups::step_key;
pub use sort::{SortKey, sort_steps};

use crate::model::{SpanIx, SpanKind, TraceIx, TraceSet};

/// How the step table groups spans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// By step key: kind and normalised name, as `diff` aligns spans.
    #[default]
    Step,
    /// By the chain of step keys from the root: the same tool under two agents is two rows.
    Path,
    /// By tool name; spans that are no tool call share one row.
    Tool,
    /// By model; spans without a model share one row.
    Model,
    /// By the trace's session; traces without one share one row.
    Session,
}

impl GroupBy {
    pub const ALL: [GroupBy; 5] = [
        GroupBy::Step,
        GroupBy::Path,
        GroupBy::Tool,
        GroupBy::Model,
        GroupBy::Session,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Step => "step",
            GroupBy::Path => "path",
            GroupBy::Tool => "tool",
            GroupBy::Model => "model",
            GroupBy::Session => "session",
        }
    }

    pub fn from_name(name: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// Everything the stats screen and `spanlens stats` show.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub traces: usize,
    pub spans: usize,
    pub errors: usize,
    /// End-to-end time of the traces, summed: what critical-path times are a share of.
    pub duration_ns: i64,
    pub steps: Vec<StepStats>,
    pub tools: Vec<ToolStats>,
    /// Tools declared to a model on some LLM span but never called, sorted by name.
    pub declared_unused_tools: Vec<String>,
    pub prompts: Vec<PromptStats>,
    pub sessions: Vec<SessionStats>,
}

/// One error type and message, and how many spans of a step had it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorCount {
    /// Exception type (`exception.type`), empty when the source only gives a message.
    pub kind: String,
    /// First line of the message, cut to `ERROR_MESSAGE_CHARS`.
    pub message: String,
    pub count: u64,
}

/// One row of the step table.
#[derive(Clone, Debug, Default)]
pub struct StepStats {
    /// Stable grouping key (`TOOL get_weather`, `LLM`, `AGENT > LLM` for paths).
    pub key: String,
    /// What to show: the first span's name (the tool, model or session for those groupings).
    pub name: String,
    pub kind: SpanKind,
    /// `root > … > step` when grouped by path.
    pub path: Option<String>,
    /// Traces holding at least one span of the step.
    pub traces: u32,
    pub calls: u64,
    pub max_calls_per_trace: u32,
    pub errors: u64,
    /// Most common errors first, at most `TOP_ERRORS`.
    pub top_errors: Vec<ErrorCount>,
    /// Durations of the spans that have one (end at or after start), sorted ascending.
    pub durations_ns: Vec<i64>,
    /// Spans with no usable duration (in progress, or ending before they start).
    pub unknown_durations: u64,
    /// Self time (duration not covered by children) of the same spans, sorted.
    pub self_ns: Vec<i64>,
    /// Time the step's spans hold on their traces' critical paths, summed over traces.
    pub critical_path_ns: i64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// LLM-like spans (LLM, embedding) with no token count at all.
    pub unknown_tokens: u64,
    pub cost: Option<f64>,
    /// Every span of the step, in arena order (for drill-down).
    pub spans: Vec<SpanIx>,
}

impl StepStats {
    pub fn error_rate(&self) -> f64 {
        ratio(self.errors, self.calls)
    }

    /// The step's critical-path time as a share of `total` (the traces' summed duration).
    pub fn critical_share(&self, total: i64) -> f64 {
        if total <= 0 {
            0.0
        } else {
            self.critical_path_ns as f64 / total as f64
        }
    }

    /// Duration percentile (nearest rank).
    pub fn duration(&self, p: f64) -> Option<i64> {
        percentile(&self.durations_ns, p)
    }
}

/// One row of the tool lens.
#[derive(Clone, Debug, Default)]
pub struct ToolStats {
    pub name: String,
    pub calls: u64,
    pub traces: u32,
    pub errors: u64,
    pub max_calls_per_trace: u32,
    /// Calls whose tool and arguments equal an earlier call in the same trace.
    pub repeated_calls: u64,
    /// Runs of three or more consecutive calls of this tool under one parent.
    pub loops: u64,
    /// Bytes of each call's arguments as stored, sorted (calls without arguments left out).
    pub arg_bytes: Vec<i64>,
    /// Bytes of each call's result as stored, sorted.
    pub result_bytes: Vec<i64>,
    pub spans: Vec<SpanIx>,
}

impl ToolStats {
    pub fn error_rate(&self) -> f64 {
        ratio(self.errors, self.calls)
    }
}

/// Whether prompt sizes are token counts or bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SizeUnit {
    #[default]
    Tokens,
    Bytes,
}

impl SizeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            SizeUnit::Tokens => "tokens",
            SizeUnit::Bytes => "bytes",
        }
    }
}

/// One distinct system prompt of an LLM step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemPrompt {
    /// FNV-1a of the system messages' text, in order.
    pub hash: u64,
    pub count: u64,
    pub bytes: u64,
    /// The start of the prompt, for display (untrusted text: show it inert).
    pub preview: String,
}

/// Bytes of input message content by role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Composition {
    pub system: u64,
    pub user: u64,
    pub assistant: u64,
    /// Tool results sent back to the model.
    pub tool: u64,
    /// Retrieved documents and context (roles `document`, `context`, `retrieval`…).
    pub documents: u64,
    pub other: u64,
}

impl Composition {
    pub fn total(&self) -> u64 {
        self.system + self.user + self.assistant + self.tool + self.documents + self.other
    }

    /// Each part as a share of the total, in the order of the fields.
    pub fn shares(&self) -> [(&'static str, f64); 6] {
        let t = self.total();
        [
            ("system", ratio(self.system, t)),
            ("user", ratio(self.user, t)),
            ("assistant", ratio(self.assistant, t)),
            ("tool", ratio(self.tool, t)),
            ("documents", ratio(self.documents, t)),
            ("other", ratio(self.other, t)),
        ]
    }
}

/// One row of the prompt lens: an LLM step (grouped as the step table is).
#[derive(Clone, Debug, Default)]
pub struct PromptStats {
    /// The step key, as in `StepStats::key`.
    pub step: String,
    pub name: String,
    pub calls: u64,
    /// Input size of each call, sorted: input tokens, or input bytes when the step's spans
    /// have no token counts (`unit`).
    pub input_sizes: Vec<i64>,
    pub unit: SizeUnit,
    /// The call with the largest input.
    pub largest: Option<SpanIx>,
    /// Distinct system prompts, most used first.
    pub system_prompts: Vec<SystemPrompt>,
    pub composition: Composition,
    /// Calls whose messages were read for `system_prompts` and `composition` (all of them
    /// up to `prompts::MESSAGE_BUDGET`, an even sample beyond).
    pub messages_read: u64,
}

/// Prompt growth across one session's turns (traces in start order).
#[derive(Clone, Debug, Default)]
pub struct SessionStats {
    pub session_id: String,
    pub traces: Vec<TraceIx>,
    /// Input size of each turn: the trace's input tokens, or its LLM input bytes without.
    pub turns: Vec<u64>,
    pub unit: SizeUnit,
    pub first: u64,
    pub last: u64,
    /// Least-squares slope of size against turn number (per turn).
    pub slope: f64,
}

/// At most this many error kinds are kept per step.
pub const TOP_ERRORS: usize = 5;
/// Error messages are grouped by their first line, cut to this many characters.
pub const ERROR_MESSAGE_CHARS: usize = 160;

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Exact percentile by nearest rank: the smallest value with at least `p`% of the values at
/// or below it. `p` is clamped to 0..=100; `None` for no values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 100.0) };
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Computes every table for `traces` of `set`, grouping the step table `by`.
pub fn compute(set: &TraceSet, traces: &[TraceIx], by: GroupBy) -> Stats {
    use crate::timing::phase;
    let _total = phase("stats: total");
    let groups = {
        let _t = phase("stats: groups");
        groups::assign(set, traces, by)
    };
    let ((steps, (tools, declared_unused_tools)), (prompts, sessions)) = rayon::join(
        || {
            rayon::join(
                || {
                    let _t = phase("stats: steps");
                    steps::aggregate(set, traces, &groups)
                },
                || {
                    let _t = phase("stats: tools");
                    tools::tool_lens(set, traces)
                },
            )
        },
        || {
            rayon::join(
                || {
                    let _t = phase("stats: prompts");
                    prompts::prompt_lens(set, traces, &groups)
                },
                || {
                    let _t = phase("stats: sessions");
                    sessions::session_stats(set, traces)
                },
            )
        },
    );
    let spans = traces
        .iter()
        .map(|&t| set.trace(t).span_count() as usize)
        .sum();
    let errors = steps.iter().map(|s| s.errors as usize).sum();
    let duration_ns = traces.iter().map(|&t| set.trace(t).duration_ns()).sum();
    Stats {
        traces: traces.len(),
        spans,
        errors,
        duration_ns,
        steps,
        tools,
        declared_unused_tools,
        prompts,
        sessions,
    }
}

/// Only the step table, grouped `by` (what a regrouping needs; the tool lens and sessions
/// do not depend on the grouping).
pub fn compute_steps(set: &TraceSet, traces: &[TraceIx], by: GroupBy) -> Vec<StepStats> {
    steps::aggregate(set, traces, &groups::assign(set, traces, by))
}

/// A step's spans worst first, for drill-down: errors before the rest, then the slowest
/// (spans without a duration last), then arena order.
pub fn worst_first(set: &TraceSet, spans: &[SpanIx]) -> Vec<SpanIx> {
    let mut out = spans.to_vec();
    out.sort_by_key(|&ix| {
        let s = set.span(ix);
        let dur = if critical::has_duration(s) {
            s.duration_ns()
        } else {
            -1
        };
        (!s.is_error(), std::cmp::Reverse(dur), ix)
    });
    out
}

/// Counts of `sorted` values in `buckets` equal-width bins from the smallest to the
/// largest value, for a sparkline of a step's durations. Empty input gives all zeros.
pub fn histogram(sorted: &[i64], buckets: usize) -> Vec<u64> {
    let mut out = vec![0u64; buckets];
    let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
        return out;
    };
    if buckets == 0 {
        return out;
    }
    let width = (hi - lo) as f64 / buckets as f64;
    for &v in sorted {
        let b = if width > 0.0 {
            (((v - lo) as f64 / width) as usize).min(buckets - 1)
        } else {
            0
        };
        out[b] += 1;
    }
    out
}

/// Every trace of `set`, for `compute` over everything loaded.
pub fn all_traces(set: &TraceSet) -> Vec<TraceIx> {
    (0..set.traces.len() as u32).map(TraceIx).collect()
}

/// Contiguous runs of `traces` with about the same number of spans each, one per task, so
/// work spreads over the pool and results merge back in order.
fn chunks(set: &TraceSet, traces: &[TraceIx]) -> Vec<std::ops::Range<usize>> {
    let spans = || traces.iter().map(|&t| set.trace(t).span_count() as usize);
    let want = (rayon::current_num_threads() * 4).max(1);
    crate::runs::by_weight(spans(), (spans().sum::<usize>() / want).max(1024))
}

#[cfg(test)]
mod tests;
