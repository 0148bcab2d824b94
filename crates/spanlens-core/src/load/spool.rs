//! A compressed file decompressed by a thread of its own into a temporary file, while
//! readers take what has been written so far: parsing overlaps decompression, and the text
//! ends up in a file that is re-read like any other.
//!
//! The temporary file is created readable by its owner only and unlinked at once, so
//! nothing is left behind; it lives as long as a handle to it does.

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
    compressed_len: u64,
}

#[derive(Default)]
struct State {
    written: u64,
    /// `Some` once the stream has ended: how it ended.
    end: Option<Result<(), String>>,
}

/// Bytes decompressed per write: readers see the file grow in steps of this.
const STEP: usize = 1 << 20;

impl Spool {
    /// Starts decompressing `src` (gzip or zstd, as `kind` says) into a new temporary file.
    /// Returns the spool and the file to read; fails if no temporary file can be made.
    pub fn start(src: File, kind: &'static str) -> io::Result<(Arc<Spool>, File)> {
        let compressed_len = src.metadata()?.len();
        let out = temp_file()?;
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
                    spool: &worker,
                };
                let result =
                    super::input::decoder(kind, counted).and_then(|d| Spool::fill(&worker, d, out));
                worker.finish(result.map_err(|e| e.to_string()));
            })?;
        Ok((spool, reader))
    }

    /// Copies the decompressed stream into `out`, telling readers after each step. Stops
    /// early when nobody else holds the spool any more (the load gave up on the file).
    fn fill(this: &Arc<Spool>, mut from: impl Read, mut out: File) -> io::Result<()> {
        let mut buf = vec![0u8; STEP];
        loop {
            let n = read_full(&mut from, &mut buf)?;
            if n == 0 || Arc::strong_count(this) == 1 {
                return Ok(());
            }
            out.write_all(&buf[..n]).map_err(|e| {
                let dir = std::env::temp_dir();
                let msg = format!(
                    "cannot write the decompressed text to {} ({e}); set TMPDIR to a place with room",
                    dir.display()
                );
                io::Error::new(e.kind(), msg)
            })?;
            let mut st = this.state.lock().unwrap_or_else(|p| p.into_inner());
            st.written += n as u64;
            this.grown.notify_all();
        }
    }

    fn finish(&self, result: Result<(), String>) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.end = Some(result);
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
                Some(Ok(())) => return Ok(st.written),
                Some(Err(e)) => return Err(io::Error::other(e.clone())),
                None => st = self.grown.wait(st).unwrap_or_else(|p| p.into_inner()),
            }
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
            report(self.read.load(Ordering::Relaxed), self.compressed_len);
            let tick = Duration::from_millis(100);
            st = (self.grown.wait_timeout(st, tick)).map_or_else(|p| p.into_inner().0, |(g, _)| g);
        }
        drop(st);
        self.total()
    }

    /// Compressed bytes read so far, and in all.
    pub fn compressed_progress(&self) -> (u64, u64) {
        let read = self.read.load(Ordering::Relaxed);
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

/// The compressed input, counting what the decoder takes from it.
struct Counting<'a> {
    inner: File,
    spool: &'a Spool,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.spool.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
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
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    fn spooled(text: &[u8]) -> (Arc<Spool>, File) {
        let mut packed = temp_file().unwrap();
        packed
            .write_all(&zstd::encode_all(text, 1).unwrap())
            .unwrap();
        std::io::Seek::rewind(&mut packed).unwrap();
        Spool::start(packed, "zstd").unwrap()
    }

    #[test]
    fn readers_get_what_is_written_and_the_end() {
        let text: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (spool, file) = spooled(&text);
        assert_eq!(spool.wait(10).unwrap(), 10);
        assert_eq!(spool.total().unwrap(), text.len() as u64);
        assert_eq!(spool.wait(u64::MAX).unwrap(), text.len() as u64);
        let mut back = vec![0u8; text.len()];
        file.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(back, text);
        let (read, of) = spool.compressed_progress();
        assert_eq!(read, of, "the whole compressed file was read");
    }

    #[test]
    fn decompression_stops_when_the_file_is_given_up() {
        // Random bytes compress badly: 64 MB of them take a while to decompress and write.
        let mut x = 1u64;
        let text: Vec<u8> = (0..64 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let (spool, file) = spooled(&text);
        spool.wait(1).unwrap();
        let watch = Arc::downgrade(&spool);
        drop(spool);
        // The worker notices at its next step and ends, dropping its handle.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while watch.strong_count() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the worker never ended"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let written = file.metadata().unwrap().len();
        assert!(
            written < text.len() as u64,
            "wrote {written} of {}",
            text.len()
        );
    }

    #[test]
    fn a_failed_write_says_where_and_what_to_do() {
        let spool = Arc::new(Spool {
            state: Mutex::new(State::default()),
            grown: Condvar::new(),
            read: AtomicU64::new(0),
            compressed_len: 0,
        });
        let _reader = spool.clone(); // someone still wants the text
        let path = std::env::temp_dir().join(format!("spanlens-ro-{}", std::process::id()));
        std::fs::write(&path, b"").unwrap();
        let read_only = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = Spool::fill(&spool, &b"some text"[..], read_only).unwrap_err();
        assert!(err.to_string().contains("set TMPDIR"), "{err}");
    }

    #[test]
    fn a_damaged_stream_is_an_error_for_bytes_past_the_damage() {
        let mut src = temp_file().unwrap();
        let mut packed = zstd::encode_all(&vec![b'x'; 5_000_000][..], 1).unwrap();
        packed.truncate(packed.len() / 2);
        src.write_all(&packed).unwrap();
        std::io::Seek::rewind(&mut src).unwrap();
        let (spool, _) = Spool::start(src, "zstd").unwrap();
        assert!(spool.total().is_err());
        assert!(spool.finish_reporting(&|_, _| {}).is_err());
    }
}
