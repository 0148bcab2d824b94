//! The step table: per group, calls, traces, errors with their most common kinds,
//! durations, self and critical-path time, tokens and cost.

use super::critical::{has_duration, trace_times};
use super::groups::{Groups, NONE};
use super::{ERROR_MESSAGE_CHARS, ErrorCount, StepStats, TOP_ERRORS, chunks};
use crate::model::detail::exceptions_in;
use crate::model::mapped::Mapped;
use crate::model::{SpanIx, SpanKind, TraceIx, TraceSet};
use rayon::prelude::*;

/// Running totals of one group over a run of traces.
#[derive(Clone, Debug, Default)]
struct Acc {
    traces: u32,
    calls: u64,
    max_per_trace: u32,
    errors: u64,
    durations: Vec<i64>,
    unknown_durations: u64,
    self_ns: Vec<i64>,
    critical: i64,
    input_tokens: u64,
    output_tokens: u64,
    unknown_tokens: u64,
    cost: Option<f64>,
    spans: Vec<SpanIx>,
    error_spans: Vec<SpanIx>,
}

impl Acc {
    fn absorb(&mut self, o: Acc) {
        self.traces += o.traces;
        self.calls += o.calls;
        self.max_per_trace = self.max_per_trace.max(o.max_per_trace);
        self.errors += o.errors;
        self.durations.extend(o.durations);
        self.unknown_durations += o.unknown_durations;
        self.self_ns.extend(o.self_ns);
        self.critical += o.critical;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.unknown_tokens += o.unknown_tokens;
        self.cost = add_cost(self.cost, o.cost);
        self.spans.extend(o.spans);
        self.error_spans.extend(o.error_spans);
    }
}

fn add_cost(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// One row per group, sorted by errors, then p90 duration (both descending), then key.
pub fn aggregate(set: &TraceSet, traces: &[TraceIx], groups: &Groups) -> Vec<StepStats> {
    let n = groups.keys.len();
    let parts: Vec<Vec<Acc>> = chunks(set, traces)
        .into_par_iter()
        .map(|r| accumulate(set, &traces[r], groups, n))
        .collect();
    let mut accs = vec![Acc::default(); n];
    for part in parts {
        for (a, p) in accs.iter_mut().zip(part) {
            a.absorb(p);
        }
    }
    let reader = Mapped::new(&set.sources);
    let mut rows: Vec<StepStats> = accs
        .into_par_iter()
        .zip(groups.keys.par_iter())
        .filter(|(a, _)| a.calls > 0)
        .map(|(a, k)| finish(&reader, set, a, k))
        .collect();
    rows.sort_by(super::sort::default_order);
    rows
}

/// Totals of every group over `traces` (a contiguous run handled by one task).
fn accumulate(set: &TraceSet, traces: &[TraceIx], groups: &Groups, n: usize) -> Vec<Acc> {
    let mut accs = vec![Acc::default(); n];
    let mut per_trace = vec![0u32; n];
    let mut touched: Vec<u32> = Vec::new();
    for &t in traces {
        let times = trace_times(set, t);
        let range = set.trace(t).spans();
        let base = range.start;
        for i in range {
            let g = groups.of_span[i];
            if g == NONE {
                continue;
            }
            let s = &set.spans[i];
            let a = &mut accs[g as usize];
            a.calls += 1;
            a.spans.push(SpanIx(i as u32));
            if s.is_error() {
                a.errors += 1;
                a.error_spans.push(SpanIx(i as u32));
            }
            if has_duration(s) {
                a.durations.push(s.duration_ns());
                a.self_ns.push(times.self_ns[i - base]);
            } else {
                a.unknown_durations += 1;
            }
            a.critical += times.critical_ns[i - base];
            a.input_tokens += u64::from(s.tokens.input().unwrap_or(0));
            a.output_tokens += u64::from(s.tokens.output().unwrap_or(0));
            if s.tokens.is_empty() && matches!(s.kind, SpanKind::Llm | SpanKind::Embedding) {
                a.unknown_tokens += 1;
            }
            a.cost = add_cost(a.cost, s.cost());
            if per_trace[g as usize] == 0 {
                touched.push(g);
            }
            per_trace[g as usize] += 1;
        }
        for g in touched.drain(..) {
            let a = &mut accs[g as usize];
            a.traces += 1;
            a.max_per_trace = a.max_per_trace.max(per_trace[g as usize]);
            per_trace[g as usize] = 0;
        }
    }
    accs
}

fn finish(reader: &Mapped, set: &TraceSet, mut a: Acc, k: &super::groups::GroupKey) -> StepStats {
    a.durations.sort_unstable();
    a.self_ns.sort_unstable();
    StepStats {
        key: k.key.clone(),
        name: k.name.clone(),
        kind: k.kind,
        path: k.path.clone(),
        traces: a.traces,
        calls: a.calls,
        max_calls_per_trace: a.max_per_trace,
        errors: a.errors,
        top_errors: top_errors(reader, set, &a.error_spans),
        durations_ns: a.durations,
        unknown_durations: a.unknown_durations,
        self_ns: a.self_ns,
        critical_path_ns: a.critical,
        input_tokens: a.input_tokens,
        output_tokens: a.output_tokens,
        unknown_tokens: a.unknown_tokens,
        cost: a.cost,
        spans: a.spans,
    }
}

/// The most common (type, message) among error spans. A span's type and message come from
/// its first exception event, else its status message; neither gives `unknown`.
pub fn top_errors(reader: &Mapped, set: &TraceSet, spans: &[SpanIx]) -> Vec<ErrorCount> {
    let mut counts: super::hash::FastMap<(String, String), u64> = Default::default();
    for &ix in spans {
        *counts.entry(error_of(reader, set, ix)).or_default() += 1;
    }
    let mut out: Vec<ErrorCount> = counts
        .into_iter()
        .map(|((kind, message), count)| ErrorCount {
            kind,
            message,
            count,
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.kind, &a.message).cmp(&(&b.kind, &b.message)))
    });
    out.truncate(TOP_ERRORS);
    out
}

/// (type, message) of one error span.
pub fn error_of(reader: &Mapped, set: &TraceSet, ix: SpanIx) -> (String, String) {
    let s = set.span(ix);
    let status = s
        .status_msg
        .map(|t| reader.text(t))
        .filter(|m| !m.trim().is_empty());
    let exc = s
        .events
        .and_then(|e| exceptions_in(&reader.value(e)).into_iter().next());
    let (kind, message) = match (exc, status) {
        (Some(e), Some(status)) if e.message.is_empty() => (e.kind, status),
        (Some(e), _) => (e.kind, e.message),
        (None, Some(status)) => (String::new(), status),
        (None, None) => (String::new(), "unknown".to_owned()),
    };
    let line = message.trim().lines().next().unwrap_or("").trim();
    let mut line: String = line.chars().take(ERROR_MESSAGE_CHARS).collect();
    if line.is_empty() {
        line = "unknown".to_owned();
    }
    (kind, line)
}
