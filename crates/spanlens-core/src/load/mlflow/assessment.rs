//! MLflow 3 assessments read from their JSON text through borrowed typed fields, with the
//! `Value` reading (`super::assessment`) kept for anything unusual, so both give the same
//! assessment. The top-level fields come from serde (`read`) or from the fast reader's
//! token walk (`read_fields`). PERF: parsing every assessment into a `serde_json::Value`
//! (a map per object, a `String` per key and value) was a fifth of loading real-shape
//! MLflow 3 lines; parsing each again with serde, after the token walk had read past it,
//! was still a tenth.

use crate::model::{Assessment, ids};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// An assessment from the JSON text of one element of `info.assessments`.
pub(super) fn read(text: &str) -> Option<Assessment> {
    typed(text).unwrap_or_else(|| by_value(text))
}

/// The assessment of `text`, an object whose top-level `fields` were read by a walk of
/// its tokens (each the first occurrence of its key; no key given twice).
pub(super) fn read_fields(text: &str, fields: Fields) -> Option<Assessment> {
    let from = (!too_deep(text)).then(|| from_fields(fields)).flatten();
    from.unwrap_or_else(|| by_value(text))
}

fn by_value(text: &str) -> Option<Assessment> {
    let v = serde_json::from_str(text).unwrap_or(Value::Null);
    super::assessment(&v)
}

/// `serde_json` stops at 128 levels; nested this deep the two readings could differ.
fn too_deep(text: &str) -> bool {
    text.bytes().filter(|b| matches!(b, b'{' | b'[')).count() > 100
}

/// The typed reading: `None` when it cannot promise the `Value` reading's answer (not an
/// object, duplicate keys, a field of an unexpected shape, deep nesting), `Some(answer)`
/// otherwise.
fn typed(text: &str) -> Option<Option<Assessment>> {
    let t = text.trim();
    if !t.starts_with('{') || too_deep(t) {
        return None;
    }
    from_fields(serde_json::from_str(t).ok()?)
}

/// The assessment of its top-level fields (see `typed`).
fn from_fields(doc: Fields) -> Option<Option<Assessment>> {
    let bodies = [
        ("feedback", doc.feedback),
        ("expectation", doc.expectation),
        ("issue", doc.issue),
    ];
    let Some((kind, body)) = bodies.into_iter().find_map(|(k, b)| b.map(|b| (k, b))) else {
        return Some(None);
    };
    let body: Body = fields(Some(body))?.unwrap_or_default();
    let value = match body.serialized_value {
        Some(sv) => fields::<Serialized>(Some(sv))?
            .unwrap_or_default()
            .value
            .and_then(string)
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null),
        None => match body.value {
            Some(v) => serde_json::from_str(v).ok()?,
            None => Value::Null,
        },
    };
    let error = fields::<ErrorFields>(body.error)?.map(|e| {
        let code = e.error_code.and_then(string);
        let msg = e.error_message.and_then(string);
        format!(
            "{}: {}",
            code.as_deref().unwrap_or("ERROR"),
            msg.as_deref().unwrap_or("")
        )
    });
    let source = fields::<SourceFields>(doc.source)?.map(|s| {
        let kind = s.source_type.and_then(string);
        let id = s.source_id.and_then(string);
        let both = format!(
            "{} {}",
            kind.as_deref().unwrap_or(""),
            id.as_deref().unwrap_or("")
        );
        both.trim().to_owned()
    });
    let owned = |f: Option<&str>| f.and_then(string).map(Cow::into_owned);
    Some(Some(Assessment {
        trace_id: ids::normalize(&doc.trace_id.and_then(string).unwrap_or_default()).into_owned(),
        span_id: doc
            .span_id
            .and_then(string)
            .map(|id| ids::normalize(&id).into_owned()),
        name: owned(doc.assessment_name).unwrap_or_default(),
        kind: kind.to_owned(),
        value,
        rationale: owned(doc.rationale),
        source,
        error,
        id: owned(doc.assessment_id),
        time_ns: doc
            .last_update_time
            .and_then(string)
            .or_else(|| doc.create_time.and_then(string))
            .and_then(|t| crate::model::time::parse_iso(&t)),
    }))
}

/// A JSON string's text (`Value::as_str`): `None` for any other value.
fn string(t: &str) -> Option<Cow<'_, str>> {
    if !t.starts_with('"') {
        return None;
    }
    crate::load::json::string_text(t)
}

/// The fields of a present nested object: `Ok(None)` when absent, all absent when the
/// value is no object (as `Value::get` finds nothing in it), `None` (give up) when the
/// object does not fit `T`. Only objects are parsed: serde would read an array as a struct.
fn fields<'a, T: Deserialize<'a> + Default>(raw: Option<&'a str>) -> Option<Option<T>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    if !raw.starts_with('{') {
        return Some(Some(T::default()));
    }
    serde_json::from_str(raw).ok().map(Some)
}

/// A field's JSON text when its key is there, `null` included: the `Value` reading counts
/// a present `null` (`"error": null` is an error), which a plain `Option` would lose.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de str>, D::Error> {
    <&RawValue>::deserialize(d).map(|v| Some(v.get()))
}

/// The top-level fields read, each as its JSON text when its key is there. serde rejects
/// duplicate keys, where the `Value` reading keeps the last: those go to the `Value`
/// reading, and so must a token walk that finds a key twice.
#[derive(Deserialize, Default, Clone, Copy, Debug)]
pub(super) struct Fields<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) trace_id: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) span_id: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) assessment_name: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) assessment_id: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) rationale: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) last_update_time: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) create_time: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) source: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) feedback: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) expectation: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(super) issue: Option<&'a str>,
}

/// `feedback`, `expectation` or `issue`.
#[derive(Deserialize, Default)]
struct Body<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    value: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    serialized_value: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    error: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct Serialized<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    value: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct ErrorFields<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    error_code: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    error_message: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct SourceFields<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    source_type: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    source_id: Option<&'a str>,
}

#[cfg(test)]
#[path = "assessment_tests.rs"]
mod tests;
