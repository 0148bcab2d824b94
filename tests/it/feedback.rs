//! Feedback: marking with keys, the sidecar (append-only, two writers, torn and bad
//! lines, places that cannot be written), the detail pane and trace list showing export
//! and sidecar assessments together, search filters, and the CLI commands.

use crate::common::*;
use serde_json::{Value, json};
use spanlens::feedback::record::{Judgement, Record};
use spanlens::feedback::{self, Location, Store};
use spanlens::tui::app::{App, Effect, Screen};
use std::path::{Path, PathBuf};

/// An MLflow 3 trace whose export carries two assessments of its own.
pub const MLFLOW: &str = r#"{"info": {"trace_id": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", "state": "OK",
  "request_time": "2026-11-28T20:06:51.774Z", "execution_duration_ms": 90,
  "assessments": [{"assessment_id": "a-export-1", "assessment_name": "correctness",
     "trace_id": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", "span_id": "d87e1fb59ff6cde2",
     "source": {"source_type": "LLM_JUDGE", "source_id": "judge"},
     "create_time": "2026-11-28T20:07:00.000Z", "last_update_time": "2026-11-28T20:07:00.000Z",
     "feedback": {"value": "no"}, "rationale": "retrieved the Lyon document"}]},
 "data": {"spans": [
  {"trace_id": "3ULf6M1Zyk2fywS5j4qpBA==", "span_id": "p+biTuZKUzg=", "parent_span_id": null, "name": "agent",
   "start_time_unix_nano": 1795896411900000001, "end_time_unix_nano": 1795896411990000000,
   "status": {"code": "STATUS_CODE_OK", "message": ""},
   "attributes": {"mlflow.spanType": "\"AGENT\"", "mlflow.spanInputs": "{\"question\": \"weather in Paris?\"}",
     "mlflow.spanOutputs": "\"Sunny, 21C\""}, "events": []},
  {"trace_id": "3ULf6M1Zyk2fywS5j4qpBA==", "span_id": "2H4ftZ/2zeI=", "parent_span_id": "p+biTuZKUzg=", "name": "retrieve",
   "start_time_unix_nano": 1795896411910624978, "end_time_unix_nano": 1795896411912178656,
   "status": {"code": "STATUS_CODE_OK", "message": ""}, "events": [],
   "attributes": {"mlflow.spanType": "\"RETRIEVER\"", "mlflow.spanInputs": "{\"query\": \"Paris weather\"}",
     "mlflow.spanOutputs": "[{\"page_content\": \"Lyon: rain\"}]"}},
  {"trace_id": "3ULf6M1Zyk2fywS5j4qpBA==", "span_id": "AAAAAAAAAAM=", "parent_span_id": "p+biTuZKUzg=", "name": "Completions",
   "start_time_unix_nano": 1795896411920000000, "end_time_unix_nano": 1795896411950000000,
   "status": {"code": "STATUS_CODE_OK", "message": ""}, "events": [],
   "attributes": {"mlflow.spanType": "\"CHAT_MODEL\"", "mlflow.llm.model": "\"gpt-4o-mini\"",
     "mlflow.spanInputs": "{\"messages\": [{\"role\": \"user\", \"content\": \"weather in Paris?\"}]}",
     "mlflow.spanOutputs": "\"Sunny, 21C\""}}]}}"#;

/// A fresh directory holding a copy of `text` named `name`; returns the copy's path.
fn export_copy(name: &str, text: &[u8]) -> PathBuf {
    temp_file(name, text)
}

/// Loads `input` with its sidecar (`chosen`, else the default beside it) as the CLI and
/// the explorer do, and opens the explorer on it, saving marks to the same place.
fn app_with_sidecar(input: &Path, chosen: Option<&Path>) -> App {
    let mut set = load_paths(&[input.to_owned()]);
    let store = feedback::load_into(&mut set, &[input.to_owned()], chosen);
    let mut app = app_for_set(set);
    app.feedback = store;
    app
}

fn lines_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every sidecar line is JSON"))
        .collect()
}

fn status(app: &App) -> String {
    app.status.clone().unwrap_or_default()
}

