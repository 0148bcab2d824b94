//! `spanlens stats` and the stats core: the JSON checked against counts walked here span by
//! span, on generated files and on every corpus file; the tool lens (loops, repeats,
//! declared-unused tools in each convention), trace metadata, and the trace filter.

use crate::common::{corpus, load_paths, run_spanlens, temp_file};
use serde_json::{Value, json};
use spanlens::diff::align::strip_operation;
use spanlens::model::{SpanIx, SpanKind, TraceIx, TraceSet};
use spanlens::stats::{self, GroupBy, TraceFilter};
use spanlens_synth::{GenFormat, GenOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What one step should show, counted here without the stats code.
#[derive(Default, Debug)]
struct Expected {
    calls: u64,
    errors: u64,
    traces: u64,
    max_per_trace: u64,
    input_tokens: u64,
    output_tokens: u64,
    durations: Vec<i64>,
}

fn nearest_rank(sorted: &[i64], p: f64) -> Value {
    if sorted.is_empty() {
        return Value::Null;
    }
    let rank = ((p / 100.0 * sorted.len() as f64).ceil() as usize).max(1);
    json!(sorted[rank - 1])
}

/// Steps by key, walking every span of every trace.
fn expected_steps(set: &TraceSet) -> BTreeMap<String, Expected> {
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    for (t, trace) in set.traces.iter().enumerate() {
        let mut in_trace: HashMap<String, u64> = HashMap::new();
        for i in trace.spans() {
            let s = &set.spans[i];
            assert_eq!(s.trace as usize, t);
            let key = stats::step_key(set, SpanIx(i as u32));
            let e = out.entry(key.clone()).or_default();
            e.calls += 1;
            e.errors += u64::from(s.is_error());
            e.input_tokens += u64::from(s.tokens.input().unwrap_or(0));
            e.output_tokens += u64::from(s.tokens.output().unwrap_or(0));
            if let Some(end) = s.end_ns().filter(|e| *e >= s.start_ns) {
                e.durations.push(end - s.start_ns);
            }
            *in_trace.entry(key).or_default() += 1;
        }
        for (key, n) in in_trace {
            let e = out.get_mut(&key).unwrap();
            e.traces += 1;
            e.max_per_trace = e.max_per_trace.max(n);
        }
    }
    for e in out.values_mut() {
        e.durations.sort_unstable();
    }
    out
}

/// Tool calls by name, walking every span.
fn expected_tools(set: &TraceSet) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in &set.spans {
        let sym = if !s.tool.is_empty() {
            s.tool
        } else if s.kind == SpanKind::Tool {
            s.name
        } else {
            continue;
        };
        let name = match strip_operation(set.str(sym)) {
            "" => "unknown",
            n => n,
        };
        let e = out.entry(name.to_owned()).or_default();
        e.0 += 1;
        e.1 += u64::from(s.is_error());
    }
    out
}

