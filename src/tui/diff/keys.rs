//! The explorer's side of the diff view: opening it from two marked traces (or from the
//! command line with two files) and moving around in it.

use crate::model::{TraceIx, TraceSet};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, Screen};
use crate::tui::diff::DiffView;
use std::sync::Arc;

/// Two traces to compare off the UI thread (a diff of 100,000-span traces takes a second).
#[derive(Clone)]
pub struct DiffJob {
    pub left: Arc<TraceSet>,
    pub lt: TraceIx,
    pub right: Arc<TraceSet>,
    pub rt: TraceIx,
    from_list: bool,
    /// Which request this answers; a later request (or leaving) makes it stale.
    pub generation: u64,
}

impl std::fmt::Debug for DiffJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DiffJob #{} ({:?} vs {:?})",
            self.generation, self.lt, self.rt
        )
    }
}

/// Jobs are equal when they ask for the same traces of the same sets.
impl PartialEq for DiffJob {
    fn eq(&self, o: &Self) -> bool {
        self.generation == o.generation
            && (self.lt, self.rt) == (o.lt, o.rt)
            && Arc::ptr_eq(&self.left, &o.left)
            && Arc::ptr_eq(&self.right, &o.right)
    }
}

impl DiffJob {
    /// A job for trace `lt` of `left` against `rt` of `right`.
    pub fn new(
        (left, lt): (Arc<TraceSet>, TraceIx),
        (right, rt): (Arc<TraceSet>, TraceIx),
        from_list: bool,
        generation: u64,
    ) -> DiffJob {
        DiffJob {
            left,
            lt,
            right,
            rt,
            from_list,
            generation,
        }
    }

    /// Aligns and compares the traces; the slow part, run by a worker.
    pub fn run(self) -> (u64, DiffView) {
        let view = DiffView::new(self.left, self.lt, self.right, self.rt, self.from_list);
        (self.generation, view)
    }
}

impl App {
    /// Opens the diff view on two traces, possibly from two different sets, computing it
    /// here (the command line does this before the UI starts).
    pub fn open_diff(
        &mut self,
        left: Arc<TraceSet>,
        lt: TraceIx,
        right: Arc<TraceSet>,
        rt: TraceIx,
        from_list: bool,
    ) {
        self.show_diff(DiffView::new(left, lt, right, rt, from_list));
    }

    fn show_diff(&mut self, view: DiffView) {
        let s = &view.diff.summary;
        self.status = Some(format!(
            "{} changed · {} added · {} removed · ]d next difference · u hide unchanged",
            s.changed, s.added, s.removed
        ));
        self.diff = Some(view);
        self.screen = Screen::Diff;
    }

    /// Takes a diff computed by a worker, unless the user has moved on since asking.
    pub fn on_diff_ready(&mut self, generation: u64, view: DiffView) {
        let waiting = matches!(self.screen, Screen::Traces | Screen::Runs);
        if self.diff_pending == Some(generation) && waiting {
            self.diff_pending = None;
            self.show_diff(view);
        }
    }

    /// `d` in the trace list: diff the two marked traces (A on the left), on a worker.
    pub(crate) fn open_marked_diff(&mut self) {
        match self.traces.marked.as_slice() {
            [a, b] => {
                self.diff_requests += 1;
                let generation = self.diff_requests;
                self.diff_pending = Some(generation);
                self.effects.push(Effect::Diff(DiffJob {
                    left: self.set.clone(),
                    lt: *a,
                    right: self.set.clone(),
                    rt: *b,
                    from_list: true,
                    generation,
                }));
                self.status = Some("comparing the two marked traces…".into());
            }
            _ => {
                self.status =
                    Some("mark two traces with m (or Space), then press d to diff them".into())
            }
        }
    }

    pub(crate) fn update_diff(&mut self, action: Action) -> bool {
        let Some(view) = self.diff.as_mut() else {
            return false;
        };
        let page = view.height.max(1) as isize;
        if view.payload_focus {
            if matches!(action, Action::FocusNext | Action::Back) {
                view.payload_focus = false;
                return true;
            }
            return action.scroll(&mut view.payload_scroll);
        }
        if let Some(delta) = action.step(page) {
            return view.move_by(delta);
        }
        match action {
            Action::NextDiff | Action::PrevDiff => {
                self.status = Some(if view.jump_difference(action == Action::NextDiff) {
                    let (k, n) = view.difference_position();
                    format!("difference {k} of {n}")
                } else {
                    "no differences: the runs match".into()
                });
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
            Action::Back if self.runs.is_some() => {
                self.screen = Screen::Runs;
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
