//! The flame chart: opened from the span tree, moved with h/j/k/l, back to the tree on
//! Enter; its rendering at screen resolution (snapshot) and on a trace of 20,000 spans.

use crate::common::*;
use spanlens::tui::app::Screen;

fn snapshot_text(app: &mut spanlens::tui::app::App, w: u16, h: u16) -> String {
    screen_text(&render(app, w, h)).join("\n")
}

fn flame_selected(app: &spanlens::tui::app::App) -> String {
    let s = app.flame.as_ref().expect("the flame chart").selected;
    app.set.span_name(s).to_owned()
}

#[test]
fn flame_keys_move_and_enter_returns_to_that_span_in_the_tree() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "f");
    assert_eq!(app.screen, Screen::Flame);
    assert_eq!(flame_selected(&app), "invoke_agent weather_agent");
    type_keys(&mut app, "j");
    assert_eq!(flame_selected(&app), "retrieve docs", "j: first child");
    type_keys(&mut app, "ll");
    assert_eq!(
        flame_selected(&app),
        "execute_tool get_weather",
        "l: next at this depth"
    );
    type_keys(&mut app, "j");
    assert_eq!(flame_selected(&app), "geocode");
    type_keys(&mut app, "k");
    assert_eq!(
        flame_selected(&app),
        "execute_tool get_weather",
        "k: parent"
    );
    type_keys(&mut app, "h");
    assert_eq!(
        flame_selected(&app),
        "chat gpt-4o",
        "h: previous at this depth"
    );
    type_keys(&mut app, "lj");
    assert_eq!(flame_selected(&app), "geocode");
    press(&mut app, "enter");
    assert_eq!(app.screen, Screen::Trace);
    assert_eq!(
        selected_name(&app),
        "geocode",
        "Enter: that span in the tree"
    );
    type_keys(&mut app, "f");
    assert_eq!(
        flame_selected(&app),
        "geocode",
        "the chart opens on the tree's span"
    );
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Trace, "Esc goes back to the tree");
}

#[test]
fn flame_chart_100x20() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "f");
    type_keys(&mut app, "jll");
    let text = snapshot_text(&mut app, 100, 20);
    assert!(text.contains("✗"), "the error span is marked:\n{text}");
    insta::assert_snapshot!("flame_100x20", text);
}

#[test]
fn flame_chart_of_many_spans_buckets_cells() {
    let bytes = generated(20_000, spanlens_synth::GenFormat::Otlp);
    let set = load_text("big.otlp.jsonl", &bytes);
    let biggest = (0..set.traces.len())
        .max_by_key(|&t| set.traces[t].span_count())
        .unwrap();
    let mut app = app_for_set(set);
    if app.screen == Screen::Traces {
        let pos = app
            .traces
            .order
            .iter()
            .position(|&t| t as usize == biggest)
            .unwrap();
        app.traces.cursor = pos;
        press(&mut app, "enter");
    }
    type_keys(&mut app, "f");
    let start = std::time::Instant::now();
    let text = snapshot_text(&mut app, 120, 40);
    let took = start.elapsed();
    assert!(text.contains("flame ·"), "{text}");
    assert!(
        took < std::time::Duration::from_millis(500),
        "one frame took {took:?}"
    );
}
