//! Assessments as the loaders leave them: decoded, or kept as a reference to their JSON
//! text (MLflow 3 `info.assessments`) and decoded the first time something reads them.
//!
//! PERF: decoding the 570,000 assessments of 1M real-shape MLflow 3 spans at load (seven
//! strings, a `Value` and a time each) was a fifth of the load's CPU, for a `summary` that
//! only counts them. The load now reads only what links an assessment to its trace and
//! span; the detail pane decodes the few it shows, and whatever reads them all (the trace
//! list's verdicts, search, diff, `feedback`) decodes them all at once, on the pool.

use super::batch::Assessment;
use super::intern::Sym;
use super::parts::Parts;
use super::text::{Sources, TextRef};
use std::borrow::Cow;
use std::fmt;
use std::ops::Index;
use std::sync::{Arc, OnceLock};

/// Decodes an assessment's JSON text: the loader's own reading, passed as a function so
/// the model does not depend on the loaders.
pub type Decode = fn(&[u8]) -> Option<Assessment>;

/// One assessment, decoded or kept.
#[derive(Clone)]
pub struct Stored(Form);

#[derive(Clone)]
enum Form {
    Read(Box<Assessment>),
    Kept(Kept),
}

/// The body a kept assessment has, which names its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeptKind {
    Feedback,
    Expectation,
    Issue,
}

impl KeptKind {
    /// The kind's name, as `Assessment::kind` holds it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeptKind::Feedback => "feedback",
            KeptKind::Expectation => "expectation",
            KeptKind::Issue => "issue",
        }
    }
}

/// What the load read of a kept assessment, and where the rest is.
#[derive(Clone)]
struct Kept {
    /// Shared by a trace's assessments (PERF: one allocation a trace, not one each).
    trace_id: Arc<str>,
    /// The symbol of `trace_id` where the load knew it (in its batch, then in the set):
    /// the trace is found through it without hashing the id. Only a hint, checked
    /// against `trace_id` before use; `Sym::EMPTY` when not known.
    trace_sym: Sym,
    span_id: Option<Box<str>>,
    /// Known at load, since a body must be there for the text to be an assessment at all.
    /// PERF: a byte, not a `&'static str`, so that `trace_sym` costs no room (570,000
    /// kept at 1M MLflow 3 spans).
    kind: KeptKind,
    at: TextRef,
    decode: Decode,
    read: OnceLock<Box<Assessment>>,
}

impl From<Assessment> for Stored {
    fn from(a: Assessment) -> Self {
        Stored(Form::Read(Box::new(a)))
    }
}

impl Stored {
    /// An assessment whose canonical ids and kind were read at load, and whose JSON text
    /// at `at` gives the rest through `decode`.
    pub fn kept(
        (trace_id, trace_sym): (Arc<str>, Sym),
        span_id: Option<Box<str>>,
        kind: KeptKind,
        at: TextRef,
        decode: Decode,
    ) -> Stored {
        Stored(Form::Kept(Kept {
            trace_id,
            trace_sym,
            span_id,
            kind,
            at,
            decode,
            read: OnceLock::new(),
        }))
    }

    /// Canonical trace id (may be empty when the source only names a span).
    pub fn trace_id(&self) -> &str {
        match &self.0 {
            Form::Read(a) => &a.trace_id,
            Form::Kept(k) => &k.trace_id,
        }
    }

    /// The symbol the load noted for `trace_id`, if any: a hint to check before use.
    pub fn trace_sym(&self) -> Option<Sym> {
        match &self.0 {
            Form::Kept(k) if !k.trace_sym.is_empty() => Some(k.trace_sym),
            _ => None,
        }
    }

    /// Canonical span id when the assessment targets a span.
    pub fn span_id(&self) -> Option<&str> {
        match &self.0 {
            Form::Read(a) => a.span_id.as_deref(),
            Form::Kept(k) => k.span_id.as_deref(),
        }
    }

    /// The symbol the load noted for `trace_id` (see `Kept::trace_sym`), to renumber
    /// when symbols are merged; `None` when none was noted.
    pub fn trace_sym_mut(&mut self) -> Option<&mut Sym> {
        match &mut self.0 {
            Form::Kept(k) if !k.trace_sym.is_empty() => Some(&mut k.trace_sym),
            _ => None,
        }
    }

    /// The reference to a kept assessment's text (to renumber its source).
    pub fn text_ref_mut(&mut self) -> Option<&mut TextRef> {
        match &mut self.0 {
            Form::Read(_) => None,
            Form::Kept(k) => Some(&mut k.at),
        }
    }

    /// The assessment, decoded from the bytes `bytes` gives for its text the first time.
    pub fn read_with<'b>(
        &self,
        bytes: impl FnOnce(TextRef) -> std::io::Result<Cow<'b, [u8]>>,
    ) -> &Assessment {
        match &self.0 {
            Form::Read(a) => a,
            Form::Kept(k) => k.read.get_or_init(|| Box::new(k.decoded(bytes(k.at)))),
        }
    }

    fn is_pending(&self) -> bool {
        matches!(&self.0, Form::Kept(k) if k.read.get().is_none())
    }
}

