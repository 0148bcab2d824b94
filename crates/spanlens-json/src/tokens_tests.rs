//! Tests of `tokens.rs`: the token cursor against serde_json's judgement.
use super::*;

/// Reads one whole value with the fast reader: its range, or `None`.
fn read(text: &str) -> Option<Range> {
    let mut idx = Vec::new();
    super::super::index::build(text.as_bytes(), &mut idx)?;
    let mut t = Tokens::new(text, &idx);
    let r = t.value()?;
    t.done().then_some(r)
}

#[test]
fn backslashes_are_found_anywhere() {
    for n in 0..40 {
        let plain = "x".repeat(n);
        assert!(!has_backslash(plain.as_bytes()));
        for i in 0..n {
            let mut b = plain.clone().into_bytes();
            b[i] = b'\\';
            assert!(has_backslash(&b), "{n} {i}");
            b[i] = b'\\' + 128;
            assert!(!has_backslash(&b), "{n} {i}");
        }
    }
}

#[test]
fn numbers_follow_the_json_grammar() {
    for ok in ["0", "-0", "12", "-1.5", "1e9", "1E+2", "2.5e-3"] {
        assert!(valid_number(ok.as_bytes()), "{ok}");
    }
    for bad in ["01", "-", "1.", ".5", "1e", "+1", "0x1", "1.5.2", "NaN"] {
        assert!(!valid_number(bad.as_bytes()), "{bad}");
    }
}

#[test]
fn accepts_and_rejects_what_serde_json_does() {
    let cases = [
        r#"{"a":[1,{"b":null}],"c":"d"}"#,
        r#" [ ] "#,
        r#"{}"#,
        r#"{"a":1,}"#,
        r#"[1 2]"#,
        r#"{"a" 1}"#,
        r#"{"a":tru}"#,
        r#"{"a":1]"#,
        r#"[1,]"#,
        r#"["a\u00e9\n"]"#,
        r#"{1:2}"#,
        r#"[true false]"#,
        r#""x"y"#,
        r#"[[[]]]]"#,
        "[1\x0c]",
        "[true\x0b]",
        "[1 ]",
    ];
    for c in cases {
        let serde = serde_json::from_str::<serde::de::IgnoredAny>(c).is_ok();
        assert_eq!(read(c).is_some(), serde, "{c}");
    }
}

#[test]
fn random_json_fragments_are_judged_as_serde_json_judges_them() {
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\n",
        "\x0c",
        "\t",
        "\"a\"",
        "\"\\u00e9\"",
        "\"\\q\"",
        "\"\x01\"",
        "1",
        "-0.5e3",
        "01",
        "-",
        "1.",
        "true",
        "nul",
        "null",
        "\\",
        "\"",
        "é",
        "0",
        "e5",
    ];
    let mut seed = 11u64;
    let (mut agreed, mut valid) = (0, 0);
    for _ in 0..20_000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = 1 + (seed >> 60) as usize;
        let mut text = String::new();
        let mut r = seed;
        for _ in 0..n {
            r = r.wrapping_mul(6364136223846793005).wrapping_add(1);
            text.push_str(pieces[(r >> 33) as usize % pieces.len()]);
        }
        let serde = serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok();
        assert_eq!(read(&text).is_some(), serde, "{text:?}");
        agreed += 1;
        valid += serde as usize;
    }
    assert!(
        valid > 300,
        "only {valid} of {agreed} texts were valid JSON"
    );
}

#[test]
fn a_value_range_covers_exactly_the_value() {
    let t = r#"  {"k": [1, "x"] }  "#;
    let (a, b) = read(t).unwrap();
    assert_eq!(&t[a as usize..b as usize], r#"{"k": [1, "x"] }"#);
}

#[test]
fn an_otlp_attribute_is_read_at_fixed_offsets() {
    let text = r#"[{"key":"k.a","value":{"stringValue":"v"}},{"key":"n","value":{"intValue":3}}]"#;
    let mut idx = Vec::new();
    super::super::index::build(text.as_bytes(), &mut idx).unwrap();
    let mut t = Tokens::new(text, &idx);
    t.expect(b'[').unwrap();
    let (key, (a, b)) = t.otlp_attribute().expect("the string attribute");
    assert_eq!(
        (key, &text[a as usize..b as usize]),
        ("k.a", r#"{"stringValue":"v"}"#)
    );
    t.expect(b',').unwrap();
    assert!(
        t.otlp_attribute().is_none(),
        "a number value takes the general path"
    );
    assert_eq!(t.peek(), Some(b'{'), "nothing read");
}

#[test]
fn a_compact_attribute_reads_as_the_entry_by_entry_check_does() {
    // Compact and spaced, keys and types escaped or not, near misses of every literal,
    // and text cut at every byte.
    let mut texts: Vec<String> = vec![
        r#"{"key":"k.a","value":{"stringValue":"v"}}"#.into(),
        r#"{"key":"k","value":{"intValue":"12"}}"#.into(),
        r#"{"key":"","value":{"":""}}"#.into(),
        r#"{"key":"k\"q","value":{"stringValue":"v"}}"#.into(),
        r#"{"key":"k","value":{"string\u0056alue":"v\"}"}}"#.into(),
        r#"{ "key":"k","value":{"stringValue":"v"}}"#.into(),
        r#"{"key" :"k","value":{"stringValue":"v"}}"#.into(),
        r#"{"key":"k", "value":{"stringValue":"v"}}"#.into(),
        r#"{"key":"k","value":{"stringValue":"v"} }"#.into(),
        r#"{"key":"k","value":{"stringValue":"v"}, "x":1}"#.into(),
        r#"{"kez":"k","value":{"stringValue":"v"}}"#.into(),
        r#"{"key":"k","valuf":{"stringValue":"v"}}"#.into(),
        r#"{"key":"k","value":{"stringValue":1}}"#.into(),
        r#"{"key":"k","value":{"doubleValue":0.5}}"#.into(),
        r#"{"key":"k","value":{"stringValue":"v","x":"y"}}"#.into(),
        r#"{"key":["k"],"value":{"stringValue":"v"}}"#.into(),
    ];
    let whole = texts[0].clone();
    texts.extend((1..whole.len()).map(|n| format!("{}]", &whole[..n])));
    let mut compact = 0;
    for text in texts {
        let mut idx = Vec::new();
        if super::super::index::build(text.as_bytes(), &mut idx).is_none() {
            continue;
        }
        let t = Tokens::new(&text, &idx);
        let fast = t.compact_attribute();
        compact += usize::from(fast.is_some());
        if fast.is_some() {
            assert_eq!(fast, t.spaced_attribute(), "{text}");
        }
        let want = t.spaced_attribute();
        let mut t = Tokens::new(&text, &idx);
        assert_eq!(t.otlp_attribute(), want, "{text}");
    }
    assert_eq!(
        compact, 4,
        "the four compact attributes without a key escape"
    );
}

#[test]
fn deep_nesting_is_left_to_serde() {
    let deep = format!("{}{}", "[".repeat(150), "]".repeat(150));
    assert!(read(&deep).is_none());
    let ok = format!("{}{}", "[".repeat(50), "]".repeat(50));
    assert!(read(&ok).is_some());
}
