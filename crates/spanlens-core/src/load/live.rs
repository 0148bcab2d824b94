//! Live loading: JSON Lines that arrive a few at a time (a file being followed, an OTLP
//! receiver), parsed as they come with the normal line loaders, and built into a trace
//! set whenever one is asked for.
//!
//! Each push is parsed on its own (only its bytes), into a segment that holds its text,
//! the text its loader had to write, and one batch. Segments are merged pairwise when a
//! newer one grows as large as the one before it (a binary counter), so a long session
//! keeps a handful of segments and text sources, and each byte is copied O(log n) times.
//! A snapshot clones the batches and runs `model::build`: O(total), so callers throttle it.

mod rebase;

use super::json::Ctx;
use super::line_pieces::{self, LineFn};
use super::{Format, Sink, records, sniff};
use crate::model::{Batch, Diagnostic, FileLoad, Pos, Source, SourceData, Sources, TraceSet};
use std::path::PathBuf;
use std::sync::Arc;

/// Accumulates JSON Lines as they arrive and builds the trace set read so far.
pub struct LiveLoad {
    label: String,
    format: Option<Format>,
    segments: Vec<Segment>,
    /// Notices and problems that belong to no batch (rotation, unknown lines), in order.
    notices: Vec<Diagnostic>,
    /// Bytes pushed so far: the stream offset of the next chunk (spans' order keys).
    bytes: u64,
    /// Lines pushed so far: the next chunk's diagnostics count on from here.
    lines: u64,
    spans: usize,
}

/// What one or more consecutive pushes loaded: their text (source 0 of the segment), the
/// text their loaders wrote (source 1), and their spans in one batch.
struct Segment {
    text: Arc<Vec<u8>>,
    arena: Arc<Vec<u8>>,
    batch: Batch,
}

impl Segment {
    fn size(&self) -> usize {
        self.text.len() + self.arena.len()
    }
}

/// The first source of a chunk's pieces (0 is the chunk's text, 1 its unused own arena).
const FIRST_PIECE_SRC: usize = 2;

impl LiveLoad {
    /// `label` names the input in diagnostics (a path, or "OTLP receiver"); `format` forces
    /// a format, else it is detected from the first lines.
    pub fn new(label: impl Into<String>, format: Option<Format>) -> Self {
        LiveLoad {
            label: label.into(),
            format,
            segments: Vec::new(),
            notices: Vec::new(),
            bytes: 0,
            lines: 0,
            spans: 0,
        }
    }

    /// Takes whole lines only (every line ends in '\n'; a missing last newline is taken as
    /// one). Parses just these bytes with the normal loaders; line numbers continue across
    /// calls, so diagnostics name the true line. Returns the spans added.
    pub fn push_lines(&mut self, bytes: Vec<u8>) -> usize {
        if bytes.is_empty() {
            return 0;
        }
        let (base, line0) = (self.bytes, self.lines);
        self.bytes += bytes.len() as u64;
        self.lines += count_lines(&bytes);
        if sniff::skip_bom_ws(&bytes).is_empty() {
            return 0;
        }
        let text = Arc::new(bytes);
        let Some(fmt) = self.format.or_else(|| self.detect(&text)) else {
            self.unknown_lines(&text, line0);
            return 0;
        };
        self.format = Some(fmt);
        let sinks = parse(fmt, &self.label, &text, (base, line0));
        let segment = rebase::segment(text, sinks, base);
        let added = segment.batch.spans.len();
        self.spans += added;
        self.segments.push(segment);
        self.merge_segments();
        added
    }

    /// Records a notice (rotation, truncation, receiver rejections) as a diagnostic.
    pub fn notice(&mut self, message: impl Into<String>) {
        self.notices.push(Diagnostic {
            path: self.label.clone(),
            pos: Pos::None,
            message: message.into(),
        });
    }

