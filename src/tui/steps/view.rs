//! The step table screen: the lens tabs, the sortable table (columns that do not fit are
//! left out, least useful first), the selected row's errors and duration histogram, the
//! drill-down list of a step's spans and the icicle. Only rows on screen are built.

use super::cells::*;
use crate::inert;
use crate::model::time::{format_duration, format_iso_ms};
use crate::tui::app::App;
use crate::tui::steps::{Computed, Lens, Mode, StepsView, histogram, sparkline};
use crate::tui::theme::Theme;
use crate::tui::wrap::clip;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};

pub fn render(frame: &mut Frame, app: &mut App, area: Rect) {
    let theme = app.theme;
    let set = app.set.clone();
    let Some(view) = app.steps.as_mut() else {
        return;
    };
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    draw_tabs(frame, &theme, view, tabs);
    let Some(data) = view.data.clone() else {
        let msg = match view.pending {
            Some(_) => format!(
                "computing the step table of {} traces in the background…",
                view.traces.len()
            ),
            None => "the step table could not be computed (Esc, then t to retry)".to_owned(),
        };
        frame
            .buffer_mut()
            .set_string(body.x + 1, body.y + 1, msg, theme.muted());
        return;
    };
    match view.mode {
        Mode::Table => table(frame, &theme, view, &data, body),
        Mode::Spans => spans(frame, &theme, &set, view, &data, body),
        Mode::Icicle => icicle(frame, &theme, view, &data, body),
    }
}

fn draw_tabs(frame: &mut Frame, theme: &Theme, view: &StepsView, area: Rect) {
    let mut spans = Vec::new();
    for lens in [Lens::Steps, Lens::Tools, Lens::Prompts] {
        let style = if lens == view.lens {
            theme
                .accent()
                .add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            theme.muted()
        };
        spans.push(Span::styled(format!(" {} ", lens.label()), style));
        spans.push(Span::raw(" "));
    }
    let by = format!(
        " grouped by {} (p) · {} traces · Tab lens · s sort · f icicle",
        view.by.as_str(),
        view.traces.len()
    );
    spans.push(Span::styled(by, theme.muted()));
    if view.pending.is_some() {
        spans.push(Span::styled(" · computing…", theme.warn()));
    }
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &Line::from(spans), area.width);
}

fn table(frame: &mut Frame, theme: &Theme, view: &mut StepsView, d: &Computed, area: Rect) {
    let detail_h = if view.lens == Lens::Steps { 4 } else { 0 };
    let [list, detail] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(detail_h.min(area.height.saturating_sub(3))),
    ])
    .areas(area);
    let height = list.height.saturating_sub(1) as usize;
    view.cursor.scroll_into_view(height);
    let (widths, drop) = layout(view.lens);
    let shown = fitting(&widths, &drop, list.width);
    let header = header_row(view, &shown).style(theme.header());
    let (start, end) = (
        view.cursor.offset,
        (view.cursor.offset + height).min(view.order.len()),
    );
    let rows = view.order[start..end].iter().map(|&r| {
        let r = r as usize;
        let mut cells = match view.lens {
            Lens::Steps => step_cells(&d.stats.steps[r], d, theme),
            Lens::Tools => tool_cells(&d.stats.tools[r], theme),
            Lens::Prompts => prompt_cells(&d.stats.prompts[r]),
        };
        let mut out = Vec::new();
        for (i, c) in cells.drain(..).enumerate() {
            if shown.contains(&i) {
                out.push(c);
            }
        }
        Row::new(out)
    });
    let last = *shown.last().unwrap_or(&0);
    // The name column takes what is left; the last one (free text) fills the row.
    let constraints = shown.iter().map(|&c| match c {
        0 => Constraint::Min(widths[0]),
        c if c == last => Constraint::Fill(1),
        c => Constraint::Length(widths[c]),
    });
    let table = Table::new(rows, constraints)
        .header(header)
        .row_highlight_style(theme.selection());
    let mut state = TableState::default().with_selected(Some(view.cursor.at.saturating_sub(start)));
    frame.render_stateful_widget(table, list, &mut state);
    if view.order.is_empty() {
        frame.buffer_mut().set_string(
            list.x + 1,
            list.y + 1,
            format!("no {} in the listed traces", view.lens.label()),
            theme.muted(),
        );
    }
    if detail_h > 0 {
        step_detail(frame, theme, view, d, detail);
    }
}

/// The header of the shown columns, the sort column marked ▲ or ▼.
fn header_row(view: &StepsView, shown: &[usize]) -> Row<'static> {
    let mut names: Vec<&str> = view.columns().iter().map(|c| c.name).collect();
    names.push("histogram");
    names.push(match view.lens {
        Lens::Steps => "top error",
        Lens::Tools => "",
        Lens::Prompts => "made of",
    });
    let sort = view.sort_column();
    let arrow = if view.is_descending() { "▼" } else { "▲" };
    Row::new(shown.iter().map(|&c| {
        if c == sort {
            format!("{}{arrow}", names[c])
        } else {
            names[c].to_owned()
        }
    }))
}