impl Kept {
    /// The decoded assessment. The ids and kind stay those the load linked it by; text
    /// that no longer reads (the file changed on disk) says so in `error`.
    fn decoded(&self, bytes: std::io::Result<Cow<[u8]>>) -> Assessment {
        let read = bytes.map_err(|e| e.to_string()).and_then(|b| {
            (self.decode)(&b).ok_or_else(|| "its text is no longer an assessment".to_owned())
        });
        let mut a = read.unwrap_or_else(|why| Assessment {
            error: Some(format!("unreadable: {why}")),
            ..Assessment::default()
        });
        let kind = self.kind.as_str();
        debug_assert!(a.error.is_some() || *a.trace_id == *self.trace_id && a.kind == kind);
        if *a.trace_id != *self.trace_id {
            a.trace_id = self.trace_id.to_string();
        }
        if a.span_id.as_deref() != self.span_id.as_deref() {
            a.span_id = self.span_id.as_deref().map(str::to_owned);
        }
        if a.kind != kind {
            kind.clone_into(&mut a.kind);
        }
        a
    }
}

impl fmt::Debug for Stored {
    /// A kept assessment shows what the load read and how long its text is, not where the
    /// text is: two readings of the same input compare equal however it was cut.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Form::Read(a) => a.fmt(f),
            Form::Kept(k) => f
                .debug_struct("Kept")
                .field("trace_id", &k.trace_id)
                .field("span_id", &k.span_id)
                .field("kind", &k.kind)
                .field("len", &k.at.len)
                .finish(),
        }
    }
}

/// Every assessment of a trace set, in load order, as the loaders' pieces held them.
#[derive(Clone, Debug, Default)]
pub struct Assessments {
    parts: Parts<Stored>,
    /// Where kept assessments' text is (the set's sources).
    sources: Sources,
    /// Set once every kept assessment is decoded (see `read_all`).
    all_read: OnceLock<()>,
}

impl Assessments {
    /// Adds a loader's piece after the others.
    pub fn push_piece(&mut self, piece: Vec<Stored>) {
        self.parts.push_piece(piece);
        self.all_read = OnceLock::new();
    }

    /// Where kept assessments' text is to be read from.
    pub fn set_sources(&mut self, sources: Sources) {
        self.sources = sources;
    }

    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The pieces as stored (ids without decoding, for linking on the pool).
    pub fn pieces(&self) -> &[Vec<Stored>] {
        self.parts.pieces()
    }

    /// Whether none is left to decode (reading them all costs no decoding).
    pub fn all_decoded(&self) -> bool {
        self.all_read.get().is_some() || !self.stored().any(Stored::is_pending)
    }

    /// Every assessment as stored, in order.
    pub fn stored(&self) -> impl Iterator<Item = &Stored> {
        self.parts.iter()
    }

    /// Assessment `i`, decoded now if it was kept.
    pub fn get(&self, i: usize) -> &Assessment {
        self.parts[i].read_with(|r| self.sources.bytes(r))
    }

    /// Every assessment, decoded, in order (all kept ones are decoded first, on the pool).
    pub fn iter(&self) -> impl Iterator<Item = &Assessment> {
        self.read_all();
        self.parts
            .iter()
            .map(|s| s.read_with(|r| self.sources.bytes(r)))
    }

    /// Adds a decoded assessment after the others.
    pub fn push(&mut self, a: Assessment) {
        self.parts.push(a.into());
    }

    /// Keeps assessment `i` when `keep[i]` is true (or past the end of `keep`), in order.
    pub fn retain_marked(&mut self, keep: &[bool]) {
        let mut k = keep.iter();
        self.parts.retain(|_| *k.next().unwrap_or(&true));
    }

    /// Decodes every kept assessment not read yet, piece by piece on the pool, each file
    /// mapped once (PERF: a `pread` per assessment cost more than decoding it). The pages
    /// a piece read are given back after it: the texts lie across the whole file, and
    /// mapped they stayed resident (a 196 MB file's worth for 57,000 assessments).
    ///
    /// The flag that says all are read is set after the pass, never waited on: two
    /// callers at once both pass, and each assessment is decoded once under its own cell,
    /// so no thread (of the pool above all) waits for another's whole pass.
    pub fn read_all(&self) {
        if self.all_read.get().is_some() {
            return;
        }
        if self.stored().any(Stored::is_pending) {
            self.decode_pending();
        }
        let _ = self.all_read.set(());
    }

    fn decode_pending(&self) {
        use rayon::prelude::*;
        let _t = crate::timing::phase("decode assessments");
        let mapped = super::mapped::Mapped::new(&self.sources);
        self.pieces().par_iter().for_each(|piece| {
            // The part of each file this piece read, given back after it.
            let mut read = vec![(u64::MAX, 0u64); self.sources.len()];
            for s in piece.iter().filter(|s| s.is_pending()) {
                s.read_with(|r| mapped.bytes(r));
                let Form::Kept(k) = &s.0 else { continue };
                if let Some(span) = read.get_mut(k.at.src as usize) {
                    let end = k.at.off.saturating_add(u64::from(k.at.len));
                    *span = (span.0.min(k.at.off), span.1.max(end));
                }
            }
            for (src, (from, to)) in read.into_iter().enumerate() {
                mapped.release(src as u16, from, to);
            }
        });
    }
}

