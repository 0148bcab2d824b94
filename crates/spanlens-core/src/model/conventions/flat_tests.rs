//! The flat reading of usage and cost objects: which texts it reads, and that what it
//! reads is what decoding the value into a `Value` gives.

use super::super::raw::otlp_member;
use super::super::{Enc, Role, Semantics, TextRef, decode_value};
use super::members;

/// Keys `members` refuses twice, for the tests (any will do).
fn known(key: &[u8]) -> bool {
    key == b"input_tokens" || key == b"total_cost"
}

#[test]
fn reads_flat_objects_of_numbers_as_written() {
    let read = [
        r#""{\"input_tokens\": 57, \"output_tokens\": 17, \"total_tokens\": 74, \"cache_read_input_tokens\": 0}""#,
        r#""{\"input_cost\": 8.55e-06, \"output_cost\": 1.0199999999999999e-05, \"total_cost\": 1.875e-05}""#,
        r#""{\"input_tokens\":1,\"output\":null}""#,
        r#""  { \"a\" : -0.5E+3 , \"\" : 0 }  ""#,
        r#""{}""#,
        "\"{\\\"caf\u{e9}\\\": 1}\"",
        r#""{\"x\": 1, \"x\": 2}""#,
    ];
    for raw in read {
        assert!(members(raw.as_bytes(), known).is_some(), "{raw}");
    }
    let m = members(read[0].as_bytes(), known).expect("read");
    assert_eq!(m.get(b"output_tokens"), Some(&b"17"[..]));
    assert_eq!(m.get(b"cache_read_input_tokens"), Some(&b"0"[..]));
    assert_eq!(m.get(b"input"), None);
    let m = members(read[3].as_bytes(), known).expect("read");
    assert_eq!(
        (m.get(b"a"), m.get(b"")),
        (Some(&b"-0.5E+3"[..]), Some(&b"0"[..]))
    );
    let refused = [
        // Escapes other than the quotes', and a key with an escaped quote in it.
        r#""{\"input\u005ftokens\": 9}""#,
        r#""{\"caf\u00e9\": 1}""#,
        r#""{\"in\\\"put\": 9}""#,
        r#""{\"input_tokens\":\t9}""#,
        r#""{\n\"input_tokens\": 9}""#,
        // Values of other types, or not JSON numbers.
        r#""{\"input_tokens\": \"12\"}""#,
        r#""{\"input_tokens\": true}""#,
        r#""{\"input_tokens\": {\"a\": 1}}""#,
        r#""{\"input_tokens\": [1]}""#,
        r#""{\"input_tokens\": 01}""#,
        r#""{\"input_tokens\": 1.}""#,
        r#""{\"input_tokens\": -}""#,
        r#""{\"input_tokens\": nullx}""#,
        r#""{\"input_tokens\": }""#,
        // Out of f64's range, or maybe (serde_json refuses the first two).
        r#""{\"input_tokens\": 1e400}""#,
        r#""{\"total_cost\": -18e308}""#,
        r#""{\"total_cost\": 0.01e302}""#,
        // A known key twice (serde's typed reading refuses it; a map keeps the last).
        r#""{\"input_tokens\": 1, \"input_tokens\": 2}""#,
        r#""{\"total_cost\": null, \"total_cost\": 2}""#,
        // Not one whole object.
        r#""{\"input_tokens\": 3} trailing""#,
        r#""{\"input_tokens\": 3""#,
        r#""{\"input_tokens\": 3,}""#,
        r#""{,}""#,
        r#""[1]""#,
        r#""""#,
        r#""{'input': 39}""#,
        r#"{"input_tokens": 3}"#,
        r#""{\"input_tokens\" 3}""#,
        // More than eight members.
        r#""{\"a\": 1, \"b\": 1, \"c\": 1, \"d\": 1, \"e\": 1, \"f\": 1, \"g\": 1, \"h\": 1, \"i\": 1}""#,
    ];
    for raw in refused {
        assert!(members(raw.as_bytes(), known).is_none(), "{raw}");
    }
}

