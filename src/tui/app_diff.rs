//! The explorer's side of the diff view: opening it from two marked traces (or from the
//! command line with two files) and moving around in it.

use super::action::Action;
use super::app::{App, Screen};
use super::diff_view::DiffView;
use crate::model::{TraceIx, TraceSet};
use std::sync::Arc;

impl App {
    /// Opens the diff view on two traces, possibly from two different sets.
    pub fn open_diff(
        &mut self,
        left: Arc<TraceSet>,
        lt: TraceIx,
        right: Arc<TraceSet>,
        rt: TraceIx,
        from_list: bool,
    ) {
        let view = DiffView::new(left, lt, right, rt, from_list);
        let s = &view.diff.summary;
        self.status = Some(format!(
            "{} changed · {} added · {} removed · ]d next difference · u hide unchanged",
            s.changed, s.added, s.removed
        ));
        self.diff = Some(view);
        self.screen = Screen::Diff;
    }

    /// `d` in the trace list: diff the two marked traces (A on the left).
    pub(super) fn open_marked_diff(&mut self) {
        match self.traces.marked.as_slice() {
            [a, b] => {
                let (a, b) = (*a, *b);
                self.open_diff(self.set.clone(), a, self.set.clone(), b, true);
            }
            _ => {
                self.status =
                    Some("mark two traces with m (or Space), then press d to diff them".into())
            }
        }
    }

    pub(super) fn update_diff(&mut self, action: Action) -> bool {
        let Some(view) = self.diff.as_mut() else {
            return false;
        };
        let page = view.height.max(1) as isize;
        if view.payload_focus {
            let s = &mut view.payload_scroll;
            match action {
                Action::Down => *s += 1,
                Action::Up => *s = s.saturating_sub(1),
                Action::PageDown | Action::HalfPageDown => *s += 10,
                Action::PageUp | Action::HalfPageUp => *s = s.saturating_sub(10),
                Action::Top => *s = 0,
                Action::FocusNext | Action::Back => view.payload_focus = false,
                _ => return false,
            }
            return true;
        }
        match action {
            Action::Down => view.move_by(1),
            Action::Up => view.move_by(-1),
            Action::PageDown => view.move_by(page),
            Action::PageUp => view.move_by(-page),
            Action::HalfPageDown => view.move_by(page / 2),
            Action::HalfPageUp => view.move_by(-page / 2),
            Action::Top => view.move_by(isize::MIN / 2),
            Action::Bottom => view.move_by(isize::MAX / 2),
            Action::NextDiff | Action::PrevDiff => {
                if !view.jump_difference(action == Action::NextDiff) {
                    self.status = Some("no differences: the runs match".into());
                }
                true
            }
            Action::HideUnchanged => {
                view.toggle_unchanged();
                self.status = Some(
                    if view.hide_unchanged {
                        "unchanged subtrees hidden"
                    } else {
                        "all rows shown"
                    }
                    .into(),
                );
                true
            }
            Action::FocusNext | Action::Open => {
                view.payload_focus = true;
                true
            }
            Action::Back if view.from_list => {
                self.screen = Screen::Traces;
                true
            }
            Action::Back => {
                self.status = Some("q quits".into());
                true
            }
            _ => false,
        }
    }
}
