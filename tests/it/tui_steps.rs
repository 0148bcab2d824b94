//! The step table screen and the trace list's filter, session grouping, ids and previews:
//! key sequences on the app state (the stats worker's jobs run here, as the run loop's
//! thread would run them) and `TestBackend` snapshots of the table, drill-down and icicle.

use crate::common::*;
use spanlens::tui::app::{App, Effect, Screen};
use spanlens::tui::steps::{Lens, Mode};

/// Runs the stats jobs the app asked for and hands it their answers.
fn run_stats(app: &mut App) -> usize {
    let mut n = 0;
    for effect in std::mem::take(&mut app.effects) {
        if let Effect::Stats(job) = effect {
            app.on_stats_done(job.run());
            n += 1;
        }
    }
    n
}

fn snapshot_text(app: &mut App, w: u16, h: u16) -> String {
    screen_text(&render(app, w, h)).join("\n")
}

/// Small generated traces (seeded, so snapshots are stable), with errors.
fn generated_app() -> App {
    let opts = spanlens_synth::GenOptions {
        spans: 400,
        format: spanlens_synth::GenFormat::Otlp,
        error_rate: 0.15,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    spanlens_synth::generate(&opts, &mut bytes).expect("generate");
    app_for_set(load_text("gen.otlp.jsonl", &bytes))
}

fn mode(app: &App) -> Mode {
    app.steps.as_ref().expect("the step view").mode
}

#[test]
fn step_table_is_computed_on_the_worker_and_never_blocks_a_key() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "t");
    assert_eq!(app.screen, Screen::Steps);
    let view = app.steps.as_ref().unwrap();
    assert!(view.data.is_none(), "nothing computed on the UI thread");
    assert!(view.pending.is_some());
    let text = snapshot_text(&mut app, 100, 12);
    assert!(text.contains("computing"), "{text}");
    // Keys still work while the worker runs.
    type_keys(&mut app, "jk");
    assert_eq!(run_stats(&mut app), 1);
    let view = app.steps.as_ref().unwrap();
    let stats = &view.data.as_ref().unwrap().stats;
    assert_eq!(stats.traces, 2);
    assert_eq!(stats.spans, 9);
    assert!(!view.order.is_empty());
    // Default sort: errors first.
    let first = &stats.steps[view.order[0] as usize];
    assert!(
        first.errors > 0,
        "the failing step is on top: {}",
        first.name
    );
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Traces);
    type_keys(&mut app, "t");
    assert!(
        app.steps.as_ref().unwrap().data.is_some(),
        "the table is kept while the listed traces stay the same"
    );
    assert_eq!(run_stats(&mut app), 0);
}

#[test]
fn columns_sort_and_reverse_lenses_and_group_by_path() {
    let mut app = generated_app();
    type_keys(&mut app, "t");
    run_stats(&mut app);
    let calls = |app: &App| -> Vec<u64> {
        let v = app.steps.as_ref().unwrap();
        let d = v.data.as_ref().unwrap();
        v.order
            .iter()
            .map(|&r| d.stats.steps[r as usize].calls)
            .collect()
    };
    // From errors, round the columns to calls.
    for _ in 0..12 {
        type_keys(&mut app, "s");
        if app.status.as_deref() == Some("sorted by calls ▼") {
            break;
        }
    }
    assert_eq!(app.status.as_deref(), Some("sorted by calls ▼"));
    let c = calls(&app);
    assert!(
        c.windows(2).all(|w| w[0] >= w[1]),
        "calls descending: {c:?}"
    );
    type_keys(&mut app, "S");
    let c = calls(&app);
    assert!(c.windows(2).all(|w| w[0] <= w[1]), "calls ascending: {c:?}");
    let by_step = app.steps.as_ref().unwrap().len();
    type_keys(&mut app, "p");
    assert_eq!(
        run_stats(&mut app),
        1,
        "group by path asks the worker again"
    );
    let v = app.steps.as_ref().unwrap();
    assert_eq!(v.by, spanlens::stats::GroupBy::Path);
    assert!(
        v.len() >= by_step,
        "paths split steps: {} vs {by_step}",
        v.len()
    );
    let d = v.data.as_ref().unwrap();
    assert!(d.stats.steps.iter().any(|s| s.path.is_some()));
    press(&mut app, "tab");
    assert_eq!(app.steps.as_ref().unwrap().lens, Lens::Tools);
    press(&mut app, "tab");
    assert_eq!(app.steps.as_ref().unwrap().lens, Lens::Prompts);
    press(&mut app, "tab");
    assert_eq!(app.steps.as_ref().unwrap().lens, Lens::Steps);
}

