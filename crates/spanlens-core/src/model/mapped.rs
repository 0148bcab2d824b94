//! Reading many payloads at once: files are mapped once for the whole computation, so each
//! read is a slice of the map instead of a system call and a copy (PERF: the tool lens
//! reads arguments, definitions and outputs of up to hundreds of thousands of spans, and
//! decoding every kept assessment reads 570,000 texts at 1M MLflow 3 spans). Anything not
//! mapped falls back to `Sources::with_bytes`.

use super::text::{SourceData, Sources, TextRef};
use std::borrow::Cow;

/// Maps of a trace set's file sources, by source index.
pub struct Mapped<'s> {
    sources: &'s Sources,
    maps: Vec<Option<memmap2::Mmap>>,
}

impl<'s> Mapped<'s> {
    pub fn new(sources: &'s Sources) -> Mapped<'s> {
        let maps = (0..sources.len())
            .map(|i| match sources.get(i as u16).map(|s| &s.data) {
                // Read-only, as `search::raw` maps it (see `memory::map`).
                Some(SourceData::File(f)) => crate::memory::map(f).ok(),
                _ => None,
            })
            .collect();
        Mapped { sources, maps }
    }

    /// The bytes behind `r` in its file's map, when it is mapped.
    fn slice(&self, r: TextRef) -> Option<&[u8]> {
        let map = self.maps.get(r.src as usize)?.as_ref()?;
        let off = usize::try_from(r.off).ok()?;
        map.get(off..off.checked_add(r.len as usize)?)
    }

    /// The raw bytes behind `r`: borrowed from the map, else read as `Sources::bytes` does.
    pub fn bytes(&self, r: TextRef) -> std::io::Result<Cow<'_, [u8]>> {
        match self.slice(r) {
            Some(b) => Ok(Cow::Borrowed(b)),
            None => self.sources.bytes(r),
        }
    }

    /// Calls `f` with the raw bytes behind `r`; unreadable text gives no call.
    pub fn with_bytes(&self, r: TextRef, f: &mut dyn FnMut(&[u8])) {
        match self.slice(r) {
            Some(b) => f(b),
            None => {
                let _ = self.sources.with_bytes(r, f);
            }
        }
    }

    /// Gives back the mapped pages of source `src` from the byte `from` up to `to` (see
    /// `memory::release`), for a reader done with that part of the file.
    pub fn release(&self, src: u16, from: u64, to: u64) {
        let map = self.maps.get(src as usize).and_then(Option::as_ref);
        if let (Some(m), Ok(from), Ok(to)) = (map, usize::try_from(from), usize::try_from(to))
            && from < to
        {
            crate::memory::release(m, from, to);
        }
    }

    /// The decoded value behind `r`.
    pub fn value(&self, r: TextRef) -> serde_json::Value {
        let mut v = serde_json::Value::Null;
        self.with_bytes(r, &mut |b| v = crate::model::text::decode_value(b, r.enc));
        v
    }

    /// The display text behind `r` (JSON strings unescaped).
    pub fn text(&self, r: TextRef) -> String {
        let mut t = String::new();
        self.with_bytes(r, &mut |b| t = crate::model::text::decode_text(b, r.enc));
        t
    }
}
