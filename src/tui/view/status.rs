//! The top bar (what is loaded) and the status bar (messages and key hints).

use crate::tui::app::{App, Focus, Screen};
use crate::tui::keymap::show_keys;
use crate::tui::wrap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn top(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let title = theme
        .accent()
        .add_modifier(ratatui::style::Modifier::REVERSED);
    let mut spans = vec![Span::styled(" spanlens ", title)];
    if app.screen == Screen::Loading {
        spans.push(Span::raw(" loading…"));
        frame
            .buffer_mut()
            .set_line(area.x, area.y, &Line::from(spans), area.width);
        return;
    }
    if let (Screen::Diff, Some(v)) = (app.screen, &app.diff) {
        let file = |set: &crate::model::TraceSet, t: crate::model::TraceIx| {
            let f = &set.files[set.trace(t).file as usize].path;
            let name = std::path::Path::new(f)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            crate::inert::line(&name.unwrap_or_default()).into_owned()
        };
        spans.push(Span::raw(format!(
            " diff  {}  vs  {}",
            file(&v.left, v.lt),
            file(&v.right, v.rt)
        )));
        frame
            .buffer_mut()
            .set_line(area.x, area.y, &Line::from(spans), area.width);
        return;
    }
    if let (Screen::Runs, Some(v)) = (app.screen, &app.runs) {
        let files = |set: &crate::model::TraceSet| {
            let names: Vec<String> = set
                .files
                .iter()
                .filter_map(|f| std::path::Path::new(&f.path).file_name())
                .map(|n| crate::inert::line(&n.to_string_lossy()).into_owned())
                .collect();
            wrap::clip(&names.join(", "), 40)
        };
        spans.push(Span::raw(format!(
            " runs  {} ({})  vs  {} ({})",
            files(&v.left),
            count(v.lt.len(), "trace"),
            files(&v.right),
            count(v.rt.len(), "trace")
        )));
        frame
            .buffer_mut()
            .set_line(area.x, area.y, &Line::from(spans), area.width);
        return;
    }
    let h = &app.headline;
    spans.push(Span::raw(format!(
        " {} · {} · {} · {} · ",
        wrap::clip(&h.files, 40),
        h.formats,
        count(h.traces, "trace"),
        count(h.spans, "span")
    )));
    let style = if h.errors > 0 {
        theme.error()
    } else {
        theme.muted()
    };
    spans.push(Span::styled(count(h.errors, "error"), style));
    if app.partial.is_some() {
        spans.push(Span::styled(" · partial: still loading", theme.warn()));
    }
    if let Some(live) = &app.live {
        let text = live.describe(std::time::Instant::now());
        spans.push(Span::styled(format!(" · {text}"), theme.accent()));
    }
    if h.warnings > 0 {
        spans.push(Span::styled(
            format!(" · ⚠ {} (w)", count(h.warnings, "warning")),
            theme.warn(),
        ));
    }
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// `1 trace`, `2 traces`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub fn bottom(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let left = match (&app.status, &app.progress) {
        _ if app.note.is_some() => note_prompt(app),
        // While loading, a message (a trace opened as read so far) shares the line.
        (Some(msg), Some(p)) => format!("{} · {}", crate::inert::line(msg), progress_text(p)),
        (None, Some(p)) => progress_text(p),
        (Some(msg), None) => crate::inert::line(msg).into_owned(),
        (None, None) => hints(app),
    };
    let pending = if app.pending.is_empty() {
        String::new()
    } else {
        format!(" {}…", show_keys(&app.pending))
    };
    let right = format!("{pending}  ? help  q quit ");
    let width = area.width as usize;
    let left = wrap::clip(&left, width.saturating_sub(wrap::width(&right)));
    let pad = width.saturating_sub(wrap::width(&left) + wrap::width(&right));
    let line = Line::from(vec![
        Span::raw(left),
        Span::raw(" ".repeat(pad)),
        Span::styled(right, theme.muted()),
    ])
    .style(Style::new());
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
}

/// The note being typed, on the status line.
fn note_prompt(app: &App) -> String {
    let text = app.note.as_ref().map_or("", |n| n.text.as_str());
    format!(
        "note: {}▏  Enter records · Esc drops",
        crate::inert::line(text)
    )
}

fn progress_text(p: &crate::load::Progress) -> String {
    let pct = (p.done * 100).checked_div(p.total).unwrap_or(0);
    format!(
        "{} {} … {pct}% ({} of {} MB)",
        p.verb(),
        crate::inert::line(&p.path),
        p.done >> 20,
        p.total >> 20
    )
}

fn hints(app: &App) -> String {
    match (app.screen, app.focus) {
        (Screen::Traces, _) => {
            "↑↓ move · Enter open · t step table · f filter · c sessions · s sort · m mark".into()
        }
        (Screen::Trace, Focus::Tree) => {
            "↑↓ move · ←→ fold · Enter detail · ]e next error · z zoom · y copy".into()
        }
        (Screen::Trace, Focus::Detail) => {
            "↑↓ scroll · {} sections · t JSON tree · yy copy · o pager · Esc back".into()
        }
        (Screen::Loading, _) => "loading…".into(),
        (Screen::Flame, _) => {
            "h/l same depth · j/k child/parent · z zoom · Enter span in tree · Esc back".into()
        }
        (Screen::Steps, _) => {
            "↑↓ move · s sort · p by path · Tab lens · f icicle · Enter spans · Esc back".into()
        }
        (Screen::Diff, _) => {
            "↑↓ move · ]d next difference · u hide unchanged · Tab payload diff".into()
        }
        (Screen::Runs, _) => "↑↓ move · Tab steps / pairs · Enter diff the pair · q quit".into(),
    }
}
