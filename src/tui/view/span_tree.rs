//! The span tree: indentation, fold markers, kind tags, names, error markers, durations and
//! timing bars, for the visible window of rows only.

use super::bars;
use crate::inert;
use crate::model::time::format_duration;
use crate::model::{Flags, SpanIx};
use crate::tui::app::App;
use crate::tui::tree::SpanTree;
use crate::tui::wrap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// Width of the duration column.
const DUR_W: u16 = 8;

pub fn render(frame: &mut Frame, app: &mut App, area: Rect, focused: bool) {
    app.areas.tree = area;
    let set = app.set.clone();
    let theme = app.theme;
    let Some(tree) = app.tree.as_mut() else {
        return;
    };
    tree.scroll_into_view(area.height as usize);
    let window = tree.window(&set);
    let bar_w = if area.width >= 60 {
        (area.width * 3 / 10).max(10)
    } else {
        0
    };
    let name_w = area.width.saturating_sub(bar_w + DUR_W + 2) as usize;
    let buf = frame.buffer_mut();
    let rows = tree
        .rows
        .iter()
        .enumerate()
        .skip(tree.offset)
        .take(area.height as usize);
    for (y, (row, &ix)) in (area.y..).zip(rows) {
        let ix = SpanIx(ix);
        let s = set.span(ix);
        let selected = row == tree.cursor;
        let label = row_label(&set, tree, ix, name_w, &theme);
        let mut line = Line::from(label);
        if selected {
            line = line.patch_style(if focused {
                theme.selection()
            } else {
                Style::new().add_modifier(Modifier::UNDERLINED)
            });
        }
        buf.set_line(area.x, y, &line, name_w as u16);
        let dur = match s.end_ns() {
            Some(_) => format_duration(s.duration_ns()),
            None => "running".into(),
        };
        let dur_style = if s.is_error() {
            theme.error()
        } else {
            theme.muted()
        };
        buf.set_stringn(
            area.x + name_w as u16 + 1,
            y,
            format!("{dur:>w$}", w = DUR_W as usize),
            DUR_W as usize,
            dur_style,
        );
        if bar_w > 0 {
            let end = s.end_ns().unwrap_or(window.1).max(s.start_ns);
            let cells = bars::cells(s.start_ns, end, window, bar_w as usize);
            let style = if s.is_error() {
                theme.error()
            } else {
                theme.kind(s.kind)
            };
            bars::draw(buf, area.x + area.width - bar_w, y, &cells, style);
        }
    }
}

/// Indentation, fold marker, kind tag, name and markers, clipped to `width` cells.
fn row_label(
    set: &crate::model::TraceSet,
    tree: &SpanTree,
    ix: SpanIx,
    width: usize,
    theme: &crate::tui::theme::Theme,
) -> Vec<Span<'static>> {
    let s = set.span(ix);
    let max_indent = width / 3;
    let indent = (s.depth as usize * 2).min(max_indent);
    let mut spans = Vec::new();
    if s.depth as usize * 2 > max_indent {
        spans.push(Span::styled(
            format!("{:>w$}", format!("{}›", s.depth), w = indent),
            theme.muted(),
        ));
    } else {
        spans.push(Span::raw(" ".repeat(indent)));
    }
    let marker = if !SpanTree::has_children(set, ix) {
        "  "
    } else if tree.is_collapsed(ix) {
        "▸ "
    } else {
        "▾ "
    };
    spans.push(Span::styled(marker, theme.muted()));
    spans.push(Span::styled(s.kind.tag(), theme.kind(s.kind)));
    spans.push(Span::raw(" "));
    let mut used = indent + 2 + 6;
    let mut markers: Vec<Span<'static>> = Vec::new();
    if s.is_error() {
        markers.push(Span::styled(" ✗", theme.error()));
    }
    if tree.is_collapsed(ix) {
        let hidden = tree.errors_below(set, ix);
        if hidden > 0 {
            markers.push(Span::styled(format!(" ⚠{hidden}"), theme.error()));
        }
        let count = set.span(ix).subtree_end - ix.0 - 1;
        markers.push(Span::styled(format!(" +{count}"), theme.muted()));
    }
    if s.flags.has(Flags::ORPHAN) {
        markers.push(Span::styled(" ⊘orphan", theme.warn()));
    }
    let marker_w: usize = markers.iter().map(|m| wrap::width(&m.content)).sum();
    let name_room = width.saturating_sub(used + marker_w).max(4);
    let name = wrap::clip(&inert::line(set.str(s.name)), name_room);
    used += wrap::width(&name);
    let name_style = if s.is_error() {
        theme.error()
    } else {
        Style::new()
    };
    spans.push(Span::styled(name, name_style));
    spans.extend(markers);
    let _ = used;
    spans
}