#[test]
fn drill_down_lists_spans_worst_first_opens_one_and_esc_goes_back_the_same_way() {
    let mut app = generated_app();
    type_keys(&mut app, "t");
    run_stats(&mut app);
    press(&mut app, "enter");
    assert_eq!(mode(&app), Mode::Spans);
    let set = app.set.clone();
    let spans = app
        .steps
        .as_ref()
        .unwrap()
        .drill
        .as_ref()
        .unwrap()
        .spans
        .clone();
    assert!(!spans.is_empty());
    let key = |s: &spanlens::model::SpanIx| {
        let sp = set.span(*s);
        (!sp.is_error(), std::cmp::Reverse(sp.duration_ns()))
    };
    assert!(
        spans.windows(2).all(|w| key(&w[0]) <= key(&w[1])),
        "errors first, then slowest"
    );
    assert!(set.span(spans[0]).is_error(), "the top step has errors");
    type_keys(&mut app, "j");
    let want = spans[1];
    press(&mut app, "enter");
    assert_eq!(app.screen, Screen::Trace);
    assert_eq!(
        app.selected_span(),
        Some(want),
        "the span, in its trace tree"
    );
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Steps);
    assert_eq!(mode(&app), Mode::Spans, "back to the drill-down");
    press(&mut app, "esc");
    assert_eq!(mode(&app), Mode::Table);
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Traces);
}

#[test]
fn step_table_140x24() {
    let mut app = generated_app();
    type_keys(&mut app, "t");
    run_stats(&mut app);
    let text = snapshot_text(&mut app, 140, 24);
    assert!(text.contains("histogram"), "{text}");
    insta::assert_snapshot!("step_table_140x24", text);
}

#[test]
fn step_table_drill_down_120x16() {
    let mut app = generated_app();
    type_keys(&mut app, "t");
    run_stats(&mut app);
    press(&mut app, "enter");
    let text = snapshot_text(&mut app, 120, 16);
    assert!(text.contains("errors first, then slowest"), "{text}");
    insta::assert_snapshot!("step_drill_120x16", text);
}

#[test]
fn icicle_of_all_traces_100x14() {
    let mut app = generated_app();
    type_keys(&mut app, "t");
    run_stats(&mut app);
    type_keys(&mut app, "f");
    assert_eq!(mode(&app), Mode::Icicle);
    type_keys(&mut app, "jj");
    let sel = app.steps.as_ref().unwrap().ice_selected;
    assert_ne!(sel, 0, "j goes down into the paths");
    let text = snapshot_text(&mut app, 100, 14);
    assert!(text.contains("icicle · "), "{text}");
    insta::assert_snapshot!("icicle_100x14", text);
    type_keys(&mut app, "k");
    press(&mut app, "esc");
    assert_eq!(mode(&app), Mode::Table);
}

#[test]
fn trace_filter_keeps_matching_traces_and_unknown_predicates_are_errors() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    assert_eq!(app.traces.order.len(), 2);
    type_keys(&mut app, "f");
    type_keys(&mut app, "bogus:x");
    let err = app.trace_query.as_ref().unwrap().error.clone();
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("unknown predicate")),
        "{err:?}"
    );
    let text = snapshot_text(&mut app, 100, 12);
    assert!(
        text.contains("unknown predicate"),
        "shown on the query line:\n{text}"
    );
    press(&mut app, "enter");
    assert!(app.trace_query.is_some(), "a bad query stays open");
    assert_eq!(app.traces.order.len(), 2, "and filters nothing");
    press(&mut app, "ctrl-u");
    type_keys(&mut app, "status:error");
    press(&mut app, "enter");
    assert!(app.trace_query.is_none());
    assert_eq!(run_stats(&mut app), 1, "the filter runs on the worker");
    assert_eq!(app.traces.order.len(), 1);
    let t = app.traces.selected().unwrap();
    assert!(app.set.trace(t).errors > 0);
    // The step table follows the filter.
    type_keys(&mut app, "t");
    run_stats(&mut app);
    assert_eq!(
        app.steps
            .as_ref()
            .unwrap()
            .data
            .as_ref()
            .unwrap()
            .stats
            .traces,
        1
    );
    press(&mut app, "esc");
    type_keys(&mut app, "f");
    press(&mut app, "ctrl-u");
    press(&mut app, "enter");
    assert_eq!(
        app.traces.order.len(),
        2,
        "an empty query clears the filter"
    );
}

/// Six traces with the same root name, two sessions, users and tags (OTLP attributes).
fn sessions_file() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..6 {
        let session = if i % 2 == 0 { "sess-even" } else { "sess-odd" };
        out.push_str(&format!(
            concat!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{:032x}","#,
                r#""spanId":"{:016x}","name":"text_to_sql","startTimeUnixNano":"{}","#,
                r#""endTimeUnixNano":"{}","attributes":["#,
                r#"{{"key":"session.id","value":{{"stringValue":"{}"}}}},"#,
                r#"{{"key":"user.id","value":{{"stringValue":"user{}"}}}},"#,
                r#"{{"key":"input.value","value":{{"stringValue":"question number {}"}}}}]}}]}}]}}]}}"#,
                "\n"
            ),
            (0x9e37_79b9_7f4a_7c15u128 * (i as u128 + 1)) << 64 | i as u128,
            i + 1,
            1_700_000_000_000_000_000u64 + i * 1_000_000_000,
            1_700_000_000_500_000_000u64 + i * 1_000_000_000,
            session,
            i,
            i
        ));
    }
    out.into_bytes()
}

