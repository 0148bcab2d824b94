//! The trace list: one row per trace; only the rows on screen are built.

use crate::inert;
use crate::model::time::{format_duration, format_iso_ms};
use crate::tui::app::App;
use crate::tui::wrap::clip;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};

pub fn render(frame: &mut Frame, app: &mut App, area: Rect) {
    app.areas.list = area;
    let height = area.height.saturating_sub(1) as usize;
    app.traces.scroll_into_view(height);
    let set = app.set.clone();
    let theme = &app.theme;
    let wide = area.width >= 100;
    // The feedback column shows once anything is judged.
    let judged = !set.assessments.is_empty();
    let (start, end) = (
        app.traces.offset,
        (app.traces.offset + height).min(app.traces.order.len()),
    );
    let rows = app.traces.order[start..end].iter().map(|&t| {
        let tr = &set.traces[t as usize];
        let marked = app.traces.marked.iter().position(|m| m.0 == t);
        let mark = match marked {
            Some(0) => "A",
            Some(_) => "B",
            None => " ",
        };
        let err = if tr.errors > 0 {
            Span::styled("✗", theme.error())
        } else {
            Span::raw(" ")
        };
        let when = format_iso_ms(tr.start_ns);
        let when = if wide {
            when[..19].replace('T', " ")
        } else {
            when[11..19].to_owned()
        };
        let style = if tr.errors > 0 {
            theme
                .error()
                .remove_modifier(ratatui::style::Modifier::BOLD)
        } else {
            Style::new()
        };
        let mut cells = vec![
            Cell::from(Line::from(vec![Span::styled(mark, theme.accent()), err])),
            Cell::from(inert::line(set.str(tr.name)).into_owned()).style(style),
            Cell::from(when),
            Cell::from(format_duration(tr.duration_ns())),
            Cell::from(tr.span_count().to_string()),
            Cell::from(if tr.errors > 0 {
                tr.errors.to_string()
            } else {
                "·".into()
            })
            .style(style),
            Cell::from(format!(
                "{}/{}",
                compact(tr.input_tokens),
                compact(tr.output_tokens)
            )),
        ];
        if judged {
            cells.push(feedback_cell(app.tallies.get(t as usize), theme));
        }
        Row::new(cells)
    });
    let sort_mark = |label: &str| {
        let mark = if app.traces.descending { "▼" } else { "▲" };
        if app.traces.sort.label() == label {
            format!("{label}{mark}")
        } else {
            label.to_owned()
        }
    };
    let mut header = vec![
        String::new(),
        clip(&format!("trace ({})", sort_mark("name")), 40),
        sort_mark("start"),
        sort_mark("duration"),
        sort_mark("spans"),
        sort_mark("errors"),
        sort_mark("tokens"),
    ];
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Min(12),
        Constraint::Length(if wide { 19 } else { 8 }),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(13),
    ];
    if judged {
        header.push("feedback".into());
        widths.push(Constraint::Length(9));
    }
    let header = Row::new(header).style(theme.header());
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(theme.selection());
    let mut state =
        TableState::default().with_selected(Some(app.traces.cursor.saturating_sub(start)));
    frame.render_stateful_widget(table, area, &mut state);
}

/// A trace's judgements: `+2 -1` (good, bad), and `·3` for the others; blank for none.
fn feedback_cell(
    tally: Option<&crate::feedback::verdict::Tally>,
    theme: &crate::tui::theme::Theme,
) -> Cell<'static> {
    let Some(t) = tally else {
        return Cell::from("");
    };
    let mut spans = Vec::new();
    if t.good > 0 {
        spans.push(Span::styled(format!("+{} ", t.good), theme.accent()));
    }
    if t.bad > 0 {
        spans.push(Span::styled(format!("-{} ", t.bad), theme.error()));
    }
    if t.other > 0 {
        spans.push(Span::styled(format!("·{}", t.other), theme.muted()));
    }
    Cell::from(Line::from(spans))
}

/// Token counts in 4 characters or so: `950`, `12.3k`, `4.1M`.
pub fn compact(n: u64) -> String {
    match n {
        n if n >= 10_000_000 => format!("{}M", n / 1_000_000),
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{}k", n / 1000),
        n if n >= 1_000 => format!("{:.1}k", n as f64 / 1e3),
        n => n.to_string(),
    }
}
