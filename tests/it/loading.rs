//! Using a file while it loads: the loader's per-block tallies add up to the loaded set,
//! the explorer lists them (errors and slowest first) and lets the user browse and pick
//! one; the pick opens at once as read so far, and whole when the load ends.

use crate::common::*;
use spanlens::load::preview::{Peek, TraceTally};
use spanlens::load::{self, LoadOptions, Progress};
use spanlens::model::{SpanIx, TraceIx, TraceSet};
use spanlens::tui::app::Screen;
use spanlens_synth::GenFormat;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Loads with tallies on, returning the set and every progress report.
fn load_with_preview(paths: &[PathBuf]) -> (TraceSet, Vec<Progress>) {
    load_peeking(paths, Arc::default())
}

/// Loads with tallies on and `peek` as the loader's ask slot.
fn load_peeking(paths: &[PathBuf], peek: Arc<Peek>) -> (TraceSet, Vec<Progress>) {
    let seen = Mutex::new(Vec::new());
    let opts = LoadOptions {
        preview: Some(peek),
        ..LoadOptions::default()
    };
    let set = load::load(paths, &opts, &|p| seen.lock().unwrap().push(p)).unwrap();
    (set, seen.into_inner().unwrap())
}

fn generated_otlp(spans: usize) -> PathBuf {
    generated_as(spans, GenFormat::Otlp, "preview.otlp.jsonl")
}

fn generated_as(spans: usize, format: GenFormat, name: &str) -> PathBuf {
    temp_file(name, &generated(spans, format))
}

#[test]
fn tallies_add_up_to_the_loaded_traces() {
    tallies_add_up(generated_otlp(3_000));
    // Parquet reports per group of record batches: 40,000 rows are two groups.
    tallies_add_up(generated_as(40_000, GenFormat::Parquet, "preview.parquet"));
}