/// Runs `spanlens stats --json` on `path` and checks it against the walk of `set`.
fn check_against_walk(path: &Path, set: &TraceSet) {
    let out = run_spanlens(&["stats", "--json", path.to_str().unwrap()], &[]);
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stats --json is JSON");
    let what = path.display();
    assert_eq!(doc["traces"], json!(set.traces.len()), "{what}");
    assert_eq!(doc["spans"], json!(set.spans.len()), "{what}");
    let errors = set.spans.iter().filter(|s| s.is_error()).count();
    assert_eq!(doc["errors"], json!(errors), "{what}");
    let want = expected_steps(set);
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), want.len(), "{what}: one row per step key");
    let total_duration: i64 = set.traces.iter().map(|t| t.duration_ns()).sum();
    let mut critical = 0;
    for row in steps {
        let key = row["key"].as_str().unwrap();
        let e = &want[key];
        let ctx = format!("{what} step {key}");
        assert_eq!(row["calls"], json!(e.calls), "{ctx}");
        assert_eq!(row["errors"], json!(e.errors), "{ctx}");
        assert_eq!(row["traces"], json!(e.traces), "{ctx}");
        assert_eq!(row["max_calls_per_trace"], json!(e.max_per_trace), "{ctx}");
        assert_eq!(row["input_tokens"], json!(e.input_tokens), "{ctx}");
        assert_eq!(row["output_tokens"], json!(e.output_tokens), "{ctx}");
        let d = &row["duration_ns"];
        for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0)] {
            assert_eq!(d[name], nearest_rank(&e.durations, p), "{ctx} {name}");
        }
        let rate = e.errors as f64 / e.calls as f64;
        assert!(
            (row["error_rate"].as_f64().unwrap() - rate).abs() < 1e-12,
            "{ctx}"
        );
        critical += row["critical_path_ns"].as_i64().unwrap();
    }
    assert!(
        critical <= total_duration,
        "{what}: critical path {critical} > traces' time {total_duration}"
    );
    // Sorted by errors, then p90, descending.
    let order: Vec<(u64, i64)> = steps
        .iter()
        .map(|s| {
            let p90 = s["duration_ns"]["p90"].as_i64().unwrap_or(-1);
            (s["errors"].as_u64().unwrap(), p90)
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] >= w[1]), "{what}: {order:?}");
    let tools = expected_tools(set);
    let rows = doc["tools"].as_array().unwrap();
    assert_eq!(rows.len(), tools.len(), "{what}: tools");
    for row in rows {
        let (calls, errors) = tools[row["name"].as_str().unwrap()];
        assert_eq!(row["calls"], json!(calls), "{what} tool {}", row["name"]);
        assert_eq!(row["errors"], json!(errors), "{what} tool {}", row["name"]);
    }
}

fn gen_file(format: GenFormat, spans: usize, name: &str) -> PathBuf {
    let opts = GenOptions {
        spans,
        format,
        seed: 7,
        error_rate: 0.1,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    spanlens_synth::generate(&opts, &mut bytes).expect("generate");
    temp_file(name, &bytes)
}

#[test]
fn stats_json_matches_a_walk_of_generated_files() {
    for (format, name) in [
        (GenFormat::Otlp, "gen.otlp.jsonl"),
        (GenFormat::Mlflow, "gen.mlflow.jsonl"),
        (GenFormat::Parquet, "gen.parquet"),
    ] {
        let path = gen_file(format, 3_000, name);
        let set = load_paths(std::slice::from_ref(&path));
        assert!(set.spans.iter().any(|s| s.is_error()), "{name} has errors");
        check_against_walk(&path, &set);
    }
}

#[test]
fn stats_json_matches_a_walk_of_every_corpus_file() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: no corpus at ../shared/corpus");
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut checked = 0;
    for path in files {
        let opts = spanlens::load::LoadOptions::default();
        let Ok(set) = spanlens::load::load(std::slice::from_ref(&path), &opts, &|_| {}) else {
            continue;
        };
        check_against_walk(&path, &set);
        checked += 1;
    }
    assert!(checked > 30, "only {checked} corpus files loaded");
}

#[test]
fn stats_reports_generated_sessions_and_markdown() {
    let path = gen_file(GenFormat::Mlflow, 2_000, "sessions.mlflow.jsonl");
    let set = load_paths(std::slice::from_ref(&path));
    let s = stats::compute(&set, &stats::all_traces(&set), GroupBy::Session);
    let with_session = (0..set.traces.len() as u32)
        .filter(|&t| set.trace_meta(TraceIx(t)).session.is_some())
        .count();
    assert_eq!(
        with_session,
        set.traces.len(),
        "MLflow traces carry sessions"
    );
    let turns: usize = s.sessions.iter().map(|x| x.traces.len()).sum();
    assert_eq!(turns, set.traces.len());
    let calls: u64 = s.steps.iter().map(|x| x.calls).sum();
    assert_eq!(
        calls,
        set.spans.len() as u64,
        "every span in some session row"
    );
    let md = run_spanlens(&["stats", "--format", "md", path.to_str().unwrap()], &[]);
    let md = String::from_utf8(md.stdout).unwrap();
    for heading in [
        "### Steps that fail most",
        "### Slowest steps",
        "### Tools",
        "### Prompts",
    ] {
        assert!(md.contains(heading), "{heading} in\n{md}");
    }
    assert!(md.contains("|---|"), "Markdown tables");
}

