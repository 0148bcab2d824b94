//! Diff: known pairs of runs with known differences, the printed formats, alignment across
//! export formats, and the diff view's keys.

use crate::common::*;
use spanlens::diff::{Change, RowStatus, diff, report};
use spanlens::model::{TraceIx, TraceSet};

/// A span of a hand-made run: id, parent, name, GenAI operation, start/end ms, input,
/// output, failed.
type S<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    u64,
    u64,
    &'a str,
    &'a str,
    bool,
);

fn run(name: &str, spans: &[S]) -> TraceSet {
    let t0: u64 = 1_795_896_411_000_000_000;
    let items: Vec<String> = spans
        .iter()
        .map(|&(id, parent, name, op, a, b, input, output, failed)| {
            let status = if failed { r#","status":{"code":2,"message":"boom"}"# } else { "" };
            let attrs = serde_json::json!([
                {"key": "gen_ai.operation.name", "value": {"stringValue": op}},
                {"key": "input.value", "value": {"stringValue": input}},
                {"key": "output.value", "value": {"stringValue": output}},
            ]);
            format!(
                r#"{{"traceId":"000000000000000000000000000000a1","spanId":"{id:0>16}","parentSpanId":"{}","name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":{attrs}{status}}}"#,
                if parent.is_empty() { String::new() } else { format!("{parent:0>16}") },
                t0 + a * 1_000_000,
                t0 + b * 1_000_000
            )
        })
        .collect();
    let doc = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        items.join(",")
    );
    load_text(name, doc.as_bytes())
}

const BASE: &[S] = &[
    (
        "1",
        "",
        "agent",
        "invoke_agent",
        0,
        1000,
        "q",
        "answer",
        false,
    ),
    (
        "2",
        "1",
        "chat gpt-4o",
        "chat",
        10,
        200,
        "You are helpful. Weather?",
        "call get_weather",
        false,
    ),
    (
        "3",
        "1",
        "get_weather",
        "execute_tool",
        210,
        400,
        "{\"city\":\"Paris\"}",
        "rainy",
        false,
    ),
    (
        "4",
        "1",
        "geocode",
        "execute_tool",
        210,
        300,
        "{\"q\":\"Paris\"}",
        "48.8,2.3",
        false,
    ),
    (
        "5",
        "1",
        "chat gpt-4o",
        "chat",
        410,
        900,
        "rainy",
        "It is rainy.",
        false,
    ),
];

fn diff_with(changed: &[S]) -> (TraceSet, TraceSet, spanlens::diff::Diff) {
    let (l, r) = (run("left.json", BASE), run("right.json", changed));
    let d = diff(&l, TraceIx(0), &r, TraceIx(0));
    (l, r, d)
}

fn differing(
    l: &TraceSet,
    r: &TraceSet,
    d: &spanlens::diff::Diff,
) -> Vec<(RowStatus, String, Vec<Change>)> {
    d.rows
        .iter()
        .filter(|row| row.status != RowStatus::Same)
        .map(|row| {
            let name = match (row.left, row.right) {
                (_, Some(s)) => r.span_name(s),
                (Some(s), None) => l.span_name(s),
                _ => "",
            };
            (row.status, name.to_owned(), row.changes.clone())
        })
        .collect()
}

#[test]
fn identical_runs_are_all_same() {
    let (l, r, d) = diff_with(BASE);
    assert!(differing(&l, &r, &d).is_empty());
    assert_eq!(d.summary.same, 5);
}

#[test]
fn an_extra_tool_call_is_one_added_row_and_nothing_shifts() {
    let mut v = BASE.to_vec();
    v.insert(
        3,
        (
            "6",
            "1",
            "get_weather",
            "execute_tool",
            205,
            390,
            "{\"city\":\"Lyon\"}",
            "sunny",
            false,
        ),
    );
    let (l, r, d) = diff_with(&v);
    let rows = differing(&l, &r, &d);
    assert_eq!(rows, vec![(RowStatus::Added, "get_weather".into(), vec![])]);
    let added = d
        .rows
        .iter()
        .find(|row| row.status == RowStatus::Added)
        .unwrap();
    assert_eq!(
        r.sources.text(r.span(added.right.unwrap()).input.unwrap()),
        "{\"city\":\"Lyon\"}",
        "the new call is the added one"
    );
}