#[test]
fn marking_with_keys_saves_mlflow_records_beside_the_export() {
    let input = export_copy(
        "run.otlp.jsonl",
        &std::fs::read(fixture("agent.otlp.jsonl")).unwrap(),
    );
    let sidecar = input.with_file_name("run.otlp.jsonl.feedback.jsonl");
    let mut app = app_with_sidecar(&input, None);
    assert_eq!(app.screen, Screen::Traces);

    // In the trace list a mark is about the whole trace.
    type_keys(&mut app, "+");
    assert!(
        status(&app).starts_with("recorded thumbs up on trace"),
        "{}",
        status(&app)
    );
    assert!(status(&app).contains("run.otlp.jsonl.feedback.jsonl"));
    let l = lines_of(&sidecar);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["assessment_name"], "thumbs");
    assert_eq!(l[0]["feedback"]["value"], true);
    assert_eq!(l[0]["source"]["source_type"], "HUMAN");
    assert!(l[0].get("span_id").is_none(), "a trace mark has no span_id");

    // On the root of the tree it is still the trace; below it, the span.
    press(&mut app, "enter");
    type_keys(&mut app, "jj");
    assert_eq!(selected_name(&app), "chat gpt-4o");
    let span_id = app.set.span_id(app.selected_span().unwrap()).to_owned();
    type_keys(&mut app, "-");
    assert!(status(&app).starts_with("recorded thumbs down on span \"chat gpt-4o\""));
    type_keys(&mut app, "a2");
    assert!(status(&app).starts_with("recorded score 2/5"));
    type_keys(&mut app, "an");
    assert!(app.note.is_some(), "an opens the note line");
    type_keys(&mut app, "wrong city");
    let screen = screen_text(&render(&mut app, 100, 30));
    assert!(
        screen[29].starts_with("note: wrong city▏  Enter records · Esc drops"),
        "the note is typed on the status line: {}",
        screen[29]
    );
    press(&mut app, "backspace");
    type_keys(&mut app, "y");
    press(&mut app, "enter");
    assert!(app.note.is_none());
    assert!(status(&app).starts_with("recorded note"));

    // The expected output is edited in $EDITOR, starting from the actual output.
    type_keys(&mut app, "ae");
    let Some(Effect::Edit { target, text }) = app.effects.pop() else {
        panic!("ae asks for the editor");
    };
    assert!(
        text.contains("Paris"),
        "prefilled with the actual output: {text}"
    );
    app.on_edited(target, Ok("It is sunny in Paris.\n".into()));
    assert!(status(&app).starts_with("recorded expected output"));

    // A second thumb replaces the first (an edit: `overrides`), it is not a second vote.
    type_keys(&mut app, "+");
    let l = lines_of(&sidecar);
    assert_eq!(l.len(), 6);
    assert_eq!(l[5]["overrides"], l[1]["assessment_id"]);
    let on_span: Vec<_> = l[1..]
        .iter()
        .map(|r| r["span_id"].as_str().unwrap())
        .collect();
    assert!(on_span.iter().all(|s| *s == span_id), "{on_span:?}");
    assert_eq!(l[4]["expectation"]["value"], "It is sunny in Paris.");
    assert_eq!(l[3]["feedback"]["value"], "wrong city");

    // The shown set has what the sidecar says, without reloading.
    let names = |app: &App| -> Vec<(String, Value)> {
        let s = app.selected_span().unwrap();
        let t = app.set.trace_of(s);
        app.set
            .assessments_for(t, Some(s))
            .map(|a| (a.name.clone(), a.value.clone()))
            .collect()
    };
    assert_eq!(
        names(&app),
        vec![
            ("score".into(), json!(2)),
            ("note".into(), json!("wrong city")),
            ("expected_response".into(), json!("It is sunny in Paris.")),
            ("thumbs".into(), json!(true)),
        ]
    );
    // Reloading the sidecar gives the same.
    let reloaded = app_with_sidecar(&input, None);
    let t = reloaded
        .set
        .find_trace(reloaded.set.trace_id(spanlens::model::TraceIx(0)))
        .unwrap();
    assert_eq!(reloaded.set.assessments_for(t, None).count(), 5);

    // fx removes this user's judgements here: one `valid: false` line each.
    type_keys(&mut app, "ax");
    assert!(
        status(&app).starts_with("recorded removal of 4 judgements"),
        "{}",
        status(&app)
    );
    assert!(names(&app).is_empty());
    let l = lines_of(&sidecar);
    assert_eq!(l.len(), 10);
    assert!(l[6..].iter().all(|r| r["valid"] == false));
    let reloaded = app_with_sidecar(&input, None);
    assert_eq!(
        reloaded.set.assessments.len(),
        1,
        "only the trace's thumb is left"
    );
}

