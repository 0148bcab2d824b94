//! The search popup: the query line, scope and progress, and a window of the hits with the
//! matched characters highlighted.

use crate::inert;
use crate::tui::app::App;
use crate::tui::wrap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};

pub fn render(frame: &mut Frame, app: &mut App, area: Rect) {
    let h = area.height.saturating_sub(2).clamp(3, 30);
    let popup = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: h,
    };
    frame.render_widget(Clear, popup);
    let s = &app.search;
    let scope = if s.all_traces || app.tree.is_none() {
        "all traces"
    } else {
        "this trace"
    };
    let state = match (&s.error, s.running) {
        (Some(e), _) => e.clone(),
        (None, true) => format!("{} hits so far…", s.found.total),
        (None, false) if s.input.trim().is_empty() => "type to search".into(),
        (None, false) => format!("{} hits", s.found.total),
    };
    let title = format!(" search {scope} (Tab scope · ↑↓ pick · Enter go · Ctrl-f filter · Esc) ");
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(app.theme.accent());
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let prompt = Line::from(vec![
        Span::styled("/ ", app.theme.accent()),
        Span::raw(inert::line(&s.input).into_owned()),
        Span::styled("▏", app.theme.accent()),
        Span::styled(
            format!("   {state}"),
            if s.error.is_some() {
                app.theme.error()
            } else {
                app.theme.muted()
            },
        ),
    ]);
    frame
        .buffer_mut()
        .set_line(inner.x, inner.y, &prompt, inner.width);
    let list = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    hits(frame, app, list);
}

fn hits(frame: &mut Frame, app: &mut App, area: Rect) {
    app.search.scroll_into_view(area.height as usize);
    let set = app.set.clone();
    let theme = app.theme;
    let s = &app.search;
    let width = area.width as usize;
    let rows = s
        .found
        .hits
        .iter()
        .enumerate()
        .skip(s.offset)
        .take(area.height as usize);
    for (y, (i, hit)) in (area.y..).zip(rows) {
        let trace = set.trace(set.trace_of(hit.span));
        let where_ = format!(
            "{} › {}",
            wrap::clip(&inert::line(set.str(trace.name)), 24),
            wrap::clip(&inert::line(set.span_name(hit.span)), 28)
        );
        let mut spans = vec![
            Span::styled(format!("{:<54} ", wrap::clip(&where_, 54)), Style::new()),
            Span::styled(
                format!("{:<16} ", wrap::clip(&hit.field_label(), 16)),
                theme.muted(),
            ),
        ];
        let room = width.saturating_sub(72);
        spans.extend(highlighted(&hit.snippet, &hit.ranges, room, &theme));
        let mut line = Line::from(spans);
        if i == s.selected {
            line = line.patch_style(theme.selection());
        }
        frame.buffer_mut().set_line(area.x, y, &line, area.width);
    }
}

/// The snippet with matched characters styled, cut to `room` cells.
fn highlighted(
    snippet: &str,
    ranges: &[(usize, usize)],
    room: usize,
    theme: &crate::tui::theme::Theme,
) -> Vec<Span<'static>> {
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (i, c) in snippet.chars().enumerate() {
        let shown = inert::line(&c.to_string()).into_owned();
        let w = wrap::width(&shown);
        if used + w > room {
            break;
        }
        used += w;
        let style = if ranges.iter().any(|r| i >= r.0 && i < r.1) {
            theme.matched()
        } else {
            Style::new()
        };
        match out.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(&shown),
            _ => out.push(Span::styled(shown, style)),
        }
    }
    out
}
