//! The explorer's side of loading: progress, the trace list built from the loader's
//! tallies, and opening the trace the user picked once the load ends.

use super::action::Action;
use super::app::{App, Screen};
use crate::load::Progress;

impl App {
    /// Takes a progress report: its tallies always, its numbers for the progress line.
    pub fn on_progress(&mut self, mut p: Progress) {
        self.loading.absorb(&std::mem::take(&mut p.traces));
        self.progress = Some(p);
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
                self.loading.pick = Some(id.to_owned());
                self.status = Some("this trace opens as soon as loading finishes".into());
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
}
