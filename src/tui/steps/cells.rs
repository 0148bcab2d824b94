//! The step table's cells: one row's values for each lens (step, tool, prompt), formatted
//! compactly, and which columns fit a given width (least useful left out first).

use crate::inert;
use crate::model::time::format_duration;
use crate::stats::{PromptStats, StepStats, ToolStats, percentile};
use crate::tui::steps::{Computed, Lens, histogram, sparkline};
use crate::tui::theme::Theme;
use crate::tui::view::trace_table::compact;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

/// Width of the histogram column (one bin per cell).
pub(super) const HIST_W: usize = 10;

pub(super) fn dur(v: Option<i64>) -> String {
    v.map_or("·".into(), format_duration)
}

pub(super) fn pct(r: f64) -> String {
    if r == 0.0 {
        "·".into()
    } else {
        format!("{:.1}%", r * 100.0)
    }
}

pub(super) fn count(n: u64) -> String {
    if n == 0 { "·".into() } else { n.to_string() }
}

/// A row's cells for every column of the step lens, plus the histogram and top error.
pub(super) fn step_cells(s: &StepStats, d: &Computed, theme: &Theme) -> Vec<Cell<'static>> {
    let name = s.path.as_deref().unwrap_or(&s.name);
    let name = Line::from(vec![
        Span::styled(format!("{} ", s.kind.tag().trim()), theme.kind(s.kind)),
        Span::raw(inert::line(name).into_owned()),
    ]);
    let err_style = if s.errors > 0 {
        theme.error()
    } else {
        Style::new()
    };
    let crit = if d.total_ns > 0 {
        pct(s.critical_path_ns as f64 / d.total_ns as f64)
    } else {
        "·".into()
    };
    let tokens = if s.input_tokens + s.output_tokens > 0 {
        format!("{}/{}", compact(s.input_tokens), compact(s.output_tokens))
    } else {
        "·".into()
    };
    let top = s.top_errors.first().map_or(String::new(), |e| {
        let what = if e.kind.is_empty() {
            &e.message
        } else {
            &e.kind
        };
        format!("{}× {}", e.count, inert::line(what))
    });
    vec![
        Cell::from(name),
        Cell::from(s.traces.to_string()),
        Cell::from(s.calls.to_string()),
        Cell::from(s.max_calls_per_trace.to_string()),
        Cell::from(count(s.errors)).style(err_style),
        Cell::from(pct(s.error_rate())).style(err_style),
        Cell::from(dur(s.duration(50.0))),
        Cell::from(dur(s.duration(90.0))),
        Cell::from(dur(s.duration(99.0))),
        Cell::from(dur(s.durations_ns.last().copied())),
        Cell::from(dur(percentile(&s.self_ns, 50.0))),
        Cell::from(crit),
        Cell::from(tokens),
        Cell::from(sparkline(&histogram(&s.durations_ns, HIST_W))).style(theme.kind(s.kind)),
        Cell::from(top).style(theme.error()),
    ]
}

pub(super) fn tool_cells(t: &ToolStats, theme: &Theme) -> Vec<Cell<'static>> {
    let err_style = if t.errors > 0 {
        theme.error()
    } else {
        Style::new()
    };
    let warn = |n: u64| {
        let c = Cell::from(count(n));
        if n > 0 { c.style(theme.warn()) } else { c }
    };
    vec![
        Cell::from(inert::line(&t.name).into_owned()),
        Cell::from(t.calls.to_string()),
        Cell::from(t.traces.to_string()),
        Cell::from(count(t.errors)).style(err_style),
        Cell::from(pct(t.error_rate())).style(err_style),
        Cell::from(t.max_calls_per_trace.to_string()),
        warn(t.repeated_calls),
        warn(t.loops),
        Cell::from(percentile(&t.arg_bytes, 50.0).map_or("·".into(), |b| format!("{b} B"))),
        Cell::from(sparkline(&histogram(&t.arg_bytes, HIST_W))),
        Cell::from(String::new()),
    ]
}

pub(super) fn prompt_cells(p: &PromptStats) -> Vec<Cell<'static>> {
    let size =
        |q: f64| percentile(&p.input_sizes, q).map_or("·".into(), |v| compact(v.max(0) as u64));
    let unit = p.unit.as_str();
    let shares: Vec<String> = p
        .composition
        .shares()
        .iter()
        .filter(|(_, r)| *r >= 0.005)
        .map(|(k, r)| format!("{k} {:.0}%", r * 100.0))
        .collect();
    vec![
        Cell::from(inert::line(&p.name).into_owned()),
        Cell::from(p.calls.to_string()),
        Cell::from(format!("{} {unit}", size(50.0))),
        Cell::from(size(95.0)),
        Cell::from(size(100.0)),
        Cell::from(p.system_prompts.len().to_string()),
        Cell::from(sparkline(&histogram(&p.input_sizes, HIST_W))),
        Cell::from(shares.join(" · ")),
    ]
}

/// Widths of a lens's columns (then the histogram and the last, free column), and the
/// order columns are dropped in when the screen is narrow (first dropped first).
pub(super) fn layout(lens: Lens) -> (Vec<u16>, Vec<usize>) {
    match lens {
        Lens::Steps => (
            vec![28, 6, 7, 6, 6, 6, 8, 8, 8, 8, 8, 6, 11, HIST_W as u16, 24],
            vec![14, 3, 10, 12, 11, 1, 8, 13],
        ),
        Lens::Tools => (
            vec![24, 7, 7, 6, 6, 6, 7, 6, 9, HIST_W as u16, 1],
            vec![10, 9, 8, 2],
        ),
        Lens::Prompts => (vec![28, 7, 14, 8, 8, 11, HIST_W as u16, 30], vec![7, 6]),
    }
}

/// Which columns fit in `width`: all, less the dropped ones in order until they do.
pub(super) fn fitting(widths: &[u16], drop: &[usize], width: u16) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..widths.len()).collect();
    let total = |s: &[usize]| s.iter().map(|&c| widths[c] + 1).sum::<u16>();
    for &d in drop {
        if total(&shown) <= width {
            break;
        }
        shown.retain(|&c| c != d);
    }
    shown
}
