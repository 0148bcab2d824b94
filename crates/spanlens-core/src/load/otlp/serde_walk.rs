//! The serde_json reader of OTLP requests: every shape the fast reader gives up on, and
//! the error (with its position) when a request is not valid.
//!
//! PERF: the request is walked with serde seeds that write each span straight into the
//! batch: no intermediate `Vec` of spans or attributes, keys borrowed from the input,
//! values kept as `&RawValue` positions.

use super::{Out, Reading, ResourceKey, ScopeKey, Scoped, SpanKey, is_resource_spans};
use crate::load::json::{CowStr, Ctx};
use crate::model::{Batch, Enc, Sym, TextRef};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// Parses one request object into `batch`: the number of spans added, or the error.
pub(super) fn parse_request(
    ctx: &Ctx,
    text: &str,
    seq_base: u64,
    batch: &mut Batch,
) -> Result<usize, serde_json::Error> {
    let mut out = Out {
        ctx,
        batch,
        seq: seq_base,
        count: 0,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let keys = Request(&mut out).deserialize(&mut de)?;
    de.end()?;
    if let Some(keys) = keys {
        let msg = format!("no `resourceSpans` in this request (keys: {keys}); nothing to load");
        out.batch.diag(ctx.path, ctx.line_of_text(text), msg);
    }
    Ok(out.count)
}

/// Parses a bare span object (Phoenix `/spans/otlpv1` rows).
pub fn parse_bare_span(ctx: &Ctx, raw: &RawValue, seq: u64, batch: &mut Batch) -> bool {
    let mut out = Out {
        ctx,
        batch,
        seq,
        count: 0,
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let scoped = Scoped {
        resource: None,
        scope: Sym::EMPTY,
    };
    match SpanSeed(&mut out, &scoped).deserialize(&mut de) {
        Ok(()) => true,
        Err(e) => {
            batch.diag(ctx.path, ctx.line_of(raw), format!("span skipped: {e}"));
            false
        }
    }
}

struct Request<'o, 'c, 'b>(&'o mut Out<'c, 'b>);

/// Reads a request; `Some(its keys)` when it has no `resourceSpans`.
impl<'de> DeserializeSeed<'de> for Request<'_, '_, '_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Request<'_, '_, '_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OTLP traces request")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
        let (mut found, mut keys) = (false, Vec::new());
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            if is_resource_spans(&key) {
                found = true;
                let at = self.0.ctx.offset_of(&key);
                map.next_value_seed(List(self.0, ListOf::Resource, at))?
            } else {
                if keys.len() < 6 {
                    keys.push(key.0.into_owned());
                }
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok((!found).then(|| keys.join(", ")))
    }
}

/// What the elements of a list are.
#[derive(Clone, Copy)]
enum ListOf {
    Resource,
    Scope(Option<TextRef>),
}

/// A list, and where its key is (for the warning when it is `null`).
struct List<'o, 'c, 'b>(&'o mut Out<'c, 'b>, ListOf, Option<usize>);

impl<'de> DeserializeSeed<'de> for List<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for List<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        let name = match self.1 {
            ListOf::Resource => "resourceSpans",
            ListOf::Scope(_) => "scopeSpans",
        };
        self.0.null_list(name, self.2);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let List(out, of, _) = self;
        match of {
            ListOf::Resource => while seq.next_element_seed(ResourceSeed(out))?.is_some() {},
            ListOf::Scope(resource) => {
                while seq.next_element_seed(ScopeSeed(out, resource))?.is_some() {}
            }
        }
        Ok(())
    }
}

