//! The explorer's side of the flame chart: opening it from the span tree on the selected
//! span, moving the selection with h/j/k/l, zooming, and going back to the tree.

use crate::tui::action::Action;
use crate::tui::app::{App, Screen};
use crate::tui::flame::FlameChart;

impl App {
    /// `f` in the span tree: the flame chart of the open trace, on the tree's selection.
    pub(crate) fn open_flame(&mut self) -> bool {
        let Some(tree) = &self.tree else {
            return false;
        };
        let chart = FlameChart::new(&self.set, tree.trace, tree.selected());
        self.flame = Some(chart);
        self.screen = Screen::Flame;
        self.status =
            Some("h/l same depth · j/k child/parent · z zoom · Enter: span in the tree".into());
        true
    }

    pub(crate) fn update_flame(&mut self, action: Action) -> bool {
        let set = self.set.clone();
        let Some(chart) = self.flame.as_mut() else {
            self.screen = Screen::Trace;
            return true;
        };
        match action {
            Action::Left | Action::Right => chart.step_sideways(&set, action == Action::Right),
            Action::Down | Action::Up => chart.step_vertical(&set, action == Action::Down),
            Action::Zoom => {
                chart.toggle_zoom(&set);
                true
            }
            Action::Open => {
                let span = chart.selected;
                self.screen = Screen::Trace;
                if let Some(tree) = self.tree.as_mut() {
                    tree.reveal(&set, span);
                }
                self.sync_detail();
                true
            }
            Action::Back | Action::FlameChart => {
                self.screen = Screen::Trace;
                true
            }
            _ => false,
        }
    }
}
