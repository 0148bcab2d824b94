//! The in-memory trace model: one `TraceSet` for every export format.
//!
//! Invariant: `spans` holds each trace's spans contiguously and in pre-order, so the
//! subtree of span `i` is exactly `i + 1 .. spans[i].subtree_end`. Views, search and diff
//! rely on this. The model never imports the UI.

pub mod assessments;
pub mod batch;
pub mod build;
pub mod conventions;
mod copies;
pub mod detail;
mod flattened_messages;
pub mod ids;
pub mod intern;
pub mod kind;
mod layout;
mod loaded;
mod lookup;
pub mod mapped;
pub mod messages;
pub mod meta;
pub mod parts;
pub mod slow;
pub mod span;
pub mod text;
pub mod time;

pub use assessments::{Assessments, KeptKind, Stored};
pub use batch::{Assessment, Batch, Diagnostic, FileLoad, Pos, SpanDraft, TraceInfo};
pub use intern::{Interner, Sym};
pub use kind::{SpanKind, Status};
pub use meta::{MetaKeys, TraceMeta};
pub use slow::{SlowPath, SlowPaths};
pub use span::{
    Anomalies, AttrRef, Flags, IdRef, MaybeF64, MaybeNs, Span, SpanIx, Tokens, Trace, TraceIx,
};
pub use text::{Cells, Enc, KEPT, Source, SourceData, Sources, TextRef};

use serde_json::Value;

/// Per input file: what was detected and loaded.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    pub path: String,
    pub format: String,
    pub bytes: u64,
    pub traces: usize,
    pub spans: usize,
    pub errors: usize,
}

/// Every loaded trace, in one arena.
#[derive(Clone, Debug, Default)]
pub struct TraceSet {
    pub files: Vec<FileReport>,
    pub sources: Sources,
    pub syms: Interner,
    /// Span ids, normalised, back to back (`IdRef` points here).
    pub ids: Vec<u8>,
    pub traces: Vec<Trace>,
    pub spans: Vec<Span>,
    /// Attribute references, as the loaders' pieces wrote them (`Span::attr_range`).
    pub attrs: parts::Parts<AttrRef>,
    pub assessments: Assessments,
    /// For each assessment: the trace and span it attaches to, when they were loaded.
    pub assessment_targets: Vec<(Option<TraceIx>, Option<SpanIx>)>,
    pub diagnostics: Vec<Diagnostic>,
    /// Inputs that left the loaders' fast paths, by reason (`SPANLENS_TIMINGS` prints them).
    pub slow_paths: SlowPaths,
    /// Built from part of a file while it loads: a parent that is missing may simply not
    /// be read yet, so spans are not flagged as orphans.
    pub partial: bool,
}

impl TraceSet {
    /// Marks the set as read in part (see `partial`) and drops the orphan flags.
    pub fn mark_partial(&mut self) {
        self.partial = true;
        for s in &mut self.spans {
            s.flags.0 &= !Flags::ORPHAN;
        }
        for t in &mut self.traces {
            t.anomalies.orphans = 0;
        }
    }

    pub fn span(&self, ix: SpanIx) -> &Span {
        &self.spans[ix.0 as usize]
    }

    pub fn trace(&self, ix: TraceIx) -> &Trace {
        &self.traces[ix.0 as usize]
    }

    pub fn str(&self, sym: Sym) -> &str {
        self.syms.get(sym)
    }

    pub fn id_str(&self, id: IdRef) -> &str {
        let bytes = self
            .ids
            .get(id.off as usize..(id.off + id.len) as usize)
            .unwrap_or(&[]);
        std::str::from_utf8(bytes).unwrap_or("")
    }

    pub fn span_id(&self, ix: SpanIx) -> &str {
        self.id_str(self.span(ix).span_id)
    }

    pub fn span_name(&self, ix: SpanIx) -> &str {
        self.str(self.span(ix).name)
    }

    pub fn trace_id(&self, ix: TraceIx) -> &str {
        self.str(self.trace(ix).id)
    }

