//! Step table columns to sort by. Numbers sort largest first, names A to Z; ties fall back
//! to the default order (errors, then p90 duration) and then the key, so every order is
//! total and stable across runs.

use super::StepStats;
use std::cmp::Ordering;

/// A sortable column of the step table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Errors, then p90 duration (the default).
    #[default]
    Errors,
    ErrorRate,
    Calls,
    Traces,
    MaxPerTrace,
    P50,
    P90,
    P99,
    Max,
    SelfP50,
    Critical,
    TokensIn,
    TokensOut,
    Cost,
    Name,
}

impl SortKey {
    pub const ALL: [SortKey; 15] = [
        SortKey::Errors,
        SortKey::ErrorRate,
        SortKey::Calls,
        SortKey::Traces,
        SortKey::MaxPerTrace,
        SortKey::P50,
        SortKey::P90,
        SortKey::P99,
        SortKey::Max,
        SortKey::SelfP50,
        SortKey::Critical,
        SortKey::TokensIn,
        SortKey::TokensOut,
        SortKey::Cost,
        SortKey::Name,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Errors => "errors",
            SortKey::ErrorRate => "error_rate",
            SortKey::Calls => "calls",
            SortKey::Traces => "traces",
            SortKey::MaxPerTrace => "max_per_trace",
            SortKey::P50 => "p50",
            SortKey::P90 => "p90",
            SortKey::P99 => "p99",
            SortKey::Max => "max",
            SortKey::SelfP50 => "self",
            SortKey::Critical => "critical",
            SortKey::TokensIn => "tokens_in",
            SortKey::TokensOut => "tokens_out",
            SortKey::Cost => "cost",
            SortKey::Name => "name",
        }
    }

    pub fn from_name(name: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The names, for help and errors.
    pub fn names() -> String {
        SortKey::ALL.map(SortKey::as_str).join(", ")
    }
}

/// Sorts steps by `key` (largest first for numbers).
pub fn sort_steps(rows: &mut [StepStats], key: SortKey) {
    rows.sort_by(|a, b| compare(a, b, key).then_with(|| default_order(a, b)));
}

/// Errors, then p90 duration (both descending), then key.
pub fn default_order(a: &StepStats, b: &StepStats) -> Ordering {
    b.errors
        .cmp(&a.errors)
        .then(b.duration(90.0).cmp(&a.duration(90.0)))
        .then_with(|| a.key.cmp(&b.key))
}

fn compare(a: &StepStats, b: &StepStats, key: SortKey) -> Ordering {
    let p = |s: &StepStats, q| s.duration(q);
    match key {
        SortKey::Errors => Ordering::Equal,
        SortKey::ErrorRate => b.error_rate().total_cmp(&a.error_rate()),
        SortKey::Calls => b.calls.cmp(&a.calls),
        SortKey::Traces => b.traces.cmp(&a.traces),
        SortKey::MaxPerTrace => b.max_calls_per_trace.cmp(&a.max_calls_per_trace),
        SortKey::P50 => p(b, 50.0).cmp(&p(a, 50.0)),
        SortKey::P90 => p(b, 90.0).cmp(&p(a, 90.0)),
        SortKey::P99 => p(b, 99.0).cmp(&p(a, 99.0)),
        SortKey::Max => b.durations_ns.last().cmp(&a.durations_ns.last()),
        SortKey::SelfP50 => {
            super::percentile(&b.self_ns, 50.0).cmp(&super::percentile(&a.self_ns, 50.0))
        }
        SortKey::Critical => b.critical_path_ns.cmp(&a.critical_path_ns),
        SortKey::TokensIn => b.input_tokens.cmp(&a.input_tokens),
        SortKey::TokensOut => b.output_tokens.cmp(&a.output_tokens),
        SortKey::Cost => b.cost.unwrap_or(-1.0).total_cmp(&a.cost.unwrap_or(-1.0)),
        SortKey::Name => a.name.cmp(&b.name),
    }
}
