//! LangSmith runs (formats.md §6): single Run objects (JSON/JSONL from `list_runs`, with
//! `child_runs` when they were loaded) and `{post, patch}` ingestion batches.
//!
//! A patch completes a post (end time, outputs, error, events): they are merged field by
//! field, the patch winning, and the merged record is written to the arena as compact JSON
//! so its text references point at one record. Posts nobody patched are read in place.
//! Every non-null top-level field becomes an attribute named as in the file;
//! `feedback_stats` also become assessments.

use super::Sink;
use super::json::{CowStr, Ctx, RawObject, is_null, raw_str};
use crate::model::{Batch, Enc, Pos, SpanDraft, SpanKind, Status, time};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// Known keys that `Semantics` maps to the roles LangSmith fields play.
const USAGE_KEY: &str = "langfuse.observation.usage_details";
const MODEL_KEY: &str = "llm.model_name";
const TOOL_KEY: &str = "tool.name";
const COST_KEY: &str = "llm.cost.total";

pub fn load(sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    let Some(o) = RawObject::parse(raw) else {
        let msg = "skipped: a LangSmith run must be a JSON object";
        sink.batch.diag(ctx.path, ctx.line_of(raw), msg);
        return;
    };
    if o.has("post") || o.has("patch") {
        load_batch(sink, ctx, &o, seq);
    } else {
        load_run_tree(&mut sink.batch, ctx, raw, seq, ctx.line_of(raw));
    }
}

/// A run being merged: its fields in order, where it came from, and whether a patch
/// touched it (then it must be written out as a new record).
struct Record<'a> {
    fields: Vec<(CowStr<'a>, &'a RawValue)>,
    raw: &'a RawValue,
    patched: bool,
}

/// Where each run of a batch is, by `id` and by `(trace_id, dotted_order)`.
#[derive(Default)]
struct Index {
    by_id: HashMap<String, usize>,
    by_order: HashMap<(String, String), usize>,
}

impl Index {
    fn add(&mut self, o: &RawObject, i: usize) {
        if let Some(id) = o.str(&["id"]) {
            self.by_id.entry(id.into_owned()).or_insert(i);
        }
        if let (Some(t), Some(d)) = (o.str(&["trace_id"]), o.str(&["dotted_order"])) {
            let key = (t.into_owned(), d.into_owned());
            self.by_order.entry(key).or_insert(i);
        }
    }

    /// Adds a run to the batch's records, findable by later patches.
    fn push<'a>(&mut self, records: &mut Vec<Record<'a>>, r: RawObject<'a>, raw: &'a RawValue) {
        self.add(&r, records.len());
        records.push(Record {
            fields: r.0,
            raw,
            patched: false,
        });
    }

    /// The run a patch completes: same `id`, or (the JS test data drops `id` from
    /// patches) the same `trace_id` and `dotted_order`.
    fn find(&self, p: &RawObject) -> Option<usize> {
        if let Some(id) = p.str(&["id"]) {
            return self.by_id.get(&*id).copied();
        }
        let trace = p.str(&["trace_id"])?.into_owned();
        let dotted = p.str(&["dotted_order"])?.into_owned();
        self.by_order.get(&(trace, dotted)).copied()
    }
}

/// An ingestion batch: posts, completed by the patches that match them.
fn load_batch(sink: &mut Sink, ctx: &Ctx, o: &RawObject, seq: u64) {
    let mut records = Vec::new();
    let mut index = Index::default();
    for raw in o.arr("post") {
        let Some(r) = RawObject::parse(raw) else {
            let msg = "post skipped: not an object";
            sink.batch.diag(ctx.path, ctx.line_of(raw), msg);
            continue;
        };
        index.push(&mut records, r, raw);
    }
    for raw in o.arr("patch") {
        let Some(p) = RawObject::parse(raw) else {
            let msg = "patch skipped: not an object";
            sink.batch.diag(ctx.path, ctx.line_of(raw), msg);
            continue;
        };
        if let Some(i) = index.find(&p) {
            merge(&mut records[i], p);
            continue;
        }
        let msg = "patch has no matching post in this batch: shown as its own run";
        sink.batch.diag(ctx.path, ctx.line_of(raw), msg);
        index.push(&mut records, p, raw);
    }
    write_records(sink, ctx, &records, seq);
}

