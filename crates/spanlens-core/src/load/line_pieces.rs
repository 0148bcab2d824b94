//! Parsing a buffer of JSON Lines on all cores: it is split into pieces on line
//! boundaries, each piece's lines are read in order into a sink of its own, and the byte
//! offsets of problems become line numbers afterwards. `lines` feeds it blocks of a file.

use super::Sink;
use super::json::Ctx;
use super::piece_shape::LAST_SHAPE;
use super::salvage::{self, Problem};
use crate::model::Pos;
use rayon::prelude::*;

/// Splits `buf` into about `parts` pieces that end on line boundaries.
fn split_lines(buf: &[u8], parts: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(parts);
    let step = (buf.len() / parts.max(1)).max(1);
    let mut start = 0;
    while start < buf.len() {
        let guess = (start + step).min(buf.len());
        let end = match memchr::memchr(b'\n', &buf[guess..]) {
            Some(i) => guess + i + 1,
            None => buf.len(),
        };
        out.push((start, end));
        start = end;
    }
    out
}

/// Parses one line into a sink. Gets the context, the line (without `\n`) and the byte
/// offset of the line in the source (its order key and, for problems, its position).
pub type LineFn<'f> = dyn Fn(&Ctx, &str, u64, &mut Sink) + Sync + 'f;

/// Parses the lines of `ctx.buf` in parallel. Each piece of the buffer becomes one sink, in
/// file order, whose arena is source `first_src + i` (loaders that synthesise text write
/// it there; pieces are parsed at the same time, so each has its own). A line that is not
/// valid UTF-8 is skipped, with the reason.
pub fn parse_lines_parallel(ctx: &Ctx, f: &LineFn, first_src: usize) -> Vec<Sink> {
    parse_lines_parallel_then(ctx, f, first_src, &|_, _| {})
}

/// `parse_lines_parallel`, calling `parsed(a, b)` once the piece `ctx.buf[a..b]` is parsed.
pub(super) fn parse_lines_parallel_then(
    ctx: &Ctx,
    f: &LineFn,
    first_src: usize,
    parsed: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Sink> {
    let pieces = split_lines(ctx.buf, rayon::current_num_threads() * 8);
    pieces
        .par_iter()
        .enumerate()
        .map(|(i, &(a, b))| {
            let piece = &ctx.buf[a..b];
            // PERF: size the batch for the piece up front, so spans and attributes are
            // not copied while growing.
            let mut sink = Sink {
                batch: LAST_SHAPE.batch_for(piece.len()),
                src: u16::try_from(first_src + i).unwrap_or(u16::MAX),
                ..Sink::default()
            };
            let mut pos = 0;
            // Whether to index each line while finding its end (`spanlens_json::index_line`):
            // on while the line function reads the index, off for the rest of the piece
            // once it reads a line without it (a format read by serde_json alone).
            let mut pre_index = spanlens_json::enabled();
            while pos < piece.len() {
                let end = (pre_index.then(|| spanlens_json::index_line(&piece[pos..])))
                    .flatten()
                    .map(|n| pos + n)
                    .unwrap_or_else(|| line_end(piece, pos));
                let at = ctx.base + (a + pos) as u64;
                let read = read_line(ctx, f, (&piece[pos..end], at), &mut sink);
                // (A blank line is not read: it says nothing about the reader.)
                if pre_index && spanlens_json::line_untaken() && read {
                    pre_index = false;
                }
                pos = end + 1;
            }
            LAST_SHAPE.remember(piece.len(), &sink.batch);
            sink.batch.shrink();
            parsed(a, b);
            sink
        })
        .collect()
}

/// Hands one line (without its newline; `at` its offset in the source) to `f`, unless it
/// is blank; `false` when `f` was not called.
fn read_line(ctx: &Ctx, f: &LineFn, (bytes, at): (&[u8], u64), sink: &mut Sink) -> bool {
    // PERF: SIMD validation line by line, while the line is in cache from the index pass;
    // serde_json then reads `&str` and does not validate again.
    let line = match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(_) => std::str::from_utf8(bytes),
    };
    match line {
        Ok(line) => {
            let line = line.strip_suffix('\r').unwrap_or(line);
            // A byte-order mark (first line of files from Windows tools).
            let line = line.strip_prefix('\u{feff}').unwrap_or(line);
            let read = !line.trim().is_empty();
            if read {
                f(ctx, line, at, sink);
            }
            read
        }
        Err(e) => {
            not_utf8(ctx, f, (bytes, at), e, sink);
            true
        }
    }
}

