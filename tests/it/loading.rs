//! Listing traces while a file loads: the loader's per-block tallies add up to the loaded
//! set, the explorer lists them (errors and slowest first) and lets the user browse and
//! pick one, and the pick opens as soon as the load ends.

use crate::common::*;
use spanlens::load::preview::TraceTally;
use spanlens::load::{self, LoadOptions, Progress};
use spanlens::model::{TraceIx, TraceSet};
use spanlens::synth::{GenOptions, generate};
use spanlens::tui::app::Screen;
use std::path::PathBuf;
use std::sync::Mutex;

/// Loads with tallies on, returning the set and every progress report.
fn load_with_preview(paths: &[PathBuf]) -> (TraceSet, Vec<Progress>) {
    let seen = Mutex::new(Vec::new());
    let opts = LoadOptions {
        preview: true,
        ..LoadOptions::default()
    };
    let set = load::load(paths, &opts, &|p| seen.lock().unwrap().push(p)).unwrap();
    (set, seen.into_inner().unwrap())
}

fn generated(spans: usize) -> PathBuf {
    let mut bytes = Vec::new();
    generate(
        &GenOptions {
            spans,
            ..GenOptions::default()
        },
        &mut bytes,
    )
    .unwrap();
    temp_file("preview.otlp.jsonl", &bytes)
}

#[test]
fn tallies_add_up_to_the_loaded_traces() {
    let (set, progress) = load_with_preview(&[generated(3_000)]);
    let mut merged: std::collections::BTreeMap<String, TraceTally> = Default::default();
    for t in progress.iter().flat_map(|p| &p.traces) {
        merged.entry(t.trace_id.clone()).or_default().absorb(t);
    }
    assert_eq!(merged.len(), set.traces.len());
    for (i, tr) in set.traces.iter().enumerate() {
        let id = set.trace_id(TraceIx(i as u32));
        let t = &merged[id];
        assert_eq!(t.spans, tr.span_count(), "{id}: spans");
        assert_eq!(t.errors, tr.errors, "{id}: errors");
        assert_eq!(t.root, set.str(tr.name), "{id}: root name");
        assert_eq!(t.duration_ns(), tr.duration_ns(), "{id}: duration");
    }
}

#[test]
fn without_the_option_no_tallies_are_made() {
    let seen = Mutex::new(Vec::new());
    let path = fixture("agent.otlp.jsonl");
    load::load(&[path], &LoadOptions::default(), &|p| {
        seen.lock().unwrap().push(p)
    })
    .unwrap();
    assert!(
        seen.into_inner()
            .unwrap()
            .iter()
            .all(|p| p.traces.is_empty())
    );
}

/// An app in its loading state that has been told about every trace of `paths`.
fn app_mid_load(paths: &[&str]) -> (spanlens::tui::app::App, TraceSet) {
    use spanlens::tui::{
        keymap::KeyMap,
        theme::{ColorDepth, Theme},
    };
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let (set, progress) = load_with_preview(&paths);
    let mut app =
        spanlens::tui::app::App::loading(KeyMap::default(), Theme::new(ColorDepth::Ansi16));
    for p in progress {
        app.on_progress(p);
    }
    (app, set)
}

#[test]
fn traces_are_listed_while_loading_and_a_pick_opens_when_loaded() {
    let (mut app, set) = app_mid_load(&["sample-traces/incident.otlp.jsonl.gz"]);
    assert_eq!(app.screen, Screen::Loading);
    let screen = screen_text(&render(&mut app, 100, 20)).join("\n");
    assert!(screen.contains("10 traces so far"), "{screen}");
    assert!(
        screen.contains("invoke_agent incident_responder"),
        "{screen}"
    );
    // Errors first: the first row is one of the traces with the most errors.
    let first = app.loading.row(0).unwrap();
    let most = set.traces.iter().map(|t| t.errors).max().unwrap();
    assert_eq!(first.errors, most);
    type_keys(&mut app, "jj");
    let picked = app.loading.selected_id().unwrap().to_owned();
    assert_eq!(picked, app.loading.row(2).unwrap().trace_id);
    press(&mut app, "enter");
    assert!(app.status.as_deref().unwrap().contains("opens as soon"));
    assert_eq!(app.screen, Screen::Loading, "nothing to open yet");
    render(&mut app, 100, 20);
    app.on_loaded(set);
    assert_eq!(app.screen, Screen::Trace);
    assert!(
        app.loading.is_empty(),
        "the tallies are dropped once loaded"
    );
    let open = app.tree.as_ref().unwrap().trace;
    assert_eq!(app.set.trace_id(open), picked);
}

#[test]
fn a_trace_browsed_to_but_not_picked_is_selected_in_the_list() {
    let (mut app, set) = app_mid_load(&["sample-traces/incident.otlp.jsonl.gz"]);
    type_keys(&mut app, "G");
    let browsed = app.loading.selected_id().unwrap().to_owned();
    app.on_loaded(set);
    assert_eq!(app.screen, Screen::Traces);
    let at = app.traces.selected().unwrap();
    assert_eq!(app.set.trace_id(at), browsed);
}

#[test]
fn a_selection_never_moved_leaves_the_list_cursor_alone() {
    // Run 2 has the error, so it heads the loading list but is second in the trace list.
    let (mut app, set) = app_mid_load(&[
        "sample-traces/weather-agent-run1.otlp.jsonl",
        "sample-traces/weather-agent-run2.otlp.jsonl",
    ]);
    assert_eq!(app.loading.row(0).unwrap().errors, 1);
    app.on_loaded(set);
    assert_eq!(app.traces.order.len(), 2);
    assert_eq!(app.set.traces[app.traces.order[1] as usize].errors, 1);
    assert_eq!(
        app.traces.cursor, 0,
        "the list opens at its first row as usual"
    );
}
