//! Finding many traces and spans by id at once (assessments, when a set is built): the
//! answers `TraceSet::find_trace` and a scan of every span give, from sorted indexes.
//!
//! PERF: linking each assessment with `find_trace` scanned every trace per assessment; an
//! MLflow 3 export has a few assessments per trace, so 100,000 spans took 7 s of the 9 s
//! `summary` spent, and a million spans would have taken most of an hour.

use super::{SpanIx, Sym, Trace, TraceIx, TraceSet, ids};
use std::sync::OnceLock;

/// Sorted `(id, index)` pairs: the first index of an id is the first pair with it.
type Sorted<'a> = Vec<(&'a str, u32)>;

fn sorted<'a>(pairs: impl Iterator<Item = (&'a str, u32)>) -> Sorted<'a> {
    let mut v: Sorted = pairs.collect();
    v.sort_unstable();
    v
}

/// The first (lowest) index with id `key`.
fn first_eq(v: &Sorted, key: &str) -> Option<u32> {
    let i = v.partition_point(|(s, _)| *s < key);
    v.get(i).filter(|(s, _)| *s == key).map(|&(_, ix)| ix)
}

/// The entries whose id starts with `prefix`.
fn with_prefix<'v, 'a>(v: &'v Sorted<'a>, prefix: &str) -> &'v [(&'a str, u32)] {
    let from = v.partition_point(|(s, _)| *s < prefix);
    let len = v[from..].partition_point(|(s, _)| s.starts_with(prefix));
    &v[from..from + len]
}

/// By symbol, the first trace whose id (`id(trace)`, when it has one) is that symbol
/// (`u32::MAX`: none).
pub(crate) fn traces_by_symbol(set: &TraceSet, id: impl Fn(&Trace) -> Option<Sym>) -> Vec<u32> {
    let mut first = vec![u32::MAX; set.syms.len()];
    for (i, t) in set.traces.iter().enumerate() {
        if let Some(slot) = id(t).and_then(|sym| first.get_mut(sym.0 as usize)) {
            *slot = (*slot).min(i as u32);
        }
    }
    first
}

/// Traces by canonical and by original id.
///
/// PERF: exact hits (nearly every assessment) come from lists indexed by symbol: the id
/// is looked up once in the set's interner, where every trace id already is. Hash maps of
/// the ids, built on one thread, took 22 ms of linking 570,000 assessments at 1M MLflow
/// spans, and each assessment then hashed its id twice. Binary search over sorted ids
/// compared 18 strings per lookup; the sorted lists are built only for a prefix lookup.
pub(crate) struct TraceLookup<'a> {
    set: &'a TraceSet,
    /// The first trace whose canonical id is each symbol (`u32::MAX`: none).
    canonical: Vec<u32>,
    /// The first trace whose original id is each symbol (an empty one matches nothing in
    /// `find_trace`, so only traces with one are here).
    original: Vec<u32>,
    sorted: OnceLock<(Sorted<'a>, Sorted<'a>)>,
}

impl<'a> TraceLookup<'a> {
    pub(crate) fn new(set: &'a TraceSet) -> Self {
        let canonical = traces_by_symbol(set, |t| Some(t.id));
        let original = traces_by_symbol(set, |t| {
            (!t.original_id.is_empty()).then_some(t.original_id)
        });
        TraceLookup {
            set,
            canonical,
            original,
            sorted: OnceLock::new(),
        }
    }

    fn canonical_ids(set: &'a TraceSet) -> impl Iterator<Item = (&'a str, u32)> {
        (set.traces.iter().enumerate()).map(|(i, t)| (set.str(t.id), i as u32))
    }

    fn original_ids(set: &'a TraceSet) -> impl Iterator<Item = (&'a str, u32)> {
        (set.traces.iter().enumerate())
            .filter(|(_, t)| !t.original_id.is_empty())
            .map(|(i, t)| (set.str(t.original_id), i as u32))
    }

    /// The trace `list` gives for the symbol of `id`, if `id` is a symbol at all.
    fn by_sym(&self, list: &[u32], sym: Option<Sym>) -> Option<u32> {
        let i = *list.get(sym?.0 as usize)?;
        (i != u32::MAX).then_some(i)
    }

    /// `find(id)`, where `sym` may be the symbol of `id`: when it is, and `id` is
    /// canonical, the exact matches are read by it without looking `id` up.
    ///
    /// PERF: linking 570,000 assessments at 1M MLflow 3 spans looked each trace's id up
    /// in the set's table of 430,000 symbols, mostly missing the cache.
    pub(crate) fn find_noted(&self, sym: Option<Sym>, id: &str) -> Option<TraceIx> {
        if let Some(s) = sym
            && self.set.syms.get(s) == id
            && *ids::normalize(id) == *id
        {
            let exact = [
                self.by_sym(&self.canonical, Some(s)),
                self.by_sym(&self.original, Some(s)),
            ];
            if let Some(i) = exact.into_iter().flatten().min() {
                return Some(TraceIx(i));
            }
        }
        self.find(id)
    }

    /// What `TraceSet::find_trace(id)` returns.
    pub(crate) fn find(&self, id: &str) -> Option<TraceIx> {
        let norm = ids::normalize(id);
        let syms = &self.set.syms;
        let norm_sym = syms.lookup(&norm);
        // An id already canonical (nearly every assessment's) is looked up once.
        let id_sym = if *norm == *id {
            norm_sym
        } else {
            syms.lookup(id)
        };
        let exact = [
            self.by_sym(&self.canonical, norm_sym),
            self.by_sym(&self.original, id_sym),
        ];
        if let Some(i) = exact.into_iter().flatten().min() {
            return Some(TraceIx(i));
        }
        if id.is_empty() {
            return None;
        }
        // A unique prefix: one trace among those whose canonical or original id starts so.
        let (canonical, original) = self.sorted.get_or_init(|| {
            let set = self.set;
            (
                sorted(Self::canonical_ids(set)),
                sorted(Self::original_ids(set)),
            )
        });
        let mut hits = (with_prefix(canonical, &norm).iter())
            .chain(with_prefix(original, id))
            .map(|&(_, i)| i);
        let first = hits.next()?;
        hits.all(|i| i == first).then_some(TraceIx(first))
    }
}

