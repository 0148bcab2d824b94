//! Comparing two runs of many traces: pair the traces, sum each run up (error traces,
//! end-to-end duration, tokens, cost, feedback), compare every step (by the alignment key)
//! across the runs with a rank test deciding whether a latency change is more than noise,
//! warn where the runs are not comparable, and order the pairs by how much they changed.

use super::align::{Key, key, normalise_name, strip_operation};
use super::changes::{DURATION_FLOOR_NS, DURATION_RATIO};
use super::pairing::{Pairing, Rule, pair};
use super::ranktest::{RankTest, mann_whitney};
use crate::model::{SpanIx, SpanKind, Sym, TraceIx, TraceSet};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A step's tokens or calls count as changed when they move by more than this fraction.
pub const COUNT_RATIO: f64 = 0.10;
/// A latency change is called a regression only when the rank test's p-value is below this.
pub const ALPHA: f64 = 0.05;

/// Nearest-rank percentiles of a distribution (0 when it is empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dist {
    pub p50: i64,
    pub p95: i64,
}

impl Dist {
    /// Of values sorted ascending.
    pub fn of(sorted: &[i64]) -> Dist {
        Dist {
            p50: percentile(sorted, 50.0).unwrap_or(0),
            p95: percentile(sorted, 95.0).unwrap_or(0),
        }
    }
}

/// Exact nearest-rank percentile of values sorted ascending (the step statistics' rule).
pub use crate::stats::percentile;

/// One run summed up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunSummary {
    pub traces: usize,
    pub error_traces: usize,
    pub duration: Dist,
    /// Tokens per trace (input + output).
    pub tokens: f64,
    /// Cost per trace, when any trace reports one.
    pub cost: Option<f64>,
    /// Mean value per assessment name (numbers, and booleans as 0 / 1).
    pub feedback: BTreeMap<String, f64>,
}

/// One step on one side.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepSide {
    pub calls: u64,
    pub calls_per_trace: f64,
    pub errors: u64,
    pub error_rate: f64,
    /// Every call's duration, sorted ascending.
    pub durations: Vec<i64>,
    pub duration: Dist,
    /// Tokens per trace.
    pub tokens: f64,
}

/// How a step compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Same,
    Changed,
    Added,
    Removed,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Same => "same",
            StepStatus::Changed => "changed",
            StepStatus::Added => "added",
            StepStatus::Removed => "removed",
        }
    }
}

/// One step across the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct StepDelta {
    /// `kind:name` (or the kind alone for steps matched by kind), stable across runs.
    pub key: String,
    pub name: String,
    pub kind: SpanKind,
    pub status: StepStatus,
    pub left: Option<StepSide>,
    pub right: Option<StepSide>,
    /// The rank test of the durations; `None` when a side has too few calls for one.
    pub test: Option<RankTest>,
    /// What got worse: `p50`, `p95`, `error_rate`, `calls`, `tokens`.
    pub regressions: Vec<&'static str>,
}

/// One pair of traces with what the list needs to order them.
#[derive(Clone, Debug, PartialEq)]
pub struct PairRow {
    pub left: TraceIx,
    pub right: TraceIx,
    pub rule: Rule,
    pub left_duration_ns: i64,
    pub right_duration_ns: i64,
    pub left_errors: u32,
    pub right_errors: u32,
}

impl PairRow {
    /// Right is failing where left was not.
    pub fn new_error(&self) -> bool {
        self.right_errors > 0 && self.left_errors == 0
    }
}

/// Two runs compared.
#[derive(Clone, Debug, PartialEq)]
pub struct RunDiff {
    pub pairing: Pairing,
    pub left: RunSummary,
    pub right: RunSummary,
    pub steps: Vec<StepDelta>,
    /// New errors first, then by the largest duration change.
    pub pairs: Vec<PairRow>,
    pub warnings: Vec<String>,
}

/// Compares run `lt` of `left` with run `rt` of `right`.
pub fn compare_runs(left: &TraceSet, lt: &[TraceIx], right: &TraceSet, rt: &[TraceIx]) -> RunDiff {
    let ((pairing, (ls, rs)), (lsteps, rsteps)) = rayon::join(
        || {
            let _t = crate::timing::phase("run diff: pair");
            (
                pair(left, lt, right, rt),
                (summarise(left, lt), summarise(right, rt)),
            )
        },
        || {
            let _t = crate::timing::phase("run diff: steps");
            rayon::join(|| steps_of(left, lt), || steps_of(right, rt))
        },
    );
    let steps = step_deltas(lsteps, rsteps);
    let pairs = pair_rows(left, right, &pairing);
    let warnings = super::comparable::warnings(left, lt, right, rt, &pairing);
    RunDiff {
        pairing,
        left: ls,
        right: rs,
        steps,
        pairs,
        warnings,
    }
}