/// Field by field, the patch wins; a null in the patch only fills a field the post lacks.
fn merge<'a>(rec: &mut Record<'a>, patch: RawObject<'a>) {
    for (k, v) in patch.0 {
        match rec.fields.iter_mut().find(|(rk, _)| *rk == k) {
            Some(slot) if !is_null(v) => slot.1 = v,
            Some(_) => {}
            None => rec.fields.push((k, v)),
        }
    }
    rec.patched = true;
}

/// Loads each record: untouched ones in place, merged ones from the arena.
fn write_records(sink: &mut Sink, ctx: &Ctx, records: &[Record], seq: u64) {
    let mut stashed = Vec::new();
    for (k, rec) in records.iter().enumerate() {
        let rec_seq = seq.wrapping_add(k as u64 + 1);
        let pos = ctx.line_of(rec.raw);
        if rec.patched {
            let mut text = Vec::with_capacity(rec.raw.get().len() * 2);
            write_compact_object(&mut text, &rec.fields);
            let off = sink.stash(&text) as usize;
            stashed.push((off, text.len(), rec_seq, pos));
        } else {
            load_run_tree(&mut sink.batch, ctx, rec.raw, rec_seq, pos);
        }
    }
    let arena = Ctx::new(&sink.arena, 0, sink.src, ctx.path);
    for (off, len, rec_seq, pos) in stashed {
        match serde_json::from_slice::<&RawValue>(&sink.arena[off..off + len]) {
            Ok(raw) => load_run_tree(&mut sink.batch, &arena, raw, rec_seq, pos),
            Err(e) => sink
                .batch
                .diag(ctx.path, pos, format!("merged run skipped: {e}")),
        }
    }
}

/// Writes `{"key":value,…}` with the whitespace outside strings removed.
fn write_compact_object(out: &mut Vec<u8>, fields: &[(CowStr, &RawValue)]) {
    out.push(b'{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(Value::String(k.to_string()).to_string().as_bytes());
        out.push(b':');
        compact(out, v.get().as_bytes());
    }
    out.push(b'}');
}

