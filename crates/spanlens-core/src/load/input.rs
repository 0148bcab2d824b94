//! Opening inputs: plain files (read-only, re-readable), `.gz` and `.zst`, pipes and
//! process substitutions (`<(zcat x.gz)`), devices, and `-` for stdin. Compression is
//! detected from magic bytes, not names.
//!
//! A compressed file, and anything that is not a regular file, is copied by a thread of
//! its own into a temporary file (see `spool`), decompressed on the way, which readers take
//! as it grows and which payloads are re-read from later: memory stays at the model's size
//! instead of holding the whole text. Where no temporary file can be written, the text is
//! held in memory. Either way the decompressed size is bounded (`Budget`).

pub use super::spool::{Budget, Cut};
use super::spool::{Counting, Spool, Stop, read_full, temp_file};
use crate::model::{Source, SourceData};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// One input's bytes: either a file we can re-read at any offset, or bytes in memory.
#[derive(Debug, Clone)]
pub enum Input {
    File {
        path: PathBuf,
        file: Arc<File>,
        len: u64,
        /// Set when `file` holds the decompressed text of the compressed file at `path`.
        compression: Option<&'static str>,
    },
    Memory {
        path: PathBuf,
        bytes: Arc<Vec<u8>>,
        compression: Option<&'static str>,
        /// Where the compressed stream broke off, if it did.
        cut: Option<Cut>,
    },
    /// A compressed file or a pipe being copied into `file`, which grows meanwhile: reads
    /// wait for the bytes they ask for.
    Spool {
        path: PathBuf,
        file: Arc<File>,
        spool: Arc<Spool>,
        compression: Option<&'static str>,
    },
}

impl Input {
    /// Opens `path` read-only (or stdin for `-`), decompressing gzip and zstd.
    pub fn open(path: &Path) -> io::Result<Input> {
        Self::open_with(path, Budget::default())
    }

