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
    /// An assessment (MLflow assessment, Phoenix annotation, Langfuse score, LangSmith
    /// feedback) on the span has another value, or exists on one side only.
    Feedback,
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
            Change::Feedback => "feedback",
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
    // camelCase ids: `mlflow.traceRequestId`, `spanID`, `parentIds`.
    let last = key.rsplit(['.', '_']).next().unwrap_or(key);
    if last.len() > 2
        && ["Id", "ID", "Ids", "IDs"].iter().any(|s| {
            last.ends_with(s)
                && last[..last.len() - s.len()].ends_with(|c: char| c.is_ascii_lowercase())
        })
    {
        return true;
    }
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
    if tokens_differ(a.tokens, b.tokens) {
        out.push(Change::Tokens);
    }
    // An export that does not record the model (MLflow agent spans) is not a change.
    let (ma, mb) = (left.str(a.model), right.str(b.model));
    if !ma.is_empty() && !mb.is_empty() && ma != mb {
        out.push(Change::Model);
    }
    if !out.contains(&Change::Input) && !same_system_prompt((&la, l), (&rb, r)) {
        out.push(Change::Input);
    }
    if !matched_by_kind(a.kind) && display_name(left, l) != display_name(right, r) {
        out.push(Change::Name);
    }
    // Attributes only compare within one family of exports (MLflow keys vs OTel keys
    // would always differ).
    if a.attr_enc == b.attr_enc && !same_attributes((&la, l), (&rb, r)) {
        out.push(Change::Attributes);
    }
    if !feedback_changes(left, l, right, r).is_empty() {
        out.push(Change::Feedback);
    }
    out
}

/// Token counts differ: only counts both sides report are compared (one SDK records a
/// total, another only input and output; one records embedding usage, another none).
fn tokens_differ(a: crate::model::Tokens, b: crate::model::Tokens) -> bool {
    let both = |x: Option<u32>, y: Option<u32>| matches!((x, y), (Some(x), Some(y)) if x != y);
    both(a.input(), b.input())
        || both(a.output(), b.output())
        || matches!((a.sum(), b.sum()), (Some(x), Some(y)) if x != y)
}

/// The GenAI system prompt kept apart from the messages (`gen_ai.system_instructions`) is
/// part of the input; a system message inside `gen_ai.input.messages` already is.
fn same_system_prompt((left, l): (&SpanBytes, SpanIx), (right, r): (&SpanBytes, SpanIx)) -> bool {
    const KEY: &str = "gen_ai.system_instructions";
    let find =
        |b: &SpanBytes, s: SpanIx| b.set.attrs_of(s).find(|(k, _)| *k == KEY).map(|(_, t)| t);
    match (find(left, l), find(right, r)) {
        (None, None) => true,
        (a, b) => same_text(left, a, right, b),
    }
}

/// Assessments of a span, by name: those that target it, and for a trace's first root
/// also those that target the whole trace.
pub fn feedback_of(
    set: &TraceSet,
    s: SpanIx,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let mut out = std::collections::BTreeMap::new();
    if set.assessments.is_empty() {
        return out;
    }
    let t = set.trace_of(s);
    let is_root = set.trace(t).span_start == s.0;
    for (a, (at, aspan)) in set.assessments.iter().zip(&set.assessment_targets) {
        let hit = *at == Some(t) && (*aspan == Some(s) || (aspan.is_none() && is_root));
        if hit {
            out.insert(a.name.clone(), a.value.clone());
        }
    }
    out
}

