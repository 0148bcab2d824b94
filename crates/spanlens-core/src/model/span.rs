//! One span and one trace as stored in the arena.

use super::intern::Sym;
use super::kind::{SpanKind, Status};
use super::text::{Enc, TextRef};

/// Index of a span in `TraceSet::spans`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanIx(pub u32);

/// Index of a trace in `TraceSet::traces`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceIx(pub u32);

/// A span id stored in the id arena (`TraceSet::id`). Length 0 means "none".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IdRef {
    pub off: u32,
    pub len: u32,
}

impl IdRef {
    pub fn is_none(self) -> bool {
        self.len == 0
    }
}

/// A span's attribute: an interned key and the value's bytes in the span's source.
/// The encoding is the span's `attr_enc`; values are decoded only when shown or searched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttrRef {
    pub key: Sym,
    pub len: u32,
    pub off: u64,
}

/// Anomalies found while building the tree. Each is kept and shown, never repaired away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(pub u16);

impl Flags {
    /// The parent id names a span that is not in the loaded files.
    pub const ORPHAN: u16 = 1;
    /// Another span of the same trace has the same id.
    pub const DUPLICATE_ID: u16 = 2;
    /// The parent chain loops back; the loop was cut at this span.
    pub const CYCLE: u16 = 4;
    /// Starts before its parent starts.
    pub const STARTS_BEFORE_PARENT: u16 = 8;
    /// Ends after its parent ends.
    pub const ENDS_AFTER_PARENT: u16 = 16;
    /// End is before start.
    pub const NEGATIVE_DURATION: u16 = 32;
    /// No end time: the span was still running when exported.
    pub const IN_PROGRESS: u16 = 64;
    /// The span has no id of its own in the file.
    pub const MISSING_ID: u16 = 128;

    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }

    pub fn set(&mut self, bit: u16) {
        self.0 |= bit;
    }

    /// Short descriptions of the set flags, for the detail pane and reports.
    pub fn describe(self) -> Vec<&'static str> {
        const NAMES: [(u16, &str); 8] = [
            (Flags::ORPHAN, "orphan: parent not in file"),
            (Flags::DUPLICATE_ID, "duplicate span id"),
            (Flags::CYCLE, "parent cycle cut here"),
            (Flags::STARTS_BEFORE_PARENT, "starts before its parent"),
            (Flags::ENDS_AFTER_PARENT, "ends after its parent"),
            (Flags::NEGATIVE_DURATION, "negative duration"),
            (Flags::IN_PROGRESS, "in progress: no end time"),
            (Flags::MISSING_ID, "no span id in file"),
        ];
        NAMES
            .iter()
            .filter(|(b, _)| self.has(*b))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// Token usage where the source has it: input, output and total, each absent or a count.
///
/// PERF: held as three `u32`s with `u32::MAX` for "absent" (12 bytes), not three
/// `Option<u32>` (24): every span carries one, a million at a time. A count of
/// `u32::MAX` itself is kept as `u32::MAX - 1`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tokens([u32; 3]);

const NO_COUNT: u32 = u32::MAX;

impl Default for Tokens {
    fn default() -> Self {
        Tokens([NO_COUNT; 3])
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("input", &self.input())
            .field("output", &self.output())
            .field("total", &self.total())
            .finish()
    }
}

impl Tokens {
    pub fn new(input: Option<u32>, output: Option<u32>, total: Option<u32>) -> Tokens {
        let count = |c: Option<u32>| c.map_or(NO_COUNT, |c| c.min(NO_COUNT - 1));
        Tokens([count(input), count(output), count(total)])
    }

    fn get(self, i: usize) -> Option<u32> {
        (self.0[i] != NO_COUNT).then_some(self.0[i])
    }

    pub fn input(self) -> Option<u32> {
        self.get(0)
    }

    pub fn output(self) -> Option<u32> {
        self.get(1)
    }

    pub fn total(self) -> Option<u32> {
        self.get(2)
    }

    /// Each count this one lacks, taken from `other`.
    pub fn or(self, other: Tokens) -> Tokens {
        Tokens::new(
            self.input().or(other.input()),
            self.output().or(other.output()),
            self.total().or(other.total()),
        )
    }

    /// Total tokens: the recorded total, else input + output.
    pub fn sum(self) -> Option<u64> {
        self.total()
            .map(u64::from)
            .or(match (self.input(), self.output()) {
                (None, None) => None,
                (i, o) => Some(u64::from(i.unwrap_or(0)) + u64::from(o.unwrap_or(0))),
            })
    }

    pub fn is_empty(self) -> bool {
        self.0 == [NO_COUNT; 3]
    }
}

/// An optional time in ns in 8 bytes, not 16 (PERF: one a span, a million at a time):
/// `i64::MIN` is "none", and a time of `i64::MIN` itself (year 1677) is kept one ns later.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaybeNs(i64);

