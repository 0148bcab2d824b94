//! Key sequences against the explorer's state, with no terminal.

use crate::common::*;
use spanlens::tui::app::{Effect, Focus, Overlay, Screen};
use spanlens::tui::traces::SortKey;

#[test]
fn opens_a_trace_walks_the_tree_and_goes_back() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    assert_eq!(app.screen, Screen::Traces, "two traces: start on the list");
    assert_eq!(app.traces.order.len(), 2);
    press(&mut app, "enter");
    assert_eq!(app.screen, Screen::Trace);
    assert_eq!(selected_name(&app), "invoke_agent weather_agent");
    type_keys(&mut app, "jj");
    assert_eq!(selected_name(&app), "chat gpt-4o");
    type_keys(&mut app, "G");
    assert_eq!(selected_name(&app), "chat gpt-4o");
    type_keys(&mut app, "g");
    assert_eq!(selected_name(&app), "invoke_agent weather_agent");
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Traces);
}

#[test]
fn collapse_expand_and_depth() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    let rows = |app: &spanlens::tui::app::App| app.tree.as_ref().unwrap().rows.len();
    assert_eq!(rows(&app), 7);
    type_keys(&mut app, "h");
    assert_eq!(rows(&app), 1, "h on the root collapses it");
    type_keys(&mut app, "l");
    assert_eq!(rows(&app), 7, "l expands it again");
    type_keys(&mut app, "jjj");
    assert_eq!(selected_name(&app), "execute_tool get_weather");
    type_keys(&mut app, " ");
    assert_eq!(rows(&app), 5, "space folds the tool's two children");
    type_keys(&mut app, "l");
    type_keys(&mut app, "l");
    assert_eq!(
        selected_name(&app),
        "geocode",
        "l on an open span moves to its first child"
    );
    type_keys(&mut app, "h");
    assert_eq!(
        selected_name(&app),
        "execute_tool get_weather",
        "h on a leaf moves to its parent"
    );
    type_keys(&mut app, "c");
    assert_eq!(rows(&app), 1);
    type_keys(&mut app, "2");
    assert_eq!(rows(&app), 5, "depth 2 shows the root and its children");
    type_keys(&mut app, "e");
    assert_eq!(rows(&app), 7);
}

#[test]
fn jump_to_error_reveals_it_inside_a_collapsed_parent() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "c");
    type_keys(&mut app, "]e");
    assert_eq!(selected_name(&app), "geocode");
    assert_eq!(app.status.as_deref(), Some("error 1 of 1: geocode"));
    assert_eq!(
        app.detail.span,
        app.selected_span(),
        "the detail pane follows the jump"
    );
    type_keys(&mut app, "[e");
    assert_eq!(
        selected_name(&app),
        "geocode",
        "with one error, previous wraps to it"
    );
}

#[test]
fn zoom_scales_the_timeline_to_the_subtree_and_back() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    let whole = app.tree.as_ref().unwrap().window(&app.set);
    type_keys(&mut app, "jjjz");
    let tool = app.selected_span().unwrap();
    let zoomed = app.tree.as_ref().unwrap().window(&app.set);
    let s = app.set.span(tool);
    assert_eq!(zoomed, (s.start_ns, s.end_ns().unwrap()));
    assert!(zoomed.1 - zoomed.0 < whole.1 - whole.0);
    press(&mut app, "esc");
    assert_eq!(
        app.tree.as_ref().unwrap().window(&app.set),
        whole,
        "Esc leaves the zoom first"
    );
    assert_eq!(app.screen, Screen::Trace);
}

#[test]
fn copy_ids_payloads_and_whole_span() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "jjjys");
    type_keys(&mut app, "yt");
    type_keys(&mut app, "yi");
    type_keys(&mut app, "yj");
    let copies: Vec<(String, String)> = app
        .effects
        .iter()
        .map(|e| match e {
            Effect::Copy { label, text } => (label.clone(), text.clone()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(copies[0], ("span id".into(), "2b3c4d5e6f708192".into()));
    assert_eq!(
        copies[1],
        ("trace id".into(), "0af7651916cd43dd8448eb211c80319c".into())
    );
    assert_eq!(copies[2], ("input".into(), "{\"city\": \"Paris\"}".into()));
    let span: serde_json::Value = serde_json::from_str(&copies[3].1).unwrap();
    assert_eq!(span["name"], "execute_tool get_weather");
    assert_eq!(span["attributes"]["gen_ai.tool.name"], "get_weather");
    assert!(
        app.status
            .as_deref()
            .unwrap()
            .starts_with("copied span JSON")
    );
}

#[test]
fn detail_pane_sections_and_copying_the_value_under_the_cursor() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "jj");
    press(&mut app, "enter");
    assert_eq!(app.focus, Focus::Detail);
    // Lay the document out as a render would.
    app.detail.layout(&app.set.clone(), &app.theme, 80);
    let titles: Vec<&str> = app
        .detail
        .doc
        .sections
        .iter()
        .map(|(t, _)| t.as_str())
        .collect();
    assert!(titles.contains(&"Messages (3)"), "{titles:?}");
    while app
        .detail
        .current_value()
        .is_none_or(|v| v.label != "user message")
    {
        assert!(
            app.detail.move_by(1),
            "reached the end without a user message"
        );
    }
    type_keys(&mut app, "yy");
    assert_eq!(
        app.effects.last(),
        Some(&Effect::Copy {
            label: "user message".into(),
            text: "What's the weather in Paris?".into()
        })
    );
    type_keys(&mut app, "}");
    let line = app.detail.cursor;
    assert!(
        app.detail.doc.sections.iter().any(|(_, l)| *l == line),
        "}} lands on a section heading"
    );
    press(&mut app, "tab");
    assert_eq!(app.focus, Focus::Tree);
}

