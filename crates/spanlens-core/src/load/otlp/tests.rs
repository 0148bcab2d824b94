//! The two OTLP readers agree: wherever the fast one reads a request it gives the very
//! batch `serde_walk` gives, and wherever serde_json fails it gives up (leaving the batch
//! as it was). Checked on hand-written shapes, the shapes SDKs write, generated files,
//! the corpus and mutations.

use super::fast_walk::{self, GiveUp};
use super::serde_walk;
use crate::load::json::Ctx;
use crate::model::Batch;

/// Reads `text` with both readers: `true` when the fast reader read it and agreed, `false`
/// when it gave up; panics when they disagree.
fn agree(text: &str) -> bool {
    why_slow(text).is_none()
}

/// Reads `text` with both readers: `None` when the fast reader read it and agreed, or why
/// it gave up; panics when they disagree.
pub(super) fn why_slow(text: &str) -> Option<GiveUp> {
    let ctx = Ctx::new(text.as_bytes(), 0, 1, "t.jsonl");
    let mut fast = Batch::default();
    let n = fast_walk::parse_request(&ctx, text, 0, &mut fast);
    let mut slow = Batch::default();
    let m = serde_walk::parse_request(&ctx, text, 0, &mut slow);
    match n {
        Ok(n) => {
            let m = m.unwrap_or_else(|e| panic!("fast read what serde refuses ({e}): {text}"));
            assert_eq!(n, m, "{text}");
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{text}");
            None
        }
        Err(why) => {
            let left = (fast.spans.len(), fast.attrs.len(), fast.ids.len());
            assert_eq!(left, (0, 0, 0), "gave up but kept spans: {text}");
            assert!(fast.diagnostics.is_empty(), "{text}");
            Some(why)
        }
    }
}

#[test]
fn common_shapes_are_read_fast_and_the_same() {
    let span = r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"","name":"chat gpt-4o","kind":3,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001500000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"42"}},{"key":"n","value":{"doubleValue":0.5}},{"key":"list","value":{"arrayValue":{"values":[{"boolValue":true}]}}},{"key":"nothing"}],"events":[{"name":"e","timeUnixNano":"1700000000100000000"}],"links":[],"status":{"code":2,"message":"boom \"quoted\" \u00e9"},"droppedAttributesCount":0}"#;
    let shapes = [
        format!(r#"{{"resourceSpans":[{{"resource":{{"attributes":[]}},"scopeSpans":[{{"scope":{{"name":"s","version":"1"}},"spans":[{span},{span}]}}]}}]}}"#),
        // Resource and scope after their spans; snake_case keys; nulls everywhere.
        format!(r#"{{"resource_spans":[{{"scope_spans":[{{"spans":[{span}],"scope":{{"name":"late"}}}},{{"spans":[{span}],"scope":null}}],"resource":{{"x":1}}}}]}}"#),
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"trace_id":null,"span_id":"AAECAwQFBgc=","name":null,"kind":"SPAN_KIND_SERVER","start_time_unix_nano":1700000000000000000,"end_time_unix_nano":null,"attributes":null,"status":null,"events":null}]}]}]}"#.to_owned(),
        // Pretty-printed, unknown fields holding every kind of value.
        format!("{{\n  \"other\": [1, -2.5e3, true, false, null, {{}}, []],\n  \"resourceSpans\": [ {{ \"scopeSpans\": [ {{ \"spans\": [ {span} ] }} ] }} ]\n}}\n"),
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"no start"}]}]}]}"#.to_owned(),
    ];
    for s in &shapes {
        assert!(agree(s), "the fast reader gave up on a common shape: {s}");
    }
}

#[test]
fn unusual_shapes_are_left_to_serde() {
    let cases = [
        // Escapes in keys, and lone surrogates where serde_json decodes.
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"n\u0061me":"x"}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"half \ud83d"}]}]}]}"#,
        // Wrong types and duplicates that serde's derive refuses.
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":1,"code":2}}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"value":{}}]}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[["k",{}]]}]}]}]}"#,
        r#"{"resourceSpans":{"scopeSpans":[]}}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"ok"}]}]}]} trailing"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"ok"},]}]}]}"#,
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"tab\tinside\"}]}]}]}",
        r#"[]"#,
        // Nothing where spans were expected, which `serde_walk` warns about.
        r#"{"resourceSpans":null}"#,
        r#"{}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spanz":[{"name":"typo"}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":null}]}"#,
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
        ..Default::default()
    };
    let mut bytes = Vec::new();
    spanlens_synth::generate(&opts, &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let fast = lines.iter().filter(|l| agree(l)).count();
    // Escaped names (the generator's hostile strings) are decoded: every line is read fast.
    assert_eq!(fast, lines.len(), "{fast} of {} read fast", lines.len());
}