impl MaybeNs {
    pub fn new(ns: Option<i64>) -> MaybeNs {
        MaybeNs(ns.map_or(i64::MIN, |ns| ns.max(i64::MIN + 1)))
    }

    pub fn get(self) -> Option<i64> {
        (self.0 != i64::MIN).then_some(self.0)
    }
}

impl Default for MaybeNs {
    fn default() -> Self {
        MaybeNs(i64::MIN)
    }
}

impl std::fmt::Debug for MaybeNs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// An optional number in 8 bytes, not 16: NaN is "none" (a NaN read is no value anyway).
#[derive(Clone, Copy, PartialEq)]
pub struct MaybeF64(f64);

impl MaybeF64 {
    pub fn new(v: Option<f64>) -> MaybeF64 {
        MaybeF64(v.unwrap_or(f64::NAN))
    }

    pub fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }
}

impl Default for MaybeF64 {
    fn default() -> Self {
        MaybeF64(f64::NAN)
    }
}

impl std::fmt::Debug for MaybeF64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// Sentinel for "no parent".
pub const NO_PARENT: u32 = u32::MAX;

/// One span. Loaders fill the content fields; `model::build` fills the tree fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    pub trace_id: Sym,
    pub span_id: IdRef,
    pub parent_id: IdRef,
    pub name: Sym,
    pub model: Sym,
    pub tool: Sym,
    pub scope: Sym,
    pub kind: SpanKind,
    /// OTel span kind (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer).
    pub otel_kind: u8,
    pub status: Status,
    pub flags: Flags,
    pub src: u16,
    pub attr_enc: Enc,
    pub start_ns: i64,
    /// When it ended (`end_ns`); absent for a span still in progress.
    pub end: MaybeNs,
    pub tokens: Tokens,
    /// Cost in USD where the source says (`cost`).
    pub cost_usd: MaybeF64,
    pub status_msg: Option<TextRef>,
    pub input: Option<TextRef>,
    pub output: Option<TextRef>,
    pub events: Option<TextRef>,
    pub links: Option<TextRef>,
    pub resource: Option<TextRef>,
    pub attr_start: u32,
    pub attr_len: u32,
    /// Position in the input (file order); breaks ties when sorting siblings.
    pub seq: u64,
    /// Index of the input file in `TraceSet::files`.
    pub file: u16,
    // Tree fields, set by `model::build`.
    pub trace: u32,
    pub parent: u32,
    pub depth: u32,
    /// One past the last span of this span's subtree (pre-order arena).
    pub subtree_end: u32,
}

impl Span {
    /// When it ended, in ns since the epoch; `None` while in progress.
    pub fn end_ns(&self) -> Option<i64> {
        self.end.get()
    }

    pub fn set_end_ns(&mut self, end: Option<i64>) {
        self.end = MaybeNs::new(end);
    }

    /// Cost in USD, where the source says.
    pub fn cost(&self) -> Option<f64> {
        self.cost_usd.get()
    }

    pub fn set_cost(&mut self, cost: Option<f64>) {
        self.cost_usd = MaybeF64::new(cost);
    }

    /// Duration in nanoseconds; in-progress spans count as zero.
    pub fn duration_ns(&self) -> i64 {
        self.end_ns().map_or(0, |e| e.saturating_sub(self.start_ns))
    }

    pub fn parent(&self) -> Option<SpanIx> {
        (self.parent != NO_PARENT).then_some(SpanIx(self.parent))
    }

    pub fn is_error(&self) -> bool {
        self.status == Status::Error
    }

    pub fn attr_range(&self) -> std::ops::Range<usize> {
        self.attr_start as usize..(self.attr_start + self.attr_len) as usize
    }

    /// Every text reference the span holds besides its attributes, for moving them all
    /// when sources are renumbered (merging batches, merging live segments).
    pub fn text_refs_mut(&mut self) -> impl Iterator<Item = &mut TextRef> {
        [
            &mut self.status_msg,
            &mut self.input,
            &mut self.output,
            &mut self.events,
            &mut self.links,
            &mut self.resource,
        ]
        .into_iter()
        .flatten()
    }
}

/// Counts of tree anomalies in one trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anomalies {
    pub orphans: u32,
    pub duplicate_ids: u32,
    pub cycles: u32,
    pub starts_before_parent: u32,
    pub ends_after_parent: u32,
    pub negative_durations: u32,
    pub in_progress: u32,
    pub missing_ids: u32,
}

