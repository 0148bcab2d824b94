//! Which row of the step table each span belongs to, for each `GroupBy`.
//!
//! Keys are computed once per distinct (kind, name, tool) symbol triple, not per span:
//! normalising a name allocates, and a million spans share a few hundred names.

use super::GroupBy;
use super::hash::FastMap as HashMap;
use crate::diff::align::{matched_by_kind, normalise_name, strip_operation};
use crate::model::{MetaKeys, SpanIx, SpanKind, Sym, TraceIx, TraceSet};
use rayon::prelude::*;

/// No group: the span's trace is not among those computed.
pub const NONE: u32 = u32::MAX;

/// What one group is called.
#[derive(Clone, Debug, Default)]
pub struct GroupKey {
    pub key: String,
    pub name: String,
    pub kind: SpanKind,
    pub path: Option<String>,
}

/// The group of every span (indexed by `SpanIx`) and the groups' keys.
#[derive(Debug, Default)]
pub struct Groups {
    pub of_span: Vec<u32>,
    pub keys: Vec<GroupKey>,
}

/// The step key of span `ix`: its kind and normalised name as `diff` aligns spans
/// (`TOOL get_weather`, `CHAIN rewrite_query`, `LLM`: LLM calls match by kind alone).
pub fn step_key(set: &TraceSet, ix: SpanIx) -> String {
    let (kind, name) = key_parts(set, ix);
    if name.is_empty() {
        kind.as_str().to_owned()
    } else {
        format!("{} {name}", kind.as_str())
    }
}

/// The parts of `diff::align::key`, which keeps them private.
fn key_parts(set: &TraceSet, ix: SpanIx) -> (SpanKind, String) {
    let s = set.span(ix);
    let name = match s.kind {
        k if matched_by_kind(k) => String::new(),
        SpanKind::Tool if !s.tool.is_empty() => normalise_name(set.str(s.tool)),
        _ => normalise_name(strip_operation(set.str(s.name))),
    };
    (s.kind, name)
}

/// The name shown for a step: its normalised name, the kind for kinds matched by kind, and
/// `unknown` for a span with neither.
fn step_name(kind: SpanKind, name: &str) -> String {
    if !name.is_empty() {
        name.to_owned()
    } else if matched_by_kind(kind) {
        kind.as_str().to_owned()
    } else {
        "unknown".to_owned()
    }
}

/// Assigns every span of `traces` to a group.
pub fn assign(set: &TraceSet, traces: &[TraceIx], by: GroupBy) -> Groups {
    let mut g = Groups {
        of_span: vec![NONE; set.spans.len()],
        keys: Vec::new(),
    };
    match by {
        GroupBy::Step | GroupBy::Path => by_step(set, traces, by == GroupBy::Path, &mut g),
        GroupBy::Tool => by_sym(set, traces, &mut g, "(no tool)", |s| {
            if !s.tool.is_empty() {
                s.tool
            } else if s.kind == SpanKind::Tool {
                s.name
            } else {
                Sym(NONE)
            }
        }),
        GroupBy::Model => by_sym(set, traces, &mut g, "(no model)", |s| {
            if s.model.is_empty() {
                Sym(NONE)
            } else {
                s.model
            }
        }),
        GroupBy::Session => by_session(set, traces, &mut g),
    }
    g
}

/// Step keys, or (with `paths`) chains of step keys from the root.
fn by_step(set: &TraceSet, traces: &[TraceIx], paths: bool, g: &mut Groups) {
    let mut steps = StepIds::default();
    let mut by_path: HashMap<(u32, u32), u32> = HashMap::default();
    for &t in traces {
        for i in set.trace(t).spans() {
            let step = steps.of(set, i);
            g.of_span[i] = if paths {
                // Pre-order: the parent's path group is already set.
                let parent = set.spans[i]
                    .parent()
                    .map_or(NONE, |p| g.of_span[p.0 as usize]);
                let next = g.keys.len() as u32;
                let id = *by_path.entry((parent, step)).or_insert(next);
                if id == next {
                    let path = path_key(g.keys.get(parent as usize), &steps.keys[step as usize]);
                    g.keys.push(path);
                }
                id
            } else {
                step
            };
        }
    }
    if !paths {
        g.keys = steps.keys;
    }
}

