//! Diffing two runs: align their span trees, mark each row same / changed / added /
//! removed, say what changed, and total the deltas. Works on the common model, so runs
//! exported in different formats diff just as well. Nothing here imports the UI.

pub mod align;
pub mod changes;
pub mod comparable;
pub mod gate;
pub mod pairing;
pub mod payload;
pub mod ranktest;
pub mod report;
pub mod run_report;
pub mod runs;

pub use changes::Change;

use crate::model::{SpanIx, TraceIx, TraceSet};
use align::Pair;
use rayon::prelude::*;

/// How a row compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowStatus {
    Same,
    Changed,
    Added,
    Removed,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Same => "same",
            RowStatus::Changed => "changed",
            RowStatus::Added => "added",
            RowStatus::Removed => "removed",
        }
    }
}

/// One row of the diff, in pre-order of the merged tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub left: Option<SpanIx>,
    pub right: Option<SpanIx>,
    pub depth: u32,
    pub status: RowStatus,
    pub changes: Vec<Change>,
    /// One past the last row of this row's subtree.
    pub subtree_end: u32,
    /// Some row in the subtree (this one included) is not `Same`.
    pub subtree_differs: bool,
    /// Tokens in the subtree on each side (input + output).
    pub tokens: (u64, u64),
    /// Cost in the subtree on each side.
    pub cost: (f64, f64),
}

/// Totals for the header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub same: usize,
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    pub duration_ns: (i64, i64),
    pub tokens: (u64, u64),
    pub errors: (u32, u32),
    pub cost: (Option<f64>, Option<f64>),
    pub spans: (u32, u32),
}

/// A diff of two traces.
#[derive(Clone, Debug)]
pub struct Diff {
    pub rows: Vec<Row>,
    pub summary: Summary,
}

/// Aligns and compares trace `lt` of `left` with trace `rt` of `right`.
pub fn diff(left: &TraceSet, lt: TraceIx, right: &TraceSet, rt: TraceIx) -> Diff {
    let t = crate::timing::phase("diff: align");
    let pairs = align::align(left, lt, right, rt);
    drop(t);
    let t = crate::timing::phase("diff: compare");
    // Pairs compare independently; decoding payloads is the bulk of a diff's time.
    let mut rows: Vec<Row> = pairs.par_iter().map(|p| row(left, right, p)).collect();
    drop(t);
    close_subtrees(&mut rows, left, right);
    let summary = summarise(&rows, left, lt, right, rt);
    Diff { rows, summary }
}

fn row(left: &TraceSet, right: &TraceSet, p: &Pair) -> Row {
    let (status, changes) = match (p.left, p.right) {
        (Some(l), Some(r)) => {
            let mut c = changes::compare(left, l, right, r);
            if p.moved {
                c.push(Change::Order);
            }
            (
                if c.is_empty() {
                    RowStatus::Same
                } else {
                    RowStatus::Changed
                },
                c,
            )
        }
        (Some(_), None) => (RowStatus::Removed, Vec::new()),
        _ => (RowStatus::Added, Vec::new()),
    };
    Row {
        left: p.left,
        right: p.right,
        depth: p.depth,
        status,
        changes,
        subtree_end: 0,
        subtree_differs: false,
        tokens: (0, 0),
        cost: (0.0, 0.0),
    }
}

/// Fills subtree ends, "differs below" flags and subtree token/cost totals, bottom-up.
fn close_subtrees(rows: &mut [Row], left: &TraceSet, right: &TraceSet) {
    let n = rows.len();
    // Ends: the next row at the same or a shallower depth.
    let mut open: Vec<usize> = Vec::new();
    for i in 0..n {
        while let Some(&top) = open.last() {
            if rows[top].depth >= rows[i].depth {
                rows[top].subtree_end = i as u32;
                open.pop();
            } else {
                break;
            }
        }
        open.push(i);
    }
    for top in open {
        rows[top].subtree_end = n as u32;
    }
    let own = |set: &TraceSet, s: Option<SpanIx>| {
        s.map_or((0, 0.0), |s| {
            let sp = set.span(s);
            (sp.tokens.sum().unwrap_or(0), sp.cost().unwrap_or(0.0))
        })
    };
    for i in (0..n).rev() {
        let (lt, lc) = own(left, rows[i].left);
        let (rt, rc) = own(right, rows[i].right);
        let mut tokens = (lt, rt);
        let mut cost = (lc, rc);
        let mut differs = rows[i].status != RowStatus::Same;
        let mut c = i + 1;
        while c < rows[i].subtree_end as usize {
            // Span tokens already include nested usage only for leaves that report it;
            // take the children's totals when the span itself reports none.
            if lt == 0 {
                tokens.0 += rows[c].tokens.0;
            }
            if rt == 0 {
                tokens.1 += rows[c].tokens.1;
            }
            if lc == 0.0 {
                cost.0 += rows[c].cost.0;
            }
            if rc == 0.0 {
                cost.1 += rows[c].cost.1;
            }
            differs |= rows[c].subtree_differs;
            c = rows[c].subtree_end as usize;
        }
        rows[i].tokens = tokens;
        rows[i].cost = cost;
        rows[i].subtree_differs = differs;
    }
}

fn summarise(rows: &[Row], left: &TraceSet, lt: TraceIx, right: &TraceSet, rt: TraceIx) -> Summary {
    let (l, r) = (left.trace(lt), right.trace(rt));
    let mut s = Summary {
        duration_ns: (l.duration_ns(), r.duration_ns()),
        tokens: (
            l.input_tokens + l.output_tokens,
            r.input_tokens + r.output_tokens,
        ),
        errors: (l.errors, r.errors),
        cost: (l.cost, r.cost),
        spans: (l.span_count(), r.span_count()),
        ..Summary::default()
    };
    for row in rows {
        match row.status {
            RowStatus::Same => s.same += 1,
            RowStatus::Changed => s.changed += 1,
            RowStatus::Added => s.added += 1,
            RowStatus::Removed => s.removed += 1,
        }
    }
    s
}

impl Diff {
    /// The next (or previous) row after `from` that differs, wrapping around.
    pub fn next_difference(&self, from: usize, forward: bool, visible: &[u32]) -> Option<usize> {
        let n = visible.len();
        (1..=n)
            .map(|k| {
                if forward {
                    (from + k) % n
                } else {
                    (from + n - k % n) % n
                }
            })
            .find(|&i| self.rows[visible[i] as usize].status != RowStatus::Same)
    }

    /// Rows to show: all, or with unchanged subtrees folded away.
    pub fn visible_rows(&self, hide_unchanged: bool) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.rows.len());
        let mut i = 0;
        while i < self.rows.len() {
            let r = &self.rows[i];
            if hide_unchanged && !r.subtree_differs {
                i = r.subtree_end as usize;
                continue;
            }
            out.push(i as u32);
            i += 1;
        }
        out
    }
}
