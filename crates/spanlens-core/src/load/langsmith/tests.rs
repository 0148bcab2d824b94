//! The two readers of LangSmith run lines agree: wherever the fast one reads a run it gives
//! the very batch (span, ids, times, status, tokens, model, attributes, assessments,
//! diagnostics) the serde reader gives, and where it gives up it adds nothing. Checked on
//! hand-written shapes, the corpus, runs built from generated content and seeded mutations.

use super::{fast_walk, load};
use crate::load::Sink;
use crate::load::json::Ctx;
use crate::load::mutate::Rng;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// Reads `text` with both readers. `true`: the fast reader read it and agreed; `false`:
/// it gave up; panics when they disagree.
fn agree(text: &str) -> bool {
    let ctx = Ctx::new(text.as_bytes(), 0, 0, "t.jsonl");
    let mut fast = Sink::default();
    let read = fast_walk::load_run(&mut fast, &ctx, text, 7);
    let mut slow = Sink::default();
    match read {
        Ok(()) => {
            let raw: &RawValue = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("fast read what serde refuses ({e}): {text}"));
            load(&mut slow, &ctx, raw, 7);
            assert_eq!(
                format!("{:?}", fast.batch),
                format!("{:?}", slow.batch),
                "{text}"
            );
            assert_eq!(fast.arena, slow.arena, "{text}");
            true
        }
        Err(_) => {
            let untouched = format!("{:?}", Sink::default().batch);
            let kept = format!("{:?}", fast.batch);
            assert_eq!(kept, untouched, "gave up but kept: {text}");
            false
        }
    }
}

/// A run as the Python SDK's `list_runs` dumps it, with every field a meaning reads.
fn python_run() -> Value {
    json!({"id": "01a223ca-6337-7c11-b478-06c0dfae32c1", "name": "ChatOpenAI",
        "start_time": "2026-11-28T20:13:15.959778Z", "run_type": "llm",
        "end_time": "2026-11-28T20:13:16.960043+00:00",
        "extra": {"metadata": {"ls_provider": "openai", "ls_model_name": "gpt-4o-mini"},
            "invocation_params": {"model": "gpt-4o", "model_name": "gpt-4"},
            "runtime": {"sdk": "langsmith-py"}},
        "error": null, "serialized": null, "events": [{"name": "start", "time": "2026-11-28T20:13:15.959778"}],
        "inputs": {"messages": [{"role": "user", "content": "caf\u{e9} \"q\" ☔ \u{1F600}"}]},
        "outputs": {"generations": [[{"text": "hi"}]], "llm_output": {"token_usage": {"prompt_tokens": 3, "completion_tokens": 4}},
            "usage_metadata": {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}},
        "reference_example_id": null, "parent_run_id": "01a223ca-632a-7d0b-8b59-0164268a3c04",
        "tags": ["demo"], "attachments": {}, "child_run_ids": null, "child_runs": null,
        "feedback_stats": {"correctness": {"n": 2, "avg": 0.5}, "note": {"n": 1}},
        "status": "success", "prompt_tokens": null, "completion_tokens": null, "total_tokens": null,
        "total_cost": "0.000123", "trace_id": "01a223ca-632a-7d0b-8b59-0164268a3c04",
        "dotted_order": "20261128T201315946665Z01a223ca-632a-7d0b-8b59-0164268a3c04.20261128T201315959778Z01a223ca-6337-7c11-b478-06c0dfae32c1"})
}

