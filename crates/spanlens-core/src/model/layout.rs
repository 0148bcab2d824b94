//! One trace's tree: parents linked by span id, orphans made roots and cycles cut (both
//! flagged), children ordered by start, and an iterative pre-order walk (no recursion,
//! whatever the depth).

use super::copies::Merged;
use super::loaded::Loaded;
use super::span::{Flags, NO_PARENT, Span};
use std::collections::HashMap;

/// The pre-order layout of one trace, in local positions.
///
/// PERF: one allocation per trace (`nodes`), and none for the rare merged copies: five
/// lists and an inline `Merged` were held while the arena was gathered, at the peak of
/// `summary`'s memory. With the groups freed early too, 1M Langfuse spans (142,858
/// seven-span traces) peaked 34 MiB lower.
pub(super) struct TraceTree {
    /// Copies of spans merged into one (see `copies`), when the trace had some.
    merged: Option<Box<Merged>>,
    /// Earliest start among the trace's spans.
    pub(super) start_ns: i64,
    /// The spans in pre-order.
    pub(super) nodes: Vec<Node>,
    pub(super) roots: u32,
}

/// One span of a tree, at its pre-order position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Node {
    /// Raw span index.
    pub(super) raw: u32,
    /// Position of the parent (`NO_PARENT` for a root).
    pub(super) parent: u32,
    pub(super) depth: u32,
    /// One past the last position of the subtree.
    pub(super) end: u32,
    pub(super) flags: u16,
}

impl TraceTree {
    /// The span at raw index `i`, as merged.
    pub(super) fn span<'a>(&'a self, spans: &'a Loaded, i: u32) -> &'a Span {
        match &self.merged {
            Some(m) => m.get(spans, i),
            None => &spans[i as usize],
        }
    }

    /// Raw indices of the copies merged away.
    pub(super) fn dropped(&self) -> &[u32] {
        self.merged.as_deref().map_or(&[], |m| &m.dropped)
    }
}

/// Builds the tree of one trace. `members` are raw span indices, in input order.
pub(super) fn build_tree(spans: &Loaded, ids: &[u8], members: &[u32]) -> TraceTree {
    build_merged(spans, ids, members, Merged::default())
}

/// Builds the tree of `members` as `merged` left them. A first pass that finds an id
/// twice looks for copies of one span from several files and, if any, starts again on
/// the merged spans.
fn build_merged(spans: &Loaded, ids: &[u8], members: &[u32], merged: Merged) -> TraceTree {
    let n = members.len();
    let raw = |i: u32| merged.get(spans, i);
    let span = |k: usize| raw(members[k]);
    let id_of = |r: super::span::IdRef| &ids[r.off as usize..(r.off + r.len) as usize];
    let mut flags = vec![0u16; n];
    let mut by_id: HashMap<&[u8], u32, foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(n, Default::default());
    let mut duplicates = false;
    for (k, f) in flags.iter_mut().enumerate() {
        let s = span(k);
        if s.span_id.is_none() {
            *f |= Flags::MISSING_ID;
        } else if by_id.insert(id_of(s.span_id), k as u32).is_some() {
            *f |= Flags::DUPLICATE_ID;
            duplicates = true;
        }
    }
    if duplicates
        && merged.dropped.is_empty()
        && let Some(m) = super::copies::merge(spans, ids, members)
    {
        let kept = m.members.clone();
        return build_merged(spans, ids, &kept, m);
    }
    // Keep the first span with an id as the target of parent links (PERF: a second pass
    // only when some id was seen twice).
    for k in (0..n).rev().filter(|_| duplicates) {
        let s = span(k);
        if !s.span_id.is_none() && flags[k] & Flags::DUPLICATE_ID == 0 {
            by_id.insert(id_of(s.span_id), k as u32);
        }
    }
    let mut parent: Vec<u32> = (0..n)
        .map(|k| {
            let s = span(k);
            if s.parent_id.is_none() {
                return NO_PARENT;
            }
            match by_id.get(id_of(s.parent_id)) {
                Some(&p) if p as usize != k => p,
                Some(_) => {
                    flags[k] |= Flags::CYCLE;
                    NO_PARENT
                }
                None => {
                    flags[k] |= Flags::ORPHAN;
                    NO_PARENT
                }
            }
        })
        .collect();
    cut_cycles(&mut parent, &mut flags);
    let children = child_lists(&parent, |k| {
        let s = span(k);
        (s.start_ns, s.file, s.seq)
    });
    let (order_local, parent_pos, depth, end, roots) = preorder(&parent, &children);
    let mut nodes: Vec<Node> = (order_local.iter().enumerate())
        .map(|(pos, &k)| Node {
            raw: members[k as usize],
            parent: parent_pos[pos],
            depth: depth[pos],
            end: end[pos],
            flags: flags[k as usize],
        })
        .collect();
    for pos in 0..n {
        let s = raw(nodes[pos].raw);
        let parent = nodes[pos].parent;
        let parent = (parent != NO_PARENT).then(|| raw(nodes[parent as usize].raw));
        let f = &mut nodes[pos].flags;
        match s.end_ns {
            None => *f |= Flags::IN_PROGRESS,
            Some(e) if e < s.start_ns => *f |= Flags::NEGATIVE_DURATION,
            Some(_) => {}
        }
        if let Some(p) = parent {
            if s.start_ns < p.start_ns {
                *f |= Flags::STARTS_BEFORE_PARENT;
            }
            if let (Some(e), Some(pe)) = (s.end_ns, p.end_ns)
                && e > pe
            {
                *f |= Flags::ENDS_AFTER_PARENT;
            }
        }
    }
    let start_ns = members.iter().map(|&i| raw(i).start_ns).min().unwrap_or(0);
    TraceTree {
        merged: (!merged.dropped.is_empty() || !merged.patches.is_empty())
            .then(|| Box::new(merged)),
        start_ns,
        nodes,
        roots,
    }
}

