//! Run diffs: the pairing rules, step regressions and the rank test, the gate's exit codes
//! with the real binary, the single-trace fixes on generated exports in two formats (and
//! on the corpus), and the run view's keys and screen.

use crate::common::*;
use spanlens::diff::pairing::Rule;
use spanlens::diff::runs::{StepStatus, compare_runs};
use spanlens::diff::{Change, RowStatus, diff};
use spanlens::model::{TraceIx, TraceSet};
use std::sync::Arc;

/// One hand-made trace: root name, session, root input, start (ms), and its tool steps
/// as (name, duration ms, failed), run one after another.
struct T<'a> {
    name: &'a str,
    session: Option<&'a str>,
    input: Option<&'a str>,
    start: u64,
    steps: Vec<(&'a str, u64, bool)>,
}

fn t<'a>(name: &'a str, session: Option<&'a str>, input: Option<&'a str>, start: u64) -> T<'a> {
    T {
        name,
        session,
        input,
        start,
        steps: vec![("lookup", 10, false)],
    }
}

/// An OTLP document of `traces`; `salt` makes the ids differ between runs.
fn otlp(traces: &[T], salt: u32) -> Vec<u8> {
    let t0: u64 = 1_795_896_411_000_000_000;
    let kv = |k: &str, v: &str| serde_json::json!({"key": k, "value": {"stringValue": v}});
    let mut spans = Vec::new();
    for (i, tr) in traces.iter().enumerate() {
        let tid = format!("{salt:08x}{:024x}", i + 1);
        let root = format!("{:016x}", (i + 1) * 1000);
        let total: u64 = tr.steps.iter().map(|s| s.1).sum::<u64>() + 1;
        let mut attrs = vec![kv("gen_ai.operation.name", "invoke_agent")];
        if let Some(s) = tr.session {
            attrs.push(kv("session.id", s));
        }
        if let Some(q) = tr.input {
            attrs.push(kv("input.value", q));
        }
        let start = t0 + tr.start * 1_000_000;
        spans.push(serde_json::json!({
            "traceId": tid, "spanId": root, "name": tr.name,
            "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": (start + total * 1_000_000).to_string(),
            "attributes": attrs,
        }));
        let mut at = start;
        for (j, (step, ms, failed)) in tr.steps.iter().enumerate() {
            let mut s = serde_json::json!({
                "traceId": tid, "spanId": format!("{:016x}", (i + 1) * 1000 + j + 1),
                "parentSpanId": root, "name": format!("execute_tool {step}"),
                "startTimeUnixNano": at.to_string(),
                "endTimeUnixNano": (at + ms * 1_000_000).to_string(),
                "attributes": [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", step)],
            });
            if *failed {
                s["status"] = serde_json::json!({"code": 2, "message": "boom"});
            }
            spans.push(s);
            at += ms * 1_000_000;
        }
    }
    serde_json::to_vec(&serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}))
        .unwrap()
}

fn load_run(name: &str, traces: &[T], salt: u32) -> TraceSet {
    load_text(name, &otlp(traces, salt))
}

fn all(set: &TraceSet) -> Vec<TraceIx> {
    (0..set.traces.len() as u32).map(TraceIx).collect()
}

/// The root names of the pairs, as (left, right).
fn paired(l: &TraceSet, r: &TraceSet, rule: Rule) -> Vec<(String, String)> {
    let p = spanlens::diff::pairing::pair(l, &all(l), r, &all(r));
    p.pairs
        .iter()
        .filter(|x| x.2 == rule)
        .map(|&(a, b, _)| {
            (
                l.str(l.trace(a).name).to_owned(),
                r.str(r.trace(b).name).to_owned(),
            )
        })
        .collect()
}

