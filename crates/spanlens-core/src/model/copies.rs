//! Copies of one span found in several files (the same run exported as OTLP, MLflow JSON
//! and a `search_traces` parquet, all in one directory): they are one span, kept once, with
//! what each copy adds merged in. Copies that disagree stay duplicates (an anomaly).
//!
//! A copy is the same span when it has the same trace (the caller groups by trace), span
//! id and name, comes from another file, and has the same start and end within the
//! precision the coarser export kept (exports round to µs or ms, or pass through a float).
//!
//! PERF: this runs only for traces in which `layout::build_tree` already saw an id twice,
//! so a load without duplicates pays nothing here.

use super::loaded::Loaded;
use super::span::Span;
use std::collections::HashMap;

/// The outcome for one trace: the spans kept and the merged contents of those that
/// absorbed copies.
#[derive(Default)]
pub(super) struct Merged {
    /// Raw span indices kept, in input order.
    pub(super) members: Vec<u32>,
    /// Raw index of a kept span and its contents after merging, sorted by raw index.
    pub(super) patches: Vec<(u32, Span)>,
    /// Raw indices of the copies merged away.
    pub(super) dropped: Vec<u32>,
}

impl Merged {
    /// The span at raw index `i`, as merged.
    pub(super) fn get<'a>(&'a self, spans: &'a Loaded, i: u32) -> &'a Span {
        if self.patches.is_empty() {
            return &spans[i as usize];
        }
        match self.patches.binary_search_by_key(&i, |p| p.0) {
            Ok(p) => &self.patches[p].1,
            Err(_) => &spans[i as usize],
        }
    }
}

/// Finds the copies among `members` (raw indices of one trace's spans, in input order).
/// `None` when every repeated id is a real conflict, so nothing is merged.
pub(super) fn merge(spans: &Loaded, ids: &[u8], members: &[u32]) -> Option<Merged> {
    let span = |k: usize| &spans[members[k] as usize];
    let id_of = |k: usize| {
        let r = span(k).span_id;
        &ids[r.off as usize..(r.off + r.len) as usize]
    };
    // Member positions by span id, groups in order of first appearance.
    let mut slot: HashMap<&[u8], usize, foldhash::fast::FixedState> = HashMap::default();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for k in (0..members.len()).filter(|&k| !span(k).span_id.is_none()) {
        let g = *slot.entry(id_of(k)).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(k);
    }
    let mut drop = vec![false; members.len()];
    let mut out = Merged::default();
    for group in groups.iter().filter(|g| g.len() > 1) {
        for cluster in clusters(group, &span) {
            if cluster.len() < 2 {
                continue;
            }
            let (base, merged) = combine(&cluster, &span);
            for &k in cluster.iter().filter(|&&k| k != base) {
                drop[k] = true;
                out.dropped.push(members[k]);
            }
            out.patches.push((members[base], merged));
        }
    }
    if out.dropped.is_empty() {
        return None;
    }
    out.members = (0..members.len())
        .filter(|&k| !drop[k])
        .map(|k| members[k])
        .collect();
    out.patches.sort_unstable_by_key(|p| p.0);
    out.dropped.sort_unstable();
    Some(out)
}

/// Splits the spans sharing one id into sets of copies of one span: each copy matches the
/// set's first span and comes from a file no other member of the set comes from.
fn clusters<'a>(group: &[usize], span: &impl Fn(usize) -> &'a Span) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    for &k in group {
        let s = span(k);
        let home = out
            .iter_mut()
            .find(|c| same_span(span(c[0]), s) && c.iter().all(|&m| span(m).file != s.file));
        match home {
            Some(c) => c.push(k),
            None => out.push(vec![k]),
        }
    }
    out
}

/// Same name, same start and end (within the coarser copy's precision).
fn same_span(a: &Span, b: &Span) -> bool {
    a.name == b.name
        && same_time(a.start_ns, b.start_ns)
        && match (a.end_ns(), b.end_ns()) {
            (Some(x), Some(y)) => same_time(x, y),
            (None, None) => true,
            _ => false,
        }
}

