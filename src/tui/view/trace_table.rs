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
    let area = query_line(frame, app, area);
    app.areas.list = area;
    let height = area.height.saturating_sub(1) as usize;
    app.traces.scroll_into_view(height);
    let set = app.set.clone();
    let theme = &app.theme;
    let wide = area.width >= 140;
    // Which optional columns fit: the short id, session/user (always when grouped by
    // session) and the input preview.
    let grouped = app.traces.by_session && app.traces.sessions.is_some();
    let shown = [
        true,
        true,
        area.width >= 90,
        area.width >= 130 || grouped,
        true,
        true,
        true,
        true,
        true,
        // The feedback column shows once anything is judged.
        !set.assessments.is_empty(),
        area.width >= 100,
    ];
    let (start, end) = (
        app.traces.offset,
        (app.traces.offset + height).min(app.traces.order.len()),
    );
    // Metadata is read once per trace, for the rows on screen only.
    for i in start..end {
        let t = app.traces.order[i];
        app.traces.meta_of(&set, t);
    }
    let rows = app.traces.order[start..end]
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let tr = &set.traces[t as usize];
            let meta = &app.traces.meta[&t];
            let id = set.str(tr.id);
            let short_id = id[..id.len().min(8)].to_owned();
            let who = who(
                meta,
                grouped.then(|| {
                    let prev = (start + i).checked_sub(1).map(|p| app.traces.order[p]);
                    let this = app.traces.session_of(t);
                    prev.is_some_and(|p| app.traces.session_of(p) == this)
                }),
            );
            let preview = meta
                .input_preview
                .as_deref()
                .map(|p| inert::line(p).into_owned())
                .unwrap_or_default();
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
            Row::new(pick(
                &shown,
                vec![
                    Cell::from(Line::from(vec![Span::styled(mark, theme.accent()), err])),
                    Cell::from(inert::line(set.str(tr.name)).into_owned()).style(style),
                    Cell::from(short_id),
                    Cell::from(who),
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
                    feedback_cell(app.tallies.get(t as usize), theme),
                    Cell::from(preview).style(theme.muted()),
                ],
            ))
        });
    let sort_mark = |label: &str| {
        let mark = if app.traces.descending { "▼" } else { "▲" };
        if app.traces.sort.label() == label {
            format!("{label}{mark}")
        } else {
            label.to_owned()
        }
    };
    let header = Row::new(pick(
        &shown,
        vec![
            String::new(),
            clip(&format!("trace ({})", sort_mark("name")), 40),
            "id".to_owned(),
            if grouped {
                "session ▾"
            } else {
                "session/user"
            }
            .to_owned(),
            sort_mark("start"),
            sort_mark("duration"),
            sort_mark("spans"),
            sort_mark("errors"),
            sort_mark("tokens"),
            "feedback".to_owned(),
            "input".to_owned(),
        ],
    ))
    .style(theme.header());
    let widths = pick(
        &shown,
        vec![
            Constraint::Length(2),
            if shown[10] {
                Constraint::Fill(1)
            } else {
                Constraint::Min(12)
            },
            Constraint::Length(8),
            Constraint::Length(16),
            Constraint::Length(if wide { 19 } else { 8 }),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(13),
            Constraint::Length(9),
            Constraint::Fill(1),
        ],
    );
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(theme.selection());
    let mut state =
        TableState::default().with_selected(Some(app.traces.cursor.saturating_sub(start)));
    frame.render_stateful_widget(table, area, &mut state);
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

/// The session/user column: the session (or `│` under the row that names it when the list
/// is grouped), else the user, and the first tag.
fn who(meta: &crate::model::TraceMeta, same_as_above: Option<bool>) -> String {
    let tag = meta.tags.first().map(|(k, v)| {
        if v.is_empty() {
            format!(" #{k}")
        } else {
            format!(" #{k}={v}")
        }
    });
    let base = match (&meta.session, &meta.user, same_as_above) {
        (Some(_), _, Some(true)) => "│".to_owned(),
        (Some(s), _, _) => s.clone(),
        (None, Some(u), _) => format!("@{u}"),
        (None, None, Some(_)) => "(no session)".to_owned(),
        (None, None, None) => String::new(),
    };
    inert::line(&format!("{base}{}", tag.unwrap_or_default())).into_owned()
}

/// The query line under the list while `f` is open (and its parse error), and the active
/// filter otherwise; returns the area left for the list.
fn query_line(frame: &mut Frame, app: &App, area: Rect) -> Rect {
    let theme = &app.theme;
    let lines: Vec<Line> = match (&app.trace_query, &app.traces.filter) {
        (Some(q), _) => {
            let mut v = vec![Line::from(vec![
                Span::styled("filter traces: ", theme.accent()),
                Span::raw(format!("{}█", inert::line(&q.input))),
                Span::styled("  (Enter apply · empty clears · Esc cancel)", theme.muted()),
            ])];
            if let Some(e) = &q.error {
                v.push(Line::styled(inert::line(e).into_owned(), theme.error()));
            }
            v
        }
        (None, Some(f)) => vec![Line::from(vec![
            Span::styled("filter: ", theme.accent()),
            Span::raw(inert::line(f).into_owned()),
            Span::styled(
                format!("  {} traces (f edits)", app.traces.order.len()),
                theme.muted(),
            ),
        ])],
        (None, None) => return area,
    };
    let n = (lines.len() as u16).min(area.height.saturating_sub(2));
    let buf = frame.buffer_mut();
    for (i, l) in lines.iter().take(n as usize).enumerate() {
        let y = area.y + area.height - n + i as u16;
        buf.set_line(area.x, y, l, area.width);
    }
    Rect {
        height: area.height - n,
        ..area
    }
}

/// The items whose column is shown.
fn pick<T>(shown: &[bool], v: Vec<T>) -> Vec<T> {
    v.into_iter()
        .zip(shown)
        .filter(|(_, s)| **s)
        .map(|(c, _)| c)
        .collect()
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
