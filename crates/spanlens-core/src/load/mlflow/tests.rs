//! The two readers of MLflow `Trace.to_json()` documents agree: wherever the fast one
//! reads a document it gives the very batch (spans, attributes, ids, times, status, tokens,
//! trace records, assessments, diagnostics) the serde reader gives, and where it gives up
//! it adds nothing. Checked on hand-written shapes, the corpus, generated files and seeded
//! mutations of all of them.

use super::{fast_walk, load_text_serde};
use crate::load::Sink;
use crate::load::json::Ctx;
pub(super) use crate::load::mutate::Rng;
use serde_json::{Value, json};

/// Reads `text` with both readers. `true`: the fast reader read it and agreed; `false`:
/// it gave up; panics when they disagree.
fn agree(text: &str) -> bool {
    let ctx = Ctx::new(text.as_bytes(), 0, 0, "t.jsonl");
    let mut fast = Sink::default();
    let read = fast_walk::load_document(&mut fast, &ctx, text, 0);
    let mut slow = Sink::default();
    let took = load_text_serde(&mut slow, &ctx, text, 0);
    match read {
        Ok(()) => {
            decode_kept(&mut fast.batch, text);
            assert!(
                took,
                "fast read what the serde reader does not take: {text}"
            );
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
            assert_eq!(
                format!("{:?}", fast.batch),
                untouched,
                "gave up but kept: {text}"
            );
            false
        }
    }
}

/// Decodes the assessments the fast reader kept as text (as the trace set would when they
/// are read), checking that the ids it linked them by are those the decoding gives.
pub(super) fn decode_kept(batch: &mut crate::model::Batch, text: &str) {
    let at = |r: crate::model::TextRef| &text.as_bytes()[r.off as usize..][..r.len as usize];
    for s in &mut batch.assessments {
        let a = s.read_with(|r| Ok(at(r).into())).clone();
        assert_eq!(s.trace_id(), a.trace_id, "{text}");
        assert_eq!(s.span_id(), a.span_id.as_deref(), "{text}");
        *s = a.into();
    }
}

/// A span dict of MLflow 3 (`v3`) or MLflow 2, with JSON-in-string attributes.
fn span(v3: bool, id: &str, parent: Value) -> Value {
    let attrs = json!({
        "mlflow.traceRequestId": "\"tr-5b8efff798038103d269b633813fc60c\"",
        "mlflow.spanType": "\"CHAT_MODEL\"",
        "mlflow.spanInputs": "{\"messages\": [{\"role\": \"user\", \"content\": \"caf\\u00e9 \\\"q\\\"\"}]}",
        "mlflow.spanOutputs": "{\"id\": \"c1\", \"usage\": {\"prompt_tokens\": 12, \"completion_tokens\": 3, \"total_tokens\": 15}}",
        "mlflow.llm.model": "\"gpt-4o\"",
    });
    if v3 {
        json!({"trace_id": "W47/95gDgQPSabYzgT/GDA==", "span_id": id, "parent_span_id": parent,
            "name": "chat", "start_time_unix_nano": 1700000000000000000u64,
            "end_time_unix_nano": "1700000001000000000", "events": [],
            "status": {"code": "STATUS_CODE_OK", "message": ""}, "attributes": attrs, "links": []})
    } else {
        json!({"name": "chat", "context": {"span_id": id, "trace_id": "0x5b8efff798038103d269b633813fc60c"},
            "parent_id": parent, "start_time": 1700000000000000000u64, "end_time": 1700000001000000000u64,
            "status_code": "ERROR", "status_message": "boom", "attributes": attrs,
            "events": [{"name": "exception", "timestamp": 1}]})
    }
}

fn trace(v3: bool) -> Value {
    let info = if v3 {
        json!({"trace_id": "tr-5b8efff798038103d269b633813fc60c", "state": "OK",
            "assessments": [{"assessment_id": "a-1", "assessment_name": "helpful",
                "trace_id": "tr-5b8efff798038103d269b633813fc60c", "span_id": "eee19b7ec3c1b174",
                "source": {"source_type": "HUMAN", "source_id": "me"},
                "feedback": {"value": true}, "create_time": "2026-11-28T20:07:19.534Z"}]})
    } else {
        json!({"request_id": "5b8efff798038103d269b633813fc60c", "status": "ERROR", "assessments": []})
    };
    let (root, child) = if v3 {
        ("7uGbfsPBsXQ=", "AAECAwQFBgc=")
    } else {
        ("0xeee19b7ec3c1b174", "0001020304050607")
    };
    json!({"info": info, "data": {"spans": [span(v3, root, Value::Null), span(v3, child, json!(root))]}})
}