#[test]
fn pairing_by_session_and_turn_comes_first() {
    let left = load_run(
        "l.json",
        &[
            t("s1-turn1", Some("s1"), Some("hello"), 0),
            t("s2-turn1", Some("s2"), Some("hi"), 5),
            t("s1-turn2", Some("s1"), Some("and then?"), 10),
        ],
        1,
    );
    // Inputs changed and the sessions' traces interleave differently: turns still pair.
    let right = load_run(
        "r.json",
        &[
            t("r-s2-turn1", Some("s2"), Some("HI"), 0),
            t("r-s1-turn1", Some("s1"), Some("hello!"), 3),
            t("r-s1-turn2", Some("s1"), Some("what next"), 4),
            t("lonely", None, Some("unrelated"), 9),
        ],
        2,
    );
    let pairs = paired(&left, &right, Rule::SessionTurn);
    assert_eq!(
        pairs,
        vec![
            ("s1-turn1".into(), "r-s1-turn1".into()),
            ("s2-turn1".into(), "r-s2-turn1".into()),
            ("s1-turn2".into(), "r-s1-turn2".into()),
        ]
    );
    let p = spanlens::diff::pairing::pair(&left, &all(&left), &right, &all(&right));
    assert_eq!(p.main_rule(), Rule::SessionTurn);
    assert_eq!(p.only_left, vec![]);
    assert_eq!(p.only_right.len(), 1, "the trace without a twin is listed");
}

#[test]
fn pairing_by_normalised_input_then_by_name_and_order() {
    let left = load_run(
        "l.json",
        &[
            t("agent", None, Some("What is A?"), 0),
            t("agent", None, Some("{\"question\": \"b\"}"), 1),
            t("other", None, None, 2),
            t("other", None, None, 3),
        ],
        1,
    );
    let right = load_run(
        "r.json",
        &[
            t("agent-b", None, Some("B"), 0),
            t("agent-a", None, Some("  what is   a? "), 1),
            t("other", None, None, 5),
            t("other", None, None, 6),
            t("other", None, None, 7),
        ],
        2,
    );
    assert_eq!(
        paired(&left, &right, Rule::Input),
        vec![
            ("agent".into(), "agent-a".into()),
            ("agent".into(), "agent-b".into())
        ],
        "case, spaces and a one-field JSON wrapper do not matter"
    );
    assert_eq!(paired(&left, &right, Rule::NameOrder).len(), 2);
    let run = compare_runs(&left, &all(&left), &right, &all(&right));
    assert_eq!(run.pairing.only_right.len(), 1);
    assert!(
        run.warnings
            .iter()
            .any(|w| w.contains("2 pairs matched only by root name and order")),
        "{:?}",
        run.warnings
    );
}

/// `n` traces whose `execute_sql` step takes `sql_ms` (plus jitter), and `rare` steps that
/// run in only three traces.
fn sql_run(n: usize, sql_ms: u64, rare_ms: u64, extra: Option<&'static str>) -> Vec<u8> {
    let traces: Vec<T> = (0..n)
        .map(|i| {
            let mut steps = vec![("execute_sql", sql_ms + (i as u64 * 7) % 13, false)];
            if i < 3 {
                steps.push(("rare", rare_ms, false));
            }
            if let Some(x) = extra {
                steps.push((x, 5, i == 0));
            }
            T {
                name: "agent",
                session: None,
                input: None,
                start: i as u64 * 1000,
                steps,
            }
        })
        .collect();
    otlp(&traces, (sql_ms + rare_ms) as u32)
}

#[test]
fn slower_steps_regress_only_when_the_rank_test_agrees() {
    let left = load_text("l.json", &sql_run(20, 100, 50, None));
    let right = load_text("r.json", &sql_run(20, 300, 500, Some("new_tool")));
    let run = compare_runs(&left, &all(&left), &right, &all(&right));
    let step = |name: &str| run.steps.iter().find(|s| s.name == name).unwrap();
    let sql = step("execute_sql");
    assert_eq!(sql.status, StepStatus::Changed);
    assert!(sql.regressions.contains(&"p50"), "{:?}", sql.regressions);
    assert!(sql.test.unwrap().p < 1e-6, "{:?}", sql.test);
    let rare = step("rare");
    assert!(rare.test.is_none(), "three calls a side are too few");
    assert!(
        !rare.regressions.contains(&"p50"),
        "ten times slower, but on three samples nothing is called a regression"
    );
    assert_eq!(step("new_tool").status, StepStatus::Added);
    // Same durations: nothing regresses.
    let same = compare_runs(&left, &all(&left), &left, &all(&left));
    assert!(same.steps.iter().all(|s| s.status == StepStatus::Same));
}

