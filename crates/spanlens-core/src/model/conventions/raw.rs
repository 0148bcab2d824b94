//! Role values read straight from their JSON text, without building `Value`s where the
//! text is plain: compact OTLP scalars (`{"stringValue":"chat"}`) and MLflow's
//! JSON-in-string strings (`"\"AGENT\""`). Anything else goes to the general decoder.

use serde_json::Value;

/// An OTLP `AnyValue` holding a string, integer, double or boolean, decoded directly.
pub(super) fn otlp_scalar(raw: &[u8]) -> Option<Value> {
    if let Some(v) = otlp_scalar_compact(raw) {
        return Some(v);
    }
    #[derive(serde::Deserialize)]
    struct Any<'a> {
        #[serde(borrow, default, rename = "stringValue")]
        string: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default, rename = "intValue")]
        int: Option<&'a serde_json::value::RawValue>,
        #[serde(default, rename = "doubleValue")]
        double: Option<f64>,
        #[serde(default, rename = "boolValue")]
        boolean: Option<bool>,
    }
    let any: Any = serde_json::from_slice(raw).ok()?;
    if let Some(s) = any.string {
        return Some(Value::String(s.into_owned()));
    }
    if let Some(i) = any.int {
        let t = i.get().trim_matches('"');
        return Some(
            t.parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(t.to_owned())),
        );
    }
    any.double.map(Value::from).or(any.boolean.map(Value::Bool))
}

/// `{"stringValue":"..."}` without escapes and `{"intValue":"..."}`, written compactly as
/// the Collector does, read without serde_json (PERF: a third of the cost of a span's
/// semantics was this parse).
pub(super) fn otlp_scalar_compact(raw: &[u8]) -> Option<Value> {
    if raw.starts_with(br#"{"stringValue":""#) {
        return otlp_compact_str(raw).map(|s| Value::String(s.to_owned()));
    }
    let t = plain(
        raw.strip_prefix(br#"{"intValue":""#)?
            .strip_suffix(br#""}"#)?,
    )?;
    Some(
        t.parse::<i64>()
            .map_or_else(|_| Value::String(t.to_owned()), Value::from),
    )
}

/// The text of a compact `{"stringValue":"..."}` without escapes.
pub(super) fn otlp_compact_str(raw: &[u8]) -> Option<&str> {
    plain(
        raw.strip_prefix(br#"{"stringValue":""#)?
            .strip_suffix(br#""}"#)?,
    )
}

/// The string a JSON-in-string value decodes to (`decode_value(raw, Enc::JsonStrJson)`),
/// when that is plain: `"\"X\""` (a JSON string holding a JSON string) gives `X`, and `"X"`
/// gives `X` unless `X` reads as an object or array; `X` with no quote, backslash or control
/// character, so neither level needs unescaping. `None` for anything else.
pub(super) fn json_str_json_compact(raw: &[u8]) -> Option<&str> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let (t, nested) = match inner.strip_prefix(br#"\""#) {
        Some(rest) => (rest.strip_suffix(br#"\""#)?, true),
        None => (inner, false),
    };
    let t = plain(t)?;
    if t.bytes().any(|b| b < 0x20) {
        return None;
    }
    let object_like = |t: &str| t.trim_start().starts_with(['{', '[']);
    (nested || !object_like(t)).then_some(t)
}

/// `t` as text if it holds no quote or backslash (so it needs no unescaping).
fn plain(t: &[u8]) -> Option<&str> {
    let t = std::str::from_utf8(t).ok()?;
    (!t.bytes().any(|b| b == b'"' || b == b'\\')).then_some(t)
}
