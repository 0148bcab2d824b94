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

#[test]
fn a_resize_down_and_back_leaves_no_rows_hidden_above_blank_rows() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "G");
    let small = snapshot(&mut app, 60, 15);
    assert!(
        !tree_rows(&small)[0].contains("invoke_agent"),
        "at 60x15 the root is scrolled away:\n{small}"
    );
    let back = snapshot(&mut app, 80, 24);
    let rows = tree_rows(&back);
    assert!(rows[0].contains("invoke_agent weather_agent"), "{back}");
    assert!(rows.iter().all(|r| !r.trim().is_empty()), "{back}");
    insta::assert_snapshot!("tree_after_resize_back_80x24", back);
}

#[test]
fn expanding_to_a_depth_leaves_leaves_alone() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    for depth in ["1", "2", "3", "4", "5"] {
        type_keys(&mut app, depth);
        let tree = app.tree.as_ref().unwrap();
        let (a, b) = tree.span_range();
        for i in a..b {
            let ix = spanlens::model::SpanIx(i);
            if !spanlens::tui::tree::SpanTree::has_children(&app.set, ix) {
                assert!(!tree.is_collapsed(ix), "{depth}: leaf {i} folded");
            }
        }
        let screen = snapshot(&mut app, 100, 24);
        let rows = tree_rows(&screen);
        assert!(rows.iter().all(|r| !r.contains("+0")), "{depth}:\n{screen}");
    }
    type_keys(&mut app, "2");
    insta::assert_snapshot!("depth_2_100x24", snapshot(&mut app, 100, 24));
    type_keys(&mut app, "c");
    let screen = snapshot(&mut app, 100, 24);
    assert!(
        tree_rows(&screen).iter().all(|r| !r.contains("+0")),
        "{screen}"
    );
}

fn snapshot(app: &mut App, w: u16, h: u16) -> String {
    screen_text(&render(app, w, h)).join("\n")
}

/// The span tree's rows on a stacked screen: between the `─ spans` and `─ detail` rules.
fn tree_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .skip_while(|l| !l.starts_with("─ spans"))
        .skip(1)
        .take_while(|l| !l.starts_with("─ detail"))
        .collect()
}

/// Runs the searches the app asked for, synchronously, and feeds back the results.
fn run_searches(app: &mut App) {
    for e in std::mem::take(&mut app.effects) {
        if let Effect::Search(req) = e {
            let found = spanlens::search::run(
                &app.set,
                &spanlens::search::Index::default(),
                &req.query,
                req.scope,
                req.limit,
                &|| false,
                &mut |_| {},
            );
            app.on_search_found(req.generation, found, req.as_filter);
        }
    }
}

fn filter_on(app: &mut App, query: &str) {
    type_keys(app, &format!("/{query}"));
    press(app, "ctrl-f");
    run_searches(app);
    assert!(app.search.filter.is_some());
}

#[test]
fn the_filter_counts_spans_and_an_empty_query_clears_it() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    filter_on(&mut app, "geocode");
    // `geocode` matches both geocode spans by name and by tool name: more hits than spans.
    let mut spans: Vec<_> = app.search.found.hits.iter().map(|h| h.span).collect();
    spans.sort();
    spans.dedup();
    assert_eq!(spans.len(), 2);
    assert!(app.search.found.total > spans.len(), "more hits than spans");
    let status = app.status.clone().unwrap();
    assert!(
        status.contains("2 matching spans, 3 spans hidden"),
        "{status}"
    );
    assert_eq!(app.tree.as_ref().unwrap().rows.len(), 4);

    // Deleting the query clears the filter.
    type_keys(&mut app, "/");
    press(&mut app, "ctrl-u");
    assert!(app.search.filter.is_none());
    assert_eq!(app.tree.as_ref().unwrap().rows.len(), 7);
    press(&mut app, "esc");

    // So does asking to filter by an empty query.
    filter_on(&mut app, "geocode");
    type_keys(&mut app, "/");
    press(&mut app, "ctrl-u");
    press(&mut app, "esc");
    filter_on(&mut app, "rainy");
    type_keys(&mut app, "/");
    for _ in 0.."rainy".len() {
        press(&mut app, "backspace");
    }
    press(&mut app, "ctrl-f");
    assert!(app.search.filter.is_none());
    assert_eq!(app.tree.as_ref().unwrap().rows.len(), 7);
}

#[test]
fn a_query_that_does_not_parse_clears_the_old_hits() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "/rainy");
    run_searches(&mut app);
    assert!(!app.search.found.hits.is_empty());
    press(&mut app, "ctrl-u");
    type_keys(&mut app, "re:(");
    run_searches(&mut app);
    assert!(app.search.error.is_some());
    assert!(app.search.found.hits.is_empty(), "old hits stay listed");
    let screen = snapshot(&mut app, 100, 24);
    assert!(!screen.contains("rainy"), "{screen}");
    insta::assert_snapshot!("regex_error_100x24", screen);
}

/// A directory with 30 traces that each hold an orphan span, and a file that is not a
/// trace file whose long name ends in `LAST-WORDS`.
fn many_warnings() -> App {
    let spans: Vec<String> = (0..30)
        .map(|t| {
            format!(
                r#"{{"traceId":"{t:032x}","spanId":"00000000000000a1","parentSpanId":"00000000000000ff","name":"lost {t}","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}}"#
            )
        })
        .collect();
    let doc = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    let path = temp_file("orphans.otlp.json", doc.as_bytes());
    let dir = path.parent().unwrap();
    let long_name = format!("{}-LAST-WORDS.txt", "a-file-that-holds-no-traces".repeat(5));
    std::fs::write(dir.join(long_name), "hello").unwrap();
    app_for_set(load_paths(&[dir.to_owned()]))
}

#[test]
fn the_warnings_popup_counts_its_entries_wraps_inside_and_goes_to_the_end() {
    let mut app = many_warnings();
    assert_eq!(app.set.diagnostics.len(), 1);
    assert_eq!(
        app.headline.warnings, 31,
        "one load warning and 30 anomalies"
    );
    type_keys(&mut app, "w");
    let screen = snapshot(&mut app, 160, 30);
    assert!(screen.contains("⚠ 31 warnings (w)"), "{screen}");
    assert!(
        screen.contains("load warnings: 31 (Esc closes)"),
        "{screen}"
    );
    assert!(
        screen.contains("LAST-WORDS.txt"),
        "wrapped inside the popup, not cut:\n{screen}"
    );
    for key in ["G", "end"] {
        press(&mut app, "g");
        press(&mut app, key);
        let screen = snapshot(&mut app, 160, 30);
        let last = format!("trace {:032x}: 1 orphan", 29);
        assert!(screen.contains(&last), "{key} shows the end:\n{screen}");
    }
    insta::assert_snapshot!("warnings_end_160x30", snapshot(&mut app, 160, 30));
    // G in the help too.
    press(&mut app, "esc");
    type_keys(&mut app, "?G");
    assert!(snapshot(&mut app, 100, 20).contains("step table"));
}
