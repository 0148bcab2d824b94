//! Popups: the help screen (generated from the key map, so it is always true) and the list
//! of load warnings.

use crate::inert;
use crate::tui::app::{App, Overlay};
use crate::tui::keymap::{Context, show_keys};
use crate::tui::wrap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn render(frame: &mut Frame, app: &mut App, area: Rect) {
    let title = match app.overlay {
        Overlay::None | Overlay::Search => return,
        Overlay::Help => " keys (Esc closes) ".to_owned(),
        Overlay::Warnings => format!(" load warnings: {} (Esc closes) ", app.headline.warnings),
    };
    let w = area.width.saturating_sub(4).min(100);
    // Text wraps inside the popup's borders. The lines are built once per width (a file
    // may carry many thousands of warnings).
    let width = w.saturating_sub(2) as usize;
    let key = (app.overlay, width);
    if app.overlay_lines.as_ref().is_none_or(|(k, _)| *k != key) {
        let lines = match app.overlay {
            Overlay::Help => help_lines(app),
            _ => warning_lines(app, width),
        };
        app.overlay_lines = Some((key, lines));
    }
    let lines = app
        .overlay_lines
        .as_ref()
        .map_or(&[][..], |(_, l)| l.as_slice());
    let h = area.height.saturating_sub(2);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    let visible = h.saturating_sub(2) as usize;
    let scroll = app.overlay_scroll.min(lines.len().saturating_sub(visible));
    let shown: Vec<Line> = lines.iter().skip(scroll).take(visible).cloned().collect();
    app.overlay_scroll = scroll;
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(app.theme.accent());
    frame.render_widget(Paragraph::new(shown).block(block), popup);
}

/// Key list per context, with every key bound to the same action on one row.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for ctx in [
        Context::Global,
        Context::Traces,
        Context::Tree,
        Context::Detail,
        Context::Diff,
        Context::Flame,
        Context::Steps,
    ] {
        out.push(Line::styled(
            ctx.name().to_owned(),
            app.theme.header().add_modifier(Modifier::UNDERLINED),
        ));
        let mut rows: Vec<(String, String)> = Vec::new();
        for b in app.keymap.bindings.iter().filter(|b| b.context == ctx) {
            let keys = show_keys(&b.keys);
            match rows.iter_mut().find(|(_, d)| *d == b.desc) {
                Some((k, _)) => {
                    k.push_str(" / ");
                    k.push_str(&keys);
                }
                None => rows.push((keys, b.desc.clone())),
            }
        }
        for (keys, desc) in rows {
            out.push(Line::from(vec![
                Span::styled(format!("  {keys:<22}"), app.theme.accent()),
                Span::raw(desc),
            ]));
        }
        out.push(Line::default());
    }
    out
}

/// One entry per load warning and per kind of anomaly in a trace (as many as
/// `Headline::warnings` counts), each wrapped to `width`.
fn warning_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let set = &app.set;
    let mut out = Vec::new();
    for d in &set.diagnostics {
        for l in wrap::wrap(&d.to_string(), width) {
            out.push(Line::raw(l));
        }
    }
    for t in &set.traces {
        for a in t.anomalies.describe() {
            let segs = vec![
                (
                    format!("trace {}: ", inert::line(set.str(t.id))),
                    app.theme.muted(),
                ),
                (a, ratatui::style::Style::new()),
            ];
            out.extend(crate::tui::detail::json_tree::wrap_segments(segs, width));
        }
    }
    if out.is_empty() {
        out.push(Line::raw("No warnings: every file loaded cleanly."));
    }
    out
}
