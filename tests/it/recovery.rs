//! Data recovery (issue 12): a cut or damaged trace file loads every span that is whole,
//! loses only the smallest element around a bad value, and says where, with a position;
//! nothing vanishes without a warning, and a file that gives nothing exits 2.
//!
//! Fixtures are generated (`synth`) and rewritten so every span has a unique name `sp-N`
//! and a last key `zz_end` whose closing brace marks where the span object ends.

use crate::common::*;
use serde_json::{Value, json};
use spanlens::load::{self, Format, LoadOptions};
use spanlens::model::{Pos, TraceSet};
use spanlens_synth::{GenFormat, GenOptions, Profile, generate};
use std::collections::BTreeSet;

fn gen_lines(format: GenFormat, spans: usize, traces: usize) -> Vec<Value> {
    let opts = GenOptions {
        spans,
        traces: Some(traces),
        format,
        profile: Profile::Sample,
        ..GenOptions::default()
    };
    let mut bytes = Vec::new();
    generate(&opts, &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Names span objects `sp-N` in order and marks their ends.
fn mark(span: &mut Value, n: &mut usize) {
    let o = span.as_object_mut().unwrap();
    o.insert("name".into(), json!(format!("sp-{n}")));
    o.shift_remove("zz_end");
    o.insert("zz_end".into(), json!(format!("sp-{n}")));
    *n += 1;
}

fn otlp_requests() -> Vec<Value> {
    let mut reqs = gen_lines(GenFormat::Otlp, 30, 3);
    let mut n = 0;
    for r in &mut reqs {
        for rs in r["resourceSpans"].as_array_mut().unwrap() {
            for ss in rs["scopeSpans"].as_array_mut().unwrap() {
                for s in ss["spans"].as_array_mut().unwrap() {
                    mark(s, &mut n);
                }
            }
        }
    }
    reqs
}

fn mlflow_traces() -> Vec<Value> {
    let mut traces = gen_lines(GenFormat::Mlflow, 30, 3);
    let mut n = 0;
    for t in &mut traces {
        for s in t["data"]["spans"].as_array_mut().unwrap() {
            mark(s, &mut n);
        }
    }
    traces
}

fn jsonl(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        out.extend(serde_json::to_vec(v).unwrap());
        out.push(b'\n');
    }
    out
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).unwrap();
    out.push(b'\n');
    out
}

/// One indented OTLP request holding every generated resource.
fn otlp_doc() -> Vec<u8> {
    let all: Vec<Value> = otlp_requests()
        .into_iter()
        .flat_map(|r| r["resourceSpans"].as_array().unwrap().clone())
        .collect();
    pretty(&json!({ "resourceSpans": all }))
}