#[test]
fn common_shapes_are_read_fast_and_the_same() {
    let run = python_run();
    assert!(agree(&run.to_string()));
    assert!(agree(&serde_json::to_string_pretty(&run).unwrap()));
    let shapes = [
        // The JS SDK: epoch milliseconds, no `id` (dotted_order gives it), own tokens.
        r#"{"name": "t", "start_time": 1728803137170, "end_time": 1728803138170.5, "run_type": "tool", "dotted_order": "20241011T205823298773Zaaa.20241011T205823301234Zbbb", "prompt_tokens": 5, "completion_tokens": "6", "total_tokens": null}"#,
        // Errors: a string, an empty string, an object; status alone.
        r#"{"id": "r", "start_time": "2024-10-11T20:58:23Z", "error": "Traceback\n  boom", "status": "success"}"#,
        r#"{"id": "r", "start_time": "2024-10-11T20:58:23Z", "error": "", "status": "error"}"#,
        r#"{"id": "r", "start_time": 1.7e9, "error": {"type": "X"}, "end_time": "soon"}"#,
        // Usage in `usage` (OpenAI), null usage_metadata, token_usage null or a number.
        r#"{"id": "r", "outputs": {"usage_metadata": null, "usage": {"prompt_tokens": 1}}, "run_type": "llm"}"#,
        r#"{"id": "r", "outputs": {"llm_output": {"token_usage": null}, "llm_output": {"token_usage": {"a": 1}}}}"#,
        r#"{"id": "r", "outputs": {"llm_output": 5, "usage": 7}, "extra": {"metadata": null, "invocation_params": {"model_name": "m2"}}}"#,
        // Fields twice (the first counts; both are attributes), non-objects where objects go.
        r#"{"id": "a", "id": "b", "name": 5, "name": "n", "outputs": "text", "outputs": {"usage": {"x": 1}}, "extra": [], "extra": {"metadata": {"ls_model_name": "m"}}}"#,
        r#"{"extra": {"metadata": {"ls_model_name": ""}, "invocation_params": {"model": "p"}}, "inputs": null, "events": [], "child_runs": []}"#,
        r#"{"extra": {"metadata": {"ls_model_name": "a", "ls_model_name": "b"}, "metadata": {"ls_model_name": "c"}}, "child_runs": {"x": 1}}"#,
        // Both model fields, the parameters first: the metadata's name still wins.
        r#"{"extra": {"invocation_params": {"model_name": "p2", "model": "p"}, "metadata": {"ls_model_name": "m"}}}"#,
        r#"{"feedback_stats": {"k": {"avg": null, "n": 1}}, "total_cost": 0.5, "run_type": "nonsense"}"#,
        r#"{"feedback_stats": [1], "total_cost": {}, "trace_id": null, "dotted_order": 5}"#,
        // Escapes and non-ASCII in values (kept exactly), nested escaped keys skipped over.
        r#"{"id": "\u0072", "name": "caf\u00e9 ☔ \"x\"", "inputs": {"k\u00e9y": [1, {"\u0061": null}]}}"#,
        "{\"name\": \"名前\", \"start_time\": -1, \"tags\": [\"é\"]}",
        r#"{}"#,
        r#"  {"id": "ws"}  "#,
    ];
    for s in shapes {
        assert!(agree(s), "the fast reader gave up on a shape it reads: {s}");
    }
}

#[test]
fn unusual_shapes_are_left_to_serde() {
    let cases = [
        // Escaped keys where keys are read by name: serde decodes them.
        r#"{"n\u0061me": "x"}"#,
        r#"{"outputs": {"usag\u0065": {"a": 1}}}"#,
        r#"{"outputs": {"llm_output": {"token_usag\u0065": {"a": 1}}}}"#,
        r#"{"extra": {"metadata": {"ls_model_nam\u0065": "m"}}}"#,
        r#"{"extra": {"invocation_params": {"mod\u0065l": "m"}}}"#,
        // Ingestion batches, nested child runs, other shapes.
        r#"{"post": [{"id": "a"}], "patch": []}"#,
        r#"{"id": "a", "patch": null}"#,
        r#"{"id": "a", "child_runs": [{"id": "b"}]}"#,
        r#"[{"id": "a"}]"#,
        r#""run""#,
        // Not JSON.
        r#"{"id": "cut"#,
        r#"{"id": "a"} trailing"#,
        r#"{"start_time": 01}"#,
        "{\"name\": \"tab\tinside\"}",
    ];
    for c in cases {
        assert!(
            !agree(c),
            "read fast, but should have been left to serde: {c}"
        );
    }
}

/// Every run of the corpus's LangSmith files: the `list_runs` lines and each `post` and
/// `patch` element of the ingestion batches, compact and pretty. `None` without it.
fn corpus_runs() -> Option<Vec<Value>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !dir.is_dir() {
        eprintln!("SKIPPED (corpus absent): {}", dir.display());
        return None;
    }
    let mut runs = Vec::new();
    for sub in ["generated/langsmith", "public/langsmith"] {
        for e in std::fs::read_dir(dir.join(sub)).ok()?.flatten() {
            let text = std::fs::read_to_string(e.path()).ok()?;
            for v in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
                let v = v.ok()?;
                let parts = ["post", "patch"].map(|k| v.get(k).and_then(Value::as_array));
                if parts.iter().any(Option::is_some) {
                    runs.extend(parts.into_iter().flatten().flatten().cloned());
                } else {
                    runs.push(v);
                }
            }
        }
    }
    Some(runs)
}

#[test]
fn corpus_runs_read_fast_and_the_same() {
    let Some(runs) = corpus_runs() else {
        return;
    };
    for r in &runs {
        assert!(agree(&r.to_string()), "a corpus run was left to serde: {r}");
        assert!(agree(&serde_json::to_string_pretty(r).unwrap()));
    }
    assert!(runs.len() >= 20, "only {} corpus runs", runs.len());
}