#[test]
fn json_tree_view_copies_the_selected_node() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    press(&mut app, "tab");
    type_keys(&mut app, "t");
    render(&mut app, 100, 30);
    assert!(app.detail.json_tree);
    assert!(!app.detail.tree_items.is_empty());
    type_keys(&mut app, "g");
    type_keys(&mut app, "yy");
    match app.effects.last() {
        Some(Effect::Copy { label, text }) => {
            assert!(!label.is_empty());
            assert_eq!(
                text, "0af7651916cd43dd8448eb211c80319c",
                "the first node is the trace id"
            );
        }
        other => panic!("expected a copy, got {other:?}"),
    }
}

#[test]
fn sorting_marking_help_and_warnings() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    let first = app.traces.selected();
    type_keys(&mut app, "s");
    assert_eq!(app.traces.sort, SortKey::Duration);
    assert_eq!(
        app.traces.selected(),
        first,
        "the selection follows the trace, not the row"
    );
    assert_eq!(
        app.set.span_name(spanlens::model::SpanIx(
            app.set.trace(app.traces.order[0].into_ix()).span_start
        )),
        "invoke_agent weather_agent"
    );
    type_keys(&mut app, "m");
    assert_eq!(app.traces.marked.len(), 1);
    type_keys(&mut app, "?");
    assert_eq!(app.overlay, Overlay::Help);
    type_keys(&mut app, "j");
    assert_eq!(
        app.overlay_scroll, 1,
        "keys scroll the help while it is open"
    );
    press(&mut app, "esc");
    assert_eq!(app.overlay, Overlay::None);
    type_keys(&mut app, "w");
    assert_eq!(app.overlay, Overlay::Warnings);
    type_keys(&mut app, "q");
    assert!(app.should_quit);
}

#[test]
fn a_single_trace_opens_directly_and_pager_gets_the_text() {
    let mut app = app_for(&["hostile.otlp.json"]);
    assert_eq!(app.screen, Screen::Trace);
    press(&mut app, "tab");
    type_keys(&mut app, "o");
    assert!(matches!(app.effects.last(), Some(Effect::Pager(t)) if t.contains("steal clipboard")));
}

#[test]
fn unbound_keys_with_long_names_are_ignored() {
    // Esc and q sent together arrive as Alt-q; no key with a name longer than one
    // character may loop back into itself.
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    let before = selected_name(&app);
    for keys in ["alt-q", "ctrl-z", "f5", "] ctrl-z"] {
        press(&mut app, keys);
        assert!(!app.should_quit, "{keys}");
        assert_eq!(selected_name(&app), before, "{keys}");
    }
    assert!(app.pending.is_empty());
    press(&mut app, "] j");
    assert_eq!(
        selected_name(&app),
        "retrieve docs",
        "a stray key after a prefix still works on its own"
    );
}

trait IntoIx {
    fn into_ix(self) -> spanlens::model::TraceIx;
}

impl IntoIx for u32 {
    fn into_ix(self) -> spanlens::model::TraceIx {
        spanlens::model::TraceIx(self)
    }
}

fn mouse(app: &mut spanlens::tui::app::App, kind: &str, column: u16, row: u16) {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let kind = match kind {
        "click" => MouseEventKind::Down(MouseButton::Left),
        "down" => MouseEventKind::ScrollDown,
        _ => MouseEventKind::ScrollUp,
    };
    app.on_mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    });
}

#[test]
fn mouse_clicks_select_and_open_and_the_wheel_scrolls_the_pane_under_it() {
    let mut app = app_for_set(load_paths(&["sample-traces/".into()]));
    render(&mut app, 120, 40);
    let list = app.areas.list;
    // Row 0 of the list area is its header; row 3 below it is the fourth trace.
    mouse(&mut app, "click", list.x + 5, list.y + 4);
    assert_eq!(app.traces.cursor, 3, "a click selects the row");
    mouse(&mut app, "down", list.x + 5, list.y + 4);
    assert_eq!(app.traces.cursor, 6, "a wheel notch moves three rows");
    mouse(&mut app, "click", list.x + 5, list.y + 7);
    assert_eq!(
        app.screen,
        Screen::Trace,
        "a click on the selected row opens it"
    );
    render(&mut app, 120, 40);
    let tree = app.areas.tree;
    mouse(&mut app, "click", tree.x + 3, tree.y + 2);
    assert_eq!(app.tree.as_ref().unwrap().cursor, 2);
    assert_eq!(app.focus, Focus::Tree);
    let detail = app.areas.detail;
    mouse(&mut app, "down", detail.x + 3, detail.y + 1);
    assert_eq!(
        app.focus,
        Focus::Detail,
        "the wheel acts on the pane under the pointer"
    );
    assert_eq!(app.tree.as_ref().unwrap().cursor, 2, "the tree stays");
}

#[test]
fn a_failed_worker_is_reported_and_stops_the_wait() {
    use spanlens::tui::worker::Worker;
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "/weather");
    assert!(app.search.running, "the search was asked for");
    app.on_worker_failed(Worker::Search, "index out of bounds \u{1b}[31m");
    assert!(!app.search.running, "no longer waits for the search");
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("search failed"), "{status}");
    assert!(
        !status.contains('\u{1b}'),
        "the panic text is shown inert: {status}"
    );
    app.diff_pending = Some(3);
    app.on_worker_failed(Worker::Diff, "boom");
    assert_eq!(app.diff_pending, None);
}
