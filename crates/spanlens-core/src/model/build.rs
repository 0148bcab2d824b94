//! Batches to a `TraceSet`: merge symbols and ids, group spans by trace, link parents,
//! order each trace in pre-order, and count anomalies.
//!
//! Nothing is dropped: orphans become roots (flagged), duplicate ids are kept (flagged),
//! parent cycles are cut at one span (flagged). Every walk is iterative, so a chain
//! 100,000 deep needs no recursion.

use super::batch::{Diagnostic, FileLoad, TraceInfo};
use super::intern::Sym;
use super::layout::{Scratch, TraceTree, build_tree};
use super::loaded::Loaded;
use super::span::{NO_PARENT, Span, Trace};
use super::{FileReport, TraceSet};
use rayon::prelude::*;

/// Builds the trace set from everything the loaders produced.
pub fn build(loads: Vec<FileLoad>, mut diagnostics: Vec<Diagnostic>) -> TraceSet {
    let merge = crate::timing::phase("merge batches");
    let mut set = TraceSet::default();
    let mut infos = Vec::new();
    let mut batches: Vec<Placed> = Vec::new();
    // Every batch's symbols at most (trace ids are in one batch each, names and keys in
    // many), and the original trace ids `apply_infos` adds: the table grows once instead of
    // rehashing (every text hashed again) as it fills.
    let (syms, bytes) = (loads.iter().flat_map(|l| &l.batches)).fold((0, 0), |(n, b), batch| {
        let originals = batch.infos.iter().filter_map(|i| i.original_id.as_ref());
        let more = originals.clone().map(String::len).sum::<usize>();
        (
            n + batch.syms.len() + originals.count(),
            b + batch.syms.text_len() + more,
        )
    });
    set.syms.reserve(syms, bytes);
    for (file_ix, load) in loads.into_iter().enumerate() {
        set.files.push(FileReport {
            path: load.path.clone(),
            format: load.format.clone(),
            bytes: load.bytes,
            ..FileReport::default()
        });
        let src_base = set.sources.append(load.sources);
        for mut batch in load.batches {
            diagnostics.append(&mut batch.diagnostics);
            set.slow_paths.merge(&std::mem::take(&mut batch.slow));
            let remap = set.syms.absorb(&batch.syms);
            for mut info in std::mem::take(&mut batch.infos) {
                if let Some(t) = &mut info.info {
                    t.src += src_base;
                }
                infos.push(info);
            }
            batches.push(Placed {
                batch,
                remap,
                file: file_ix as u16,
                src_base,
                id_base: 0,
                attr_base: 0,
                traces: Vec::new(),
            });
        }
    }
    let (mut ids, mut attrs) = (0u32, 0u32);
    for p in &mut batches {
        (p.id_base, p.attr_base) = (ids, attrs);
        ids += p.batch.ids.len() as u32;
        attrs += p.batch.attrs.len() as u32;
    }
    // PERF: symbols, ids and offsets are rewritten in parallel, batch by batch, in place;
    // then the batches are concatenated.
    batches.par_iter_mut().for_each(Placed::rebase);
    // PERF: one allocation for the ids, filled on the pool as the batches' lists are
    // freed (`append_all`): appending batch by batch regrew and recopied the list. The
    // attribute references and the assessments are not copied at all: they stay in their
    // batches' lists (`Parts`).
    let mut id_lists = vec![];
    for b in batches.iter_mut().map(|p| &mut p.batch) {
        id_lists.push(&mut b.ids);
        set.attrs.push_piece(std::mem::take(&mut b.attrs));
        set.assessments
            .push_piece(std::mem::take(&mut b.assessments));
    }
    set.assessments.set_sources(set.sources.clone());
    debug_assert!(set.ids.is_empty());
    crate::memory::append_all(&mut set.ids, id_lists);
    // PERF: the rest of each batch (its symbols above all) is freed on the pool.
    let (parts, traces) = batches
        .into_par_iter()
        .map(|p| (p.batch.spans, p.traces))
        .unzip();
    let mut loaded = Loaded::new(parts);
    drop(merge);
    let t = crate::timing::phase("arrange trees");
    let copies = arrange(&mut set, &mut loaded, traces);
    // PERF: what is left of the loaded spans (batches still read at the end of the
    // gather) is freed on the pool while the rest of the set is finished here.
    rayon::spawn(move || drop(loaded));
    drop(t);
    let t = crate::timing::phase("link infos and assessments");
    apply_infos(&mut set, infos);
    set.resolve_assessments();
    set.diagnostics = diagnostics;
    set.count_per_file();
    copies.report(&mut set);
    drop(t);
    set
}

