//! The step table screen.

use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;

pub fn render(_frame: &mut Frame, _app: &mut App, _area: Rect) {}