fn compact(out: &mut Vec<u8>, json: &[u8]) {
    let (mut in_str, mut escaped) = (false, false);
    for &b in json {
        if in_str {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if !b.is_ascii_whitespace() {
            in_str = b == b'"';
            out.push(b);
        }
    }
}

/// A run and the `child_runs` nested in it, walked with an explicit stack (no recursion).
/// `pos` is where the run is in the file, for messages about it.
fn load_run_tree(batch: &mut Batch, ctx: &Ctx, raw: &RawValue, seq: u64, pos: Pos) {
    let mut stack = vec![(raw, None::<String>)];
    let mut n = 0u64;
    while let Some((raw, parent)) = stack.pop() {
        let Some(o) = RawObject::parse(raw) else {
            batch.diag(ctx.path, pos, "run skipped: not an object");
            continue;
        };
        let id = add_run(batch, ctx, &o, seq.wrapping_add(n), pos, parent);
        n += 1;
        for child in o.arr("child_runs").into_iter().rev() {
            stack.push((child, id.clone()));
        }
    }
}

/// One run as a span; returns its id for its `child_runs`.
fn add_run(
    batch: &mut Batch,
    ctx: &Ctx,
    o: &RawObject,
    seq: u64,
    pos: Pos,
    parent_fallback: Option<String>,
) -> Option<String> {
    let links = Links::of(o, parent_fallback);
    let mut d = batch.begin(ctx.src, Enc::Json, seq);
    d.span.trace_id = batch.trace_id(links.trace.as_deref().unwrap_or(""));
    d.span.span_id = batch.id(links.id.as_deref().unwrap_or(""));
    d.span.parent_id = batch.id(links.parent.as_deref().unwrap_or(""));
    let name = o.str(&["name"]).unwrap_or_default();
    d.span.name = batch.sym(&name);
    let kind = o.str(&["run_type"]).and_then(|t| SpanKind::from_label(&t));
    if let Some(k) = kind {
        d.sem.set_kind(0, k);
    }
    if kind == Some(SpanKind::Tool) && !name.is_empty() {
        d.sem
            .observe_decoded(TOOL_KEY, &Value::String(name.into_owned()));
    }
    times(batch, ctx, o, &mut d, pos);
    status(ctx, o, &mut d);
    tokens(o, &mut d);
    if let Some(m) = model(o) {
        d.sem.observe_decoded(MODEL_KEY, &Value::String(m));
    }
    if let Some(c) = o
        .get("total_cost")
        .and_then(|c| serde_json::from_str(c.get()).ok())
    {
        d.sem.observe_decoded(COST_KEY, &c);
    }
    d.span.input = ctx.at_opt(o.get("inputs"), Enc::Json);
    d.span.output = ctx.at_opt(o.get("outputs"), Enc::Json);
    d.span.events = o
        .get("events")
        .filter(|e| !is_empty_list(e))
        .map(|e| ctx.at(e, Enc::Json));
    for (k, v) in &o.0 {
        if !is_null(v) {
            batch.attr(&mut d, k, v.get().as_bytes(), ctx.at(v, Enc::Json));
        }
    }
    batch.finish(d);
    feedback_stats(batch, o, &links);
    links.id
}

/// A run's `feedback_stats` (`{"correctness": {"n": 2, "avg": 0.5}}`, what LangSmith keeps
/// of its feedback on the run) as one assessment per key: the average (or the whole stats
/// object when there is none), with the count as the rationale.
fn feedback_stats(batch: &mut Batch, o: &RawObject, links: &Links) {
    let stats = o.get("feedback_stats").filter(|v| !is_null(v));
    let Some(Value::Object(keys)) = stats.map(decode_small) else {
        return;
    };
    let norm = |id: &Option<String>| {
        crate::model::ids::normalize(id.as_deref().unwrap_or("")).into_owned()
    };
    for (name, st) in keys {
        let value = st.get("avg").filter(|v| !v.is_null()).cloned();
        let n = st.get("n").and_then(Value::as_u64);
        batch.assessments.push(crate::model::Assessment {
            trace_id: norm(&links.trace),
            span_id: links.id.as_ref().map(|_| norm(&links.id)),
            name,
            kind: "feedback".into(),
            value: value.unwrap_or(st),
            rationale: n.map(|n| {
                format!(
                    "average of {n} feedback record{}",
                    if n == 1 { "" } else { "s" }
                )
            }),
            source: Some("LangSmith feedback_stats".into()),
            ..Default::default()
        });
    }
}

/// A run's own, trace and parent ids. `dotted_order` (`<time>Z<uuid>` segments from the
/// root down) fills in what a record leaves out.
struct Links {
    id: Option<String>,
    trace: Option<String>,
    parent: Option<String>,
}

impl Links {
    fn of(o: &RawObject, parent_fallback: Option<String>) -> Links {
        let dotted = o.str(&["dotted_order"]).unwrap_or_default();
        let segs: Vec<&str> = dotted
            .split('.')
            .filter_map(|s| s.split_once('Z').map(|(_, id)| id))
            .filter(|id| !id.is_empty())
            .collect();
        let own = |s: Option<std::borrow::Cow<str>>| s.map(|s| s.into_owned());
        let id = own(o.str(&["id"])).or_else(|| segs.last().map(|s| s.to_string()));
        let trace = own(o.str(&["trace_id"]))
            .or_else(|| segs.first().map(|s| s.to_string()))
            .or_else(|| id.clone());
        let from_dotted = segs.len().checked_sub(2).map(|i| segs[i].to_string());
        let parent = own(o.str(&["parent_run_id"]))
            .or(from_dotted)
            .or(parent_fallback);
        Links { id, trace, parent }
    }
}

fn times(batch: &mut Batch, ctx: &Ctx, o: &RawObject, d: &mut SpanDraft, pos: Pos) {
    match o.any(&["start_time"]).and_then(parse_time) {
        Some(t) => d.span.start_ns = t,
        None => batch.diag(ctx.path, pos, "run has no valid start_time; shown at 0"),
    }
    let end = o.any(&["end_time"]);
    d.span.end_ns = end.and_then(parse_time);
    if end.is_some() && d.span.end_ns.is_none() {
        batch.diag(
            ctx.path,
            pos,
            "run end_time not understood; shown as in progress",
        );
    }
}

/// ISO-8601 strings (Python SDK) or epoch numbers (JS SDK: milliseconds). A bare number's
/// unit is read from its size, so seconds, micro- and nanoseconds also land right.
fn parse_time(raw: &RawValue) -> Option<i64> {
    let s = raw_str(raw)?;
    if let Some(t) = time::parse_iso(&s) {
        return Some(t);
    }
    if let Ok(n) = s.parse::<i64>() {
        let scale = match n.unsigned_abs() {
            0..100_000_000_000 => 1_000_000_000,
            100_000_000_000..100_000_000_000_000 => 1_000_000,
            100_000_000_000_000..100_000_000_000_000_000 => 1_000,
            _ => 1,
        };
        return n.checked_mul(scale);
    }
    let f: f64 = s.parse().ok().filter(|f: &f64| f.is_finite())?;
    let ns = if f.abs() < 1e11 { f * 1e9 } else { f * 1e6 };
    Some(ns.round() as i64)
}

/// `error` set means the run failed; its text (often a traceback) is the message.
fn status(ctx: &Ctx, o: &RawObject, d: &mut SpanDraft) {
    if let Some(e) = o.get("error").filter(|e| !is_null(e) && e.get() != "\"\"") {
        d.span.status = Status::Error;
        let enc = if e.get().starts_with('"') {
            Enc::JsonStr
        } else {
            Enc::Json
        };
        d.span.status_msg = Some(ctx.at(e, enc));
        return;
    }
    d.span.status = match o.str(&["status"]).as_deref() {
        Some("error") => Status::Error,
        Some("success") => Status::Ok,
        _ => Status::Unset,
    };
}

/// Tokens: the run's own `prompt_tokens`/`completion_tokens`/`total_tokens`, else the usage
/// the provider response carries in `outputs` (LangChain `usage_metadata`, OpenAI `usage`,
/// LangChain `llm_output.token_usage`).
fn tokens(o: &RawObject, d: &mut SpanDraft) {
    let own = ["prompt_tokens", "completion_tokens", "total_tokens"];
    let mut m = serde_json::Map::new();
    for k in own {
        if let Some(v) = o.get(k).filter(|v| !is_null(v)) {
            m.insert(k.into(), decode_small(v));
        }
    }
    if !m.is_empty() {
        d.sem.observe_decoded(USAGE_KEY, &Value::Object(m));
        return;
    }
    let Some(outputs) = o.obj("outputs") else {
        return;
    };
    let nested = outputs.obj("llm_output").and_then(|l| l.get("token_usage"));
    let found = outputs.any(&["usage_metadata", "usage"]).or(nested);
    if let Some(v) = found.map(decode_small).filter(Value::is_object) {
        d.sem.observe_decoded(USAGE_KEY, &v);
    }
}

/// The model: `extra.metadata.ls_model_name`, else `extra.invocation_params.model`.
fn model(o: &RawObject) -> Option<String> {
    let extra = o.obj("extra")?;
    let from_meta = extra
        .obj("metadata")
        .and_then(|m| m.str(&["ls_model_name"]));
    let from_params = || {
        let params = extra.obj("invocation_params")?;
        params.str(&["model", "model_name"])
    };
    from_meta
        .or_else(from_params)
        .filter(|m| !m.is_empty())
        .map(|m| m.into_owned())
}

fn is_empty_list(raw: &RawValue) -> bool {
    matches!(raw.get().trim(), "[]" | "null" | "")
}

/// Decodes a small field (a token count); never a payload.
fn decode_small(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}