    /// [`Input::open`] with a bound on the decompressed size.
    pub fn open_with(path: &Path, budget: Budget) -> io::Result<Input> {
        if path.as_os_str() == "-" {
            return Self::stream(PathBuf::from("-"), Box::new(io::stdin()), budget);
        }
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        // A pipe or a device has no length to read up to: copy it as it comes.
        if !meta.is_file() {
            return Self::stream(path.into(), Box::new(file), budget);
        }
        let len = meta.len();
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut file, &mut magic)?;
        if let Some(kind) = compression_of(&magic[..n]) {
            if let Ok(out) = temp_file() {
                let src = Box::new(File::open(path)?);
                let (spool, file) = Spool::start(src, Some(kind), len, out, budget)?;
                return Ok(Input::Spool {
                    path: path.into(),
                    file: Arc::new(file),
                    spool,
                    compression: Some(kind),
                });
            }
            let (bytes, cut) = decompress(File::open(path)?, kind, budget)?;
            return Ok(Input::Memory {
                path: path.into(),
                bytes: Arc::new(bytes),
                compression: Some(kind),
                cut,
            });
        }
        Ok(Input::File {
            path: path.into(),
            file: Arc::new(file),
            len,
            compression: None,
        })
    }

    /// A stream (stdin, a pipe, a device), copied into a temporary file as it is read.
    fn stream(path: PathBuf, mut r: Box<dyn Read + Send>, budget: Budget) -> io::Result<Input> {
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut r, &mut magic)?;
        let kind = compression_of(&magic[..n]);
        let src: Box<dyn Read + Send> = Box::new(io::Cursor::new(magic[..n].to_vec()).chain(r));
        if let Ok(out) = temp_file() {
            let (spool, file) = Spool::start(src, kind, 0, out, budget)?;
            return Ok(Input::Spool {
                path,
                file: Arc::new(file),
                spool,
                compression: kind,
            });
        }
        let (bytes, cut) = match kind {
            Some(kind) => decompress(src, kind, budget)?,
            None => match read_bounded(src, (budget, &Default::default()), false)? {
                (_, Some(e)) => return Err(e),
                (bytes, None) => (bytes, None),
            },
        };
        Ok(Input::Memory {
            path,
            bytes: Arc::new(bytes),
            compression: kind,
            cut,
        })
    }

    /// Wraps bytes already in memory (tests, repaired text), decompressing them if needed.
    pub fn from_bytes(path: PathBuf, bytes: Vec<u8>) -> io::Result<Input> {
        if let Some(kind) = compression_of(&bytes[..bytes.len().min(4)]) {
            let (out, cut) = decompress(io::Cursor::new(bytes), kind, Budget::default())?;
            return Ok(Input::Memory {
                path,
                bytes: Arc::new(out),
                compression: Some(kind),
                cut,
            });
        }
        Ok(Input::Memory {
            path,
            bytes: Arc::new(bytes),
            compression: None,
            cut: None,
        })
    }

    /// Where a compressed input broke off (known once it has been read to its end).
    pub fn cut(&self) -> Option<Cut> {
        match self {
            Input::Memory { cut, .. } => cut.clone(),
            Input::Spool { spool, .. } => spool.cut(),
            Input::File { .. } => None,
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Input::File { path, .. } | Input::Memory { path, .. } | Input::Spool { path, .. } => {
                path
            }
        }
    }

    /// Display name for reports.
    pub fn display(&self) -> String {
        self.path().display().to_string()
    }

    pub fn len(&self) -> u64 {
        match self {
            Input::File { len, .. } => *len,
            Input::Memory { bytes, .. } => bytes.len() as u64,
            // Waits for the end of the stream (or says what there was, if it failed).
            Input::Spool { spool, .. } => spool.total().unwrap_or_else(|_| spool.written()),
        }
    }

    /// The length without waiting: for a spool, what has been decompressed so far (all of
    /// it once the stream has been read to its end).
    pub fn len_so_far(&self) -> u64 {
        match self {
            Input::Spool { spool, .. } => spool.written(),
            _ => self.len(),
        }
    }

    /// True when the input holds more than `n` bytes (without waiting for a whole spool).
    pub fn longer_than(&self, n: usize) -> bool {
        match self {
            Input::Spool { spool, .. } => spool.wait(n as u64 + 1).is_ok_and(|w| w > n as u64),
            _ => self.len() > n as u64,
        }
    }

    /// Waits until a spooled input is whole, reporting compressed bytes read meanwhile;
    /// other inputs are whole already.
    pub fn finish_reporting(&self, report: &dyn Fn(u64, u64)) -> io::Result<()> {
        match self {
            Input::Spool { spool, .. } => spool.finish_reporting(report).map(drop),
            _ => Ok(()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn compression(&self) -> Option<&'static str> {
        match self {
            Input::Memory { compression, .. }
            | Input::File { compression, .. }
            | Input::Spool { compression, .. } => *compression,
        }
    }

    /// The first `n` bytes (fewer if the input is shorter).
    pub fn head(&self, n: usize) -> io::Result<Vec<u8>> {
        match self {
            Input::Memory { bytes, .. } => Ok(bytes[..n.min(bytes.len())].to_vec()),
            Input::File { file, len, .. } => {
                let mut buf = vec![0u8; n.min(*len as usize)];
                std::os::unix::fs::FileExt::read_exact_at(&**file, &mut buf, 0)?;
                Ok(buf)
            }
            Input::Spool { .. } => self.read_at(0, n),
        }
    }

    /// The first line (without its newline), read in blocks, at most `max` bytes.
    pub fn first_line(&self, max: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut off = 0u64;
        while out.len() < max {
            let block = self.read_at(off, (64 << 10).min(max - out.len()))?;
            if block.is_empty() {
                break;
            }
            if let Some(i) = memchr::memchr(b'\n', &block) {
                out.extend_from_slice(&block[..i]);
                return Ok(out);
            }
            off += block.len() as u64;
            out.extend_from_slice(&block);
        }
        Ok(out)
    }

    /// The offset of the first byte that is not a byte-order mark or white space, read in
    /// blocks (a file may open with any number of blank lines); `None` when there is none.
    pub fn first_content(&self) -> io::Result<Option<u64>> {
        let mut off = 0u64;
        loop {
            let block = self.read_at(off, 1 << 20)?;
            if block.is_empty() {
                return Ok(None);
            }
            let from = if off == 0 && block.starts_with(b"\xef\xbb\xbf") {
                3
            } else {
                0
            };
            if let Some(i) = block[from..].iter().position(|c| !c.is_ascii_whitespace()) {
                return Ok(Some(off + (from + i) as u64));
            }
            off += block.len() as u64;
        }
    }

    /// Up to `len` bytes from `off` (fewer at the end).
    pub fn read_at(&self, off: u64, len: usize) -> io::Result<Vec<u8>> {
        match self {
            Input::Memory { bytes, .. } => {
                let start = (off as usize).min(bytes.len());
                Ok(bytes[start..(start + len).min(bytes.len())].to_vec())
            }
            Input::File {
                file, len: total, ..
            } => {
                let n = len.min(total.saturating_sub(off) as usize);
                let mut buf = vec![0u8; n];
                std::os::unix::fs::FileExt::read_exact_at(&**file, &mut buf, off)?;
                Ok(buf)
            }
            Input::Spool { file, spool, .. } => {
                let end = spool.wait(off.saturating_add(len as u64))?;
                let mut buf = vec![0u8; end.saturating_sub(off) as usize];
                std::os::unix::fs::FileExt::read_exact_at(&**file, &mut buf, off)?;
                Ok(buf)
            }
        }
    }

    /// All bytes. For a file this reads it whole; callers that can stream should not.
    pub fn read_all(&self) -> io::Result<Arc<Vec<u8>>> {
        match self {
            Input::Memory { bytes, .. } => Ok(bytes.clone()),
            Input::File { file, len, .. } => {
                let mut buf = vec![0u8; *len as usize];
                std::os::unix::fs::FileExt::read_exact_at(&**file, &mut buf, 0)?;
                Ok(Arc::new(buf))
            }
            Input::Spool { file, spool, .. } => {
                let mut buf = vec![0u8; spool.total()? as usize];
                std::os::unix::fs::FileExt::read_exact_at(&**file, &mut buf, 0)?;
                Ok(Arc::new(buf))
            }
        }
    }

    /// The whole input as bytes: a read-only map of a file (its pages belong to the page
    /// cache, which can drop them under memory pressure, unlike a copy on the heap), or
    /// the bytes already in memory. A file that cannot be mapped is read.
    pub fn whole(&self) -> io::Result<Whole> {
        let file = match self {
            Input::File { file, len, .. } if *len > 0 => Some(file),
            Input::Spool { file, spool, .. } if spool.total()? > 0 => Some(file),
            _ => None,
        };
        if let Some(file) = file {
            // Dropped when the document is parsed (see `memory::map`).
            if let Ok(map) = crate::memory::map(file) {
                return Ok(Whole::Mapped(map));
            }
        }
        self.read_all().map(Whole::Shared)
    }

    /// The source that text references into this input resolve against.
    pub fn source(&self) -> Source {
        match self {
            Input::File { path, file, .. } => Source {
                path: path.clone(),
                data: SourceData::File(file.clone()),
            },
            Input::Memory { path, bytes, .. } => Source {
                path: path.clone(),
                data: SourceData::Memory(bytes.clone()),
            },
            Input::Spool { path, file, .. } => Source {
                path: path.clone(),
                data: SourceData::File(file.clone()),
            },
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The compression a file's first bytes announce: `gzip`, `zstd` or none.
fn compression_of(magic: &[u8]) -> Option<&'static str> {
    if magic.starts_with(&GZIP_MAGIC) {
        Some("gzip")
    } else if magic.starts_with(&ZSTD_MAGIC) {
        Some("zstd")
    } else {
        None
    }
}

/// A reader of the text that `r` holds compressed as `kind` (see `compression_of`), or
/// of `r` itself when `kind` is `None`.
pub(super) fn decoder<'a>(kind: Option<&str>, r: impl Read + 'a) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match kind {
        None => Box::new(r),
        Some("gzip") => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(r))),
        Some(_) => Box::new(zstd::stream::read::Decoder::new(r)?),
    })
}