#[test]
fn trace_list_tells_same_named_traces_apart_and_groups_by_session() {
    let mut app = app_for_set(load_text("six.otlp.jsonl", &sessions_file()));
    assert_eq!(app.traces.order.len(), 6);
    let text = snapshot_text(&mut app, 140, 12);
    for i in 0..6 {
        assert!(
            text.contains(&format!("question number {i}")),
            "input preview of trace {i}:\n{text}"
        );
    }
    for t in 0..6 {
        let id = app.set.trace_id(spanlens::model::TraceIx(t)).to_owned();
        assert!(text.contains(&id[..8]), "short id {}:\n{text}", &id[..8]);
    }
    assert!(text.contains("sess-even"), "session column:\n{text}");
    type_keys(&mut app, "c");
    assert_eq!(run_stats(&mut app), 1, "sessions are read on the worker");
    let sessions: Vec<String> = app
        .traces
        .order
        .iter()
        .map(|&t| app.traces.session_of(t).unwrap().to_owned())
        .collect();
    assert_eq!(
        sessions,
        [
            "sess-even",
            "sess-even",
            "sess-even",
            "sess-odd",
            "sess-odd",
            "sess-odd"
        ]
    );
    insta::assert_snapshot!(
        "trace_list_by_session_140x12",
        snapshot_text(&mut app, 140, 12)
    );
    type_keys(&mut app, "c");
    let t: Vec<u32> = app.traces.order.clone();
    assert_eq!(t, [0, 1, 2, 3, 4, 5], "flat again, by start");
    // The trace header shows the metadata.
    press(&mut app, "enter");
    let text = snapshot_text(&mut app, 120, 20);
    assert!(
        text.contains("session sess-even · user user0"),
        "trace header metadata:\n{text}"
    );
}

#[test]
fn mlflow_trace_header_shows_session_user_tags_and_previews() {
    let bytes = generated(60, spanlens_synth::GenFormat::Mlflow);
    let mut app = app_for_set(load_text("gen.mlflow.jsonl", &bytes));
    if app.screen == Screen::Traces {
        press(&mut app, "enter");
    }
    let t = app.tree.as_ref().unwrap().trace;
    let meta = app.set.trace_meta(t);
    let session = meta
        .session
        .clone()
        .expect("the generator writes a session");
    let user = meta.user.clone().expect("and a user");
    let text = snapshot_text(&mut app, 200, 20);
    let header = text.lines().nth(2).unwrap_or_default().to_owned();
    assert!(header.contains(&format!("session {session}")), "{header}");
    assert!(header.contains(&format!("user {user}")), "{header}");
    assert!(header.contains(" in "), "request preview: {header}");
    assert!(header.contains(" out "), "response preview: {header}");
}

#[test]
fn the_keys_are_in_the_help_and_the_list_hints() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    let help: Vec<String> = spanlens::tui::view::help_lines(&app)
        .iter()
        .map(|l| l.to_string())
        .collect();
    for want in [
        "step table across all traces",
        "flame chart of the trace",
        "filter traces",
        "group traces by session",
        "icicle: time summed by step path",
        "group by step / by path from the root",
    ] {
        assert!(help.iter().any(|l| l.contains(want)), "help lists {want:?}");
    }
    let text = snapshot_text(&mut app, 120, 10);
    assert!(
        text.contains("t step table"),
        "the list's hints name the key:\n{text}"
    );
}

#[test]
fn a_trace_named_on_the_command_line_opens_when_loaded_or_says_it_is_missing() {
    use spanlens::tui::keymap::KeyMap;
    use spanlens::tui::theme::{ColorDepth, Theme};
    let theme = || Theme::new(ColorDepth::Ansi16);
    let mut app = App::loading(KeyMap::default(), theme());
    app.open_when_loaded("1bf7".into());
    assert!(
        matches!(app.effects.as_slice(), [Effect::Peek(id)] if id == "1bf7"),
        "the loader is asked for the trace as it reads it"
    );
    app.on_loaded(load_fixture("agent.otlp.jsonl"));
    assert_eq!(app.screen, Screen::Trace);
    assert_eq!(selected_name(&app), "summarize report");

    let mut app = App::loading(KeyMap::default(), theme());
    app.open_when_loaded("ffffnothere".into());
    app.on_loaded(load_fixture("agent.otlp.jsonl"));
    assert_eq!(app.screen, Screen::Traces);
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("no trace ffffnothere"), "{status}");
}
