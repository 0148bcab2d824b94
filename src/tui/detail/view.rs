//! The detail pane: a window of the cached detail lines, or the JSON tree.

use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use tui_tree_widget::Tree;

pub fn render(frame: &mut Frame, app: &mut App, area: Rect, focused: bool) {
    app.areas.detail = area;
    let set = app.set.clone();
    app.detail.layout(&set, &app.theme, area.width);
    if app.detail.json_tree {
        if let Ok(tree) = Tree::new(&app.detail.tree_items) {
            let tree = tree
                .highlight_style(app.theme.selection())
                .node_closed_symbol("▸ ")
                .node_open_symbol("▾ ");
            frame.render_stateful_widget(tree, area, &mut app.detail.tree_state);
        }
        return;
    }
    let d = &mut app.detail;
    d.scroll_into_view(area.height as usize);
    let buf = frame.buffer_mut();
    let lines = d
        .doc
        .lines
        .iter()
        .enumerate()
        .skip(d.offset)
        .take(area.height as usize);
    for (y, (i, dl)) in (area.y..).zip(lines) {
        let mut line: Line = dl.line.clone();
        if focused && i == d.cursor {
            line = line.patch_style(Style::new().add_modifier(Modifier::REVERSED));
        }
        buf.set_line(area.x, y, &line, area.width);
    }
}
