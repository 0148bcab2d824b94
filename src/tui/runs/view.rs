//! The run view: the runs' summary and warnings on top, the step table of deltas in the
//! middle, the paired traces (most changed first) below. Only rows on screen are formatted.

use crate::diff::gate::trim;
use crate::diff::report::delta;
use crate::diff::run_report::{arrow, noise, pct};
use crate::diff::runs::{RunDiff, StepDelta, StepStatus};
use crate::inert;
use crate::model::time::format_duration;
use crate::tui::app::App;
use crate::tui::runs::{RunPane, RunView};
use crate::tui::theme::Theme;
use crate::tui::wrap;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// Warnings shown above the tables (the rest are counted).
const WARNINGS_SHOWN: usize = 3;

pub fn render(frame: &mut Frame, app: &mut App, area: Rect) {
    let theme = app.theme;
    let Some(view) = app.runs.as_mut() else {
        return;
    };
    let Some(run) = view.run.take() else {
        let msg = match &view.failed {
            Some(why) => format!(
                "the comparison failed: {} (Esc goes back)",
                crate::inert::line(why)
            ),
            None => format!(
                "comparing {} traces with {} traces…",
                view.lt.len(),
                view.rt.len()
            ),
        };
        frame
            .buffer_mut()
            .set_string(area.x, area.y, msg, theme.muted());
        return;
    };
    let head_h = 3 + WARNINGS_SHOWN.min(run.warnings.len()) as u16;
    let [head, steps, pairs] = Layout::vertical([
        Constraint::Length(head_h),
        Constraint::Percentage(50),
        Constraint::Min(3),
    ])
    .areas(area);
    header(frame, &run, &theme, head);
    step_table(frame, view, &run, &theme, steps);
    pair_list(frame, view, &run, &theme, pairs);
    view.run = Some(run);
}

fn header(frame: &mut Frame, run: &RunDiff, theme: &Theme, area: Rect) {
    let buf = frame.buffer_mut();
    let p = &run.pairing;
    let (l, r) = (&run.left, &run.right);
    let line0 = format!(
        "{} paired · {} only left · {} only right · pairing: {}",
        p.pairs.len(),
        p.only_left.len(),
        p.only_right.len(),
        p.main_rule().as_str()
    );
    buf.set_stringn(area.x, area.y, line0, area.width as usize, theme.header());
    let err_style = if r.error_traces > l.error_traces {
        theme.error()
    } else {
        Style::new()
    };
    let mut spans = vec![
        Span::styled(
            format!("error traces {} → {}", l.error_traces, r.error_traces),
            err_style,
        ),
        Span::raw(format!(
            " · p50 {} → {} {} · p95 {} → {} {} · tokens/trace {} → {}",
            format_duration(l.duration.p50),
            format_duration(r.duration.p50),
            delta(Some(l.duration.p50), Some(r.duration.p50)),
            format_duration(l.duration.p95),
            format_duration(r.duration.p95),
            delta(Some(l.duration.p95), Some(r.duration.p95)),
            trim(l.tokens),
            trim(r.tokens),
        )),
    ];
    if l.cost.is_some() || r.cost.is_some() {
        spans.push(Span::raw(format!(
            " · cost/trace {} → {}",
            trim(l.cost.unwrap_or(0.0)),
            trim(r.cost.unwrap_or(0.0))
        )));
    }
    buf.set_line(area.x, area.y + 1, &Line::from(spans), area.width);
    let feedback: Vec<String> = l
        .feedback
        .keys()
        .chain(r.feedback.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|n| {
            let show = |v: Option<&f64>| v.map_or("—".into(), |v| trim(*v));
            format!(
                "{} {} → {}",
                inert::line(n),
                show(l.feedback.get(n)),
                show(r.feedback.get(n))
            )
        })
        .collect();
    let fb = if feedback.is_empty() {
        "no feedback scores".to_owned()
    } else {
        format!("feedback: {}", feedback.join(" · "))
    };
    buf.set_stringn(
        area.x,
        area.y + 2,
        wrap::clip(&fb, area.width as usize),
        area.width as usize,
        theme.muted(),
    );
    for (i, w) in run.warnings.iter().take(WARNINGS_SHOWN).enumerate() {
        let more = if i + 1 == WARNINGS_SHOWN && run.warnings.len() > WARNINGS_SHOWN {
            format!(" (+{} more)", run.warnings.len() - WARNINGS_SHOWN)
        } else {
            String::new()
        };
        let text = wrap::clip(&format!("⚠ {}{more}", inert::line(w)), area.width as usize);
        buf.set_stringn(
            area.x,
            area.y + 3 + i as u16,
            text,
            area.width as usize,
            theme.warn(),
        );
    }
}

