//! The spans as the loaders left them, batch by batch, and their gathering into the
//! arena's final order, which frees each batch's spans once nothing more is read from it.

use super::span::Span;
use rayon::prelude::*;
use std::ops::Range;

/// The spans as loaded, batch by batch (not concatenated: the arena is gathered from
/// here in its final order, so the spans are copied once).
pub(super) struct Loaded {
    parts: Vec<Vec<Span>>,
    /// Index of each part's first span.
    starts: Vec<u32>,
    /// The part each span is in (PERF: O(1) indexing, no search).
    part_of: Vec<u32>,
}

impl std::ops::Index<usize> for Loaded {
    type Output = Span;
    fn index(&self, i: usize) -> &Span {
        let part = self.part_of[i] as usize;
        &self.parts[part][i - self.starts[part] as usize]
    }
}

/// Spans per window of the gather: 16 Ki spans are 4 MB, enough work for the pool to
/// spread. PERF: smaller windows free batches sooner, so more of the arena is written on
/// their pages (see `PageSupply`) and less on fresh ones. From 64 Ki, arrange at 100k
/// collector OTLP spans went 15 to 12-13 ms and peak memory 71 to 60 MB; 8 Ki gained
/// nothing more.
const WINDOW: usize = 1 << 14;

impl Loaded {
    /// The batches' spans, in batch order.
    pub(super) fn new(parts: Vec<Vec<Span>>) -> Loaded {
        let total = parts.iter().map(Vec::len).sum();
        let mut loaded = Loaded {
            parts: Vec::with_capacity(parts.len()),
            starts: Vec::with_capacity(parts.len()),
            part_of: Vec::with_capacity(total),
        };
        let mut start = 0u32;
        for part in parts {
            loaded.starts.push(start);
            start += part.len() as u32;
            let ix = loaded.parts.len() as u32;
            loaded.part_of.extend(std::iter::repeat_n(ix, part.len()));
            loaded.parts.push(part);
        }
        loaded
    }

    /// Spans loaded, each batch's in a row (for tests).
    #[cfg(test)]
    pub(super) fn parts(&self) -> impl Iterator<Item = &[Span]> {
        self.parts.iter().map(Vec::as_slice)
    }

    /// The arena of `len` spans, window by window: `sources(w)` says what to gather into
    /// the positions `w`, `raw(s)` the raw index `make(self, s)` reads to make the span.
    /// Each batch's spans are freed once the last window that reads from them is written.
    ///
    /// PERF: gathering the whole arena at once held every span twice at its peak (240 MB
    /// more at a million spans, most of `summary`'s peak memory). Exports list traces
    /// roughly in time order, the arena's order, so batches are freed about as fast as the
    /// arena fills; a file in another order peaks as before, never higher. The sources
    /// are made window by window, twice (once to find the last reads, once to gather):
    /// cheap next to the copy, and 8 MB less than a list of them all at 1M spans.
    ///
    /// PERF: a batch freed gives its pages to the windows still to come, instead of the
    /// kernel zeroing fresh ones for them and unmapping the batch's. Arrange at 1M
    /// collector OTLP spans: 206-212 to 122-130 ms; 1M MLflow 3: 202-222 to 156-173 ms.
    pub(super) fn gather<S: Send>(
        &mut self,
        len: usize,
        sources: impl Fn(Range<usize>) -> Vec<S> + Sync,
        raw: impl Fn(&S) -> u32 + Sync,
        make: impl Fn(&Loaded, &S) -> Span + Sync,
    ) -> Vec<Span> {
        let last = self.last_reads(len, |w| sources(w).iter().map(&raw).collect());
        let mut arena: Vec<Span> = Vec::with_capacity(len);
        let mut pages = crate::memory::PageSupply::default();
        for (w, window) in windows(len).enumerate() {
            let window = sources(window);
            pages.prefault_next(&mut arena, window.len());
            let this = &*self;
            arena.par_extend(window.into_par_iter().map(|s| make(this, &s)));
            for (part, _) in last.iter().enumerate().filter(|(_, l)| **l == Some(w)) {
                pages.donate(std::mem::take(&mut self.parts[part]), &mut arena);
            }
        }
        arena
    }

