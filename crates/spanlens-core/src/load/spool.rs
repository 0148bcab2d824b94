//! A compressed file (or a pipe) copied by a thread of its own into a temporary file,
//! decompressed on the way, while readers take what has been written so far: parsing
//! overlaps decompression, and the text ends up in a file that is re-read like any other.
//!
//! The temporary file is created readable by its owner only and unlinked at once, so
//! nothing is left behind; it lives as long as a handle to it does.
//!
//! What a stream may cost is bounded (`Budget`): a decompression bomb stops with an error
//! instead of filling the disk or memory. A stream cut short (a truncated `.gz`) ends
//! cleanly with what decompressed, and the cut is reported (`Spool::cut`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How the decompression stands, shared with its readers.
pub struct Spool {
    state: Mutex<State>,
    grown: Condvar,
    /// Compressed bytes read so far, of `compressed_len` (for progress).
    read: AtomicU64,
    /// 0 for a pipe, whose length is not known.
    compressed_len: u64,
}

#[derive(Default)]
struct State {
    written: u64,
    /// `Some` once the stream has ended: how it ended.
    end: Option<End>,
}

/// How a stream ended.
#[derive(Clone, Debug)]
enum End {
    Whole,
    /// The compressed stream broke off (truncated or damaged): what came before is
    /// readable, and this says where and why.
    Cut(Cut),
    Failed(String),
}

/// Where a compressed stream broke off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// Decompressed bytes before the cut (all of them readable).
    pub at: u64,
    /// Compressed bytes the decoder had read.
    pub compressed_at: u64,
    /// What the decoder said.
    pub why: String,
}

/// Why decompression was stopped on purpose.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    #[error(
        "the decompressed text passes the limit of {} (--max-decompressed); give a larger --max-decompressed SIZE to load it",
        size(*.max)
    )]
    Limit { max: u64 },
    #[error(
        "stopped decompressing: {} came out of {} compressed ({}:1), which looks like a decompression bomb; give --max-decompressed SIZE to load it anyway",
        size(*.written), size(*.read), .written / (*.read).max(1)
    )]
    Ratio { written: u64, read: u64 },
    #[error(
        "stopped decompressing: only {} left free in {}; set TMPDIR to a place with room",
        size(*.free), .dir
    )]
    Space { free: u64, dir: String },
    #[error(
        "not enough memory to hold the decompressed text ({} so far); give --max-decompressed SIZE to stop sooner",
        size(*.held)
    )]
    Memory { held: u64 },
}

/// What decompressing one input may cost.
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    /// Most decompressed bytes (`--max-decompressed`); `None` applies `RATIO` past `FLOOR`.
    pub max: Option<u64>,
}

/// Without a limit given, a stream that decompresses to more than `RATIO` times the
/// compressed bytes read, once past `FLOOR`, is taken for a bomb. JSON traces compress
/// 5-30x (gzip cannot pass 1032x); a 661 KB bomb of newlines makes 20 GB (30,000x).
pub const RATIO: u64 = 250;
pub const FLOOR: u64 = 256 << 20;
/// Free space left in the temporary directory, below which spooling stops.
pub const MIN_FREE: u64 = 512 << 20;
/// Free space is checked after every this many bytes written.
const FREE_EVERY: u64 = 64 << 20;

impl Budget {
    /// Checks `written` decompressed bytes made from `read` compressed ones (`compressed`
    /// says whether the stream was compressed at all: a plain one has no ratio).
    pub fn check(&self, written: u64, read: u64, compressed: bool) -> Result<(), Stop> {
        match self.max {
            Some(max) if written > max => Err(Stop::Limit { max }),
            None if compressed && written > FLOOR && written / RATIO > read => {
                Err(Stop::Ratio { written, read })
            }
            _ => Ok(()),
        }
    }
}

/// Bytes decompressed per write: readers see the file grow in steps of this.
const STEP: usize = 1 << 20;

/// Free bytes for an unprivileged user on the file system holding `file`.
pub type FreeSpace = fn(&File) -> Option<u64>;

impl Spool {
    /// Starts copying `src` (decompressing it when `kind` names gzip or zstd) into `out`,
    /// a new temporary file (see `temp_file`). `compressed_len` is 0 when unknown.
    pub fn start(
        src: Box<dyn Read + Send>,
        kind: Option<&'static str>,
        compressed_len: u64,
        out: File,
        budget: Budget,
    ) -> io::Result<(Arc<Spool>, File)> {
        Self::start_with(src, (kind, compressed_len), out, budget, free_space)
    }