#[test]
fn esc_drops_a_note_and_nothing_is_written() {
    let input = export_copy(
        "run.otlp.jsonl",
        &std::fs::read(fixture("agent.otlp.jsonl")).unwrap(),
    );
    let mut app = app_with_sidecar(&input, None);
    type_keys(&mut app, "annot this");
    press(&mut app, "esc");
    assert!(app.note.is_none());
    assert_eq!(
        app.screen,
        Screen::Traces,
        "Esc closed the note, not the screen"
    );
    assert!(
        !input
            .with_file_name("run.otlp.jsonl.feedback.jsonl")
            .exists()
    );
}

/// Writes a sidecar with fixed times (for snapshots) and returns its path.
fn fixed_sidecar(dir: &Path, records: &[Record]) -> PathBuf {
    let path = dir.join("fixed.feedback.jsonl");
    feedback::append(&path, records).unwrap();
    path
}

fn fixed(name: &str, j: Judgement, span: Option<&str>) -> Record {
    // 2026-11-28T21:00:00Z
    let mut r = Record::new(
        name,
        j,
        ("tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", span),
        "ann",
        1_795_899_600_000_000_000,
    );
    r.rationale = (name == "thumbs").then(|| "Lyon is not Paris".into());
    r
}

#[test]
fn detail_pane_and_trace_list_show_export_and_sidecar_assessments_together() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let dir = input.parent().unwrap();
    let side = fixed_sidecar(
        dir,
        &[
            fixed(
                "thumbs",
                Judgement::Feedback(json!(false)),
                Some("d87e1fb59ff6cde2"),
            ),
            fixed("score", Judgement::Feedback(json!(4)), None),
        ],
    );
    let mut app = app_with_sidecar(&input, Some(&side));
    assert_eq!(app.screen, Screen::Trace, "one trace opens directly");
    type_keys(&mut app, "j");
    assert_eq!(selected_name(&app), "retrieve");
    press(&mut app, "tab");
    let text = screen_text(&render(&mut app, 100, 36)).join("\n");
    assert!(text.contains("correctness"), "the export's own");
    assert!(text.contains("thumbs"), "the sidecar's");
    insta::assert_snapshot!("feedback_detail_100x36", text);

    // The trace list counts the trace's judgements: one good (score 4), two bad.
    press(&mut app, "esc");
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Traces);
    let list = screen_text(&render(&mut app, 120, 6)).join("\n");
    assert!(list.contains("feedback"), "{list}");
    assert!(list.contains("+1 -2"), "{list}");
}