    /// The trace set read so far. Spans of one trace that arrived in different chunks join
    /// one tree; the set is not `partial`: a parent still missing makes an orphan.
    pub fn snapshot(&self) -> TraceSet {
        let mut sources = Sources::default();
        let mut batches = Vec::with_capacity(self.segments.len());
        let path = PathBuf::from(&self.label);
        for seg in &self.segments {
            let base = sources.len() as u16;
            for data in [&seg.text, &seg.arena] {
                sources.add(Source {
                    path: path.clone(),
                    data: SourceData::Memory(data.clone()),
                });
            }
            let mut batch = seg.batch.clone();
            rebase::move_sources(&mut batch, &|src| (base + src, 0));
            batches.push(batch);
        }
        let load = FileLoad {
            path: self.label.clone(),
            format: self.format_name(),
            sources,
            batches,
            bytes: self.bytes,
        };
        crate::model::build::build(vec![load], self.notices.clone())
    }

    /// Spans pushed so far (copies of one span that a build merges count each).
    pub fn spans(&self) -> usize {
        self.spans
    }

    /// Bytes pushed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The format lines are read as, once known.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    fn format_name(&self) -> String {
        match self.format {
            Some(f) => format!("{} (jsonl, live)", f.name()),
            None => "unknown (jsonl, live)".into(),
        }
    }

    fn detect(&self, text: &Arc<Vec<u8>>) -> Option<Format> {
        let input = super::input::Input::Memory {
            path: PathBuf::from(&self.label),
            bytes: text.clone(),
            compression: None,
            cut: None,
        };
        sniff::detect_lines(sniff::skip_bom_ws(text), &input)
    }

    /// Lines of no format spanlens knows (before any line told the format): one diagnostic.
    fn unknown_lines(&mut self, text: &[u8], line0: u64) {
        let n = count_lines(text);
        let why = sniff::unknown(sniff::skip_bom_ws(text));
        let what = if n == 1 {
            "line".to_owned()
        } else {
            format!("{n} lines")
        };
        self.notices.push(Diagnostic {
            path: self.label.clone(),
            pos: Pos::Line(line0 + 1),
            message: format!("skipped {what}: {why}"),
        });
    }

    /// Merges the newest segments while the newer is at least half the size of the one
    /// before it, so sizes fall geometrically and segments stay O(log bytes).
    fn merge_segments(&mut self) {
        while let [.., a, b] = &self.segments[..] {
            if a.size() > 2 * b.size() {
                break;
            }
            let b = self.segments.pop().expect("two segments");
            let a = self.segments.pop().expect("two segments");
            self.segments.push(rebase::merge(a, b));
        }
    }
}

/// Lines in `text` (a last line without its newline counts).
fn count_lines(text: &[u8]) -> u64 {
    let n = memchr::memchr_iter(b'\n', text).count() as u64;
    n + u64::from(text.last() != Some(&b'\n'))
}

/// Parses the lines of one chunk (stream offset `base`, after `line0` lines) with the
/// format's line loader; diagnostics come back with their true line numbers.
fn parse(fmt: Format, label: &str, text: &[u8], (base, line0): (u64, u64)) -> Vec<Sink> {
    let otlp = |ctx: &Ctx, line: &str, at: u64, sink: &mut Sink| {
        records::otlp_line(ctx, line, at, sink);
    };
    let record = |ctx: &Ctx, line: &str, at: u64, sink: &mut Sink| {
        records::record_line(fmt, ctx, line, at, sink);
    };
    let f: &LineFn = if fmt == Format::Otlp { &otlp } else { &record };
    let ctx = Ctx {
        by_offset: true,
        ..Ctx::new(text, base, 0, label)
    };
    let mut sinks = line_pieces::parse_lines_parallel(&ctx, f, FIRST_PIECE_SRC);
    number_lines(&mut sinks, text, (base, line0));
    sinks
}

/// Turns the stream offsets in a chunk's diagnostics into line numbers of the stream.
fn number_lines(sinks: &mut [Sink], text: &[u8], (base, line0): (u64, u64)) {
    for d in sinks
        .iter_mut()
        .flat_map(|s| s.batch.diagnostics.iter_mut())
    {
        if let Pos::Byte(o) = d.pos {
            d.pos = Pos::Byte(o.saturating_sub(base));
        }
    }
    line_pieces::offsets_to_lines(sinks, |feed| feed(text));
    for d in sinks
        .iter_mut()
        .flat_map(|s| s.batch.diagnostics.iter_mut())
    {
        match d.pos {
            Pos::Line(l) => d.pos = Pos::Line(line0 + l),
            Pos::Byte(o) => d.pos = Pos::Byte(base + o),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