/// A batch on its way into the set: where its ids and attributes will land, and how its
/// symbols map to the set's.
struct Placed {
    batch: super::batch::Batch,
    remap: Vec<Sym>,
    file: u16,
    src_base: u16,
    id_base: u32,
    attr_base: u32,
    /// The trace symbol of each span, in the set's numbering (filled by `rebase`).
    traces: Vec<u32>,
}

impl Placed {
    /// Rewrites symbols, id offsets, attribute ranges and sources to the set's numbering.
    fn rebase(&mut self) {
        let remap = &self.remap;
        let sym = |s: Sym| remap.get(s.0 as usize).copied().unwrap_or_default();
        for a in &mut self.batch.attrs {
            a.key = sym(a.key);
        }
        let (id_base, attr_base, src_base, file) =
            (self.id_base, self.attr_base, self.src_base, self.file);
        // PERF: the trace symbols are noted here, for `group_by_trace`, while each span is
        // in the cache: reading them out of the spans afterwards was a second pass over
        // 256 MB at 1M OTLP spans.
        self.traces.reserve_exact(self.batch.spans.len());
        for s in &mut self.batch.spans {
            s.trace_id = sym(s.trace_id);
            self.traces.push(s.trace_id.0);
            s.name = sym(s.name);
            s.model = sym(s.model);
            s.tool = sym(s.tool);
            s.scope = sym(s.scope);
            if !s.span_id.is_none() {
                s.span_id.off += id_base;
            }
            if !s.parent_id.is_none() {
                s.parent_id.off += id_base;
            }
            s.attr_start += attr_base;
            s.src += src_base;
            s.file = file;
            for t in s.text_refs_mut() {
                t.src += src_base;
            }
        }
        for a in &mut self.batch.assessments {
            if let Some(t) = a.text_ref_mut() {
                t.src += src_base;
            }
            if let Some(s) = a.trace_sym_mut() {
                *s = sym(*s);
            }
        }
    }
}

/// Groups spans by trace, builds each tree in parallel and lays the arena out in
/// pre-order, trace after trace (start order).
/// `traces` holds the trace symbol of every span, part after part.
fn arrange(set: &mut TraceSet, spans: &mut Loaded, traces: Vec<Vec<u32>>) -> Copies {
    let by_trace = group_by_trace(&traces, set.syms.len());
    drop(traces);
    let ids = &set.ids;
    let mut trees: Vec<TraceTree> = (0..by_trace.len())
        .into_par_iter()
        .map_init(Scratch::default, |scratch, g| {
            build_tree(spans, ids, by_trace.get(g), scratch)
        })
        .collect();
    // PERF: freed before the gather, whose start is the peak of the load's memory.
    drop(by_trace);
    // Traces in start order; ties keep first appearance in the input.
    trees.par_sort_by_key(|t| {
        let first = &spans[t.nodes[0].raw as usize];
        (t.start_ns, first.file, first.seq)
    });
    let mut bases = Vec::with_capacity(trees.len());
    let mut base = 0u32;
    for t in &trees {
        bases.push(base);
        base += t.nodes.len() as u32;
    }
    // The copies are counted before the gather frees the loaded spans they name.
    let copies = Copies::of(&trees, spans, set.files.len());
    let sources = |w| in_window(&trees, &bases, w);
    let raw = |&(t, pos): &(u32, u32)| trees[t as usize].nodes[pos as usize].raw;
    let arena = spans.gather(base as usize, sources, raw, |spans, &(t, pos)| {
        let (tree, base) = (&trees[t as usize], bases[t as usize]);
        let node = tree.nodes[pos as usize];
        let mut s = *tree.span(spans, node.raw);
        let p = node.parent;
        s.parent = if p == NO_PARENT { NO_PARENT } else { base + p };
        s.depth = node.depth;
        s.subtree_end = base + node.end;
        s.flags.0 |= node.flags;
        s.trace = t;
        s
    });
    set.spans = arena;
    let spans = &set.spans;
    // PERF: made on the pool, each thread reusing one scratch list: the list of traces
    // made on one thread, then summarised, took 21-28 ms at 1M collector OTLP spans, this
    // 19-21 ms. (Counting the totals while the trees are built, with the spans in the
    // cache, saved a few ms more, but held the traces through the gather, at the peak
    // of the load's memory: 1M Langfuse spans peaked 10 MB higher, over half the file.)
    set.traces = (trees.par_iter().zip(&bases))
        .map_init(Vec::new, |usage_below, (tree, &base)| {
            let mut t = Trace {
                span_start: base,
                span_end: base + tree.nodes.len() as u32,
                roots: tree.roots,
                ..Trace::default()
            };
            summarise(&mut t, spans, usage_below);
            t
        })
        .collect();
    // PERF: a list of nodes per trace (167,000 at 1M collector OTLP spans, 4 ms to free
    // one by one), freed on the pool while the set is finished here.
    rayon::spawn(move || drop((trees, bases)));
    copies
}