/// Step groups, interned by (kind, name, tool) symbols and then by key.
#[derive(Default)]
struct StepIds {
    keys: Vec<GroupKey>,
    by_triple: HashMap<(SpanKind, Sym, Sym), u32>,
    by_key: HashMap<String, u32>,
}

impl StepIds {
    /// The step group of span `i`.
    fn of(&mut self, set: &TraceSet, i: usize) -> u32 {
        let s = &set.spans[i];
        let tool = if s.kind == SpanKind::Tool {
            s.tool
        } else {
            Sym::EMPTY
        };
        if let Some(&id) = self.by_triple.get(&(s.kind, s.name, tool)) {
            return id;
        }
        let (kind, name) = key_parts(set, SpanIx(i as u32));
        let key = if name.is_empty() {
            kind.as_str().to_owned()
        } else {
            format!("{} {name}", kind.as_str())
        };
        let next = self.keys.len() as u32;
        let id = *self.by_key.entry(key.clone()).or_insert(next);
        if id == next {
            self.keys.push(GroupKey {
                key,
                name: step_name(kind, &name),
                kind,
                path: None,
            });
        }
        self.by_triple.insert((s.kind, s.name, tool), id);
        id
    }
}

/// The path group of `step` under the path group `parent` (`None` at a root).
fn path_key(parent: Option<&GroupKey>, step: &GroupKey) -> GroupKey {
    let (key, path) = match parent {
        Some(p) => (
            format!("{} > {}", p.key, step.key),
            format!("{} > {}", p.path.as_deref().unwrap_or(""), step.name),
        ),
        None => (step.key.clone(), step.name.clone()),
    };
    GroupKey {
        key,
        name: step.name.clone(),
        kind: step.kind,
        path: Some(path),
    }
}

/// Groups by a symbol of the span (`Sym(NONE)`: the catch-all row named `none`).
fn by_sym(
    set: &TraceSet,
    traces: &[TraceIx],
    g: &mut Groups,
    none: &str,
    sym: impl Fn(&crate::model::Span) -> Sym,
) {
    let mut ids: HashMap<Sym, u32> = HashMap::default();
    let mut by_name: HashMap<String, u32> = HashMap::default();
    for &t in traces {
        for i in set.trace(t).spans() {
            let s = &set.spans[i];
            let key = sym(s);
            if let Some(&id) = ids.get(&key) {
                g.of_span[i] = id;
                continue;
            }
            // Tools named by their span drop the GenAI prefix (`execute_tool lookup` is
            // `lookup`), so two symbols can share a row.
            let name = match key {
                Sym(NONE) => none.to_owned(),
                k => match strip_operation(set.str(k)) {
                    "" => "unknown".to_owned(),
                    n => n.to_owned(),
                },
            };
            let next = g.keys.len() as u32;
            let id = *by_name.entry(name.clone()).or_insert(next);
            if id == next {
                g.keys.push(GroupKey {
                    key: name.clone(),
                    name,
                    kind: s.kind,
                    path: None,
                });
            }
            ids.insert(key, id);
            g.of_span[i] = id;
        }
    }
}

/// Groups every span by its trace's session.
fn by_session(set: &TraceSet, traces: &[TraceIx], g: &mut Groups) {
    let keys = MetaKeys::new(set);
    let sessions: Vec<Option<String>> = traces
        .par_iter()
        .map(|&t| keys.trace_meta(set, t).session)
        .collect();
    let mut ids: HashMap<String, u32> = HashMap::default();
    for (&t, session) in traces.iter().zip(sessions) {
        let name = session.unwrap_or_else(|| "(no session)".to_owned());
        let next = g.keys.len() as u32;
        let id = *ids.entry(name.clone()).or_insert(next);
        if id == next {
            g.keys.push(GroupKey {
                key: name.clone(),
                name,
                kind: SpanKind::Unknown,
                path: None,
            });
        }
        for i in set.trace(t).spans() {
            g.of_span[i] = id;
        }
    }
}
