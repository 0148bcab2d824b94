//! Unit tests of the stats core: percentiles, critical path, tools, filters.

use super::*;

#[test]
fn percentile_is_nearest_rank() {
    let v: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&v, 50.0), Some(5));
    assert_eq!(percentile(&v, 90.0), Some(9));
    assert_eq!(percentile(&v, 99.0), Some(10));
    assert_eq!(percentile(&v, 100.0), Some(10));
    assert_eq!(percentile(&v, 0.0), Some(1));
    assert_eq!(percentile(&[7], 50.0), Some(7));
    assert_eq!(percentile(&[], 50.0), None);
}

/// Spans in pre-order from (parent position, start, end); subtree ends are derived.
fn tree(nodes: &[(Option<usize>, i64, Option<i64>)]) -> Vec<crate::model::Span> {
    use crate::model::span::NO_PARENT;
    let mut spans: Vec<crate::model::Span> = nodes
        .iter()
        .map(|&(parent, start, end)| crate::model::Span {
            parent: parent.map_or(NO_PARENT, |p| p as u32),
            start_ns: start,
            end: crate::model::MaybeNs::new(end),
            ..Default::default()
        })
        .collect();
    for i in (0..spans.len()).rev() {
        let end = (i + 1..spans.len())
            .take_while(|&j| {
                let mut p = spans[j].parent;
                while p != NO_PARENT && p as usize > i {
                    p = spans[p as usize].parent;
                }
                p as usize == i
            })
            .last()
            .map_or(i + 1, |j| j + 1);
        spans[i].subtree_end = end as u32;
    }
    spans
}

#[test]
fn critical_path_skips_parallel_children_that_finish_first() {
    // R [0,100] runs P1 [0,50] and P2 [0,80] in parallel, then Q [80,100].
    let spans = tree(&[
        (None, 0, Some(100)),
        (Some(0), 0, Some(50)),
        (Some(0), 0, Some(80)),
        (Some(0), 80, Some(100)),
    ]);
    let cp = critical::critical_path(&spans, 0, 0, 100);
    assert_eq!(cp, vec![0, 0, 80, 20]);
    let mut buf = Vec::new();
    let selfs: Vec<i64> = (0..4)
        .map(|i| critical::self_time(&spans, 0, i, &mut buf))
        .collect();
    assert_eq!(selfs, vec![0, 50, 80, 20]);
}

#[test]
fn critical_path_walks_back_through_nested_and_overlapping_spans() {
    // A [0,100]: B [10,60] and C [20,90] overlap, C holds E [30,80], then D [92,98].
    let spans = tree(&[
        (None, 0, Some(100)),
        (Some(0), 10, Some(60)),
        (Some(0), 20, Some(90)),
        (Some(2), 30, Some(80)),
        (Some(0), 92, Some(98)),
    ]);
    let cp = critical::critical_path(&spans, 0, 0, 100);
    // A: 98..100, 90..92 and 0..10; B: 10..20 (before C starts); C: 20..30 and 80..90.
    assert_eq!(cp, vec![14, 10, 20, 50, 6]);
    assert_eq!(cp.iter().sum::<i64>(), 100);
}

#[test]
fn critical_path_handles_gaps_orphans_and_spans_without_end() {
    // Two roots with a gap between them (an orphan made a root), and a child still running.
    let spans = tree(&[
        (None, 0, Some(40)),
        (Some(0), 5, None),
        (None, 60, Some(100)),
        (Some(2), 50, Some(120)),
    ]);
    let cp = critical::critical_path(&spans, 0, 0, 120);
    // The gap 40..50 belongs to no span; the child that starts early and ends late is cut
    // to its parent's [60,100]; the trace's last 20 ns are outside every root.
    assert_eq!(cp, vec![40, 0, 0, 40]);
}

#[test]
fn histogram_spreads_values_over_equal_bins() {
    assert_eq!(histogram(&[0, 1, 2, 3, 9, 10], 5), vec![2, 2, 0, 0, 2]);
    assert_eq!(histogram(&[5, 5, 5], 3), vec![3, 0, 0]);
    assert_eq!(histogram(&[], 4), vec![0; 4]);
    assert!(histogram(&[1, 2], 0).is_empty());
}

#[test]
fn tool_names_in_every_definition_shape() {
    use serde_json::json;
    let names = |v: serde_json::Value| {
        let mut out = std::collections::BTreeSet::new();
        tools::tool_names(&v, &mut out);
        out.into_iter().collect::<Vec<_>>()
    };
    // OpenAI chat, OpenAI responses / GenAI flat, Anthropic.
    assert_eq!(
        names(
            json!([{"type": "function", "function": {"name": "a"}}, {"type": "function", "name": "b"}, {"name": "c", "input_schema": {}}])
        ),
        ["a", "b", "c"]
    );
    // Gemini and Bedrock.
    assert_eq!(
        names(
            json!([{"functionDeclarations": [{"name": "g1"}, {"name": "g2"}]}, {"toolSpec": {"name": "bedrock"}}])
        ),
        ["bedrock", "g1", "g2"]
    );
    // A JSON string holding a list (OTLP attributes), and a map from name to definition.
    assert_eq!(
        names(json!(
            "[{\"type\":\"function\",\"function\":{\"name\":\"s\"}}]"
        )),
        ["s"]
    );
    assert_eq!(
        names(
            json!({"lookup": {"description": "x", "parameters": {}}, "refund": {"parameters": {}}})
        ),
        ["lookup", "refund"]
    );
    // OpenInference flattened `llm.tools.N.tool.json_schema` objects.
    assert_eq!(
        names(json!({"tool": {"json_schema": "{\"function\":{\"name\":\"oi\"}}"}})),
        ["oi"]
    );
    assert!(names(json!({"type": "object", "properties": {}})).is_empty());
}

#[test]
fn session_slope_is_least_squares_per_turn() {
    assert_eq!(sessions::slope(&[150, 300, 500, 700, 900]), 190.0);
    assert_eq!(sessions::slope(&[5, 5, 5]), 0.0);
    assert_eq!(sessions::slope(&[7]), 0.0);
    assert_eq!(sessions::slope(&[]), 0.0);
}

#[test]
fn group_by_names_round_trip() {
    for g in GroupBy::ALL {
        assert_eq!(GroupBy::from_name(g.as_str()), Some(g));
    }
    for k in SortKey::ALL {
        assert_eq!(SortKey::from_name(k.as_str()), Some(k));
    }
    assert_eq!(GroupBy::from_name("colour"), None);
}
