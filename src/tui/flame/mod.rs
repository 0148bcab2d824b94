//! The flame chart of one trace: time across, depth down. Owns the per-depth index that
//! lets a frame be drawn at screen resolution and the selection moved with h/j/k/l.
//!
//! PERF: spans are indexed once per trace by depth, sorted by start, with a prefix count of
//! errors. A row of the chart is then computed per screen column with two binary searches
//! (the spans starting in the column's time slice and the one covering its start), so a
//! frame costs O(width × rows × log spans) however many spans fall into one cell.

pub mod icicle;
pub mod keys;
pub mod view;

use crate::model::{SpanIx, TraceIx, TraceSet};

/// The spans of one depth, sorted by start.
#[derive(Debug, Clone, Default)]
struct Level {
    spans: Vec<u32>,
    starts: Vec<i64>,
    /// errors[i] = error spans among `spans[..i]`.
    error_prefix: Vec<u32>,
}

/// What one screen cell of a chart row shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FlameCell {
    /// The span drawn in the cell (the one covering its start, else the first starting in it).
    pub span: Option<SpanIx>,
    /// More than one span falls into the cell.
    pub dense: bool,
    /// Some span in the cell is an error.
    pub error: bool,
}

/// State of the flame chart screen.
#[derive(Debug, Clone)]
pub struct FlameChart {
    pub trace: TraceIx,
    levels: Vec<Level>,
    pub selected: SpanIx,
    /// The time window shown, `(start, end)` in ns; `zoomed` when narrower than the trace.
    pub window: (i64, i64),
    pub zoomed: bool,
    /// The first depth shown, and how many rows the last frame had room for.
    pub top: usize,
    pub height: usize,
    /// The whole trace's window (spans may end after the trace's recorded end).
    full: (i64, i64),
}

/// A span's end for drawing: in-progress spans and negative durations end where they start.
pub fn end_of(set: &TraceSet, ix: SpanIx) -> i64 {
    let s = set.span(ix);
    s.end_ns().unwrap_or(s.start_ns).max(s.start_ns)
}

impl FlameChart {
    /// Indexes `trace` by depth, with `selected` selected. O(spans log spans), once.
    pub fn new(set: &TraceSet, trace: TraceIx, selected: Option<SpanIx>) -> FlameChart {
        let t = set.trace(trace);
        let mut levels: Vec<Level> = Vec::new();
        for i in t.spans() {
            let depth = set.spans[i].depth as usize;
            if levels.len() <= depth {
                levels.resize_with(depth + 1, Level::default);
            }
            levels[depth].spans.push(i as u32);
        }
        for level in &mut levels {
            level
                .spans
                .sort_by_key(|&i| (set.spans[i as usize].start_ns, i));
            level.starts = level
                .spans
                .iter()
                .map(|&i| set.spans[i as usize].start_ns)
                .collect();
            let mut n = 0;
            level.error_prefix = std::iter::once(0)
                .chain(level.spans.iter().map(|&i| {
                    n += u32::from(set.spans[i as usize].is_error());
                    n
                }))
                .collect();
        }
        let first = SpanIx(t.span_start);
        // Spans may end after the trace's recorded end (clock skew): widen to fit them.
        let end = set.spans[t.spans()]
            .iter()
            .map(|s| s.end_ns().unwrap_or(s.start_ns))
            .fold(t.end_ns, i64::max);
        let mut chart = FlameChart {
            trace,
            levels,
            selected: selected.unwrap_or(first),
            window: (0, 1),
            zoomed: false,
            top: 0,
            height: 10,
            full: (t.start_ns, end.max(t.start_ns + 1)),
        };
        chart.unzoom();
        chart
    }

    /// Number of depths (rows) the chart has.
    pub fn depths(&self) -> usize {
        self.levels.len()
    }

    /// Spans at `depth`.
    pub fn level_len(&self, depth: usize) -> usize {
        self.levels.get(depth).map_or(0, |l| l.spans.len())
    }

    /// The cells of the row for `depth`, `width` columns wide, over the current window.
    pub fn row(&self, set: &TraceSet, depth: usize, width: usize) -> Vec<FlameCell> {
        let mut out = vec![FlameCell::default(); width];
        let Some(level) = self.levels.get(depth) else {
            return out;
        };
        let (w0, w1) = self.window;
        let span = i128::from((w1 - w0).max(1));
        let at = |c: usize| w0 + (span * c as i128 / width.max(1) as i128) as i64;
        for (c, cell) in out.iter_mut().enumerate() {
            let (t0, t1) = (at(c), at(c + 1).max(at(c) + 1));
            let lo = level.starts.partition_point(|&s| s < t0);
            let hi = level.starts.partition_point(|&s| s < t1);
            // The last span starting before the cell, if it reaches into it.
            let covering = lo
                .checked_sub(1)
                .map(|p| level.spans[p])
                .filter(|&p| end_of(set, SpanIx(p)) > t0);
            let inside = hi - lo;
            cell.span = covering
                .or_else(|| (inside > 0).then(|| level.spans[lo]))
                .map(SpanIx);
            cell.dense = inside + usize::from(covering.is_some()) > 1;
            cell.error = level.error_prefix[hi] > level.error_prefix[lo]
                || covering.is_some_and(|p| set.spans[p as usize].is_error());
        }
        out
    }