/// Picks one of `from` (the tests' seeded generator).
fn pick<'a>(rng: &mut crate::load::mutate::Rng, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len())]
}

/// Random usage and cost objects inside JSON strings, as MLflow attributes and as OTLP
/// string values: the flat reading (taken for most of them) gives what decoding them
/// into a `Value` gives, for both roles.
#[test]
fn flat_reading_gives_what_values_give() {
    let keys: Vec<&str> = (super::super::objects::known_keys())
        .chain(["input_cost", "x"])
        .collect();
    let values = [
        "57",
        "0",
        "999999999",
        "4294967295",
        "4294967296",
        "99999999999999999999",
        "-1",
        "1.5",
        "3.0",
        "1e2",
        "1E-2",
        "-0",
        "0.1",
        "1e400",
        "8.55e-06",
        "null",
        "\\\"12\\\"",
        "true",
        "[1]",
        "01",
    ];
    let spaces = ["", " ", "  "];
    let mut rng = crate::load::mutate::Rng(17);
    let (mut flat, mut total) = (0, 0);
    for _ in 0..4000 {
        let n = rng.below(6);
        let sp = pick(&mut rng, &spaces);
        let body: Vec<String> = (0..n)
            .map(|_| {
                let (k, v) = (pick(&mut rng, &keys), pick(&mut rng, &values));
                format!("\\\"{k}\\\"{sp}:{sp}{v}")
            })
            .collect();
        let raw = format!("\"{sp}{{{sp}{}{sp}}}{sp}\"", body.join(&format!(",{sp}")));
        flat += usize::from(members(raw.as_bytes(), known).is_some());
        total += 1;
        let otlp = format!("{{\"stringValue\":{raw}}}");
        for role in [Role::UsageObject, Role::CostObject] {
            let mut fast = Semantics::default();
            let text = TextRef::new(0, 0, raw.len(), Enc::JsonStrJson);
            fast.observe_role(Some(role), raw.as_bytes(), text);
            let mut slow = Semantics::default();
            slow.observe_value(role, &decode_value(raw.as_bytes(), Enc::JsonStrJson));
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{role:?} {raw}");
            let mut fast = Semantics::default();
            let text = TextRef::new(0, 0, otlp.len(), Enc::OtlpAny);
            fast.observe_role(Some(role), otlp.as_bytes(), text);
            fast.slow_otlp_values = 0;
            assert!(otlp_member(otlp.as_bytes()).is_some(), "{otlp}");
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{role:?} {otlp}");
        }
    }
    // Most objects are read flat (values of other types and keys twice are not).
    assert!(flat * 4 > total, "{flat} of {total} read flat");
}

/// The numbers serde_json refuses as out of range are all flagged, wherever they are in
/// a text; plain texts are not (a flag costs a full parse).
#[test]
fn numbers_out_of_range_are_flagged_in_any_text() {
    let long = "9".repeat(310);
    let long_at = |pad: usize| format!("{{\"{}\": 1, \"x\": {long}}}", "k".repeat(pad));
    let refused = [
        "1e400".to_owned(),
        "{\"a\": [1, {\"b\": -2.5E+309}]}".to_owned(),
        format!("{}e15", "9".repeat(295)),
        format!("{}.5e15", "9".repeat(295)),
        "0.001e312".to_owned(),
        long.clone(),
    ];
    let refused = refused.into_iter().chain((0..310).map(long_at));
    for text in refused {
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_err(),
            "{text}"
        );
        assert!(super::text_may_overflow(text.as_bytes()), "{text}");
    }
    let plain = [
        r#"{"completion_tokens": 17, "prompt_tokens_details": {"cached_tokens": 0}}"#,
        r#"{"input_cost": 8.55e-06, "total_cost": 1.875e-05, "e": "1e5"}"#,
        r#"{"id": "chatcmpl-9e12ab", "n": 1e290, "big": 123456789012345678901234567890}"#,
    ];
    for text in plain {
        assert!(!super::text_may_overflow(text.as_bytes()), "{text}");
    }
}