#[test]
fn the_gate_exits_0_1_or_2_end_to_end() {
    let l = temp_file("base.otlp.json", &sql_run(20, 100, 50, None));
    let r = temp_file("new.otlp.json", &sql_run(20, 300, 50, Some("new_tool")));
    // A directory works as a side.
    let dir = l.parent().unwrap().to_str().unwrap().to_owned();
    let (l, r) = (l.to_str().unwrap(), r.to_str().unwrap());
    let gate = |a: &str, b: &str, expr: &str, fmt: &str| {
        run_spanlens(&["diff", a, b, "--format", fmt, "--fail-on", expr], &[])
    };
    let out = gate(&dir, r, "step:execute_sql.p50>+50%,errors>0", "text");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("tripped: step:execute_sql.p50>+50%"),
        "{text}"
    );
    assert!(text.contains("tripped: errors>0  (0 → 1)"), "{text}");
    assert!(text.contains("pairing: name+order"), "{text}");

    let out = gate(l, r, "p95>+1000%,feedback:helpfulness<-0.5", "md");
    let md = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{md}");
    assert!(
        md.starts_with("## Run diff") && md.contains("gate passed"),
        "{md}"
    );
    assert!(md.contains("feedback:helpfulness<-0.5: not found"), "{md}");

    let out = gate(l, r, "new_steps>0", "json");
    assert_eq!(out.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["pairing"], "name+order");
    assert_eq!(j["summary"]["paired"], 20);
    assert_eq!(j["summary"]["left"]["error_traces"], 0);
    assert!(
        j["summary"]["right"]["duration_ns"]["p95"]
            .as_i64()
            .unwrap()
            > 300_000_000
    );
    let sql = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "execute_sql")
        .unwrap();
    assert_eq!(sql["status"], "changed");
    assert_eq!(sql["left"]["calls_per_trace"], 1.0);
    assert_eq!(sql["regressions"][0], "p50");
    let pair = &j["pairs"][0];
    assert_eq!(pair["right_errors"], 1, "the new error comes first");
    for k in ["same", "changed", "added", "removed"] {
        assert!(pair["summary"][k].is_u64(), "{k}");
    }
    assert_eq!(j["gate"]["failed"].as_array().unwrap().len(), 1);

    let out = gate(l, "no/such/file.json", "errors>0", "text");
    assert_eq!(out.status.code(), Some(2), "an input that cannot load");
    let out = gate(l, r, "latency>1", "text");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a condition that cannot be read"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown metric 'latency'"));
}

/// A generated run of 10 traces in `format`; `mutate` > 0 makes the second run.
fn generated_run(format: spanlens_synth::GenFormat, mutate: u32) -> TraceSet {
    let opts = spanlens_synth::GenOptions {
        spans: 300,
        traces: Some(10),
        profile: spanlens_synth::Profile::Sample,
        seed: 3,
        mutate,
        format,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    spanlens_synth::generate(&opts, &mut bytes).unwrap();
    load_text(&format!("run{mutate}.{format:?}.json"), &bytes)
}

#[test]
fn untouched_traces_of_two_runs_diff_as_unchanged_in_both_formats() {
    use spanlens_synth::GenFormat;
    for format in [GenFormat::Mlflow, GenFormat::Otlp] {
        let (a, b) = (generated_run(format, 0), generated_run(format, 1));
        let run = compare_runs(&a, &all(&a), &b, &all(&b));
        assert_eq!(run.pairing.pairs.len(), 10);
        assert_ne!(
            a.trace_id(run.pairs[0].left),
            b.trace_id(run.pairs[0].right),
            "the runs have their own ids"
        );
        // The second run changes 4 traces; every other pair must be all same, whatever
        // ids (`mlflow.traceRequestId`, response ids) and timestamps say.
        let unchanged = run
            .pairs
            .iter()
            .filter(|p| diff(&a, p.left, &b, p.right).summary.changed == 0)
            .count();
        assert!(
            unchanged >= 6,
            "{format:?}: only {unchanged} of 10 pairs unchanged"
        );
    }
}

#[test]
fn the_same_run_from_mlflow_and_otlp_differs_only_in_representation() {
    use spanlens_synth::GenFormat;
    let (o, m) = (
        generated_run(GenFormat::Otlp, 0),
        generated_run(GenFormat::Mlflow, 0),
    );
    for t in 0..o.traces.len() as u32 {
        let d = diff(&o, TraceIx(t), &m, TraceIx(t));
        assert_eq!((d.summary.added, d.summary.removed), (0, 0), "trace {t}");
        for row in &d.rows {
            for c in [
                Change::Tokens,
                Change::Model,
                Change::Duration,
                Change::Status,
            ] {
                assert!(!row.changes.contains(&c), "trace {t}: {:?}", row.changes);
            }
        }
    }
}

/// A one-trace OTLP run with a root and one child span, given the child's attributes.
fn one_span(child: serde_json::Value, salt: &str) -> TraceSet {
    let doc = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": format!("{salt:0>32}"), "spanId": "00000000000000a1", "name": "agent",
         "startTimeUnixNano": "1795896411000000000", "endTimeUnixNano": "1795896412000000000"},
        {"traceId": format!("{salt:0>32}"), "spanId": "00000000000000a2", "parentSpanId": "00000000000000a1",
         "name": child["name"], "startTimeUnixNano": "1795896411000000000",
         "endTimeUnixNano": "1795896411500000000", "attributes": child["attributes"]},
    ]}]}]});
    load_text("one.json", &serde_json::to_vec(&doc).unwrap())
}

