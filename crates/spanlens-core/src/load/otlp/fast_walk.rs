//! The fast reader of OTLP requests, over the SIMD token index (`fastjson`). It reads the
//! shapes `serde_walk` reads, field for field through the same `Out` methods, and gives up
//! (`None`, with everything it added to the batch undone) wherever serde_json would fail
//! or decode something: a wrong type, a duplicate field in a derived struct, an escaped
//! key, id or name. `serde_walk` then reads the request again.
//!
//! PERF: this is what makes `summary` on a million spans cost little more than validating
//! the JSON: see README → Performance.

use super::{Out, Reading, ResourceKey, ScopeKey, Scoped, SpanKey, is_resource_spans};
use crate::load::fastjson::{self, Tokens};
use crate::load::json::Ctx;
use crate::model::{Batch, Enc, Sym, TextRef};

/// Parses one request object into `batch`: the number of spans added, or `None` (and the
/// batch as it was) when `serde_walk` must read it.
pub(super) fn parse_request(
    ctx: &Ctx,
    text: &str,
    seq_base: u64,
    batch: &mut Batch,
) -> Option<usize> {
    if !fastjson::enabled() {
        return None;
    }
    fastjson::with_index(text.as_bytes(), |idx| {
        let mark = batch.mark();
        let mut w = Walk {
            out: Out {
                ctx,
                batch: &mut *batch,
                seq: seq_base,
                count: 0,
            },
            t: Tokens::new(text, idx),
            text,
        };
        let read = w.request().is_some() && w.t.done();
        let count = w.out.count;
        if !read {
            batch.rollback(mark);
        }
        read.then_some(count)
    })
}

struct Walk<'c, 'b, 't> {
    out: Out<'c, 'b>,
    t: Tokens<'t>,
    text: &'t str,
}