/// One OTLP span for the inline fixtures.
struct S<'a> {
    trace: &'a str,
    id: &'a str,
    parent: &'a str,
    name: &'a str,
    start: i64,
    end: i64,
    attrs: Vec<(&'a str, &'a str)>,
    error: bool,
}

fn span<'a>(trace: &'a str, id: &'a str, parent: &'a str, name: &'a str, start: i64) -> S<'a> {
    S {
        trace,
        id,
        parent,
        name,
        start,
        end: start + 10,
        attrs: Vec::new(),
        error: false,
    }
}

fn otlp(spans: &[S]) -> Vec<u8> {
    let spans: Vec<Value> = spans
        .iter()
        .map(|s| {
            let attrs: Vec<Value> = s
                .attrs
                .iter()
                .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
                .collect();
            json!({
                "traceId": s.trace, "spanId": s.id, "parentSpanId": s.parent, "name": s.name,
                "kind": 1, "startTimeUnixNano": s.start.to_string(),
                "endTimeUnixNano": s.end.to_string(), "attributes": attrs,
                "status": if s.error { json!({"code": 2, "message": "boom"}) } else { json!({}) },
            })
        })
        .collect();
    let doc = json!({"resourceSpans": [{"resource": {"attributes": []},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]});
    format!("{doc}\n").into_bytes()
}

fn load_otlp(spans: &[S]) -> TraceSet {
    load_paths(&[temp_file("inline.otlp.jsonl", &otlp(spans))])
}

const T1: &str = "0af7651916cd43dd8448eb211c80319c";
const T2: &str = "1bf7651916cd43dd8448eb211c80319c";

fn tool<'a>(
    trace: &'a str,
    id: &'a str,
    parent: &'a str,
    name: &'a str,
    args: &'a str,
    start: i64,
) -> S<'a> {
    let mut s = span(trace, id, parent, "execute_tool", start);
    s.attrs = vec![
        ("gen_ai.operation.name", "execute_tool"),
        ("gen_ai.tool.name", name),
        ("gen_ai.tool.call.arguments", args),
    ];
    s
}

