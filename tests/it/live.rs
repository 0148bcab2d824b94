//! Live mode: `LiveLoad` on real exports pushed line by line, and the explorer taking new
//! snapshots without losing the user's place (list cursor by trace id, tree cursor and
//! folds by span id), plus the live header.

use crate::common;
use spanlens::load::live::LiveLoad;
use spanlens::model::TraceSet;
use spanlens::tui::app::{App, Overlay, Screen};
use spanlens::tui::live::{ReceiverCounts, Update};
use std::path::Path;

/// One OTLP/JSON request line holding one span.
fn span_line(trace: &str, span: &str, parent: &str, name: &str, start: u64, dur: u64) -> String {
    format!(
        concat!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[]}},"scopeSpans":[{{"spans":["#,
            r#"{{"traceId":"{}","spanId":"{}","parentSpanId":"{}","name":"{}","#,
            r#""startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}]}}]}}]}}"#,
            "\n"
        ),
        trace,
        span,
        parent,
        name,
        start,
        start + dur
    )
}

fn trace_id(n: u8) -> String {
    format!("{n:02x}{}", "ab".repeat(15))
}

fn span_id(n: u8) -> String {
    format!("{n:02x}{}", "cd".repeat(7))
}

fn live_app(set: TraceSet) -> App {
    use spanlens::tui::{
        keymap::KeyMap,
        theme::{ColorDepth, Theme},
    };
    spanlens::tui::live::place::live_app(
        set,
        "live.jsonl",
        KeyMap::default(),
        Theme::new(ColorDepth::Ansi16),
    )
}

fn give(app: &mut App, live: &LiveLoad) {
    app.on_live(Update {
        set: Some(live.snapshot()),
        ..Update::default()
    });
}

fn selected_trace_name(app: &App) -> String {
    let t = app.traces.selected().expect("a selected trace");
    app.set.str(app.set.trace(t).name).to_owned()
}

#[test]
fn the_list_cursor_stays_on_its_trace_when_traces_arrive_before_it() {
    let mut live = LiveLoad::new("live.jsonl", None);
    live.push_lines(span_line(&trace_id(1), &span_id(1), "", "alpha", 2_000, 10).into_bytes());
    live.push_lines(span_line(&trace_id(2), &span_id(2), "", "beta", 3_000, 10).into_bytes());
    let mut app = live_app(live.snapshot());
    common::press(&mut app, "j");
    assert_eq!(selected_trace_name(&app), "beta");
    // Two traces that start earlier sort above it.
    live.push_lines(span_line(&trace_id(3), &span_id(3), "", "gamma", 1_000, 10).into_bytes());
    live.push_lines(span_line(&trace_id(4), &span_id(4), "", "delta", 500, 10).into_bytes());
    give(&mut app, &live);
    assert_eq!(app.set.traces.len(), 4);
    assert_eq!(selected_trace_name(&app), "beta");
    assert_eq!(app.traces.cursor, 3);
    assert!(app.live.as_ref().unwrap().grew_at.is_some());
}

#[test]
fn the_list_keeps_its_sort_across_snapshots() {
    let mut live = LiveLoad::new("live.jsonl", None);
    live.push_lines(span_line(&trace_id(1), &span_id(1), "", "short", 1_000, 10).into_bytes());
    live.push_lines(span_line(&trace_id(2), &span_id(2), "", "long", 2_000, 900).into_bytes());
    let mut app = live_app(live.snapshot());
    common::press(&mut app, "s"); // by duration, longest first
    let sort = app.traces.sort;
    live.push_lines(span_line(&trace_id(3), &span_id(3), "", "longest", 3_000, 5_000).into_bytes());
    give(&mut app, &live);
    assert_eq!(app.traces.sort, sort);
    let names: Vec<String> = (app.traces.order.iter())
        .map(|&t| app.set.str(app.set.traces[t as usize].name).to_owned())
        .collect();
    assert_eq!(names, ["longest", "long", "short"]);
}

/// A trace root → a (→ a1), b, shown with the cursor on `b`.
fn open_tree() -> (LiveLoad, App) {
    let t = trace_id(9);
    let mut live = LiveLoad::new("live.jsonl", None);
    let lines = [
        span_line(&t, &span_id(1), "", "root", 1_000, 10_000),
        span_line(&t, &span_id(2), &span_id(1), "a", 2_000, 100),
        span_line(&t, &span_id(3), &span_id(2), "a1", 2_010, 10),
        span_line(&t, &span_id(4), &span_id(1), "b", 5_000, 100),
    ];
    live.push_lines(lines.concat().into_bytes());
    let mut app = live_app(live.snapshot());
    assert_eq!(app.screen, Screen::Trace, "one trace opens at once");
    common::type_keys(&mut app, "jjj");
    assert_eq!(common::selected_name(&app), "b");
    (live, app)
}

#[test]
fn an_open_tree_keeps_its_cursor_on_the_same_span_as_spans_join_above_it() {
    let (mut live, mut app) = open_tree();
    let t = trace_id(9);
    // A sibling that starts before `b`, and a child of `a`: both land above the cursor.
    live.push_lines(span_line(&t, &span_id(5), &span_id(1), "early", 1_500, 10).into_bytes());
    live.push_lines(span_line(&t, &span_id(6), &span_id(2), "a2", 2_050, 10).into_bytes());
    give(&mut app, &live);
    assert_eq!(app.set.total_spans(), 6);
    assert_eq!(app.screen, Screen::Trace);
    assert_eq!(common::selected_name(&app), "b");
    assert_eq!(app.tree.as_ref().unwrap().cursor, 5);
    // The detail pane follows the same span.
    assert_eq!(app.detail.span, app.selected_span());
}

#[test]
fn an_open_tree_keeps_its_folds() {
    let (mut live, mut app) = open_tree();
    common::type_keys(&mut app, "kk"); // on `a`
    assert_eq!(common::selected_name(&app), "a");
    common::press(&mut app, "left"); // fold `a`
    let rows = app.tree.as_ref().unwrap().rows.len();
    assert_eq!(rows, 3, "root, a (folded), b");
    let t = trace_id(9);
    live.push_lines(span_line(&t, &span_id(7), &span_id(1), "c", 8_000, 10).into_bytes());
    give(&mut app, &live);
    let tree = app.tree.as_ref().unwrap();
    assert_eq!(tree.rows.len(), 4, "root, a (still folded), b, c");
    assert_eq!(common::selected_name(&app), "a");
}

#[test]
fn a_snapshot_waits_while_the_search_popup_is_open() {
    let (mut live, mut app) = open_tree();
    common::press(&mut app, "/");
    assert_eq!(app.overlay, Overlay::Search);
    let t = trace_id(9);
    live.push_lines(span_line(&t, &span_id(7), &span_id(1), "c", 8_000, 10).into_bytes());
    give(&mut app, &live);
    assert_eq!(app.set.total_spans(), 4, "held while searching");
    assert_eq!(app.overlay, Overlay::Search, "the popup stays open");
    common::press(&mut app, "esc");
    app.take_live_snapshot();
    assert_eq!(app.set.total_spans(), 5);
    assert_eq!(common::selected_name(&app), "b");
}

#[test]
fn notices_show_on_the_status_line_and_in_the_warnings() {
    let (mut live, mut app) = open_tree();
    live.notice("live.jsonl was truncated: reading it again from its start");
    app.on_live(Update {
        set: Some(live.snapshot()),
        notices: vec!["live.jsonl was truncated: reading it again from its start".into()],
        counts: None,
    });
    assert!(app.status.as_deref().unwrap().contains("truncated"));
    assert!(
        common::warnings(&app.set)
            .iter()
            .any(|w| w.contains("truncated"))
    );
}

#[test]
fn live_header_snapshot() {
    let (_, mut app) = open_tree();
    app.on_live(Update {
        counts: Some(ReceiverCounts {
            requests: 40,
            spans: 5_000,
            rejected: 3,
            spans_per_sec: 1_250.0,
        }),
        ..Update::default()
    });
    app.live.as_mut().unwrap().grew_at = Some(std::time::Instant::now());
    let buf = common::render(&mut app, 140, 12);
    let text = common::screen_text(&buf).join("\n");
    assert!(
        text.contains(" · live · grew 0 s ago · receiving 1250 spans/s · 5000 spans · 3 rejected")
    );
    insta::assert_snapshot!("live_header_140x12", text);
}

/// Pushes `path` line by line and checks the live set matches loading the file whole.
fn same_as_whole_load(path: &Path) {
    let whole = common::load_paths(&[path.to_path_buf()]);
    let text = std::fs::read(path).unwrap();
    let mut live = LiveLoad::new(path.display().to_string(), None);
    for line in text.split_inclusive(|&b| b == b'\n') {
        live.push_lines(line.to_vec());
    }
    let set = live.snapshot();
    assert_eq!(set.traces.len(), whole.traces.len(), "{}", path.display());
    assert_eq!(set.total_spans(), whole.total_spans(), "{}", path.display());
    let names = |s: &TraceSet| {
        let mut v: Vec<(String, String, String)> = (0..s.spans.len() as u32)
            .map(spanlens::model::SpanIx)
            .map(|i| {
                let input = s
                    .span(i)
                    .input
                    .map(|t| s.sources.text(t))
                    .unwrap_or_default();
                (s.span_id(i).to_owned(), s.span_name(i).to_owned(), input)
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&set), names(&whole), "{}", path.display());
    assert_eq!(set.anomalies(), whole.anomalies(), "{}", path.display());
    assert_eq!(judged(&set), judged(&whole), "{}", path.display());
}

/// Each assessment, decoded, with the trace and span it is linked to (sorted).
fn judged(s: &TraceSet) -> Vec<(String, Option<String>, String, String)> {
    let mut v: Vec<_> = (s.assessments.iter().zip(&s.assessment_targets))
        .map(|(a, (t, sp))| {
            let trace = t.map(|t| s.trace_id(t).to_owned()).unwrap_or_default();
            let span = sp.map(|sp| s.span_id(sp).to_owned());
            (trace, span, a.name.clone(), a.value.to_string())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn mlflow_assessments_pushed_in_chunks_read_as_in_the_whole_file() {
    let doc: serde_json::Value = serde_json::from_str(crate::feedback::MLFLOW).unwrap();
    let mut text = String::new();
    for i in 0..40 {
        let mut t = doc.clone();
        let id = format!("tr-dd42dfe8cd59ca4d9fcb04b98f8aa9{i:02x}");
        t["info"]["trace_id"] = id.clone().into();
        let a = &mut t["info"]["assessments"][0];
        a["trace_id"] = id.into();
        a["feedback"]["value"] = format!("verdict {i}").into();
        text.push_str(&t.to_string());
        text.push('\n');
    }
    let path = common::temp_file("live-mlflow3.jsonl", text.as_bytes());
    let whole = common::load_paths(std::slice::from_ref(&path));
    let all = judged(&whole);
    assert_eq!(all.len(), 40);
    assert!(
        all.iter().all(|(t, s, _, _)| !t.is_empty() && s.is_some()),
        "{all:?}"
    );
    assert!(
        all.iter().any(|(_, _, _, v)| v == "\"verdict 39\""),
        "{all:?}"
    );
    same_as_whole_load(&path);
}

#[test]
fn corpus_jsonl_pushed_line_by_line_loads_as_the_whole_file() {
    let Some(corpus) = common::corpus() else {
        eprintln!("SKIPPED corpus_jsonl_pushed_line_by_line_loads_as_the_whole_file: no corpus");
        return;
    };
    for rel in [
        "generated/otlp-genai/otel_genai_latest.otlp.jsonl",
        "generated/otlp-genai/otel_genai_default.otlp.jsonl",
        "generated/langfuse/langfuse_sdk_otel_export.otlp.jsonl",
        "generated/langsmith/langsmith_runs.jsonl",
        "public/otlp-json/otel-spec_file-exporter_traces.jsonl",
    ] {
        let path = corpus.join(rel);
        if path.exists() {
            same_as_whole_load(&path);
        }
    }
}

#[test]
fn generated_mlflow_lines_pushed_in_chunks_load_as_the_whole_file() {
    let text = common::generated(300, spanlens_synth::GenFormat::Mlflow);
    let path = common::temp_file("live-mlflow.jsonl", &text);
    same_as_whole_load(&path);
    let text = common::generated(2_000, spanlens_synth::GenFormat::Otlp);
    let path = common::temp_file("live-otlp.jsonl", &text);
    same_as_whole_load(&path);
}
