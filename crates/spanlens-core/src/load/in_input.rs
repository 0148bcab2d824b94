//! Text left escaped in the input. A string that holds a whole trace (the `trace` column
//! of MLflow `search_traces` records) is decoded and parsed in memory, then its spans'
//! references are pointed back at the escaped bytes in the input, and the decoded copy is
//! dropped: each value is decoded again when it is shown or searched.
//! PERF: the decoded copies were 1.9 GB at a million spans, half of the load's peak.

use super::Sink;
use super::json::Ctx;
use crate::model::{Cells, KEPT, SourceData};
use spanlens_json::Shifts;
use std::borrow::Cow;
use std::os::unix::fs::FileExt;

/// Reads references marked `KEPT` of a sink whose text was left in the input. A reference
/// keeps the length of the decoded text (sizes in `stats` do not depend on where the text
/// is); its cell is the offset of the escaped text in the input, in the low `OFF_BITS`,
/// and how many bytes longer the escaped text is, above them.
#[derive(Debug)]
pub struct InputCells {
    input: SourceData,
}

/// Bits of a cell that hold the input offset (inputs up to 1 TiB).
const OFF_BITS: u32 = 40;
/// Escaped text longer than its decoded text by this much or more is not left in the input.
const MAX_EXTRA: usize = 1 << (63 - OFF_BITS);

/// The cell of escaped text at input offset `off`, `extra` bytes longer than decoded.
fn cell(off: u64, extra: usize) -> Option<u64> {
    (off < 1 << OFF_BITS && extra < MAX_EXTRA).then_some((extra as u64) << OFF_BITS | off)
}

impl InputCells {
    pub fn new(input: SourceData) -> InputCells {
        InputCells { input }
    }

    /// The escaped bytes of `cell`, whose decoded text is `len` long.
    fn escaped(&self, cell: u64, len: u32) -> std::io::Result<Cow<'_, [u8]>> {
        let off = cell & ((1 << OFF_BITS) - 1);
        let len = len as usize + (cell >> OFF_BITS) as usize;
        match &self.input {
            SourceData::File(file) => {
                let mut buf = vec![0u8; len];
                file.read_exact_at(&mut buf, off)?;
                Ok(Cow::Owned(buf))
            }
            SourceData::Memory(m) => usize::try_from(off)
                .ok()
                .and_then(|a| m.get(a..a.checked_add(len)?))
                .map(Cow::Borrowed)
                .ok_or_else(|| bad("is out of range")),
            SourceData::Kept { .. } => Err(bad("is in a compressed input")),
        }
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::other(format!("text left in the input {what}"))
}

impl Cells for InputCells {
    fn with_bytes(&self, cell: u64, len: u32, f: &mut dyn FnMut(&[u8])) -> std::io::Result<()> {
        let raw = self.escaped(cell, len)?;
        let text = std::str::from_utf8(&raw).map_err(|_| bad("is not UTF-8"))?;
        let decoded = spanlens_json::unescape(text).ok_or_else(|| bad("does not decode"))?;
        f(decoded.as_bytes());
        Ok(())
    }
}

/// What a sink held before a string's trace was loaded into it.
#[derive(Clone, Copy, Debug)]
pub struct Before {
    spans: usize,
    infos: usize,
    arena: usize,
}

impl Before {
    pub fn of(sink: &Sink) -> Before {
        Before {
            spans: sink.batch.spans.len(),
            infos: sink.batch.infos.len(),
            arena: sink.arena.len(),
        }
    }
}

/// After the trace in the JSON string `literal` (borrowed from `ctx.buf`, quotes included)
/// was decoded (with `shifts`) to the arena at `before.arena` and loaded: points every reference into that
/// copy at the escaped text in the input instead, and drops the copy. Leaves all as it is
/// when `ctx` is not the input's own bytes, or when the load wrote anything else to the
/// arena or referenced text outside the copy.
pub fn leave_in_input(sink: &mut Sink, before: Before, ctx: &Ctx, literal: &str, shifts: &Shifts) {
    let decoded = before.arena..sink.arena.len();
    let Some(at) = ctx.offset_of(literal) else {
        return;
    };
    if !ctx.in_place || ctx.src != 0 || (sink.cells.is_some() && !sink.in_input) {
        return;
    }
    let (lo, hi) = (decoded.start as u64, decoded.end as u64);
    let mut inside = shifts.decoded_len() == decoded.len();
    each_ref(sink, before, &mut |off, len| {
        inside &= *off >= lo && *off + u64::from(len) <= hi;
    });
    if !inside {
        return;
    }
    let start = ctx.base + at as u64 + 1;
    let place = |off: u64, len: u32| {
        let a = (off - decoded.start as u64) as usize;
        let (ea, eb) = (shifts.escaped_at(a), shifts.escaped_at(a + len as usize));
        cell(start + ea as u64, eb - ea - len as usize).map(|c| KEPT | c)
    };
    if !rewrite(sink, before, &place) {
        return;
    }
    sink.arena.truncate(decoded.start);
    sink.in_input = true;
}

/// Moves every arena reference made since `before` to the cell `place` gives it (the
/// length stays that of the decoded text). Checks first that every one has a cell, and
/// moves none if not.
fn rewrite(sink: &mut Sink, before: Before, place: &dyn Fn(u64, u32) -> Option<u64>) -> bool {
    let mut ok = true;
    each_ref(sink, before, &mut |off, len| {
        ok &= place(*off, len).is_some()
    });
    if ok {
        each_ref(sink, before, &mut |off, len| {
            *off = place(*off, len).unwrap_or(*off);
        });
    }
    ok
}

/// Calls `f` with the offset and length of every reference into the sink's arena made
/// since `before`.
fn each_ref(sink: &mut Sink, before: Before, f: &mut dyn FnMut(&mut u64, u32)) {
    let src = sink.src;
    let b = &mut sink.batch;
    for s in &mut b.spans[before.spans..] {
        if s.src == src {
            for a in &mut b.attrs[s.attr_range()] {
                f(&mut a.off, a.len);
            }
        }
        for t in s.text_refs_mut().filter(|t| t.src == src) {
            f(&mut t.off, t.len);
        }
    }
    let infos = b.infos[before.infos..].iter_mut();
    for t in infos
        .filter_map(|i| i.info.as_mut())
        .filter(|t| t.src == src)
    {
        f(&mut t.off, t.len);
    }
}