/// Cuts every parent cycle at the span where the walk found it, so the rest is a forest.
fn cut_cycles(parent: &mut [u32], flags: &mut [u16]) {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        let mut cur = start as u32;
        while cur != NO_PARENT && state[cur as usize] == NEW {
            state[cur as usize] = ON_PATH;
            path.push(cur);
            cur = parent[cur as usize];
        }
        if cur != NO_PARENT && state[cur as usize] == ON_PATH {
            parent[cur as usize] = NO_PARENT;
            flags[cur as usize] |= Flags::CYCLE;
        }
        for k in path.drain(..) {
            state[k as usize] = DONE;
        }
    }
}

/// Children of each node (and the roots, at index n), each list sorted by `key`.
fn child_lists<K: Ord>(parent: &[u32], key: impl Fn(usize) -> K) -> (Vec<u32>, Vec<u32>) {
    let n = parent.len();
    let slot = |k: usize| {
        if parent[k] == NO_PARENT {
            n
        } else {
            parent[k] as usize
        }
    };
    let mut start = vec![0u32; n + 3];
    for k in 0..n {
        start[slot(k) + 2] += 1;
    }
    for i in 2..start.len() {
        start[i] += start[i - 1];
    }
    let mut items = vec![0u32; n];
    for k in 0..n {
        let s = slot(k) + 1;
        items[start[s] as usize] = k as u32;
        start[s] += 1;
    }
    // start[i] is now the beginning of node i's list, start[i + 1] its end.
    for i in 0..=n {
        let list = &mut items[start[i] as usize..start[i + 1] as usize];
        if list.len() > 1 {
            list.sort_by_key(|&k| key(k as usize));
        }
    }
    (start, items)
}

type Preorder = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<u32>, u32);

/// Iterative pre-order walk: order, parent position, depth and subtree end per position.
fn preorder(parent: &[u32], (start, items): &(Vec<u32>, Vec<u32>)) -> Preorder {
    let n = parent.len();
    let kids = |i: usize| &items[start[i] as usize..start[i + 1] as usize];
    let mut order = Vec::with_capacity(n);
    let mut parent_pos = Vec::with_capacity(n);
    let mut depth = Vec::with_capacity(n);
    let mut end = vec![0u32; n];
    let roots = kids(n);
    // Stack of (node, its position, index of the next child to visit).
    let mut stack: Vec<(u32, u32, u32)> = Vec::new();
    for &root in roots {
        order.push(root);
        parent_pos.push(NO_PARENT);
        depth.push(0);
        stack.push((root, order.len() as u32 - 1, 0));
        while let Some(top) = stack.last_mut() {
            let (node, pos, next) = *top;
            if let Some(&child) = kids(node as usize).get(next as usize) {
                top.2 += 1;
                order.push(child);
                parent_pos.push(pos);
                depth.push(stack.len() as u32);
                stack.push((child, order.len() as u32 - 1, 0));
            } else {
                end[pos as usize] = order.len() as u32;
                stack.pop();
            }
        }
    }
    (order, parent_pos, depth, end, roots.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preorder_of_a_small_forest() {
        // 0 <- 1 <- 2, 0 <- 3, and 4 alone.
        let parent = vec![NO_PARENT, 0, 1, 0, NO_PARENT];
        let children = child_lists(&parent, |k| k);
        let (order, ppos, depth, end, roots) = preorder(&parent, &children);
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
        assert_eq!(ppos, vec![NO_PARENT, 0, 1, 0, NO_PARENT]);
        assert_eq!(depth, vec![0, 1, 2, 1, 0]);
        assert_eq!(end, vec![4, 3, 3, 4, 5]);
        assert_eq!(roots, 2);
    }

    #[test]
    fn cycles_are_cut_once() {
        let mut parent = vec![1, 2, 0, NO_PARENT];
        let mut flags = vec![0u16; 4];
        cut_cycles(&mut parent, &mut flags);
        assert_eq!(parent.iter().filter(|&&p| p == NO_PARENT).count(), 2);
        assert_eq!(flags.iter().filter(|&&f| f & Flags::CYCLE != 0).count(), 1);
    }
}