    /// Duration not covered by any child (children may overlap when they run in parallel).
    pub fn self_time_ns(&self, ix: SpanIx) -> i64 {
        let s = self.span(ix);
        let Some(end) = s.end_ns() else { return 0 };
        let mut spans: Vec<(i64, i64)> = Vec::new();
        let mut c = ix.0 + 1;
        while c < s.subtree_end {
            let child = &self.spans[c as usize];
            let (a, z) = (
                child.start_ns.max(s.start_ns),
                child.end_ns().unwrap_or(child.start_ns).min(end),
            );
            if z > a {
                spans.push((a, z));
            }
            c = child.subtree_end;
        }
        spans.sort_unstable();
        let covered = time::union_len(&spans);
        (end - s.start_ns - covered).max(0)
    }

    /// The trace that holds `ix`.
    pub fn trace_of(&self, ix: SpanIx) -> TraceIx {
        TraceIx(self.span(ix).trace)
    }

    pub fn total_spans(&self) -> usize {
        self.spans.len()
    }

    pub fn total_errors(&self) -> usize {
        self.traces.iter().map(|t| t.errors as usize).sum()
    }

    /// Sum of anomalies over all traces.
    pub fn anomalies(&self) -> Anomalies {
        let mut a = Anomalies::default();
        for t in &self.traces {
            a.add(&t.anomalies);
        }
        a
    }

