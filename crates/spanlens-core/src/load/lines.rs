//! Streaming JSON Lines: the file is mapped and parsed in large blocks that end on line
//! boundaries, every line on its own, on all cores, and each block's pages are released
//! once parsed (where mapping fails, a reader thread fills blocks while the pool parses the
//! previous one). The file is never held whole, so peak memory is the model plus a block,
//! and payloads stay on disk as `TextRef`s.

use super::input::Input;
use super::json::Ctx;
use super::line_pieces::{
    LineFn, offsets_to_lines, parse_lines_parallel, parse_lines_parallel_then,
};
use super::preview::{Peek, with_preview};
use super::{ARENA_SRC, Progress, Sink};
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::mpsc;

/// Block size for streaming. Large enough to amortise the parallel split, small enough
/// that a few blocks are a rounding error next to the model.
const BLOCK: usize = 32 << 20;

/// Parses every line of `input` with `f`, reporting progress in bytes. Returns one sink
/// per piece, in file order; piece `i`'s arena is source `ARENA_SRC + 1 + i` of the file
/// (see `Sink::into_load_parts`).
pub fn read_lines(
    input: &Input,
    path: &str,
    (f, format): (&LineFn, &str),
    preview: Option<&Peek>,
    progress: &(dyn Fn(Progress) + Sync),
) -> io::Result<Vec<Sink>> {
    let progress = &|p: Progress, all: &[Sink], fresh: usize| match preview {
        Some(peek) => progress(with_preview(p, peek, (input, format), all, fresh)),
        None => progress(p),
    };
    match input {
        Input::Memory { bytes, .. } => {
            let ctx = Ctx {
                by_offset: true,
                in_place: true,
                ..Ctx::new(bytes, 0, 0, path)
            };
            let mut sinks = parse_lines_parallel(&ctx, f, FIRST_PIECE_SRC);
            let n = bytes.len() as u64;
            progress(Progress::bytes(path, n, n), &sinks, sinks.len());
            offsets_to_lines(&mut sinks, |sink| sink(bytes));
            Ok(sinks)
        }
        Input::File { file, len, .. } => {
            let mut sinks = match map_file(file) {
                Some(map) => stream_map(&map, path, f, progress),
                None => {
                    let len = *len;
                    let feed = Feed {
                        file,
                        avail: &|want| Ok(want.min(len)),
                        size: BLOCK.min(len as usize + 1),
                        progress: &|end| (end, len),
                    };
                    stream_file(&feed, path, f, progress)?
                }
            };
            offsets_to_lines(&mut sinks, |sink| read_in_blocks(file, *len, sink));
            Ok(sinks)
        }
        Input::Spool { file, spool, .. } => {
            // The file grows as it is decompressed: blocks wait for their bytes, and
            // progress counts the compressed file, whose size is known.
            let feed = Feed {
                file,
                avail: &|want| spool.wait(want),
                size: BLOCK,
                progress: &|_| spool.compressed_progress(),
            };
            let mut sinks = stream_file(&feed, path, f, progress)?;
            let len = spool.total()?;
            offsets_to_lines(&mut sinks, |sink| read_in_blocks(file, len, sink));
            Ok(sinks)
        }
    }
}

/// Hands `file`'s first `len` bytes to `sink` block by block (stops at a read error).
fn read_in_blocks(file: &std::fs::File, len: u64, sink: &mut dyn FnMut(&[u8])) {
    let mut off = 0u64;
    let mut buf = vec![0u8; BLOCK.min(len as usize)];
    while off < len {
        let n = buf.len().min((len - off) as usize);
        if file.read_exact_at(&mut buf[..n], off).is_err() {
            return;
        }
        sink(&buf[..n]);
        off += n as u64;
    }
}

/// The source of the first piece's arena (the file is source 0, its own arena 1).
const FIRST_PIECE_SRC: usize = ARENA_SRC as usize + 1;

/// Reports progress after a block, with every sink so far and how many of them (at the
/// end) that block produced.
type Report<'a> = &'a (dyn Fn(Progress, &[Sink], usize) + Sync);

/// Block size when the file is mapped: no buffers to fill, so blocks can be larger (fewer
/// pauses where the pool waits for its slowest piece) while the mapped pages held at once
/// stay a small fraction of memory.
const MAP_BLOCK: usize = 96 << 20;

/// Maps `file` read-only, or `None` when it cannot be mapped (then it is read in blocks).
fn map_file(file: &std::fs::File) -> Option<memmap2::Mmap> {
    let map = crate::memory::map(file).ok()?;
    map.advise(memmap2::Advice::Sequential).ok()?;
    Some(map)
}

