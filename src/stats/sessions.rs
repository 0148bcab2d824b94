//! Prompt growth per session: each trace of a session is one turn, in start order; its size
//! is the trace's input tokens (usage counted once, as the trace list does), or, for a
//! session with no token counts, the bytes of its LLM spans' stored inputs.

use super::{SessionStats, SizeUnit};
use crate::model::{MetaKeys, SpanKind, TraceIx, TraceSet};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Sessions with their turns, most turns first.
pub fn session_stats(set: &TraceSet, traces: &[TraceIx]) -> Vec<SessionStats> {
    let keys = MetaKeys::new(set);
    let sessions: Vec<Option<String>> = traces
        .par_iter()
        .map(|&t| keys.trace_meta(set, t).session)
        .collect();
    let mut by_id: BTreeMap<String, Vec<TraceIx>> = BTreeMap::new();
    for (&t, s) in traces.iter().zip(sessions) {
        if let Some(s) = s {
            by_id.entry(s).or_default().push(t);
        }
    }
    let mut out: Vec<SessionStats> = by_id
        .into_iter()
        .map(|(id, mut ts)| {
            ts.sort_by_key(|&t| (set.trace(t).start_ns, t));
            turns(set, id, ts)
        })
        .collect();
    out.sort_by(|a, b| {
        b.traces
            .len()
            .cmp(&a.traces.len())
            .then_with(|| a.session_id.cmp(&b.session_id))
    });
    out
}

fn turns(set: &TraceSet, session_id: String, traces: Vec<TraceIx>) -> SessionStats {
    let tokens = traces.iter().any(|&t| set.trace(t).input_tokens > 0);
    let turns: Vec<u64> = traces
        .iter()
        .map(|&t| {
            if tokens {
                set.trace(t).input_tokens
            } else {
                llm_input_bytes(set, t)
            }
        })
        .collect();
    SessionStats {
        session_id,
        first: turns.first().copied().unwrap_or(0),
        last: turns.last().copied().unwrap_or(0),
        slope: slope(&turns),
        turns,
        traces,
        unit: if tokens {
            SizeUnit::Tokens
        } else {
            SizeUnit::Bytes
        },
    }
}

fn llm_input_bytes(set: &TraceSet, t: TraceIx) -> u64 {
    set.spans[set.trace(t).spans()]
        .iter()
        .filter(|s| s.kind == SpanKind::Llm)
        .filter_map(|s| s.input)
        .map(|i| u64::from(i.len))
        .sum()
}

/// Least-squares slope of `ys` against 0, 1, 2, …; 0 for fewer than two points.
pub fn slope(ys: &[u64]) -> f64 {
    let n = ys.len() as f64;
    if ys.len() < 2 {
        return 0.0;
    }
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = ys.iter().map(|&y| y as f64).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (x, &y) in ys.iter().enumerate() {
        let dx = x as f64 - mean_x;
        num += dx * (y as f64 - mean_y);
        den += dx * dx;
    }
    num / den
}
