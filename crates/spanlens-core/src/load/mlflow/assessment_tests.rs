//! The typed reading of assessments gives what the `Value` reading gives, on every shape
//! of the corpus (`to_json` files, `search_traces` records, file-store yaml), hand-written
//! shapes and seeded mutations of all of them; and it takes the ordinary shapes itself.

use super::{read, typed};
use crate::load::mlflow::tests::{Rng, corpus_documents};
use serde_json::{Value, json};

/// What the `Value` reading gives for `text`.
fn by_value(text: &str) -> String {
    let v = serde_json::from_str(text).unwrap_or(Value::Null);
    format!("{:?}", crate::load::mlflow::assessment(&v))
}

/// Checks the readings agree on `text` (serde's fields, the fast reader's walk, the
/// `Value`); `true` when the typed one read it itself.
fn agree(text: &str) -> bool {
    assert_eq!(format!("{:?}", read(text)), by_value(text), "{text}");
    if let Some((_, walked)) = crate::load::mlflow::fast_walk::walked_assessment(text) {
        assert_eq!(format!("{walked:?}"), by_value(text), "walked: {text}");
    }
    match typed(text) {
        Some(a) => {
            assert_eq!(format!("{a:?}"), by_value(text), "{text}");
            true
        }
        None => false,
    }
}

