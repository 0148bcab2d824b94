//! Trace-level metadata in every convention: session, user, tags and input/output previews,
//! read on demand from the trace's own record (MLflow `info`, a Langfuse trace object) and
//! from its spans' attributes (OTel GenAI, OpenInference, Langfuse OTel, LangSmith).
//!
//! Nothing is decoded at load time: `MetaKeys` resolves the attribute keys to symbols once,
//! so scanning a trace's attributes compares integers and decodes only the few that match.

use super::TraceSet;
use super::conventions::as_string;
use super::intern::Sym;
use super::span::TraceIx;
use serde_json::{Map, Value};

/// What a trace says about itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceMeta {
    pub session: Option<String>,
    pub user: Option<String>,
    /// User tags as (key, value); list-style tags have an empty value.
    pub tags: Vec<(String, String)>,
    pub input_preview: Option<String>,
    pub output_preview: Option<String>,
    /// Every trace-level key and value found (MLflow trace metadata and tags, Langfuse trace
    /// fields), so `attr:` search can reach them.
    pub fields: Vec<(String, String)>,
}

/// Span attributes holding a session id, best first.
const SESSION_KEYS: [&str; 7] = [
    "gen_ai.conversation.id",
    "session.id",
    "langfuse.session.id",
    "mlflow.trace.session",
    "langsmith.metadata.thread_id",
    "langsmith.metadata.session_id",
    "langsmith.metadata.conversation_id",
];
const USER_KEYS: [&str; 5] = [
    "user.id",
    "enduser.id",
    "langfuse.user.id",
    "mlflow.trace.user",
    "langsmith.metadata.user_id",
];
const TAG_KEYS: [&str; 2] = ["tag.tags", "langfuse.trace.tags"];
/// LangSmith runs keep `extra` (with `metadata.thread_id`…) and `tags` as attributes.
const LANGSMITH_EXTRA: &str = "extra";
const LANGSMITH_TAGS: &str = "tags";
/// Preview length for inputs taken from a root span.
const PREVIEW_CHARS: usize = 300;

/// The metadata attribute keys as symbols of one `TraceSet`.
pub struct MetaKeys {
    session: Vec<Sym>,
    user: Vec<Sym>,
    tags: Vec<Sym>,
    extra: Option<Sym>,
    list_tags: Option<Sym>,
    /// Indexed by symbol: whether the key is one of the above (PERF: most attributes are
    /// ruled out by one lookup).
    wanted: Vec<bool>,
}

impl MetaKeys {
    pub fn new(set: &TraceSet) -> MetaKeys {
        let syms = |keys: &[&str]| -> Vec<Sym> {
            keys.iter()
                .map(|k| set.syms.lookup(k).unwrap_or(Sym::EMPTY))
                .collect()
        };
        let mut keys = MetaKeys {
            session: syms(&SESSION_KEYS),
            user: syms(&USER_KEYS),
            tags: syms(&TAG_KEYS),
            extra: set.syms.lookup(LANGSMITH_EXTRA),
            list_tags: set.syms.lookup(LANGSMITH_TAGS),
            wanted: vec![false; set.syms.len()],
        };
        let all: Vec<Sym> = (keys.session.iter().chain(&keys.user).chain(&keys.tags))
            .copied()
            .chain(keys.extra)
            .chain(keys.list_tags)
            .filter(|k| !k.is_empty())
            .collect();
        for k in all {
            if let Some(w) = keys.wanted.get_mut(k.0 as usize) {
                *w = true;
            }
        }
        keys
    }

