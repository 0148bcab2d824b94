//! Role values read straight from their JSON text, without building `Value`s where the
//! text is plain: compact OTLP scalars (`{"stringValue":"chat"}`) and MLflow's
//! JSON-in-string strings (`"\"AGENT\""`). Anything else goes to the general decoder.

use serde_json::Value;

/// An OTLP `AnyValue` holding a string, integer, double or boolean, decoded by serde_json
/// (for the values `Member::scalar` does not read).
pub(super) fn otlp_scalar_serde(raw: &[u8]) -> Option<Value> {
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

/// The one member of an OTLP `AnyValue`, `{"stringValue": "chat"}`: its name and its
/// value's text, found once and read by the methods below without serde_json. Compact as
/// the Collector writes it, or with white space between the tokens as Python's `json` and
/// protobuf's `MessageToJson` write it (3 values a span of real-shape base64-id OTLP went
/// to serde_json when only the compact form was read).
#[derive(Clone, Copy)]
pub(super) struct Member<'a> {
    name: &'a [u8],
    value: &'a [u8],
}

/// The one member of `raw`, where `raw` is valid JSON (a slice of a parsed document);
/// `None` for any other shape. A value with a second member after it is kept whole
/// (`"a","b":1`), which the readers below refuse. A name with an escape is kept as
/// written: the readers accept only names spelled exactly (`stringValue`, `intValue`),
/// which an escaped one never is, and its closing quote cannot be an escaped one either
/// when the name ends in a letter. PERF: no scan of every name for a backslash (about 1%
/// of a collector OTLP load's instructions).
pub(super) fn otlp_member(raw: &[u8]) -> Option<Member<'_>> {
    let inner = trim(trim(raw).strip_prefix(b"{")?.strip_suffix(b"}")?);
    let rest = inner.strip_prefix(b"\"")?;
    let close = memchr::memchr(b'"', rest)?;
    let (name, rest) = (&rest[..close], &rest[close + 1..]);
    let value = trim(trim(rest).strip_prefix(b":")?);
    Some(Member { name, value })
}

impl<'a> Member<'a> {
    /// The text of a `stringValue` without escapes.
    pub(super) fn plain_string(self) -> Option<&'a str> {
        (self.name == b"stringValue").then(|| string_text(self.value))?
    }

    /// The JSON string literal of a `stringValue` (escapes and all), as written.
    pub(super) fn string_literal(self) -> Option<&'a [u8]> {
        (self.name == b"stringValue" && self.value.starts_with(b"\"")).then_some(self.value)
    }

    /// A `stringValue` without escapes, or an `intValue` (a string or a bare integer), as
    /// serde reads them (PERF: a third of the cost of a span's semantics was this parse).
    pub(super) fn scalar(self) -> Option<Value> {
        match self.name {
            b"stringValue" => self.plain_string().map(|s| Value::String(s.to_owned())),
            b"intValue" => {
                let t = string_text(self.value).or_else(|| integer_text(self.value))?;
                Some(
                    t.parse::<i64>()
                        .map_or_else(|_| Value::String(t.to_owned()), Value::from),
                )
            }
            _ => None,
        }
    }
}

/// JSON white space trimmed from both ends.
fn trim(t: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = t.iter().position(|b| !ws(b)).unwrap_or(t.len());
    let end = t.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    &t[start..end]
}

/// The text of a JSON string value that needs no unescaping (one string: no quote inside).
fn string_text(value: &[u8]) -> Option<&str> {
    plain(value.strip_prefix(b"\"")?.strip_suffix(b"\"")?)
}

/// A bare JSON integer (`-12`), as text.
fn integer_text(value: &[u8]) -> Option<&str> {
    let digits = value.strip_prefix(b"-").unwrap_or(value);
    let all = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit);
    all.then(|| std::str::from_utf8(value).ok()).flatten()
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
    // PERF: nearly every role value is printable ASCII without quote or backslash,
    // checked a word at a time; a UTF-8 check cost a hundred instructions a value.
    if let Some(t) = spanlens_json::plain_ascii(t) {
        return Some(t);
    }
    let t = std::str::from_utf8(t).ok()?;
    (!t.bytes().any(|b| b == b'"' || b == b'\\')).then_some(t)
}