fn summarise(set: &TraceSet, ts: &[TraceIx]) -> RunSummary {
    let n = ts.len().max(1) as f64;
    let mut durations: Vec<i64> = ts.iter().map(|&t| set.trace(t).duration_ns()).collect();
    durations.sort_unstable();
    let tokens: u64 = ts
        .iter()
        .map(|&t| {
            let tr = set.trace(t);
            tr.input_tokens + tr.output_tokens
        })
        .sum();
    let costs: Vec<f64> = ts.iter().filter_map(|&t| set.trace(t).cost).collect();
    RunSummary {
        traces: ts.len(),
        error_traces: ts.iter().filter(|&&t| set.trace(t).errors > 0).count(),
        duration: Dist::of(&durations),
        tokens: tokens as f64 / n,
        cost: (!costs.is_empty()).then(|| costs.iter().sum::<f64>() / n),
        feedback: feedback_means(set, ts),
    }
}

/// Mean of each assessment's values over the traces of `ts`.
fn feedback_means(set: &TraceSet, ts: &[TraceIx]) -> BTreeMap<String, f64> {
    let mut inside = vec![false; set.traces.len()];
    for t in ts {
        inside[t.0 as usize] = true;
    }
    let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    for (a, (t, _)) in set.assessments.iter().zip(&set.assessment_targets) {
        if !t.is_some_and(|t| inside[t.0 as usize]) {
            continue;
        }
        if let Some(v) = numeric(&a.value) {
            let e = sums.entry(a.name.clone()).or_default();
            e.0 += v;
            e.1 += 1;
        }
    }
    sums.into_iter()
        .map(|(k, (s, n))| (k, s / f64::from(n)))
        .collect()
}

/// An assessment value as a number: numbers as they are, booleans and yes/no words as 1/0.
pub fn numeric(v: &serde_json::Value) -> Option<f64> {
    use serde_json::Value;
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "pass" | "correct" => Some(1.0),
            "no" | "false" | "fail" | "incorrect" => Some(0.0),
            other => other.parse().ok(),
        },
        Value::Object(m) => m.get("value").and_then(numeric),
        _ => None,
    }
}

/// Per-step sums of one run, by key.
struct StepAcc {
    name: String,
    /// The first span's name without numbers or operation prefix, to match an
    /// unknown-kind step with a known-kind one (see `adopt_known_kinds`).
    plain: String,
    kind: SpanKind,
    calls: u64,
    errors: u64,
    tokens: u64,
    durations: Vec<i64>,
}

/// Steps of one run: every span of every trace, grouped by the alignment key. Keys are
/// computed once per distinct (kind, name, tool), not per span.
fn steps_of(set: &TraceSet, ts: &[TraceIx]) -> (usize, HashMap<Key, StepAcc>) {
    let mut ids: HashMap<(SpanKind, Sym, Sym), usize> = HashMap::new();
    let mut by_key: HashMap<Key, usize> = HashMap::new();
    let mut accs: Vec<(Key, StepAcc)> = Vec::new();
    for &t in ts {
        for i in set.trace(t).spans() {
            let s = &set.spans[i];
            let id = *ids.entry((s.kind, s.name, s.tool)).or_insert_with(|| {
                let k = key(set, SpanIx(i as u32));
                match by_key.get(&k) {
                    Some(&j) => j,
                    None => {
                        by_key.insert(k.clone(), accs.len());
                        let name = step_name(&k);
                        let plain = normalise_name(strip_operation(set.str(s.name)));
                        accs.push((
                            k.clone(),
                            StepAcc {
                                name,
                                plain,
                                kind: s.kind,
                                calls: 0,
                                errors: 0,
                                tokens: 0,
                                durations: Vec::new(),
                            },
                        ));
                        accs.len() - 1
                    }
                }
            });
            let a = &mut accs[id].1;
            a.calls += 1;
            a.errors += u64::from(s.is_error());
            a.tokens += s.tokens.sum().unwrap_or(0);
            a.durations.push(s.duration_ns());
        }
    }
    let mut out = HashMap::with_capacity(accs.len());
    for (k, mut a) in accs {
        a.durations.sort_unstable();
        out.insert(k, a);
    }
    (ts.len(), out)
}

/// The name a step goes by: its normalised name, or its kind for steps matched by kind.
fn step_name(k: &Key) -> String {
    if k.name().is_empty() {
        k.kind().as_str().to_ascii_lowercase()
    } else {
        k.name().to_owned()
    }
}

fn step_key(k: &Key) -> String {
    let kind = k.kind().as_str().to_ascii_lowercase();
    if k.name().is_empty() {
        kind
    } else {
        format!("{kind}:{}", k.name())
    }
}

fn side_of(traces: usize, a: StepAcc) -> StepSide {
    let n = traces.max(1) as f64;
    StepSide {
        calls: a.calls,
        calls_per_trace: a.calls as f64 / n,
        errors: a.errors,
        error_rate: a.errors as f64 / a.calls.max(1) as f64,
        duration: Dist::of(&a.durations),
        durations: a.durations,
        tokens: a.tokens as f64 / n,
    }
}

