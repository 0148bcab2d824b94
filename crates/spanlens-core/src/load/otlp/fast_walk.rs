//! The fast reader of OTLP requests, over the SIMD token index (`fastjson`). It reads the
//! shapes `serde_walk` reads, field for field through the same `Out` methods, and gives up
//! (`Err`, with the reason, and everything it added to the batch undone) wherever
//! serde_json would fail or warn: a wrong type, a duplicate field in a derived struct, an
//! escaped key, a null list. `serde_walk` then reads the request again. Escaped names, ids
//! and attribute keys are decoded here as serde_json decodes them.
//!
//! PERF: this is what makes `summary` on a million spans cost little more than validating
//! the JSON: see docs/otlp-speed.md.

use super::{Out, Reading, ResourceKey, ScopeKey, Scoped, SpanKey, is_resource_spans};
use crate::load::fastjson::{self, Tokens};
use crate::load::json::Ctx;
use crate::model::{Batch, Enc, Sym, TextRef};
use std::borrow::Cow;

thread_local! {
    /// The last resource this thread walked, and how many tokens it took.
    static LAST_VALUE: std::cell::RefCell<(Vec<u8>, usize)> =
        const { std::cell::RefCell::new((Vec::new(), 0)) };
}

/// The resource text this thread remembers, and its token count (for tests).
#[cfg(test)]
pub(super) fn last_resource() -> (Vec<u8>, usize) {
    LAST_VALUE.with(|last| last.borrow().clone())
}

/// Why the fast reader left a request to `serde_walk`: counted per request in
/// `Batch::slow` (see `GiveUp::as_str` for the words `SPANLENS_TIMINGS` prints).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GiveUp {
    /// `SPANLENS_SERDE_ONLY=1`.
    Off,
    /// The text has no token index (`fastjson::NoIndex`).
    NoIndex(fastjson::NoIndex),
    /// Not valid JSON where the reader was (or nested over 100 deep): serde_json says
    /// where and why.
    Invalid,
    /// A field of a type serde_json refuses (a number for a name, an object for a list).
    WrongType,
    /// A field written twice in an object serde's derive reads (it refuses the second).
    Duplicate,
    /// An object key with an escape in it.
    EscapedKey,
    /// An escape serde_json refuses to decode in a name, id or key (a lone surrogate).
    Undecodable,
    /// `null` where resources, scopes or spans are listed (`serde_walk` warns).
    NullList,
    /// A key a resource or scope element does not have (`serde_walk` warns).
    UnknownKey,
    /// No `resourceSpans` in the request (`serde_walk` warns).
    NoResourceSpans,
    /// An attribute without its `key` (serde_json refuses it).
    NoKey,
    /// Text after the request.
    Trailing,
}

impl GiveUp {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            GiveUp::Off => "fast reader off (SPANLENS_SERDE_ONLY=1)",
            GiveUp::NoIndex(why) => why.as_str(),
            GiveUp::Invalid => "not valid JSON, or nested over 100 deep",
            GiveUp::WrongType => "a field of the wrong type",
            GiveUp::Duplicate => "a field written twice",
            GiveUp::EscapedKey => "an escaped object key",
            GiveUp::Undecodable => "a lone surrogate escape in a name, id or key",
            GiveUp::NullList => "null where resources, scopes or spans are listed",
            GiveUp::UnknownKey => "an unknown key in a resource or scope",
            GiveUp::NoResourceSpans => "no resourceSpans",
            GiveUp::NoKey => "an attribute without a key",
            GiveUp::Trailing => "text after the request",
        }
    }
}

/// Parses one request object into `batch`: the number of spans added, or why `serde_walk`
/// must read it (and the batch as it was).
pub(super) fn parse_request(
    ctx: &Ctx,
    text: &str,
    seq_base: u64,
    batch: &mut Batch,
) -> Result<usize, GiveUp> {
    if !fastjson::enabled() {
        return Err(GiveUp::Off);
    }
    let read = fastjson::try_with_index(text.as_bytes(), |idx| {
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
            why: GiveUp::Invalid,
        };
        let read = match w.request() {
            Some(()) if w.t.done() => Ok(w.out.count),
            Some(()) => Err(GiveUp::Trailing),
            None => Err(w.why),
        };
        if read.is_err() {
            batch.rollback(mark);
        }
        read
    });
    read.map_err(GiveUp::NoIndex)?
}

struct Walk<'c, 'b, 't> {
    out: Out<'c, 'b>,
    t: Tokens<'t>,
    text: &'t str,
    /// Why the walk gave up, set where it does (`Invalid` unless said otherwise).
    why: GiveUp,
}

impl<'t> Walk<'_, '_, 't> {
    /// Gives up for `why`.
    fn fail<T>(&mut self, why: GiveUp) -> Option<T> {
        self.why = why;
        None
    }

    /// Gives up on a token that is not what was expected: a value of another type, or
    /// not valid JSON at all.
    fn unexpected<T>(&mut self) -> Option<T> {
        let why = if self.t.value_next() {
            GiveUp::WrongType
        } else {
            GiveUp::Invalid
        };
        self.fail(why)
    }