#[test]
fn search_filters_find_judged_spans() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let side = fixed_sidecar(
        input.parent().unwrap(),
        &[
            fixed(
                "thumbs",
                Judgement::Feedback(json!(false)),
                Some("d87e1fb59ff6cde2"),
            ),
            fixed("score", Judgement::Feedback(json!(4)), None),
            fixed(
                "score",
                Judgement::Feedback(json!(1)),
                Some("0000000000000003"),
            ),
        ],
    );
    let app = app_with_sidecar(&input, Some(&side));
    let found = |q: &str| -> Vec<String> {
        let q = spanlens::search::Query::parse(q).unwrap();
        let mut v: Vec<String> = feedback::golden::selected_by(&app.set, &q)
            .into_iter()
            .map(|s| app.set.span_name(s).to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(found("feedback:bad"), vec!["Completions", "retrieve"]);
    assert_eq!(
        found("feedback:good"),
        vec!["agent"],
        "a trace's mark counts for its root"
    );
    assert_eq!(found("assess:score<3"), vec!["Completions"]);
    assert_eq!(found("assess:SCORE>=4"), vec!["agent"]);
    assert_eq!(found("assess:correctness"), vec!["retrieve"]);
    assert_eq!(found("feedback:bad kind:llm"), vec!["Completions"]);
    assert!(found("assess:nothing").is_empty());
    assert!(spanlens::search::Query::parse("feedback:meh").is_err());
}

#[test]
fn two_processes_appending_at_once_never_interleave() {
    // The writers are this test binary run twice as child processes (see `append_child`);
    // each appends large lines (well over a pipe buffer) as fast as it can.
    let path = temp_file("shared.feedback.jsonl", b"");
    let exe = std::env::current_exe().unwrap();
    let spawn = |who: &str| {
        std::process::Command::new(&exe)
            .args([
                "--exact",
                "feedback::append_child",
                "--ignored",
                "--nocapture",
            ])
            .env("SPANLENS_APPEND_CHILD", &path)
            .env("SPANLENS_APPEND_WHO", who)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the test binary runs")
    };
    let (mut a, mut b) = (spawn("a"), spawn("b"));
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = feedback::sidecar::parse("shared", text.as_bytes());
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems.first());
    assert_eq!(loaded.lines.len(), 2 * CHILD_RECORDS);
    for who in ["a", "b"] {
        let mine: Vec<u64> = (loaded.lines.iter())
            .filter(|r| r.source.source_id == who)
            .map(|r| r.assessment_name.trim_start_matches("n").parse().unwrap())
            .collect();
        assert_eq!(
            mine,
            (0..CHILD_RECORDS as u64).collect::<Vec<_>>(),
            "{who}'s lines in order"
        );
    }
    // They really ran at the same time: the file mixes them.
    let firsts: String = loaded
        .lines
        .iter()
        .map(|r| r.source.source_id.clone())
        .collect();
    assert!(
        firsts.contains("ab") || firsts.contains("ba"),
        "no overlap: {}",
        &firsts[..40]
    );
}

const CHILD_RECORDS: usize = 300;

/// One writer of `two_processes_appending_at_once_never_interleave` (run by it only).
#[test]
#[ignore = "a child process of two_processes_appending_at_once_never_interleave"]
fn append_child() {
    let Some(path) = std::env::var_os("SPANLENS_APPEND_CHILD") else {
        return;
    };
    let who = std::env::var("SPANLENS_APPEND_WHO").unwrap();
    let filler = who.repeat(20_000);
    for i in 0..CHILD_RECORDS {
        let mut r = Record::new(
            &format!("n{i}"),
            Judgement::Feedback(json!(true)),
            ("t", None),
            &who,
            0,
        );
        r.rationale = Some(filler.clone());
        // One call per record, as the explorer saves: each is one write and one fsync.
        feedback::append(Path::new(&path), &[r]).unwrap();
    }
}

#[test]
fn a_torn_last_line_is_reported_and_skipped_and_the_next_write_starts_clean() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let side = fixed_sidecar(
        input.parent().unwrap(),
        &[
            fixed(
                "thumbs",
                Judgement::Feedback(json!(false)),
                Some("d87e1fb59ff6cde2"),
            ),
            fixed("score", Judgement::Feedback(json!(4)), None),
        ],
    );
    // A process killed mid-write leaves half a line and no newline.
    let whole =
        serde_json::to_string(&fixed("score", Judgement::Feedback(json!(1)), None)).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&side)
        .unwrap();
    std::io::Write::write_all(&mut f, &whole.as_bytes()[..whole.len() / 2]).unwrap();
    drop(f);

    let side_arg = side.to_str().unwrap();
    let out = run_spanlens(
        &[
            "feedback",
            "--json",
            "--feedback",
            side_arg,
            input.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["assessments"].as_array().unwrap().len(),
        3,
        "export 1 + sidecar 2"
    );
    let warnings = doc["warnings"].to_string();
    assert!(warnings.contains("line 3: torn last line"), "{warnings}");

    // The next mark starts on a line of its own: it loads, the torn line stays skipped.
    let mut app = app_with_sidecar(&input, Some(&side));
    type_keys(&mut app, "+");
    assert!(status(&app).starts_with("recorded"), "{}", status(&app));
    let text = std::fs::read_to_string(&side).unwrap();
    let loaded = feedback::sidecar::parse("s", text.as_bytes());
    assert_eq!(loaded.current.len(), 3, "{} {text}", status(&app));
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(loaded.problems[0].pos, spanlens::model::Pos::Line(3));
    assert!(loaded.problems[0].message.starts_with("not an assessment"));
}