fn iso(ms: usize) -> String {
    format!(
        "2025-01-01T00:{:02}:{:02}.{:03}Z",
        ms / 60_000,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// A Langfuse trace dump: one trace, its observations flat.
fn langfuse_doc() -> Vec<u8> {
    let obs: Vec<Value> = (0..20)
        .map(|i| {
            json!({"id": format!("o{i}"), "traceId": "t1",
                "parentObservationId": if i == 0 { Value::Null } else { json!("o0") },
                "type": if i % 3 == 1 { "GENERATION" } else { "SPAN" }, "name": format!("sp-{i}"),
                "startTime": iso(i * 100), "endTime": iso(i * 100 + 50),
                "input": {"q": format!("question {i}")}, "zz_end": format!("sp-{i}")})
        })
        .collect();
    pretty(
        &json!({"trace": {"id": "t1", "name": "weather", "timestamp": iso(0)},
        "observations": obs}),
    )
}

/// LangSmith runs: an array, the root first.
fn langsmith_doc() -> Vec<u8> {
    let id = |i: usize| format!("00000000-0000-4000-8000-{i:012}");
    let runs: Vec<Value> = (0..20)
        .map(|i| {
            json!({"id": id(i), "name": format!("sp-{i}"),
                "run_type": if i == 0 { "chain" } else { "tool" },
                "start_time": iso(i * 100), "end_time": iso(i * 100 + 50),
                "parent_run_id": if i == 0 { Value::Null } else { json!(id(0)) },
                "trace_id": id(0), "inputs": {"x": i}, "outputs": {"y": [i, i + 1]},
                "zz_end": format!("sp-{i}")})
        })
        .collect();
    pretty(&Value::Array(runs))
}

/// Every generated document: its file name and bytes.
fn documents() -> Vec<(&'static str, Vec<u8>)> {
    let mlflow = mlflow_traces();
    let biggest = mlflow
        .iter()
        .max_by_key(|t| t["data"]["spans"].as_array().unwrap().len())
        .unwrap();
    vec![
        ("t.otlp.json", otlp_doc()),
        ("t.otlp.jsonl", jsonl(&otlp_requests())),
        ("t.mlflow.json", pretty(biggest)),
        ("t.mlflow.jsonl", jsonl(&mlflow)),
        ("t.langfuse.json", langfuse_doc()),
        ("t.langsmith.json", langsmith_doc()),
    ]
}

/// Each marked span: its name and the offset of the brace that closes it.
fn span_ends(text: &[u8]) -> Vec<(String, usize)> {
    let needle = b"\"zz_end\":";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = find(&text[from..], needle) {
        let at = from + i + needle.len();
        let q1 = at + text[at..].iter().position(|&b| b == b'"').unwrap() + 1;
        let q2 = q1 + text[q1..].iter().position(|&b| b == b'"').unwrap();
        let name = String::from_utf8(text[q1..q2].to_vec()).unwrap();
        let close = q2 + text[q2..].iter().position(|&b| b == b'}').unwrap();
        out.push((name, close));
        from = close;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn try_load(name: &str, bytes: &[u8]) -> Result<TraceSet, String> {
    let path = temp_file(name, bytes);
    load::load(&[path], &LoadOptions::default(), &|_| {}).map_err(|e| e.to_string())
}

fn names(set: &TraceSet) -> BTreeSet<String> {
    (0..set.spans.len() as u32)
        .map(|i| set.span_name(spanlens::model::SpanIx(i)).to_string())
        .collect()
}

fn placed(set: &TraceSet) -> Vec<String> {
    set.diagnostics
        .iter()
        .filter(|d| d.pos != Pos::None)
        .map(|d| d.to_string())
        .collect()
}

// ---- 1. Truncated documents ----

#[test]
fn an_indented_document_missing_its_last_brace_loads_every_span() {
    for (name, doc) in documents() {
        if !name.ends_with(".json") {
            continue;
        }
        let end = doc.iter().rposition(|&b| b == b'}' || b == b']').unwrap();
        let set = try_load(name, &doc[..end]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(names(&set).len(), span_ends(&doc).len(), "{name}");
        let w = placed(&set).join("\n");
        let line = doc[..end].iter().filter(|&&b| b == b'\n').count() + 1;
        assert!(
            w.contains(&format!("line {line}")) && w.contains(&format!("byte {end}")),
            "{name}: the cut's line {line} and byte {end}: {w}"
        );
    }
}

#[test]
fn a_cut_just_after_a_scope_closes_keeps_all_of_it() {
    let doc = otlp_doc();
    let text = String::from_utf8(doc.clone()).unwrap();
    // The end of the first scopeSpans element: the line `        }` after its spans.
    let spans = span_ends(&doc);
    let first_scope_end = text.find("\n      ]\n    }").unwrap() + "\n      ]\n    }".len();
    let set = try_load("cut.otlp.json", &doc[..first_scope_end]).unwrap();
    let want: BTreeSet<String> = spans
        .iter()
        .filter(|(_, e)| *e < first_scope_end)
        .map(|(n, _)| n.clone())
        .collect();
    assert!(want.len() > 1);
    assert_eq!(names(&set), want);
}

#[test]
fn a_one_line_request_missing_its_last_bytes_loads_its_spans() {
    let reqs = otlp_requests();
    let mut line = serde_json::to_vec(&reqs[0]).unwrap();
    let all = span_ends(&line).len();
    line.truncate(line.len() - 2);
    let set = try_load("one.otlp.json", &line).unwrap();
    assert_eq!(names(&set).len(), all);
    assert!(!placed(&set).is_empty());
}

// ---- 2. One bad value costs its span or attribute ----

#[test]
fn a_malformed_attribute_key_costs_one_attribute_and_says_its_line() {
    let doc = otlp_doc();
    let text = String::from_utf8(doc.clone()).unwrap();
    let all = span_ends(&doc).len();
    // Break the quote of an attribute key deep in the file.
    let at = text.match_indices("\"key\": \"").nth(40).unwrap().0;
    let mut bad = doc.clone();
    bad[at + 7] = b'x';
    let line = text[..at].matches('\n').count() + 1;
    let set = try_load("attr.otlp.json", &bad).unwrap();
    assert!(
        names(&set).len() >= all - 1,
        "{} of {all}",
        names(&set).len()
    );
    let w = placed(&set).join("\n");
    assert!(w.contains(&format!("line {line} column")), "{w}");
}

#[test]
fn a_stray_byte_costs_at_most_its_span_and_is_placed() {
    let doc = otlp_doc();
    let spans = span_ends(&doc);
    let at = spans[spans.len() / 2].1 - 30;
    let mut bad = doc.clone();
    bad.insert(at, b'#');
    let set = try_load("stray.otlp.json", &bad).unwrap();
    assert!(names(&set).len() >= spans.len() - 1);
    let line = doc[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let w = placed(&set).join("\n");
    assert!(w.contains(&format!("line {line} column")), "{w}");
}

#[test]
fn in_json_lines_a_span_named_by_a_number_costs_only_that_span() {
    let mut reqs = otlp_requests();
    let spans = &mut reqs[1]["resourceSpans"][0]["scopeSpans"][0]["spans"];
    let lost = spans[1]["name"].as_str().unwrap().to_owned();
    spans[1]["name"] = json!(5);
    let all = span_ends(&jsonl(&otlp_requests())).len();
    let set = try_load("num.otlp.jsonl", &jsonl(&reqs)).unwrap();
    let got = names(&set);
    assert_eq!(got.len(), all - 1);
    assert!(!got.contains(&lost));
    let w = placed(&set).join("\n");
    assert!(
        w.contains("line 2: column ") && w.contains("a span dropped"),
        "{w}"
    );
}

// ---- 3. A damaged first line ----

#[test]
fn a_damaged_first_line_does_not_reject_a_json_lines_file() {
    for (name, doc) in documents() {
        if !name.ends_with(".jsonl") {
            continue;
        }
        let mut bad = doc.clone();
        bad[0] = b'#';
        let set = try_load(name, &bad).unwrap_or_else(|e| panic!("{name}: {e}"));
        let second = doc.iter().position(|&b| b == b'\n').unwrap();
        let later = span_ends(&doc).iter().filter(|(_, e)| *e > second).count();
        assert!(names(&set).len() >= later, "{name}");
        assert!(placed(&set).iter().any(|w| w.contains("line 1")), "{name}");
    }
}

// ---- 5. Truncated last lines ----

#[test]
fn a_last_line_cut_inside_a_utf8_character_keeps_its_whole_spans() {
    let mut reqs = otlp_requests();
    let last = reqs.len() - 1;
    let spans = reqs[last]["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array_mut()
        .unwrap();
    let k = spans.len() - 1;
    spans[k]["status"] = json!({"code": 2, "message": "é".repeat(50)});
    let doc = jsonl(&reqs);
    let cut = find(&doc, "é".as_bytes()).unwrap() + 21; // inside the 11th `é`
    let want = span_ends(&doc).iter().filter(|(_, e)| *e < cut).count();
    let set = try_load("utf8.otlp.jsonl", &doc[..cut]).unwrap();
    assert_eq!(names(&set).len(), want);
    assert!(!placed(&set).is_empty());
}

#[test]
fn a_cut_mlflow_json_lines_file_keeps_the_whole_spans_of_its_last_line() {
    let doc = jsonl(&mlflow_traces());
    let ends = span_ends(&doc);
    let cut = ends[ends.len() - 2].1 + 3;
    let set = try_load("cut.mlflow.jsonl", &doc[..cut]).unwrap();
    assert_eq!(names(&set).len(), ends.len() - 1);
    assert!(placed(&set).iter().any(|w| w.contains("ends early")));
}

#[test]
fn an_mlflow_document_cut_inside_its_info_says_so_and_where() {
    // `Trace.to_json()` writes `info` before `data`; cut inside `info`, no span is left.
    let trace = mlflow_traces().swap_remove(0);
    let info = serde_json::to_string_pretty(&trace["info"]).unwrap();
    let data = serde_json::to_string_pretty(&trace["data"]).unwrap();
    let doc = format!("{{\n\"info\": {info},\n\"data\": {data}\n}}\n");
    let cut = doc.find("\"data\"").unwrap() / 2;
    let err = try_load("cut.mlflow.json", &doc.as_bytes()[..cut]).unwrap_err();
    assert!(!err.contains("not a trace format"), "{err}");
    assert!(err.contains("no `data`"), "{err}");
    assert!(err.contains(&format!("cut at byte {cut}")), "{err}");
    // Whole, the same document loads every span.
    let set = try_load("whole.mlflow.json", doc.as_bytes()).unwrap();
    assert_eq!(
        set.spans.len(),
        trace["data"]["spans"].as_array().unwrap().len()
    );
}

// ---- 6. Nothing vanishes without a warning ----

fn otlp_line(spans_key: &str, spans: &str) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{}},"scopeSpans":[{{"scope":{{"name":"s"}},"{spans_key}":{spans}}}]}}]}}"#
    )
}