/// The (tree, position) of each span at the arena positions `w`, where tree `t` starts at
/// `bases[t]`.
fn in_window(trees: &[TraceTree], bases: &[u32], w: std::ops::Range<usize>) -> Vec<(u32, u32)> {
    let mut t = bases
        .partition_point(|&b| b as usize <= w.start)
        .saturating_sub(1);
    let mut out = Vec::with_capacity(w.len());
    for i in w {
        while i - bases[t] as usize >= trees[t].nodes.len() {
            t += 1;
        }
        out.push((t as u32, (i - bases[t] as usize) as u32));
    }
    out
}

/// Copies of spans merged away (see `model::copies`): how many, and what each file held
/// of them, since a file's counts say what the file holds.
struct Copies {
    count: usize,
    /// Per file: traces, spans and errors among the copies merged away.
    per_file: Vec<[usize; 3]>,
}

impl Copies {
    fn of(trees: &[TraceTree], spans: &Loaded, files: usize) -> Copies {
        let mut c = Copies {
            count: 0,
            per_file: vec![[0; 3]; files],
        };
        for tree in trees.iter().filter(|t| !t.dropped().is_empty()) {
            // The files this trace still has spans from (a handful: files, not spans).
            let mut kept: Vec<u16> = Vec::new();
            for node in &tree.nodes {
                let f = spans[node.raw as usize].file;
                if !kept.contains(&f) {
                    kept.push(f);
                }
            }
            let mut counted: Vec<u16> = Vec::new();
            for &d in tree.dropped() {
                let s = &spans[d as usize];
                let f = &mut c.per_file[s.file as usize];
                f[1] += 1;
                f[2] += usize::from(s.is_error());
                if !kept.contains(&s.file) && !counted.contains(&s.file) {
                    counted.push(s.file);
                    f[0] += 1;
                }
            }
            c.count += tree.dropped().len();
        }
        c
    }

    /// Adds the copies to their files' counts and says once that they were merged.
    fn report(self, set: &mut TraceSet) {
        if self.count == 0 {
            return;
        }
        let mut involved = Vec::new();
        for (f, [traces, spans, errors]) in set.files.iter_mut().zip(&self.per_file) {
            (f.traces, f.spans, f.errors) = (f.traces + traces, f.spans + spans, f.errors + errors);
            if *spans > 0 {
                involved.push(f.path.clone());
            }
        }
        let n = self.count;
        let files = match involved.len() {
            0..=3 => involved.join(", "),
            more => format!("{} and {} more files", involved[..3].join(", "), more - 3),
        };
        set.diagnostics.push(Diagnostic {
            path: files,
            pos: super::batch::Pos::None,
            message: format!(
                "{n} duplicate cop{} merged: spans with the same trace id, span id, name and \
                 times in more than one file count once",
                if n == 1 { "y" } else { "ies" },
            ),
        });
    }
}

/// Raw span indices grouped by trace (a counting sort on the trace symbol), each group in
/// input order, groups in order of first appearance. Loading keeps spans in input order,
/// so no comparison sort is needed.
///
/// PERF: one list and the groups' bounds in it, not a list per trace: 167,000 of them at
/// 1M collector OTLP spans were allocated, and freed, on one thread.
struct Groups {
    members: Vec<u32>,
    /// Where each group starts in `members`, and one past the last.
    bounds: Vec<u32>,
}

impl Groups {
    fn len(&self) -> usize {
        self.bounds.len() - 1
    }

    fn get(&self, g: usize) -> &[u32] {
        &self.members[self.bounds[g] as usize..self.bounds[g + 1] as usize]
    }
}

