//! Search: queries with known answers over the fixtures, scopes and filters, the filter
//! mode that keeps ancestors, the CLI's JSON, and the TUI flow from typing to landing.

use crate::common::*;
use spanlens::search::{FieldKind, Found, Query, Scope};
use spanlens::tui::app::{Effect, Focus, Screen};
use spanlens_synth::GenFormat;

fn search(set: &spanlens::model::TraceSet, q: &str) -> Found {
    let query = Query::parse(q).expect("query parses");
    spanlens::search::run(
        set,
        &spanlens::search::Index::default(),
        &query,
        Scope::All,
        100,
        &|| false,
        &mut |_| {},
    )
}

fn names(set: &spanlens::model::TraceSet, found: &Found) -> Vec<(String, FieldKind)> {
    found
        .hits
        .iter()
        .map(|h| (set.span_name(h.span).to_owned(), h.field))
        .collect()
}

#[test]
fn a_tool_name_with_a_typo_finds_the_tool_call() {
    let set = load_fixture("agent.otlp.jsonl");
    let found = search(&set, "get_wether");
    let first = &found.hits[0];
    assert_eq!(set.span_name(first.span), "execute_tool get_weather");
    assert!(matches!(first.field, FieldKind::Name | FieldKind::Tool));
    assert!(
        names(&set, &found).contains(&("chat gpt-4o".into(), FieldKind::ToolArgs)),
        "the LLM's call too"
    );
}

#[test]
fn a_phrase_from_the_system_prompt_finds_the_llm_span_and_the_line() {
    let set = load_fixture("agent.otlp.jsonl");
    let found = search(&set, "'weather agent. Use tools");
    assert!(!found.hits.is_empty());
    for h in &found.hits {
        assert_eq!(set.span_name(h.span), "chat gpt-4o");
        assert_eq!(h.field, FieldKind::Prompt);
        assert_eq!(
            h.line, 0,
            "the system prompt is the first line of the prompt"
        );
        let matched: String = h
            .snippet
            .chars()
            .skip(h.ranges[0].0)
            .take(h.ranges[0].1 - h.ranges[0].0)
            .collect();
        assert_eq!(matched, "weather agent. Use tools");
    }
}

#[test]
fn scopes_and_filters_narrow() {
    let set = load_fixture("agent.otlp.jsonl");
    let all = search(&set, "rainy");
    assert!(all.hits.len() >= 4, "{:?}", names(&set, &all));
    let outputs = search(&set, "out:rainy");
    assert!(
        outputs
            .hits
            .iter()
            .all(|h| matches!(h.field, FieldKind::Output | FieldKind::ToolResult))
    );
    let tools = search(&set, "rainy kind:tool");
    assert_eq!(
        names(&set, &tools),
        vec![("execute_tool get_weather".into(), FieldKind::ToolResult)]
    );
    let slow = search(&set, "rainy dur>1s");
    assert_eq!(
        names(&set, &slow),
        vec![("invoke_agent weather_agent".into(), FieldKind::Output)]
    );
    let errors = search(&set, "status:error");
    assert_eq!(
        names(&set, &errors),
        vec![("geocode".into(), FieldKind::Name)]
    );
    let model = search(&set, "model:claude");
    assert_eq!(
        names(&set, &model),
        vec![("chat claude-3".into(), FieldKind::Name)]
    );
    let attr = search(&set, "attr:service weather");
    assert!(
        attr.hits.is_empty(),
        "resource attributes are not span attributes"
    );
    let attr = search(&set, "attr:gen_ai.operation execute");
    assert!(
        attr.hits
            .iter()
            .all(|h| h.key.as_deref() == Some("gen_ai.operation.name"))
    );
    assert_eq!(attr.hits.len(), 3);
}

#[test]
fn exact_regex_and_smart_case() {
    let set = load_fixture("agent.otlp.jsonl");
    assert!(
        search(&set, "'Rainy").hits.is_empty(),
        "upper case: case matters"
    );
    assert!(!search(&set, "'rainy").hits.is_empty());
    let re = search(&set, "re:timed? out after \\d+s");
    assert_eq!(re.hits[0].field, FieldKind::Error);
    assert_eq!(set.span_name(re.hits[0].span), "geocode");
}

#[test]
fn trace_scope_only_searches_that_trace() {
    let set = load_fixture("agent.otlp.jsonl");
    let claude = set.find_trace("1bf7651916cd43dd8448eb211c80319d").unwrap();
    let q = Query::parse("chat").unwrap();
    let found = spanlens::search::run(
        &set,
        &spanlens::search::Index::default(),
        &q,
        Scope::Trace(claude),
        100,
        &|| false,
        &mut |_| {},
    );
    assert!(found.hits.iter().all(|h| set.trace_of(h.span) == claude));
    assert!(!found.hits.is_empty());
}