/// Every file under `dir`.
fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The shared corpus beside the checkout (`../shared/corpus` from the workspace root).
fn corpus() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "CI=true but the corpus is missing at {}",
        dir.display()
    );
    eprintln!("SKIPPED (corpus absent): no corpus at {}", dir.display());
    None
}

#[test]
fn corpus_requests_read_fast_and_the_same() {
    let Some(dir) = corpus() else { return };
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    let mut read = 0;
    for path in paths {
        let json = path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !json || !text.contains("copeSpans") {
            continue;
        }
        // A whole document, or JSON Lines.
        let docs: Vec<&str> = match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            Ok(_) => vec![text.as_str()],
            Err(_) => text.lines().filter(|l| !l.trim().is_empty()).collect(),
        };
        for d in docs {
            // Every request an SDK or the Collector wrote takes the fast path.
            assert_eq!(why_slow(d), None, "{} was read slowly", path.display());
            read += 1;
        }
    }
    assert!(read >= 20, "only {read} corpus requests were read");
}

#[test]
fn mutated_requests_are_read_the_same_or_left_to_serde() {
    let base = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"tool","kind":1,"startTimeUnixNano":"17","endTimeUnixNano":18,"attributes":[{"key":"input.value","value":{"stringValue":"say \"hi\"\n\u263a"}},{"key":"n","value":{"intValue":"3"}}],"status":{"code":"STATUS_CODE_ERROR","message":"x"}}]}]}]}"#;
    let bytes = base.as_bytes();
    let swaps = b"\"\\{}[]:, \t\x01\x0cae0-nu";
    let (mut fast, mut total) = (0, 0);
    for i in 0..bytes.len() {
        let mut variants: Vec<Vec<u8>> = vec![[&bytes[..i], &bytes[i + 1..]].concat()];
        for &c in swaps {
            let mut v = bytes.to_vec();
            v[i] = c;
            variants.push(v);
            variants.push([&bytes[..i], &[c], &bytes[i..]].concat());
        }
        for v in variants {
            if let Ok(t) = std::str::from_utf8(&v) {
                total += 1;
                fast += agree(t) as usize;
            }
        }
    }
    assert!(fast > total / 10, "{fast} of {total} mutations read fast");
}

#[test]
fn a_resource_read_again_is_read_as_the_first_time() {
    let span = r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"n","startTimeUnixNano":"1"}"#;
    let request = |resource: &str| {
        format!(
            r#"{{"resourceSpans":[{{"resource":{resource},"scopeSpans":[{{"spans":[{span}]}}]}}]}}"#
        )
    };
    let attrs = r#"{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]}"#;
    let resources = [
        attrs.to_owned(),
        attrs.to_owned(),
        attrs.replace("\"a\"", "\"b\""),
        // The remembered text followed by more members: a longer value.
        format!(
            r#"{},"droppedAttributesCount":0}}"#,
            &attrs[..attrs.len() - 1]
        ),
        format!(
            r#"{},"droppedAttributesCount":0}}"#,
            &attrs[..attrs.len() - 1]
        ),
        // The remembered text, then text that is not JSON.
        format!("{attrs}}}"),
        attrs.to_owned(),
        "1".into(),
        "12".into(),
        "null".into(),
        "[1]".into(),
        "[1,2]".into(),
        "[1]".into(),
        r#"{"attributes":[]}"#.into(),
        r#"{"attributes":[]}  "#.into(),
    ];
    let mut remembered = 0;
    for r in &resources {
        // `why_slow` panics wherever the two readers disagree.
        let slow = why_slow(&request(r));
        let (text, tokens) = fast_walk::last_resource();
        if slow.is_none() && r.trim_end().as_bytes() == text.as_slice() {
            assert!(tokens > 0);
            remembered += 1;
        }
    }
    assert!(remembered >= 10, "only {remembered} resources remembered");
}
