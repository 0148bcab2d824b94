//! Explorer fixes from issue 12 (items 16 to 22), as key sequences on the app's state and
//! `TestBackend` renders: the pager's text, filters, scrolling after a resize, depth
//! folding, the warnings popup and config errors.

use crate::common::*;
use spanlens::tui::app::{App, Effect};

/// The text the last `o` handed to the pager.
fn pager_text(app: &App) -> String {
    match app.effects.last() {
        Some(Effect::Pager(t)) => t.clone(),
        other => panic!("no pager effect: {other:?}"),
    }
}

#[test]
fn the_pager_gets_every_value_whole_and_unwrapped() {
    let mut app = app_for_set(load_text("long.otlp.json", &long_value_trace()));
    type_keys(&mut app, "j");
    assert_eq!(selected_name(&app), "annotate");
    // What the pane shows is wrapped and cut, and says so.
    let screen = screen_text(&render(&mut app, 80, 40)).join("\n");
    assert!(!screen.contains("END-OF-NOTE"), "{screen}");
    assert!(
        screen.contains("more lines (o: open in $PAGER)"),
        "{screen}"
    );
    type_keys(&mut app, "o");
    let text = pager_text(&app);
    assert!(
        text.lines().any(|l| l.ends_with(&long_value())),
        "the value on one line, whole:\n{text}"
    );
    for i in 1..=12 {
        assert!(
            text.lines()
                .any(|l| l.trim_end().ends_with(&format!("line {i}"))),
            "line {i} of the multi-line value:\n{text}"
        );
    }
    assert!(text.contains("── Attributes (2) "), "{text}");
}
