//! The explorer's side of loading: progress, the trace list built from the loader's
//! tallies, the picked trace shown as read so far, and opening it whole once the load ends.

use super::action::Action;
use super::app::{App, Effect, Screen};
use crate::load::Progress;
use crate::model::TraceSet;
use std::sync::Arc;

impl App {
    /// Takes a progress report: its tallies always, its numbers for the progress line, and
    /// the picked trace as read so far when the loader sends it.
    pub fn on_progress(&mut self, mut p: Progress) {
        self.loading.absorb(&std::mem::take(&mut p.traces));
        if let Some(set) = p.partial.take() {
            self.show_partial(set);
        }
        self.progress = Some(p);
    }

    /// Opens the picked trace as read so far; the load goes on, and the whole trace
    /// replaces it when the load ends.
    fn show_partial(&mut self, set: Arc<TraceSet>) {
        let Some(id) = self.loading.pick.clone() else {
            return;
        };
        if self.screen != Screen::Loading {
            return; // the user has moved on since asking
        }
        let Some(t) = set.find_trace(&id) else {
            self.status = Some("none of this trace is read yet: it opens when loading ends".into());
            return;
        };
        self.install(set);
        self.partial = Some(id);
        self.open_trace(t);
        let n = self.set.trace(t).span_count();
        self.status = Some(format!(
            "{n} spans of this trace read so far: the whole trace replaces them when loading ends"
        ));
    }

    /// Leaves a trace shown while loading; returns the id of the span it had selected.
    pub(super) fn leave_partial(&mut self) -> Option<String> {
        self.partial.take()?;
        let span = self.tree.as_ref().and_then(|t| t.selected());
        Some(span.map_or_else(String::new, |s| self.set.span_id(s).to_owned()))
    }

    /// Puts the trace view's cursor back on span `span_id` (after the whole trace loaded).
    pub(super) fn reselect(&mut self, span_id: &str) {
        let set = self.set.clone();
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        if let Some(ix) = set.find_span(tree.trace, span_id) {
            tree.reveal(&set, ix);
            self.detail.select(&set, Some(ix));
        }
    }

    /// Keys while loading: move in the list of traces seen so far; Enter picks one.
    pub(super) fn update_loading(&mut self, action: Action) -> bool {
        let page = self.loading.height.max(1) as isize;
        if let Some(delta) = action.step(page) {
            self.loading.move_by(delta);
            return true;
        }
        match action {
            Action::Open | Action::Right => {
                let Some(id) = self.loading.selected_id() else {
                    return false;
                };
                let id = id.to_owned();
                self.loading.pick = Some(id.clone());
                self.effects.push(Effect::Peek(id));
                self.status = Some("reading what has loaded of this trace…".into());
            }
            _ => return false,
        }
        true
    }

    /// After loading: open the trace picked meanwhile, or select the one browsed to (a
    /// selection the user never moved does not move the list's cursor).
    pub(super) fn after_load_pick(&mut self) {
        // The tallies have served; the loaded set says the rest.
        let loading = std::mem::take(&mut self.loading);
        let browsed = loading.selected_id().filter(|_| loading.browsed);
        let Some(id) = loading.pick.as_deref().or(browsed) else {
            return;
        };
        let Some(t) = self.set.find_trace(id) else {
            return;
        };
        if let Some(pos) = self.traces.order.iter().position(|&o| o == t.0) {
            self.traces.cursor = pos;
        }
        if loading.pick.is_some() && self.screen == Screen::Traces {
            self.open_trace(t);
        }
    }

    /// `spanlens FILE#TRACE_ID`: picks the trace before anything is loaded, so it opens as
    /// soon as its first spans are read and whole when the load ends.
    pub fn open_when_loaded(&mut self, id: String) {
        self.loading.pick = Some(id.clone());
        self.effects.push(Effect::Peek(id));
    }

    /// After loading: says so when the trace asked for on the command line is not there.
    pub(super) fn check_pick(&mut self) {
        let Some(id) = self.loading.pick.as_deref() else {
            return;
        };
        if self.set.find_trace(id).is_none() {
            self.status = Some(format!(
                "no trace {} in the loaded files (or the prefix is ambiguous)",
                crate::inert::line(id)
            ));
        }
    }
}
