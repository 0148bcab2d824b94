//! The decoded record batches a parquet load holds at once, counted: memory stays bounded
//! only while each batch is dropped once its rows are loaded, and a test checks that.

use arrow_array::RecordBatch;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// How many decoded batches are held now, and the most held at once.
#[derive(Debug, Default)]
pub(super) struct Live {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl Live {
    /// A batch just decoded, counted until it is dropped.
    pub(super) fn hold(&self, batch: RecordBatch) -> Held<'_> {
        let now = self.now.fetch_add(1, Relaxed) + 1;
        self.most.fetch_max(now, Relaxed);
        Held { batch, live: self }
    }

    pub(super) fn most(&self) -> usize {
        self.most.load(Relaxed)
    }
}

/// A decoded batch, counted in its `Live` while it exists.
pub(super) struct Held<'a> {
    pub(super) batch: RecordBatch,
    live: &'a Live,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.live.now.fetch_sub(1, Relaxed);
    }
}

#[cfg(test)]
thread_local! {
    /// The most batches held at once by the last parquet load on this thread.
    pub(super) static MOST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