#[test]
fn tool_lens_counts_loops_and_repeated_calls() {
    let spans = vec![
        span(T1, "a000000000000001", "", "agent", 0),
        // Under the agent: lookup ×4 in a row (one loop), search, lookup ×2 (no loop).
        tool(
            T1,
            "b000000000000001",
            "a000000000000001",
            "lookup",
            r#"{"q":1}"#,
            1,
        ),
        tool(
            T1,
            "b000000000000002",
            "a000000000000001",
            "lookup",
            r#"{"q":1}"#,
            2,
        ),
        tool(
            T1,
            "b000000000000003",
            "a000000000000001",
            "lookup",
            r#"{"q":2}"#,
            3,
        ),
        tool(
            T1,
            "b000000000000004",
            "a000000000000001",
            "lookup",
            r#"{"q":3}"#,
            4,
        ),
        tool(
            T1,
            "b000000000000005",
            "a000000000000001",
            "search",
            r#"{"q":1}"#,
            5,
        ),
        tool(
            T1,
            "b000000000000006",
            "a000000000000001",
            "lookup",
            r#"{"q":1}"#,
            6,
        ),
        tool(
            T1,
            "b000000000000007",
            "a000000000000001",
            "lookup",
            r#"{"q":4}"#,
            7,
        ),
        // Another trace: the same arguments again are no repeat across traces; three in a
        // row under the root level count.
        tool(T2, "c000000000000001", "", "lookup", r#"{"q":1}"#, 1),
        tool(T2, "c000000000000002", "", "lookup", r#"{"q":5}"#, 2),
        tool(T2, "c000000000000003", "", "lookup", r#"{"q":6}"#, 3),
    ];
    let set = load_otlp(&spans);
    let s = stats::compute(&set, &stats::all_traces(&set), GroupBy::Step);
    let lookup = s.tools.iter().find(|t| t.name == "lookup").unwrap();
    assert_eq!(lookup.calls, 9);
    assert_eq!(lookup.traces, 2);
    assert_eq!(lookup.max_calls_per_trace, 6);
    assert_eq!(
        lookup.repeated_calls, 2,
        "q:1 twice more in the first trace"
    );
    assert_eq!(
        lookup.loops, 2,
        "a run of 4 under the agent, a run of 3 at the root"
    );
    let search = s.tools.iter().find(|t| t.name == "search").unwrap();
    assert_eq!(
        (search.calls, search.repeated_calls, search.loops),
        (1, 0, 0)
    );
    assert_eq!(lookup.arg_bytes.len(), 9);
}

#[test]
fn declared_but_unused_tools_in_every_convention() {
    let mut genai = span(T1, "a000000000000001", "", "chat gpt-4o", 0);
    genai.attrs = vec![
        ("gen_ai.operation.name", "chat"),
        (
            "gen_ai.tool.definitions",
            r#"[{"type":"function","name":"lookup_order"},{"type":"function","name":"cancel_order"}]"#,
        ),
    ];
    let mut oi = span(T1, "a000000000000002", "", "ChatCompletion", 20);
    oi.attrs = vec![
        ("openinference.span.kind", "LLM"),
        (
            "llm.tools.0.tool.json_schema",
            r#"{"type":"function","function":{"name":"refund","parameters":{}}}"#,
        ),
        (
            "llm.tools.1.tool.json_schema",
            r#"{"type":"function","function":{"name":"escalate","parameters":{}}}"#,
        ),
        // The model asked for `refund`: a call, even without a tool span.
        (
            "output.value",
            r#"{"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"refund","arguments":"{}"}}]}}]}"#,
        ),
    ];
    let mut mlflow = span(T1, "a000000000000003", "", "llm", 40);
    mlflow.attrs = vec![
        ("mlflow.spanType", "\"CHAT_MODEL\""),
        (
            "mlflow.chat.tools",
            r#"[{"type":"function","function":{"name":"mlflow_tool"}}]"#,
        ),
    ];
    let mut openai = span(T1, "a000000000000004", "", "openai.chat", 60);
    openai.attrs = vec![
        ("openinference.span.kind", "LLM"),
        (
            "input.value",
            r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"openai_tool"}},{"type":"function","function":{"name":"lookup_order"}}]}"#,
        ),
    ];
    let called = tool(T1, "a000000000000005", "", "lookup_order", "{}", 80);
    let set = load_otlp(&[genai, oi, mlflow, openai, called]);
    let s = stats::compute(&set, &stats::all_traces(&set), GroupBy::Step);
    assert_eq!(
        s.declared_unused_tools,
        vec!["cancel_order", "escalate", "mlflow_tool", "openai_tool"]
    );
}

