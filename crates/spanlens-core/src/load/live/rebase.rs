//! Moving a live chunk's spans between text sources: a chunk's pieces become one segment
//! (one text, one arena, one batch), two segments become one, and a snapshot numbers
//! every segment's sources after the ones before. Mirrors `model::build`'s rebase, for
//! batches that are joined before a build instead of by it.

use super::Segment;
use crate::load::Sink;
use crate::model::{Batch, Sym};
use std::sync::Arc;

/// The segment for one chunk parsed into `sinks`: its text refs (stream offsets from
/// `base`) become offsets into `text`, each piece's arena is appended to one arena, and
/// the pieces' batches are joined.
pub(super) fn segment(text: Arc<Vec<u8>>, sinks: Vec<Sink>, base: u64) -> Segment {
    let mut arena = Vec::new();
    let mut batch = Batch::default();
    for sink in sinks {
        let (piece, shift) = (sink.src, arena.len() as u64);
        let mut b = sink.batch;
        move_sources(&mut b, &|src| match src {
            0 => (0, base.wrapping_neg()),
            s if s == piece => (1, shift),
            s => (s, 0),
        });
        arena.extend_from_slice(&sink.arena);
        append(&mut batch, b);
    }
    Segment {
        text,
        arena: Arc::new(arena),
        batch,
    }
}

/// Segment `b` appended to segment `a` (their texts and arenas joined).
pub(super) fn merge(a: Segment, b: Segment) -> Segment {
    let (text_shift, arena_shift) = (a.text.len() as u64, a.arena.len() as u64);
    let join = |x: Arc<Vec<u8>>, y: &[u8]| {
        let mut v = Arc::unwrap_or_clone(x);
        v.extend_from_slice(y);
        Arc::new(v)
    };
    let mut batch = a.batch;
    let mut moved = b.batch;
    move_sources(&mut moved, &|src| match src {
        0 => (0, text_shift),
        1 => (1, arena_shift),
        s => (s, 0),
    });
    append(&mut batch, moved);
    Segment {
        text: join(a.text, &b.text),
        arena: join(a.arena, &b.arena),
        batch,
    }
}

/// Renumbers every text reference of `b`: source `s` becomes `to(s).0`, its offset
/// moves by `to(s).1` (wrapping, so a shift can be negative).
pub(super) fn move_sources(b: &mut Batch, to: &dyn Fn(u16) -> (u16, u64)) {
    // Attribute offsets follow their span's source; each is moved once.
    let mut moved = vec![false; b.attrs.len()];
    for s in &mut b.spans {
        let (src, add) = to(s.src);
        for i in s.attr_range() {
            if let (Some(a), Some(done)) = (b.attrs.get_mut(i), moved.get_mut(i))
                && !*done
            {
                a.off = a.off.wrapping_add(add);
                *done = true;
            }
        }
        s.src = src;
        for t in s.text_refs_mut() {
            let (src, add) = to(t.src);
            (t.src, t.off) = (src, t.off.wrapping_add(add));
        }
    }
    let kept = b.assessments.iter_mut().filter_map(|a| a.text_ref_mut());
    for t in (b.infos.iter_mut().filter_map(|i| i.info.as_mut())).chain(kept) {
        let (src, add) = to(t.src);
        (t.src, t.off) = (src, t.off.wrapping_add(add));
    }
}

/// Appends `src`'s spans and records to `dst`: symbols re-interned, id and attribute
/// positions moved past `dst`'s.
pub(super) fn append(dst: &mut Batch, mut src: Batch) {
    let remap = dst.syms.absorb(&src.syms);
    let sym = |s: Sym| remap.get(s.0 as usize).copied().unwrap_or_default();
    let (ids, attrs) = (dst.ids.len() as u32, dst.attrs.len() as u32);
    for a in &mut src.attrs {
        a.key = sym(a.key);
    }
    for s in src.assessments.iter_mut().filter_map(|a| a.trace_sym_mut()) {
        *s = sym(*s);
    }
    for s in &mut src.spans {
        s.trace_id = sym(s.trace_id);
        s.name = sym(s.name);
        s.model = sym(s.model);
        s.tool = sym(s.tool);
        s.scope = sym(s.scope);
        for id in [&mut s.span_id, &mut s.parent_id] {
            if !id.is_none() {
                id.off += ids;
            }
        }
        s.attr_start += attrs;
    }
    dst.ids.append(&mut src.ids);
    dst.attrs.append(&mut src.attrs);
    dst.spans.append(&mut src.spans);
    dst.infos.append(&mut src.infos);
    dst.assessments.append(&mut src.assessments);
    dst.diagnostics.append(&mut src.diagnostics);
}
