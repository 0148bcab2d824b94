//! What changed between two matched spans: duration (beyond a threshold), status, inputs,
//! outputs, tokens, model, name and attributes. Payloads are compared by their bytes when
//! both sides spell them the same way, else by their decoded JSON, so an MLflow export and
//! an OTLP export of the same step compare equal.

use super::align::{matched_by_kind, strip_operation};
use crate::model::conventions::is_content_key;
use crate::model::messages::Direction;
use crate::model::{SpanIx, TextRef, TraceSet};
use std::collections::BTreeMap;

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

/// Attribute keys whose values differ on every run by nature (ids, timestamps).
fn volatile(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
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
    ]
    .iter()
    .any(|v| {
        k == *v
            || k.ends_with(&format!(".{v}"))
            || k.ends_with(&format!("_{v}"))
            || k.contains("_id")
            || k.contains(".id.")
    })
}

/// Compares span `l` of `left` with span `r` of `right`.
pub fn compare(left: &TraceSet, l: SpanIx, right: &TraceSet, r: SpanIx) -> Vec<Change> {
    let (a, b) = (left.span(l), right.span(r));
    let mut out = Vec::new();
    if duration_changed(a.duration_ns(), b.duration_ns()) {
        out.push(Change::Duration);
    }
    // OK and unset both mean "not an error"; exports differ in which they write.
    if a.is_error() != b.is_error() {
        out.push(Change::Status);
    }
    if !same_payload(left, l, a.input, right, r, b.input, Direction::Input) {
        out.push(Change::Input);
    }
    if !same_payload(left, l, a.output, right, r, b.output, Direction::Output) {
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
    if a.attr_enc == b.attr_enc && attributes(left, l) != attributes(right, r) {
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
    left: &TraceSet,
    l: SpanIx,
    a: Option<TextRef>,
    right: &TraceSet,
    r: SpanIx,
    b: Option<TextRef>,
    dir: Direction,
) -> bool {
    if same_text(left, a, right, b) {
        return true;
    }
    if left.span(l).attr_enc == right.span(r).attr_enc {
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
    let (ma, mb) = (convo(left, l), convo(right, r));
    !ma.is_empty() && ma == mb
}

/// The duration rule: relative and absolute change both above their thresholds.
pub fn duration_changed(a: i64, b: i64) -> bool {
    let delta = (b - a).abs();
    delta > DURATION_FLOOR_NS && delta as f64 > DURATION_RATIO * a.max(1) as f64
}

fn same_text(left: &TraceSet, a: Option<TextRef>, right: &TraceSet, b: Option<TextRef>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            if x.enc == y.enc
                && let (Ok(bx), Ok(by)) = (left.sources.bytes(x), right.sources.bytes(y))
                && bx == by
            {
                return true;
            }
            left.sources.value(x) == right.sources.value(y)
        }
        _ => false,
    }
}

/// Stable attributes as decoded values: content keys (compared as input/output) and
/// volatile keys (ids, timestamps) left out.
fn attributes(set: &TraceSet, ix: SpanIx) -> BTreeMap<String, serde_json::Value> {
    set.attrs_of(ix)
        .filter(|(k, _)| !is_content_key(k) && !volatile(k))
        .map(|(k, t)| (k.to_owned(), set.sources.value(t)))
        .collect()
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
