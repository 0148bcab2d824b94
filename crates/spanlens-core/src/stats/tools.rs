//! The tool lens: per tool name, calls, traces, errors, repeated calls, loops and argument
//! and result sizes; and the tools declared to a model but never called.
//!
//! A tool call is a span of kind TOOL or one carrying a tool name; its name is the tool
//! name, else the span name. A repeated call has the same tool and byte-identical arguments
//! as an earlier call in the same trace (calls without arguments are never repeats). A loop
//! is a run of three or more consecutive siblings calling the same tool; a run of six is
//! one loop.
//!
//! Declared tools come from definition attributes and from `tools` in request bodies. A
//! declared tool counts as called when a tool span calls it or an LLM output asks for it
//! by name. Each read is a read of the file, so definitions and outputs are read on every
//! span up to `DECL_BUDGET` spans, and on an evenly spaced sample of that many beyond.

use super::hash::FastMap;
use super::{ToolStats, chunks};
use crate::diff::align::strip_operation;
use crate::model::mapped::Mapped;
use crate::model::{Span, SpanIx, SpanKind, Sym, TraceIx, TraceSet};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::hash::BuildHasher;

/// Tool definitions are read from at most this many spans (an evenly spaced sample beyond):
/// each read is a file read, and an agent declares the same tools on every call.
pub const DECL_BUDGET: usize = 5_000;

/// Sibling runs at least this long are loops.
pub const LOOP_RUN: u32 = 3;

/// The tool a span calls, if it is a tool call.
fn tool_sym(s: &Span) -> Option<Sym> {
    if !s.tool.is_empty() {
        Some(s.tool)
    } else if s.kind == SpanKind::Tool {
        Some(s.name)
    } else {
        None
    }
}

#[derive(Clone, Debug, Default)]
struct Acc {
    calls: u64,
    traces: u32,
    errors: u64,
    max_per_trace: u32,
    repeated: u64,
    loops: u64,
    arg_bytes: Vec<i64>,
    result_bytes: Vec<i64>,
    spans: Vec<SpanIx>,
}

impl Acc {
    fn absorb(&mut self, o: Acc) {
        self.calls += o.calls;
        self.traces += o.traces;
        self.errors += o.errors;
        self.max_per_trace = self.max_per_trace.max(o.max_per_trace);
        self.repeated += o.repeated;
        self.loops += o.loops;
        self.arg_bytes.extend(o.arg_bytes);
        self.result_bytes.extend(o.result_bytes);
        self.spans.extend(o.spans);
    }
}

/// The tool table (most calls first) and the declared tools never called (by name).
pub fn tool_lens(set: &TraceSet, traces: &[TraceIx]) -> (Vec<ToolStats>, Vec<String>) {
    let decl_keys = DeclKeys::new(set);
    let reader = Mapped::new(&set.sources);
    let declaring = traces
        .par_iter()
        .flat_map_iter(|&t| set.spans[set.trace(t).spans()].iter())
        .filter(|s| decl_keys.may_declare(set, s))
        .count();
    let stride = declaring.div_ceil(DECL_BUDGET).max(1);
    let parts: Vec<(FastMap<Sym, Acc>, BTreeSet<String>)> = chunks(set, traces)
        .into_par_iter()
        .map(|r| {
            let tr = &traces[r];
            (
                tool_chunk(set, &reader, tr),
                declared_in(set, &reader, tr, &decl_keys, stride),
            )
        })
        .collect();
    let mut by_name: std::collections::BTreeMap<String, Acc> = Default::default();
    let mut declared = BTreeSet::new();
    for (accs, decl) in parts {
        for (sym, a) in accs {
            // Tools named by their span: `execute_tool get_weather` is `get_weather`.
            let name = match strip_operation(set.str(sym)) {
                "" => "unknown",
                n => n,
            };
            by_name.entry(name.to_owned()).or_default().absorb(a);
        }
        declared.extend(decl);
    }
    let called: HashSet<&str> = by_name.keys().map(String::as_str).collect();
    let candidates: Vec<String> = declared
        .iter()
        .filter(|d| !called.contains(d.as_str()))
        .cloned()
        .collect();
    let unused = never_requested(set, &reader, traces, candidates);
    let mut tools: Vec<ToolStats> = by_name
        .into_iter()
        .map(|(name, mut a)| {
            a.arg_bytes.sort_unstable();
            a.result_bytes.sort_unstable();
            ToolStats {
                name,
                calls: a.calls,
                traces: a.traces,
                errors: a.errors,
                max_calls_per_trace: a.max_per_trace,
                repeated_calls: a.repeated,
                loops: a.loops,
                arg_bytes: a.arg_bytes,
                result_bytes: a.result_bytes,
                spans: a.spans,
            }
        })
        .collect();
    tools.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.name.cmp(&b.name)));
    (tools, unused)
}

