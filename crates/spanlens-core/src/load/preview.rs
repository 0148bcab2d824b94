//! What a large file shows before it has loaded: running tallies of its traces, reported
//! block by block (so the explorer can list traces, errors and slow ones first), and on
//! request the spans of one trace read so far. Counts are final only once loading is
//! done; until then a trace may grow.

use super::input::Input;
use super::sink::Sink;
use crate::model::{Batch, TraceSet};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The trace the explorer wants to see before the load ends. The loader looks after each
/// block and answers with `Progress::partial`.
#[derive(Debug, Default)]
pub struct Peek {
    wanted: Mutex<Option<String>>,
}

impl Peek {
    /// Asks for the spans of `trace_id` read so far (a later ask replaces an earlier one).
    pub fn want(&self, trace_id: &str) {
        if let Ok(mut w) = self.wanted.lock() {
            *w = Some(trace_id.to_owned());
        }
    }

    fn take(&self) -> Option<String> {
        self.wanted.lock().ok().and_then(|mut w| w.take())
    }
}

/// What the loading list and a pending ask get after a block or group: the tallies of
/// the last `fresh` of `parts` (all read so far) and, if asked, the wanted trace.
pub(super) fn with_preview(
    p: super::Progress,
    peek: &Peek,
    (input, format): (&Input, &str),
    parts: &[Sink],
    fresh: usize,
) -> super::Progress {
    let new = &parts[parts.len() - fresh..];
    super::Progress {
        traces: tally(new.iter().map(|s| &s.batch)),
        partial: answer(peek, input, format, parts),
        ..p
    }
}

/// Answers the pending ask, if any: the spans of the wanted trace among `parts` (all read
/// so far), as a trace set of its own that reads text from the same input. The arenas of
/// the parts that hold some of the trace are copied, the others left empty.
fn answer(peek: &Peek, input: &Input, format: &str, parts: &[Sink]) -> Option<Arc<TraceSet>> {
    let id = peek.take()?;
    let parts: Vec<Sink> = (parts.iter())
        .map(|p| match p.batch.extract(&id) {
            Some(batch) => Sink {
                batch,
                arena: p.arena.clone(),
                src: p.src,
                cells: p.cells.clone(),
                in_input: p.in_input,
            },
            None => Sink {
                src: p.src,
                ..Sink::default()
            },
        })
        .collect();
    let load = Sink::default().into_load_parts(input, format.to_owned(), parts);
    Some(partial_set(load))
}

fn partial_set(load: crate::model::FileLoad) -> Arc<TraceSet> {
    let mut set = crate::model::build::build(vec![load], Vec::new());
    set.mark_partial();
    Arc::new(set)
}

/// What is known so far of one trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceTally {
    pub trace_id: String,
    /// The root span's name, once the root has been seen.
    pub root: String,
    pub spans: u32,
    pub errors: u32,
    pub start_ns: i64,
    pub end_ns: i64,
    pub tokens: u64,
}

impl TraceTally {
    /// Adds what another block saw of the same trace.
    pub fn absorb(&mut self, o: &TraceTally) {
        if self.spans == 0 {
            *self = o.clone();
            return;
        }
        if self.root.is_empty() {
            self.root.clone_from(&o.root);
        }
        self.spans += o.spans;
        self.errors += o.errors;
        self.start_ns = self.start_ns.min(o.start_ns);
        self.end_ns = self.end_ns.max(o.end_ns);
        self.tokens += o.tokens;
    }

    pub fn duration_ns(&self) -> i64 {
        self.end_ns.saturating_sub(self.start_ns).max(0)
    }
}

/// The tallies of the traces in `batches` (one block's worth).
pub fn tally<'a>(batches: impl IntoIterator<Item = &'a Batch>) -> Vec<TraceTally> {
    let mut out: Vec<TraceTally> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for b in batches {
        for s in &b.spans {
            let id = b.syms.get(s.trace_id);
            let i = *at.entry(id).or_insert_with(|| {
                out.push(TraceTally {
                    trace_id: id.to_owned(),
                    start_ns: i64::MAX,
                    end_ns: i64::MIN,
                    ..TraceTally::default()
                });
                out.len() - 1
            });
            let t = &mut out[i];
            t.spans += 1;
            t.errors += u32::from(s.is_error());
            t.start_ns = t.start_ns.min(s.start_ns);
            t.end_ns = t.end_ns.max(s.end_ns().unwrap_or(s.start_ns));
            t.tokens += s.tokens.sum().unwrap_or(0);
            if s.parent_id.is_none() && t.root.is_empty() {
                t.root = b.syms.get(s.name).to_owned();
            }
        }
    }
    out
}