    /// The metadata of trace `t`: its own record first, then its spans in pre-order.
    pub fn trace_meta(&self, set: &TraceSet, t: TraceIx) -> TraceMeta {
        let mut meta = TraceMeta::default();
        let trace = set.trace(t);
        if let Some(info) = trace.info {
            from_record(&set.sources.value(info), &mut meta);
        }
        let mut session = (usize::MAX, None);
        let mut user = (usize::MAX, None);
        // Tag lists already read, by key and length: spans often repeat the trace's tags.
        let mut tag_lists: Vec<(Sym, u32)> = Vec::new();
        for i in trace.spans() {
            let s = &set.spans[i];
            for a in &set.attrs[s.attr_range()] {
                if !self.wanted.get(a.key.0 as usize).copied().unwrap_or(false) {
                    continue;
                }
                let value = || {
                    let r = super::TextRef {
                        off: a.off,
                        len: a.len,
                        src: s.src,
                        enc: s.attr_enc,
                    };
                    set.sources.value(r)
                };
                if let Some(rank) = self.session.iter().position(|k| *k == a.key) {
                    if rank < session.0 {
                        session = (rank, as_string(&value()).filter(|v| !v.is_empty()));
                    }
                } else if let Some(rank) = self.user.iter().position(|k| *k == a.key) {
                    if rank < user.0 {
                        user = (rank, as_string(&value()).filter(|v| !v.is_empty()));
                    }
                } else if self.tags.contains(&a.key) || Some(a.key) == self.list_tags {
                    if !tag_lists.contains(&(a.key, a.len)) {
                        tag_lists.push((a.key, a.len));
                        push_list_tags(&value(), &mut meta.tags);
                    }
                } else if Some(a.key) == self.extra && (session.1.is_none() || user.1.is_none()) {
                    langsmith_extra(&value(), &mut session, &mut user);
                }
            }
        }
        meta.session = meta.session.or(session.1);
        meta.user = meta.user.or(user.1);
        if meta.input_preview.is_none() {
            meta.input_preview = root_preview(set, t);
        }
        let mut seen = std::collections::HashSet::new();
        meta.tags.retain(|t| seen.insert(t.clone()));
        meta
    }
}

/// Only the keys and values of trace `t`'s own record (MLflow trace metadata and tags,
/// previews, a Langfuse trace's session, user and tags), for search: nothing else decoded.
pub fn record_fields(set: &TraceSet, t: TraceIx) -> Vec<(String, String)> {
    let mut meta = TraceMeta::default();
    if let Some(info) = set.trace(t).info {
        from_record(&set.sources.value(info), &mut meta);
    }
    meta.fields
}

impl TraceSet {
    /// Session, user, tags and previews of trace `t`, in whatever convention it carries
    /// them. For many traces, build `MetaKeys` once and call `MetaKeys::trace_meta`.
    pub fn trace_meta(&self, t: TraceIx) -> TraceMeta {
        MetaKeys::new(self).trace_meta(self, t)
    }
}

/// LangSmith `extra.metadata`: `thread_id`, `session_id`, `conversation_id`, `user_id`.
fn langsmith_extra(
    extra: &Value,
    session: &mut (usize, Option<String>),
    user: &mut (usize, Option<String>),
) {
    let Some(md) = extra.get("metadata").and_then(Value::as_object) else {
        return;
    };
    for (rank, k) in ["thread_id", "session_id", "conversation_id"]
        .iter()
        .enumerate()
    {
        let rank = rank + SESSION_KEYS.len() - 3;
        if rank < session.0
            && let Some(v) = md.get(*k).and_then(as_string).filter(|v| !v.is_empty())
        {
            *session = (rank, Some(v));
        }
    }
    if user.0 == usize::MAX
        && let Some(v) = md.get("user_id").and_then(as_string)
    {
        *user = (USER_KEYS.len() - 1, Some(v));
    }
}

/// A tag list: an array of strings, or a JSON string holding one.
fn push_list_tags(v: &Value, out: &mut Vec<(String, String)>) {
    let v = match v {
        Value::String(s) => super::text::json_in_string(s.clone()),
        other => other.clone(),
    };
    match v {
        Value::Array(items) => {
            for item in items {
                if let Some(s) = as_string(&item) {
                    out.push((s, String::new()));
                }
            }
        }
        Value::Object(m) => push_map_tags(&m, out, false),
        Value::String(s) if !s.is_empty() => out.push((s, String::new())),
        _ => {}
    }
}