/// Tool totals over a contiguous run of traces.
fn tool_chunk(set: &TraceSet, reader: &Mapped, traces: &[TraceIx]) -> FastMap<Sym, Acc> {
    let mut accs: FastMap<Sym, Acc> = FastMap::default();
    let mut per_trace: FastMap<Sym, u32> = FastMap::default();
    let mut with_args: Vec<(Sym, u32, usize)> = Vec::new();
    for &t in traces {
        per_trace.clear();
        with_args.clear();
        let range = set.trace(t).spans();
        for i in range.clone() {
            let s = &set.spans[i];
            let Some(tool) = tool_sym(s) else { continue };
            let a = accs.entry(tool).or_default();
            a.calls += 1;
            a.errors += u64::from(s.is_error());
            a.spans.push(SpanIx(i as u32));
            if let Some(input) = s.input {
                a.arg_bytes.push(i64::from(input.len));
                with_args.push((tool, input.len, i));
            }
            if let Some(output) = s.output {
                a.result_bytes.push(i64::from(output.len));
            }
            *per_trace.entry(tool).or_default() += 1;
        }
        for (tool, n) in per_trace.drain() {
            let a = accs.entry(tool).or_default();
            a.traces += 1;
            a.max_per_trace = a.max_per_trace.max(n);
        }
        count_loops(set, range, &mut accs);
        count_repeats(set, reader, &mut with_args, &mut accs);
    }
    accs
}

/// Repeated calls among one trace's calls with arguments, given as (tool, argument
/// length, span). PERF: arguments are read from the file only when another call of the
/// same tool has arguments of the same length; most calls differ in length already.
fn count_repeats(
    set: &TraceSet,
    reader: &Mapped,
    calls: &mut [(Sym, u32, usize)],
    accs: &mut FastMap<Sym, Acc>,
) {
    calls.sort_unstable();
    let hasher = foldhash::fast::FixedState::default();
    let mut seen: HashSet<u64, foldhash::fast::FixedState> = HashSet::default();
    for same in calls.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        if same.len() < 2 {
            continue;
        }
        seen.clear();
        for &(tool, _, i) in same {
            let Some(input) = set.spans[i].input else {
                continue;
            };
            let mut h = 0;
            reader.with_bytes(input, &mut |b| h = hasher.hash_one(b));
            if !seen.insert(h)
                && let Some(a) = accs.get_mut(&tool)
            {
                a.repeated += 1;
            }
        }
    }
}

/// Runs of `LOOP_RUN` or more consecutive siblings calling one tool, under every parent of
/// the trace (and among its roots).
fn count_loops(set: &TraceSet, range: std::ops::Range<usize>, accs: &mut FastMap<Sym, Acc>) {
    let parents = std::iter::once(None).chain(range.clone().map(Some));
    for p in parents {
        let (mut c, end) = match p {
            Some(p) => (p + 1, set.spans[p].subtree_end as usize),
            None => (range.start, range.end),
        };
        let mut run: (Option<Sym>, u32) = (None, 0);
        while c < end {
            let tool = tool_sym(&set.spans[c]);
            if tool.is_some() && tool == run.0 {
                run.1 += 1;
                if run.1 == LOOP_RUN
                    && let Some(a) = tool.and_then(|t| accs.get_mut(&t))
                {
                    a.loops += 1;
                }
            } else {
                run = (tool, 1);
            }
            c = (set.spans[c].subtree_end as usize).max(c + 1);
        }
    }
}