#[test]
fn trace_meta_and_filters_across_conventions() {
    let mut a = span(T1, "a000000000000001", "", "agent", 1_000_000_000);
    a.end = 8_000_000_000;
    a.attrs = vec![
        ("session.id", "sess-1"),
        ("user.id", "alice"),
        ("tag.tags", r#"["prod","beta"]"#),
    ];
    let mut t = tool(
        T1,
        "a000000000000002",
        "a000000000000001",
        "lookup_order",
        "{}",
        2_000_000_000,
    );
    t.error = true;
    let mut b = span(T2, "b000000000000001", "", "rewrite query", 1_000_000_000);
    b.attrs = vec![
        ("gen_ai.conversation.id", "conv-9"),
        ("gen_ai.request.model", "gpt-4o"),
    ];
    let set = load_otlp(&[a, t, b]);
    let t1 = set.find_trace(T1).unwrap();
    let t2 = set.find_trace(T2).unwrap();
    let m = set.trace_meta(t1);
    assert_eq!(m.session.as_deref(), Some("sess-1"));
    assert_eq!(m.user.as_deref(), Some("alice"));
    assert_eq!(
        m.tags,
        vec![
            ("prod".into(), String::new()),
            ("beta".into(), String::new())
        ]
    );
    assert_eq!(set.trace_meta(t2).session.as_deref(), Some("conv-9"));
    let hits = |q: &str| -> Vec<TraceIx> {
        let f = TraceFilter::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        (0..set.traces.len() as u32)
            .map(TraceIx)
            .filter(|&t| f.matches(&set, t))
            .collect()
    };
    assert_eq!(hits("status:error"), vec![t1]);
    assert_eq!(hits("status:ok"), vec![t2]);
    assert_eq!(hits("-status:error"), vec![t2]);
    assert_eq!(hits("has:tool:lookup_order"), vec![t1]);
    assert_eq!(hits("has:tool:nothing"), vec![]);
    assert_eq!(hits("has:name:rewrite"), vec![t2]);
    assert_eq!(hits("model:gpt-4"), vec![t2]);
    assert_eq!(hits("dur>5s"), vec![t1]);
    assert_eq!(hits("dur<=5s"), vec![t2]);
    assert_eq!(hits("start>1970-01-01T00:00"), vec![t1, t2]);
    assert_eq!(hits("start<1970-01-01"), vec![]);
    assert_eq!(hits("session:conv-9"), vec![t2]);
    assert_eq!(hits("user:alice status:error"), vec![t1]);
    assert_eq!(hits("tag:prod"), vec![t1]);
    assert_eq!(hits("tag:prod=x"), vec![]);
    let err = TraceFilter::parse("status:error colour:red").unwrap_err();
    assert_eq!(err, stats::FilterError::Unknown("colour:red".into()));
    let msg = err.to_string();
    for p in [
        "status:error",
        "has:tool:NAME",
        "dur>5s",
        "session:",
        "user:",
        "tag:KEY",
    ] {
        assert!(msg.contains(p), "{p} listed in: {msg}");
    }
    assert!(TraceFilter::parse("dur>soon").is_err());
    assert!(TraceFilter::parse("start>yesterday").is_err());
    assert!(TraceFilter::parse("has:colour:red").is_err());
}

#[test]
fn mlflow_trace_metadata_from_the_corpus() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: no corpus at ../shared/corpus");
        return;
    };
    let set = load_paths(&[dir.join("generated/mlflow-v3/mlflow-3.17.2_trace_agent.to_json.json")]);
    let m = set.trace_meta(TraceIx(0));
    assert_eq!(m.session.as_deref(), Some("session-42"));
    assert_eq!(m.user.as_deref(), Some("alice"));
    assert!(m.input_preview.is_some_and(|p| p.contains("Paris")));
    assert!(
        m.fields
            .iter()
            .any(|(k, v)| k == "mlflow.trace.user" && v == "alice")
    );
}

#[test]
fn stats_cli_rejects_unknown_filters_and_columns() {
    let path = gen_file(GenFormat::Otlp, 300, "small.otlp.jsonl");
    let p = path.to_str().unwrap();
    let out = run_spanlens(&["stats", p, "--filter", "colour:red"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown predicate") && err.contains("has:tool:NAME"),
        "{err}"
    );
    let out = run_spanlens(&["stats", p, "--sort", "colour"], &[]);
    assert!(!out.status.success());
    let out = run_spanlens(
        &[
            "stats", p, "--json", "--by", "path", "--sort", "calls", "--limit", "3",
        ],
        &[],
    );
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|s| s["path"].is_string()));
    let calls: Vec<u64> = steps.iter().map(|s| s["calls"].as_u64().unwrap()).collect();
    assert!(calls.windows(2).all(|w| w[0] >= w[1]), "{calls:?}");
}

