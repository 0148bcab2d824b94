//! LangSmith runs (formats.md §6): single Run objects (JSON/JSONL from `list_runs`, with
//! `child_runs` when they were loaded) and `{post, patch}` ingestion batches.
//!
//! A patch completes a post (end time, outputs, error, events): they are merged field by
//! field, the patch winning, and the merged record is written to the arena as compact JSON
//! so its text references point at one record. Posts nobody patched are read in place.
//! Every non-null top-level field becomes an attribute named as in the file;
//! `feedback_stats` also become assessments.

mod fast_walk;
mod run;
#[cfg(test)]
mod tests;

use super::Sink;
use super::json::{CowStr, Ctx, RawObject, is_null};
use crate::model::Batch;
use run::{At, RunFields, Where, add_run};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;

pub fn load(sink: &mut Sink, ctx: &Ctx, raw: &RawValue, seq: u64) {
    let Some(o) = RawObject::parse(raw) else {
        let msg = "skipped: a LangSmith run must be a JSON object";
        sink.batch.diag(ctx.path, ctx.line_of(raw), msg);
        return;
    };
    if o.has("post") || o.has("patch") {
        load_batch(sink, ctx, &o, seq);
    } else {
        load_run_tree(&mut sink.batch, ctx, raw, seq, Where::Text(raw.get()));
    }
}

/// Loads `line`, a JSON Lines record borrowed from `ctx.buf`, with the fast reader:
/// false (the reason counted as a slow path) when it must go the serde way, through
/// `load`.
pub fn load_line_fast(sink: &mut Sink, ctx: &Ctx, line: &str, seq: u64) -> bool {
    if !super::fastjson::enabled() {
        return false;
    }
    match fast_walk::load_run(sink, ctx, line, seq) {
        Ok(()) => true,
        Err(why) => {
            sink.batch.slow.add("langsmith line", why, 1);
            false
        }
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
        if rec.patched {
            // Loaded from the arena: where it was in the file is found now.
            let pos = ctx.line_of(rec.raw);
            let mut text = Vec::with_capacity(rec.raw.get().len() * 2);
            write_compact_object(&mut text, &rec.fields);
            let off = sink.stash(&text) as usize;
            stashed.push((off, text.len(), rec_seq, pos));
        } else {
            load_run_tree(
                &mut sink.batch,
                ctx,
                rec.raw,
                rec_seq,
                Where::Text(rec.raw.get()),
            );
        }
    }
    let arena = Ctx::new(&sink.arena, 0, sink.src, ctx.path);
    for (off, len, rec_seq, pos) in stashed {
        match serde_json::from_slice::<&RawValue>(&sink.arena[off..off + len]) {
            Ok(raw) => load_run_tree(&mut sink.batch, &arena, raw, rec_seq, Where::Known(pos)),
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
fn load_run_tree(batch: &mut Batch, ctx: &Ctx, raw: &RawValue, seq: u64, pos: Where) {
    let mut stack = vec![(raw, None::<String>)];
    let mut n = 0u64;
    while let Some((raw, parent)) = stack.pop() {
        let Some(o) = RawObject::parse(raw) else {
            batch.diag(ctx.path, pos.pos(ctx), "run skipped: not an object");
            continue;
        };
        let at = At {
            seq: seq.wrapping_add(n),
            pos,
        };
        let attrs = o.0.iter().map(|(k, v)| (&**k, v.get()));
        let id = add_run(batch, ctx, (&run_fields(&o), attrs), at, parent);
        n += 1;
        for child in o.arr("child_runs").into_iter().rev() {
            stack.push((child, id.clone()));
        }
    }
}

/// The fields of a run read as a `RawObject`, as `add_run` takes them.
fn run_fields<'a>(o: &RawObject<'a>) -> RunFields<'a> {
    let get = |k: &str| o.get(k).map(RawValue::get);
    let outputs = o.obj("outputs");
    let out = |k: &str| outputs.as_ref().and_then(|x| x.get(k)).map(RawValue::get);
    let llm = outputs.as_ref().and_then(|x| x.obj("llm_output"));
    let extra = o.obj("extra");
    let meta = extra.as_ref().and_then(|e| e.obj("metadata"));
    let params = extra.as_ref().and_then(|e| e.obj("invocation_params"));
    let param = |k: &str| params.as_ref().and_then(|p| p.get(k)).map(RawValue::get);
    RunFields {
        id: get("id"),
        trace_id: get("trace_id"),
        parent_run_id: get("parent_run_id"),
        dotted_order: get("dotted_order"),
        name: get("name"),
        run_type: get("run_type"),
        start_time: get("start_time"),
        end_time: get("end_time"),
        error: get("error"),
        status: get("status"),
        tokens: [
            get("prompt_tokens"),
            get("completion_tokens"),
            get("total_tokens"),
        ],
        total_cost: get("total_cost"),
        inputs: get("inputs"),
        outputs: get("outputs"),
        events: get("events"),
        feedback_stats: get("feedback_stats"),
        usage: [out("usage_metadata"), out("usage")],
        token_usage: llm.and_then(|l| l.get("token_usage")).map(RawValue::get),
        meta_model: meta.and_then(|m| m.get("ls_model_name")).map(RawValue::get),
        params_model: [param("model"), param("model_name")],
    }
}