/// Attribute keys that declare tools to a model, as symbols.
struct DeclKeys {
    /// Indexed by symbol: whether the key declares tools.
    is_decl: Vec<bool>,
    /// Keys whose value is the request (OpenAI-style `tools` inside).
    input_keys: Vec<Sym>,
}

/// Keys holding tool definitions: OTel GenAI, OpenInference (`llm.tools` and its
/// flattened `llm.tools.N.tool.json_schema`), MLflow, Vercel AI SDK, Langfuse.
const DECL_KEYS: [&str; 7] = [
    "gen_ai.tool.definitions",
    "llm.tools",
    "mlflow.chat.tools",
    "ai.prompt.tools",
    "toolDefinitions",
    "tool_definitions",
    "gen_ai.request.tools",
];

impl DeclKeys {
    /// Whether span `s` may declare tools: an LLM call with an input, or a span with a
    /// definitions attribute. Reads only symbols.
    fn may_declare(&self, set: &TraceSet, s: &Span) -> bool {
        (s.kind == SpanKind::Llm && s.input.is_some())
            || set.attrs[s.attr_range()].iter().any(|a| {
                self.is_decl.get(a.key.0 as usize).copied().unwrap_or(false)
                    || self.input_keys.contains(&a.key)
            })
    }

    fn new(set: &TraceSet) -> DeclKeys {
        let is_decl = (0..set.syms.len() as u32)
            .map(|i| {
                let k = set.str(Sym(i));
                DECL_KEYS.contains(&k) || k.starts_with("llm.tools.")
            })
            .collect();
        let input_keys = ["inputs", "invocation_params"]
            .iter()
            .filter_map(|k| set.syms.lookup(k))
            .collect();
        DeclKeys {
            is_decl,
            input_keys,
        }
    }
}

/// Names of the tools declared on any span of `traces`. Identical definitions (the same
/// bytes, sent on every call) are decoded once.
fn declared_in(
    set: &TraceSet,
    reader: &Mapped,
    traces: &[TraceIx],
    keys: &DeclKeys,
    stride: usize,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut done: HashSet<u64, foldhash::fast::FixedState> = HashSet::default();
    let finder = memchr::memmem::Finder::new(b"tools");
    let mut n = 0usize;
    for &t in traces {
        for i in set.trace(t).spans() {
            let ix = SpanIx(i as u32);
            let s = &set.spans[i];
            if !keys.may_declare(set, s) {
                continue;
            }
            n += 1;
            if !n.is_multiple_of(stride) {
                continue;
            }
            for (a, (_, text)) in set.attrs[s.attr_range()].iter().zip(set.attrs_of(ix)) {
                let decl = keys.is_decl.get(a.key.0 as usize).copied().unwrap_or(false);
                if decl || keys.input_keys.contains(&a.key) {
                    read_decl(reader, text, !decl, &finder, &mut done, &mut out);
                }
            }
            if let Some(input) = s.input.filter(|_| s.kind == SpanKind::Llm) {
                read_decl(reader, input, true, &finder, &mut done, &mut out);
            }
        }
    }
    out
}

/// Reads tool names from `text`: a definition list, or (`request`) a request object with
/// `tools`/`functions` inside.
fn read_decl(
    reader: &Mapped,
    text: crate::model::TextRef,
    request: bool,
    finder: &memchr::memmem::Finder,
    done: &mut HashSet<u64, foldhash::fast::FixedState>,
    out: &mut BTreeSet<String>,
) {
    let mut fresh = false;
    reader.with_bytes(text, &mut |b| {
        let h = foldhash::fast::FixedState::default().hash_one(b);
        fresh = (!request || finder.find(b).is_some()) && done.insert(h ^ u64::from(request));
    });
    if !fresh {
        return;
    }
    let v = reader.value(text);
    if request {
        for r in [Some(&v), v.get("invocation_params")].into_iter().flatten() {
            for k in ["tools", "functions"] {
                if let Some(list) = r.get(k) {
                    tool_names(list, out);
                }
            }
        }
    } else {
        tool_names(&v, out);
    }
}