#[test]
fn a_cancelled_search_stops_and_results_stream() {
    let set = load_fixture("agent.otlp.jsonl");
    let q = Query::parse("paris").unwrap();
    let mut published = 0;
    let found = spanlens::search::run(
        &set,
        &spanlens::search::Index::default(),
        &q,
        Scope::All,
        100,
        &|| true,
        &mut |_| published += 1,
    );
    assert!(!found.done, "a cancelled search is not done");
    assert!(
        published >= 1,
        "short-field results are published before long text is read"
    );
}

#[test]
fn cli_json_has_the_documented_shape() {
    let args = [
        "search",
        "get_wether",
        "tests/fixtures/agent.otlp.jsonl",
        "--json",
        "--limit",
        "2",
    ];
    let out = run_spanlens(&args, &[]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["query"], "get_wether");
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 2);
    for key in ["trace_id", "span_id", "span", "field", "snippet", "score"] {
        assert!(!hits[0][key].is_null(), "missing {key}: {}", hits[0]);
    }
    assert_eq!(hits[0]["span"], "execute_tool get_weather");
    assert!(hits[0]["score"].as_u64() >= hits[1]["score"].as_u64());
}

/// Runs the searches the app asked for, synchronously, and feeds back the results.
fn run_searches(app: &mut spanlens::tui::app::App) {
    for e in std::mem::take(&mut app.effects) {
        if let Effect::Search(req) = e {
            let found = spanlens::search::run(
                &app.set,
                &spanlens::search::Index::default(),
                &req.query,
                req.scope,
                req.limit,
                &|| false,
                &mut |_| {},
            );
            app.on_search_found(req.generation, found, req.as_filter);
        }
    }
}

#[test]
fn typing_a_query_and_enter_lands_on_the_span_and_line() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "/");
    type_keys(&mut app, "timed out");
    run_searches(&mut app);
    assert!(app.search.found.total >= 1);
    press(&mut app, "enter");
    assert_eq!(app.screen, Screen::Trace, "the hit's trace opened");
    assert_eq!(selected_name(&app), "geocode");
    assert_eq!(app.focus, Focus::Detail);
    let line = &app.detail.doc.lines[app.detail.cursor];
    let text: String = line.line.spans.iter().map(|s| s.content.as_ref()).collect();
    assert!(
        text.to_lowercase().contains("timed out"),
        "the detail scrolled to the match: {text:?}"
    );
    assert!(app.status.as_deref().unwrap().starts_with("hit 1 of"));
}

#[test]
fn n_and_shift_n_step_through_hits() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "/rainy");
    run_searches(&mut app);
    let total = app.search.found.total;
    assert!(total >= 3);
    press(&mut app, "enter");
    let first = app.selected_span();
    type_keys(&mut app, "n");
    assert_eq!(app.search.current, Some(1));
    type_keys(&mut app, "N");
    assert_eq!(app.search.current, Some(0));
    assert_eq!(app.selected_span(), first);
    type_keys(&mut app, "N");
    assert_eq!(
        app.search.current,
        Some(total.min(spanlens::tui::search::LIST_LIMIT) - 1),
        "N wraps to the last hit"
    );
}

#[test]
fn filter_mode_keeps_ancestors_and_clearing_restores() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    press(&mut app, "enter");
    type_keys(&mut app, "/geocode (retry)");
    press(&mut app, "ctrl-f");
    run_searches(&mut app);
    let tree = app.tree.as_ref().unwrap();
    let shown: Vec<&str> = tree
        .rows
        .iter()
        .map(|&i| app.set.span_name(spanlens::model::SpanIx(i)))
        .collect();
    assert_eq!(
        shown,
        vec![
            "invoke_agent weather_agent",
            "execute_tool get_weather",
            "geocode (retry)"
        ]
    );
    assert_eq!(tree.hidden_by_filter(), 4);
    assert!(app.status.as_deref().unwrap().contains("4 spans hidden"));
    type_keys(&mut app, "F");
    assert_eq!(app.tree.as_ref().unwrap().rows.len(), 7);
}

#[test]
fn stale_results_are_dropped() {
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "/ra");
    let old = app.search.generation;
    type_keys(&mut app, "i");
    let stale = Found {
        hits: vec![],
        total: 99,
        done: true,
    };
    assert!(!app.on_search_found(old, stale, false));
    assert_ne!(app.search.found.total, 99);
}

