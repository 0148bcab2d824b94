//! Tests of `json.rs`: the readers of raw JSON texts against serde_json.
use super::*;

#[test]
fn strings_read_as_serde_reads_them() {
    let cases = [
        r#""plain""#,
        r#""""#,
        r#""caf\u00e9 \"q\"""#,
        "\"caf\u{e9} \u{1F600}\"",
        "\"tab\there\"",
        r#""a" "b""#,
        r#""a"b""#,
        r#""unterminated"#,
        r#"""#,
        r#""\""#,
        r#""ends with backslash\\""#,
        r#"  "spaced"  "#,
        "null",
        "12",
        // Escapes serde_json refuses to decode, and a provider response held as a string.
        r#""\ud800 alone""#,
        r#""\ud83d\ude00 paired""#,
        r#""\x""#,
        r#""\u12""#,
        r#""{\"usage\": {\"prompt_tokens\": 3}, \"text\": \"line\nnext \\\"q\\\"\"}""#,
        "\"caf\u{e9}\\n\" ",
    ];
    for t in cases {
        let by_serde = serde_json::from_str::<CowStr>(t).ok().map(|c| c.0);
        assert_eq!(string_text(t), by_serde, "{t:?}");
    }
    assert!(matches!(
        string_text(r#""plain""#),
        Some(Cow::Borrowed("plain"))
    ));
}

#[test]
fn null_is_told_by_its_first_byte_as_by_trimming() {
    let mut texts: Vec<String> = vec![
        "null".into(),
        "nul".into(),
        "nullx".into(),
        "\"null\"".into(),
        String::new(),
    ];
    // Every white space `trim` removes, and other leading characters, ASCII or not.
    let around = (0..0x3001u32)
        .filter_map(char::from_u32)
        .filter(|c| c.is_whitespace() || c.is_ascii() || matches!(c, '\u{a0}' | 'é' | '\u{feff}'));
    for c in around {
        texts.push(format!("{c}null"));
        texts.push(format!("{c}null{c}"));
        texts.push(format!("{c}"));
    }
    for t in &texts {
        assert_eq!(is_null_text(t), t.trim() == "null", "{t:?}");
    }
}

#[test]
fn plain_contents_are_found_a_word_at_a_time_as_byte_by_byte() {
    let bytewise = |s: &[u8]| s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\');
    // Every byte value at every position of texts up to 20 long, in a run of 'a's
    // and of bytes above 0x7f (which borrow-based word tricks can misread).
    for fill in [b'a', 0xe9, 0x20, 0x7f] {
        for n in 0..20 {
            for at in 0..n {
                for b in 0..=255u8 {
                    let mut s = vec![fill; n];
                    s[at] = b;
                    assert_eq!(needs_no_decoding(&s), bytewise(&s), "{s:?}");
                }
            }
        }
    }
    // Two odd bytes in one word.
    for a in 0..=255u8 {
        for b in [0u8, 0x1f, 0x20, b'"', b'\\', 0x5d, 0x80, 0xff] {
            let s = [b'x', a, b'y', b'z', b, 0x21, 0x22 - 1, 0x7e];
            assert_eq!(needs_no_decoding(&s), bytewise(&s), "{s:?}");
        }
    }
}

#[test]
fn integers_read_as_the_general_parser_reads_them() {
    for t in [
        r#""1700000000000000000""#,
        r#""9223372036854775807""#,
        r#""9223372036854775808""#,
        r#""99999999999999999999""#,
        r#""007""#,
        r#""""#,
        r#""-5""#,
        r#""1e3""#,
        " 42 ",
        "\"12\" ",
        r#""999999999999999999""#,
        r#""000000000000000001""#,
        r#""12a4""#,
        r#""1/2""#,
        r#""-""#,
        r#"" 12""#,
        "1700000000000000000",
        "9223372036854775808",
        "007",
        "-5",
        "12\"",
        "\"12",
        "",
    ] {
        let general = t.trim().trim_matches('"').parse::<i64>().ok();
        assert_eq!(text_i64(t), general, "{t}");
    }
    // Every length up to 20 digits, and each with one byte swapped for its neighbours.
    let mut seed = 9u64;
    for len in 1..=20 {
        for _ in 0..200 {
            let mut d: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    b'0' + (seed >> 60) as u8 % 10
                })
                .collect();
            if seed.is_multiple_of(3) {
                let at = (seed >> 20) as usize % len;
                d[at] = [b'/', b':', b'a', b' ', b'-'][(seed >> 40) as usize % 5];
            }
            let digits = String::from_utf8(d).unwrap();
            // Quoted (OTLP) and bare (MLflow 3).
            for t in [format!("\"{digits}\""), digits] {
                let general = t.trim().trim_matches('"').parse::<i64>().ok();
                assert_eq!(text_i64(&t), general, "{t}");
            }
        }
    }
}

#[test]
fn raw_object_keeps_positions_and_borrows() {
    let text = r#"{"a": "x", "b": {"c": [1,2]}, "e\u0041": 3}"#;
    let obj: RawObject = serde_json::from_str(text).unwrap();
    assert!(matches!(obj.0[0].0.0, Cow::Borrowed("a")));
    assert_eq!(obj.0[2].0.0, "eA");
    let ctx = Ctx::new(text.as_bytes(), 100, 0, "t");
    let r = ctx.at(obj.get("b").unwrap(), Enc::Json);
    assert_eq!(r.off, 100 + text.find("{\"c\"").unwrap() as u64);
    assert_eq!(obj.str(&["a"]).as_deref(), Some("x"));
    assert_eq!(obj.str(&["e\u{41}"]).as_deref(), Some("3"));
}

#[test]
fn truncated_arrays_keep_the_good_elements() {
    let mut seen = Vec::new();
    let r = for_each_element(br#"[{"a":1},{"a":2},{"a":"#, |v| {
        seen.push(v.get().to_owned())
    });
    assert!(r.is_err());
    assert_eq!(seen, vec![r#"{"a":1}"#, r#"{"a":2}"#]);
}
