//! The icicle of all loaded traces: every span's time summed by its step path from the
//! root (steps keyed as `diff` keys spans), so the slow path of a pipeline shows at a
//! glance. Built once on the stats worker; drawing lays out only blocks at least one
//! column wide.

use crate::diff::align::{Key, key};
use crate::model::{SpanIx, SpanKind, TraceIx, TraceSet};
use std::collections::HashMap;

/// One step path.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The name of the first span seen on this path (steps group several spellings).
    pub label: String,
    pub kind: SpanKind,
    pub parent: u32,
    pub depth: u32,
    /// Summed durations of the spans on this path.
    pub total_ns: i64,
    pub calls: u64,
    pub errors: u64,
    /// Children, most time first.
    pub children: Vec<u32>,
}

/// The path tree; node 0 is the virtual root holding every trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Icicle {
    pub nodes: Vec<Node>,
}

/// A laid-out block: node, row (depth below the root) and columns `[a, b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    pub node: u32,
    pub depth: u32,
    pub a: u16,
    pub b: u16,
}

impl Icicle {
    /// Sums `traces` of `set` by step path. O(spans), with one key per span.
    pub fn build(set: &TraceSet, traces: &[TraceIx]) -> Icicle {
        let root = Node {
            label: "all traces".into(),
            kind: SpanKind::Unknown,
            parent: u32::MAX,
            depth: 0,
            total_ns: 0,
            calls: traces.len() as u64,
            errors: 0,
            children: Vec::new(),
        };
        let mut nodes = vec![root];
        let mut index: HashMap<(u32, Key), u32> = HashMap::new();
        let mut node_of: Vec<u32> = Vec::new();
        for &t in traces {
            let tr = set.trace(t);
            nodes[0].total_ns += tr.duration_ns().max(0);
            node_of.clear();
            for i in tr.spans() {
                let s = &set.spans[i];
                // Pre-order: a parent is always met before its children.
                let parent = s
                    .parent()
                    .filter(|p| (p.0 as usize) >= tr.span_start as usize && (p.0 as usize) < i)
                    .map_or(0, |p| node_of[p.0 as usize - tr.span_start as usize]);
                let k = key(set, SpanIx(i as u32));
                let n = *index.entry((parent, k)).or_insert_with(|| {
                    let depth = nodes[parent as usize].depth + 1;
                    nodes.push(Node {
                        label: set.str(s.name).to_owned(),
                        kind: s.kind,
                        parent,
                        depth,
                        total_ns: 0,
                        calls: 0,
                        errors: 0,
                        children: Vec::new(),
                    });
                    let n = nodes.len() as u32 - 1;
                    nodes[parent as usize].children.push(n);
                    n
                });
                let node = &mut nodes[n as usize];
                node.total_ns += s.duration_ns().max(0);
                node.calls += 1;
                node.errors += u64::from(s.is_error());
                node_of.push(n);
            }
        }
        let totals: Vec<i64> = nodes.iter().map(|n| n.total_ns).collect();
        for n in &mut nodes {
            n.children
                .sort_by_key(|&c| (std::cmp::Reverse(totals[c as usize]), c));
        }
        Icicle { nodes }
    }

    /// The path of node `n` from the root, `a > b > c`.
    pub fn path(&self, n: u32) -> String {
        let mut parts = Vec::new();
        let mut cur = n;
        while cur != 0 && cur != u32::MAX {
            parts.push(self.nodes[cur as usize].label.as_str());
            cur = self.nodes[cur as usize].parent;
        }
        parts.reverse();
        parts.join(" > ")
    }

    /// Lays out the blocks at least one column wide in a chart `width` columns wide, rows
    /// `top..top + height` below the root. Children share their parent's width by time
    /// (scaled down when parallel children sum past it); narrower subtrees are skipped
    /// whole, so the cost follows what is drawn, not the number of paths.
    pub fn layout(&self, width: u16, top: u32, height: u32) -> Vec<Placed> {
        let mut out = Vec::new();
        if self.nodes.is_empty() {
            return out;
        }
        let mut stack = vec![(0u32, 0.0f64, f64::from(width))];
        while let Some((n, x0, x1)) = stack.pop() {
            let node = &self.nodes[n as usize];
            let (a, b) = (x0.round() as u16, (x1.round() as u16).min(width));
            if b <= a || node.depth >= top + height {
                continue;
            }
            if node.depth >= top {
                out.push(Placed {
                    node: n,
                    depth: node.depth - top,
                    a,
                    b,
                });
            }
            let sum: i64 = node
                .children
                .iter()
                .map(|&c| self.nodes[c as usize].total_ns)
                .sum();
            let whole = sum.max(node.total_ns).max(1) as f64;
            let mut x = x0;
            for &c in &node.children {
                let w = (x1 - x0) * self.nodes[c as usize].total_ns as f64 / whole;
                stack.push((c, x, x + w));
                x += w;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Span, Trace};

    #[test]
    fn time_sums_by_path_and_lays_out_by_share() {
        let mut set = TraceSet::default();
        let name = set.syms.intern("root");
        let child = set.syms.intern("step");
        for t in 0..2u32 {
            let base = t * 2;
            set.spans.push(Span {
                name,
                start_ns: 0,
                end: spanlens_core::model::MaybeNs::new(Some(100)),
                parent: u32::MAX,
                subtree_end: base + 2,
                trace: t,
                ..Default::default()
            });
            set.spans.push(Span {
                name: child,
                start_ns: 0,
                end: spanlens_core::model::MaybeNs::new(Some(50)),
                parent: base,
                depth: 1,
                subtree_end: base + 2,
                trace: t,
                ..Default::default()
            });
            set.traces.push(Trace {
                span_start: base,
                span_end: base + 2,
                end_ns: 100,
                ..Default::default()
            });
        }
        let ice = Icicle::build(&set, &[TraceIx(0), TraceIx(1)]);
        assert_eq!(ice.nodes.len(), 3, "one path per step, across traces");
        assert_eq!(ice.nodes[2].total_ns, 100);
        assert_eq!(ice.nodes[2].calls, 2);
        assert_eq!(ice.path(2), "root > step");
        let placed = ice.layout(40, 0, 10);
        let step = placed.iter().find(|p| p.node == 2).unwrap();
        assert_eq!((step.a, step.b, step.depth), (0, 20, 2));
    }
}
