//! Hits in the short fields (span name, tool, model, kind), matched once per distinct value:
//! a million spans share a few thousand names, so the first ranked hits come back in
//! milliseconds.

use super::engine::Hit;
use super::matcher::TextMatcher;
use super::query::{FieldKind, Query};
use crate::model::{SpanIx, SpanKind, Sym, TraceSet};

/// A short-field hit before its text is copied out (most never are: only the best few
/// hundred are shown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortHit {
    pub score: u32,
    pub span: SpanIx,
    pub field: FieldKind,
    /// The value that matched (a symbol; kinds use their label).
    pub sym: Sym,
}

/// A match result: score and matched character ranges.
type Scored = (u32, Vec<(usize, usize)>);

/// Matches of one field's distinct values, indexed by symbol.
struct Cache {
    scored: Vec<Option<Option<Scored>>>,
}

impl Cache {
    fn get(&mut self, set: &TraceSet, sym: Sym, m: &mut TextMatcher) -> &Option<Scored> {
        let i = sym.0 as usize;
        if i >= self.scored.len() {
            self.scored.resize(i + 1, None);
        }
        self.scored[i].get_or_insert_with(|| m.short(set.str(sym)))
    }
}

/// Every short-field hit of the spans in `range` that pass `keep`, in span order. The
/// range is split across the cores, each piece with its own matcher and score caches
/// (each scores the few thousand distinct values it meets).
pub fn hits(
    set: &TraceSet,
    q: &Query,
    range: std::ops::Range<usize>,
    keep: &(dyn Fn(SpanIx) -> bool + Sync),
) -> Vec<ShortHit> {
    use rayon::prelude::*;
    let pieces = (rayon::current_num_threads() * 2).max(1);
    let step = range.len().div_ceil(pieces).max(4096);
    let starts: Vec<usize> = range.clone().step_by(step).collect();
    let found: Vec<Vec<ShortHit>> = starts
        .into_par_iter()
        .map(|a| piece_hits(set, q, a..(a + step).min(range.end), keep))
        .collect();
    found.concat()
}

fn piece_hits(
    set: &TraceSet,
    q: &Query,
    range: std::ops::Range<usize>,
    keep: &(dyn Fn(SpanIx) -> bool + Sync),
) -> Vec<ShortHit> {
    let mut matcher = TextMatcher::new(q);
    let mut caches: Vec<Cache> = (0..3).map(|_| Cache { scored: Vec::new() }).collect();
    let kinds: Vec<Option<Scored>> = SpanKind::ALL
        .iter()
        .map(|k| {
            if *k == SpanKind::Unknown {
                None
            } else {
                matcher.short(k.as_str())
            }
        })
        .collect();
    let mut out = Vec::new();
    for i in range {
        let ix = SpanIx(i as u32);
        if !keep(ix) {
            continue;
        }
        let s = set.span(ix);
        if q.text.is_empty() {
            // A filter-only query lists the spans that pass.
            out.push(ShortHit {
                score: 0,
                span: ix,
                field: FieldKind::Name,
                sym: s.name,
            });
            continue;
        }
        for (slot, (field, sym)) in [
            (FieldKind::Name, s.name),
            (FieldKind::Tool, s.tool),
            (FieldKind::Model, s.model),
        ]
        .into_iter()
        .enumerate()
        {
            if sym.is_empty() || !q.searches(field) {
                continue;
            }
            if let Some((score, _)) = caches[slot].get(set, sym, &mut matcher) {
                out.push(ShortHit {
                    score: score + field.weight(),
                    span: ix,
                    field,
                    sym,
                });
            }
        }
        if q.searches(FieldKind::Kind)
            && let Some(Some((score, _))) = kinds.get(s.kind as usize)
        {
            out.push(ShortHit {
                score: score + FieldKind::Kind.weight(),
                span: ix,
                field: FieldKind::Kind,
                sym: Sym::EMPTY,
            });
        }
    }
    out
}

/// The full hit for a short hit: its text and matched ranges.
pub fn expand(set: &TraceSet, q: &Query, h: &ShortHit, m: &mut TextMatcher) -> Hit {
    let text = match h.field {
        FieldKind::Kind => set.span(h.span).kind.as_str().to_owned(),
        _ => set.str(h.sym).to_owned(),
    };
    let ranges = if q.text.is_empty() {
        Vec::new()
    } else {
        m.short(&text).map(|s| s.1).unwrap_or_default()
    };
    Hit {
        span: h.span,
        field: h.field,
        key: None,
        line: 0,
        snippet: text,
        ranges,
        score: h.score,
    }
}