#[test]
fn bad_lines_are_load_warnings_with_line_numbers_never_fatal() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let good = serde_json::to_string(&fixed("score", Judgement::Feedback(json!(5)), None)).unwrap();
    let side = input.with_file_name("run.mlflow.json.feedback.jsonl");
    std::fs::write(
        &side,
        format!("{good}\n[1, 2]\n\n{{\"assessment_id\": 3}}\n{good}\n"),
    )
    .unwrap();
    let set = {
        let mut set = load_paths(std::slice::from_ref(&input));
        feedback::load_into(&mut set, std::slice::from_ref(&input), None);
        set
    };
    let w = warnings(&set);
    assert!(
        w.iter().any(|w| w.contains("line 2: not an assessment")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("line 4: not an assessment")),
        "{w:?}"
    );
    assert_eq!(
        set.assessments.len(),
        2,
        "the export's and the sidecar's one (written twice)"
    );
}

/// A path no one can create, root included: its "directory" is a regular file.
fn unwritable(dir: &Path) -> PathBuf {
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, b"not a directory").unwrap();
    blocker.join("run.feedback.jsonl")
}

#[test]
fn an_unwritable_place_keeps_the_mark_in_memory_until_fs_saves_it() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let dir = input.parent().unwrap();
    let target = unwritable(dir);
    let mut app = app_with_sidecar(&input, Some(&target));
    type_keys(&mut app, "a1");
    let s = status(&app);
    assert!(s.starts_with("NOT SAVED: cannot open"), "{s}");
    assert!(
        s.contains("1 judgement kept in memory (as to retry)"),
        "{s}"
    );
    assert_eq!(app.feedback.pending.len(), 1);
    assert!(
        app.set.assessments.iter().any(|a| a.name == "score"),
        "shown all the same"
    );
    type_keys(&mut app, "-");
    assert!(status(&app).contains("2 judgements kept in memory"));

    // The problem is fixed: fs writes both, in order.
    std::fs::remove_file(dir.join("blocker")).unwrap();
    type_keys(&mut app, "as");
    assert!(
        status(&app).starts_with("recorded unsaved feedback →"),
        "{}",
        status(&app)
    );
    assert!(app.feedback.pending.is_empty());
    let l = lines_of(&target);
    assert_eq!(
        (
            l[0]["assessment_name"].as_str(),
            l[1]["assessment_name"].as_str()
        ),
        (Some("score"), Some("thumbs"))
    );
    type_keys(&mut app, "as");
    assert_eq!(status(&app), "no unsaved feedback");
}

#[test]
fn a_full_disk_is_a_status_message_too() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let mut app = app_with_sidecar(&input, Some(Path::new("/dev/full")));
    type_keys(&mut app, "+");
    let s = status(&app);
    assert!(s.starts_with("NOT SAVED: cannot write /dev/full"), "{s}");
    assert!(s.to_lowercase().contains("no space left"), "{s}");
    assert_eq!(app.feedback.pending.len(), 1);
}