/// Spans by canonical id, for assessments that name a span but no trace.
pub(crate) struct SpanLookup<'a>(Sorted<'a>);

impl<'a> SpanLookup<'a> {
    pub(crate) fn new(set: &'a TraceSet) -> Self {
        let n = set.spans.len() as u32;
        SpanLookup(sorted((0..n).map(|i| (set.span_id(SpanIx(i)), i))))
    }

    /// The first span with id `span_id` (normalised), as a scan of every span finds it.
    pub(crate) fn find(&self, span_id: &str) -> Option<SpanIx> {
        first_eq(&self.0, &ids::normalize(span_id)).map(SpanIx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IdRef, Span, Trace};

    /// A set of traces `(canonical, original)` whose spans have the ids `spans`.
    fn set(traces: &[(&str, &str)], spans: &[&str]) -> TraceSet {
        let mut set = TraceSet::default();
        for &(id, original) in traces {
            let (id, original_id) = (set.syms.intern(id), set.syms.intern(original));
            set.traces.push(Trace {
                id,
                original_id,
                ..Trace::default()
            });
        }
        for id in spans {
            let off = set.ids.len() as u32;
            set.ids.extend_from_slice(id.as_bytes());
            set.spans.push(Span {
                span_id: IdRef {
                    off,
                    len: id.len() as u32,
                },
                ..Span::default()
            });
        }
        set
    }

    #[test]
    fn traces_are_found_as_find_trace_finds_them() {
        let hex = "0123456789abcdef0123456789abcdef";
        let s = set(
            &[
                (
                    "ffee0000000000000000000000000001",
                    "tr-FFEE0000000000000000000000000001",
                ),
                (hex, ""),
                ("abc1", "run-1"),
                ("abc2", ""),
                ("run-1", "zzz"),
                (hex, "dup"),
                ("ffee0000000000000000000000000002", ""),
            ],
            &[],
        );
        let lookup = TraceLookup::new(&s);
        let queries = [
            hex,
            "0x0123456789ABCDEF0123456789ABCDEF",
            "tr-0123456789abcdef0123456789abcdef",
            "ASNFZ4mrze8BI0VniavN7w==",
            "tr-FFEE0000000000000000000000000001",
            "run-1",
            "zzz",
            "dup",
            "abc",
            "abc2",
            "ab",
            "ffee",
            "ffee0000000000000000000000000002",
            "0123",
            "z",
            "",
            "nothing",
        ];
        for q in queries {
            assert_eq!(lookup.find(q), s.find_trace(q), "{q:?}");
            // With any symbol noted for it (its own, another's, none, one past the
            // table): the symbol is only a hint.
            let noted = (0..=s.syms.len() as u32).map(|i| Some(Sym(i)));
            for sym in noted.chain([None]) {
                assert_eq!(lookup.find_noted(sym, q), s.find_trace(q), "{q:?} {sym:?}");
            }
        }
        assert_eq!(
            lookup.find("run-1"),
            Some(TraceIx(2)),
            "the first of two exact hits"
        );
    }

    /// An assessment naming `trace` (canonical) and `span`.
    fn assessment(trace: &str, span: Option<&str>) -> crate::model::Assessment {
        crate::model::Assessment {
            trace_id: trace.into(),
            span_id: span.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn assessments_are_linked_by_trace_or_by_their_span_alone() {
        let (a, b) = (
            "aaaa0000000000000000000000000001",
            "bbbb0000000000000000000000000002",
        );
        let (s0, s1, s2) = ("00000000000000a1", "00000000000000a2", "00000000000000b1");
        let mut s = set(&[(a, ""), (b, "tr-b")], &[s0, s1, s2]);
        (s.traces[0].span_start, s.traces[0].span_end) = (0, 2);
        (s.traces[1].span_start, s.traces[1].span_end) = (2, 3);
        for (i, span) in s.spans.iter_mut().enumerate() {
            span.trace = u32::from(i == 2);
        }
        // Over two pieces; the one named by its span alone comes before the others.
        s.assessments.push_piece(vec![
            assessment(a, None).into(),
            assessment("", Some(s2)).into(),
        ]);
        s.assessments.push_piece(vec![
            assessment("", None).into(),
            assessment(b, Some("0x00000000000000B1")).into(),
            assessment("cccc", Some(s0)).into(),
            assessment(a, Some(s1)).into(),
        ]);
        s.resolve_assessments();
        let (t0, t1) = (Some(TraceIx(0)), Some(TraceIx(1)));
        assert_eq!(
            s.assessment_targets,
            [
                (t0, None),
                (t1, Some(SpanIx(2))),
                (None, None),
                (t1, Some(SpanIx(2))),
                (None, None),
                (t0, Some(SpanIx(1))),
            ]
        );
    }

    #[test]
    fn spans_are_found_as_a_scan_finds_them() {
        let s = set(
            &[],
            &["00000000000000aa", "00000000000000bb", "00000000000000aa"],
        );
        let lookup = SpanLookup::new(&s);
        assert_eq!(lookup.find("0x00000000000000AA"), Some(SpanIx(0)));
        assert_eq!(lookup.find("AAAAAAAAALs="), Some(SpanIx(1)));
        assert_eq!(lookup.find("00000000000000cc"), None);
    }
}
