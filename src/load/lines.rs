//! Streaming JSON Lines: read a file in large blocks that end on line boundaries and parse
//! each block's lines on all cores. The file is never mapped or held whole, so peak memory
//! is the model plus two blocks, and payloads stay on disk as `TextRef`s.

use super::Progress;
use super::input::Input;
use super::json::{Ctx, LineFn, parse_lines_parallel};
use crate::model::Batch;
use std::io;
use std::os::unix::fs::FileExt;

/// Block size for streaming. Large enough to amortise the parallel split, small enough
/// that two blocks are a rounding error next to the model.
const BLOCK: usize = 32 << 20;

/// Parses every line of `input` with `f`, reporting progress in bytes.
pub fn read_lines(
    input: &Input,
    src: u16,
    path: &str,
    f: &LineFn,
    progress: &(dyn Fn(Progress) + Sync),
) -> io::Result<Vec<Batch>> {
    match input {
        Input::Memory { bytes, .. } => {
            let ctx = Ctx {
                buf: bytes,
                base: 0,
                src,
                path,
            };
            let batches = parse_lines_parallel(&ctx, 1, f);
            progress(Progress::bytes(
                path,
                bytes.len() as u64,
                bytes.len() as u64,
            ));
            Ok(batches)
        }
        Input::File { file, len, .. } => stream_file(file, *len, src, path, f, progress),
    }
}

fn stream_file(
    file: &std::fs::File,
    len: u64,
    src: u16,
    path: &str,
    f: &LineFn,
    progress: &(dyn Fn(Progress) + Sync),
) -> io::Result<Vec<Batch>> {
    let mut batches = Vec::new();
    let mut buf = vec![0u8; BLOCK.min(len as usize + 1)];
    let mut next_buf = Vec::new();
    let mut off = 0u64; // file offset of buf[0]
    let mut filled = 0usize; // bytes of buf holding data
    let mut line = 1u64;
    loop {
        let want = (len - off) as usize - filled;
        let room = buf.len() - filled;
        let n = want.min(room);
        file.read_exact_at(&mut buf[filled..filled + n], off + filled as u64)?;
        filled += n;
        let at_end = off + filled as u64 >= len;
        // Parse up to the last newline; carry the partial line into the next block.
        let cut = if at_end {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                None => {
                    // One line longer than the block: grow and read more.
                    buf.resize(buf.len() * 2, 0);
                    continue;
                }
            }
        };
        let (block, rest) = buf[..filled].split_at(cut);
        let ctx = Ctx {
            buf: block,
            base: off,
            src,
            path,
        };
        // Prepare the carry-over while the parse runs on the pool.
        let (parsed, ()) = rayon::join(
            || parse_lines_parallel(&ctx, line, f),
            || {
                next_buf.clear();
                next_buf.extend_from_slice(rest);
            },
        );
        line += memchr::memchr_iter(b'\n', block).count() as u64;
        batches.extend(parsed);
        progress(Progress::bytes(path, off + cut as u64, len));
        if at_end {
            return Ok(batches);
        }
        off += cut as u64;
        filled = next_buf.len();
        buf[..filled].copy_from_slice(&next_buf);
    }
}