    /// An object: `f` reads the value of each key.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'t str) -> Option<()>) -> Option<()> {
        if self.t.peek() != Some(b'{') {
            return self.unexpected();
        }
        if self.t.open(b'{', b'}')? {
            loop {
                let at = self.t.position();
                let Some(key) = self.t.key() else {
                    self.t.rewind(at);
                    let escaped = self.t.escaped_string_next();
                    return self.fail(if escaped {
                        GiveUp::EscapedKey
                    } else {
                        GiveUp::Invalid
                    });
                };
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
        if self.t.peek() != Some(b'[') {
            return self.unexpected();
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

    /// `opt_value` for a resource, which collector files repeat byte for byte on every
    /// line: a text this thread read last time is valid again and has the same tokens,
    /// so it is compared and stepped over instead of walked.
    ///
    /// PERF: a six-attribute resource is about 110 of the 400 tokens of a one-span line
    /// of the collector's file exporter, and walking it cost 7% of the reader's
    /// instructions; comparing its 460 bytes costs a fraction of that.
    fn repeated_value(&mut self) -> Option<Option<&'t str>> {
        if self.t.null() {
            return Some(None);
        }
        let start = self.t.next_offset()? as usize;
        let rest = self.text.as_bytes().get(start..)?;
        let known = LAST_VALUE.with(|last| {
            let (bytes, tokens) = &*last.borrow();
            (!bytes.is_empty() && rest.starts_with(bytes)).then_some((bytes.len(), *tokens))
        });
        if let Some((len, tokens)) = known
            && self.t.skip_known(tokens, (start + len - 1) as u32)
        {
            return self.text.get(start..start + len).map(Some);
        }
        let before = self.t.position();
        let (a, b) = self.t.value()?;
        let text = self.text.get(a as usize..b as usize)?;
        // Only containers: their text ends where their brackets close, so one that starts
        // another text is the whole of the value there. A number is not (`1` starts `12`).
        if !matches!(text.as_bytes()[0], b'{' | b'[') {
            return Some(Some(text));
        }
        LAST_VALUE.with(|last| {
            let (bytes, tokens) = &mut *last.borrow_mut();
            bytes.clear();
            bytes.extend_from_slice(text.as_bytes());
            *tokens = self.t.position() - before;
        });
        Some(Some(text))
    }

    /// A string, its escapes decoded, or `null` (as `None`).
    fn opt_str(&mut self) -> Option<Option<Cow<'t, str>>> {
        if self.t.null() {
            return Some(None);
        }
        self.str().map(Some)
    }

    /// A string, its escapes decoded.
    fn str(&mut self) -> Option<Cow<'t, str>> {
        if self.t.peek() != Some(b'"') {
            return self.unexpected();
        }
        match self.t.str_cow() {
            Some(s) => Some(s),
            None => self.fail(GiveUp::Undecodable),
        }
    }

    /// A field of a derived struct: read once, as serde's derive refuses duplicates.
    fn once<T>(&mut self, slot: &mut Option<T>, seen: &mut bool, value: Option<T>) -> Option<()> {
        if std::mem::replace(seen, true) {
            return self.fail(GiveUp::Duplicate);
        }
        *slot = value;
        Some(())
    }

    /// A list that must not be `null` (a null list of resources, scopes or spans is
    /// warned about, which `serde_walk` does).
    fn records(&mut self, f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if self.t.null() {
            return self.fail(GiveUp::NullList);
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
        if !found {
            return self.fail(GiveUp::NoResourceSpans);
        }
        Some(())
    }

    /// A key of a resource or scope element other than `schemaUrl`: `serde_walk` warns.
    fn other_key(&mut self, key: &str) -> Option<()> {
        if matches!(key, "schemaUrl" | "schema_url") {
            self.skip()
        } else {
            self.fail(GiveUp::UnknownKey)
        }
    }

    fn resource(&mut self) -> Option<()> {
        let first = self.out.batch.spans.len();
        let mut resource: Option<TextRef> = None;
        self.object(|w, key| match ResourceKey::of(key) {
            ResourceKey::Resource => {
                let raw = w.repeated_value()?;
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
                scoped.scope = w.out.batch.sym(name.as_deref().unwrap_or(""));
                Some(())
            }
            ScopeKey::Spans => w.records(|w| w.span(&scoped)),
            ScopeKey::Other => w.other_key(key),
        })?;
        self.out.close_scope(first, scoped.scope);
        Some(())
    }

    /// `scope`: null, or an object whose `name` is a string or null.
    fn scope_name(&mut self) -> Option<Option<Cow<'t, str>>> {
        if self.t.null() {
            return Some(None);
        }
        let (mut name, mut seen) = (None, false);
        self.object(|w, key| match key {
            "name" => {
                let v = w.opt_str()?;
                w.once(&mut name, &mut seen, v)
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
                w.out.set_str(&mut r, k, s.as_deref().unwrap_or(""));
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
                let s = w.str()?;
                w.once(&mut key, &mut seen_key, Some(s))
            }
            "value" => {
                let v = w.opt_value()?;
                w.once(&mut value, &mut seen_value, v)
            }
            _ => w.skip(),
        })?;
        let Some(key) = key else {
            return self.fail(GiveUp::NoKey);
        };
        if let Some(v) = value {
            self.out.attr(r, &key, v);
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
                w.once(&mut code, &mut seen_code, v)
            }
            "message" => {
                let v = w.opt_value()?;
                w.once(&mut message, &mut seen_message, v)
            }
            _ => w.skip(),
        })?;
        self.out.set_status(r, code, message);
        Some(())
    }
}
