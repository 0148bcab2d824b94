//! The explorer's side of the step table.

use super::action::Action;
use super::app::App;

impl App {
    pub(super) fn update_steps(&mut self, _action: Action) -> bool {
        false
    }
}
