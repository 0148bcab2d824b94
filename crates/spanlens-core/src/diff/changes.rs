//! What changed between two matched spans: duration (beyond a threshold), status, inputs,
//! outputs, tokens, model, name and attributes. Payloads are compared by their bytes when
//! both sides spell them the same way, else by their decoded JSON, so an MLflow export and
//! an OTLP export of the same step compare equal.

use super::align::{matched_by_kind, strip_operation};
use crate::model::conventions::is_content_key;
use crate::model::messages::Direction;
use crate::model::text::decode_value;
use crate::model::{SpanIx, TextRef, TraceSet};

/// A duration counts as changed when it moves by more than this fraction…
pub const DURATION_RATIO: f64 = 0.20;
/// …and by more than this many nanoseconds (1 ms): jitter on tiny spans is not a change.
pub const DURATION_FLOOR_NS: i64 = 1_000_000;

/// One kind of difference between matched spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    Duration,
    Status,
    Input,
    Output,
    Tokens,
    Model,
    Name,
    Attributes,
    Order,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Duration => "duration",
            Change::Status => "status",
            Change::Input => "input",
            Change::Output => "output",
            Change::Tokens => "tokens",
            Change::Model => "model",
            Change::Name => "name",
            Change::Attributes => "attributes",
            Change::Order => "order",
        }
    }
}

/// Attribute keys whose values differ on every run by nature (ids, timestamps): the key
/// is one of these words, or ends with `.word` or `_word`, or holds an `_id` or `.id.`.
fn volatile(key: &str) -> bool {
    const WORDS: [&str; 10] = [
        "id",
        "time",
        "timestamp",
        "date",
        "uuid",
        "latency",
        "duration",
        "created",
        "updated",
        "fingerprint",
    ];
    let k = key.as_bytes();
    let has = |needle: &[u8]| {
        k.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    if has(b"_id") || has(b".id.") {
        return true;
    }
    WORDS.iter().any(|w| {
        let w = w.as_bytes();
        if k.len() == w.len() {
            return k.eq_ignore_ascii_case(w);
        }
        k.len() > w.len()
            && k[k.len() - w.len()..].eq_ignore_ascii_case(w)
            && matches!(k[k.len() - w.len() - 1], b'.' | b'_')
    })
}

/// The bytes of one span's fields, read from its file with one read instead of one per
/// field (a diff of 100,000 spans otherwise makes millions of small reads).
struct SpanBytes<'a> {
    set: &'a TraceSet,
    src: u16,
    start: u64,
    buf: Option<std::borrow::Cow<'a, [u8]>>,
}

/// Spans whose fields spread over more than this are read field by field.
const REGION_MAX: u64 = 4 << 20;

impl<'a> SpanBytes<'a> {
    fn new(set: &'a TraceSet, ix: SpanIx) -> Self {
        let s = set.span(ix);
        let refs = set
            .attrs_of(ix)
            .map(|(_, t)| t)
            .chain(s.input)
            .chain(s.output);
        let (mut lo, mut hi) = (u64::MAX, 0);
        for t in refs.filter(|t| t.src == s.src) {
            lo = lo.min(t.off);
            hi = hi.max(t.off + u64::from(t.len));
        }
        let buf = (lo < hi && hi - lo <= REGION_MAX)
            .then(|| {
                set.sources
                    .bytes(TextRef::new(s.src, lo, (hi - lo) as usize, s.attr_enc))
            })
            .and_then(Result::ok);
        SpanBytes {
            set,
            src: s.src,
            start: lo,
            buf,
        }
    }

    fn get(&self, t: TextRef) -> Option<std::borrow::Cow<'_, [u8]>> {
        if let Some(buf) = &self.buf
            && t.src == self.src
            && t.off >= self.start
            && let Some(b) = buf.get((t.off - self.start) as usize..)
            && let Some(b) = b.get(..t.len as usize)
        {
            return Some(std::borrow::Cow::Borrowed(b));
        }
        self.set.sources.bytes(t).ok()
    }
}