#[test]
fn common_shapes_are_read_fast_and_the_same() {
    for v3 in [true, false] {
        let t = trace(v3);
        assert!(agree(&t.to_string()), "{t}");
        assert!(agree(&serde_json::to_string_pretty(&t).unwrap()));
    }
    let shapes = [
        // Unknown keys everywhere, nulls where the serde reader takes them.
        r#"{"x": [1, {"y": null}], "info": null, "data": {"z": 1, "spans": []}}"#,
        r#"{"data": {"spans": [{"name": "no start", "attributes": null}]}}"#,
        r#"{"info": {"trace_id": null, "request_id": "r1", "assessments": null}, "data": {"spans": [{}]}}"#,
        // A null `attributes` first: the next one counts, as serde's `SpanDict` reads it.
        r#"{"data": {"spans": [{"attributes": null, "start_time": 5, "attributes": {"k": "\"v\""}, "attributes": {"no": 1}}]}}"#,
        // Status as a non-object, context as null, fields twice (the first counts).
        r#"{"data": {"spans": [{"status": "OK", "status_code": "ERROR", "context": null, "span_id": "01", "span_id": "02", "name": 5}]}}"#,
        r#"{"data": {"spans": [{"status": {"status_code": "ERROR", "description": "d"}, "context": {"span_id": "AAECAwQFBgc=", "span_id": "x"}}]}}"#,
        r#"{"data": {"spans": [{"parent_span_id": null, "parent_id": "0x01", "end_time_unix_nano": null, "end_time": 9}]}}"#,
        // Escapes and non-ASCII in values (never decoded at load, but kept exactly).
        r#"{"info": {"trace_id": "tr-\u0035b8efff798038103d269b633813fc60c"}, "data": {"spans": [{"name": "caf\u00e9 ☔ \"x\"", "start_time_unix_nano": "17", "attributes": {"k": "\"\\u2614\""}}]}}"#,
        "{\"info\": {}, \"data\": {\"spans\": [{\"name\": \"名前\", \"start_time\": -1}]}}",
    ];
    for s in shapes {
        assert!(agree(s), "the fast reader gave up on a shape it reads: {s}");
    }
}

#[test]
fn unusual_shapes_are_left_to_serde() {
    let cases = [
        // Escaped keys: serde decodes them.
        r#"{"data": {"spans": [{"n\u0061me": "x"}]}}"#,
        r#"{"data": {"spans": [{"attributes": {"k\u00e9": "1"}}]}}"#,
        r#"{"d\u0061ta": {"spans": []}}"#,
        // Wrong types, duplicates and orders the serde reader takes another way.
        r#"{"data": {"spans": [{"attributes": "x"}]}}"#,
        r#"{"data": {"spans": [{"attributes": [1]}]}}"#,
        r#"{"data": {"spans": null}}"#,
        r#"{"data": {"spans": {}}}"#,
        r#"{"data": [[]]}"#,
        r#"{"data": {"spans": [], "spans": []}}"#,
        r#"{"info": {}, "info": {}, "data": {"spans": []}}"#,
        r#"{"data": {"spans": []}, "info": {"trace_id": "t"}}"#,
        r#"{"info": "x", "data": {"spans": []}}"#,
        r#"{"info": {}, "data": null}"#,
        r#"{"info": {}}"#,
        r#"{"other": 1}"#,
        r#"[]"#,
        // Not JSON.
        r#"{"data": {"spans": [{"name": "cut"#,
        r#"{"data": {"spans": []}} trailing"#,
        r#"{"data": {"spans": [{"start_time": 01}]}}"#,
        "{\"data\": {\"spans\": [{\"name\": \"tab\tinside\"}]}}",
    ];
    for c in cases {
        assert!(
            !agree(c),
            "read fast, but should have been left to serde: {c}"
        );
    }
}

#[test]
fn generated_files_read_fast_and_the_same() {
    let opts = spanlens_synth::GenOptions {
        spans: 3000,
        format: spanlens_synth::GenFormat::Mlflow,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    spanlens_synth::generate(&opts, &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let fast = lines.iter().filter(|l| agree(l)).count();
    assert!(
        fast * 10 >= lines.len() * 9,
        "{fast} of {} read fast",
        lines.len()
    );
}

/// The corpus's MLflow `Trace.to_json()` documents: the files themselves, and the `trace`
/// column of the `search_traces` records. `None` (and a note) without the corpus.
pub(super) fn corpus_documents() -> Option<Vec<String>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !dir.is_dir() {
        eprintln!("SKIPPED (corpus absent): {}", dir.display());
        return None;
    }
    let mut docs = Vec::new();
    for version in ["mlflow-v2", "mlflow-v3"] {
        for e in std::fs::read_dir(dir.join("generated").join(version))
            .ok()?
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(text) = std::fs::read_to_string(e.path()) else {
                continue;
            };
            if name.ends_with(".to_json.json") {
                docs.push(text);
            } else if name.ends_with(".records.json") {
                let rows: Vec<Value> = serde_json::from_str(&text).ok()?;
                let traces = rows.iter().filter_map(|r| r["trace"].as_str());
                docs.extend(traces.map(str::to_owned));
            }
        }
    }
    Some(docs)
}

