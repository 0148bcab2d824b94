//! The span tree of one trace as a flat, windowed view over the pre-order arena.
//!
//! PERF: `rows` (the visible spans) is rebuilt only when something is collapsed or
//! expanded, by walking the arena and jumping over collapsed subtrees; rendering reads a
//! window of it. Nothing per frame is O(spans). tui-tree-widget flattens the whole open
//! tree every frame (about 20 ms at 100,000 nodes, see README), so it is used only for the
//! detail pane's JSON.

use crate::model::{SpanIx, TraceIx, TraceSet};

/// State of the span tree pane.
#[derive(Debug, Clone)]
pub struct SpanTree {
    pub trace: TraceIx,
    base: u32,
    end: u32,
    collapsed: Vec<bool>,
    /// Visible spans, top to bottom.
    pub rows: Vec<u32>,
    pub cursor: usize,
    pub offset: usize,
    /// Rows shown at the last render (page size).
    pub height: usize,
    /// errors[i] = number of error spans among local positions `..i`.
    error_prefix: Vec<u32>,
    /// The timeline window, when zoomed to a subtree.
    pub zoom: Option<Zoom>,
    /// Spans kept by a filter (matches and their ancestors); `None` shows everything.
    keep: Option<Vec<bool>>,
}

/// A zoomed timeline: the subtree it was zoomed to and its time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zoom {
    pub root: SpanIx,
    pub start_ns: i64,
    pub end_ns: i64,
}

impl SpanTree {
    /// A fully expanded tree of `trace`, cursor on its first root.
    pub fn new(set: &TraceSet, trace: TraceIx) -> SpanTree {
        let t = set.trace(trace);
        let n = t.span_count() as usize;
        let mut error_prefix = Vec::with_capacity(n + 1);
        error_prefix.push(0);
        for s in &set.spans[t.spans()] {
            error_prefix.push(error_prefix.last().unwrap() + u32::from(s.is_error()));
        }
        let mut tree = SpanTree {
            trace,
            base: t.span_start,
            end: t.span_end,
            collapsed: vec![false; n],
            rows: Vec::new(),
            cursor: 0,
            offset: 0,
            height: 20,
            error_prefix,
            zoom: None,
            keep: None,
        };
        tree.rebuild(set);
        tree
    }

    fn local(&self, ix: SpanIx) -> usize {
        (ix.0 - self.base) as usize
    }

    pub fn contains(&self, ix: SpanIx) -> bool {
        (self.base..self.end).contains(&ix.0)
    }

    /// Recomputes the visible rows, keeping the cursor on the same span when it is visible.
    pub fn rebuild(&mut self, set: &TraceSet) {
        let selected = self.selected();
        self.rows.clear();
        let mut i = self.base;
        while i < self.end {
            let local = (i - self.base) as usize;
            if self.keep.as_ref().is_some_and(|k| !k[local]) {
                i = set.spans[i as usize].subtree_end;
                continue;
            }
            self.rows.push(i);
            i = if self.collapsed[local] {
                set.spans[i as usize].subtree_end
            } else {
                i + 1
            };
        }
        self.cursor = match selected.and_then(|s| self.row_of(s)) {
            Some(r) => r,
            None => self.cursor.min(self.rows.len().saturating_sub(1)),
        };
    }

    /// The visible row of `ix`, if it is visible. O(log rows): rows are in arena order.
    pub fn row_of(&self, ix: SpanIx) -> Option<usize> {
        self.rows.binary_search(&ix.0).ok()
    }

    pub fn selected(&self) -> Option<SpanIx> {
        self.rows.get(self.cursor).map(|&i| SpanIx(i))
    }

    pub fn is_collapsed(&self, ix: SpanIx) -> bool {
        self.collapsed[self.local(ix)]
    }

    pub fn has_children(set: &TraceSet, ix: SpanIx) -> bool {
        set.span(ix).subtree_end > ix.0 + 1
    }

    /// Error spans strictly inside the subtree of `ix`.
    pub fn errors_below(&self, set: &TraceSet, ix: SpanIx) -> u32 {
        let first = self.local(ix) + 1;
        let end = (set.span(ix).subtree_end - self.base) as usize;
        self.error_prefix[end] - self.error_prefix[first.min(end)]
    }

    /// Moves the cursor by `delta` rows. Returns true when it moved.
    pub fn move_by(&mut self, delta: isize) -> bool {
        let last = self.rows.len().saturating_sub(1);
        let new = self.cursor.saturating_add_signed(delta).min(last);
        std::mem::replace(&mut self.cursor, new) != new
    }

    pub fn move_to_row(&mut self, row: usize) -> bool {
        let new = row.min(self.rows.len().saturating_sub(1));
        std::mem::replace(&mut self.cursor, new) != new
    }

    /// Sets the collapsed state of `ix`. Returns true when it changed.
    pub fn set_collapsed(&mut self, set: &TraceSet, ix: SpanIx, collapsed: bool) -> bool {
        if !Self::has_children(set, ix) {
            return false;
        }
        let l = self.local(ix);
        if self.collapsed[l] == collapsed {
            return false;
        }
        self.collapsed[l] = collapsed;
        self.rebuild(set);
        true
    }