fn title(frame: &mut Frame, theme: &Theme, area: Rect, text: &str, focused: bool) {
    let style = if focused {
        theme.accent().add_modifier(Modifier::BOLD)
    } else {
        theme.muted()
    };
    let text = wrap::clip(&format!("─ {text} "), area.width as usize);
    frame.buffer_mut().set_string(area.x, area.y, text, style);
}

fn step_table(frame: &mut Frame, v: &mut RunView, run: &RunDiff, theme: &Theme, area: Rect) {
    let focused = v.pane == RunPane::Steps;
    let regressed = run
        .steps
        .iter()
        .filter(|s| !s.regressions.is_empty())
        .count();
    title(
        frame,
        theme,
        area,
        &format!(
            "steps · {} · {regressed} regressed · calls/trace · error rate · p50 · p95 · tokens/trace · rank test",
            run.steps.len()
        ),
        focused,
    );
    let body_h = area.height.saturating_sub(1) as usize;
    v.step_height = body_h.max(1);
    v.step_offset = crate::tui::scroll::keep_visible(v.step_offset, v.step_cursor, body_h);
    let rows = run
        .steps
        .iter()
        .enumerate()
        .skip(v.step_offset)
        .take(body_h);
    for (y, (i, s)) in (area.y + 1..).zip(rows) {
        let mut line = step_line(s, theme);
        if focused && i == v.step_cursor {
            line = line.patch_style(theme.selection());
        }
        frame.buffer_mut().set_line(area.x, y, &line, area.width);
    }
}

fn step_line(s: &StepDelta, theme: &Theme) -> Line<'static> {
    let (mark, style) = match s.status {
        StepStatus::Same => ("   ", Style::new()),
        StepStatus::Changed => (" ~ ", theme.changed()),
        StepStatus::Added => (" + ", theme.added()),
        StepStatus::Removed => (" - ", theme.removed()),
    };
    let name = wrap::clip(&inert::line(&s.key), 24);
    let cols = format!(
        "{name:<24} {:<13} {:<13} {:<17} {:<17} {:<13} {:<15}",
        arrow(&s.left, &s.right, |x| x.calls_per_trace, trim),
        arrow(&s.left, &s.right, |x| x.error_rate, pct),
        arrow(&s.left, &s.right, |x| x.duration.p50, format_duration),
        arrow(&s.left, &s.right, |x| x.duration.p95, format_duration),
        arrow(&s.left, &s.right, |x| x.tokens, |t| trim(t.round())),
        noise(s),
    );
    let mut spans = vec![
        Span::styled(mark, style.add_modifier(Modifier::BOLD)),
        Span::raw(cols),
    ];
    if !s.regressions.is_empty() {
        spans.push(Span::styled(
            format!(" ▲ {}", s.regressions.join(", ")),
            theme.error(),
        ));
    }
    Line::from(spans)
}

fn pair_list(frame: &mut Frame, v: &mut RunView, run: &RunDiff, theme: &Theme, area: Rect) {
    let focused = v.pane == RunPane::Pairs;
    title(
        frame,
        theme,
        area,
        &format!(
            "pairs · {} · new errors first, then largest duration change · Enter: tree diff",
            run.pairs.len()
        ),
        focused,
    );
    let body_h = area.height.saturating_sub(1) as usize;
    v.pair_height = body_h.max(1);
    v.pair_offset = crate::tui::scroll::keep_visible(v.pair_offset, v.pair_cursor, body_h);
    let rows = run
        .pairs
        .iter()
        .enumerate()
        .skip(v.pair_offset)
        .take(body_h);
    for (y, (i, p)) in (area.y + 1..).zip(rows) {
        let name = inert::line(v.left.str(v.left.trace(p.left).name)).into_owned();
        let id = |s: &str| s.get(..8).unwrap_or(s).to_owned();
        let dur_style = if p.right_duration_ns > p.left_duration_ns {
            theme.error()
        } else {
            theme.ok()
        };
        let mut spans = vec![
            Span::raw(format!(
                " {} ↔ {}  {:<28} ",
                id(v.left.trace_id(p.left)),
                id(v.right.trace_id(p.right)),
                wrap::clip(&name, 28)
            )),
            Span::styled(
                format!(
                    "{:>8} → {:>8} {:<16}",
                    format_duration(p.left_duration_ns),
                    format_duration(p.right_duration_ns),
                    delta(Some(p.left_duration_ns), Some(p.right_duration_ns))
                ),
                dur_style,
            ),
            Span::raw(format!(" by {}", p.rule.as_str())),
        ];
        if p.left_errors != p.right_errors {
            let style = if p.new_error() {
                theme.error().add_modifier(Modifier::BOLD)
            } else {
                theme.warn()
            };
            spans.push(Span::styled(
                format!("  errors {} → {}", p.left_errors, p.right_errors),
                style,
            ));
        }
        let mut line = Line::from(spans);
        if focused && i == v.pair_cursor {
            line = line.patch_style(theme.selection());
        }
        frame.buffer_mut().set_line(area.x, y, &line, area.width);
    }
}
