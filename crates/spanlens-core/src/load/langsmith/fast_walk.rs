//! The fast reader of one LangSmith run (a `list_runs` JSON Lines line), over the SIMD
//! token index (`fastjson`). It reads the fields the serde reader reads, first occurrence
//! of each key, and hands the same JSON texts to `run::add_run`, so both readers give the
//! same batch. It reads the whole run before adding anything, and gives up (with the
//! reason, nothing added) wherever the serde reader would decode a key, take another way
//! or fail: an escaped key at a level it reads by name, an ingestion batch (`post` /
//! `patch`), `child_runs` to walk, anything that is not one JSON object.
//!
//! PERF: `inputs`, `outputs`, `extra` and `events` are most of a line; here they are
//! stepped over token by token in the index and kept as references into the file, instead
//! of being parsed by serde_json three times (the line, the run, then `outputs`/`extra`).

use super::run::{At, RunFields, Where, add_run, is_null};
use crate::load::Sink;
use crate::load::fastjson::{self, Tokens};
use crate::load::json::Ctx;

/// Why the fast reader left a line to the serde reader (a slow-path reason).
pub(super) use crate::load::fast_fields::Why;
use crate::load::fast_fields::{FieldWalk, first};

/// Loads `text`, one run, into `sink`: `Err(why)` and nothing added when the serde reader
/// must read it.
pub(super) fn load_run(sink: &mut Sink, ctx: &Ctx, text: &str, seq: u64) -> Result<(), Why> {
    let read = fastjson::try_with_index(text.as_bytes(), |idx| {
        let mut w = Walk {
            t: Tokens::new(text, idx),
            text,
            why: "unusual JSON",
            f: RunFields::default(),
            // PERF: room for a run's metadata up front, not grown from nothing per run.
            attrs: Vec::with_capacity(32),
            extra_seen: false,
        };
        let start = w.t.next_offset().unwrap_or(0) as usize;
        if w.run().is_none() || !w.t.done() {
            return Err(w.why);
        }
        let at = At {
            seq,
            pos: Where::Text(text.get(start..).unwrap_or(text)),
        };
        add_run(
            &mut sink.batch,
            ctx,
            (&w.f, w.attrs.iter().copied()),
            at,
            None,
        );
        Ok(())
    });
    read.unwrap_or_else(|e| Err(e.as_str()))
}

struct Walk<'t> {
    t: Tokens<'t>,
    text: &'t str,
    why: Why,
    f: RunFields<'t>,
    /// Every top-level field, in file order: (key, JSON text of the value).
    attrs: Vec<(&'t str, &'t str)>,
    /// Whether an `extra` key was met (only the first one's fields count).
    extra_seen: bool,
}

impl<'t> FieldWalk<'t> for Walk<'t> {
    fn tokens(&mut self) -> &mut Tokens<'t> {
        &mut self.t
    }
    fn text(&self) -> &'t str {
        self.text
    }
    fn set_why(&mut self, why: Why) {
        self.why = why;
    }
}

