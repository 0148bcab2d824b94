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
/// is); its cell is the offset of the escaped text in the input, in the high bits, and
/// how many bytes longer the escaped text is, in the low `EXTRA_BITS`. Cells then sort in
/// file order, as offsets do (search breaks ties between hits by offset).
#[derive(Debug)]
pub struct InputCells {
    input: SourceData,
}

/// Bits of a cell that hold how much longer the escaped text is: escaped text longer than
/// its decoded text by 8 MiB or more is not left in the input. Inputs up to 1 TiB.
const EXTRA_BITS: u32 = 23;

/// The cell of escaped text at input offset `off`, `extra` bytes longer than decoded.
fn cell(off: u64, extra: usize) -> Option<u64> {
    let fits = off >> (63 - EXTRA_BITS) == 0 && extra >> EXTRA_BITS == 0;
    fits.then_some(off << EXTRA_BITS | extra as u64)
}

impl InputCells {
    pub fn new(input: SourceData) -> InputCells {
        InputCells { input }
    }

    /// The escaped bytes of `cell`, whose decoded text is `len` long.
    fn escaped(&self, cell: u64, len: u32) -> std::io::Result<Cow<'_, [u8]>> {
        let off = cell >> EXTRA_BITS;
        let len = len as usize + (cell & ((1 << EXTRA_BITS) - 1)) as usize;
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
    assessments: usize,
    arena: usize,
}

impl Before {
    pub fn of(sink: &Sink) -> Before {
        Before {
            spans: sink.batch.spans.len(),
            infos: sink.batch.infos.len(),
            assessments: sink.batch.assessments.len(),
            arena: sink.arena.len(),
        }
    }
}

/// After the trace in the JSON string `literal` (borrowed from `ctx.buf`, quotes included)
/// was decoded (with `shifts`) to the arena at `before.arena` and loaded: points every
/// reference into that copy at the escaped text in the input instead, and drops the copy.
/// Leaves all as it is when `ctx` is not the input's own bytes (see `move_out`).
pub fn leave_in_input(sink: &mut Sink, before: Before, ctx: &Ctx, literal: &str, shifts: &Shifts) {
    let Some(at) = ctx.offset_of(literal) else {
        return;
    };
    let own_cells = sink.cells.is_some() && !sink.in_input;
    let decoded = sink.arena.len() - before.arena.min(sink.arena.len());
    if !ctx.in_place || ctx.src != 0 || own_cells || shifts.decoded_len() != decoded {
        return;
    }
    let start = ctx.base + at as u64 + 1;
    let place = |a: usize, len: u32| {
        let (ea, eb) = (shifts.escaped_at(a), shifts.escaped_at(a + len as usize));
        cell(start + ea as u64, eb - ea - len as usize)
    };
    if move_out(sink, before, &place) {
        sink.in_input = true;
    }
}

/// Moves every reference made since `before` into the arena's text after `before.arena`
/// to the cell `place(offset in that text, length)` gives it, marked `KEPT` (its length
/// stays that of the text), and drops that text. Moves nothing, and says so, when the load
/// referenced anything else in the arena, or `place` has no cell for some reference.
pub fn move_out(
    sink: &mut Sink,
    before: Before,
    place: &dyn Fn(usize, u32) -> Option<u64>,
) -> bool {
    let (lo, hi) = (before.arena as u64, sink.arena.len() as u64);
    let mut ok = lo <= hi;
    each_ref(sink, before, &mut |off, len| {
        ok &=
            *off >= lo && *off + u64::from(len) <= hi && place((*off - lo) as usize, len).is_some();
    });
    if !ok {
        return false;
    }
    each_ref(sink, before, &mut |off, len| {
        if let Some(c) = place((*off - lo) as usize, len) {
            *off = KEPT | c;
        }
    });
    sink.arena.truncate(before.arena);
    true
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
    let kept = b.assessments[before.assessments..].iter_mut();
    for t in (infos.filter_map(|i| i.info.as_mut()))
        .chain(kept.filter_map(|a| a.text_ref_mut()))
        .filter(|t| t.src == src)
    {
        f(&mut t.off, t.len);
    }
}
