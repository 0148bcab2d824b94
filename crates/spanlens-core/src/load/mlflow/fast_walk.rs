//! The fast reader of MLflow `Trace.to_json()` documents (a JSON Lines line, or a whole
//! file), over the SIMD token index (`fastjson`). It reads the shape the serde reader of
//! `load_text` reads, field for field, and hands the same JSON texts to `span::load_span`
//! and `span::record_info`, so both readers give the same batch. It reads the whole
//! document before adding anything, and gives up (with the reason, nothing added) wherever
//! the serde reader would fail, decode a key, or take another way: an escaped key, a
//! duplicate field, `info` after `data`, no span list, a value of an unexpected type.
//!
//! PERF: attribute values are JSON strings holding JSON (`"{\"messages\": …}"`), long and
//! full of escapes, which serde_json steps through escape by escape; here each is one
//! string token of the index, found 64 bytes at a time. Nothing is decoded: values stay
//! references into the file.

use super::assessment;
use super::span::{AssessmentText, InfoFields, SpanFields, load_span, record_info};
use crate::load::Sink;
use crate::load::fastjson::{self, Tokens};
use crate::load::json::Ctx;
use std::ops::Range;

/// Why the fast reader left a document to the serde reader (a slow-path reason).
pub(super) use crate::load::fast_fields::Why;
use crate::load::fast_fields::{FieldWalk, first};

/// Loads `text`, a `Trace.to_json()` document, into `sink`: `Err(why)` and nothing added
/// when the serde reader must read it.
pub(super) fn load_document(sink: &mut Sink, ctx: &Ctx, text: &str, seq: u64) -> Result<(), Why> {
    let read = fastjson::with_index(text.as_bytes(), |idx| {
        let mut w = Walk {
            t: Tokens::new(text, idx),
            text,
            why: "unusual JSON",
            doc: Doc::sized(),
        };
        let read = w.document().is_some() && w.t.done();
        if !read {
            return Some(Err(w.why));
        }
        let doc = w.doc;
        let trace_id = record_info(sink, ctx, &doc.info);
        for (i, s) in doc.spans.iter().enumerate() {
            let attrs = doc.attrs[s.attrs.clone()].iter().copied();
            load_span(
                sink,
                ctx,
                (&s.fields, attrs),
                Some(&trace_id),
                seq + i as u64,
            );
        }
        Some(Ok(()))
    });
    read.unwrap_or(Err(
        "not indexable (a control character or bad escape in a string)",
    ))
}

/// A document as read, before anything is loaded.
#[derive(Default)]
struct Doc<'t> {
    info: InfoFields<'t>,
    spans: Vec<SpanRead<'t>>,
    /// Every span's attributes, back to back: (key, JSON text of the value).
    attrs: Vec<(&'t str, &'t str)>,
}

impl Doc<'_> {
    /// An empty document with room for a typical trace (PERF: the lists grew from nothing
    /// for every document, about 60 reallocations and copies each).
    fn sized() -> Self {
        let mut doc = Doc {
            spans: Vec::with_capacity(16),
            attrs: Vec::with_capacity(128),
            ..Doc::default()
        };
        doc.info.assessments.reserve(8);
        doc
    }
}

/// One span's fields and where its attributes are in `Doc::attrs`.
struct SpanRead<'t> {
    fields: SpanFields<'t>,
    attrs: Range<usize>,
}

struct Walk<'t> {
    t: Tokens<'t>,
    text: &'t str,
    why: Why,
    doc: Doc<'t>,
}

impl<'t> FieldWalk<'t> for Walk<'t> {
    fn tokens(&mut self) -> &mut Tokens<'t> {
        &mut self.t
    }
    fn text(&self) -> &'t str {
        self.text
    }
    fn set_why(&mut self, why: Why) {
        self.why = why;
    }
}

impl<'t> Walk<'t> {
    /// Any value, read past (and checked).
    fn skip(&mut self) -> Option<()> {
        self.t.value().map(drop)
    }

    /// The first key's value of a field that is read as JSON text.
    fn first(&mut self, slot: &mut Option<&'t str>) -> Option<()> {
        let v = self.raw()?;
        first(slot, v);
        Some(())
    }