/// Assessments whose value differs (or that exist on one side only), with both values.
pub fn feedback_changes(
    left: &TraceSet,
    l: SpanIx,
    right: &TraceSet,
    r: SpanIx,
) -> Vec<(String, Option<serde_json::Value>, Option<serde_json::Value>)> {
    if left.assessments.is_empty() && right.assessments.is_empty() {
        return Vec::new();
    }
    let (mut a, mut b) = (feedback_of(left, l), feedback_of(right, r));
    let names: std::collections::BTreeSet<String> = a.keys().chain(b.keys()).cloned().collect();
    names
        .into_iter()
        .filter_map(|n| {
            let (x, y) = (a.remove(&n), b.remove(&n));
            (x != y).then_some((n, x, y))
        })
        .collect()
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
    // Across export families: a payload one exporter does not record is representation,
    // and so is a wrapper of one value (`{"question": "…"}` around the plain question).
    let (Some(a), Some(b)) = (a, b) else {
        return true;
    };
    let unwrap = |s: &SpanBytes, t: TextRef| {
        let mut v = s.get(t).map(|b| decode_value(&b, t.enc))?;
        loop {
            v = match v {
                serde_json::Value::Object(m) if m.len() == 1 => m.into_iter().next()?.1,
                serde_json::Value::Array(mut x) if x.len() == 1 => x.pop()?,
                other => return Some(other),
            }
        }
    };
    if unwrap(left, a).is_some_and(|x| Some(&x) == unwrap(right, b).as_ref()) {
        return true;
    }
    let convo = |set: &TraceSet, s: SpanIx| {
        let d = crate::model::detail::detail(set, s);
        d.messages
            .into_iter()
            .filter(|m| m.direction == dir)
            .map(|m| {
                // Tool results are JSON one SDK pretty-prints and another does not.
                let content = m.content.trim();
                let content = serde_json::from_str::<serde_json::Value>(content)
                    .map_or_else(|_| content.to_owned(), |v| v.to_string());
                (
                    m.role,
                    content,
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
    /// Ids and timestamps by value, whatever their key: hex, base64, `tr-`, UUIDs, ISO
    /// times and epoch numbers differ on every run.
    fn volatile_pair(left: &SpanBytes, a: TextRef, right: &SpanBytes, b: TextRef) -> bool {
        let (Some(x), Some(y)) = (left.get(a), right.get(b)) else {
            return false;
        };
        let (x, y) = (decode_value(&x, a.enc), decode_value(&y, b.enc));
        (volatile_value(&x) && volatile_value(&y)) || x == y
    }
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
        && a.iter().zip(&b).all(|((ka, ta), (kb, tb))| {
            ka == kb
                && (same_text(left, Some(*ta), right, Some(*tb))
                    || volatile_pair(left, *ta, right, *tb))
        })
}

/// A value that is an id or a timestamp.
pub fn volatile_value(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => id_like(s) || time_like(s),
        // Epoch seconds, milliseconds, microseconds or nanoseconds since 2001.
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|x| {
            [1e9, 1e12, 1e15, 1e18]
                .iter()
                .any(|&unit| (0.978 * unit..10.0 * unit).contains(&x))
        }),
        _ => false,
    }
}

/// Hex, `0x` hex, `tr-` hex and base64 ids of 8 or 16 bytes, and UUIDs.
fn id_like(s: &str) -> bool {
    let s = s.trim();
    let n = crate::model::ids::normalize(s);
    let hex = |t: &str| t.len() >= 16 && t.bytes().all(|c| c.is_ascii_hexdigit());
    let uuid = s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    uuid || hex(&n) || hex(s.trim_start_matches("tr-"))
}

/// `2026-12-03T18:16:48Z`, `2026-12-03 18:16:48.123+00:00`.
fn time_like(s: &str) -> bool {
    let b = s.trim().as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b' ')
        && b[13] == b':'
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
        assert!(volatile("mlflow.traceRequestId") && volatile("spanID") && !volatile("valid"));
    }

    #[test]
    fn ids_and_times_by_value_in_every_encoding() {
        use serde_json::json;
        for id in [
            "0x84f212578f747953",
            "84f212578f747953",
            "hPISV493eVM=",
            "tr-0af7651916cd43dd8448eb211c80319c",
            "0AF7651916CD43DD8448EB211C80319C",
            "171105b7-59dd-49c0-9677-a9b1c2d3e4f5",
            "2026-12-03T18:16:48.123Z",
        ] {
            assert!(volatile_value(&json!(id)), "{id}");
        }
        assert!(volatile_value(&json!(1_797_759_864_858_831_985_i64)));
        assert!(volatile_value(&json!(1_797_759_864_858_i64)));
        for not in [json!("hello world"), json!(42), json!("gpt-4o"), json!(0.7)] {
            assert!(!volatile_value(&not), "{not}");
        }
    }
}