impl Anomalies {
    pub fn count(&mut self, flags: Flags) {
        let pairs: [(u16, &mut u32); 8] = [
            (Flags::ORPHAN, &mut self.orphans),
            (Flags::DUPLICATE_ID, &mut self.duplicate_ids),
            (Flags::CYCLE, &mut self.cycles),
            (Flags::STARTS_BEFORE_PARENT, &mut self.starts_before_parent),
            (Flags::ENDS_AFTER_PARENT, &mut self.ends_after_parent),
            (Flags::NEGATIVE_DURATION, &mut self.negative_durations),
            (Flags::IN_PROGRESS, &mut self.in_progress),
            (Flags::MISSING_ID, &mut self.missing_ids),
        ];
        for (bit, n) in pairs {
            if flags.has(bit) {
                *n += 1;
            }
        }
    }

    pub fn add(&mut self, o: &Anomalies) {
        self.orphans += o.orphans;
        self.duplicate_ids += o.duplicate_ids;
        self.cycles += o.cycles;
        self.starts_before_parent += o.starts_before_parent;
        self.ends_after_parent += o.ends_after_parent;
        self.negative_durations += o.negative_durations;
        self.in_progress += o.in_progress;
        self.missing_ids += o.missing_ids;
    }

    /// Human descriptions of the non-zero counts.
    pub fn describe(&self) -> Vec<String> {
        let items = [
            (self.orphans, "orphan spans (parent not in file)"),
            (self.duplicate_ids, "duplicate span ids"),
            (self.cycles, "parent cycles cut"),
            (
                self.starts_before_parent,
                "spans starting before their parent",
            ),
            (self.ends_after_parent, "spans ending after their parent"),
            (self.negative_durations, "negative durations"),
            (self.in_progress, "in-progress spans (no end time)"),
            (self.missing_ids, "spans without an id"),
        ];
        items
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect()
    }
}

/// One trace: a contiguous, pre-order range of spans plus totals computed at build time.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Canonical id (lowercase hex where the id is bytes).
    pub id: Sym,
    /// The id as the source spelled it, when different (`tr-…`, an MLflow 2 request id).
    pub original_id: Sym,
    /// Trace name: the root span's name, or the name the source gave the trace.
    pub name: Sym,
    pub span_start: u32,
    pub span_end: u32,
    pub roots: u32,
    pub start_ns: i64,
    pub end_ns: i64,
    pub errors: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub cost: Option<f64>,
    pub anomalies: Anomalies,
    /// Trace-level record (MLflow `info`, Langfuse trace object), decoded on demand.
    pub info: Option<TextRef>,
    /// Trace state reported by the source, when it has one (MLflow `info.state`).
    pub state: Option<Status>,
    /// Index of the first input file that held spans of this trace.
    pub file: u16,
}

impl Trace {
    pub fn span_count(&self) -> u32 {
        self.span_end - self.span_start
    }

    pub fn duration_ns(&self) -> i64 {
        self.end_ns.saturating_sub(self.start_ns).max(0)
    }

    pub fn spans(&self) -> std::ops::Range<usize> {
        self.span_start as usize..self.span_end as usize
    }
}

#[cfg(test)]
mod packed_tests {
    use super::*;

    #[test]
    fn optional_numbers_keep_every_value_but_their_sentinel() {
        for ns in [
            None,
            Some(0),
            Some(-1),
            Some(i64::MAX),
            Some(1_795_896_411_900_000_001),
        ] {
            assert_eq!(MaybeNs::new(ns).get(), ns);
        }
        assert_eq!(MaybeNs::new(Some(i64::MIN)).get(), Some(i64::MIN + 1));
        assert_eq!(MaybeNs::default().get(), None);
        for v in [None, Some(0.0), Some(-2.5), Some(f64::INFINITY)] {
            assert_eq!(MaybeF64::new(v).get(), v);
        }
        assert_eq!(MaybeF64::new(Some(f64::NAN)).get(), None);
        let t = Tokens::new(Some(0), None, Some(u32::MAX));
        assert_eq!(
            (t.input(), t.output(), t.total()),
            (Some(0), None, Some(u32::MAX - 1))
        );
        assert!(Tokens::default().is_empty() && !t.is_empty());
        assert_eq!(
            format!("{t:?}"),
            "Tokens { input: Some(0), output: None, total: Some(4294967294) }"
        );
        let both = Tokens::new(None, Some(5), None).or(t);
        assert_eq!((both.input(), both.output()), (Some(0), Some(5)));
        let mut s = Span::default();
        assert_eq!((s.end_ns(), s.cost()), (None, None));
        s.set_end_ns(Some(7));
        s.set_cost(Some(0.25));
        assert_eq!(
            (s.end_ns(), s.cost(), s.duration_ns()),
            (Some(7), Some(0.25), 7)
        );
        // Three packed numbers: a span is 24 bytes smaller (a million at a time).
        assert!(std::mem::size_of::<Span>() <= 216);
    }
}