/// Every assessment of the corpus: `info.assessments` of the `to_json` documents and
/// `search_traces` records, and the file-store trace directory's yaml files.
fn corpus_assessments() -> Option<Vec<Value>> {
    let mut all = Vec::new();
    for d in corpus_documents()? {
        let doc: Value = serde_json::from_str(&d).ok()?;
        if let Some(list) = doc["info"]["assessments"].as_array() {
            all.extend(list.iter().cloned());
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/generated/mlflow-v3/filestore-trace-dir/assessments");
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let text = std::fs::read_to_string(e.path()).ok()?;
        all.push(serde_yaml_ng::from_str(&text).ok()?);
    }
    Some(all)
}

fn hand_written() -> Vec<Value> {
    let base = json!({"assessment_id": "a-1", "assessment_name": "helpful",
        "trace_id": "tr-5b8efff798038103d269b633813fc60c", "span_id": "eee19b7ec3c1b174",
        "source": {"source_type": "HUMAN", "source_id": "me"},
        "create_time": "2026-11-28T20:07:19.534Z", "last_update_time": "2026-11-28T20:07:20Z",
        "feedback": {"value": true}, "rationale": "caf\u{e9} \"q\"", "valid": true,
        "metadata": {"k": "v"}});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let without = |ks: &[&str]| {
        let mut b = base.clone();
        for k in ks {
            b.as_object_mut().unwrap().remove(*k);
        }
        b
    };
    vec![
        base.clone(),
        with(
            "feedback",
            json!({"value": {"score": 3, "tags": ["a", null, 1.5e300]}}),
        ),
        with(
            "feedback",
            json!({"value": null, "error": {"error_code": "TIMEOUT",
            "error_message": "took too long", "stack_trace": "..."}}),
        ),
        with("feedback", json!({"error": null})),
        with("feedback", json!({"error": {}})),
        with(
            "feedback",
            json!({"error": {"error_code": 7, "error_message": ["x"]}}),
        ),
        with("feedback", json!({"error": "boom"})),
        with("feedback", Value::Null),
        with("feedback", json!("string body")),
        with("feedback", json!([1, 2, 3])),
        with("feedback", json!({})),
        with(
            "feedback",
            json!({"value": (-12345678901234567890i128).to_string()}),
        ),
        with("feedback", json!({"value": 18446744073709551615u64})),
        with(
            "feedback",
            json!({"value": 1, "serialized_value": {"serialization_format":
            "JSON_FORMAT", "value": "{\"a\": [1, 2]}"}}),
        ),
        with(
            "feedback",
            json!({"serialized_value": {"value": "not json"}}),
        ),
        with("feedback", json!({"serialized_value": {"value": 5}})),
        with("feedback", json!({"serialized_value": null})),
        with("feedback", json!({"serialized_value": [{"value": "1"}]})),
        without(&["feedback"]),
        {
            let mut b = without(&["feedback"]);
            b["expectation"] = json!({"serialized_value": {"serialization_format":
                "JSON_FORMAT", "value": "[\"x\", {\"y\": null}]"}});
            b
        },
        {
            let mut b = without(&["feedback"]);
            b["issue"] = json!({"value": "bad"});
            b["expectation"] = json!({"value": "Rainy"});
            b
        },
        with("expectation", json!({"value": "also"})),
        with("source", Value::Null),
        with("source", json!({"source_type": "CODE"})),
        with("source", json!({"source_type": 1, "source_id": {"x": 1}})),
        with("source", json!(["HUMAN", "me"])),
        with("source", json!("HUMAN")),
        with("trace_id", Value::Null),
        with("trace_id", json!(12)),
        with("trace_id", json!("W47/95gDgQPSabYzgT/GDA==")),
        with("span_id", json!("0x00010203040506ff")),
        with("span_id", json!(["a"])),
        with("assessment_name", json!(false)),
        with("assessment_id", Value::Null),
        with("rationale", json!({"why": "nested"})),
        with("last_update_time", Value::Null),
        with("last_update_time", json!(1700000000)),
        with("last_update_time", json!("not a time")),
        with("create_time", json!("2026-01-01T00:00:00+02:00")),
        without(&[
            "last_update_time",
            "create_time",
            "source",
            "span_id",
            "rationale",
        ]),
        without(&["trace_id", "assessment_name", "assessment_id"]),
        json!({}),
        json!({"feedback": {"value": 1}}),
        json!([base.clone()]),
        json!("an assessment"),
        json!(3),
        Value::Null,
    ]
}

#[test]
fn hand_written_shapes_read_the_same() {
    let shapes = hand_written();
    let typed_reads = shapes.iter().filter(|a| agree(&a.to_string())).count();
    assert!(
        typed_reads * 4 >= shapes.len() * 3,
        "{typed_reads} of {}",
        shapes.len()
    );
}

#[test]
fn texts_serde_cannot_type_read_the_same() {
    let cases = [
        // Duplicate keys: the `Value` reading keeps the last.
        r#"{"assessment_name": "a", "assessment_name": "b", "feedback": {"value": 1}}"#,
        r#"{"feedback": {"value": 1, "value": 2}}"#,
        r#"{"feedback": {"value": 1}, "source": {"source_id": "x", "source_id": "y"}}"#,
        r#"{"feedback": {"error": {"error_code": "A", "error_code": "B"}}}"#,
        r#"{"feedback": {"value": 1}, "feedback": {"value": 2}}"#,
        r#"{"feedback": {"serialized_value": {"value": "1", "value": "2"}}}"#,
        // Escaped keys and values, whitespace everywhere.
        r#" { "assessment\u005fname" : "n\u00e9" , "feedback" : { "value" : [ 1 , 2 ] } } "#,
        r#"{"tr\u0061ce_id": "tr-\u0035b8e", "feedback": {"v\u0061lue": "\ud83d\ude00"}}"#,
        // Unknown keys duplicated are ignored both ways.
        r#"{"valid": true, "valid": false, "feedback": {"value": 1}}"#,
        // Deep values.
        &format!(
            r#"{{"feedback": {{"value": {}1{}}}}}"#,
            "[".repeat(120),
            "]".repeat(120)
        ),
        &format!(
            r#"{{"feedback": {{"value": {}1{}}}}}"#,
            "[".repeat(140),
            "]".repeat(140)
        ),
        &format!(
            r#"{{"feedback": {{"value": {}1{}}}}}"#,
            "[".repeat(90),
            "]".repeat(90)
        ),
        r#"{"rationale": "{{{{{{{{{{{{{{{{{{{{", "feedback": {"value": 1}}"#,
    ];
    for c in cases {
        agree(c);
    }
    // The ordinary escaped shape is still read typed.
    assert!(typed(cases[6]).is_some());
    assert!(typed(cases[0]).is_none());
    // The walk reads the fields unless a top-level key comes twice.
    let walked = |t: &str| crate::load::mlflow::fast_walk::walked_assessment(t).map(|w| w.0);
    assert_eq!(walked(cases[0]), Some(false));
    assert_eq!(walked(cases[4]), Some(false));
    assert_eq!(walked(cases[1]), Some(true));
    assert_eq!(walked(cases[8]), Some(true));
}

#[test]
fn corpus_assessments_read_typed_and_the_same() {
    let Some(all) = corpus_assessments() else {
        return;
    };
    assert!(all.len() >= 8, "only {} corpus assessments", all.len());
    for a in &all {
        assert!(agree(&a.to_string()), "not read typed: {a}");
        assert!(agree(&serde_json::to_string_pretty(a).unwrap()), "{a}");
        let walked = crate::load::mlflow::fast_walk::walked_assessment(&a.to_string());
        assert!(matches!(walked, Some((true, _))), "not walked: {a}");
    }
}

/// One seeded change somewhere in `v` (at any depth): a field nulled, removed, turned
/// into another type, or a nested body swapped for another shape.
fn mutate(v: &mut Value, rng: &mut Rng) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    let keys: Vec<String> = obj.keys().cloned().collect();
    if keys.is_empty() || rng.below(8) == 0 {
        let k = [
            "feedback",
            "expectation",
            "issue",
            "error",
            "value",
            "source",
            "serialized_value",
            "source_id",
            "trace_id",
        ][rng.below(9)];
        obj.insert(k.to_owned(), json!({"value": "{\"z\": 1}"}));
        return;
    }
    let k = &keys[rng.below(keys.len())];
    let slot = obj.get_mut(k).unwrap();
    if slot.is_object() && rng.below(2) == 0 {
        return mutate(slot, rng);
    }
    *slot = match rng.below(9) {
        0 => Value::Null,
        1 => {
            obj.remove(k);
            return;
        }
        2 => json!(42),
        3 => json!("2026-11-28T20:07:19Z"),
        4 => json!(["x", 1]),
        5 => json!({}),
        6 => json!(true),
        7 => json!({"error_code": "E", "error_message": "m", "source_type": "S"}),
        _ => json!("{\"a\": [1, null]}"),
    };
}

/// Key letters written as `\u` escapes, or a key written twice.
fn mutate_text(t: &str, rng: &mut Rng) -> String {
    let keys = [
        "\"value\"",
        "\"feedback\"",
        "\"source_id\"",
        "\"trace_id\"",
        "\"error\"",
    ];
    let k = keys[rng.below(keys.len())];
    match rng.below(3) {
        0 => t.replacen(k, &k.replacen('e', "\\u0065", 1), 1),
        1 => t.replacen(&format!("{k}:"), &format!("{k}:null,{k}:"), 1),
        _ => t.to_owned(),
    }
}

#[test]
fn mutated_assessments_read_the_same() {
    let mut seeds = hand_written();
    seeds.extend(corpus_assessments().unwrap_or_default());
    let mut rng = Rng(29);
    let mut typed_reads = 0;
    for i in 0..4000 {
        let mut v = seeds[i % seeds.len()].clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut v, &mut rng);
        }
        let text = mutate_text(&v.to_string(), &mut rng);
        typed_reads += usize::from(agree(&text));
    }
    assert!(typed_reads > 2000, "only {typed_reads} read typed");
}