/// Compares span `l` of `left` with span `r` of `right`.
pub fn compare(left: &TraceSet, l: SpanIx, right: &TraceSet, r: SpanIx) -> Vec<Change> {
    let (a, b) = (left.span(l), right.span(r));
    let (la, rb) = (SpanBytes::new(left, l), SpanBytes::new(right, r));
    let mut out = Vec::new();
    if duration_changed(a.duration_ns(), b.duration_ns()) {
        out.push(Change::Duration);
    }
    // OK and unset both mean "not an error"; exports differ in which they write.
    if a.is_error() != b.is_error() {
        out.push(Change::Status);
    }
    if !same_payload((&la, l, a.input), (&rb, r, b.input), Direction::Input) {
        out.push(Change::Input);
    }
    if !same_payload((&la, l, a.output), (&rb, r, b.output), Direction::Output) {
        out.push(Change::Output);
    }
    if a.tokens != b.tokens {
        out.push(Change::Tokens);
    }
    if left.str(a.model) != right.str(b.model) {
        out.push(Change::Model);
    }
    if !matched_by_kind(a.kind) && display_name(left, l) != display_name(right, r) {
        out.push(Change::Name);
    }
    // Attributes only compare within one family of exports (MLflow keys vs OTel keys
    // would always differ).
    if a.attr_enc == b.attr_enc && !same_attributes((&la, l), (&rb, r)) {
        out.push(Change::Attributes);
    }
    out
}

fn display_name(set: &TraceSet, ix: SpanIx) -> &str {
    strip_operation(set.span_name(ix))
}

/// Same payload: same bytes, or same decoded JSON, or (for chat spans written by different
/// SDKs) the same conversation once messages are normalised.
fn same_payload(
    (left, l, a): (&SpanBytes, SpanIx, Option<TextRef>),
    (right, r, b): (&SpanBytes, SpanIx, Option<TextRef>),
    dir: Direction,
) -> bool {
    if same_text(left, a, right, b) {
        return true;
    }
    if left.set.span(l).attr_enc == right.set.span(r).attr_enc {
        return false;
    }
    let convo = |set: &TraceSet, s: SpanIx| {
        let d = crate::model::detail::detail(set, s);
        d.messages
            .into_iter()
            .filter(|m| m.direction == dir)
            .map(|m| {
                (
                    m.role,
                    m.content.trim().to_owned(),
                    m.tool_calls.into_iter().map(|c| c.name).collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    };
    let (ma, mb) = (convo(left.set, l), convo(right.set, r));
    !ma.is_empty() && ma == mb
}

/// The duration rule: relative and absolute change both above their thresholds.
pub fn duration_changed(a: i64, b: i64) -> bool {
    let delta = (b - a).abs();
    delta > DURATION_FLOOR_NS && delta as f64 > DURATION_RATIO * a.max(1) as f64
}

fn same_text(left: &SpanBytes, a: Option<TextRef>, right: &SpanBytes, b: Option<TextRef>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            let (bx, by) = (left.get(x), right.get(y));
            if x.enc == y.enc && bx.is_some() && bx == by {
                return true;
            }
            match (bx, by) {
                (Some(bx), Some(by)) => decode_value(&bx, x.enc) == decode_value(&by, y.enc),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Same stable attributes: content keys (compared as input/output) and volatile keys (ids,
/// timestamps) left out; values equal as bytes, or else as decoded JSON.
fn same_attributes((left, l): (&SpanBytes, SpanIx), (right, r): (&SpanBytes, SpanIx)) -> bool {
    fn stable(set: &TraceSet, ix: SpanIx) -> Vec<(&str, TextRef)> {
        let mut v: Vec<(&str, TextRef)> = set
            .attrs_of(ix)
            .filter(|(k, _)| !is_content_key(k) && !volatile(k))
            .collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        v
    }
    let (a, b) = (stable(left.set, l), stable(right.set, r));
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|((ka, ta), (kb, tb))| ka == kb && same_text(left, Some(*ta), right, Some(*tb)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_threshold() {
        assert!(!duration_changed(100_000_000, 115_000_000), "15% is jitter");
        assert!(duration_changed(100_000_000, 300_000_000));
        assert!(
            !duration_changed(100_000, 900_000),
            "under a millisecond is never a change"
        );
        assert!(
            volatile("gen_ai.response.id")
                && volatile("tool_call_id")
                && !volatile("gen_ai.request.model")
        );
    }
}