/// Large scopes scan raw bytes and decode only the best hits; small ones decode every
/// span. On the same generated traces both paths must find the same spans and fields for
/// exact and regex queries (fuzzy ranking may legitimately differ in which line wins).
#[test]
fn raw_scan_and_decoding_agree() {
    use spanlens::search::{Job, Strategy, run_using};
    use spanlens_synth::GenFormat;
    for (format, name) in [
        (GenFormat::Otlp, "agree.otlp.jsonl"),
        (GenFormat::Mlflow, "agree.mlflow.jsonl"),
        (GenFormat::Parquet, "agree.parquet"),
    ] {
        let set = load_text(name, &generated(3000, format));
        let index = spanlens::search::Index::default();
        for q in [
            "'timed out",
            "'Paris",
            "re:[Ww]eather (in|for) \\w+",
            "'\"city\"",
        ] {
            let query = Query::parse(q).expect("query parses");
            let job = Job {
                set: &set,
                index: &index,
                query: &query,
                scope: Scope::All,
                limit: 100_000,
            };
            let get = |s| {
                let found = run_using(job, s, &|| false, &mut |_| {});
                assert!(found.done, "{name} {q}: finished");
                let mut v: Vec<_> = found.hits.iter().map(|h| (h.span, h.field)).collect();
                v.sort();
                v.dedup();
                (v, found.total)
            };
            let (raw, raw_total) = get(Strategy::Raw);
            let (decoded, decoded_total) = get(Strategy::Decode);
            assert!(!decoded.is_empty(), "{name} {q}: the generator writes this");
            assert_eq!(raw, decoded, "{name} {q}: same spans and fields");
            assert_eq!(raw_total, decoded_total, "{name} {q}: same totals");
        }
    }
}

/// Parquet string cells are kept as raw UTF-8: the raw scan must find a needle with
/// quotes, a backslash and non-ASCII as written, not only in its JSON-escaped spellings.
#[test]
fn raw_scan_finds_unescaped_text_in_parquet_cells() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampNanosecondArray};
    use spanlens::search::{Job, Strategy, run_using};
    use std::sync::Arc;
    let text = |v: Vec<&str>| -> ArrayRef { Arc::new(StringArray::from(v)) };
    let batch = RecordBatch::try_from_iter(vec![
        ("name", text(vec!["ask", "other"])),
        ("span_kind", text(vec!["LLM", "LLM"])),
        (
            "start_time",
            Arc::new(TimestampNanosecondArray::from(vec![1, 2])) as ArrayRef,
        ),
        ("context.span_id", text(vec!["aa01", "aa02"])),
        ("context.trace_id", text(vec!["t1", "t1"])),
        (
            "attributes.input.value",
            text(vec![
                r#"[{"role": "user", "content": "she said \"hi\" to C:\\café"}]"#,
                "nothing here",
            ]),
        ),
        ("attributes.note", text(vec!["plain", r#"say "hi" \ café"#])),
    ])
    .unwrap();
    let mut bytes = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let set = load_text("needles.parquet", &bytes);
    let index = spanlens::search::Index::default();
    for (q, want) in [
        (r#"'say "hi" \ café"#, ("other", FieldKind::Attribute)),
        (r#"'said "hi" to C:\café"#, ("ask", FieldKind::Prompt)),
    ] {
        let query = Query::parse(q).expect("query parses");
        let job = Job {
            set: &set,
            index: &index,
            query: &query,
            scope: Scope::All,
            limit: 100,
        };
        for strategy in [Strategy::Raw, Strategy::Decode] {
            let found = run_using(job, strategy, &|| false, &mut |_| {});
            assert_eq!(
                names(&set, &found),
                [(want.0.to_owned(), want.1)],
                "{q} ({strategy:?})"
            );
        }
    }
}

/// Many terminals act on C1 controls even UTF-8 encoded (U+009B is CSI) and on bidi
/// overrides: every JSON report writes them as `\u` escapes, meaning the same JSON.
#[test]
fn json_reports_escape_c1_controls_and_bidi_overrides() {
    let name = "evil\u{9b}31m\u{202e}gnihton\u{85}";
    let line = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"00000000000000000000000000000001","spanId":"0000000000000001","name":"{name}","startTimeUnixNano":"1","endTimeUnixNano":"2"}}]}}]}}]}}"#
    );
    let left = temp_file("c1-left.otlp.jsonl", line.as_bytes());
    let right = temp_file(
        "c1-right.otlp.jsonl",
        line.replace("\"2\"", "\"9\"").as_bytes(),
    );
    let (l, r) = (left.to_str().unwrap(), right.to_str().unwrap());
    let runs = [
        vec!["search", "--json", "evil", l],
        vec!["summary", "--json", l],
        vec!["diff", "--format", "json", l, r],
    ];
    for args in runs {
        let out = run_spanlens(&args, &[]);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        for raw in ['\u{9b}', '\u{202e}', '\u{85}'] {
            assert!(!text.contains(raw), "{args:?}: {raw:?} printed raw: {text}");
        }
        if args[0] != "summary" {
            assert!(
                text.contains(r"evil\u009b31m\u202egnihton\u0085"),
                "{args:?}: {text}"
            );
        }
        let v: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert!(v.to_string().contains(name) || args[0] == "summary");
    }
}