/// The groups of the spans whose trace symbols `traces` lists, part after part (so a
/// span's place in the lists is its raw index); `syms` bounds the symbols.
fn group_by_trace(traces: &[Vec<u32>], syms: usize) -> Groups {
    let traces = || traces.iter().flatten().copied();
    // Per symbol: its span count, then where its group's next member goes.
    let mut next = vec![0u32; syms];
    for t in traces() {
        next[t as usize] += 1;
    }
    let mut bounds = vec![0u32];
    for t in traces() {
        let n = &mut next[t as usize];
        // A count not yet turned into a position: the first member of a new group.
        if *n & SLOT == 0 {
            let start = *bounds.last().unwrap_or(&0);
            bounds.push(start + *n);
            *n = start | SLOT;
        }
    }
    let mut members = vec![0u32; bounds.last().copied().unwrap_or(0) as usize];
    for (i, t) in traces().enumerate() {
        let n = &mut next[t as usize];
        members[(*n & !SLOT) as usize] = i as u32;
        *n += 1;
    }
    Groups { members, bounds }
}

/// Marks `group_by_trace`'s counts that became positions (a load holds under 2^31 spans).
const SLOT: u32 = 1 << 31;

/// Totals of one trace. Tokens and cost count only spans with no counted descendant, so a
/// parent that repeats its children's usage (Vercel AI SDK, OpenInference chains) is not
/// counted twice. `usage_below` is scratch.
fn summarise(t: &mut Trace, spans: &[Span], usage_below: &mut Vec<bool>) {
    let range = t.spans();
    let base = range.start;
    let local = &spans[range];
    let Some(first) = local.first() else { return };
    t.name = first.name;
    t.id = first.trace_id;
    t.file = first.file;
    t.start_ns = local.iter().map(|s| s.start_ns).min().unwrap_or(0);
    t.end_ns = local
        .iter()
        .map(|s| s.end_ns().unwrap_or(s.start_ns).max(s.start_ns))
        .max()
        .unwrap_or(t.start_ns);
    usage_below.clear();
    usage_below.resize(local.len(), false);
    let mut cost = None::<f64>;
    for (i, s) in local.iter().enumerate().rev() {
        t.anomalies.count(s.flags);
        if s.is_error() {
            t.errors += 1;
        }
        let has_usage = !s.tokens.is_empty() || s.cost().is_some();
        if !usage_below[i] {
            t.input_tokens += u64::from(s.tokens.input().unwrap_or(0));
            t.output_tokens += u64::from(s.tokens.output().unwrap_or(0));
            t.total_tokens += s.tokens.sum().unwrap_or(0);
            if let Some(c) = s.cost() {
                cost = Some(cost.unwrap_or(0.0) + c);
            }
        }
        if let Some(p) = s.parent() {
            usage_below[p.0 as usize - base] |= has_usage || usage_below[i];
        }
    }
    t.cost = cost;
}

/// Attaches trace-level records (ids as the source wrote them, state, info) to traces.
///
/// PERF: traces are found by symbol in a flat list, and the ids looked up on the pool:
/// one thread hashing into a map took 100-117 ms for the 143,000 infos of 1M MLflow 3
/// spans.
fn apply_infos(set: &mut TraceSet, infos: Vec<TraceInfo>) {
    if infos.is_empty() {
        // PERF: no list of every trace to build for nothing.
        return;
    }
    let by_sym = super::lookup::traces_by_symbol(set, |t| Some(t.id));
    let syms = &set.syms;
    let found: Vec<Option<usize>> = (infos.par_iter())
        .map(|info| {
            let sym = syms.lookup(&info.trace_id)?;
            let ix = *by_sym.get(sym.0 as usize)?;
            (ix != u32::MAX).then_some(ix as usize)
        })
        .collect();
    for (info, ix) in infos.iter().zip(found) {
        let Some(ix) = ix else { continue };
        let t = &mut set.traces[ix];
        if let Some(orig) = info.original_id.as_ref().filter(|o| **o != info.trace_id) {
            t.original_id = set.syms.intern(orig);
        }
        t.state = info.state.or(t.state);
        t.info = info.info.or(t.info);
    }
    // PERF: freed on the pool. Their 286,000 strings were allocated by the parse threads,
    // and freeing them here, one by one into other threads' heaps, was 28 of the 42 ms
    // this loop took at 1M MLflow 3 spans.
    rayon::spawn(move || drop(infos));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_grouped_by_trace_in_input_order_across_parts() {
        let parts = vec![vec![3, 1, 3], vec![], vec![2, 1, 3, 0]];
        let groups = group_by_trace(&parts, 5);
        let all: Vec<&[u32]> = (0..groups.len()).map(|g| groups.get(g)).collect();
        assert_eq!(all, [&[0, 2, 5][..], &[1, 4], &[3], &[6]]);
    }
}