impl<'t> Walk<'t> {
    /// An object read by `f`, as its JSON text.
    fn within(&mut self, f: impl FnOnce(&mut Self) -> Option<()>) -> Option<&'t str> {
        let start = self.t.next_offset()? as usize;
        f(self)?;
        let end = self.t.end_of_last()? as usize;
        self.text.get(start..end)
    }

    /// The run object: every field is an attribute; the ones with a meaning also go to
    /// their slot in `RunFields`.
    fn run(&mut self) -> Option<()> {
        if !self.is_next(b'{') {
            return self.give_up("not an object");
        }
        self.object(|w, key| {
            let v = w.field(key)?;
            if let Some(slot) = w.slot(key) {
                first(slot, v);
            }
            w.attrs.push((key, v));
            Some(())
        })
    }

    /// A top-level field's value; `outputs` and `extra` are read into as well.
    fn field(&mut self, key: &'t str) -> Option<&'t str> {
        match key {
            "post" | "patch" => self.give_up("an ingestion batch (`post`/`patch`)"),
            "outputs" if self.f.outputs.is_none() && self.is_next(b'{') => {
                self.within(Self::outputs)
            }
            "extra" if !self.extra_seen => {
                self.extra_seen = true;
                if self.is_next(b'{') {
                    self.within(Self::extra)
                } else {
                    self.raw()
                }
            }
            "child_runs" => {
                let v = self.raw()?;
                let empty = is_null(v) || !v.starts_with('[') || v[1..].trim() == "]";
                if empty {
                    Some(v)
                } else {
                    self.give_up("`child_runs` to walk")
                }
            }
            _ => self.raw(),
        }
    }

    /// Where a top-level field's text goes, if it has a meaning.
    fn slot(&mut self, key: &str) -> Option<&mut Option<&'t str>> {
        let f = &mut self.f;
        Some(match key {
            "id" => &mut f.id,
            "trace_id" => &mut f.trace_id,
            "parent_run_id" => &mut f.parent_run_id,
            "dotted_order" => &mut f.dotted_order,
            "name" => &mut f.name,
            "run_type" => &mut f.run_type,
            "start_time" => &mut f.start_time,
            "end_time" => &mut f.end_time,
            "error" => &mut f.error,
            "status" => &mut f.status,
            "prompt_tokens" => &mut f.tokens[0],
            "completion_tokens" => &mut f.tokens[1],
            "total_tokens" => &mut f.tokens[2],
            "total_cost" => &mut f.total_cost,
            "inputs" => &mut f.inputs,
            "outputs" => &mut f.outputs,
            "events" => &mut f.events,
            "feedback_stats" => &mut f.feedback_stats,
            _ => return None,
        })
    }

    /// `outputs`: where the provider's token usage may be.
    fn outputs(&mut self) -> Option<()> {
        let mut llm_seen = false;
        self.object(|w, key| match key {
            "usage_metadata" => w.first_into(|f| &mut f.usage[0]),
            "usage" => w.first_into(|f| &mut f.usage[1]),
            "llm_output" if !llm_seen => {
                llm_seen = true;
                w.nested(|w, key| match key {
                    "token_usage" => w.first_into(|f| &mut f.token_usage),
                    _ => w.raw().map(drop),
                })
            }
            _ => w.raw().map(drop),
        })
    }

    /// `extra`: the model, in `metadata` or `invocation_params`.
    fn extra(&mut self) -> Option<()> {
        let (mut meta_seen, mut params_seen) = (false, false);
        self.object(|w, key| match key {
            "metadata" if !meta_seen => {
                meta_seen = true;
                w.nested(|w, key| match key {
                    "ls_model_name" => w.first_into(|f| &mut f.meta_model),
                    _ => w.raw().map(drop),
                })
            }
            "invocation_params" if !params_seen => {
                params_seen = true;
                w.nested(|w, key| match key {
                    "model" => w.first_into(|f| &mut f.params_model[0]),
                    "model_name" => w.first_into(|f| &mut f.params_model[1]),
                    _ => w.raw().map(drop),
                })
            }
            _ => w.raw().map(drop),
        })
    }

    /// A value read into by key when it is an object (`RawObject::obj`), else stepped over.
    fn nested(&mut self, f: impl FnMut(&mut Self, &'t str) -> Option<()>) -> Option<()> {
        if self.is_next(b'{') {
            self.object(f)
        } else {
            self.raw().map(drop)
        }
    }

    /// The next value, kept in the slot `pick` names if it is the first there.
    fn first_into(
        &mut self,
        pick: impl for<'x> FnOnce(&'x mut RunFields<'t>) -> &'x mut Option<&'t str>,
    ) -> Option<()> {
        let v = self.raw()?;
        first(pick(&mut self.f), v);
        Some(())
    }
}
