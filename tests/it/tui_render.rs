//! Rendering with ratatui's `TestBackend`: snapshots of each view, an 80x24 layout, and the
//! hostile-text fixture proving that escape sequences are drawn inert.

use crate::common::*;
use ratatui::style::Color;

fn snapshot_text(app: &mut spanlens::tui::app::App, w: u16, h: u16) -> String {
    screen_text(&render(app, w, h)).join("\n")
}

#[test]
fn trace_list_80x24() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    insta::assert_snapshot!("trace_list_80x24", snapshot_text(&mut app, 80, 24));
}

#[test]
fn trace_view_80x24_stacks_tree_over_detail() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "jj");
    insta::assert_snapshot!("trace_view_80x24", snapshot_text(&mut app, 80, 24));
}

#[test]
fn trace_view_wide_puts_detail_beside_the_tree() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "]e");
    insta::assert_snapshot!("trace_view_160x30_error", snapshot_text(&mut app, 160, 30));
}

#[test]
fn llm_span_detail_shows_messages_and_tool_calls() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "G");
    press(&mut app, "tab");
    insta::assert_snapshot!("llm_detail_160x45", snapshot_text(&mut app, 160, 45));
}

#[test]
fn help_is_generated_from_the_key_map() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "?");
    let text = snapshot_text(&mut app, 80, 24);
    insta::assert_snapshot!("help_80x24", text);
}

#[test]
fn hostile_text_is_inert_everywhere() {
    let mut app = app_for(&["hostile.otlp.json"]);
    press(&mut app, "tab");
    for (w, h) in [(80, 24), (160, 40)] {
        let buf = render(&mut app, w, h);
        for cell in buf.content() {
            assert!(
                !cell
                    .symbol()
                    .chars()
                    .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                "a control character reached the screen: {:?}",
                cell.symbol()
            );
        }
    }
    insta::assert_snapshot!("hostile_160x40", snapshot_text(&mut app, 160, 40));
}

#[test]
fn errors_are_red_and_bars_take_the_kind_colour() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    let buf = render(&mut app, 160, 30);
    let rows = screen_text(&buf);
    let y = rows
        .iter()
        .position(|r| r.contains("geocode ✗"))
        .expect("the error row") as u16;
    let x = rows[y as usize].find("geocode").unwrap();
    let x = rows[y as usize][..x].chars().count() as u16;
    assert_eq!(buf[(x, y)].fg, Color::LightRed);
    // The LLM row's bar is drawn in the LLM colour.
    let llm_y = rows.iter().position(|r| r.contains("chat gpt-4o")).unwrap() as u16;
    let bar_x = (0..80u16)
        .rev()
        .map(|dx| 79 - dx)
        .find(|&x| buf[(x, llm_y)].symbol() == "█");
    let bar_x = bar_x
        .or_else(|| (80..160u16).find(|&x| buf[(x, llm_y)].symbol() == "█"))
        .expect("a bar");
    assert_eq!(buf[(bar_x, llm_y)].fg, Color::Green);
}

#[test]
fn no_color_renders_without_colours() {
    use spanlens::tui::{
        keymap::KeyMap,
        theme::{ColorDepth, Theme},
    };
    let set = load_fixture("agent.otlp.jsonl");
    let mut app =
        spanlens::tui::app::App::new(set, KeyMap::default(), Theme::new(ColorDepth::None));
    press(&mut app, "enter");
    let buf = render(&mut app, 120, 30);
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
    assert!(
        screen_text(&buf).iter().any(|r| r.contains("geocode ✗")),
        "errors stay marked without colour"
    );
}

#[test]
fn tiny_and_resized_terminals_do_not_panic() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    for (w, h) in [(10, 2), (20, 3), (40, 8), (80, 24), (300, 100)] {
        render(&mut app, w, h);
    }
}

#[test]
fn diff_view_of_the_sample_runs() {
    use spanlens::model::TraceIx;
    use spanlens::tui::{
        keymap::KeyMap,
        theme::{ColorDepth, Theme},
    };
    use std::sync::Arc;
    let left = load_paths(&["sample-traces/weather-agent-run1.otlp.jsonl".into()]);
    let right = load_paths(&["sample-traces/weather-agent-run2.otlp.jsonl".into()]);
    let mut app =
        spanlens::tui::app::App::loading(KeyMap::default(), Theme::new(ColorDepth::Ansi16));
    app.open_diff(
        Arc::new(left),
        TraceIx(0),
        Arc::new(right),
        TraceIx(0),
        false,
    );
    type_keys(&mut app, "]d]d]d]d]d]d]d");
    insta::assert_snapshot!("diff_view_140x40", snapshot_text(&mut app, 140, 40));
}

#[test]
fn popups_show_their_own_lines_and_scroll_by_window() {
    let mut app = app_for_set(load_paths(&["sample-traces/".into()]));
    let text = |app: &mut spanlens::tui::app::App| screen_text(&render(app, 100, 20)).join("\n");
    type_keys(&mut app, "?");
    let help = text(&mut app);
    assert!(help.contains("keys (Esc closes)"), "{help}");
    let first_row = |s: &str| s.lines().nth(3).unwrap_or("").to_owned();
    type_keys(&mut app, "jj");
    let scrolled = text(&mut app);
    assert_ne!(first_row(&help), first_row(&scrolled), "j scrolls the help");
    press(&mut app, "esc");
    type_keys(&mut app, "w");
    let warnings = text(&mut app);
    assert!(warnings.contains("load warnings"), "{warnings}");
    assert!(warnings.contains("README.md: skipped"), "{warnings}");
    assert!(
        !warnings.contains("collapse all"),
        "not the help's lines: {warnings}"
    );
}