    /// Collapses or expands every span in `ix`'s subtree (including `ix`).
    pub fn set_subtree(&mut self, set: &TraceSet, ix: SpanIx, collapsed: bool) {
        let (a, b) = (
            self.local(ix),
            (set.span(ix).subtree_end - self.base) as usize,
        );
        self.fold(set, a..b, |_| collapsed);
    }

    /// Collapses everything, or expands everything.
    pub fn set_all(&mut self, set: &TraceSet, collapsed: bool) {
        self.fold(set, 0..self.collapsed.len(), |_| collapsed);
    }

    /// Shows spans shallower than `depth` expanded and collapses the rest.
    pub fn expand_to_depth(&mut self, set: &TraceSet, depth: u32) {
        self.fold(set, 0..self.collapsed.len(), |s| s.depth + 1 >= depth);
    }

    /// Sets the spans at local positions `range` collapsed where `collapse` says so. Only
    /// spans with children can be collapsed: a leaf has nothing to hide (and would show
    /// `+0`).
    fn fold(
        &mut self,
        set: &TraceSet,
        range: std::ops::Range<usize>,
        collapse: impl Fn(&crate::model::Span) -> bool,
    ) {
        let base = self.base as usize;
        for l in range {
            let ix = SpanIx((base + l) as u32);
            self.collapsed[l] = Self::has_children(set, ix) && collapse(set.span(ix));
        }
        self.rebuild(set);
    }

    /// Expands every ancestor of `ix` and puts the cursor on it.
    pub fn reveal(&mut self, set: &TraceSet, ix: SpanIx) {
        let mut p = set.span(ix).parent();
        while let Some(a) = p {
            let l = self.local(a);
            self.collapsed[l] = false;
            p = set.span(a).parent();
        }
        if let Some(keep) = &mut self.keep {
            keep[(ix.0 - self.base) as usize] = true;
        }
        self.rebuild(set);
        if let Some(r) = self.row_of(ix) {
            self.cursor = r;
        }
    }

    /// The next (or previous) error span in arena order after the cursor, wrapping around.
    pub fn find_error(&self, set: &TraceSet, forward: bool) -> Option<SpanIx> {
        let start = self.selected().map_or(self.base, |s| s.0);
        let n = self.end - self.base;
        (1..=n)
            .map(|k| {
                let off = (start - self.base) as i64 + if forward { k as i64 } else { -(k as i64) };
                self.base + off.rem_euclid(n as i64) as u32
            })
            .map(SpanIx)
            .find(|&i| set.span(i).is_error())
    }

    /// The collapsed spans (a live snapshot carries them over by id).
    pub fn collapsed_spans(&self) -> impl Iterator<Item = SpanIx> + '_ {
        let base = self.base;
        (self.collapsed.iter().enumerate())
            .filter(|(_, c)| **c)
            .map(move |(l, _)| SpanIx(base + l as u32))
    }

    /// Collapses `spans` (those with children), rebuilding the rows once.
    pub fn collapse_spans(&mut self, set: &TraceSet, spans: &[SpanIx]) {
        for &ix in spans {
            if self.contains(ix) && Self::has_children(set, ix) {
                let l = self.local(ix);
                self.collapsed[l] = true;
            }
        }
        self.rebuild(set);
    }

    /// Restricts the tree to the spans marked in `keep` (local positions); `None` clears.
    pub fn set_filter(&mut self, set: &TraceSet, keep: Option<Vec<bool>>) {
        self.keep = keep;
        self.rebuild(set);
    }

    /// Number of spans hidden by the filter.
    pub fn hidden_by_filter(&self) -> usize {
        self.keep
            .as_ref()
            .map_or(0, |k| k.iter().filter(|v| !**v).count())
    }

    pub fn span_range(&self) -> (u32, u32) {
        (self.base, self.end)
    }

    /// Zooms the timeline to the selected subtree, or back out when already zoomed.
    pub fn toggle_zoom(&mut self, set: &TraceSet) {
        if self.zoom.is_some() {
            self.zoom = None;
            return;
        }
        let Some(root) = self.selected() else { return };
        let sub = &set.spans[root.0 as usize..set.span(root).subtree_end as usize];
        let start = sub.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let end = sub
            .iter()
            .map(|s| s.end_ns().unwrap_or(s.start_ns))
            .max()
            .unwrap_or(start);
        self.zoom = Some(Zoom {
            root,
            start_ns: start,
            end_ns: end.max(start + 1),
        });
    }

    /// The time window bars are drawn against.
    pub fn window(&self, set: &TraceSet) -> (i64, i64) {
        match self.zoom {
            Some(z) => (z.start_ns, z.end_ns),
            None => {
                let t = set.trace(self.trace);
                (t.start_ns, t.end_ns.max(t.start_ns + 1))
            }
        }
    }

    /// Keeps the cursor on screen: the first visible row for a pane of `height` rows.
    /// A pane that grew (a resize back) shows rows above rather than blank rows below.
    pub fn scroll_into_view(&mut self, height: usize) {
        self.height = height.max(1);
        self.offset = super::scroll::keep_visible_filled(
            self.offset,
            self.cursor,
            self.height,
            self.rows.len(),
        );
    }
}