/// Two times are the same when they differ by less than the coarser one's precision.
pub(super) fn same_time(a: i64, b: i64) -> bool {
    a.abs_diff(b) < grain(a).max(grain(b))
}

/// The precision a time was probably written with: the largest power of ten dividing it,
/// from 1 µs (also the noise of nanoseconds passed through a 64-bit float) up to 1 s.
fn grain(t: i64) -> u64 {
    let mut g = 1_000u64;
    while g < 1_000_000_000 && t.unsigned_abs().is_multiple_of(g * 10) {
        g *= 10;
    }
    g
}

/// How finely a copy's times were written (smaller is finer): the number of trailing
/// decimal zeros of its start and end, the coarser of the two.
fn coarseness(s: &Span) -> u32 {
    let zeros = |t: i64| {
        let mut t = t.unsigned_abs();
        let mut z = 0;
        while t != 0 && t.is_multiple_of(10) && z < 9 {
            t /= 10;
            z += 1;
        }
        z
    };
    zeros(s.start_ns).max(s.end_ns().map_or(0, zeros))
}

/// One span from a set of copies. The base is the copy with the most attributes (they live
/// in its file and cannot be mixed across files), the first one on a tie; times come from
/// the most precise copy; every field the base lacks is taken from a copy that has it.
fn combine<'a>(cluster: &[usize], span: &impl Fn(usize) -> &'a Span) -> (usize, Span) {
    let base = *cluster
        .iter()
        .max_by_key(|&&k| (span(k).attr_len, std::cmp::Reverse(k)))
        .expect("a cluster has members");
    let mut m = *span(base);
    let finest = cluster
        .iter()
        .min_by_key(|&&k| (coarseness(span(k)), k != base, k))
        .map(|&k| span(k))
        .expect("a cluster has members");
    (m.start_ns, m.end) = (finest.start_ns, finest.end);
    for &k in cluster.iter().filter(|&&k| k != base) {
        fill(&mut m, span(k));
    }
    (base, m)
}

/// Takes from `other` what `m` lacks. An error in any copy is an error.
fn fill(m: &mut Span, other: &Span) {
    use super::intern::Sym;
    for (mine, theirs) in [
        (&mut m.model, other.model),
        (&mut m.tool, other.tool),
        (&mut m.scope, other.scope),
    ] {
        if *mine == Sym::EMPTY {
            *mine = theirs;
        }
    }
    if m.kind == super::kind::SpanKind::Unknown {
        m.kind = other.kind;
    }
    if m.otel_kind == 0 {
        m.otel_kind = other.otel_kind;
    }
    m.status = m.status.max(other.status);
    if m.parent_id.is_none() {
        m.parent_id = other.parent_id;
    }
    m.tokens = m.tokens.or(other.tokens);
    m.set_cost(m.cost().or(other.cost()));
    for (mine, theirs) in [
        (&mut m.status_msg, other.status_msg),
        (&mut m.input, other.input),
        (&mut m.output, other.output),
        (&mut m.events, other.events),
        (&mut m.links, other.links),
        (&mut m.resource, other.resource),
    ] {
        *mine = mine.or(theirs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_match_within_the_coarser_precision() {
        let ns = 1_795_896_721_377_618_854;
        assert!(same_time(ns, 1_795_896_721_377_619_000), "rounded to µs");
        assert!(same_time(ns, 1_795_896_721_377_000_000), "cut to ms");
        assert!(same_time(ns, 1_795_896_721_377_618_944), "through a float");
        assert!(!same_time(ns, 1_795_896_721_378_618_854), "1 ms apart");
        assert!(!same_time(
            1_795_896_721_377_000_000,
            1_795_896_721_378_000_000
        ));
    }
}
