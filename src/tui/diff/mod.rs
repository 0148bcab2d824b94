//! State of the diff view: two traces aligned row against row, one cursor for both sides,
//! unchanged subtrees optionally folded away, and the payload diff of the selected row.

pub mod keys;
pub mod view;

use crate::diff::payload::{Section, payload_diff};
use crate::diff::{Diff, RowStatus, diff};
use crate::model::{TraceIx, TraceSet};
use std::sync::Arc;

pub struct DiffView {
    pub left: Arc<TraceSet>,
    pub right: Arc<TraceSet>,
    pub lt: TraceIx,
    pub rt: TraceIx,
    pub diff: Diff,
    /// Row indices shown, top to bottom.
    pub visible: Vec<u32>,
    pub hide_unchanged: bool,
    pub cursor: usize,
    pub offset: usize,
    pub height: usize,
    /// The payload diff of the selected row (computed when the selection changes).
    pub payload: Vec<Section>,
    payload_for: Option<usize>,
    pub payload_scroll: usize,
    /// The payload pane has the keyboard.
    pub payload_focus: bool,
    /// Opened from the trace list (Esc goes back to it).
    pub from_list: bool,
}

impl DiffView {
    pub fn new(
        left: Arc<TraceSet>,
        lt: TraceIx,
        right: Arc<TraceSet>,
        rt: TraceIx,
        from_list: bool,
    ) -> DiffView {
        let d = diff(&left, lt, &right, rt);
        let visible = d.visible_rows(false);
        let mut view = DiffView {
            left,
            right,
            lt,
            rt,
            diff: d,
            visible,
            hide_unchanged: false,
            cursor: 0,
            offset: 0,
            height: 20,
            payload: Vec::new(),
            payload_for: None,
            payload_scroll: 0,
            payload_focus: false,
            from_list,
        };
        view.sync_payload();
        view
    }

    /// The row under the cursor (an index into `diff.rows`).
    pub fn selected(&self) -> Option<usize> {
        self.visible.get(self.cursor).map(|&r| r as usize)
    }

    pub fn move_by(&mut self, delta: isize) -> bool {
        let last = self.visible.len().saturating_sub(1);
        let new = self.cursor.saturating_add_signed(delta).min(last);
        let moved = std::mem::replace(&mut self.cursor, new) != new;
        self.sync_payload();
        moved
    }

    /// Jumps to the next or previous row that differs. Returns false when none does.
    pub fn jump_difference(&mut self, forward: bool) -> bool {
        match self
            .diff
            .next_difference(self.cursor, forward, &self.visible)
        {
            Some(i) => {
                self.cursor = i;
                self.sync_payload();
                true
            }
            None => false,
        }
    }

    /// Folds away (or shows again) subtrees in which nothing differs.
    pub fn toggle_unchanged(&mut self) {
        let selected = self.selected();
        self.hide_unchanged = !self.hide_unchanged;
        self.visible = self.diff.visible_rows(self.hide_unchanged);
        self.cursor = selected
            .and_then(|s| self.visible.iter().position(|&r| r as usize >= s))
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
        self.sync_payload();
    }

    fn sync_payload(&mut self) {
        let sel = self.selected();
        if sel == self.payload_for {
            return;
        }
        self.payload_for = sel;
        self.payload_scroll = 0;
        self.payload = match sel {
            Some(i) => {
                let row = &self.diff.rows[i];
                payload_diff(&self.left, row.left, &self.right, row.right)
            }
            None => Vec::new(),
        };
    }

    pub fn scroll_into_view(&mut self, height: usize) {
        self.height = height.max(1);
        self.offset = super::scroll::keep_visible(self.offset, self.cursor, self.height);
    }

    /// Where the cursor is among the shown rows that differ: (k, n) for "difference k of
    /// n"; k counts the differing rows up to and including the cursor's.
    pub fn difference_position(&self) -> (usize, usize) {
        let differs = |r: &u32| self.diff.rows[*r as usize].status != RowStatus::Same;
        let n = self.visible.iter().filter(|r| differs(r)).count();
        let k = self
            .visible
            .iter()
            .take(self.cursor + 1)
            .filter(|r| differs(r))
            .count();
        (k, n)
    }

    /// Count of rows that differ, for the status line.
    pub fn differences(&self) -> usize {
        self.diff
            .rows
            .iter()
            .filter(|r| r.status != RowStatus::Same)
            .count()
    }
}
