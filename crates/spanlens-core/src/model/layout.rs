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

/// Buffers a thread reuses from trace to trace while it builds trees.
///
/// PERF: building a tree took a dozen allocations (flags, the id map, parents, child
/// lists, the pre-order lists), 166,667 traces' worth at a million OTLP spans. Only
/// `nodes`, the tree itself, is allocated per trace now.
#[derive(Default)]
pub(super) struct Scratch<'i> {
    flags: Vec<u16>,
    by_id: HashMap<&'i [u8], u32, foldhash::fast::FixedState>,
    parent: Vec<u32>,
    state: Vec<u8>,
    path: Vec<u32>,
    start: Vec<u32>,
    items: Vec<u32>,
    order: Vec<u32>,
    parent_pos: Vec<u32>,
    depth: Vec<u32>,
    end: Vec<u32>,
    stack: Vec<(u32, u32, u32)>,
}

/// Ids a scratch map may keep room for: clearing a map costs its capacity, so after a
/// huge trace the map is dropped rather than cleared for every small one after it.
const KEEP_IDS: usize = 1 << 12;

impl Scratch<'_> {
    fn clear_ids(&mut self) {
        if self.by_id.capacity() > KEEP_IDS {
            self.by_id = HashMap::default();
        } else {
            self.by_id.clear();
        }
    }
}

/// Builds the tree of one trace. `members` are raw span indices, in input order.
pub(super) fn build_tree<'i>(
    spans: &Loaded,
    ids: &'i [u8],
    members: &[u32],
    scratch: &mut Scratch<'i>,
) -> TraceTree {
    build_merged(spans, ids, members, Merged::default(), scratch)
}

