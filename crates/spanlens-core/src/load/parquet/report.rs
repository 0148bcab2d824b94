//! What a parquet file tells the explorer while it loads: progress (by rows, shown as the
//! share of the file's bytes), the tallies of the traces read so far, and the answer to a
//! peek at one trace.

use crate::load::input::Input;
use crate::load::preview::{self, Peek};
use crate::load::{Progress, Sink};

/// Where a parquet load reports after each group of record batches.
pub struct Report<'a> {
    pub input: &'a Input,
    pub path: &'a str,
    /// Rows in the file (from its metadata).
    pub rows: u64,
    /// The format named in a partial trace set.
    pub format: String,
    pub preview: Option<&'a Peek>,
    pub progress: &'a (dyn Fn(Progress) + Sync),
}

impl Report<'_> {
    /// After a group: `parts` are all parts so far, the last `fresh` of them new, and
    /// `rows_done` rows have been read.
    pub fn group_done(&self, parts: &[Sink], fresh: usize, rows_done: u64) {
        let len = self.input.len();
        let done = (len as u128 * rows_done as u128 / self.rows.max(1) as u128) as u64;
        let p = Progress::bytes(self.path, done.min(len), len);
        (self.progress)(match self.preview {
            Some(peek) => preview::with_preview(p, peek, (self.input, &self.format), parts, fresh),
            None => p,
        });
    }
}