/// A scope or predicate the language does not know is an error naming the valid ones, in
/// the CLI (exit 2) and on the explorer's query line; never fuzzy text or zero hits.
#[test]
fn unknown_scopes_and_predicates_are_errors_in_the_cli_and_the_query_line() {
    for q in ["flavour:bad", "start>2026-01-01"] {
        let out = run_spanlens(&["search", q, "tests/fixtures/agent.otlp.jsonl"], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{q}: {err}");
        assert!(
            err.contains("unknown scope") && err.contains("tool:"),
            "{q}: {err}"
        );
        assert!(out.stdout.is_empty(), "{q}");
    }
    let mut app = app_for(&["agent.otlp.jsonl"]);
    type_keys(&mut app, "/flavour:bad");
    let error = app
        .search
        .error
        .clone()
        .expect("the query line shows an error");
    assert!(
        error.contains("unknown scope") && error.contains("name:"),
        "{error}"
    );
    assert!(app.search.found.hits.is_empty());
}

/// Above `RAW_SCAN_MIN` (20,000) spans the long fields are scanned raw. Whatever the limit
/// and whichever path, a query must find the same hits with the same total, best first,
/// and every span whose text holds the query words as written must be among them.
#[test]
fn large_scopes_give_the_same_hits_whatever_the_limit_and_path() {
    use spanlens::search::{Job, Strategy, run_using};
    let set = load_text("large.otlp.jsonl", &generated(20_500, GenFormat::Otlp));
    assert!(set.spans.len() > 20_000);
    let index = spanlens::search::Index::default();
    let get = |query: &Query, strategy, limit| {
        let job = Job {
            set: &set,
            index: &index,
            query,
            scope: Scope::All,
            limit,
        };
        run_using(job, strategy, &|| false, &mut |_| {})
    };
    let key = |f: &Found| -> Vec<_> {
        (f.hits.iter())
            .map(|h| (h.span, h.field, h.key.clone()))
            .collect()
    };
    // Filters keep the test quick (fuzzy scans are slow in a debug build) while the scope
    // stays above 20,000 spans.
    for q in ["paris kind:tool", "timed out status:error", "'Paris"] {
        let query = Query::parse(q).expect("query parses");
        let t = std::time::Instant::now();
        let all = get(&query, Strategy::Auto, 1_000_000);
        eprintln!("{q}: {} hits in {:?}", all.total, t.elapsed());
        assert!(all.total > 0, "{q}: the generator writes this");
        assert_eq!(all.total, all.hits.len(), "{q}");
        let few = get(&query, Strategy::Auto, 10);
        assert_eq!(few.total, all.total, "{q}: the total with limit 10");
        assert_eq!(key(&few), key(&all)[..10], "{q}: the best 10");
        if q.starts_with('\'') {
            // Fuzzy queries scan raw text on either path; exact ones may decode.
            let mut raw = key(&get(&query, Strategy::Raw, 1_000_000));
            let mut decoded = key(&get(&query, Strategy::Decode, 1_000_000));
            raw.sort();
            decoded.sort();
            assert!(raw == decoded, "{q}: both paths find the same hits");
            continue;
        }
        // Every span (of the first 3,000) whose decoded text holds the words is found.
        let words: Vec<&str> = query.text.split_whitespace().collect();
        let hit: std::collections::HashSet<_> = all.hits.iter().map(|h| h.span).collect();
        let missed: Vec<u32> = (0..3000u32)
            .filter(|&i| {
                let ix = spanlens::model::SpanIx(i);
                if !spanlens::search::engine::passes(&set, ix, &query.filters) {
                    return false;
                }
                let d = spanlens::model::detail::detail(&set, ix);
                let fields = spanlens::search::fields::long_fields(&set, ix, &d, false);
                let holds = fields.iter().any(|f| {
                    (f.text.to_lowercase().split('\n')).any(|l| words.iter().all(|w| l.contains(w)))
                });
                holds && !hit.contains(&ix)
            })
            .collect();
        assert!(
            missed.is_empty(),
            "{q}: spans holding the words not found: {missed:?}"
        );
    }
}
