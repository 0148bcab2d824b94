//! Drawing the app: the frame layout and one module per pane. Views read `App` (and keep
//! only scroll positions and layout caches up to date); they never change what is selected.

pub(crate) mod bars;
mod loading;
mod overlay;
mod span_tree;
pub mod status;
pub(crate) mod trace_table;

pub use bars::cells as bar_cells;
pub use overlay::help_lines;
pub use trace_table::compact;

use super::app::{App, Focus, Screen};
use crate::inert;
use crate::model::time::format_duration;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

/// Draws the whole screen.
pub fn render(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    if area.height < 3 || area.width < 20 {
        frame
            .buffer_mut()
            .set_string(area.x, area.y, "window too small", app.theme.warn());
        return;
    }
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    status::top(frame, app, top);
    match app.screen {
        Screen::Loading => loading::render(frame, app, body),
        Screen::Traces => trace_table::render(frame, app, body),
        Screen::Trace => trace_view(frame, app, body),
        Screen::Diff => crate::tui::diff::view::render(frame, app, body),
        Screen::Runs => crate::tui::runs::view::render(frame, app, body),
        Screen::Flame => crate::tui::flame::view::render(frame, app, body),
        Screen::Steps => crate::tui::steps::view::render(frame, app, body),
    }
    status::bottom(frame, app, bottom);
    if app.overlay == super::app::Overlay::Search {
        crate::tui::search::view::render(frame, app, body);
    } else {
        overlay::render(frame, app, body);
    }
}

fn trace_view(frame: &mut Frame, app: &mut App, area: Rect) {
    let meta = meta_line(app);
    let head_h = if meta.is_some() && area.height >= 12 {
        2
    } else {
        1
    };
    let [head, panes] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Min(2)]).areas(area);
    trace_header(frame, app, head);
    if let (Some(line), 2) = (meta, head_h) {
        frame
            .buffer_mut()
            .set_line(head.x, head.y + 1, &line, head.width);
    }
    let side_by_side = panes.width >= 140;
    let [tree_area, detail_area] = if side_by_side {
        let split = [Constraint::Percentage(55), Constraint::Percentage(45)];
        Layout::horizontal(split).areas(panes)
    } else {
        // Stacked: the tree gets what it needs up to 55%, the detail the rest.
        let rows = app.tree.as_ref().map_or(0, |t| t.rows.len() as u16) + 1;
        let tree_h = rows.clamp(3, (panes.height * 55 / 100).max(3));
        Layout::vertical([Constraint::Length(tree_h), Constraint::Min(2)]).areas(panes)
    };
    let tree_focus = app.focus == Focus::Tree;
    let tree_title = match (&app.search.filter, &app.tree) {
        (Some(q), Some(t)) => format!(
            "spans · filter {} · {} hidden (F clears)",
            inert::line(q),
            t.hidden_by_filter()
        ),
        _ => "spans".to_owned(),
    };
    let tree_body = pane_title(frame, app, tree_area, &tree_title, tree_focus);
    span_tree::render(frame, app, tree_body, tree_focus);
    let detail_title = app.selected_span().map_or("detail".into(), |s| {
        format!("detail · {}", inert::line(app.set.span_name(s)))
    });
    let detail_body = pane_title(frame, app, detail_area, &detail_title, !tree_focus);
    crate::tui::detail::view::render(frame, app, detail_body, !tree_focus);
}

/// Draws a one-line pane title (highlighted when focused) and returns the area below it.
fn pane_title(frame: &mut Frame, app: &App, area: Rect, title: &str, focused: bool) -> Rect {
    let style = if focused {
        app.theme
            .accent()
            .add_modifier(ratatui::style::Modifier::BOLD)
    } else {
        app.theme.muted()
    };
    let text = format!(
        "─ {} ",
        super::wrap::clip(title, area.width.saturating_sub(4) as usize)
    );
    let rule = "─".repeat((area.width as usize).saturating_sub(super::wrap::width(&text)));
    let line = Line::from(vec![
        Span::styled(text, style),
        Span::styled(rule, app.theme.muted()),
    ]);
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
    Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    }
}

fn trace_header(frame: &mut Frame, app: &App, area: Rect) {
    let Some(tree) = &app.tree else { return };
    let set = &app.set;
    let t = set.trace(tree.trace);
    let summary = format!(
        "  {} · {}",
        format_duration(t.duration_ns()),
        status::count(t.span_count() as usize, "span")
    );
    let mut spans = vec![
        Span::styled(
            inert::line(set.str(t.name)).into_owned(),
            app.theme.header(),
        ),
        Span::styled(
            format!("  {}", inert::line(set.str(t.id))),
            app.theme.muted(),
        ),
        Span::raw(summary),
    ];
    if t.errors > 0 {
        let errors = status::count(t.errors as usize, "error");
        spans.push(Span::styled(format!(" · {errors}"), app.theme.error()));
    }
    if t.total_tokens > 0 {
        let tokens = format!(
            " · tokens {}/{}",
            compact(t.input_tokens),
            compact(t.output_tokens)
        );
        spans.push(Span::raw(tokens));
    }
    if let Some(c) = t.cost.filter(|c| *c > 0.0) {
        spans.push(Span::raw(format!(" · {}", money(c))));
    }
    if let Some(z) = tree.zoom {
        let zoom = format!(" · zoom: {}", inert::line(set.span_name(z.root)));
        spans.push(Span::styled(zoom, app.theme.warn()));
    }
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// A cost in dollars with enough digits to be non-zero: `$1.24`, `$0.0031`, `$0.000019`.
pub fn money(c: f64) -> String {
    let digits = if c >= 1.0 || c <= 0.0 {
        2
    } else {
        (-(c.log10().floor()) as usize + 1).clamp(2, 8)
    };
    format!("${c:.digits$}")
}

/// The trace header's second line: session, user, tags and the request and response
/// previews (MLflow trace metadata and the same in every other convention); `None` when
/// the trace says nothing about itself beyond its input.
fn meta_line(app: &mut App) -> Option<Line<'static>> {
    let t = app.tree.as_ref()?.trace;
    let set = app.set.clone();
    let m = app.traces.meta_of(&set, t.0).clone();
    // An input preview alone (a root span's input) repeats the detail pane below.
    if m.session.is_none() && m.user.is_none() && m.tags.is_empty() && m.output_preview.is_none() {
        return None;
    }
    let theme = &app.theme;
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut field = |label: &str, value: &str| {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.muted()));
        }
        spans.push(Span::styled(format!("{label} "), theme.muted()));
        spans.push(Span::raw(inert::line(value).into_owned()));
    };
    if let Some(s) = &m.session {
        field("session", s);
    }
    if let Some(u) = &m.user {
        field("user", u);
    }
    if !m.tags.is_empty() {
        let tags: Vec<String> = m
            .tags
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        field("tags", &tags.join(" "));
    }
    if let Some(p) = &m.input_preview {
        field("in", &super::wrap::clip(p, 60));
    }
    if let Some(p) = &m.output_preview {
        field("out", &super::wrap::clip(p, 60));
    }
    (!spans.is_empty()).then(|| Line::from(spans))
}