    /// Where the next value starts, as an empty text there (positions use its address).
    fn here(&self) -> Option<&'t str> {
        let at = self.t.next_offset()? as usize;
        self.text.get(at..at)
    }

    /// `{info, data: {spans}}`; other keys are read past, as serde's derive does.
    fn document(&mut self) -> Option<()> {
        let (mut info, mut data, mut spans) = (false, false, false);
        self.object(|w, key| match key {
            "info" if info => w.give_up("duplicate `info`"),
            "info" if data => w.give_up("`info` after `data`"),
            "info" => {
                info = true;
                w.info()
            }
            "data" if data => w.give_up("duplicate `data`"),
            "data" => {
                data = true;
                w.data(&mut spans)
            }
            _ => w.skip(),
        })?;
        if !spans {
            return self.give_up("no span list");
        }
        Some(())
    }

    /// `info`: null, or an object whose ids, state and assessments are read.
    fn info(&mut self) -> Option<()> {
        if self.t.null() {
            return Some(());
        }
        if !self.is_next(b'{') {
            return self.give_up("`info` is not an object");
        }
        let start = self.t.next_offset()? as usize;
        let mut f = InfoFields::default();
        let mut assessments = false;
        self.object(|w, key| match key {
            "trace_id" => w.first(&mut f.trace_id[0]),
            "request_id" => w.first(&mut f.trace_id[1]),
            "state" => w.first(&mut f.state[0]),
            "status" => w.first(&mut f.state[1]),
            "assessments" if !assessments && w.is_next(b'[') => {
                assessments = true;
                w.array(|w| {
                    let a = w.assessment()?;
                    f.assessments.push(a);
                    Some(())
                })
            }
            "assessments" => {
                assessments = true;
                w.skip()
            }
            _ => w.skip(),
        })?;
        let end = self.t.end_of_last()? as usize;
        f.raw = Some(self.text.get(start..end)?);
        self.doc.info = f;
        Some(())
    }

    /// One element of `info.assessments`: an object's top-level fields are read here, so
    /// that only its small nested objects are parsed again; anything else, and an object
    /// with a key given twice, is read from its text.
    fn assessment(&mut self) -> Option<AssessmentText<'t>> {
        if !self.is_next(b'{') {
            let text = self.raw()?;
            return Some(AssessmentText { text, fields: None });
        }
        let start = self.t.next_offset()? as usize;
        let mut f = assessment::Fields::default();
        let mut twice = false;
        self.object(|w, key| {
            let slot = match key {
                "trace_id" => &mut f.trace_id,
                "span_id" => &mut f.span_id,
                "assessment_name" => &mut f.assessment_name,
                "assessment_id" => &mut f.assessment_id,
                "rationale" => &mut f.rationale,
                "last_update_time" => &mut f.last_update_time,
                "create_time" => &mut f.create_time,
                "source" => &mut f.source,
                "feedback" => &mut f.feedback,
                "expectation" => &mut f.expectation,
                "issue" => &mut f.issue,
                _ => return w.skip(),
            };
            let v = w.raw()?;
            twice |= slot.is_some();
            *slot = Some(v);
            Some(())
        })?;
        let end = self.t.end_of_last()? as usize;
        let text = self.text.get(start..end)?;
        let fields = (!twice).then_some(f);
        Some(AssessmentText { text, fields })
    }

    /// `data`: an object with one `spans` list. Sets `found` when the list is there.
    fn data(&mut self, found: &mut bool) -> Option<()> {
        if !self.is_next(b'{') {
            return self.give_up("`data` is not an object");
        }
        self.object(|w, key| match key {
            "spans" if *found => w.give_up("duplicate `spans`"),
            "spans" if !w.is_next(b'[') => w.give_up("`spans` is not a list"),
            "spans" => {
                *found = true;
                w.array(Self::span)
            }
            _ => w.skip(),
        })
    }

    /// One span dict. Its first non-null `attributes` are its attributes (as the serde
    /// reader's `SpanDict` takes them); every other key is a field, the first occurrence
    /// of each counting.
    fn span(&mut self) -> Option<()> {
        let attrs_from = self.doc.attrs.len();
        let mut f = SpanFields::default();
        let mut took_attrs = false;
        // v3 ids, v2 `context` ids; `status` object fields, top-level status fields.
        let (mut v3, mut v2): ([Option<&str>; 2], Option<[Option<&str>; 2]>) = ([None; 2], None);
        let mut status: Option<[Option<&str>; 4]> = None;
        let mut top_status = [None; 2];
        let (mut seen_context, mut seen_status) = (false, false);
        self.object(|w, key| {
            if key == "attributes" && !took_attrs {
                if w.t.null() {
                    return Some(());
                }
                took_attrs = true;
                return w.attributes();
            }
            if f.first.is_none() {
                f.first = w.here();
            }
            match key {
                "context" if !seen_context => {
                    seen_context = true;
                    if w.is_next(b'{') {
                        v2 = Some(w.fields(["span_id", "trace_id"])?);
                        Some(())
                    } else {
                        w.skip()
                    }
                }
                "status" if !seen_status => {
                    seen_status = true;
                    if w.is_next(b'{') {
                        let keys = ["code", "status_code", "message", "description"];
                        status = Some(w.fields(keys)?);
                        Some(())
                    } else {
                        w.skip()
                    }
                }
                "span_id" => w.first(&mut v3[0]),
                "trace_id" => w.first(&mut v3[1]),
                "parent_span_id" => w.first(&mut f.parent[0]),
                "parent_id" => w.first(&mut f.parent[1]),
                "name" => w.first(&mut f.name),
                "start_time_unix_nano" => w.first(&mut f.start[0]),
                "start_time" => w.first(&mut f.start[1]),
                "end_time_unix_nano" => w.first(&mut f.end[0]),
                "end_time" => w.first(&mut f.end[1]),
                "status_code" => w.first(&mut top_status[0]),
                "status_message" => w.first(&mut top_status[1]),
                "events" => w.first(&mut f.events),
                "links" => w.first(&mut f.links),
                _ => w.skip(),
            }
        })?;
        [f.span_id, f.trace_id] = v2.unwrap_or(v3);
        (f.code, f.message) = match status {
            Some([code, status_code, message, description]) => {
                ([code, status_code], message.or(description))
            }
            None => ([top_status[0], None], top_status[1]),
        };
        let attrs = attrs_from..self.doc.attrs.len();
        self.doc.spans.push(SpanRead { fields: f, attrs });
        Some(())
    }

    /// A span's attributes object: every key and the JSON text of its value, in order.
    fn attributes(&mut self) -> Option<()> {
        if !self.is_next(b'{') {
            return self.give_up("`attributes` is not an object");
        }
        self.object(|w, key| {
            let v = w.raw()?;
            w.doc.attrs.push((key, v));
            Some(())
        })
    }

    /// An object's values for `keys` (first occurrences); other keys are read past.
    fn fields<const N: usize>(&mut self, keys: [&str; N]) -> Option<[Option<&'t str>; N]> {
        let mut out = [None; N];
        self.object(|w, key| match keys.iter().position(|k| *k == key) {
            Some(i) => w.first(&mut out[i]),
            None => w.skip(),
        })?;
        Some(out)
    }
}

/// The assessment an element of `info.assessments` gives through the walk, and whether
/// the walk read its fields: `None` when the walk gives up on `text` (the document would
/// go to the serde reader).
#[cfg(test)]
pub(super) fn walked_assessment(text: &str) -> Option<(bool, Option<crate::model::Assessment>)> {
    fastjson::with_index(text.as_bytes(), |idx| {
        let mut w = Walk {
            t: Tokens::new(text, idx),
            text,
            why: "",
            doc: Doc::default(),
        };
        let a = w.assessment()?;
        w.t.done().then_some(())?;
        let ctx = crate::load::json::Ctx::new(text.as_bytes(), 0, 0, "t.json");
        let read = a.read(&ctx, None).map(|s| {
            let b = text.as_bytes();
            let at = |r: crate::model::TextRef| &b[r.off as usize..][..r.len as usize];
            let got = s.read_with(|r| Ok(at(r).into())).clone();
            // The ids the load links it by are those its decoding gives.
            assert_eq!(s.trace_id(), got.trace_id, "{text}");
            assert_eq!(s.span_id(), got.span_id.as_deref(), "{text}");
            got
        });
        Some((a.fields.is_some(), read))
    })
}