#[test]
fn mlflow_trace_metadata_is_searchable_with_attr() {
    use spanlens::search::{Index, Job, Query, Scope, Strategy, run_using};
    let path = gen_file(GenFormat::Mlflow, 400, "meta.mlflow.jsonl");
    let set = load_paths(std::slice::from_ref(&path));
    let t = TraceIx(0);
    let user = set
        .trace_meta(t)
        .user
        .expect("generated MLflow traces have a user");
    let session = set.trace_meta(t).session.expect("and a session");
    let with_user: usize = (0..set.traces.len() as u32)
        .filter(|&i| set.trace_meta(TraceIx(i)).user.as_deref() == Some(user.as_str()))
        .count();
    let index = Index::default();
    for strategy in [Strategy::Decode, Strategy::Raw] {
        let q = Query::parse(&format!("attr:mlflow.trace.user '{user}")).unwrap();
        let job = Job {
            set: &set,
            index: &index,
            query: &q,
            scope: Scope::All,
            limit: 10_000,
        };
        let found = run_using(job, strategy, &|| false, &mut |_| {});
        let meta_hits: Vec<_> = found
            .hits
            .iter()
            .filter(|h| h.key.as_deref() == Some("mlflow.trace.user"))
            .collect();
        assert_eq!(meta_hits.len(), with_user, "{strategy:?}");
        assert!(
            meta_hits
                .iter()
                .all(|h| set.span(h.span).parent().is_none())
        );
        let q = Query::parse(&format!("attr:mlflow.trace.session '{session}")).unwrap();
        let found = run_using(Job { query: &q, ..job }, strategy, &|| false, &mut |_| {});
        assert!(
            found
                .hits
                .iter()
                .any(|h| h.key.as_deref() == Some("mlflow.trace.session"))
        );
    }
}

#[test]
fn langfuse_and_langsmith_trace_metadata_from_the_corpus() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: no corpus at ../shared/corpus");
        return;
    };
    let set = load_paths(&[
        dir.join("public/langfuse/langfuse_framework-traces_autogen-2025-06-06.trace.json")
    ]);
    let m = set.trace_meta(TraceIx(0));
    assert_eq!(m.session.as_deref(), Some("session_abc"));
    assert_eq!(m.user.as_deref(), Some("user_123"));
    let tags: Vec<&str> = m.tags.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(tags, ["autogen", "dev"]);
    let f = TraceFilter::parse("session:session_abc user:user_123 tag:autogen").unwrap();
    assert!(f.matches(&set, TraceIx(0)));
    let set = load_paths(&[dir.join("generated/langsmith/langsmith_runs.jsonl")]);
    let m = set.trace_meta(TraceIx(0));
    assert_eq!(m.session.as_deref(), Some("session-42"), "extra.metadata");
    assert_eq!(m.user.as_deref(), Some("alice"));
    assert!(m.tags.iter().any(|(k, _)| k == "demo"));
}

#[test]
fn bad_spans_count_under_unknown_and_are_never_dropped() {
    let mut unnamed = span(T1, "a000000000000001", "", "", 0);
    unnamed.end = -5; // ends before it starts
    let orphan = span(T1, "a000000000000002", "ffffffffffffffff", "orphan step", 3);
    // A parent cycle: each names the other.
    let c1 = span(T2, "c000000000000001", "c000000000000002", "loop a", 0);
    let c2 = span(T2, "c000000000000002", "c000000000000001", "loop b", 1);
    let set = load_otlp(&[unnamed, orphan, c1, c2]);
    assert_eq!(set.spans.len(), 4);
    let s = stats::compute(&set, &stats::all_traces(&set), GroupBy::Step);
    assert_eq!(s.spans, 4);
    let calls: u64 = s.steps.iter().map(|x| x.calls).sum();
    assert_eq!(calls, 4, "every span in a row");
    let unknown = s.steps.iter().find(|x| x.key == "UNKNOWN").unwrap();
    assert_eq!(unknown.name, "unknown");
    assert_eq!((unknown.calls, unknown.unknown_durations), (1, 1));
    assert!(unknown.durations_ns.is_empty());
    for key in ["UNKNOWN orphan step", "UNKNOWN loop a", "UNKNOWN loop b"] {
        assert!(s.steps.iter().any(|x| x.key == key), "{key}");
    }
    let by_path = stats::compute(&set, &stats::all_traces(&set), GroupBy::Path);
    let calls: u64 = by_path.steps.iter().map(|x| x.calls).sum();
    assert_eq!(calls, 4);
}