fn kv(k: &str, v: &str) -> serde_json::Value {
    serde_json::json!({"key": k, "value": {"stringValue": v}})
}

#[test]
fn a_known_kind_pairs_with_an_unknown_kind_of_the_same_name() {
    let known = one_span(
        serde_json::json!({"name": "rerank_docs", "attributes": [kv("openinference.span.kind", "RERANKER")]}),
        "1",
    );
    let unknown = one_span(
        serde_json::json!({"name": "rerank_docs", "attributes": []}),
        "2",
    );
    let d = diff(&known, TraceIx(0), &unknown, TraceIx(0));
    assert_eq!((d.summary.added, d.summary.removed), (0, 0), "{:?}", d.rows);
    let run = compare_runs(&known, &all(&known), &unknown, &all(&unknown));
    assert!(
        run.steps
            .iter()
            .all(|s| !matches!(s.status, StepStatus::Added | StepStatus::Removed)),
        "the run's step table pairs them too: {:?}",
        run.steps
            .iter()
            .map(|s| (&s.key, s.status))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_changed_genai_system_prompt_is_an_input_change() {
    let span = |prompt: &str, id: &str| {
        serde_json::json!({"name": "chat gpt-4o", "attributes": [
            kv("gen_ai.operation.name", "chat"),
            kv("gen_ai.request.model", "gpt-4o"),
            kv("gen_ai.system_instructions", &format!("[{{\"type\":\"text\",\"content\":\"{prompt}\"}}]")),
            kv("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]"),
            kv("gen_ai.response.id", id),
        ]})
    };
    let a = one_span(span("You are helpful.", "chatcmpl-1"), "1");
    let b = one_span(span("You are terse.", "chatcmpl-2"), "2");
    let same = one_span(span("You are helpful.", "chatcmpl-3"), "3");
    let d = diff(&a, TraceIx(0), &b, TraceIx(0));
    let changed: Vec<_> = d
        .rows
        .iter()
        .filter(|r| r.status == RowStatus::Changed)
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].changes, vec![Change::Input]);
    let d = diff(&a, TraceIx(0), &same, TraceIx(0));
    assert_eq!(d.summary.changed, 0, "a new response id is not a change");
}