#[test]
fn what_is_not_understood_is_a_warning_with_its_position() {
    let good = otlp_line(
        "spans",
        r#"[{"traceId":"01","spanId":"02","name":"ok","startTimeUnixNano":"1"}]"#,
    );
    let cases = [
        (
            "scopeSpans null",
            good.replace(
                r#"[{"scope":{"name":"s"},"spans":"#,
                "null,\"x\":[{\"spans\":",
            ),
            "`scopeSpans` is null",
        ),
        ("empty line", "{}".to_owned(), "empty record"),
        ("typo", otlp_line("spanz", "[]"), "unknown key `spanz`"),
        ("spans null", otlp_line("spans", "null"), "`spans` is null"),
    ];
    for (what, line, says) in cases {
        let text = format!("{good}\n{line}\n");
        let set = try_load("w.otlp.jsonl", text.as_bytes()).unwrap();
        let w = placed(&set).join("\n");
        assert!(w.contains("line 2") && w.contains(says), "{what}: {w}");
    }
}

#[test]
fn mlflow_spans_that_are_not_a_list_are_a_warning() {
    let mut t = mlflow_traces().remove(0);
    t["data"]["spans"] = json!(42);
    let set_or = try_load("t.mlflow.json", &pretty(&t));
    let e = set_or.expect_err("nothing loads: exit 2");
    assert!(
        e.contains("`spans` in `data` is not a list") && e.contains("line"),
        "{e}"
    );
}