#[test]
fn a_removed_step_is_one_removed_row() {
    let v: Vec<S> = BASE.iter().copied().filter(|s| s.0 != "4").collect();
    let (l, r, d) = diff_with(&v);
    assert_eq!(
        differing(&l, &r, &d),
        vec![(RowStatus::Removed, "geocode".into(), vec![])]
    );
}

#[test]
fn a_changed_prompt_marks_that_llm_call() {
    let mut v = BASE.to_vec();
    v[1].6 = "You are terse. Weather?";
    let (l, r, d) = diff_with(&v);
    assert_eq!(
        differing(&l, &r, &d),
        vec![(
            RowStatus::Changed,
            "chat gpt-4o".into(),
            vec![Change::Input]
        )]
    );
    let row = d
        .rows
        .iter()
        .find(|row| row.status == RowStatus::Changed)
        .unwrap();
    let sections = spanlens::diff::payload::payload_diff(&l, row.left, &r, row.right);
    let input = sections.iter().find(|s| s.title == "Input").unwrap();
    assert!(
        input
            .lines
            .iter()
            .any(|line| line.segments.contains(&("terse.".into(), true))),
        "word diff marks the change"
    );
}

#[test]
fn a_slower_step_is_a_duration_change_with_its_delta() {
    let mut v = BASE.to_vec();
    v[3].5 = 480; // geocode 90 ms -> 270 ms
    v[0].5 = 1200;
    let (l, r, d) = diff_with(&v);
    let rows = differing(&l, &r, &d);
    assert!(
        rows.contains(&(RowStatus::Changed, "geocode".into(), vec![Change::Duration])),
        "{rows:?}"
    );
    let text = report::to_text(
        &report::Sides {
            left: &l,
            right: &r,
        },
        &d,
    );
    assert!(
        text.contains("geocode  90.0ms → 270ms +180ms (+200%)"),
        "{text}"
    );
}

#[test]
fn a_new_error_is_a_status_change() {
    let mut v = BASE.to_vec();
    v[2].8 = true;
    let (l, r, d) = diff_with(&v);
    assert_eq!(
        differing(&l, &r, &d),
        vec![(
            RowStatus::Changed,
            "get_weather".into(),
            vec![Change::Status]
        )]
    );
    assert_eq!(d.summary.errors, (0, 1));
}

#[test]
fn a_reordered_parallel_branch_matches_both_calls() {
    let mut v = BASE.to_vec();
    v[2].4 = 220; // get_weather now starts after geocode
    let (l, r, d) = diff_with(&v);
    let rows = differing(&l, &r, &d);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, RowStatus::Changed);
    assert!(rows[0].2.contains(&Change::Order));
    assert_eq!((d.summary.added, d.summary.removed), (0, 0));
}

#[test]
fn markdown_and_json_outputs() {
    let mut v = BASE.to_vec();
    v[2].8 = true;
    v.push(("7", "1", "summarize", "chat", 910, 990, "x", "y", false));
    let (l, r, d) = diff_with(&v);
    let sides = report::Sides {
        left: &l,
        right: &r,
    };
    let md = report::to_markdown(&sides, &d);
    assert!(md.contains("| errors | 0 | 1 | +1 |"), "{md}");
    assert!(md.contains("| + | &nbsp;&nbsp;summarize | LLM |"), "{md}");
    let json = report::to_json(&sides, &d);
    assert_eq!(json["summary"]["added"], 1);
    assert_eq!(json["summary"]["changed"], 1);
    let rows = json["rows"].as_array().unwrap();
    let added = rows.iter().find(|r| r["status"] == "added").unwrap();
    assert_eq!(added["left_span_id"], serde_json::Value::Null);
    assert_eq!(added["right_span_id"], "0000000000000007");
    let changed = rows.iter().find(|r| r["status"] == "changed").unwrap();
    assert_eq!(changed["changes"], serde_json::json!(["status"]));
    for key in ["name", "kind", "left_duration_ns", "right_duration_ns"] {
        assert!(!changed[key].is_null(), "{key}");
    }
}