#[test]
fn a_changed_assessment_is_a_feedback_change_with_both_values() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let path = corpus.join("generated/mlflow-v3/mlflow-3.17.2_search_traces.records.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"value\":0.8"));
    // The relevance score, 0.8 → 0.3, in the record and in the trace JSON it embeds.
    let changed = text
        .replace("\"value\":0.8", "\"value\":0.3")
        .replace("\\\"value\\\": 0.8}", "\\\"value\\\": 0.3}");
    assert_ne!(changed.matches("0.3").count(), text.matches("0.3").count());
    let (a, b) = (
        load_paths(&[path]),
        load_text("changed.records.json", changed.as_bytes()),
    );
    let t = a.find_trace("tr-f24b873ae5bfe7aa1d2efbbceb08fe7e").unwrap();
    let d = diff(&a, t, &b, t);
    let rows: Vec<_> = d
        .rows
        .iter()
        .filter(|r| r.status != RowStatus::Same)
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].changes, vec![Change::Feedback]);
    let (l, r) = (rows[0].left.unwrap(), rows[0].right.unwrap());
    assert_eq!(
        spanlens::diff::changes::feedback_changes(&a, l, &b, r),
        vec![(
            "relevance_score".to_owned(),
            Some(serde_json::json!(0.8)),
            Some(serde_json::json!(0.3))
        )]
    );
    let text = spanlens::diff::report::to_text(
        &spanlens::diff::report::Sides {
            left: &a,
            right: &b,
        },
        &d,
    );
    assert!(text.contains("relevance_score 0.8 → 0.3"), "{text}");
    let run = compare_runs(&a, &all(&a), &b, &all(&b));
    assert!(run.left.feedback["relevance_score"] > run.right.feedback["relevance_score"]);
}

/// The app on the run view of two generated runs, with the comparison not yet done.
fn run_app() -> spanlens::tui::app::App {
    use spanlens_synth::GenFormat;
    let (a, b) = (
        Arc::new(generated_run(GenFormat::Otlp, 0)),
        Arc::new(generated_run(GenFormat::Otlp, 1)),
    );
    let mut app = app_for_set(TraceSet::default());
    let (la, lb) = (all(&a), all(&b));
    app.open_runs(a, la, b, lb);
    app
}

/// Runs the run comparisons the app asked its worker for.
fn run_runs(app: &mut spanlens::tui::app::App) {
    for effect in std::mem::take(&mut app.effects) {
        match effect {
            spanlens::tui::app::Effect::Runs(job) => {
                let (generation, run) = job.run();
                app.on_runs_ready(generation, run);
            }
            other => app.effects.push(other),
        }
    }
}

#[test]
fn run_view_keys_open_a_pair_and_come_back() {
    use spanlens::tui::app::Screen;
    use spanlens::tui::runs::RunPane;
    let mut app = run_app();
    assert_eq!(app.screen, Screen::Runs);
    type_keys(&mut app, "jj");
    press(&mut app, "enter");
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .contains("still comparing"),
        "keys work while the worker computes"
    );
    run_runs(&mut app);
    let view = app.runs.as_ref().unwrap();
    let first = view.run.as_ref().unwrap().pairs[0].clone();
    assert!(
        first.new_error(),
        "the pair with a new error is listed first"
    );
    type_keys(&mut app, "j");
    assert_eq!(app.runs.as_ref().unwrap().pair_cursor, 1);
    type_keys(&mut app, "k");
    press(&mut app, "tab");
    assert_eq!(app.runs.as_ref().unwrap().pane, RunPane::Steps);
    press(&mut app, "tab");
    press(&mut app, "enter");
    run_diffs(&mut app);
    assert_eq!(app.screen, Screen::Diff);
    let d = app.diff.as_ref().unwrap();
    assert_eq!((d.lt, d.rt), (first.left, first.right));
    type_keys(&mut app, "]d");
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.starts_with("difference 1 of ")),
        "{:?}",
        app.status
    );
    press(&mut app, "tab");
    let screen = screen_text(&render(&mut app, 120, 40)).join("\n");
    assert!(
        screen.contains("▶ ") && screen.contains("focused: ↑↓ scroll"),
        "the payload pane says it has the keys:\n{screen}"
    );
    press(&mut app, "tab");
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Runs, "Esc goes back to the run view");
}

#[test]
fn run_view_120x30() {
    let mut app = run_app();
    let waiting = screen_text(&render(&mut app, 120, 30)).join("\n");
    assert!(waiting.contains("comparing 10 traces with 10 traces"));
    run_runs(&mut app);
    insta::assert_snapshot!(
        "run_view_120x30",
        screen_text(&render(&mut app, 120, 30)).join("\n")
    );
}