impl Index<usize> for Assessments {
    type Output = Assessment;

    fn index(&self, i: usize) -> &Assessment {
        self.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Enc, Source, SourceData};

    /// `{"v": N}` texts decode to an assessment named after N.
    fn decode(b: &[u8]) -> Option<Assessment> {
        let v: serde_json::Value = serde_json::from_slice(b).ok()?;
        Some(Assessment {
            trace_id: "t1".into(),
            kind: "feedback".into(),
            name: format!("n{}", v["v"].as_i64()?),
            ..Assessment::default()
        })
    }

    fn set_of(text: &str, offsets: &[(u64, usize)]) -> Assessments {
        let data = SourceData::Memory(Arc::new(text.as_bytes().to_vec()));
        set_over(data, offsets)
    }

    fn set_over(data: SourceData, offsets: &[(u64, usize)]) -> Assessments {
        let mut sources = Sources::default();
        sources.add(Source {
            path: "t".into(),
            data,
        });
        let kept = offsets
            .iter()
            .map(|&(off, len)| {
                let at = TextRef::new(0, off, len, Enc::Json);
                Stored::kept(
                    (Arc::from("t1"), Sym::EMPTY),
                    None,
                    KeptKind::Feedback,
                    at,
                    decode,
                )
            })
            .collect();
        let mut all = Assessments::default();
        all.push_piece(kept);
        all.push(Assessment {
            trace_id: "t2".into(),
            name: "eager".into(),
            ..Assessment::default()
        });
        all.set_sources(sources);
        all
    }

    #[test]
    fn kept_assessments_decode_when_read_and_keep_their_load_ids() {
        let text = r#"{"v": 1} {"v": 22} {"v": "x"}"#;
        let all = set_of(text, &[(0, 8), (9, 9), (19, 10)]);
        assert_eq!(all.len(), 4);
        assert!(all.stored().take(3).all(Stored::is_pending));
        // One read decodes only that one.
        assert_eq!(all[1].name, "n22");
        assert!(all.stored().next().unwrap().is_pending());
        let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["n1", "n22", "", "eager"]);
        assert!(!all.stored().any(Stored::is_pending));
        // Text that no longer decodes keeps its ids and says why.
        assert_eq!(all[2].trace_id, "t1");
        assert_eq!(all[2].kind, "feedback");
        assert!(all[2].error.as_deref().unwrap().starts_with("unreadable"));
        assert_eq!(all[3].trace_id, "t2");
    }

    #[test]
    fn readers_at_once_each_see_every_assessment_decoded() {
        let text: String = (0..2000).map(|i| format!("{{\"v\": {i:4}}} ")).collect();
        let offsets: Vec<(u64, usize)> = (0..2000).map(|i| (i * 12, 11)).collect();
        let all = Arc::new(set_of(&text, &offsets));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let all = all.clone();
                std::thread::spawn(move || all.iter().filter(|a| a.name.starts_with('n')).count())
            })
            .collect();
        for r in readers {
            assert_eq!(r.join().unwrap(), 2000);
        }
        assert!(all.all_decoded());
        assert_eq!(all[1999].name, "n1999");
    }

    #[test]
    fn retain_and_push_keep_their_order() {
        let text = r#"{"v": 1} {"v": 2}"#;
        let mut all = set_of(text, &[(0, 8), (9, 8)]);
        let keep: Vec<bool> = all.iter().map(|a| a.name != "n1").collect();
        all.retain_marked(&keep);
        all.push(Assessment {
            name: "late".into(),
            ..Assessment::default()
        });
        let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["n2", "eager", "late"]);
        assert_eq!(
            all.stored().map(Stored::trace_id).collect::<Vec<_>>(),
            ["t1", "t2", ""]
        );
    }

    #[test]
    fn kept_text_in_a_file_is_read_through_its_map_and_one_at_a_time() {
        let path = std::env::temp_dir().join(format!("spanlens-kept-{}.json", std::process::id()));
        // Texts a page apart, so the map's pages are given back between them.
        let mut text = String::from(r#"{"v": 7}"#);
        text.push_str(&" ".repeat(5000));
        text.push_str(r#"{"v": 8}"#);
        std::fs::write(&path, &text).unwrap();
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        let offsets = [(0, 8), (5008, 8)];
        let one = set_over(SourceData::File(file.clone()), &offsets);
        assert_eq!(one[1].name, "n8");
        let all = set_over(SourceData::File(file), &offsets);
        let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(names, ["n7", "n8", "eager"]);
    }

    #[test]
    fn a_reference_past_the_text_is_an_error_not_a_panic() {
        let all = set_of(r#"{"v": 1}"#, &[(4, 100)]);
        assert!(all[0].error.as_deref().unwrap().contains("out of range"));
        let shown = format!("{:?}", all.stored().next().unwrap());
        assert!(shown.contains("len: 100"), "{shown}");
    }
}
