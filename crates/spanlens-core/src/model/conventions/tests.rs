//! Tests of the conventions: ranks, roles, and the paths that read OTLP values without
//! building serde values agree with those that do.

use super::raw::{Member, otlp_member, otlp_scalar_serde};
use super::*;

/// What `observe` reads from an OTLP value: its one member without serde_json where it
/// can, else serde_json.
fn otlp_scalar(raw: &[u8]) -> Option<Value> {
    (otlp_member(raw).and_then(Member::scalar)).or_else(|| otlp_scalar_serde(raw))
}

#[test]
fn string_roles_read_without_values_as_with_them() {
    let keys = [
        "openinference.span.kind",
        "gen_ai.operation.name",
        "gen_ai.request.model",
        "llm.model_name",
        "gen_ai.tool.name",
        "langfuse.observation.level",
        "gen_ai.usage.input_tokens",
    ];
    let values = ["LLM", "ai.toolCall", "gpt-4o", "", "error", "42", "Chat"];
    for k in keys {
        for v in values {
            for prior in [None, Some("claude")] {
                // The compact OTLP form takes the borrowed path; the same string as a
                // plain JSON value takes the `Value` path.
                let otlp = format!(r#"{{"stringValue":"{v}"}}"#);
                let json = format!(r#""{v}""#);
                let mut a = Semantics::default();
                let mut b = Semantics::default();
                if let Some(p) = prior {
                    let p = format!(r#""{p}""#);
                    observe(&mut a, k, &p, Enc::Json);
                    observe(&mut b, k, &p, Enc::Json);
                }
                observe(&mut a, k, &otlp, Enc::OtlpAny);
                observe(&mut b, k, &json, Enc::Json);
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{k} = {v:?}");
            }
        }
    }
}

#[test]
fn compact_otlp_scalars_read_as_serde_reads_them() {
    // (value text, read without serde_json)
    let cases: [(&[u8], bool); 15] = [
        (br#"{"stringValue":"gpt-4o"}"#, true),
        (br#"{"stringValue":""}"#, true),
        (br#"{"stringValue":"a\"b"}"#, false),
        (br#"{"stringValue":"x","intValue":"1"}"#, false),
        (br#"{"intValue":"x","stringValue":"1"}"#, false),
        (br#"{"intValue":"1234"}"#, true),
        (br#"{"intValue":"12x"}"#, true),
        (br#"{"intValue":7}"#, true),
        (br#"{"intValue":-7}"#, true),
        (br#"{ "stringValue": "spaced" }"#, true),
        (b"{\n  \"intValue\":\t\"42\"\r\n}", true),
        (br#"{"string\u0056alue":"escaped name"}"#, false),
        (br#"{"doubleValue": 0.2}"#, false),
        (br#"{}"#, false),
        ("{\"stringValue\":\"漢字 é\"}".as_bytes(), true),
    ];
    for (raw, fast) in cases {
        let text = std::str::from_utf8(raw).unwrap();
        let Ok(obj) = serde_json::from_str::<serde_json::Map<String, Value>>(text) else {
            panic!("{text}")
        };
        let want = obj.get("stringValue").cloned().or_else(|| {
            let i = obj.get("intValue")?;
            let t = i.as_str().map_or(i.to_string(), str::to_owned);
            Some(t.parse::<i64>().map_or(Value::String(t), Value::from))
        });
        let want = want.or_else(|| obj.get("doubleValue").cloned());
        assert_eq!(otlp_scalar(raw), want, "{text}");
        let compact = otlp_member(raw).and_then(Member::scalar);
        assert_eq!(compact.is_some(), fast, "read without serde_json: {text}");
        if fast {
            assert_eq!(compact, want, "{text}");
            let s = (otlp_member(raw).and_then(Member::plain_string))
                .map(|s| Value::String(s.to_owned()));
            let string = want.filter(|_| obj.contains_key("stringValue"));
            assert_eq!(s, string, "{text}");
        }
    }
}

fn observe(sem: &mut Semantics, key: &str, raw: &str, enc: Enc) {
    sem.observe(key, raw.as_bytes(), TextRef::new(0, 0, raw.len(), enc));
}

#[test]
fn ranks_pick_the_best_key_in_any_order() {
    let mut s = Semantics::default();
    observe(
        &mut s,
        "gen_ai.request.model",
        r#"{"stringValue":"gpt-4"}"#,
        Enc::OtlpAny,
    );
    observe(
        &mut s,
        "gen_ai.response.model",
        r#"{"stringValue":"gpt-4-0613"}"#,
        Enc::OtlpAny,
    );
    observe(
        &mut s,
        "gen_ai.usage.input_tokens",
        r#"{"intValue":"57"}"#,
        Enc::OtlpAny,
    );
    observe(
        &mut s,
        "gen_ai.operation.name",
        r#"{"stringValue":"chat"}"#,
        Enc::OtlpAny,
    );
    let r = s.resolve();
    assert_eq!(r.model.as_deref(), Some("gpt-4-0613"));
    assert_eq!(r.tokens.input(), Some(57));
    assert_eq!(r.kind, Some(SpanKind::Llm));
}

#[test]
fn mlflow_json_encoded_values() {
    let mut s = Semantics::default();
    observe(&mut s, "mlflow.spanType", r#""\"TOOL\"""#, Enc::JsonStrJson);
    observe(
        &mut s,
        "mlflow.chat.tokenUsage",
        r#""{\"input_tokens\": 10, \"output_tokens\": 3, \"total_tokens\": 13}""#,
        Enc::JsonStrJson,
    );
    let r = s.resolve();
    assert_eq!(r.kind, Some(SpanKind::Tool));
    assert_eq!(r.tokens.total(), Some(13));
}

#[test]
fn langfuse_level_error_and_python_repr_usage() {
    let mut s = Semantics::default();
    observe(
        &mut s,
        "langfuse.observation.level",
        r#"{"stringValue":"ERROR"}"#,
        Enc::OtlpAny,
    );
    s.observe_decoded(
        "langfuse.observation.usage_details",
        &Value::String("{'input': 39, 'output': 6, 'total': 45}".into()),
    );
    let r = s.resolve();
    assert_eq!(r.status, Some(Status::Error));
    assert_eq!(r.tokens.total(), Some(45));
}

/// JSON-in-string attribute values (MLflow's encoding), and a few that are not.
const JSON_IN_STRING: [&str; 48] = [
    r#""\"AGENT\"""#,
    r#""\"CHAT_MODEL\"""#,
    r#""\"gpt-4o\"""#,
    r#""\"\"""#,
    r#""\"""#,
    r#""\"error\"""#,
    r#""\" ERROR \"""#,
    r#""\"caf\u00e9\"""#,
    r#""\"a\\\"b\"""#,
    r#""\"x\" ""#,
    r#""\"{\"""#,
    r#""AGENT""#,
    r#""gpt-4o-mini""#,
    r#""""#,
    r#""20""#,
    r#""1.5""#,
    r#"" {\"a\": 1}""#,
    r#""{\"input_tokens\": 3, \"output_tokens\": 4}""#,
    r#""[1, 2]""#,
    r#""{oops""#,
    r#""[oops""#,
    r#"" [""#,
    r#""tab\tin""#,
    r#""true""#,
    r#""null""#,
    "\"ca\u{e9}f\u{e9}\"",
    "\"\\\"\u{1F600}\\\"\"",
    r#"20"#,
    r#"null"#,
    r#"{"a": 1}"#,
    r#"["\"LLM\""]"#,
    r#""unterminated"#,
    // Usage and cost objects (read through typed fields when serde can type them).
    r#""{\"input_tokens\": 57, \"output_tokens\": 17, \"total_tokens\": 74, \"cache_read_input_tokens\": 0}""#,
    r#""{\"input_cost\": 8.55e-06, \"output_cost\": 1.02e-05, \"total_cost\": 1.8e-05}""#,
    r#""{\"input_tokens\": 1, \"input_tokens\": 2}""#,
    r#""{\"total_cost\": 1, \"total_cost\": 2}""#,
    r#""{\"input_tokens\": \"12\", \"output\": 3.0, \"total\": -1}""#,
    r#""{\"input_tokens\": null, \"input\": 5, \"completion_tokens\": 2}""#,
    r#""{\"prompt_tokens\": 4294967296, \"completion_tokens\": 1.5, \"total\": 1e2}""#,
    r#""{\"input\u005ftokens\": 9, \"total\u005fcost\": 0.25}""#,
    r#""{'input': 39, 'output': 6, 'total': 45}""#,
    r#""\"{\\\"input_tokens\\\": 3}\"""#,
    r#""{\"total\": 10, \"total_cost\": 0.5}""#,
    r#""{\"total\": \"1e3\", \"total_cost\": \"NaN\"}""#,
    r#""{\"input_tokens\": 3} trailing""#,
    r#""{\"input_tokens\": [1], \"input\": {\"a\": 1}, \"prompt_tokens\": 7}""#,
    r#""  {\"output_tokens\": 4}  ""#,
    r#"{"input_tokens": 3, "total_cost": 1}"#,
];

/// MLflow's JSON-in-string attribute values read by `json_str_json_compact` give what
/// decoding them into a `Value` first gives, for every role.
#[test]
fn json_in_string_roles_read_without_values_as_with_them() {
    let raws = JSON_IN_STRING;
    let roles = [
        Role::Kind(0),
        Role::Model(1),
        Role::Tool,
        Role::Level,
        Role::InTokens(0),
        Role::OutTokens(0),
        Role::TotalTokens(0),
        Role::Cost(0),
        Role::UsageObject,
        Role::CostObject,
    ];
    let mut fast_reads = 0;
    for raw in raws {
        let text = TextRef::new(0, 0, raw.len(), Enc::JsonStrJson);
        fast_reads += usize::from(json_str_json_compact(raw.as_bytes()).is_some());
        for role in roles {
            // Twice, so an earlier value's rank is in play.
            let mut fast = Semantics::default();
            let mut slow = Semantics::default();
            for _ in 0..2 {
                fast.observe_role(Some(role), raw.as_bytes(), text);
                let v = decode_value(raw.as_bytes(), Enc::JsonStrJson);
                slow.observe_value(role, &v);
            }
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{role:?} {raw}");
            slow.error_level = true;
            fast.error_level = true;
            fast.observe_role(Some(role), raw.as_bytes(), text);
            let v = decode_value(raw.as_bytes(), Enc::JsonStrJson);
            slow.observe_value(role, &v);
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{role:?} {raw}");
        }
    }
    assert!(fast_reads >= 12, "{fast_reads}");
    // The typed reading of usage and cost objects is taken, so the comparison above
    // covers it (and it gives up on the shapes it cannot promise).
    let typed = |raw: &str, cost| Semantics::default().observe_object_text(raw.as_bytes(), cost);
    let objects: Vec<_> = raws.iter().filter(|r| typed(r, false)).collect();
    assert_eq!(objects.len(), 12, "{objects:?}");
    assert!(typed(raws[33], true) && !typed(raws[35], true));
    assert!(!typed(raws[34], false) && !typed(raws[41], false) && !typed(raws[40], false));
}

/// The same texts as OTLP string values (Langfuse writes its usage and cost details so),
/// compact and spaced: the typed reading of usage and cost objects gives what decoding
/// the value into a `Value` gives, for every role.
#[test]
fn otlp_string_values_read_without_values_as_with_them() {
    let roles = [
        Role::Model(1),
        Role::InTokens(0),
        Role::UsageObject,
        Role::CostObject,
    ];
    let mut typed = 0;
    // Valid JSON strings only, as values cut from a parsed document are.
    let strings = JSON_IN_STRING
        .iter()
        .filter(|r| serde_json::from_str::<String>(r).is_ok());
    for raw in strings {
        for otlp in [
            format!(r#"{{"stringValue":{raw}}}"#),
            format!("{{ \"stringValue\": {raw} }}"),
        ] {
            let text = TextRef::new(0, 0, otlp.len(), Enc::OtlpAny);
            for role in roles {
                let mut fast = Semantics::default();
                let mut slow = Semantics::default();
                for _ in 0..2 {
                    fast.observe_role(Some(role), otlp.as_bytes(), text);
                    let v = otlp_scalar(otlp.as_bytes()).expect("a string value");
                    slow.observe_value(role, &v);
                }
                // Only what was read is compared, not how many values took serde_json.
                fast.slow_otlp_values = 0;
                assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{role:?} {otlp}");
            }
            let literal = (otlp_member(otlp.as_bytes()).and_then(Member::string_literal))
                .expect("a string literal");
            typed += usize::from(Semantics::default().observe_object_text(literal, false));
        }
    }
    // The twelve objects the MLflow test reads so, in both layouts.
    assert_eq!(
        typed,
        2 * 12,
        "objects read through typed fields, both layouts"
    );
}

/// A usage object as written (MLflow 2's provider responses) read through typed fields
/// gives what reading the decoded object gives, or defers to it.
#[test]
fn usage_text_reads_as_the_decoded_object_or_defers() {
    let texts = [
        r#"{"completion_tokens": 17, "prompt_tokens": 57, "total_tokens": 74, "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": null}}"#,
        r#"{"input_tokens": "12", "output": 3.0, "total": -1}"#,
        r#"{"input_tokens": null, "input": 5, "completion_tokens": 2}"#,
        r#"{"prompt_tokens": 4294967296, "completion_tokens": 1.5, "total": 1e2}"#,
        r#"{"input\u005ftokens": 9}"#,
        r#"{"input_tokens": [1], "input": {"a": 1}, "prompt_tokens": 7}"#,
        r#"{}"#,
        // Deferred: a key twice.
        r#"{"input_tokens": 1, "input_tokens": 2}"#,
    ];
    let mut typed = 0;
    for text in texts {
        let mut fast = Semantics::default();
        let mut slow = Semantics::default();
        slow.usage_from_object(&serde_json::from_str(text).unwrap());
        if fast.observe_usage_text(text) {
            typed += 1;
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{text}");
        }
    }
    assert_eq!(typed, texts.len() - 1);
}