    fn start_with(
        src: Box<dyn Read + Send>,
        (kind, compressed_len): (Option<&'static str>, u64),
        out: File,
        budget: Budget,
        free: FreeSpace,
    ) -> io::Result<(Arc<Spool>, File)> {
        let reader = out.try_clone()?;
        let spool = Arc::new(Spool {
            state: Mutex::new(State::default()),
            grown: Condvar::new(),
            read: AtomicU64::new(0),
            compressed_len,
        });
        let worker = spool.clone();
        std::thread::Builder::new()
            .name("decompress".into())
            .spawn(move || {
                let counted = Counting {
                    inner: src,
                    read: &worker.read,
                };
                let end = match super::input::decoder(kind, counted) {
                    Ok(d) => Spool::fill(&worker, d, out, (budget, kind.is_some(), free)),
                    Err(e) => End::Failed(e.to_string()),
                };
                worker.finish(end);
            })?;
        Ok((spool, reader))
    }

    /// Copies the decompressed stream into `out`, telling readers after each step. Stops
    /// early when nobody else holds the spool any more (the load gave up on the file),
    /// when the budget or the free space runs out, or where the stream breaks off.
    fn fill(
        this: &Arc<Spool>,
        mut from: impl Read,
        mut out: File,
        (budget, compressed, free): (Budget, bool, FreeSpace),
    ) -> End {
        let mut buf = vec![0u8; STEP];
        let mut checked = 0u64;
        loop {
            let (n, failed) = read_full(&mut from, &mut buf);
            if Arc::strong_count(this) == 1 {
                return End::Whole;
            }
            let written = this.written() + n as u64;
            if let Err(stop) = budget.check(written, this.read.load(Ordering::Relaxed), compressed)
            {
                return End::Failed(stop.to_string());
            }
            if written >= checked + FREE_EVERY {
                checked = written;
                if let Some(left) = free(&out).filter(|&f| f < MIN_FREE) {
                    let dir = std::env::temp_dir().display().to_string();
                    return End::Failed(Stop::Space { free: left, dir }.to_string());
                }
            }
            if let Err(e) = out.write_all(&buf[..n]) {
                let dir = std::env::temp_dir();
                return End::Failed(format!(
                    "cannot write the decompressed text to {} ({e}); set TMPDIR to a place with room",
                    dir.display()
                ));
            }
            let mut st = this.state.lock().unwrap_or_else(|p| p.into_inner());
            st.written = written;
            this.grown.notify_all();
            drop(st);
            match failed {
                // Nothing came out at all: not a stream cut short but one never begun.
                Some(e) if written == 0 => return End::Failed(e.to_string()),
                Some(e) => {
                    return End::Cut(Cut {
                        at: written,
                        compressed_at: this.read.load(Ordering::Relaxed),
                        why: e.to_string(),
                    });
                }
                None if n == 0 => return End::Whole,
                None => {}
            }
        }
    }

    fn finish(&self, end: End) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.end = Some(end);
        self.grown.notify_all();
    }

    /// Waits until the first `end` bytes are written, or the stream ended; returns how many
    /// of them there are (fewer than `end` only at the end of the stream).
    pub fn wait(&self, end: u64) -> io::Result<u64> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if st.written >= end {
                return Ok(end);
            }
            match &st.end {
                Some(End::Whole | End::Cut(_)) => return Ok(st.written),
                Some(End::Failed(e)) => return Err(io::Error::other(e.clone())),
                None => st = self.grown.wait(st).unwrap_or_else(|p| p.into_inner()),
            }
        }
    }

    /// Where the stream broke off, once it has ended that way.
    pub fn cut(&self) -> Option<Cut> {
        match &self.state.lock().unwrap_or_else(|p| p.into_inner()).end {
            Some(End::Cut(c)) => Some(c.clone()),
            _ => None,
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).written
    }

    /// The decompressed length, once the stream has ended (waits for it).
    pub fn total(&self) -> io::Result<u64> {
        self.wait(u64::MAX)
    }

    /// Waits for the end of the stream, calling `report(read, of)` with compressed bytes
    /// every so often meanwhile.
    pub fn finish_reporting(&self, report: &dyn Fn(u64, u64)) -> io::Result<u64> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while st.end.is_none() {
            let (read, of) = self.compressed_progress();
            report(read, of);
            let tick = Duration::from_millis(100);
            st = (self.grown.wait_timeout(st, tick)).map_or_else(|p| p.into_inner().0, |(g, _)| g);
        }
        drop(st);
        self.total()
    }

    /// Compressed bytes read so far, and in all (for a pipe, of unknown length, what has
    /// been read so far).
    pub fn compressed_progress(&self) -> (u64, u64) {
        let read = self.read.load(Ordering::Relaxed);
        if self.compressed_len == 0 {
            return (read, read);
        }
        (read.min(self.compressed_len), self.compressed_len)
    }
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("written", &self.written())
            .finish()
    }
}

/// A compressed input, counting what the decoder takes from it.
pub(super) struct Counting<'a, R> {
    pub inner: R,
    pub read: &'a AtomicU64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads until `buf` is full, the stream ends or a read fails; returns how much was read
/// and the failure, if any (the bytes before it are good).
pub(super) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

/// Free bytes for an unprivileged user on the file system holding `file`.
fn free_space(file: &File) -> Option<u64> {
    crate::memory::free_space(file)
}

/// `1.5 GiB`, `661 KiB`, `12 B`: sizes in error messages.
pub fn size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A new temporary file, readable by its owner only, already unlinked.
pub fn temp_file() -> io::Result<File> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("spanlens-{}-{n}.decompressed", std::process::id());
    let path = std::env::temp_dir().join(name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests;