#[test]
fn runs_in_different_formats_align_on_the_common_model() {
    use spanlens_synth::{GenFormat, GenOptions, Profile, generate_to_path};
    let base = GenOptions {
        spans: 60,
        traces: Some(1),
        profile: Profile::Sample,
        seed: 7,
        ..GenOptions::default()
    };
    let otlp = temp_file("run.otlp.jsonl", b"");
    let mlflow = temp_file("run.mlflow.jsonl", b"");
    generate_to_path(
        &GenOptions {
            format: GenFormat::Otlp,
            ..base.clone()
        },
        &otlp,
    )
    .unwrap();
    generate_to_path(
        &GenOptions {
            format: GenFormat::Mlflow,
            ..base
        },
        &mlflow,
    )
    .unwrap();
    let (l, r) = (load_paths(&[otlp]), load_paths(&[mlflow]));
    let d = diff(&l, TraceIx(0), &r, TraceIx(0));
    assert_eq!(
        (d.summary.added, d.summary.removed),
        (0, 0),
        "every span finds its twin"
    );
    assert_eq!(d.rows.len(), 60);
    assert!(
        d.rows
            .iter()
            .all(|row| !row.changes.contains(&Change::Duration)
                && !row.changes.contains(&Change::Status))
    );
}

#[test]
fn cli_picks_a_trace_with_file_hash_id_and_compares_whole_files_as_runs() {
    let args = [
        "diff",
        "tests/fixtures/agent.otlp.jsonl",
        "tests/fixtures/agent.otlp.jsonl#1bf76519",
        "--format",
        "json",
    ];
    let out = run_spanlens(&args, &[]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["summary"]["left"]["traces"], 2,
        "the whole file is a run"
    );
    assert_eq!(json["summary"]["right"]["traces"], 1, "FILE#ID picks one");
    assert_eq!(json["summary"]["paired"], 1);
    assert_eq!(json["summary"]["only_left"], 1);
    let args = [
        "diff",
        "tests/fixtures/agent.otlp.jsonl#nosuchtrace",
        "tests/fixtures/agent.otlp.jsonl#1bf76519",
        "--format",
        "json",
    ];
    let out = run_spanlens(&args, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no trace nosuchtrace") && err.contains("0af7651916cd43dd8448eb211c80319c"),
        "{err}"
    );
    let args = [
        "diff",
        "tests/fixtures/agent.otlp.jsonl#0af76519",
        "tests/fixtures/agent.otlp.jsonl#1bf76519",
        "--format",
        "md",
    ];
    let out = run_spanlens(&args, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("## Trace diff"));
}

#[test]
fn marking_two_traces_opens_the_diff_view_and_keys_move_in_it() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "md");
    assert_eq!(
        app.screen,
        spanlens::tui::app::Screen::Traces,
        "one mark is not enough"
    );
    type_keys(&mut app, "md");
    assert_eq!(
        app.screen,
        spanlens::tui::app::Screen::Traces,
        "the diff is computed by a worker, the list stays usable"
    );
    assert!(app.status.as_deref().unwrap_or("").contains("comparing"));
    run_diffs(&mut app);
    assert_eq!(app.screen, spanlens::tui::app::Screen::Diff);
    let view = app.diff.as_ref().unwrap();
    let next_diff = view
        .diff
        .rows
        .iter()
        .skip(1)
        .position(|r| r.status != RowStatus::Same)
        .map(|i| i + 1);
    type_keys(&mut app, "]d");
    assert_eq!(
        app.diff.as_ref().unwrap().selected(),
        next_diff,
        "]d goes to the next differing row"
    );
    let all = app.diff.as_ref().unwrap().visible.len();
    type_keys(&mut app, "u");
    assert!(app.diff.as_ref().unwrap().visible.len() <= all);
    render(&mut app, 120, 30);
    press(&mut app, "esc");
    assert_eq!(app.screen, spanlens::tui::app::Screen::Traces);
}

#[test]
fn a_diff_that_arrives_after_the_user_moved_on_is_dropped() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "mmd");
    assert!(app.diff_pending.is_some());
    press(&mut app, "enter");
    assert_eq!(app.screen, spanlens::tui::app::Screen::Trace);
    run_diffs(&mut app);
    assert_eq!(
        app.screen,
        spanlens::tui::app::Screen::Trace,
        "a late diff does not pull the user away"
    );
    assert!(app.diff.is_none());
}