fn push_map_tags(m: &Map<String, Value>, out: &mut Vec<(String, String)>, skip_mlflow: bool) {
    for (k, v) in m {
        if skip_mlflow && k.starts_with("mlflow.") {
            continue;
        }
        out.push((k.clone(), as_string(v).unwrap_or_else(|| v.to_string())));
    }
}

/// A trace record: MLflow `info` (v3 `trace_metadata`, v2 `request_metadata`, `tags`,
/// previews) or a Langfuse trace (`sessionId`, `userId`, `tags`, `input`, `output`).
fn from_record(v: &Value, meta: &mut TraceMeta) {
    let v = v.get("trace").filter(|t| t.is_object()).unwrap_or(v);
    let Some(o) = v.as_object() else { return };
    let md = ["trace_metadata", "request_metadata"]
        .iter()
        .find_map(|k| o.get(*k))
        .map(string_map)
        .unwrap_or_default();
    let tags = o.get("tags");
    let str_of = |k: &str| o.get(k).and_then(as_string).filter(|s| !s.is_empty());
    meta.session = md
        .get("mlflow.trace.session")
        .and_then(as_string)
        .or_else(|| str_of("sessionId"))
        .or_else(|| {
            str_of("session_id").filter(|_| o.contains_key("userId") || o.contains_key("user_id"))
        });
    meta.user = md
        .get("mlflow.trace.user")
        .and_then(as_string)
        .or_else(|| str_of("userId"))
        .or_else(|| str_of("user_id"));
    match tags {
        Some(Value::Array(_)) => push_list_tags(tags.unwrap_or(&Value::Null), &mut meta.tags),
        Some(t) => push_map_tags(&string_map(t), &mut meta.tags, true),
        None => {}
    }
    meta.input_preview = ["request_preview", "request"]
        .iter()
        .find_map(|k| str_of(k))
        .or_else(|| md.get("mlflow.traceInputs").and_then(as_string))
        .or_else(|| o.get("input").filter(|i| !i.is_null()).map(text_of));
    meta.output_preview = ["response_preview", "response"]
        .iter()
        .find_map(|k| str_of(k))
        .or_else(|| md.get("mlflow.traceOutputs").and_then(as_string))
        .or_else(|| o.get("output").filter(|i| !i.is_null()).map(text_of));
    for (k, v) in &md {
        meta.fields.push((k.clone(), text_of(v)));
    }
    if let Some(t) = tags.filter(|t| t.is_object()) {
        for (k, v) in string_map(t) {
            meta.fields.push((format!("tags.{k}"), text_of(&v)));
        }
    }
    let named = [
        ("sessionId", "session"),
        ("userId", "user"),
        ("request_preview", "request_preview"),
        ("response_preview", "response_preview"),
    ];
    for (k, label) in named {
        if let Some(v) = str_of(k) {
            meta.fields.push((label.to_owned(), v));
        }
    }
    if let Some(Value::Array(list)) = tags {
        let joined: Vec<String> = list.iter().filter_map(as_string).collect();
        meta.fields.push(("tags".to_owned(), joined.join(", ")));
    }
}

/// A map given as an object, as a JSON string, or as `[{key, value}]` (MLflow 2 protos).
fn string_map(v: &Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m.clone(),
        Value::String(s) => match super::text::json_in_string(s.clone()) {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        Value::Array(items) => items
            .iter()
            .filter_map(|i| Some((i.get("key")?.as_str()?.to_owned(), i.get("value")?.clone())))
            .collect(),
        _ => Map::new(),
    }
}

fn text_of(v: &Value) -> String {
    as_string(v).unwrap_or_else(|| v.to_string())
}

/// The first root span's input, cut to `PREVIEW_CHARS`.
fn root_preview(set: &TraceSet, t: TraceIx) -> Option<String> {
    let trace = set.trace(t);
    if trace.span_count() == 0 {
        return None;
    }
    let input = set.spans[trace.span_start as usize].input?;
    let text = set.sources.text(input);
    let mut out: String = text.chars().take(PREVIEW_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    Some(out)
}