struct ResourceSeed<'o, 'c, 'b>(&'o mut Out<'c, 'b>);

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("resourceSpans")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let first = out.batch.spans.len();
        let mut resource = None;
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            match ResourceKey::of(&key) {
                ResourceKey::Resource => {
                    let raw: Option<&'de RawValue> = map.next_value()?;
                    resource = out.ctx.at_opt(raw, Enc::Json);
                }
                ResourceKey::ScopeSpans => {
                    let at = out.ctx.offset_of(&key);
                    map.next_value_seed(List(out, ListOf::Scope(resource), at))?;
                }
                ResourceKey::Other => {
                    out.unknown_key(&key, "resourceSpans");
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        out.close_resource(first, resource);
        Ok(())
    }
}

struct ScopeSeed<'o, 'c, 'b>(&'o mut Out<'c, 'b>, Option<TextRef>);

impl<'de> DeserializeSeed<'de> for ScopeSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

#[derive(Deserialize)]
struct Scope<'a> {
    #[serde(borrow, default)]
    name: Option<CowStr<'a>>,
}

impl<'de> Visitor<'de> for ScopeSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("scopeSpans")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ScopeSeed(out, resource) = self;
        let first = out.batch.spans.len();
        let mut scoped = Scoped {
            resource,
            scope: Sym::EMPTY,
        };
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            match ScopeKey::of(&key) {
                ScopeKey::Scope => {
                    let scope: Option<Scope<'de>> = map.next_value()?;
                    scoped.scope = out
                        .batch
                        .sym(scope.and_then(|s| s.name).as_deref().unwrap_or(""));
                }
                ScopeKey::Spans => {
                    let at = out.ctx.offset_of(&key);
                    map.next_value_seed(Spans(out, &scoped, at))?
                }
                ScopeKey::Other => {
                    out.unknown_key(&key, "scopeSpans");
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        out.close_scope(first, scoped.scope);
        Ok(())
    }
}

struct Spans<'o, 'c, 'b, 's>(&'o mut Out<'c, 'b>, &'s Scoped, Option<usize>);

impl<'de> DeserializeSeed<'de> for Spans<'_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Spans<'_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of spans")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.null_list("spans", self.2);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(SpanSeed(self.0, self.1))?.is_some() {}
        Ok(())
    }
}

struct SpanSeed<'o, 'c, 'b, 's>(&'o mut Out<'c, 'b>, &'s Scoped);

impl<'de> DeserializeSeed<'de> for SpanSeed<'_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// A status object: `{code, message}`, code as a number or a name.
#[derive(Deserialize)]
struct OtlpStatus<'a> {
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

impl<'de> Visitor<'de> for SpanSeed<'_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a span")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let SpanSeed(out, scoped) = self;
        let mut r = out.begin();
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            match SpanKey::of(&key) {
                SpanKey::Attributes => map.next_value_seed(Attributes(out, &mut r))?,
                SpanKey::Status => {
                    if let Some(st) = map.next_value::<Option<OtlpStatus<'de>>>()? {
                        let text = |v: Option<&'de RawValue>| v.map(RawValue::get);
                        out.set_status(&mut r, text(st.code), text(st.message));
                    }
                }
                SpanKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                k if k.is_str() => {
                    let s = map.next_value::<Option<CowStr>>()?.unwrap_or_default();
                    out.set_str(&mut r, k, &s);
                }
                k => {
                    let raw = map.next_value::<Option<&'de RawValue>>()?;
                    out.set_raw(&mut r, k, raw.map(RawValue::get));
                }
            }
        }
        out.finish(r, scoped);
        Ok(())
    }
}

struct Attributes<'o, 'c, 'b, 'r, 't>(&'o mut Out<'c, 'b>, &'r mut Reading<'t>);

impl<'de> DeserializeSeed<'de> for Attributes<'_, '_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// One `{key, value}` attribute, value kept raw.
#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: CowStr<'a>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

impl<'de> Visitor<'de> for Attributes<'_, '_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of attributes")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Attributes(out, r) = self;
        while let Some(kv) = seq.next_element::<KeyValue<'de>>()? {
            if let Some(v) = kv.value {
                out.attr(r, &kv.key, v.get());
            }
        }
        Ok(())
    }
}