/// Builds the tree of `members` as `merged` left them. A first pass that finds an id
/// twice looks for copies of one span from several files and, if any, starts again on
/// the merged spans.
fn build_merged<'i>(
    spans: &Loaded,
    ids: &'i [u8],
    members: &[u32],
    merged: Merged,
    sc: &mut Scratch<'i>,
) -> TraceTree {
    let n = members.len();
    let raw = |i: u32| merged.get(spans, i);
    let span = |k: usize| raw(members[k]);
    let id_of = |r: super::span::IdRef| &ids[r.off as usize..(r.off + r.len) as usize];
    sc.flags.clear();
    sc.flags.resize(n, 0);
    // Copies of one span from several files are looked for once, before any merge.
    let copies = || match merged.dropped.is_empty() {
        true => super::copies::merge(spans, ids, members),
        false => None,
    };
    if !(n <= SMALL && small_parents(n, &span, id_of, sc))
        && let Some(m) = map_parents(n, &span, id_of, sc, copies)
    {
        let kept = m.members.clone();
        return build_merged(spans, ids, &kept, m, sc);
    }
    cut_cycles(&mut sc.parent, &mut sc.flags, (&mut sc.state, &mut sc.path));
    child_lists(
        &sc.parent,
        |k| {
            let s = span(k);
            (s.start_ns, s.file, s.seq)
        },
        (&mut sc.start, &mut sc.items),
    );
    let roots = preorder(sc);
    let mut nodes: Vec<Node> = (sc.order.iter().enumerate())
        .map(|(pos, &k)| Node {
            raw: members[k as usize],
            parent: sc.parent_pos[pos],
            depth: sc.depth[pos],
            end: sc.end[pos],
            flags: sc.flags[k as usize],
        })
        .collect();
    for pos in 0..n {
        let s = raw(nodes[pos].raw);
        let parent = nodes[pos].parent;
        let parent = (parent != NO_PARENT).then(|| raw(nodes[parent as usize].raw));
        let f = &mut nodes[pos].flags;
        match s.end_ns() {
            None => *f |= Flags::IN_PROGRESS,
            Some(e) if e < s.start_ns => *f |= Flags::NEGATIVE_DURATION,
            Some(_) => {}
        }
        if let Some(p) = parent {
            if s.start_ns < p.start_ns {
                *f |= Flags::STARTS_BEFORE_PARENT;
            }
            if let (Some(e), Some(pe)) = (s.end_ns(), p.end_ns())
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

/// Traces of at most this many spans link parents by comparing ids (`small_parents`).
const SMALL: usize = 16;

/// The parent links and id flags of a small trace, found by comparing each parent id
/// with the members' ids; `false` when an id is there twice, which the map's way
/// handles (copies, duplicates). PERF: hashing each id into a map and looking each
/// parent up cost more than these few comparisons, and most traces are this small.
fn small_parents<'a, 'i>(
    n: usize,
    span: &impl Fn(usize) -> &'a Span,
    id_of: impl Fn(super::span::IdRef) -> &'i [u8],
    sc: &mut Scratch<'i>,
) -> bool {
    let mut ids: [Option<&[u8]>; SMALL] = [None; SMALL];
    for k in 0..n {
        let s = span(k);
        if s.span_id.is_none() {
            sc.flags[k] |= Flags::MISSING_ID;
            continue;
        }
        let id = id_of(s.span_id);
        if ids[..k].contains(&Some(id)) {
            return false;
        }
        ids[k] = Some(id);
    }
    sc.parent.clear();
    for k in 0..n {
        let s = span(k);
        let p = match s.parent_id.is_none() {
            true => None,
            false => {
                let pid = Some(id_of(s.parent_id));
                Some(ids[..n].iter().position(|id| *id == pid).map(|p| p as u32))
            }
        };
        let p = parent_link(k, p, &mut sc.flags[k]);
        sc.parent.push(p);
    }
    true
}

/// The parent links and id flags of a trace through a map of its ids. When an id is
/// there twice, `copies` looks for copies of one span: if it finds some, they are given
/// back (links not made) for the caller to start again on the merged spans.
fn map_parents<'a, 'i>(
    n: usize,
    span: &impl Fn(usize) -> &'a Span,
    id_of: impl Fn(super::span::IdRef) -> &'i [u8],
    sc: &mut Scratch<'i>,
    copies: impl FnOnce() -> Option<Merged>,
) -> Option<Merged> {
    sc.flags.clear();
    sc.flags.resize(n, 0);
    sc.clear_ids();
    sc.by_id.reserve(n);
    let mut duplicates = false;
    for k in 0..n {
        let s = span(k);
        if s.span_id.is_none() {
            sc.flags[k] |= Flags::MISSING_ID;
        } else if sc.by_id.insert(id_of(s.span_id), k as u32).is_some() {
            sc.flags[k] |= Flags::DUPLICATE_ID;
            duplicates = true;
        }
    }
    if duplicates && let Some(m) = copies() {
        return Some(m);
    }
    // Keep the first span with an id as the target of parent links (PERF: a second pass
    // only when some id was seen twice).
    for k in (0..n).rev().filter(|_| duplicates) {
        let s = span(k);
        if !s.span_id.is_none() && sc.flags[k] & Flags::DUPLICATE_ID == 0 {
            sc.by_id.insert(id_of(s.span_id), k as u32);
        }
    }
    sc.parent.clear();
    for k in 0..n {
        let s = span(k);
        let p = match s.parent_id.is_none() {
            true => None,
            false => Some(sc.by_id.get(id_of(s.parent_id)).copied()),
        };
        let p = parent_link(k, p, &mut sc.flags[k]);
        sc.parent.push(p);
    }
    None
}

/// The parent of member `k` from what its parent id found: `None` no parent id, `Some(None)`
/// no member has it (an orphan), `Some(Some(p))` member `p` (itself: a cycle). Flags
/// orphans and cycles.
fn parent_link(k: usize, found: Option<Option<u32>>, flags: &mut u16) -> u32 {
    match found {
        None => NO_PARENT,
        Some(Some(p)) if p as usize != k => p,
        Some(Some(_)) => {
            *flags |= Flags::CYCLE;
            NO_PARENT
        }
        Some(None) => {
            *flags |= Flags::ORPHAN;
            NO_PARENT
        }
    }
}

/// Cuts every parent cycle at the span where the walk found it, so the rest is a forest.
/// `state` and `path` are scratch.
fn cut_cycles(parent: &mut [u32], flags: &mut [u16], (state, path): (&mut Vec<u8>, &mut Vec<u32>)) {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    state.clear();
    state.resize(parent.len(), NEW);
    path.clear();
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

/// Children of each node (and the roots, at index n), each list sorted by `key`, into
/// `start` and `items`: node i's children are `items[start[i]..start[i + 1]]`.
fn child_lists<K: Ord>(
    parent: &[u32],
    key: impl Fn(usize) -> K,
    (start, items): (&mut Vec<u32>, &mut Vec<u32>),
) {
    let n = parent.len();
    let slot = |k: usize| {
        if parent[k] == NO_PARENT {
            n
        } else {
            parent[k] as usize
        }
    };
    start.clear();
    start.resize(n + 3, 0);
    for k in 0..n {
        start[slot(k) + 2] += 1;
    }
    for i in 2..start.len() {
        start[i] += start[i - 1];
    }
    items.clear();
    items.resize(n, 0);
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
}

/// Iterative pre-order walk of `sc.parent` over the child lists in `sc.start` and
/// `sc.items`: fills the order, parent position, depth and subtree end per position, and
/// gives the number of roots.
fn preorder(sc: &mut Scratch) -> u32 {
    let n = sc.parent.len();
    let (start, items) = (&sc.start, &sc.items);
    let kids = |i: usize| &items[start[i] as usize..start[i + 1] as usize];
    let (order, parent_pos, depth) = (&mut sc.order, &mut sc.parent_pos, &mut sc.depth);
    order.clear();
    parent_pos.clear();
    depth.clear();
    sc.end.clear();
    sc.end.resize(n, 0);
    let roots = kids(n);
    // Stack of (node, its position, index of the next child to visit).
    let stack = &mut sc.stack;
    stack.clear();
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
                sc.end[pos as usize] = order.len() as u32;
                stack.pop();
            }
        }
    }
    roots.len() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preorder_of_a_small_forest() {
        // 0 <- 1 <- 2, 0 <- 3, and 4 alone.
        let mut sc = Scratch {
            parent: vec![NO_PARENT, 0, 1, 0, NO_PARENT],
            ..Scratch::default()
        };
        child_lists(&sc.parent.clone(), |k| k, (&mut sc.start, &mut sc.items));
        let roots = preorder(&mut sc);
        assert_eq!(sc.order, vec![0, 1, 2, 3, 4]);
        assert_eq!(sc.parent_pos, vec![NO_PARENT, 0, 1, 0, NO_PARENT]);
        assert_eq!(sc.depth, vec![0, 1, 2, 1, 0]);
        assert_eq!(sc.end, vec![4, 3, 3, 4, 5]);
        assert_eq!(roots, 2);
        // The same scratch, reused for a smaller tree, holds nothing of the first.
        sc.parent = vec![NO_PARENT, 0];
        child_lists(&sc.parent.clone(), |k| k, (&mut sc.start, &mut sc.items));
        assert_eq!(preorder(&mut sc), 1);
        assert_eq!((sc.order.clone(), sc.end.clone()), (vec![0, 1], vec![2, 2]));
    }

    #[test]
    fn cycles_are_cut_once() {
        let mut parent = vec![1, 2, 0, NO_PARENT];
        let mut flags = vec![0u16; 4];
        cut_cycles(&mut parent, &mut flags, (&mut vec![], &mut vec![]));
        assert_eq!(parent.iter().filter(|&&p| p == NO_PARENT).count(), 2);
        assert_eq!(flags.iter().filter(|&&f| f & Flags::CYCLE != 0).count(), 1);
    }

    /// Random traces of up to `SMALL` spans (ids missing, repeated, parents absent or
    /// themselves): comparing ids links them as the map does, and gives way to the map
    /// when an id is there twice.
    #[test]
    fn small_traces_link_as_the_map_links_them() {
        // Ids "0".."5" in a tiny arena; an id of length 0 is none.
        let arena = b"012345";
        let id = |c: u64| match c % 8 {
            6 | 7 => crate::model::span::IdRef::default(),
            d => crate::model::span::IdRef {
                off: d as u32,
                len: 1,
            },
        };
        let id_of = |r: crate::model::span::IdRef| &arena[r.off as usize..(r.off + r.len) as usize];
        let mut rng = crate::load::mutate::Rng(7);
        let mut next = || rng.below(1 << 30) as u64;
        let (mut small, mut total) = (0, 0);
        for _ in 0..3000 {
            let n = 1 + next() as usize % SMALL;
            let spans: Vec<Span> = (0..n)
                .map(|_| Span {
                    span_id: id(next()),
                    parent_id: id(next()),
                    ..Span::default()
                })
                .collect();
            let span = |k: usize| &spans[k];
            let mut a = Scratch::default();
            a.flags.resize(n, 0);
            let mut b = Scratch::default();
            assert!(map_parents(n, &span, id_of, &mut b, || None).is_none());
            total += 1;
            if small_parents(n, &span, id_of, &mut a) {
                small += 1;
                assert_eq!((&a.parent, &a.flags), (&b.parent, &b.flags), "{spans:?}");
            } else {
                assert!(b.flags.iter().any(|f| f & Flags::DUPLICATE_ID != 0));
            }
        }
        // Both ways are compared on many traces, not only the easy ones.
        assert!(small * 5 > total, "{small} of {total}");
    }
}