/// Runs built from generated MLflow spans: their names, types, times, inputs and outputs
/// (large, Unicode and hostile strings), as the Python or the JS SDK would write them.
fn generated_runs(n: usize) -> Vec<Value> {
    let opts = spanlens_synth::GenOptions {
        spans: n,
        format: spanlens_synth::GenFormat::Mlflow,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    spanlens_synth::generate(&opts, &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut runs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let doc: Value = serde_json::from_str(line).unwrap();
        for s in doc["data"]["spans"].as_array().into_iter().flatten() {
            runs.push(run_of_span(s, i + runs.len()));
        }
    }
    runs
}

fn run_of_span(s: &Value, k: usize) -> Value {
    let attr = |name: &str| {
        let t = s["attributes"][name].as_str().unwrap_or("null");
        serde_json::from_str::<Value>(t).unwrap_or(Value::Null)
    };
    let kind = attr("mlflow.spanType")
        .as_str()
        .unwrap_or("chain")
        .to_lowercase();
    let start = s["start_time_unix_nano"].as_u64().unwrap_or(0);
    let time = |ns: u64| match k % 3 {
        0 => json!(ns / 1_000_000),
        _ => json!(format!(
            "2026-11-28T20:13:{:02}.{:06}Z",
            ns / 1_000_000_000 % 60,
            ns / 1000 % 1_000_000
        )),
    };
    let id = format!("01a223ca-{:04x}-7d0b-8b59-0164268a3c04", k % 65536);
    json!({"id": id, "name": s["name"], "run_type": kind, "start_time": time(start),
        "end_time": time(s["end_time_unix_nano"].as_u64().unwrap_or(start)),
        "inputs": attr("mlflow.spanInputs"), "outputs": attr("mlflow.spanOutputs"),
        "extra": {"metadata": {"ls_model_name": attr("mlflow.llm.model")}},
        "error": if k.is_multiple_of(7) { json!("Traceback: boom") } else { Value::Null },
        "trace_id": "01a223ca-632a-7d0b-8b59-0164268a3c04", "parent_run_id": null,
        "dotted_order": format!("20261128T201315946665Z{id}"), "tags": [], "status": "success"})
}

#[test]
fn generated_runs_read_fast_and_the_same() {
    let runs = generated_runs(1500);
    for r in &runs {
        assert!(
            agree(&r.to_string()),
            "a generated run was left to serde: {r}"
        );
    }
    assert!(runs.len() >= 1000, "only {} runs", runs.len());
}

/// One random field change (see `load::mutate`); the special values are times, statuses
/// and token objects in the spellings LangSmith writes.
fn mutate_field(obj: &mut serde_json::Map<String, Value>, rng: &mut Rng) {
    let special = [
        json!(1728803137170u64),
        json!("2024-10-11T20:58:23.298773+00:00"),
        json!(""),
        json!("error"),
        json!("success"),
        json!({"input_tokens": 1, "n": 2, "avg": 0.5, "token_usage": {"a": 1}, "ls_model_name": "m"}),
    ];
    crate::load::mutate::mutate_field(obj, rng, &special);
}

/// The run, or one of the objects inside it that are read by key.
fn some_object<'v>(
    run: &'v mut Value,
    rng: &mut Rng,
) -> Option<&'v mut serde_json::Map<String, Value>> {
    let path: &[&str] = match rng.below(7) {
        0 => &["outputs"],
        1 => &["extra"],
        2 => &["extra", "metadata"],
        3 => &["outputs", "llm_output"],
        4 => &["feedback_stats"],
        _ => &[],
    };
    let mut at = run;
    for k in path {
        if !at.get(*k).is_some_and(Value::is_object) {
            break;
        }
        at = at.get_mut(*k)?;
    }
    at.as_object_mut()
}

/// One random change to the text (see `load::mutate`), with these fields to write twice.
fn mutate_text(t: &str, rng: &mut Rng) -> String {
    let dups = [
        "\"name\":\"dup\",",
        "\"start_time\":1,",
        "\"outputs\":null,",
        "\"usage\":{\"a\":1},",
        "\"ls_model_name\":\"dup\",",
        "\"error\":\"dup\",",
    ];
    crate::load::mutate::mutate_text(t, rng, &dups)
}

#[test]
fn mutated_runs_are_read_the_same_or_left_to_serde() {
    let mut bases = vec![python_run()];
    bases.extend(corpus_runs().unwrap_or_default());
    bases.extend(generated_runs(200).into_iter().step_by(10));
    let mutations = crate::load::mutate::Mutations {
        object: some_object,
        field: mutate_field,
        text: mutate_text,
    };
    let (fast, total) =
        crate::load::mutate::count_fast_reads(&bases, (4000, 17), &mutations, agree);
    assert!(
        fast > total / 3 && fast < total,
        "{fast} of {total} mutations read fast"
    );
}