/// Where the line starting at `pos` ends: its newline, or the end of `piece`.
fn line_end(piece: &[u8], pos: usize) -> usize {
    memchr::memchr(b'\n', &piece[pos..]).map_or(piece.len(), |i| pos + i)
}

/// A line that is not valid UTF-8. Cut inside a character (the last line of a cut file),
/// its whole part is read (and repaired as any cut line is); otherwise the element holding
/// each bad byte is blanked out in a copy and the rest of the line read.
fn not_utf8(
    ctx: &Ctx,
    f: &LineFn,
    (bytes, at): (&[u8], u64),
    e: std::str::Utf8Error,
    sink: &mut Sink,
) {
    if e.error_len().is_none() {
        let whole = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        if !whole.trim().is_empty() {
            f(ctx, whole, at, sink);
        }
        return;
    }
    let check = |b: &[u8]| std::str::from_utf8(b).err().map(Problem::invalid_utf8);
    let fixed = salvage::repair(bytes, Problem::invalid_utf8(e), check);
    match fixed.as_ref().map(|r| (r, std::str::from_utf8(&r.text))) {
        Some((r, Ok(text))) => {
            let sub = Ctx {
                buf: &r.text,
                base: at,
                in_place: false,
                repaired: true,
                ..*ctx
            };
            let original = Ctx { buf: bytes, ..sub };
            salvage::report(&mut sink.batch, &original, &r.losses, "line");
            f(&sub, text, at, sink);
        }
        _ => sink.batch.diag(
            ctx.path,
            Pos::Byte(at),
            format!("skipped: not valid UTF-8 ({e})"),
        ),
    }
}

/// Turns byte offsets in diagnostics into line numbers, with one pass over `read` (which
/// yields the source's bytes in order).
pub fn offsets_to_lines(sinks: &mut [Sink], mut read: impl FnMut(&mut dyn FnMut(&[u8]))) {
    let mut wanted: Vec<u64> = sinks
        .iter()
        .flat_map(|s| s.batch.diagnostics.iter())
        .filter_map(|d| {
            if let Pos::Byte(o) = d.pos {
                Some(o)
            } else {
                None
            }
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    wanted.sort_unstable();
    wanted.dedup();
    let mut lines_at: Vec<u64> = Vec::with_capacity(wanted.len());
    let (mut off, mut line, mut next) = (0u64, 1u64, 0usize);
    read(&mut |chunk: &[u8]| {
        while next < wanted.len() && wanted[next] < off + chunk.len() as u64 {
            let upto = (wanted[next] - off) as usize;
            lines_at.push(line + memchr::memchr_iter(b'\n', &chunk[..upto]).count() as u64);
            next += 1;
        }
        line += memchr::memchr_iter(b'\n', chunk).count() as u64;
        off += chunk.len() as u64;
    });
    for d in sinks
        .iter_mut()
        .flat_map(|s| s.batch.diagnostics.iter_mut())
    {
        if let Pos::Byte(o) = d.pos
            && let Ok(i) = wanted.binary_search(&o)
            && let Some(&l) = lines_at.get(i)
        {
            d.pos = Pos::Line(l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pos;

    #[test]
    fn lines_are_split_without_losing_any() {
        let text = b"{\"n\":1}\n\n{\"n\":2}\r\n{\"n\":3}";
        let ctx = Ctx {
            by_offset: true,
            ..Ctx::new(text, 0, 0, "t")
        };
        let seen = std::sync::Mutex::new(Vec::new());
        let f = |_: &Ctx, line: &str, at: u64, _: &mut Sink| {
            seen.lock().unwrap().push((at, line.to_owned()));
        };
        let sinks = parse_lines_parallel(&ctx, &f, 7);
        // Each piece has an arena source of its own, numbered from the first given.
        let srcs: Vec<u16> = sinks.iter().map(|s| s.src).collect();
        assert_eq!(srcs, (7..7 + srcs.len() as u16).collect::<Vec<_>>());
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                (0, "{\"n\":1}".into()),
                (9, "{\"n\":2}".into()),
                (18, "{\"n\":3}".into())
            ]
        );
    }

    #[test]
    fn offsets_become_line_numbers() {
        let text = b"a\nb\nc\nd";
        let mut sink = Sink::default();
        sink.batch.diag("t", Pos::Byte(4), "x");
        let mut sinks = vec![sink];
        offsets_to_lines(&mut sinks, |f| {
            f(&text[..3]);
            f(&text[3..]);
        });
        assert_eq!(sinks[0].batch.diagnostics[0].pos, Pos::Line(3));
    }
}
