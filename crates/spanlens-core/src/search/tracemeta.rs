//! Trace-level metadata as searchable attributes: MLflow trace metadata and tags
//! (`mlflow.trace.user`, `mlflow.trace.session`, `tags.KEY`), request and response
//! previews, and a Langfuse trace's session, user and tags. They live in the trace's own
//! record, not in any span, so hits are reported on the trace's first span, as attributes
//! keyed by the metadata key (`attr:mlflow.trace.user alice` finds them).

use super::engine::{Hit, key_wanted};
use super::matcher::TextMatcher;
use super::query::{FieldKind, Query};
use crate::model::meta::record_fields;
use crate::model::{SpanIx, TraceSet};
use rayon::prelude::*;

/// Hits in the records of the traces whose first span is in `range` and passes `keep`.
pub fn hits(
    set: &TraceSet,
    q: &Query,
    range: std::ops::Range<usize>,
    keep: &(dyn Fn(SpanIx) -> bool + Sync),
) -> Vec<Hit> {
    if !q.searches(FieldKind::Attribute) {
        return Vec::new();
    }
    set.traces
        .par_iter()
        .enumerate()
        .filter(|(_, t)| t.info.is_some() && t.span_count() > 0)
        .filter(|(_, t)| range.contains(&(t.span_start as usize)))
        .filter(|(_, t)| keep(SpanIx(t.span_start)))
        // PERF: one matcher per piece of work, not per trace: building its regex was most
        // of a search of 222,224 traces (search records JSON, 1M spans).
        .map_init(
            || TextMatcher::new(q),
            |m, (i, t)| {
                let root = SpanIx(t.span_start);
                record_fields(set, crate::model::TraceIx(i as u32))
                    .into_iter()
                    .filter(|(k, _)| key_wanted(q, Some(k)))
                    .filter_map(|(k, text)| {
                        m.best_line(&text).map(|lm| Hit {
                            span: root,
                            field: FieldKind::Attribute,
                            key: Some(k),
                            line: lm.line,
                            snippet: lm.snippet,
                            ranges: lm.ranges,
                            score: lm.score + FieldKind::Attribute.weight(),
                        })
                    })
                    .collect::<Vec<_>>()
            },
        )
        .flatten_iter()
        .collect()
}