fn step_deltas(
    (ln, mut l): (usize, HashMap<Key, StepAcc>),
    (rn, mut r): (usize, HashMap<Key, StepAcc>),
) -> Vec<StepDelta> {
    adopt_known_kinds(&mut l, &r);
    adopt_known_kinds(&mut r, &l);
    let keys: BTreeSet<Key> = l.keys().chain(r.keys()).cloned().collect();
    let mut out: Vec<StepDelta> = keys
        .into_iter()
        .map(|k| {
            let (a, b) = (l.remove(&k), r.remove(&k));
            let (name, kind) = match (&a, &b) {
                (Some(x), _) | (None, Some(x)) => (x.name.clone(), x.kind),
                (None, None) => unreachable!("the key came from one side"),
            };
            let left = a.map(|a| side_of(ln, a));
            let right = b.map(|b| side_of(rn, b));
            delta(step_key(&k), name, kind, left, right)
        })
        .collect();
    // Regressions first, then what changed, then by name.
    out.sort_by(|a, b| {
        let rank = |s: &StepDelta| {
            (
                s.regressions.is_empty(),
                s.status == StepStatus::Same,
                s.key.clone(),
            )
        };
        rank(a).cmp(&rank(b))
    });
    out
}

/// An unknown-kind step of one run takes the key of the known-kind step with the same
/// name in the other run (one export knows `rerank_docs` is a RERANKER, another does not),
/// as the tree alignment does for sibling spans.
fn adopt_known_kinds(mine: &mut HashMap<Key, StepAcc>, theirs: &HashMap<Key, StepAcc>) {
    let moves: Vec<(Key, Key)> = mine
        .keys()
        .filter(|k| k.kind() == SpanKind::Unknown && !theirs.contains_key(*k))
        .filter_map(|k| {
            let (to, _) = theirs
                .iter()
                .find(|(tk, ta)| tk.kind() != SpanKind::Unknown && ta.plain == k.name())?;
            (!mine.contains_key(to)).then(|| (k.clone(), to.clone()))
        })
        .collect();
    for (from, to) in moves {
        if let Some(mut acc) = mine.remove(&from) {
            if let Some(t) = theirs.get(&to) {
                (acc.name, acc.kind) = (t.name.clone(), t.kind);
            }
            mine.insert(to, acc);
        }
    }
}

/// Compares one step's two sides.
fn delta(
    key: String,
    name: String,
    kind: SpanKind,
    left: Option<StepSide>,
    right: Option<StepSide>,
) -> StepDelta {
    let (mut status, mut test, mut regressions) = (StepStatus::Same, None, Vec::new());
    match (&left, &right) {
        (Some(a), Some(b)) => {
            test = mann_whitney(&a.durations, &b.durations);
            let noise_free = test.is_some_and(|t| t.p < ALPHA);
            let mut changed = false;
            for (what, x, y) in [
                ("p50", a.duration.p50, b.duration.p50),
                ("p95", a.duration.p95, b.duration.p95),
            ] {
                if duration_moved(x, y) && noise_free {
                    changed = true;
                    if y > x {
                        regressions.push(what);
                    }
                }
            }
            if b.error_rate > a.error_rate {
                regressions.push("error_rate");
            }
            if moved(a.calls_per_trace, b.calls_per_trace) && b.calls_per_trace > a.calls_per_trace
            {
                regressions.push("calls");
            }
            if moved(a.tokens, b.tokens) && b.tokens > a.tokens {
                regressions.push("tokens");
            }
            changed |= a.error_rate != b.error_rate
                || moved(a.calls_per_trace, b.calls_per_trace)
                || moved(a.tokens, b.tokens);
            if changed || !regressions.is_empty() {
                status = StepStatus::Changed;
            }
        }
        (None, Some(_)) => status = StepStatus::Added,
        (Some(_), None) => status = StepStatus::Removed,
        (None, None) => {}
    }
    StepDelta {
        key,
        name,
        kind,
        status,
        left,
        right,
        test,
        regressions,
    }
}

/// A duration moved by more than both thresholds (the single-trace diff's rule).
pub fn duration_moved(a: i64, b: i64) -> bool {
    let d = (b - a).abs();
    d > DURATION_FLOOR_NS && d as f64 > DURATION_RATIO * a.max(1) as f64
}

fn moved(a: f64, b: f64) -> bool {
    (b - a).abs() > COUNT_RATIO * a.abs().max(f64::EPSILON)
}

fn pair_rows(left: &TraceSet, right: &TraceSet, p: &Pairing) -> Vec<PairRow> {
    let mut rows: Vec<PairRow> = p
        .pairs
        .iter()
        .map(|&(l, r, rule)| {
            let (a, b) = (left.trace(l), right.trace(r));
            PairRow {
                left: l,
                right: r,
                rule,
                left_duration_ns: a.duration_ns(),
                right_duration_ns: b.duration_ns(),
                left_errors: a.errors,
                right_errors: b.errors,
            }
        })
        .collect();
    rows.sort_by_key(|r| {
        (
            !r.new_error(),
            std::cmp::Reverse((r.right_duration_ns - r.left_duration_ns).unsigned_abs()),
            r.left,
        )
    });
    rows
}
