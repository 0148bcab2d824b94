//! Per-trace timing: each span's self time and the time it holds on the trace's critical
//! path.
//!
//! The critical path is the chain of spans that sets the trace's end-to-end duration. It is
//! found walking back from the end. Within a span (the trace itself acts as a span from its
//! first start to its last end, with the roots as children), the cursor starts at the
//! span's end; the child that ends last among those starting before the cursor is on the
//! path (its end cut to the cursor); the gap between its end and the cursor is the parent's
//! own time on the path; the walk continues inside that child up to its (cut) end, and in
//! the parent from that child's start. Parallel children that finish earlier than the one
//! chosen are off the path, as is anything that starts after the cursor. What is left
//! before the first chosen child is the parent's own time again. Every nanosecond of the
//! trace's duration is held by exactly one span or by no span (a gap between roots), so
//! the steps' critical-path times add up to at most the traces' total duration.
//!
//! Spans are clipped to their parent's interval (children that start early or end late
//! count only inside it); spans without an end or ending before they start last zero time.
//! Every walk is iterative.

use crate::model::{Span, TraceIx, TraceSet};

/// A span's usable end: its end, or its start when it has none or ends before it starts
/// (as `model::build` computes trace ends).
pub fn end_of(s: &Span) -> i64 {
    s.end_ns().unwrap_or(s.start_ns).max(s.start_ns)
}

/// Returns true when the span has a duration to count (an end at or after its start).
pub fn has_duration(s: &Span) -> bool {
    s.end_ns().is_some_and(|e| e >= s.start_ns)
}

/// Per span of one trace (index = arena index − the trace's first span): self time and
/// time on the critical path, both in nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceTimes {
    pub self_ns: Vec<i64>,
    pub critical_ns: Vec<i64>,
}

/// Self and critical-path times of every span of trace `t`.
pub fn trace_times(set: &TraceSet, t: TraceIx) -> TraceTimes {
    let trace = set.trace(t);
    let base = trace.span_start as usize;
    let local = &set.spans[trace.spans()];
    let mut buf = Vec::new();
    let self_ns = (0..local.len())
        .map(|i| self_time(local, base, i, &mut buf))
        .collect();
    TraceTimes {
        self_ns,
        critical_ns: critical_path(local, base, trace.start_ns, trace.end_ns),
    }
}

/// Arena children of local span `i` (`None`: the roots), as local indices.
fn children(local: &[Span], base: usize, i: Option<usize>) -> impl Iterator<Item = usize> + '_ {
    let (mut c, end) = match i {
        Some(i) => (i + 1, local[i].subtree_end as usize - base),
        None => (0, local.len()),
    };
    std::iter::from_fn(move || {
        (c < end).then(|| {
            let this = c;
            c = (local[c].subtree_end as usize - base).max(c + 1);
            this
        })
    })
}

/// Duration of local span `i` not covered by any child, children cut to the span.
pub(crate) fn self_time(local: &[Span], base: usize, i: usize, buf: &mut Vec<(i64, i64)>) -> i64 {
    let s = &local[i];
    let (lo, hi) = (s.start_ns, end_of(s));
    buf.clear();
    for c in children(local, base, Some(i)) {
        let (a, z) = (local[c].start_ns.max(lo), end_of(&local[c]).min(hi));
        if z > a {
            buf.push((a, z));
        }
    }
    // Children come in start order; sort only if a source broke that.
    if !buf.is_sorted() {
        buf.sort_unstable();
    }
    let covered = crate::model::time::union_len(buf);
    (hi - lo - covered).max(0)
}

/// Time each span holds on the critical path (see the module docs).
pub(crate) fn critical_path(local: &[Span], base: usize, start: i64, end: i64) -> Vec<i64> {
    let mut on_path = vec![0i64; local.len()];
    // (span, lo, hi): walk `span` (None: the trace) within [lo, hi].
    let mut stack: Vec<(Option<usize>, i64, i64)> = vec![(None, start, end)];
    let mut kids: Vec<(i64, i64, usize)> = Vec::new();
    while let Some((span, lo, hi)) = stack.pop() {
        kids.clear();
        kids.extend(children(local, base, span).map(|c| (end_of(&local[c]), local[c].start_ns, c)));
        // Latest end first; among equal ends the later start (the shorter span), then the
        // later one in the arena, so the choice does not depend on sort stability.
        kids.sort_unstable_by(|a, b| b.cmp(a));
        let mut cursor = hi;
        let mut own = 0;
        for &(c_end, c_start, c) in kids.iter() {
            if cursor <= lo {
                break;
            }
            let (a, z) = (c_start.max(lo), c_end.min(cursor));
            if a >= cursor || z <= a {
                continue;
            }
            own += cursor - z;
            stack.push((Some(c), a, z));
            cursor = a;
        }
        own += (cursor - lo).max(0);
        if let Some(i) = span {
            on_path[i] += own;
        }
    }
    on_path
}