/// Under the step table: the selected step's key or path, its errors and its histogram.
fn step_detail(frame: &mut Frame, theme: &Theme, view: &StepsView, d: &Computed, area: Rect) {
    let Some(s) = view.selected_row().map(|r| &d.stats.steps[r]) else {
        return;
    };
    let buf = frame.buffer_mut();
    let w = area.width;
    let mut y = area.y;
    let rule = "─".repeat(w as usize);
    buf.set_string(area.x, y, rule, theme.muted());
    y += 1;
    let title = format!(
        "{} · {} calls in {} traces · {} unknown durations",
        inert::line(s.path.as_deref().unwrap_or(&s.key)),
        s.calls,
        s.traces,
        s.unknown_durations
    );
    buf.set_string(area.x, y, clip(&title, w as usize), theme.header());
    y += 1;
    if y < area.y + area.height {
        let bins = (w as usize / 2).clamp(8, 40);
        let line = Line::from(vec![
            Span::raw(format!("{} ", dur(s.durations_ns.first().copied()))),
            Span::styled(
                sparkline(&histogram(&s.durations_ns, bins)),
                theme.kind(s.kind),
            ),
            Span::raw(format!(
                " {} (log scale)",
                dur(s.durations_ns.last().copied())
            )),
        ]);
        buf.set_line(area.x, y, &line, w);
        y += 1;
    }
    if y < area.y + area.height {
        let errors: Vec<String> = s
            .top_errors
            .iter()
            .map(|e| {
                let head = if e.kind.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", e.kind)
                };
                format!("{}× {}{}", e.count, head, e.message)
            })
            .collect();
        let text = if errors.is_empty() {
            "no errors".to_owned()
        } else {
            errors.join(" · ")
        };
        buf.set_string(
            area.x,
            y,
            clip(&inert::line(&text), w as usize),
            theme.error(),
        );
    }
}

fn spans(
    frame: &mut Frame,
    theme: &Theme,
    set: &crate::model::TraceSet,
    view: &mut StepsView,
    d: &Computed,
    area: Rect,
) {
    let Some(drill) = view.drill.as_mut() else {
        return;
    };
    let name = match view.lens {
        Lens::Tools => d.stats.tools.get(drill.row).map(|t| t.name.clone()),
        Lens::Prompts => d.stats.prompts.get(drill.row).map(|p| p.name.clone()),
        Lens::Steps => d
            .stats
            .steps
            .get(drill.row)
            .map(|s| s.path.clone().unwrap_or_else(|| s.name.clone())),
    }
    .unwrap_or_default();
    let title = format!(
        "{} spans of {} · errors first, then slowest · Enter opens · Esc back",
        drill.spans.len(),
        inert::line(&name)
    );
    frame.buffer_mut().set_string(
        area.x,
        area.y,
        clip(&title, area.width as usize),
        theme.header(),
    );
    let list = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let height = list.height.saturating_sub(1) as usize;
    drill.cursor.scroll_into_view(height);
    let (start, end) = (
        drill.cursor.offset,
        (drill.cursor.offset + height).min(drill.spans.len()),
    );
    let rows = drill.spans[start..end].iter().map(|&ix| {
        let s = set.span(ix);
        let t = set.trace(set.trace_of(ix));
        let id = set.str(t.id);
        let trace = format!(
            "{} {}",
            &id[..id.len().min(8)],
            inert::line(set.str(t.name))
        );
        let error = s
            .status_msg
            .map(|m| set.sources.text(m))
            .map(|m| inert::line(m.lines().next().unwrap_or("")).into_owned())
            .unwrap_or_else(|| {
                if s.is_error() {
                    "error".into()
                } else {
                    String::new()
                }
            });
        let style = if s.is_error() {
            theme.error()
        } else {
            Style::new()
        };
        Row::new(vec![
            Cell::from(trace),
            Cell::from(format_iso_ms(s.start_ns)[..23].replace('T', " ")),
            Cell::from(format!("+{}", format_duration(s.start_ns - t.start_ns))),
            Cell::from(match s.end_ns() {
                Some(_) => format_duration(s.duration_ns()),
                None => "running".into(),
            }),
            Cell::from(error).style(style),
        ])
    });
    let header =
        Row::new(vec!["trace", "start", "in trace", "duration", "error"]).style(theme.header());
    let widths = [
        Constraint::Length(28),
        Constraint::Length(23),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(theme.selection());
    let mut state =
        TableState::default().with_selected(Some(drill.cursor.at.saturating_sub(start)));
    frame.render_stateful_widget(table, list, &mut state);
}

fn icicle(frame: &mut Frame, theme: &Theme, view: &StepsView, d: &Computed, area: Rect) {
    let ice = &d.icicle;
    let sel = view.ice_selected;
    let Some(node) = ice.nodes.get(sel as usize) else {
        return;
    };
    let share = |ns: i64| {
        let root = ice.nodes[0].total_ns.max(1);
        format!("{:.1}%", ns as f64 * 100.0 / root as f64)
    };
    let path = if sel == 0 {
        "all traces".to_owned()
    } else {
        ice.path(sel)
    };
    let title = format!(
        "icicle · {} · {} summed ({} of all) · {} calls · {} errors · h/l j/k move · Esc back",
        inert::line(&path),
        format_duration(node.total_ns),
        share(node.total_ns),
        node.calls,
        node.errors
    );
    let buf = frame.buffer_mut();
    buf.set_string(
        area.x,
        area.y,
        clip(&title, area.width as usize),
        theme.header(),
    );
    let rows = area.height.saturating_sub(1) as u32;
    // Keep the selected block's row on screen.
    let top = node.depth.saturating_sub(rows.saturating_sub(1));
    for p in ice.layout(area.width, top, rows) {
        let n = &ice.nodes[p.node as usize];
        let block = crate::tui::flame::view::Block {
            a: p.a,
            b: p.b,
            label: &n.label,
            kind: n.kind,
            error: n.errors > 0,
            selected: p.node == sel,
        };
        crate::tui::flame::view::draw_block(
            buf,
            theme,
            area.x,
            area.y + 1 + p.depth as u16,
            &block,
        );
    }
}
