//! What a loader produces: spans with chunk-local symbols and ids, plus trace-level records,
//! assessments and diagnostics. `model::build` merges batches into a `TraceSet`.

use super::conventions::{Role, Semantics, role_of};
use super::ids;
use super::intern::{Interner, Sym};
use super::kind::Status;
use super::span::{AttrRef, IdRef, Span};
use super::text::{Enc, Sources, TextRef};
use serde_json::Value;
use std::fmt;

/// Where in a file a problem was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pos {
    None,
    Line(u64),
    LineCol(u64, u64),
    Byte(u64),
    Record(u64),
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pos::None => Ok(()),
            Pos::Line(l) => write!(f, "line {l}"),
            Pos::LineCol(l, c) => write!(f, "line {l} column {c}"),
            Pos::Byte(b) => write!(f, "byte {b}"),
            Pos::Record(r) => write!(f, "record {r}"),
        }
    }
}

/// A problem that skipped part of a file, or something worth telling the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Pos::None => write!(f, "{}: {}", self.path, self.message),
            pos => write!(f, "{}: {pos}: {}", self.path, self.message),
        }
    }
}

/// Trace-level facts a format carries beside its spans (MLflow `info`, a Langfuse trace).
#[derive(Clone, Debug, Default)]
pub struct TraceInfo {
    /// Canonical trace id, as `ids::normalize` gives it.
    pub trace_id: String,
    pub original_id: Option<String>,
    pub state: Option<Status>,
    pub info: Option<TextRef>,
}

/// Feedback, expectations, scores and annotations, attached to a trace or one span.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Assessment {
    /// Canonical trace id (may be empty when the source only names a span).
    pub trace_id: String,
    /// Canonical span id when the assessment targets a span.
    pub span_id: Option<String>,
    pub name: String,
    /// `feedback`, `expectation`, `score` or `annotation`.
    pub kind: String,
    pub value: Value,
    pub rationale: Option<String>,
    pub source: Option<String>,
    pub error: Option<String>,
    /// The source's own id for it (MLflow `assessment_id`), when it has one.
    pub id: Option<String>,
    /// When it was made or last changed, in ns since the epoch, when the source says.
    pub time_ns: Option<i64>,
}

/// Spans and records parsed from one chunk of one file.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub syms: Interner,
    pub ids: Vec<u8>,
    pub spans: Vec<Span>,
    pub attrs: Vec<AttrRef>,
    pub infos: Vec<TraceInfo>,
    pub assessments: Vec<super::Stored>,
    pub diagnostics: Vec<Diagnostic>,
    /// Inputs of this batch that took a slow path, by reason.
    pub slow: super::slow::SlowPaths,
    /// The last trace id seen (as written) and its symbol: consecutive spans usually share
    /// a trace, so most lookups skip normalising and hashing.
    last_trace: (String, Sym),
    /// The last keys seen at each attribute position, most recent first: spans of one
    /// kind list the same keys in the same order, so most keys are found by a comparison
    /// or two, without hashing.
    ///
    /// PERF: one key a position missed whenever the span before was of another kind (an
    /// MLflow trace's agent, retriever, LLM and tool spans each list their own keys): half
    /// the keys of real-shape MLflow 3 lines were hashed and looked up.
    last_keys: Vec<[Sym; KEYS_AT]>,
    /// The semantic role of each key symbol, looked up once per distinct key.
    roles: Vec<Option<Option<Role>>>,
}

/// Keys remembered at each attribute position (`Batch::last_keys`).
const KEYS_AT: usize = 4;

/// Everything loaded from one input file.
#[derive(Debug, Default)]
pub struct FileLoad {
    pub path: String,
    pub format: String,
    pub sources: Sources,
    pub batches: Vec<Batch>,
    /// Bytes read (after decompression).
    pub bytes: u64,
}

/// How long a batch's lists were, to undo what a reader added before it gave up.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    spans: usize,
    attrs: usize,
    ids: usize,
    diagnostics: usize,
}

/// A span being assembled by a loader.
#[derive(Debug, Default)]
pub struct SpanDraft {
    pub span: Span,
    pub sem: Semantics,
}

impl Batch {
    /// An empty batch with room for about `spans` spans, ten attributes and two 16-byte
    /// ids each.
    pub fn with_capacity(spans: usize) -> Batch {
        Batch::with_room(spans, spans * 10, spans * 32)
    }

