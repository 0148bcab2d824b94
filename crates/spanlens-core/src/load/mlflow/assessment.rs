//! MLflow 3 assessments read from their JSON text through borrowed typed fields, with the
//! `Value` reading (`super::assessment`) kept for anything unusual, so both give the same
//! assessment. The fast reader's token walk reads only the top-level fields that link an
//! assessment (`keep`); the rest is decoded from the text when something reads it
//! (`read`, through `model::Stored`).
//!
//! PERF: parsing every assessment into a `serde_json::Value` (a map per object, a
//! `String` per key and value) was a fifth of loading real-shape MLflow 3 lines; typed
//! fields, with the walk's top-level fields, still a sixth (about 1.1 us an assessment).

use crate::model::{Assessment, KeptKind, Stored, Sym, TextRef, ids};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;

/// An assessment from the JSON text of one element of `info.assessments`.
pub(super) fn read(text: &str) -> Option<Assessment> {
    typed(text).unwrap_or_else(|| by_value(text))
}

/// The assessment at `at`, an object whose top-level `fields` were read by a walk of its
/// tokens (each the first occurrence of its key; no key given twice), kept to be decoded
/// by `read` when needed: `None` when it is no assessment (no body), as `read` would say.
/// The ids are those `read` gives: both readings take them from the same fields.
///
/// The walk reads each field's value to at most 100 levels (`Tokens::value`), so the
/// object is at most 101 deep, under serde_json's 128: `read` parses what was kept.
///
/// `trace` is the trace id its `info` gives, as written and canonical: an assessment
/// naming the same id takes the canonical one without normalising it again (PERF: four
/// assessments a trace in MLflow 3 exports).
pub(super) fn keep(at: TextRef, fields: Fields, trace: Option<Known>) -> Option<Stored> {
    let bodies = [
        (KeptKind::Feedback, fields.feedback),
        (KeptKind::Expectation, fields.expectation),
        (KeptKind::Issue, fields.issue),
    ];
    let kind = bodies.into_iter().find(|(_, b)| b.is_some())?.0;
    let span_id = (fields.span_id.and_then(string)).map(|id| ids::normalize(&id).into());
    let written = fields.trace_id.and_then(string).unwrap_or_default();
    let trace = match trace {
        Some((as_written, canonical, sym)) if *written == *as_written => {
            (Arc::clone(canonical), sym)
        }
        _ => (ids::normalize(&written).into(), Sym::EMPTY),
    };
    Some(Stored::kept(trace, span_id, kind, at, decode))
}

/// `read` of bytes the load checked were UTF-8 (the kept text of an assessment).
fn decode(bytes: &[u8]) -> Option<Assessment> {
    read(std::str::from_utf8(bytes).ok()?)
}

/// A trace id as written, its canonical form (`ids::normalize` of the first) and the
/// batch's symbol of that form.
pub(super) type Known<'a> = (&'a str, &'a Arc<str>, Sym);

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
        joined(kind.as_deref().unwrap_or(""), id.as_deref().unwrap_or(""))
    });
    let owned = |f: Option<&str>| f.and_then(string).map(Cow::into_owned);
    Some(Some(Assessment {
        trace_id: canonical_trace(doc.trace_id),
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

/// The canonical id of the trace an assessment names (empty when it names none).
fn canonical_trace(text: Option<&str>) -> String {
    ids::normalize(&text.and_then(string).unwrap_or_default()).into_owned()
}

/// `format!("{kind} {id}").trim()`, as the `Value` reading writes a source, made with one
/// allocation (PERF: one per assessment, half a million at 1M MLflow spans).
fn joined(kind: &str, id: &str) -> String {
    let mut both = String::with_capacity(kind.len() + 1 + id.len());
    both.push_str(kind);
    both.push(' ');
    both.push_str(id);
    match both.trim() {
        t if t.len() == both.len() => both,
        t => t.to_owned(),
    }
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
///
/// Tried: reading these small objects by a walk of their tokens instead (an index of
/// each, then the walk). It cost as many instructions as serde's derive (about 900
/// against 1,000 a call, with the index built), so serde stays.
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