/// Decompresses `r` into memory within `budget`. A stream that breaks off after some text
/// gives that text and where it broke off.
fn decompress(r: impl Read, kind: &str, budget: Budget) -> io::Result<(Vec<u8>, Option<Cut>)> {
    let read = std::sync::atomic::AtomicU64::new(0);
    let counted = Counting {
        inner: r,
        read: &read,
    };
    let (bytes, failed) = read_bounded(decoder(Some(kind), counted)?, (budget, &read), true)?;
    let cut = match failed {
        Some(e) if bytes.is_empty() => return Err(e),
        Some(e) => Some(Cut {
            at: bytes.len() as u64,
            compressed_at: read.load(std::sync::atomic::Ordering::Relaxed),
            why: e.to_string(),
        }),
        None => None,
    };
    Ok((bytes, cut))
}

/// Reads `r` to its end into memory, within `budget` and the memory there is: an
/// allocation that fails is an error, not an abort. Returns the bytes and the read error
/// that ended them early, if any.
fn read_bounded(
    mut r: impl Read,
    (budget, read): (Budget, &std::sync::atomic::AtomicU64),
    compressed: bool,
) -> io::Result<(Vec<u8>, Option<io::Error>)> {
    const STEP: usize = 1 << 20;
    let mut out: Vec<u8> = Vec::new();
    loop {
        let held = out.len();
        if out.try_reserve(STEP).is_err() {
            return Err(io::Error::other(Stop::Memory { held: held as u64 }));
        }
        out.resize(held + STEP, 0);
        let (n, failed) = read_full(&mut r, &mut out[held..]);
        out.truncate(held + n);
        let read = read.load(std::sync::atomic::Ordering::Relaxed);
        budget
            .check(out.len() as u64, read, compressed)
            .map_err(io::Error::other)?;
        if failed.is_some() || n < STEP {
            return Ok((out, failed));
        }
    }
}

/// An input's bytes, all at once (see `Input::whole`).
pub enum Whole {
    Mapped(memmap2::Mmap),
    Shared(Arc<Vec<u8>>),
}

impl Whole {
    /// Gives back the mapped pages lying wholly inside `[from, to)`; nothing for bytes
    /// on the heap. Read again, they come back from the page cache (`memory::release`).
    pub fn release_inside(&self, from: usize, to: usize) {
        if let Whole::Mapped(map) = self {
            crate::memory::release_inside(map, from, to);
        }
    }
}

impl std::ops::Deref for Whole {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Whole::Mapped(m) => m,
            Whole::Shared(v) => v,
        }
    }
}

#[cfg(test)]
mod tests;