    /// An empty batch with room for `spans` spans, `attrs` attribute references and
    /// `ids` bytes of span ids, and an eighth more of each in case.
    pub fn with_room(spans: usize, attrs: usize, ids: usize) -> Batch {
        let more = |n: usize| n + n / 8;
        let mut b = Batch {
            spans: Vec::with_capacity(more(spans)),
            attrs: Vec::with_capacity(more(attrs)),
            ids: Vec::with_capacity(more(ids)),
            ..Batch::default()
        };
        // The spans expected are faulted in at once; the rest of the room, and the other
        // lists, fault in as they are written (room never written costs no memory).
        crate::memory::prefault_next(&mut b.spans, spans);
        b
    }

    /// Gives back the room `with_capacity` reserved but the spans did not use. Batches live
    /// until the whole file is parsed, so a guess sized by bytes (spans of 1 MB prompts
    /// fill a fraction of a percent of it) would otherwise hold memory in proportion to the
    /// file rather than to its spans.
    pub fn shrink(&mut self) {
        fn fit<T>(v: &mut Vec<T>) {
            // Only when mostly empty: shrinking copies, and a well-guessed batch keeps its room.
            if v.len() < v.capacity() / 2 {
                v.shrink_to_fit();
            }
        }
        fit(&mut self.spans);
        fit(&mut self.attrs);
        fit(&mut self.ids);
    }

    /// The spans of one trace (with their attributes, ids and trace-level records) as a
    /// batch of their own; `None` when this batch holds nothing of it. Used to show a
    /// trace while the rest of its file is still loading.
    pub fn extract(&self, trace_id: &str) -> Option<Batch> {
        let sym = self.syms.lookup(trace_id)?;
        let mut out = Batch {
            syms: self.syms.clone(),
            ..Batch::default()
        };
        for s in self.spans.iter().filter(|s| s.trace_id == sym) {
            let mut s = *s;
            let attrs = s.attr_start as usize..(s.attr_start + s.attr_len) as usize;
            s.attr_start = out.attrs.len() as u32;
            out.attrs.extend_from_slice(&self.attrs[attrs]);
            s.span_id = out.copy_id(&self.ids, s.span_id);
            s.parent_id = out.copy_id(&self.ids, s.parent_id);
            out.spans.push(s);
        }
        let ours = |id: &str| id == trace_id;
        out.infos = self
            .infos
            .iter()
            .filter(|i| ours(&i.trace_id))
            .cloned()
            .collect();
        out.assessments = (self.assessments.iter())
            .filter(|a| ours(a.trace_id()))
            .cloned()
            .collect();
        (!out.spans.is_empty() || !out.infos.is_empty()).then_some(out)
    }

    fn copy_id(&mut self, ids: &[u8], id: IdRef) -> IdRef {
        if id.is_none() {
            return id;
        }
        let off = self.ids.len() as u32;
        self.ids
            .extend_from_slice(&ids[id.off as usize..(id.off + id.len) as usize]);
        IdRef { off, len: id.len }
    }

    pub fn mark(&self) -> Mark {
        Mark {
            spans: self.spans.len(),
            attrs: self.attrs.len(),
            ids: self.ids.len(),
            diagnostics: self.diagnostics.len(),
        }
    }

    /// Drops the spans, attributes, ids and diagnostics added since `mark`. Symbols
    /// interned since stay: they are only names, and nothing refers to them.
    pub fn rollback(&mut self, mark: Mark) {
        self.spans.truncate(mark.spans);
        self.attrs.truncate(mark.attrs);
        self.ids.truncate(mark.ids);
        self.diagnostics.truncate(mark.diagnostics);
    }

    pub fn sym(&mut self, s: &str) -> Sym {
        self.syms.intern(s)
    }

    /// Stores a normalised span id; empty and placeholder ids give `IdRef::default()`.
    pub fn id(&mut self, raw: &str) -> IdRef {
        if !ids::is_present(raw) {
            return IdRef::default();
        }
        let off = self.ids.len() as u32;
        ids::normalize_into(raw, &mut self.ids);
        IdRef {
            off,
            len: self.ids.len() as u32 - off,
        }
    }

    /// Interns a normalised trace id.
    pub fn trace_id(&mut self, raw: &str) -> Sym {
        if self.last_trace.0 == raw && !raw.is_empty() {
            return self.last_trace.1;
        }
        let sym = self.syms.intern(&ids::normalize(raw));
        self.last_trace = (raw.to_owned(), sym);
        sym
    }

    /// Starts a span whose attributes live in `src` with encoding `attr_enc`.
    pub fn begin(&self, src: u16, attr_enc: Enc, seq: u64) -> SpanDraft {
        let span = Span {
            src,
            attr_enc,
            seq,
            attr_start: self.attrs.len() as u32,
            ..Span::default()
        };
        SpanDraft {
            span,
            sem: Semantics::default(),
        }
    }

