//! The loading screen: a progress line, then the traces seen so far (errors and slowest
//! first), browsable before the load ends. Only the rows on screen are built.

use super::trace_table::compact;
use crate::inert;
use crate::model::time::format_duration;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

pub fn render(frame: &mut Frame, app: &mut App, area: Rect) {
    let [line, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(area);
    let progress = match &app.progress {
        Some(p) if p.total > 0 => format!(
            "{} {} … {}%",
            capitalised(p.verb()),
            inert::line(&p.path),
            p.done * 100 / p.total.max(1)
        ),
        _ => "Loading…".into(),
    };
    let rows = &app.loading;
    let hint = if rows.is_empty() {
        String::new()
    } else if rows.len() < rows.traces_seen() {
        format!(
            "{} traces so far; the {} with most errors, then slowest · Enter opens one as read so far",
            rows.traces_seen(),
            rows.len()
        )
    } else {
        format!(
            "{} traces so far, errors and slowest first · Enter opens one as read so far",
            rows.len()
        )
    };
    let buf = frame.buffer_mut();
    buf.set_string(line.x + 1, line.y, progress, app.theme.accent());
    let text = crate::tui::wrap::clip(&hint, line.width.saturating_sub(2) as usize);
    buf.set_string(line.x + 1, line.y + 1, text, app.theme.muted());
    if !app.loading.is_empty() {
        table(frame, app, list);
    }
}

fn table(frame: &mut Frame, app: &mut App, area: Rect) {
    let height = area.height.saturating_sub(1) as usize;
    app.loading.scroll_into_view(height);
    let list = &app.loading;
    let theme = &app.theme;
    let start = list.offset;
    let end = (start + height).min(list.len());
    let rows = (start..end).filter_map(|i| list.row(i)).map(|t| {
        let picked = list.pick.as_deref() == Some(t.trace_id.as_str());
        let (err, style) = if t.errors > 0 {
            (Span::styled("✗", theme.error()), theme.error())
        } else {
            (Span::raw(" "), Style::new())
        };
        let root = if t.root.is_empty() {
            "(root not seen yet)"
        } else {
            &t.root
        };
        Row::new(vec![
            Cell::from(if picked {
                Span::styled("▶", theme.accent())
            } else {
                err
            }),
            Cell::from(inert::line(root).into_owned()).style(style),
            Cell::from(format_duration(t.duration_ns())),
            Cell::from(t.spans.to_string()),
            Cell::from(if t.errors > 0 {
                t.errors.to_string()
            } else {
                "·".into()
            })
            .style(style),
            Cell::from(compact(t.tokens)),
            Cell::from(crate::tui::wrap::clip(&t.trace_id, 12)),
        ])
    });
    let header = Row::new([
        "",
        "trace (so far)",
        "duration",
        "spans",
        "errors",
        "tokens",
        "id",
    ])
    .style(theme.header());
    let widths = [
        Constraint::Length(1),
        Constraint::Min(12),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(12),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(theme.selection());
    let mut state = TableState::default().with_selected(Some(list.cursor().saturating_sub(start)));
    frame.render_stateful_widget(table, area, &mut state);
}

/// `word` with its first letter in capitals (a line's first word).
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