#[test]
fn the_default_place_falls_back_to_the_data_directory() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let dir = input.parent().unwrap();
    let data = dir.join("data/spanlens/feedback/run.feedback.jsonl");
    let mut store = Store::new(Location {
        primary: Some(unwritable(dir)),
        fallback: Some(data.clone()),
    });
    let r = fixed("score", Judgement::Feedback(json!(3)), None);
    match store.save(vec![r.clone()]) {
        feedback::Saved::Fallback { path, why } => {
            assert_eq!(path, data);
            assert!(why.starts_with("cannot open"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    // Later saves go to the same file, and the reader finds it with the default rules.
    store.save(vec![fixed("score", Judgement::Feedback(json!(2)), None)]);
    assert_eq!(lines_of(&data).len(), 2);

    // stdin has no place beside it: the data directory is the only one.
    let env_home = dir.join("xdg");
    let l = Location::for_inputs(&["-".into()], None, |k| {
        (k == "XDG_DATA_HOME").then(|| env_home.display().to_string())
    });
    assert_eq!(l.primary, None);
    assert_eq!(
        l.fallback,
        Some(env_home.join("spanlens/feedback/stdin.feedback.jsonl"))
    );
}

#[test]
fn feedback_command_lists_export_and_sidecar_assessments() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let side = input.with_file_name("run.mlflow.json.feedback.jsonl");
    feedback::append(
        &side,
        &[fixed(
            "thumbs",
            Judgement::Feedback(json!(false)),
            Some("d87e1fb59ff6cde2"),
        )],
    )
    .unwrap();
    let out = run_spanlens(&["feedback", input.to_str().unwrap()], &[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("feedback correctness = no  by LLM_JUDGE judge"),
        "{text}"
    );
    assert!(text.contains("feedback thumbs = false  by HUMAN ann  at 2026-11-28T21:00:00.000Z  — Lyon is not Paris"), "{text}");
    assert!(text.contains("2 assessments"), "{text}");
    // Everything else that loads counts them too.
    let out = run_spanlens(&["summary", "--json", input.to_str().unwrap()], &[]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["totals"]["assessments"], 2);
}

/// Marks that make a golden set: the trace expected "It is sunny", the LLM span good
/// (so its actual output is expected), the retriever bad (left out).
fn golden_input() -> (PathBuf, PathBuf) {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let side = input.with_file_name("run.mlflow.json.feedback.jsonl");
    feedback::append(
        &side,
        &[
            fixed(
                "expected_response",
                Judgement::Expectation(json!("It is sunny")),
                None,
            ),
            fixed(
                "thumbs",
                Judgement::Feedback(json!(true)),
                Some("0000000000000003"),
            ),
            fixed(
                "thumbs",
                Judgement::Feedback(json!(true)),
                Some("d87e1fb59ff6cde2"),
            ),
        ],
    )
    .unwrap();
    (input, side)
}

fn export_golden(input: &Path, format: &str, extra: &[&str]) -> String {
    let out_path = input.with_file_name(format!("golden.{format}"));
    let mut args = vec![
        "export",
        "golden",
        input.to_str().unwrap(),
        "--out",
        out_path.to_str().unwrap(),
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    let out = run_spanlens(&args, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(out_path).unwrap()
}

#[test]
fn export_golden_writes_mlflow_jsonl_and_csv() {
    let (input, _) = golden_input();
    let records: Value = serde_json::from_str(&export_golden(&input, "mlflow", &[])).unwrap();
    assert_eq!(
        records,
        json!([
            {"inputs": {"question": "weather in Paris?"},
             "expectations": {"expected_response": "It is sunny"},
             "tags": {"source_trace_id": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", "source_span_id": "a7e6e24ee64a5338"}},
            {"inputs": {"messages": [{"role": "user", "content": "weather in Paris?"}]},
             "expectations": {"expected_response": "Sunny, 21C"},
             "tags": {"source_trace_id": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", "source_span_id": "0000000000000003"}}
        ]),
        "the retriever is judged bad by the export: not golden"
    );
    let jsonl = export_golden(&input, "jsonl", &["--where", "kind:llm"]);
    let rows: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "--where narrows: {jsonl}");
    assert_eq!(rows[0]["expected"], "Sunny, 21C");
    assert_eq!(rows[0]["output"], "Sunny, 21C");
    let csv = export_golden(&input, "csv", &[]);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "input,output,expected,trace_id,span_id");
    assert_eq!(
        lines[1],
        r#""{""question"":""weather in Paris?""}","Sunny, 21C",It is sunny,tr-dd42dfe8cd59ca4d9fcb04b98f8aa904,a7e6e24ee64a5338"#
    );
    assert_eq!(lines.len(), 4, "header, two rows, and the final line break");
}

/// The Python with mlflow-skinny that `.ci/python-venv.sh` makes (run here when missing);
/// `None` only when python3 itself is missing.
fn mlflow_python() -> Option<PathBuf> {
    let has_python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_python {
        return None;
    }
    let venv = std::env::var_os("SPANLENS_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/spanlens-venv")))
        .expect("SPANLENS_VENV or HOME is set");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/python-venv.sh");
    // The script reuses a venv that has the pinned MLflow and makes one otherwise.
    let out = std::process::Command::new("bash")
        .arg(&script)
        .env("SPANLENS_VENV", &venv)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{} failed: {}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(venv.join("bin/python"))
}

#[test]
fn mlflow_reads_the_sidecar_and_the_golden_set() {
    let Some(python) = mlflow_python() else {
        println!("skipped mlflow_reads_the_sidecar_and_the_golden_set: python3 is not installed");
        return;
    };
    // Marks made with keys, as a reviewer makes them: every kind of record there is.
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let sidecar = input.with_file_name("run.mlflow.json.feedback.jsonl");
    let mut app = app_with_sidecar(&input, None);
    type_keys(&mut app, "+a5"); // the trace: good, score 5
    type_keys(&mut app, "j-anwrong city"); // the retriever: bad, with a note
    press(&mut app, "enter");
    type_keys(&mut app, "+"); // changed my mind: an edit that overrides
    type_keys(&mut app, "ja3ax"); // the LLM: a score, then removed (valid: false)
    type_keys(&mut app, "ae");
    let Some(Effect::Edit { target, .. }) = app.effects.pop() else {
        panic!("ae asks for the editor")
    };
    app.on_edited(target, Ok("{\"answer\": \"Sunny\"}\n".into()));
    type_keys(&mut app, "gae");
    let Some(Effect::Edit { target, .. }) = app.effects.pop() else {
        panic!("ae asks for the editor")
    };
    app.on_edited(target, Ok("It is sunny in Paris".into()));
    let lines = lines_of(&sidecar);
    assert!(lines.iter().any(|l| l["overrides"].is_string()));
    assert!(lines.iter().any(|l| l["valid"] == false));
    assert!(
        lines
            .iter()
            .any(|l| l["expectation"]["value"]["answer"] == "Sunny")
    );

    let golden = |format: &str| {
        export_golden(&input, format, &[]);
        input.with_file_name(format!("golden.{format}"))
    };
    let (m, j, c) = (golden("mlflow"), golden("jsonl"), golden("csv"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/mlflow_roundtrip.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args([&sidecar, &m, &j, &c])
        .output()
        .expect("the venv's python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "MLflow rejected the files:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{stdout}");
    assert!(
        stdout.contains(&format!("{} sidecar lines", lines.len())),
        "{stdout}"
    );
    // The retriever stays out: the export's judge says "no" although the reviewer now says good.
    assert!(stdout.contains("2 golden records"), "{stdout}");
}

#[test]
fn feedback_keys_are_in_the_help_and_the_config() {
    let input = export_copy(
        "run.otlp.jsonl",
        &std::fs::read(fixture("agent.otlp.jsonl")).unwrap(),
    );
    let mut app = app_with_sidecar(&input, None);
    type_keys(&mut app, "?");
    let help = screen_text(&render(&mut app, 100, 120)).join("\n");
    for line in [
        "feedback: thumbs up on span (root: trace)",
        "feedback: score 1 of 5",
        "feedback: expected output in $EDITOR",
        "feedback: retry saving unsaved",
    ] {
        assert!(help.contains(line), "help lacks {line:?}:\n{help}");
    }
    press(&mut app, "esc");
    let mut theme = app.theme;
    spanlens::tui::config::apply(
        "[keys]\n\"ctrl-g\" = \"thumbs_up\"\n[keys.traces]\n\"b\" = \"score1\"\n",
        &mut app.keymap,
        &mut theme,
    )
    .unwrap();
    press(&mut app, "ctrl-g");
    assert!(
        status(&app).starts_with("recorded thumbs up"),
        "{}",
        status(&app)
    );
    type_keys(&mut app, "b");
    assert!(
        status(&app).starts_with("recorded score 1/5"),
        "{}",
        status(&app)
    );
}

#[test]
fn langsmith_feedback_stats_are_assessments_too() {
    let run = r#"{"id":"01a223ca-632a-7d0b-8b59-0164268a3c04","name":"agent","run_type":"chain","start_time":"2026-11-28T20:13:15.946665Z","end_time":"2026-11-28T20:13:15.961319Z","inputs":{"question":"weather?"},"outputs":{"output":"rainy"},"parent_run_id":null,"trace_id":"01a223ca-632a-7d0b-8b59-0164268a3c04","dotted_order":"20261128T201315946665Z01a223ca-632a-7d0b-8b59-0164268a3c04","feedback_stats":{"user_score":{"n":2,"avg":1.5},"thumbs":{"n":1,"avg":null,"values":{"down":1}}}}"#;
    let set = load_text("runs.jsonl", format!("{run}\n").as_bytes());
    let root = span_named(&set, "agent");
    let got: Vec<(String, Value, Option<String>)> = set
        .assessments_for(set.trace_of(root), Some(root))
        .map(|a| (a.name.clone(), a.value.clone(), a.rationale.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "user_score".into(),
                json!(1.5),
                Some("average of 2 feedback records".into())
            ),
            (
                "thumbs".into(),
                json!({"n": 1, "avg": null, "values": {"down": 1}}),
                Some("average of 1 feedback record".into())
            ),
        ]
    );
}

#[test]
fn a_directory_reads_each_files_sidecar_as_feedback_not_as_traces() {
    let input = export_copy("run.mlflow.json", MLFLOW.as_bytes());
    let side = input.with_file_name("run.mlflow.json.feedback.jsonl");
    feedback::append(
        &side,
        &[fixed("score", Judgement::Feedback(json!(5)), None)],
    )
    .unwrap();
    let dir = input.parent().unwrap();
    let out = run_spanlens(&["feedback", "--json", dir.to_str().unwrap()], &[]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["assessments"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(
        doc["warnings"],
        json!([]),
        "the sidecar is not a bad trace file"
    );
}

/// Runs the stats jobs the app asked for, each answered in the order they were asked.
fn stats_jobs(app: &mut App) -> Vec<spanlens::tui::steps::job::StatsJob> {
    (std::mem::take(&mut app.effects).into_iter())
        .filter_map(|e| match e {
            Effect::Stats(job) => Some(job),
            _ => None,
        })
        .collect()
}

#[test]
fn many_kept_assessments_are_counted_off_the_ui_thread_and_a_mark_meanwhile_counts() {
    // Two MLflow 3 traces in JSON Lines, whose assessments load kept as text: the first
    // judged more times than the UI thread counts (good, bad, good, …), the second once.
    let doc: Value = serde_json::from_str(MLFLOW).unwrap();
    let many = spanlens::tui::feedback::tally::COUNTED_HERE + 1;
    let mut text = String::new();
    for (t, count) in [(0, many), (1, 1)] {
        let mut d = doc.clone();
        let id = format!("tr-dd42dfe8cd59ca4d9fcb04b98f8aa9{t:02x}");
        d["info"]["trace_id"] = id.clone().into();
        let one = d["info"]["assessments"][0].clone();
        let list: Vec<Value> = (0..count)
            .map(|i| {
                let mut a = one.clone();
                a["trace_id"] = id.clone().into();
                a["assessment_id"] = format!("a-{t}-{i}").into();
                a["feedback"]["value"] = json!(i % 2 == 0);
                a
            })
            .collect();
        d["info"]["assessments"] = list.into();
        text.push_str(&d.to_string());
        text.push('\n');
    }
    let input = export_copy("many.mlflow.jsonl", text.as_bytes());
    let mut app = app_with_sidecar(&input, None);
    assert_eq!(app.screen, Screen::Traces);
    assert!(app.tallies.is_empty(), "not counted on the UI thread");
    let first = stats_jobs(&mut app);
    assert_eq!(first.len(), 1, "{first:?}");

    // A mark while the count runs decodes the set (it looks for what the mark replaces),
    // so the count is made again at once, and the job's answer, from before the mark, is
    // dropped.
    let row = app.traces.order.iter().position(|&t| {
        app.set
            .trace_id(spanlens::model::TraceIx(t))
            .ends_with("01")
    });
    for _ in 0..row.unwrap() {
        press(&mut app, "j");
    }
    type_keys(&mut app, "+");
    assert!(
        status(&app).starts_with("recorded thumbs up"),
        "{}",
        status(&app)
    );
    assert!(stats_jobs(&mut app).is_empty());
    let counted_at_once = app.tallies.clone();
    for job in first {
        app.on_stats_done(job.run());
    }
    assert_eq!(app.tallies, counted_at_once);
    let mut counted: Vec<(u32, u32)> = app.tallies.iter().map(|t| (t.good, t.bad)).collect();
    counted.sort();
    // `many` is odd: one more good than bad; the other trace: its one (good) and the mark.
    let half = many as u32 / 2;
    assert_eq!(counted, vec![(2, 0), (half + 1, half)]);
    let list = screen_text(&render(&mut app, 120, 6)).join("\n");
    assert!(list.contains(&format!("+{} -", half + 1)), "{list}");
}