/// Tool names in a definition or a list of them, in the shapes providers use: OpenAI
/// `{type, function: {name}}`, flat `{name}`, Gemini `functionDeclarations`, Bedrock
/// `toolSpec`, a JSON string holding any of these, or a map from name to definition.
pub fn tool_names(v: &Value, out: &mut BTreeSet<String>) {
    let mut stack = vec![v.clone()];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => match crate::model::text::json_in_string(s) {
                Value::String(_) => {}
                parsed => stack.push(parsed),
            },
            Value::Array(items) => stack.extend(items),
            Value::Object(o) => {
                if let Some(name) = o
                    .get("function")
                    .and_then(|f| f.get("name"))
                    .or(o.get("name"))
                    .and_then(Value::as_str)
                {
                    out.insert(name.to_owned());
                } else if let Some(inner) = ["tools", "functionDeclarations", "toolSpec"]
                    .iter()
                    .find_map(|k| o.get(*k))
                {
                    stack.push(inner.clone());
                } else if o.values().all(is_definition) {
                    out.extend(o.keys().cloned());
                } else if let Some(schema) = o.get("tool").and_then(|t| t.get("json_schema")) {
                    stack.push(schema.clone());
                }
            }
            _ => {}
        }
    }
}

fn is_definition(v: &Value) -> bool {
    ["description", "parameters", "input_schema", "inputSchema"]
        .iter()
        .any(|k| v.get(*k).is_some())
}

/// Of `candidates` (declared, with no tool span), those no model output asks for: a tool
/// call in an output names the tool in quotes (`"name": "get_weather"`), possibly inside
/// an escaped JSON string.
fn never_requested(
    set: &TraceSet,
    reader: &Mapped,
    traces: &[TraceIx],
    candidates: Vec<String>,
) -> Vec<String> {
    if candidates.is_empty() {
        return candidates;
    }
    let finders: Vec<memchr::memmem::Finder> = candidates
        .iter()
        .map(|c| memchr::memmem::Finder::new(c.as_bytes()))
        .collect();
    let llm_calls = traces
        .par_iter()
        .flat_map_iter(|&t| set.spans[set.trace(t).spans()].iter())
        .filter(|s| s.kind == SpanKind::Llm)
        .count();
    let stride = llm_calls.div_ceil(DECL_BUDGET).max(1);
    let requested: Vec<bool> = chunks(set, traces)
        .into_par_iter()
        .map(|r| requested_in(set, reader, &traces[r], &finders, stride))
        .reduce(
            || vec![false; finders.len()],
            |a, b| a.iter().zip(&b).map(|(x, y)| *x || *y).collect(),
        );
    candidates
        .into_iter()
        .zip(requested)
        .filter(|(_, r)| !r)
        .map(|(c, _)| c)
        .collect()
}

/// Which names appear quoted in the outputs of LLM spans of `traces`.
fn requested_in(
    set: &TraceSet,
    reader: &Mapped,
    traces: &[TraceIx],
    finders: &[memchr::memmem::Finder],
    stride: usize,
) -> Vec<bool> {
    let mut found = vec![false; finders.len()];
    let mut n = 0usize;
    for &t in traces {
        for i in set.trace(t).spans() {
            let s = &set.spans[i];
            if s.kind != SpanKind::Llm {
                continue;
            }
            n += 1;
            if !n.is_multiple_of(stride) {
                continue;
            }
            let ix = SpanIx(i as u32);
            let texts = s.output.into_iter().chain(
                set.attrs_of(ix)
                    .filter(|(k, _)| is_output_key(k))
                    .map(|(_, t)| t),
            );
            for text in texts {
                reader.with_bytes(text, &mut |b| {
                    for (f, hit) in finders.iter().zip(found.iter_mut()) {
                        *hit = *hit || quoted_in(f, b);
                    }
                });
            }
        }
    }
    found
}

fn is_output_key(k: &str) -> bool {
    k.contains("output")
        || k.contains("completion")
        || k.contains("toolCalls")
        || k.contains("tool_calls")
}

/// Whether the needle occurs with a quote before it and a quote or backslash after it.
fn quoted_in(f: &memchr::memmem::Finder, hay: &[u8]) -> bool {
    let n = f.needle().len();
    f.find_iter(hay)
        .any(|at| at > 0 && hay[at - 1] == b'"' && matches!(hay.get(at + n), Some(b'"' | b'\\')))
}
