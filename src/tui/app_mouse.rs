//! Mouse input: clicks select and open, the wheel scrolls. Nothing requires a mouse;
//! this works when the terminal reports it.

use super::action::Action;
use super::app::{App, Focus, Screen};
use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

impl App {
    /// A click selects what is under it (a second click on a trace opens it); the wheel
    /// scrolls the pane under the pointer, three rows a notch.
    pub fn on_mouse(&mut self, m: MouseEvent) {
        let app = self;
        let (x, y) = (m.column, m.row);
        let inside = |r: ratatui::layout::Rect| {
            x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
        };
        let areas = app.areas;
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => match app.screen {
                Screen::Traces if inside(areas.list) && y > areas.list.y => {
                    let row = app.traces.offset + (y - areas.list.y - 1) as usize;
                    if row == app.traces.cursor {
                        app.update(Action::Open);
                    } else if row < app.traces.order.len() {
                        app.traces.cursor = row;
                    }
                }
                Screen::Trace if inside(areas.tree) => {
                    app.focus = Focus::Tree;
                    if let Some(tree) = app.tree.as_mut() {
                        tree.move_to_row(tree.offset + (y - areas.tree.y) as usize);
                    }
                    let set = app.set.clone();
                    let sel = app.selected_span();
                    app.detail.select(&set, sel);
                }
                Screen::Trace if inside(areas.detail) => {
                    app.focus = Focus::Detail;
                    let line = app.detail.offset + (y - areas.detail.y) as usize;
                    app.detail.cursor = line.min(app.detail.doc.lines.len().saturating_sub(1));
                }
                _ => {}
            },
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let action = if m.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                if app.screen == Screen::Trace {
                    app.focus = if inside(areas.detail) {
                        Focus::Detail
                    } else {
                        Focus::Tree
                    };
                }
                for _ in 0..3 {
                    app.update(action);
                }
            }
            _ => {}
        }
    }
}