    /// A span's attributes as (key, where the value is).
    pub fn attrs_of(&self, ix: SpanIx) -> impl Iterator<Item = (&str, TextRef)> + '_ {
        let s = self.span(ix);
        self.attrs[s.attr_range()].iter().map(move |a| {
            (
                self.str(a.key),
                TextRef {
                    off: a.off,
                    len: a.len,
                    src: s.src,
                    enc: s.attr_enc,
                },
            )
        })
    }

    /// The decoded value of the first attribute named `key`.
    pub fn attr_value(&self, ix: SpanIx, key: &str) -> Option<Value> {
        self.attrs_of(ix)
            .find(|(k, _)| *k == key)
            .map(|(_, t)| self.sources.value(t))
    }

    /// Finds a trace by canonical id, original id, or a unique prefix of either.
    pub fn find_trace(&self, id: &str) -> Option<TraceIx> {
        let norm = ids::normalize(id);
        let exact = self.traces.iter().position(|t| {
            self.str(t.id) == norm || (!t.original_id.is_empty() && self.str(t.original_id) == id)
        });
        if let Some(i) = exact {
            return Some(TraceIx(i as u32));
        }
        let mut hits = self.traces.iter().enumerate().filter(|(_, t)| {
            !id.is_empty()
                && (self.str(t.id).starts_with(&*norm) || self.str(t.original_id).starts_with(id))
        });
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) => Some(TraceIx(i as u32)),
            _ => None,
        }
    }

    /// Finds a span by canonical id within a trace.
    pub fn find_span(&self, trace: TraceIx, span_id: &str) -> Option<SpanIx> {
        let norm = ids::normalize(span_id);
        self.trace(trace)
            .spans()
            .map(|i| SpanIx(i as u32))
            .find(|&i| self.span_id(i) == norm)
    }

    /// Links assessments to loaded traces and spans (the traces `find_trace` finds, and
    /// for an assessment without a trace id, the first span with its span id).
    pub fn resolve_assessments(&mut self) {
        use rayon::prelude::*;
        if self.assessments.is_empty() {
            // PERF: no lookup of every trace to build for nothing.
            self.assessment_targets.clear();
            return;
        }
        let traces = lookup::TraceLookup::new(self);
        // Assessments that name a span but no trace are found by their span, through a
        // lookup of every span built only when one is met.
        //
        // PERF: they are noted while the others are linked, on the pool. A first pass to
        // find out whether there are any read all 570,000 assessments (150 MB) on one
        // thread at 1M MLflow spans.
        let by_span_only = std::sync::atomic::AtomicBool::new(false);
        let trace = |a: &Stored, spans: Option<&lookup::SpanLookup>| {
            if !a.trace_id().is_empty() {
                return traces.find_noted(a.trace_sym(), a.trace_id());
            }
            let span = a.span_id()?;
            let Some(spans) = spans else {
                by_span_only.store(true, std::sync::atomic::Ordering::Relaxed);
                return None;
            };
            spans.find(span).map(|s| self.trace_of(s))
        };
        let target = |a: &Stored, trace: Option<TraceIx>| {
            let span = match (trace, a.span_id()) {
                (Some(t), Some(s)) => self.find_span(t, s),
                _ => None,
            };
            (trace, span)
        };
        // PERF: an export lists a trace's assessments together (four a trace in MLflow 3),
        // so the trace of the one before is reused when the id is the same: one lookup
        // of the id (normalised, hashed, compared) a trace instead of one an assessment.
        // Linking 570,000 at 1M MLflow 3 spans took 78-84 ms, 65-69 ms with this.
        let mut targets: Vec<(Option<TraceIx>, Option<SpanIx>)> =
            (self.assessments.pieces().par_iter())
                .flat_map_iter(|piece| {
                    let mut last: Option<(&str, Option<TraceIx>)> = None;
                    piece.iter().map(move |a| {
                        let t = match last {
                            Some((id, t)) if id == a.trace_id() && !id.is_empty() => t,
                            _ => trace(a, None),
                        };
                        last = Some((a.trace_id(), t));
                        target(a, t)
                    })
                })
                .collect();
        if by_span_only.load(std::sync::atomic::Ordering::Relaxed) {
            let spans = lookup::SpanLookup::new(self);
            let all: Vec<&Stored> = self.assessments.stored().collect();
            (targets.par_iter_mut().zip(all))
                .filter(|(_, a)| a.trace_id().is_empty())
                .for_each(|(t, a)| *t = target(a, trace(a, Some(&spans))));
        }
        self.assessment_targets = targets;
    }

    /// Assessments attached to a trace (and, with `span`, to that span only). Only these
    /// are decoded.
    pub fn assessments_for(
        &self,
        trace: TraceIx,
        span: Option<SpanIx>,
    ) -> impl Iterator<Item = &Assessment> + '_ {
        self.assessments_on(move |t, s| t == Some(trace) && (span.is_none() || s == span))
            .map(|(_, a)| a)
    }

    /// Drops the assessments `gone` picks, with their targets.
    pub fn drop_assessments(&mut self, gone: impl Fn(&Assessment) -> bool) {
        let keep: Vec<bool> = self.assessments.iter().map(|a| !gone(a)).collect();
        self.assessments.retain_marked(&keep);
        let mut k = keep.iter();
        self.assessment_targets
            .retain(|_| *k.next().unwrap_or(&true));
    }

    /// The assessments whose target (trace, span) `on` accepts, with their indices. Only
    /// these are decoded (PERF: the detail pane shows a span's few out of 570,000).
    pub fn assessments_on(
        &self,
        on: impl Fn(Option<TraceIx>, Option<SpanIx>) -> bool + 'static,
    ) -> impl Iterator<Item = (usize, &Assessment)> + '_ {
        (self.assessment_targets.iter().enumerate())
            .filter(move |(_, (t, s))| on(*t, *s))
            .map(|(i, _)| (i, &self.assessments[i]))
    }

    fn count_per_file(&mut self) {
        use rayon::prelude::*;
        // PERF: one file holds every span, and the traces have their errors counted
        // already: reading a million spans again for this took 20 ms.
        if let [f] = &mut self.files[..] {
            f.traces = self.traces.len();
            f.spans = self.spans.len();
            f.errors = self.traces.iter().map(|t| t.errors as usize).sum();
            return;
        }
        // (traces, spans, errors) per file. PERF: traces are counted in parallel; this
        // reads every span.
        type Counts = Vec<[usize; 3]>;
        let n = self.files.len();
        let spans = &self.spans;
        let add = |mut acc: Counts, t: &Trace| {
            let mut seen: Vec<u16> = Vec::new();
            for s in &spans[t.spans()] {
                let c = &mut acc[s.file as usize];
                c[1] += 1;
                c[2] += usize::from(s.is_error());
                if !seen.contains(&s.file) {
                    seen.push(s.file);
                    c[0] += 1;
                }
            }
            acc
        };
        let sum = |mut a: Counts, b: Counts| {
            for (x, y) in a.iter_mut().zip(b) {
                (0..3).for_each(|i| x[i] += y[i]);
            }
            a
        };
        let counts = (self.traces.par_iter())
            .fold(|| vec![[0; 3]; n], add)
            .reduce(|| vec![[0; 3]; n], sum);
        for (f, [traces, spans, errors]) in self.files.iter_mut().zip(counts) {
            (f.traces, f.spans, f.errors) = (traces, spans, errors);
        }
    }
}