#[test]
fn mlflow_forced_on_an_otlp_file_says_it_is_not_mlflow() {
    let path = temp_file("t.otlp.jsonl", &jsonl(&otlp_requests()));
    let opts = LoadOptions {
        format: Some(Format::MlflowTrace),
        ..LoadOptions::default()
    };
    let e = load::load(&[path], &opts, &|_| {}).expect_err("nothing loads");
    let e = e.to_string();
    assert!(
        e.contains("line 1: not an MLflow trace") && e.contains("resourceSpans"),
        "{e}"
    );
}

// ---- 7. Nothing loaded exits 2 ----

#[test]
fn a_file_that_gives_nothing_exits_2_and_says_why() {
    let not_traces = temp_file("stats.json", br#"{"spans": 5500, "traces": 26}"#);
    let empty = temp_file("e.otlp.json", br#"{"resourceSpans": []}"#);
    for path in [not_traces, empty] {
        let out = run_spanlens(&["summary", path.to_str().unwrap()], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path:?}: {err}");
        assert!(err.contains("no spans"), "{err}");
    }
    let out = run_spanlens(&["summary", not_traces_path().to_str().unwrap()], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 1: `spans` in the document is not a list"),
        "{err}"
    );
}

fn not_traces_path() -> std::path::PathBuf {
    temp_file("stats.json", br#"{"spans": 5500, "traces": 26}"#)
}

// ---- 8. Byte-order marks ----

#[test]
fn a_byte_order_mark_is_skipped() {
    for (name, doc) in documents() {
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(&doc);
        let set = try_load(name, &bom).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(names(&set).len(), span_ends(&doc).len(), "{name}");
        assert!(set.diagnostics.is_empty(), "{name}: {:?}", warnings(&set));
    }
    // A one-line file: loads (it used to load nothing and exit 0).
    let reqs = otlp_requests();
    let mut one = b"\xef\xbb\xbf".to_vec();
    one.extend(serde_json::to_vec(&reqs[0]).unwrap());
    let path = temp_file("one.otlp.json", &one);
    let out = run_spanlens(&["summary", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0));
}

// ---- 11. Deep nesting ----

#[test]
fn deep_nesting_is_refused_at_once() {
    let started = std::time::Instant::now();
    let deep = vec![b'['; 2 << 20];
    let e = try_load("deep.json", &deep).err().unwrap();
    assert!(e.contains("nested deeper than 128"), "{e}");
    let mut late = b"{\"spans\": [".to_vec();
    late.extend(vec![b'['; 200_000]);
    let _ = try_load("late.json", &late);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

// ---- The seeded truncation and mutation check (CI budget: a few seconds) ----

/// xorshift: a fixed seed, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Cut points per format: every structural byte is a candidate, a seeded sample is tried.
const CUTS: usize = 60;
/// Mutations per format, each inside one span.
const MUTATIONS: usize = 40;

/// Loads `bytes`, never panicking, and checks the exit rule: a load that succeeds has
/// spans; one that fails names the file.
fn load_checked(name: &str, bytes: &[u8]) -> Option<TraceSet> {
    let outcome = std::panic::catch_unwind(|| try_load(name, bytes));
    match outcome.unwrap_or_else(|_| panic!("{name}: panicked")) {
        Ok(set) => {
            assert!(!set.spans.is_empty(), "{name}: loaded with nothing in it");
            Some(set)
        }
        Err(e) => {
            assert!(e.contains(name), "{name}: the error names the file: {e}");
            None
        }
    }
}

#[test]
fn seeded_cuts_keep_every_whole_span_and_say_where() {
    let mut rng = Rng(0x12_c0ff_ee00_5eed);
    let started = std::time::Instant::now();
    for (name, doc) in documents() {
        let ends = span_ends(&doc);
        let structural: Vec<usize> = (1..doc.len())
            .filter(|&i| matches!(doc[i - 1], b'}' | b']' | b',' | b'\n' | b'"'))
            .collect();
        for k in 0..CUTS {
            let cut = if k % 4 == 3 {
                1 + rng.below(doc.len() - 1)
            } else {
                structural[rng.below(structural.len())]
            };
            let want: BTreeSet<String> = ends
                .iter()
                .filter(|(_, e)| *e < cut)
                .map(|(n, _)| n.clone())
                .collect();
            let label = format!("{name} cut at {cut}");
            match load_checked(name, &doc[..cut]) {
                None => assert!(want.is_empty(), "{label}: nothing loaded, {want:?} whole"),
                Some(set) => {
                    assert_eq!(names(&set), want, "{label}");
                    // A JSON Lines file cut between lines shows no sign of it.
                    let between_lines =
                        name.ends_with(".jsonl") && (doc[cut - 1] == b'\n' || doc[cut] == b'\n');
                    let rest = doc[cut..].iter().any(|b| !b.is_ascii_whitespace());
                    if want.len() < ends.len() && rest && !between_lines {
                        assert!(!placed(&set).is_empty(), "{label}: no placed warning");
                    }
                }
            }
        }
    }
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn seeded_mutations_inside_a_span_cost_at_most_that_span() {
    let mut rng = Rng(0xbad_b17e_5eed);
    for (name, doc) in documents() {
        let ends = span_ends(&doc);
        let bytes: &[u8] = b"x},:\xff\"";
        for _ in 0..MUTATIONS {
            let i = rng.below(ends.len());
            let (span, end) = &ends[i];
            // Past the name (a changed name is no loss), before the span's last key.
            let (pat, compact) = (
                format!("\"name\": \"{span}\""),
                format!("\"name\":\"{span}\""),
            );
            let after_name = find(&doc, pat.as_bytes())
                .map(|i| i + pat.len())
                .or_else(|| find(&doc, compact.as_bytes()).map(|i| i + compact.len()))
                .unwrap();
            let at = after_name + rng.below(end - after_name - 12);
            let byte = bytes[rng.below(bytes.len())];
            let mut bad = doc.clone();
            if rng.below(2) == 0 {
                bad.insert(at, byte);
            } else {
                bad[at] = byte;
            }
            let label = format!("{name}: {:?} at {at} in {span}", byte as char);
            let set = load_checked(name, &bad).unwrap_or_else(|| panic!("{label}: nothing"));
            let got = names(&set);
            let lost: Vec<&String> = ends
                .iter()
                .map(|(n, _)| n)
                .filter(|n| *n != span && !got.contains(*n))
                .collect();
            assert!(
                lost.is_empty(),
                "{label}: also lost {lost:?}: {:?}",
                warnings(&set)
            );
            if !got.contains(span) {
                assert!(!placed(&set).is_empty(), "{label}: lost without a word");
            }
        }
    }
}

#[test]
fn an_mlflow_assessment_mended_of_a_stray_byte_reads_as_the_clean_one() {
    let doc = crate::feedback::MLFLOW.as_bytes();
    let at = find(doc, br#"{"value": "no"}"#).unwrap() + 15;
    let mut bad = doc.to_vec();
    bad.insert(at, b'#');
    let set = try_load("stray-assessment.mlflow.json", &bad).unwrap();
    assert!(placed(&set).join("\n").contains("stray byte"));
    // The assessment is read from the mended copy, not again from the file as it is.
    let a: Vec<_> = set.assessments.iter().collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].value, json!("no"), "{:?}", a[0]);
    assert_eq!(
        a[0].rationale.as_deref(),
        Some("retrieved the Lyon document")
    );
    assert!(a[0].error.is_none(), "{:?}", a[0]);
}