#[test]
fn drill_down_lists_errors_first_then_the_slowest() {
    let mut fast_error = tool(T1, "a000000000000001", "", "lookup", "{}", 0);
    fast_error.error = true;
    let mut slow = tool(T1, "a000000000000002", "", "lookup", "{}", 10);
    slow.end = 1_000;
    let mut slow_error = tool(T2, "b000000000000001", "", "lookup", "{}", 0);
    slow_error.error = true;
    slow_error.end = 500;
    let quick = tool(T2, "b000000000000002", "", "lookup", "{}", 600);
    let set = load_otlp(&[fast_error, slow, slow_error, quick]);
    let s = stats::compute(&set, &stats::all_traces(&set), GroupBy::Step);
    let step = s.steps.iter().find(|x| x.key == "TOOL lookup").unwrap();
    assert_eq!(step.top_errors[0].message, "boom");
    assert_eq!(step.top_errors[0].count, 2);
    let order: Vec<(bool, i64)> = stats::worst_first(&set, &step.spans)
        .iter()
        .map(|&ix| (set.span(ix).is_error(), set.span(ix).duration_ns()))
        .collect();
    assert_eq!(
        order,
        vec![(true, 500), (true, 10), (false, 990), (false, 10)]
    );
}

#[test]
fn by_path_tells_the_same_tool_under_two_agents_apart() {
    let mut a = span(T1, "a000000000000001", "", "invoke_agent billing", 0);
    a.attrs = vec![("gen_ai.operation.name", "invoke_agent")];
    let mut b = span(T1, "a000000000000002", "", "invoke_agent support", 20);
    b.attrs = vec![("gen_ai.operation.name", "invoke_agent")];
    let spans = [
        a,
        tool(
            T1,
            "b000000000000001",
            "a000000000000001",
            "lookup",
            "{}",
            1,
        ),
        b,
        tool(
            T1,
            "b000000000000002",
            "a000000000000002",
            "lookup",
            "{}",
            21,
        ),
        tool(
            T1,
            "b000000000000003",
            "a000000000000002",
            "lookup",
            "{}",
            22,
        ),
    ];
    let set = load_otlp(&spans);
    let by_step = stats::compute(&set, &stats::all_traces(&set), GroupBy::Step);
    let lookup = by_step
        .steps
        .iter()
        .find(|s| s.key == "TOOL lookup")
        .unwrap();
    assert_eq!(lookup.calls, 3);
    let by_path = stats::compute(&set, &stats::all_traces(&set), GroupBy::Path);
    let row = |key: &str| by_path.steps.iter().find(|s| s.key == key).map(|s| s.calls);
    assert_eq!(row("AGENT billing > TOOL lookup"), Some(1));
    assert_eq!(row("AGENT support > TOOL lookup"), Some(2));
    let support = by_path
        .steps
        .iter()
        .find(|s| s.key == "AGENT support > TOOL lookup")
        .unwrap();
    assert_eq!(support.path.as_deref(), Some("support > lookup"));
    let by_tool = stats::compute(&set, &stats::all_traces(&set), GroupBy::Tool);
    let names: Vec<(&str, u64)> = by_tool
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.calls))
        .collect();
    assert!(
        names.contains(&("lookup", 3)) && names.contains(&("(no tool)", 2)),
        "{names:?}"
    );
}
