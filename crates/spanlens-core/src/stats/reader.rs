//! Reading many payloads at once: files are mapped once for the whole computation, so each
//! read is a slice of the map instead of a system call and a copy (PERF: the tool lens
//! reads arguments, definitions and outputs of up to hundreds of thousands of spans).
//! Anything not mapped falls back to `Sources::with_bytes`.

use crate::model::{SourceData, TextRef, TraceSet};

/// Maps of the trace set's file sources, by source index.
pub struct Reader<'s> {
    set: &'s TraceSet,
    maps: Vec<Option<memmap2::Mmap>>,
}

impl<'s> Reader<'s> {
    pub fn new(set: &'s TraceSet) -> Reader<'s> {
        let maps = (0..set.sources.len())
            .map(|i| match set.sources.get(i as u16).map(|s| &s.data) {
                // Read-only, as `search::raw` maps it (see `memory::map`).
                Some(SourceData::File(f)) => crate::memory::map(f).ok(),
                _ => None,
            })
            .collect();
        Reader { set, maps }
    }

    /// Calls `f` with the raw bytes behind `r`; unreadable text gives no call.
    pub fn with_bytes(&self, r: TextRef, f: &mut dyn FnMut(&[u8])) {
        let mapped = self.maps.get(r.src as usize).and_then(Option::as_ref);
        let slice = mapped.and_then(|m| {
            let off = usize::try_from(r.off).ok()?;
            m.get(off..off.checked_add(r.len as usize)?)
        });
        match slice {
            Some(b) => f(b),
            None => {
                let _ = self.set.sources.with_bytes(r, f);
            }
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
