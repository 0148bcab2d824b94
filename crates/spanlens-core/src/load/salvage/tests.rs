//! Tests of the salvage of damaged JSON text.

use super::*;

fn fix(text: &str) -> (String, Vec<Loss>) {
    let first = check_json(text.as_bytes()).expect("broken");
    let r = repair(text.as_bytes(), first, check_json).expect("repaired");
    (String::from_utf8(r.text).unwrap(), r.losses)
}

fn spans(fixed: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(fixed).unwrap();
    v["spans"].as_array().unwrap().clone()
}

#[test]
fn a_cut_keeps_every_complete_record() {
    let (fixed, losses) = fix(r#"{"spans": [{"n": 1}, {"n": 2, "a": [1, 2"#);
    assert_eq!(spans(&fixed).len(), 1);
    assert!(matches!(losses[0], Loss::Cut { .. }));
    // Cut just after an element closed: the element is kept.
    let (fixed, _) = fix(r#"{"spans": [{"n": 1}, {"n": 2}"#);
    assert_eq!(spans(&fixed).len(), 2);
    // Only the last brace missing.
    let (fixed, _) = fix("{\"spans\": [{\"n\": 1}]\n");
    assert_eq!(spans(&fixed).len(), 1);
}

#[test]
fn a_bad_value_costs_its_element_only() {
    // A stray byte alone is dropped when that mends everything.
    let (fixed, losses) = fix(r#"{"spans": [{"n": 1}, {"n": 2x}, {"n": 3}]}"#);
    assert_eq!(spans(&fixed).len(), 3);
    assert!(matches!(&losses[0], Loss::Dropped { what, .. } if what == "a stray byte"));
    let text = r#"{"spans": [{"n": 1}, {"n": 2 "m": 1}, {"n": 3}]}"#;
    let (fixed, losses) = fix(text);
    assert_eq!(spans(&fixed).len(), 2);
    assert_eq!(fixed.len(), text.len());
    let Loss::Dropped { what, .. } = &losses[0] else {
        panic!("{losses:?}")
    };
    assert_eq!(what, "a span");
    // The last element, and a pretty-printed one with a broken string.
    let (fixed, _) = fix(r#"{"spans": [{"n": 1}, {"n": 2 "m"}]}"#);
    assert_eq!(spans(&fixed).len(), 1);
    let pretty = "{\"spans\": [\n  {\n    \"n\": \"a\n  },\n  {\n    \"n\": 3\n  }\n]}";
    let (fixed, _) = fix(pretty);
    assert_eq!(spans(&fixed), vec![serde_json::json!({"n": 3})]);
}

#[test]
fn nesting_is_bounded() {
    let deep = "[".repeat(10_000);
    assert_eq!(too_deep(deep.as_bytes()), Some(MAX_DEPTH));
    assert!(scan(deep.as_bytes(), deep.len()).is_none());
}