#[test]
fn corpus_documents_read_fast_and_the_same() {
    let Some(docs) = corpus_documents() else {
        return;
    };
    for d in &docs {
        assert!(agree(d), "a corpus document was left to serde: {d}");
        // As a JSON Lines line, the way scaled exports hold it.
        let line = serde_json::to_string(&serde_json::from_str::<Value>(d).unwrap()).unwrap();
        assert!(agree(&line), "{line}");
    }
    assert!(docs.len() >= 6, "only {} corpus documents", docs.len());
}

/// The five ways exports spell an id that is bytes, and a trace id's `tr-` form.
fn spellings(hex: &str) -> Vec<String> {
    use base64::Engine;
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect();
    vec![
        hex.to_owned(),
        hex.to_uppercase(),
        format!("0x{hex}"),
        base64::engine::general_purpose::STANDARD.encode(&bytes),
        format!("tr-{hex}"),
    ]
}

/// One random field change (see `load::mutate`); the special values are the ids of the
/// test records in every spelling exports use.
fn mutate_field(obj: &mut serde_json::Map<String, Value>, rng: &mut Rng) {
    let special: Vec<Value> = ["eee19b7ec3c1b174", "5b8efff798038103d269b633813fc60c"]
        .iter()
        .flat_map(|hex| spellings(hex))
        .map(Value::String)
        .collect();
    crate::load::mutate::mutate_field(obj, rng, &special);
}

/// A span dict, its `status`, its `context` or its `attributes`, or the trace's `info`.
fn some_object<'v>(
    doc: &'v mut Value,
    rng: &mut Rng,
) -> Option<&'v mut serde_json::Map<String, Value>> {
    let n = doc["data"]["spans"].as_array().map_or(0, Vec::len);
    if n == 0 || rng.below(5) == 0 {
        return doc.get_mut("info")?.as_object_mut();
    }
    let span = doc["data"]["spans"].get_mut(rng.below(n))?;
    let inner = ["status", "context", "attributes"][rng.below(3)];
    if rng.below(2) == 0 && span.get(inner).is_some_and(Value::is_object) {
        return span.get_mut(inner)?.as_object_mut();
    }
    span.as_object_mut()
}

/// One random change to the text (see `load::mutate`), with these fields to write twice.
fn mutate_text(t: &str, rng: &mut Rng) -> String {
    let dups = [
        "\"name\":\"dup\",",
        "\"start_time\":1,",
        "\"attributes\":null,",
        "\"spans\":[],",
    ];
    crate::load::mutate::mutate_text(t, rng, &dups)
}

#[test]
fn mutated_documents_are_read_the_same_or_left_to_serde() {
    let mut bases: Vec<Value> = vec![trace(true), trace(false)];
    if let Some(docs) = corpus_documents() {
        bases.extend(docs.iter().filter_map(|d| serde_json::from_str(d).ok()));
    }
    let mutations = crate::load::mutate::Mutations {
        object: some_object,
        field: mutate_field,
        text: mutate_text,
    };
    let (fast, total) =
        crate::load::mutate::count_fast_reads(&bases, (3000, 17), &mutations, agree);
    assert!(
        fast > total / 3 && fast < total,
        "{fast} of {total} mutations read fast"
    );
}

/// A `search_traces` row's `trace` found over the token index is the member
/// `RawObject::get` finds (the first of that key), or nothing where that reader gives up.
#[test]
fn a_row_trace_found_fast_is_the_one_raw_object_finds() {
    let rows = [
        r#"{"trace_id": "tr-1", "trace": "{\"info\": {}}", "state": "OK"}"#,
        r#"{"trace": "first", "trace": "second"}"#,
        r#"{ "trace" : "spaced" , "n": [1, {"trace": "inner"}] }"#,
        r#"{"trace": null, "x": 1}"#,
        r#"{"trace": {"info": {}}}"#,
        r#"{"spans": "[]", "trace_id": "tr-2"}"#,
        r#"{}"#,
    ];
    for row in rows {
        let fast = super::rows::row_trace(row);
        let raw: &serde_json::value::RawValue = serde_json::from_str(row).unwrap();
        let slow = crate::load::json::RawObject::parse(raw).and_then(|o| o.get("trace"));
        assert_eq!(fast, slow.map(|v| v.get()), "{row}");
    }
    // Left to `RawObject`: a key with an escape (serde decodes it to `trace`), not an object.
    for row in [r#"{"tr\u0061ce": "x"}"#, r#"["trace"]"#, r#"{"trace": "x""#] {
        assert_eq!(super::rows::row_trace(row), None, "{row}");
    }
}
