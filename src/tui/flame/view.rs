//! Drawing flame charts: the trace's chart (one row per depth, one cell per time slice)
//! and the blocks shared with the step table's icicle. Only on-screen cells are built.

use crate::inert;
use crate::model::time::format_duration;
use crate::model::{SpanIx, SpanKind};
use crate::tui::app::App;
use crate::tui::flame::{FlameCell, end_of};
use crate::tui::theme::Theme;
use crate::tui::wrap;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// One block to draw: columns `[a, b)` of a row.
pub struct Block<'a> {
    pub a: u16,
    pub b: u16,
    pub label: &'a str,
    pub kind: SpanKind,
    pub error: bool,
    pub selected: bool,
}

/// The fill of a block of `kind`: its colour as background, or reversed without colours.
fn fill(theme: &Theme, kind: SpanKind) -> Style {
    match theme.kind(kind).fg {
        Some(c) => Style::new().bg(c).fg(Color::Black),
        None => Style::new().add_modifier(Modifier::REVERSED),
    }
}

/// Draws a block at row `y` from `x`: a boundary mark, then its label where it fits.
pub fn draw_block(buf: &mut Buffer, theme: &Theme, x: u16, y: u16, b: &Block) {
    let w = b.b.saturating_sub(b.a) as usize;
    if w == 0 {
        return;
    }
    let mut style = fill(theme, b.kind);
    if b.selected {
        style = theme.selection().add_modifier(Modifier::BOLD);
    }
    let mark = if b.error { "✗" } else { "▏" };
    let text = if w == 1 {
        if b.error {
            "✗".to_owned()
        } else {
            "█".to_owned()
        }
    } else {
        let label = wrap::clip(&inert::line(b.label), w - 1);
        format!("{mark}{label:<0$}", w - 1)
    };
    let line = Line::from(Span::styled(text, style));
    let line = if w == 1 && !b.selected {
        let s = if b.error {
            theme.error()
        } else {
            theme.kind(b.kind)
        };
        line.style(s)
    } else {
        line
    };
    buf.set_line(x + b.a, y, &line, w as u16);
    if b.error && w > 1 {
        buf[(x + b.a, y)].set_style(theme.error());
    }
}

/// A cell where several spans fall: a shade in the colour of the one shown.
fn draw_dense(buf: &mut Buffer, theme: &Theme, x: u16, y: u16, kind: SpanKind, error: bool) {
    let (ch, style) = if error {
        ("✗", theme.error())
    } else {
        ("▒", theme.kind(kind))
    };
    buf[(x, y)].set_symbol(ch).set_style(style);
}

pub fn render(frame: &mut Frame, app: &mut App, area: Rect) {
    if area.height < 3 {
        return;
    }
    let set = app.set.clone();
    let theme = app.theme;
    let Some(chart) = app.flame.as_mut() else {
        return;
    };
    let rows = area.height as usize - 2;
    chart.scroll_into_view(&set, rows);
    let width = area.width as usize;
    let buf = frame.buffer_mut();
    header(buf, &theme, &set, chart, area);
    axis(
        buf,
        &theme,
        chart.window,
        set.trace(chart.trace).start_ns,
        area,
    );
    let sel_depth = set.span(chart.selected).depth as usize;
    for (y, depth) in (area.y + 2..area.y + area.height).zip(chart.top..chart.depths()) {
        let cells = chart.row(&set, depth, width);
        draw_row(buf, &theme, &set, &cells, area.x, y);
        if depth == sel_depth
            && let Some((a, b)) = chart.columns(&set, chart.selected, width)
        {
            let s = set.span(chart.selected);
            let block = Block {
                a: a as u16,
                b: b as u16,
                label: set.span_name(chart.selected),
                kind: s.kind,
                error: s.is_error(),
                selected: true,
            };
            draw_block(buf, &theme, area.x, y, &block);
        }
    }
}

/// Draws one row's cells as runs: a run is the columns one span covers alone.
fn draw_row(
    buf: &mut Buffer,
    theme: &Theme,
    set: &crate::model::TraceSet,
    cells: &[FlameCell],
    x: u16,
    y: u16,
) {
    let mut c = 0;
    while c < cells.len() {
        let cell = cells[c];
        let Some(span) = cell.span else {
            c += 1;
            continue;
        };
        let s = set.span(span);
        if cell.dense {
            draw_dense(buf, theme, x + c as u16, y, s.kind, cell.error);
            c += 1;
            continue;
        }
        let mut end = c + 1;
        while end < cells.len() && cells[end].span == Some(span) && !cells[end].dense {
            end += 1;
        }
        let block = Block {
            a: c as u16,
            b: end as u16,
            label: set.span_name(span),
            kind: s.kind,
            error: s.is_error(),
            selected: false,
        };
        draw_block(buf, theme, x, y, &block);
        c = end;
    }
}

fn header(
    buf: &mut Buffer,
    theme: &Theme,
    set: &crate::model::TraceSet,
    chart: &crate::tui::flame::FlameChart,
    area: Rect,
) {
    let t = set.trace(chart.trace);
    let sel: SpanIx = chart.selected;
    let s = set.span(sel);
    let mut spans = vec![
        Span::styled(
            format!("flame · {}", inert::line(set.str(t.name))),
            theme.header(),
        ),
        Span::raw(format!(
            "  {} deep · selected: ",
            crate::tui::view::status::count(chart.depths(), "level")
        )),
        Span::styled(s.kind.tag().trim().to_owned(), theme.kind(s.kind)),
        Span::raw(format!(
            " {} · {} at +{}",
            inert::line(set.span_name(sel)),
            format_duration(end_of(set, sel) - s.start_ns),
            format_duration(s.start_ns - t.start_ns)
        )),
    ];
    if s.is_error() {
        spans.push(Span::styled(" · error", theme.error()));
    }
    if chart.zoomed {
        spans.push(Span::styled(" · zoomed (z: whole trace)", theme.warn()));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// The time axis: an offset from the trace's start every 16 columns.
fn axis(buf: &mut Buffer, theme: &Theme, (w0, w1): (i64, i64), t0: i64, area: Rect) {
    let width = area.width as usize;
    let mut text = String::new();
    let step = 16;
    for c in (0..width).step_by(step) {
        let t = w0 + ((w1 - w0) as i128 * c as i128 / width.max(1) as i128) as i64;
        let label = format!("╵{}", format_duration(t - t0));
        let label = wrap::clip(&label, step.min(width - c));
        text.push_str(&format!("{label:<0$}", step.min(width - c)));
    }
    buf.set_string(area.x, area.y + 1, text, theme.muted());
}