fn tallies_add_up(path: PathBuf) {
    let (set, progress) = load_with_preview(&[path]);
    let done: Vec<u64> = progress.iter().map(|p| p.done).collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    let last = progress.last().unwrap();
    assert_eq!(last.done, last.total, "progress ends at the whole file");
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
    assert_eq!(
        app.effects,
        vec![spanlens::tui::app::Effect::Peek(picked.clone())],
        "the loader is asked for what it has read of the trace"
    );
    assert_eq!(
        app.screen,
        Screen::Loading,
        "nothing to open until it answers"
    );
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

#[test]
fn the_loader_answers_an_ask_with_the_trace_read_so_far() {
    answers_an_ask(generated_otlp(3_000));
    answers_an_ask(generated_as(3_000, GenFormat::Parquet, "ask.parquet"));
}

fn answers_an_ask(path: PathBuf) {
    let (full, _) = load_with_preview(std::slice::from_ref(&path));
    // The trace with the most spans: its spans lie on many lines, in several batches.
    let big = (0..full.traces.len() as u32)
        .map(TraceIx)
        .max_by_key(|&t| full.trace(t).span_count())
        .unwrap();
    let id = full.trace_id(big).to_owned();
    let peek = Arc::new(Peek::default());
    peek.want(&id);
    let (_, progress) = load_peeking(&[path], peek);
    let answers: Vec<_> = progress.iter().filter_map(|p| p.partial.clone()).collect();
    assert_eq!(answers.len(), 1, "one answer per ask");
    let part = &answers[0];
    assert_eq!(part.traces.len(), 1);
    let t = part.find_trace(&id).unwrap();
    // The file is one block, so the answer is the whole trace: same spans, same tree.
    assert_eq!(part.trace(t).span_count(), full.trace(big).span_count());
    let shape = |set: &TraceSet, t: TraceIx| -> Vec<(String, u32, String)> {
        ixs(set, t)
            .map(|s| {
                let span = set.span(s);
                (
                    set.span_id(s).to_owned(),
                    span.depth,
                    set.str(span.name).to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(shape(part, t), shape(&full, big));
    assert!(part.partial, "marked as read in part");
    // Payloads read from the same file.
    let input = |set: &TraceSet, t: TraceIx| -> Vec<String> {
        ixs(set, t)
            .filter_map(|s| set.span(s).input.map(|r| set.sources.text(r)))
            .collect()
    };
    assert!(!input(&full, big).is_empty());
    assert_eq!(input(part, t), input(&full, big));
}

#[test]
fn a_picked_trace_shows_as_read_so_far_then_whole_keeping_the_cursor() {
    let (mut app, set) = app_mid_load(&["sample-traces/incident.otlp.jsonl.gz"]);
    let picked = app.loading.selected_id().unwrap().to_owned();
    press(&mut app, "enter");
    // The loader answers with part of the trace: its first spans in file order.
    let part = first_spans_of(&set, &picked, 3);
    app.on_progress(Progress {
        partial: Some(Arc::new(part)),
        ..Progress::default()
    });
    assert_eq!(app.screen, Screen::Trace);
    assert_eq!(app.partial.as_deref(), Some(picked.as_str()));
    let screen = screen_text(&render(&mut app, 120, 20)).join("\n");
    assert!(screen.contains("partial: still loading"), "{screen}");
    assert!(
        !screen.contains("orphan"),
        "a parent not read yet is no orphan: {screen}"
    );
    assert!(
        screen.contains("3 spans of this trace read so far"),
        "the message shows beside the progress: {screen}"
    );
    type_keys(&mut app, "j");
    let cursor_id = app.set.span_id(app.selected_span().unwrap()).to_owned();
    // Back goes to the loading list, which keeps listing; Enter asks again.
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Loading);
    press(&mut app, "enter");
    app.on_progress(Progress {
        partial: Some(Arc::new(first_spans_of(&set, &picked, 3))),
        ..Progress::default()
    });
    type_keys(&mut app, "j");
    // The load ends: the whole trace replaces the part, with the cursor on the same span.
    app.on_loaded(set);
    assert_eq!(app.screen, Screen::Trace);
    assert_eq!(app.partial, None);
    let open = app.tree.as_ref().unwrap().trace;
    assert_eq!(app.set.trace_id(open), picked);
    assert!(app.set.trace(open).span_count() > 3);
    let now = app.set.span_id(app.selected_span().unwrap());
    assert_eq!(now, cursor_id);
    let screen = screen_text(&render(&mut app, 120, 20)).join("\n");
    assert!(!screen.contains("partial"), "{screen}");
}

/// A set holding only the first `n` spans (in file order) of trace `id` of `set`, as the
/// loader would have read them: written out as OTLP and loaded again.
fn first_spans_of(set: &TraceSet, id: &str, n: usize) -> TraceSet {
    let t = set.find_trace(id).unwrap();
    let mut spans: Vec<SpanIx> = ixs(set, t).collect();
    spans.sort_by_key(|&s| set.span(s).seq);
    let mut lines = String::new();
    for s in spans.into_iter().take(n) {
        let span = set.span(s);
        let parent = span
            .parent()
            .map_or(String::new(), |p| set.span_id(p).to_owned());
        lines.push_str(&format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{id}","spanId":"{}","parentSpanId":"{parent}","name":"{}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}]}}]}}]}}"#,
            set.span_id(s),
            set.str(span.name),
            span.start_ns,
            span.end_ns().unwrap_or(span.start_ns),
        ));
        lines.push('\n');
    }
    let mut part = load_text("part.otlp.jsonl", lines.as_bytes());
    part.mark_partial();
    part
}

fn ixs(set: &TraceSet, t: TraceIx) -> impl Iterator<Item = SpanIx> {
    set.trace(t).spans().map(|i| SpanIx(i as u32))
}

#[test]
fn decompression_shows_as_such_on_the_loading_screen() {
    use spanlens::tui::{
        keymap::KeyMap,
        theme::{ColorDepth, Theme},
    };
    let mut app =
        spanlens::tui::app::App::loading(KeyMap::default(), Theme::new(ColorDepth::Ansi16));
    let p = Progress::bytes("incident.jsonl.gz", 3 << 20, 12 << 20);
    app.on_progress(Progress {
        decompressing: true,
        ..p.clone()
    });
    let screen = screen_text(&render(&mut app, 100, 20)).join("\n");
    assert!(
        screen.contains("Decompressing incident.jsonl.gz … 25%"),
        "{screen}"
    );
    assert!(
        screen.contains("decompressing incident.jsonl.gz … 25% (3 of 12 MB)"),
        "{screen}"
    );
    app.on_progress(p);
    let screen = screen_text(&render(&mut app, 100, 20)).join("\n");
    assert!(
        screen.contains("Loading incident.jsonl.gz … 25%"),
        "{screen}"
    );
}