impl<'t> Walk<'_, '_, 't> {
    /// An object: `f` reads the value of each key.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'t str) -> Option<()>) -> Option<()> {
        if self.t.open(b'{', b'}')? {
            loop {
                let key = self.t.key()?;
                f(self, key)?;
                if !self.t.next_member(b'}')? {
                    break;
                }
            }
        }
        Some(())
    }

    /// An array or `null`: `f` reads each element.
    fn list(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if self.t.null() {
            return Some(());
        }
        if self.t.open(b'[', b']')? {
            loop {
                f(self)?;
                if !self.t.next_member(b']')? {
                    break;
                }
            }
        }
        Some(())
    }

    /// Any value, read past.
    fn skip(&mut self) -> Option<()> {
        self.t.value().map(drop)
    }

    /// Any value as its JSON text; `null` reads as `None` (as `Option<&RawValue>` does).
    fn opt_value(&mut self) -> Option<Option<&'t str>> {
        if self.t.null() {
            return Some(None);
        }
        let (a, b) = self.t.value()?;
        self.text.get(a as usize..b as usize).map(Some)
    }

    /// A string with no escapes, or `null` (as `None`).
    fn opt_str(&mut self) -> Option<Option<&'t str>> {
        if self.t.null() {
            return Some(None);
        }
        self.t.plain_str().map(Some)
    }

    /// A field of a derived struct: read once, as serde's derive refuses duplicates.
    fn once<T>(slot: &mut Option<T>, seen: &mut bool, value: Option<T>) -> Option<()> {
        if std::mem::replace(seen, true) {
            return None;
        }
        *slot = value;
        Some(())
    }

    /// A list that must not be `null` (a null list of resources, scopes or spans is
    /// warned about, which `serde_walk` does).
    fn records(&mut self, f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if self.t.null() {
            return None;
        }
        self.list(f)
    }

    /// A request: one without `resourceSpans` is warned about by `serde_walk`.
    fn request(&mut self) -> Option<()> {
        let mut found = false;
        self.object(|w, key| {
            if is_resource_spans(key) {
                found = true;
                w.records(Self::resource)
            } else {
                w.skip()
            }
        })?;
        found.then_some(())
    }

    /// A key of a resource or scope element other than `schemaUrl`: `serde_walk` warns.
    fn other_key(&mut self, key: &str) -> Option<()> {
        if matches!(key, "schemaUrl" | "schema_url") {
            self.skip()
        } else {
            None
        }
    }

    fn resource(&mut self) -> Option<()> {
        let first = self.out.batch.spans.len();
        let mut resource: Option<TextRef> = None;
        self.object(|w, key| match ResourceKey::of(key) {
            ResourceKey::Resource => {
                let raw = w.opt_value()?;
                resource = w.out.ctx.at_opt_text(raw, Enc::Json);
                Some(())
            }
            ResourceKey::ScopeSpans => {
                let resource = resource;
                w.records(|w| w.scope(resource))
            }
            ResourceKey::Other => w.other_key(key),
        })?;
        self.out.close_resource(first, resource);
        Some(())
    }

    fn scope(&mut self, resource: Option<TextRef>) -> Option<()> {
        let first = self.out.batch.spans.len();
        let mut scoped = Scoped {
            resource,
            scope: Sym::EMPTY,
        };
        self.object(|w, key| match ScopeKey::of(key) {
            ScopeKey::Scope => {
                let name = w.scope_name()?;
                scoped.scope = w.out.batch.sym(name.unwrap_or(""));
                Some(())
            }
            ScopeKey::Spans => w.records(|w| w.span(&scoped)),
            ScopeKey::Other => w.other_key(key),
        })?;
        self.out.close_scope(first, scoped.scope);
        Some(())
    }

    /// `scope`: null, or an object whose `name` is a string or null.
    fn scope_name(&mut self) -> Option<Option<&'t str>> {
        if self.t.null() {
            return Some(None);
        }
        let (mut name, mut seen) = (None, false);
        self.object(|w, key| match key {
            "name" => {
                let v = w.opt_str()?;
                Self::once(&mut name, &mut seen, v)
            }
            _ => w.skip(),
        })?;
        Some(name)
    }

    fn span(&mut self, scoped: &Scoped) -> Option<()> {
        let mut r = self.out.begin();
        self.object(|w, key| match SpanKey::of(key) {
            SpanKey::Attributes => w.list(|w| w.attribute(&mut r)),
            SpanKey::Status => w.status(&mut r),
            SpanKey::Other => w.skip(),
            k if k.is_str() => {
                let s = w.opt_str()?;
                w.out.set_str(&mut r, k, s.unwrap_or(""));
                Some(())
            }
            k => {
                let raw = w.opt_value()?;
                w.out.set_raw(&mut r, k, raw);
                Some(())
            }
        })?;
        self.out.finish(r, scoped);
        Some(())
    }

    /// One `{key, value}` attribute (`key` required, `value` may be missing or null).
    fn attribute(&mut self, r: &mut Reading<'t>) -> Option<()> {
        if let Some((key, (a, b))) = self.t.otlp_attribute() {
            self.out
                .attr(r, key, self.text.get(a as usize..b as usize)?);
            return Some(());
        }
        let (mut key, mut value) = (None, None);
        let (mut seen_key, mut seen_value) = (false, false);
        self.object(|w, k| match k {
            "key" => {
                let s = w.t.plain_str()?;
                Self::once(&mut key, &mut seen_key, Some(s))
            }
            "value" => {
                let v = w.opt_value()?;
                Self::once(&mut value, &mut seen_value, v)
            }
            _ => w.skip(),
        })?;
        let key = key?;
        if let Some(v) = value {
            self.out.attr(r, key, v);
        }
        Some(())
    }

    /// `status`: null, or `{code, message}` with either missing or null.
    fn status(&mut self, r: &mut Reading<'t>) -> Option<()> {
        if self.t.null() {
            return Some(());
        }
        let (mut code, mut message) = (None, None);
        let (mut seen_code, mut seen_message) = (false, false);
        self.object(|w, k| match k {
            "code" => {
                let v = w.opt_value()?;
                Self::once(&mut code, &mut seen_code, v)
            }
            "message" => {
                let v = w.opt_value()?;
                Self::once(&mut message, &mut seen_message, v)
            }
            _ => w.skip(),
        })?;
        self.out.set_status(r, code, message);
        Some(())
    }
}