/// Parses a mapped file block by block (no copy into buffers), releasing each block's
/// pages once parsed: peak memory counts at most two blocks of the file, not all of it.
fn stream_map(map: &memmap2::Mmap, path: &str, f: &LineFn, progress: Report) -> Vec<Sink> {
    let len = map.len();
    let mut sinks = Vec::new();
    let mut off = 0usize;
    // The block parsed last, whose pages are released while the next one is parsed.
    let mut done = 0..0;
    while off < len {
        let guess = (off + map_block()).min(len);
        let end = if guess == len {
            len
        } else {
            memchr::memchr(b'\n', &map[guess..]).map_or(len, |i| guess + i + 1)
        };
        let ctx = Ctx {
            by_offset: true,
            in_place: true,
            ..Ctx::new(&map[off..end], off as u64, 0, path)
        };
        // PERF: unmapping a block takes 3 ms; done on the pool beside the next block's
        // parse, not while both cores wait for it.
        let first = FIRST_PIECE_SRC + sinks.len();
        // Each piece's pages are given back as soon as it is parsed, so the mapped pages
        // held at once are a few pieces, not the block (a 96 MB block was most of the
        // peak RSS of a 170 MB file).
        let parsed = |a: usize, b: usize| crate::memory::release_inside(map, off + a, off + b);
        let (fresh, ()) = rayon::join(
            || parse_lines_parallel_then(&ctx, f, first, &parsed),
            || release(map, done.start, done.end),
        );
        let n = fresh.len();
        sinks.extend(fresh);
        progress(Progress::bytes(path, end as u64, len as u64), &sinks, n);
        done = off..end;
        off = end;
        if slow_blocks_for_tests() {
            std::thread::sleep(std::time::Duration::from_millis(150));
        }
    }
    release(map, done.start, done.end);
    sinks
}

/// `SPANLENS_TEST_SLOW_BLOCKS=1` loads a mapped file in 1 MB blocks, pausing after each,
/// so end-to-end tests can act while a small file is still loading.
fn slow_blocks_for_tests() -> bool {
    std::env::var_os("SPANLENS_TEST_SLOW_BLOCKS").is_some_and(|v| v == "1")
}

fn map_block() -> usize {
    if slow_blocks_for_tests() {
        1 << 20
    } else {
        MAP_BLOCK
    }
}

/// Drops the mapped pages of `[from, to)` from this process (they stay in the page cache).
fn release(map: &memmap2::Mmap, from: usize, to: usize) {
    crate::memory::release(map, from, to);
}

/// A block of whole lines and its offset in the file. `buf` may be longer than `len`:
/// buffers are reused without being cleared (PERF: no zeroing of 32 MB per block).
struct Block {
    buf: Vec<u8>,
    len: usize,
    off: u64,
}

/// Where blocks are read from: a file and how much of it there is up to a point (a
/// spooled file grows while it is read), and the numbers progress is told in.
struct Feed<'a> {
    file: &'a std::fs::File,
    /// The bytes there are up to `want`: fewer only at the end of the input.
    avail: &'a (dyn Fn(u64) -> io::Result<u64> + Sync),
    /// The size of the first block (blocks grow for longer lines).
    size: usize,
    /// Progress `(done, total)` once the bytes up to an offset are parsed.
    progress: &'a (dyn Fn(u64) -> (u64, u64) + Sync),
}

/// Parses `feed` block by block while a reader thread fills the next block.
fn stream_file(feed: &Feed, path: &str, f: &LineFn, progress: Report) -> io::Result<Vec<Sink>> {
    // Two blocks in flight: one being parsed, one being read. Parsed blocks come back
    // through `spare` to be filled again, so memory stays at a few blocks.
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Block>>(1);
    let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || read_blocks(feed, &full_tx, &spare_rx));
        let mut sinks = Vec::new();
        for block in full_rx {
            let block = block?;
            let ctx = Ctx {
                by_offset: true,
                in_place: true,
                ..Ctx::new(&block.buf[..block.len], block.off, 0, path)
            };
            let fresh = parse_lines_parallel(&ctx, f, FIRST_PIECE_SRC + sinks.len());
            let n = fresh.len();
            sinks.extend(fresh);
            let (done, total) = (feed.progress)(block.off + block.len as u64);
            progress(Progress::bytes(path, done, total), &sinks, n);
            let _ = spare_tx.send(block.buf);
        }
        Ok(sinks)
    })
}

/// The reader: fills blocks that end at a newline and carries the partial last line over
/// to the start of the next block.
fn read_blocks(
    feed: &Feed,
    full: &mpsc::SyncSender<io::Result<Block>>,
    spare: &mpsc::Receiver<Vec<u8>>,
) {
    let mut carry: Vec<u8> = Vec::new();
    let mut off = 0u64; // offset of the next block's first byte
    let mut read_at = 0u64; // offset of the next read
    let mut size = feed.size;
    loop {
        let mut buf = spare.try_recv().unwrap_or_default();
        if buf.len() < size {
            buf.resize(size, 0);
        }
        buf[..carry.len()].copy_from_slice(&carry);
        let want = read_at + (buf.len() - carry.len()) as u64;
        let read = (feed.avail)(want).and_then(|end| {
            let to = &mut buf[carry.len()..carry.len() + (end - read_at) as usize];
            feed.file.read_exact_at(to, read_at).map(|()| end)
        });
        let end = match read {
            Ok(end) => end,
            Err(e) => {
                let _ = full.send(Err(e));
                return;
            }
        };
        let filled = carry.len() + (end - read_at) as usize;
        let at_end = end < want; // fewer bytes than asked for: the input ended
        read_at = end;
        if filled == 0 {
            return;
        }
        let cut = if at_end {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                None => {
                    // One line longer than a block: grow the blocks and keep reading it.
                    carry = buf[..filled].to_vec();
                    size = size.max(filled * 2);
                    continue;
                }
            }
        };
        carry.clear();
        carry.extend_from_slice(&buf[cut..filled]);
        let block = Block { len: cut, off, buf };
        off += cut as u64;
        if full.send(Ok(block)).is_err() || at_end {
            return;
        }
    }
}
