use super::*;
use crate::model::{Flags, SpanIx};

/// One OTLP/JSON request line holding one span (with an attribute and a status message).
fn otlp_line(trace: &str, span: &str, parent: &str, name: &str, start: u64) -> String {
    format!(
        concat!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[]}},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":["#,
            r#"{{"traceId":"{}","spanId":"{}","parentSpanId":"{}","name":"{}","kind":1,"#,
            r#""startTimeUnixNano":"{}","endTimeUnixNano":"{}","#,
            r#""attributes":[{{"key":"note","value":{{"stringValue":"said {}"}}}}],"#,
            r#""status":{{"code":1,"message":"fine {}"}}}}]}}]}}]}}"#,
            "\n"
        ),
        trace,
        span,
        parent,
        name,
        start,
        start + 1000,
        name,
        name
    )
}

const T1: &str = "0af7651916cd43dd8448eb211c80319c";
const T2: &str = "1af7651916cd43dd8448eb211c80319c";

fn names(set: &TraceSet) -> Vec<String> {
    (0..set.spans.len() as u32)
        .map(|i| set.span_name(SpanIx(i)).to_owned())
        .collect()
}

#[test]
fn a_trace_split_over_chunks_joins_one_tree() {
    let mut live = LiveLoad::new("live.jsonl", None);
    let root = otlp_line(T1, "00f067aa0ba902b7", "", "root", 1_000);
    let other = otlp_line(T2, "10f067aa0ba902b7", "", "other", 500);
    assert_eq!(live.push_lines(format!("{root}{other}").into_bytes()), 2);
    let child = otlp_line(T1, "20f067aa0ba902b7", "00f067aa0ba902b7", "child", 2_000);
    assert_eq!(live.push_lines(child.into_bytes()), 1);
    let set = live.snapshot();
    assert!(!set.partial);
    assert_eq!(set.traces.len(), 2);
    let t = set.find_trace(T1).unwrap();
    let spans: Vec<_> = set.trace(t).spans().collect();
    assert_eq!(spans.len(), 2);
    let child = crate::model::SpanIx(spans[1] as u32);
    assert_eq!(set.span_name(child), "child");
    assert_eq!(set.span(child).parent(), Some(SpanIx(spans[0] as u32)));
    assert!(!set.span(child).flags.has(Flags::ORPHAN));
    assert_eq!(live.spans(), 3);
    assert_eq!(set.files.len(), 1);
    assert_eq!(set.files[0].path, "live.jsonl");
}

#[test]
fn text_of_every_chunk_resolves_after_merges() {
    let mut live = LiveLoad::new("live.jsonl", None);
    for i in 0..40u64 {
        let line = otlp_line(T1, &format!("{:016x}", i + 1), "", &format!("s{i}"), i * 10);
        live.push_lines(line.into_bytes());
    }
    assert!(live.segments.len() <= 8, "{} segments", live.segments.len());
    let set = live.snapshot();
    assert_eq!(set.spans.len(), 40);
    for ix in 0..40u32 {
        let ix = SpanIx(ix);
        let name = set.span_name(ix).to_owned();
        assert_eq!(set.attr_value(ix, "note").unwrap(), format!("said {name}"));
        let msg = set.sources.text(set.span(ix).status_msg.unwrap());
        assert_eq!(msg, format!("fine {name}"));
    }
}

#[test]
fn a_bad_line_is_reported_at_its_true_line_and_the_rest_loads() {
    let mut live = LiveLoad::new("live.jsonl", None);
    let a = otlp_line(T1, "00f067aa0ba902b7", "", "a", 1);
    live.push_lines(format!("{a}{a}").into_bytes());
    let b = otlp_line(T2, "10f067aa0ba902b7", "", "b", 2);
    // Line 3 is fine, line 4 is not JSON, line 5 is fine.
    live.push_lines(format!("{b}not json at all\n{b}").into_bytes());
    let set = live.snapshot();
    assert_eq!(set.spans.len(), 4, "{:?}", names(&set));
    let d: Vec<_> = set.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        d.iter().any(|d| d.starts_with("live.jsonl: line 4:")),
        "{d:?}"
    );
}

#[test]
fn notices_are_diagnostics() {
    let mut live = LiveLoad::new("live.jsonl", None);
    live.notice("file was truncated: reading it again from the start");
    let set = live.snapshot();
    assert_eq!(set.spans.len(), 0);
    assert_eq!(
        set.diagnostics[0].to_string(),
        "live.jsonl: file was truncated: reading it again from the start"
    );
}

#[test]
fn lines_of_an_unknown_format_are_reported_and_later_lines_still_detect() {
    let mut live = LiveLoad::new("live.jsonl", None);
    assert_eq!(live.push_lines(b"{\"hello\":1}\n".to_vec()), 0);
    let a = otlp_line(T1, "00f067aa0ba902b7", "", "a", 1);
    assert_eq!(live.push_lines(a.into_bytes()), 1);
    assert_eq!(live.format(), Some(Format::Otlp));
    let set = live.snapshot();
    let d = set.diagnostics[0].to_string();
    assert!(
        d.starts_with("live.jsonl: line 1: skipped line: not a trace format"),
        "{d}"
    );
}

#[test]
fn a_forced_format_is_used() {
    let mut live = LiveLoad::new("x", Some(Format::Otlp));
    assert_eq!(live.format(), Some(Format::Otlp));
    let a = otlp_line(T1, "00f067aa0ba902b7", "", "a", 1);
    assert_eq!(live.push_lines(a.into_bytes()), 1);
}