    /// Adds an attribute to the draft; `raw` are the value's bytes, `at` where they live.
    pub fn attr(&mut self, draft: &mut SpanDraft, key: &str, raw: &[u8], at: TextRef) {
        debug_assert_eq!(at.src, draft.span.src);
        let sym = self.key_sym(draft.span.attr_len as usize, key);
        let role = self.role(sym, key);
        draft
            .sem
            .observe_role(role, raw, at.with_enc(draft.span.attr_enc));
        self.attrs.push(AttrRef {
            key: sym,
            len: at.len,
            off: at.off,
        });
        draft.span.attr_len += 1;
    }

    /// The role of key `sym` (PERF: cached per symbol, not matched per attribute).
    fn role(&mut self, sym: Sym, key: &str) -> Option<Role> {
        let i = sym.0 as usize;
        if i >= self.roles.len() {
            self.roles.resize(i + 1, None);
        }
        *self.roles[i].get_or_insert_with(|| role_of(key))
    }

    /// The symbol of attribute key `key` at position `slot` of the current span.
    fn key_sym(&mut self, slot: usize, key: &str) -> Sym {
        if let Some(recent) = self.last_keys.get_mut(slot) {
            let syms = &self.syms;
            // (The empty symbol fills unused places: an empty key is interned instead.)
            let found = (recent.iter()).position(|&s| !s.is_empty() && syms.get(s) == key);
            if let Some(i) = found {
                let sym = recent[i];
                recent.copy_within(0..i, 1);
                recent[0] = sym;
                return sym;
            }
        }
        let sym = self.syms.intern(key);
        match slot.cmp(&self.last_keys.len()) {
            std::cmp::Ordering::Less => {
                let recent = &mut self.last_keys[slot];
                recent.copy_within(0..KEYS_AT - 1, 1);
                recent[0] = sym;
            }
            std::cmp::Ordering::Equal => {
                let mut recent = [Sym::EMPTY; KEYS_AT];
                recent[0] = sym;
                self.last_keys.push(recent);
            }
            std::cmp::Ordering::Greater => {}
        }
        sym
    }

    /// Finishes a draft: semantic fields are resolved and the span is stored.
    pub fn finish(&mut self, draft: SpanDraft) {
        let SpanDraft { mut span, sem } = draft;
        if sem.slow_otlp_values > 0 {
            let why = "not a compact scalar, decoded by serde_json";
            self.slow
                .add("otlp value", why, sem.slow_otlp_values.into());
        }
        let r = sem.resolve();
        if let Some(kind) = r.kind {
            span.kind = kind;
        }
        if let Some(m) = r.model {
            span.model = self.syms.intern(&m);
        }
        if let Some(t) = r.tool {
            span.tool = self.syms.intern(&t);
        }
        span.tokens = r.tokens;
        span.set_cost(r.cost);
        span.input = span.input.or(r.input);
        span.output = span.output.or(r.output);
        span.status_msg = span.status_msg.or(r.status_message);
        if let Some(status) = r.status {
            span.status = status;
        }
        self.spans.push(span);
    }

    pub fn diag(&mut self, path: &str, pos: Pos, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            path: path.to_owned(),
            pos,
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spans of several kinds in turn, each listing its own keys (more kinds than keys
    /// remembered a position, an empty key, a key at another position): every attribute
    /// gets the symbol of its own key.
    #[test]
    fn attribute_keys_get_their_own_symbols_whatever_came_before() {
        let kinds: [&[&str]; 6] = [
            &["id", "type", "fn", "in", "out"],
            &["id", "type", "in", "model", "tools", "usage", "out"],
            &["id", "type", "fn", "in"],
            &["id", "type", "in", "out"],
            &["id", "", "in", "type"],
            &["x1", "x2", "x3", "x4", "x5", "x6"],
        ];
        let mut b = Batch::default();
        let order = [0, 0, 1, 0, 2, 3, 1, 4, 5, 3, 4, 1, 0, 5, 2];
        for &k in &order {
            let mut d = b.begin(0, Enc::Json, 0);
            for key in kinds[k] {
                b.attr(&mut d, key, b"1", TextRef::new(0, 0, 1, Enc::Json));
            }
            b.finish(d);
        }
        let mut at = 0;
        for &k in &order {
            for key in kinds[k] {
                assert_eq!(b.syms.get(b.attrs[at].key), *key, "attribute {at}");
                at += 1;
            }
        }
        assert_eq!(at, b.attrs.len());
    }
}