    /// Screen columns `[a, b)` of span `ix` in a row `width` wide (at least one column when
    /// the span lies in the window), or `None` when it is outside the window.
    pub fn columns(&self, set: &TraceSet, ix: SpanIx, width: usize) -> Option<(usize, usize)> {
        let (w0, w1) = self.window;
        let (s, e) = (set.span(ix).start_ns, end_of(set, ix));
        if e < w0 || s > w1 || width == 0 {
            return None;
        }
        let span = i128::from((w1 - w0).max(1));
        let col = |t: i64| (i128::from(t.clamp(w0, w1) - w0) * width as i128 / span) as usize;
        let a = col(s).min(width - 1);
        Some((a, col(e).max(a + 1).min(width)))
    }

    /// `h`/`l`: the previous or next span at the selected span's depth, in time order.
    pub fn step_sideways(&mut self, set: &TraceSet, forward: bool) -> bool {
        let depth = set.span(self.selected).depth as usize;
        let level = &self.levels[depth];
        // Sorted by (start, index): search the start, then the few spans sharing it.
        let start = set.span(self.selected).start_ns;
        let from = level.starts.partition_point(|&s| s < start);
        let Some(pos) = level.spans[from..]
            .iter()
            .position(|&i| i == self.selected.0)
            .map(|p| from + p)
        else {
            return false;
        };
        let next = if forward {
            pos + 1
        } else {
            match pos.checked_sub(1) {
                Some(p) => p,
                None => return false,
            }
        };
        match level.spans.get(next) {
            Some(&i) => self.select(set, SpanIx(i)),
            None => false,
        }
    }

    /// `k`: the parent. `j`: the first child (the next span in the pre-order arena).
    pub fn step_vertical(&mut self, set: &TraceSet, down: bool) -> bool {
        let s = set.span(self.selected);
        let target = if down {
            (s.subtree_end > self.selected.0 + 1).then_some(SpanIx(self.selected.0 + 1))
        } else {
            s.parent()
        };
        match target {
            Some(t) => self.select(set, t),
            None => false,
        }
    }

    /// Selects `ix`, leaving a zoom that would hide it.
    pub fn select(&mut self, set: &TraceSet, ix: SpanIx) -> bool {
        if ix == self.selected {
            return false;
        }
        self.selected = ix;
        let (s, e) = (set.span(ix).start_ns, end_of(set, ix));
        if self.zoomed && (e < self.window.0 || s > self.window.1) {
            self.unzoom();
        }
        true
    }

    /// `z`: the window narrows to the selected span, or back to the whole trace.
    pub fn toggle_zoom(&mut self, set: &TraceSet) {
        if self.zoomed {
            self.unzoom();
            return;
        }
        let (s, e) = (set.span(self.selected).start_ns, end_of(set, self.selected));
        self.window = (s, e.max(s + 1));
        self.zoomed = true;
    }

    fn unzoom(&mut self) {
        self.window = self.full;
        self.zoomed = false;
    }

    /// Keeps the selected span's depth on screen for a chart of `height` rows.
    pub fn scroll_into_view(&mut self, set: &TraceSet, height: usize) {
        self.height = height.max(1);
        let depth = set.span(self.selected).depth as usize;
        self.top = super::scroll::keep_visible(self.top, depth, self.height);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Span, Trace};

    /// One trace: a root [0,100) with children [0,40) and [50,100); the second has 50
    /// one-unit children, the 10th an error.
    fn set() -> TraceSet {
        let mut set = TraceSet::default();
        let mut push = |start, end, depth, parent: u32, subtree_end| {
            let s = Span {
                start_ns: start,
                end: spanlens_core::model::MaybeNs::new(Some(end)),
                depth,
                parent,
                subtree_end,
                ..Default::default()
            };
            set.spans.push(s);
        };
        push(0, 100, 0, u32::MAX, 53);
        push(0, 40, 1, 0, 2);
        push(50, 100, 1, 0, 53);
        for k in 0..50 {
            push(50 + k, 51 + k, 2, 2, 4 + k as u32);
        }
        set.spans[12].status = crate::model::Status::Error;
        set.traces.push(Trace {
            span_start: 0,
            span_end: 53,
            start_ns: 0,
            end_ns: 100,
            ..Default::default()
        });
        set
    }

    #[test]
    fn rows_are_bucketed_per_column() {
        let set = set();
        let chart = FlameChart::new(&set, TraceIx(0), None);
        let row = chart.row(&set, 1, 10);
        let ids: Vec<Option<u32>> = row.iter().map(|c| c.span.map(|s| s.0)).collect();
        assert_eq!(
            ids,
            [1, 1, 1, 1, u32::MAX, 2, 2, 2, 2, 2].map(|i| (i != u32::MAX).then_some(i))
        );
        let deep = chart.row(&set, 2, 10);
        assert!(deep[..5].iter().all(|c| c.span.is_none()));
        assert!(deep[5..].iter().all(|c| c.dense), "ten spans per column");
        assert!(
            deep[5].error && !deep[6].error,
            "the error is in the first column"
        );
    }

    #[test]
    fn hjkl_moves_and_zoom() {
        let set = set();
        let mut chart = FlameChart::new(&set, TraceIx(0), None);
        assert!(chart.step_vertical(&set, true));
        assert_eq!(chart.selected, SpanIx(1));
        assert!(chart.step_sideways(&set, true));
        assert_eq!(chart.selected, SpanIx(2));
        assert!(!chart.step_sideways(&set, true), "no span further right");
        chart.toggle_zoom(&set);
        assert_eq!(chart.window, (50, 100));
        assert_eq!(chart.columns(&set, SpanIx(3), 50), Some((0, 1)));
        assert!(chart.step_sideways(&set, false));
        assert!(!chart.zoomed, "selecting outside the zoom leaves it");
        assert!(chart.step_vertical(&set, false));
        assert_eq!(chart.selected, SpanIx(0));
    }
}