    /// For each part, the last window of an arena of `len` spans that reads from it
    /// (`None`: none does), where `raws(w)` are the raw indices read into window `w`.
    fn last_reads(
        &self,
        len: usize,
        raws: impl Fn(Range<usize>) -> Vec<u32> + Sync,
    ) -> Vec<Option<usize>> {
        let windows: Vec<Range<usize>> = windows(len).collect();
        let per_window: Vec<Vec<u32>> = (windows.into_par_iter())
            .map(|window| {
                let mut parts: Vec<u32> = (raws(window).iter())
                    .map(|&i| self.part_of[i as usize])
                    .collect();
                parts.sort_unstable();
                parts.dedup();
                parts
            })
            .collect();
        let mut last = vec![None; self.parts.len()];
        for (w, parts) in per_window.iter().enumerate() {
            for &p in parts {
                last[p as usize] = Some(w);
            }
        }
        last
    }
}

/// The windows of an arena of `len` spans, in order.
fn windows(len: usize) -> impl Iterator<Item = Range<usize>> {
    (0..len)
        .step_by(WINDOW)
        .map(move |a| a..(a + WINDOW).min(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(seq: u64) -> Span {
        Span {
            seq,
            ..Span::default()
        }
    }

    /// Parts of `lens` spans, numbered in load order by `seq`.
    fn loaded(lens: &[usize]) -> Loaded {
        let mut seq = 0;
        let parts = lens
            .iter()
            .map(|&n| {
                (0..n)
                    .map(|_| {
                        seq += 1;
                        span(seq - 1)
                    })
                    .collect()
            })
            .collect();
        Loaded::new(parts)
    }

    fn gathered(l: &mut Loaded, order: &[u32]) -> Vec<u64> {
        let arena = l.gather(
            order.len(),
            |w| order[w].to_vec(),
            |&i| i,
            |l, &i| l[i as usize],
        );
        arena.iter().map(|s| s.seq).collect()
    }

    #[test]
    fn indexes_across_parts() {
        let l = loaded(&[3, 0, 2, 4]);
        let seqs: Vec<u64> = (0..9).map(|i| l[i].seq).collect();
        assert_eq!(seqs, (0..9).collect::<Vec<_>>());
        assert_eq!(
            l.parts().map(<[Span]>::len).collect::<Vec<_>>(),
            [3, 0, 2, 4]
        );
    }

    #[test]
    fn gathers_any_order_across_windows_and_frees_every_part_read() {
        // Three windows and more; the order reverses within blocks and jumps between
        // parts, so parts are read again after others were freed.
        let n = WINDOW * 2 + 777;
        let mut l = loaded(&[n / 3, 5, n - n / 3 - 5 - 11, 11]);
        let mut order: Vec<u32> = (0..n as u32).collect();
        for block in order.chunks_mut(1000) {
            block.reverse();
        }
        order.swap(0, n - 1);
        let want: Vec<u64> = order.iter().map(|&i| i as u64).collect();
        assert_eq!(gathered(&mut l, &order), want);
        assert!(l.parts.iter().all(|p| p.capacity() == 0), "parts freed");
    }

    #[test]
    fn later_windows_written_on_the_pages_of_freed_parts_read_right() {
        // Each part is done with after its own window, so its pages (where the kernel can
        // move them) hold the windows after it; its old spans must never show through.
        let n = WINDOW * 3 + 123;
        let mut l = loaded(&[WINDOW, WINDOW, WINDOW + 123]);
        let mut order: Vec<u32> = (0..n as u32).collect();
        for block in order.chunks_mut(WINDOW) {
            block.reverse();
        }
        let want: Vec<u64> = order.iter().map(|&i| i as u64).collect();
        assert_eq!(gathered(&mut l, &order), want);
    }

    #[test]
    fn a_part_is_freed_after_its_last_window_only() {
        // Part 0 is read in the first window and again in the last one.
        let n = WINDOW * 2;
        let mut l = loaded(&[10, n - 10]);
        let mut order: Vec<u32> = (5..n as u32).collect();
        order.extend(0..5);
        let last = l.last_reads(n, |w| order[w].to_vec());
        assert_eq!(last, [Some(1), Some(1)]);
        let early: Vec<u32> = (0..n as u32).collect();
        assert_eq!(l.last_reads(n, |w| early[w].to_vec()), [Some(0), Some(1)]);
        assert_eq!(gathered(&mut l, &order).len(), n);
    }

    #[test]
    fn spans_never_read_leave_their_part_to_the_caller() {
        let mut l = loaded(&[2, 3]);
        assert_eq!(gathered(&mut l, &[0, 1]), [0, 1]);
        assert_eq!(l.parts[0].capacity(), 0);
        assert_eq!(
            l.parts[1].len(),
            3,
            "merged-away copies are still counted from it"
        );
    }
}
