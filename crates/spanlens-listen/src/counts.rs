//! Running totals of what the receiver took in, shared between its thread and whoever
//! reports them (the live view's indicator, the headless log line).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Totals since the receiver started; updated lock-free by the server thread.
#[derive(Debug, Default)]
pub struct Counts {
    requests: AtomicU64,
    spans: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
}

/// One reading of [`Counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountsSnapshot {
    /// Requests answered 200 (including those with some spans rejected).
    pub requests: u64,
    /// Spans accepted (saved and handed on).
    pub spans: u64,
    /// Spans refused in a partial success (bad trace or span id).
    pub rejected: u64,
    /// Requests answered with an error status (4xx, 5xx).
    pub failed: u64,
}

impl Counts {
    pub(crate) fn accepted(&self, spans: u64, rejected: u64) {
        self.requests.fetch_add(1, Relaxed);
        self.spans.fetch_add(spans, Relaxed);
        self.rejected.fetch_add(rejected, Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.failed.fetch_add(1, Relaxed);
    }

    pub fn snapshot(&self) -> CountsSnapshot {
        CountsSnapshot {
            requests: self.requests.load(Relaxed),
            spans: self.spans.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            failed: self.failed.load(Relaxed),
        }
    }
}
