//! The diff view: two span trees side by side, row against row, with a mark column, timing
//! bars on one shared scale, totals above and the selected row's payload diff below.

use crate::diff::RowStatus;
use crate::diff::payload::Tag;
use crate::diff::report::delta;
use crate::inert;
use crate::model::time::format_duration;
use crate::model::{SpanIx, TraceSet};
use crate::tui::app::App;
use crate::tui::diff::DiffView;
use crate::tui::theme::Theme;
use crate::tui::view::bars;
use crate::tui::wrap;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

pub fn render(frame: &mut Frame, app: &mut App, area: Rect) {
    let theme = app.theme;
    let Some(view) = app.diff.as_mut() else {
        return;
    };
    let [head, rows, payload] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Percentage(60),
        Constraint::Min(3),
    ])
    .areas(area);
    header(frame, view, &theme, head);
    view.scroll_into_view(rows.height as usize);
    draw_rows(frame, view, &theme, rows);
    draw_payload(frame, view, &theme, payload);
}

fn header(frame: &mut Frame, v: &DiffView, theme: &Theme, area: Rect) {
    let side = |set: &TraceSet, t: crate::model::TraceIx, label: &str| {
        let tr = set.trace(t);
        format!(
            "{label} {} · {} · {} spans · {} tokens · {} errors",
            inert::line(set.str(tr.name)),
            format_duration(tr.duration_ns()),
            tr.span_count(),
            tr.input_tokens + tr.output_tokens,
            tr.errors
        )
    };
    let half = (area.width as usize).saturating_sub(3) / 2;
    let l = wrap::clip(&side(&v.left, v.lt, "◀"), half);
    let r = wrap::clip(&side(&v.right, v.rt, "▶"), half);
    let line = Line::from(vec![
        Span::styled(format!("{l:<half$}   "), theme.header()),
        Span::styled(r, theme.header()),
    ]);
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
    let s = &v.diff.summary;
    let dt = s.tokens.1 as i64 - s.tokens.0 as i64;
    let mut spans = vec![
        Span::styled(format!("{} changed", s.changed), theme.changed()),
        Span::raw(" · "),
        Span::styled(format!("{} added", s.added), theme.added()),
        Span::raw(" · "),
        Span::styled(format!("{} removed", s.removed), theme.removed()),
        Span::raw(format!(
            " · {} same · Δ duration {} · Δ tokens {dt:+}",
            s.same,
            delta(Some(s.duration_ns.0), Some(s.duration_ns.1))
        )),
    ];
    if s.errors.0 != s.errors.1 {
        spans.push(Span::styled(
            format!(" · errors {} → {}", s.errors.0, s.errors.1),
            theme.error(),
        ));
    }
    if v.hide_unchanged {
        spans.push(Span::styled(" · unchanged hidden (u)", theme.muted()));
    }
    frame
        .buffer_mut()
        .set_line(area.x, area.y + 1, &Line::from(spans), area.width);
}

fn draw_rows(frame: &mut Frame, v: &DiffView, theme: &Theme, area: Rect) {
    let half = area.width.saturating_sub(3) / 2;
    let scale = v
        .left
        .trace(v.lt)
        .duration_ns()
        .max(v.right.trace(v.rt).duration_ns())
        .max(1);
    let lw = (
        v.left.trace(v.lt).start_ns,
        v.left.trace(v.lt).start_ns + scale,
    );
    let rw = (
        v.right.trace(v.rt).start_ns,
        v.right.trace(v.rt).start_ns + scale,
    );
    let rows = v
        .visible
        .iter()
        .enumerate()
        .skip(v.offset)
        .take(area.height as usize);
    for (y, (i, &r)) in (area.y..).zip(rows) {
        let row = &v.diff.rows[r as usize];
        let selected = i == v.cursor;
        let x_mid = area.x + half;
        let muted = theme.muted();
        side(
            frame,
            &v.left,
            row.left,
            row.depth,
            (area.x, y, half),
            lw,
            theme,
            selected,
            muted,
        );
        let (mark, style) = match row.status {
            RowStatus::Same => ("   ", Style::new()),
            RowStatus::Changed => (" ~ ", theme.changed()),
            RowStatus::Added => (" + ", theme.added()),
            RowStatus::Removed => (" - ", theme.removed()),
        };
        let style = if selected {
            style.add_modifier(Modifier::REVERSED)
        } else {
            style
        };
        frame
            .buffer_mut()
            .set_string(x_mid, y, mark, style.add_modifier(Modifier::BOLD));
        // The right side's duration is red when the step got slower, green when faster.
        let dur_style = match (row.left, row.right) {
            (Some(l), Some(r)) if row.changes.contains(&crate::diff::Change::Duration) => {
                if v.right.span(r).duration_ns() > v.left.span(l).duration_ns() {
                    theme.error()
                } else {
                    theme.ok()
                }
            }
            _ => theme.muted(),
        };
        side(
            frame,
            &v.right,
            row.right,
            row.depth,
            (x_mid + 3, y, half),
            rw,
            theme,
            selected,
            dur_style,
        );
    }
}

