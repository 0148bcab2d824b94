//! What the last piece of JSON lines held per byte (spans, attribute references, id
//! bytes), to size the next piece's batch.
//!
//! PERF: the guess it replaces (a span per 2 KB, ten attributes each) was short on
//! collector OTLP (a span per 1.8 KB, seventeen attributes): each piece's span and
//! attribute lists were copied as they grew, 1.4% of `summary`'s instructions, and the
//! span list kept up to twice the room it used. Only a hint: pieces of other files parsed
//! meanwhile may mix their sizes in, which costs at most a regrown list.

use crate::model::Batch;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes, spans, attribute references and id bytes of the piece parsed last.
pub(super) struct Shape([AtomicUsize; 4]);

pub(super) static LAST_SHAPE: Shape = Shape([const { AtomicUsize::new(0) }; 4]);

impl Shape {
    /// A batch for a piece of `len` bytes: the last piece's sizes scaled, or the fixed
    /// guess before any piece was parsed.
    pub(super) fn batch_for(&self, len: usize) -> Batch {
        let [bytes, spans, attrs, ids] = self.0.each_ref().map(|a| a.load(Ordering::Relaxed));
        if bytes == 0 || spans == 0 {
            return Batch::with_capacity(len / 2048);
        }
        let scale = |n: usize| (n as u128 * len as u128 / bytes as u128) as usize;
        Batch::with_room(scale(spans), scale(attrs), scale(ids))
    }

    /// Remembers what a piece of `len` bytes held (a piece without spans says nothing).
    pub(super) fn remember(&self, len: usize, batch: &Batch) {
        if batch.spans.is_empty() {
            return;
        }
        let sizes = [len, batch.spans.len(), batch.attrs.len(), batch.ids.len()];
        for (a, n) in self.0.iter().zip(sizes) {
            a.store(n, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AttrRef, Span};

    #[test]
    fn a_piece_is_sized_from_the_last_one_scaled_to_its_bytes() {
        let shape = Shape([const { AtomicUsize::new(0) }; 4]);
        // Before any piece: the fixed guess, a span per 2 KB.
        assert!(shape.batch_for(20_480).spans.capacity() >= 10);
        let mut last = Batch::default();
        last.spans.resize(100, Span::default());
        last.attrs.resize(1_700, AttrRef::default());
        last.ids.resize(3_200, 0);
        shape.remember(180_000, &last);
        // Twice the bytes: room for twice what the last piece held, in every list (the
        // fixed guess would give 196 spans and 1,960 attributes).
        let b = shape.batch_for(360_000);
        assert!(b.spans.capacity() >= 200, "{}", b.spans.capacity());
        assert!(b.attrs.capacity() >= 3_400, "{}", b.attrs.capacity());
        assert!(b.ids.capacity() >= 6_400, "{}", b.ids.capacity());
        // A piece without spans leaves the shape as it was.
        shape.remember(1_000, &Batch::default());
        assert!(shape.batch_for(360_000).attrs.capacity() >= 3_400);
    }
}