/// One side of a row: indent, kind tag, name, duration and a timing bar, at (x, y) in a
/// half `width` cells wide.
#[allow(clippy::too_many_arguments)]
fn side(
    frame: &mut Frame,
    set: &TraceSet,
    span: Option<SpanIx>,
    depth: u32,
    (x, y, width): (u16, u16, u16),
    window: (i64, i64),
    theme: &Theme,
    selected: bool,
    dur_style: Style,
) {
    let Some(ix) = span else { return };
    let s = set.span(ix);
    let bar_w = if width >= 50 { width / 4 } else { 0 };
    let dur_w = 9u16;
    let name_w = width.saturating_sub(bar_w + dur_w + 1) as usize;
    let indent = (depth as usize * 2).min(name_w / 3);
    let name = wrap::clip(
        &inert::line(set.str(s.name)),
        name_w.saturating_sub(indent + 7).max(3),
    );
    let name_style = if s.is_error() {
        theme.error()
    } else {
        Style::new()
    };
    let mut line = Line::from(vec![
        Span::raw(" ".repeat(indent)),
        Span::styled(s.kind.tag(), theme.kind(s.kind)),
        Span::raw(" "),
        Span::styled(name, name_style),
    ]);
    if selected {
        line = line.patch_style(theme.selection());
    }
    let buf = frame.buffer_mut();
    buf.set_line(x, y, &line, name_w as u16);
    let dur = format!("{:>8}", format_duration(s.duration_ns()));
    buf.set_stringn(x + name_w as u16, y, dur, dur_w as usize, dur_style);
    if bar_w > 0 {
        let end = s.end_ns().unwrap_or(s.start_ns).max(s.start_ns);
        let cells = bars::cells(s.start_ns, end, window, bar_w as usize);
        let style = if s.is_error() {
            theme.error()
        } else {
            theme.kind(s.kind)
        };
        bars::draw(buf, x + width - bar_w, y, &cells, style);
    }
}

fn draw_payload(frame: &mut Frame, v: &mut DiffView, theme: &Theme, area: Rect) {
    let Some(i) = v.selected() else { return };
    let row = &v.diff.rows[i];
    let mut title = format!("─ {}", row.status.as_str());
    if let (Some(l), Some(r)) = (row.left, row.right) {
        let (a, b) = (v.left.span(l).duration_ns(), v.right.span(r).duration_ns());
        title.push_str(&format!(
            " · {} → {} {}",
            format_duration(a),
            format_duration(b),
            delta(Some(a), Some(b))
        ));
        if row.tokens.0 != row.tokens.1 {
            title.push_str(&format!(" · tokens {} → {}", row.tokens.0, row.tokens.1));
        }
    }
    if !row.changes.is_empty() {
        let names: Vec<&str> = row.changes.iter().map(|c| c.as_str()).collect();
        title.push_str(&format!(" · changed: {}", names.join(", ")));
    }
    let focus = if v.payload_focus {
        title.insert_str(0, "▶ ");
        title.push_str(" · focused: ↑↓ scroll, Tab/Esc back");
        theme
            .accent()
            .add_modifier(Modifier::BOLD | Modifier::REVERSED)
    } else {
        title.push_str(" · Tab: scroll this pane");
        theme.muted()
    };
    let title = wrap::clip(&format!("{title} "), area.width as usize);
    frame.buffer_mut().set_string(area.x, area.y, &title, focus);
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    // Only the lines on screen are styled: a diff of MB prompts has thousands.
    let total: usize = v.payload.iter().map(|s| 1 + s.lines.len()).sum();
    v.payload_scroll = v.payload_scroll.min(total.saturating_sub(1));
    enum Item<'a> {
        Title(&'a str),
        Line(&'a crate::diff::payload::Line),
    }
    let items = v
        .payload
        .iter()
        .flat_map(|s| std::iter::once(Item::Title(&s.title)).chain(s.lines.iter().map(Item::Line)));
    // Long lines wrap onto rows marked `↪`; only the items that reach the screen are styled.
    let mut rows = Vec::with_capacity(body.height as usize);
    for item in items.skip(v.payload_scroll) {
        if rows.len() >= body.height as usize {
            break;
        }
        let line = match item {
            Item::Line(l) => payload_line(l, theme),
            Item::Title(title) => Line::styled(format!("── {title}"), theme.header()),
        };
        rows.extend(wrap_line(line, body.width as usize, theme));
    }
    for (y, line) in (body.y..body.y + body.height).zip(rows) {
        frame.buffer_mut().set_line(body.x, y, &line, body.width);
    }
}

/// Mark at the start of a row that continues the line above.
pub const CONTINUED: &str = "↪ ";

/// Splits a styled line into rows of at most `width` cells; rows after the first start
/// with `CONTINUED`.
fn wrap_line(line: Line<'static>, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    let mark_w = wrap::width(CONTINUED);
    if width <= mark_w + 1 || line.width() <= width {
        return vec![line];
    }
    let mut rows = vec![Line::default()];
    let mut used = 0;
    for span in line.spans {
        let mut cur = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                let row = rows.last_mut().expect("one row");
                row.spans
                    .push(Span::styled(std::mem::take(&mut cur), span.style));
                rows.push(Line::from(Span::styled(CONTINUED, theme.muted())));
                used = mark_w;
            }
            cur.push(c);
            used += w;
        }
        if !cur.is_empty() {
            let row = rows.last_mut().expect("one row");
            row.spans.push(Span::styled(cur, span.style));
        }
    }
    rows
}

fn payload_line(l: &crate::diff::payload::Line, theme: &Theme) -> Line<'static> {
    let (prefix, base) = match l.tag {
        Tag::Same => ("  ", Style::new()),
        Tag::Added => ("+ ", theme.added()),
        Tag::Removed => ("- ", theme.removed()),
    };
    let mut spans = vec![Span::styled(prefix, base)];
    for (text, emphasis) in &l.segments {
        let style = if *emphasis && l.tag != Tag::Same {
            base.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            base
        };
        spans.push(Span::styled(inert::line(text).into_owned(), style));
    }
    Line::from(spans)
}
