//! Opening inputs: plain files (read-only, re-readable), `.gz` and `.zst` (decompressed as
//! they are read), and `-` for stdin. Compression is detected from magic bytes, not names.

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
    },
    Memory {
        path: PathBuf,
        bytes: Arc<Vec<u8>>,
        compression: Option<&'static str>,
    },
}

impl Input {
    /// Opens `path` read-only (or stdin for `-`), decompressing gzip and zstd.
    pub fn open(path: &Path) -> io::Result<Input> {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes)?;
            return Self::from_bytes(PathBuf::from("-"), bytes);
        }
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut file, &mut magic)?;
        let magic = &magic[..n];
        if magic.starts_with(&GZIP_MAGIC) || magic.starts_with(&ZSTD_MAGIC) {
            let file = File::open(path)?;
            let (bytes, kind) = decompress(file, magic, len)?;
            return Ok(Input::Memory {
                path: path.into(),
                bytes: Arc::new(bytes),
                compression: Some(kind),
            });
        }
        Ok(Input::File {
            path: path.into(),
            file: Arc::new(file),
            len,
        })
    }

    /// Wraps bytes already in memory (stdin, tests), decompressing them if needed.
    pub fn from_bytes(path: PathBuf, bytes: Vec<u8>) -> io::Result<Input> {
        let head: Vec<u8> = bytes.iter().take(4).copied().collect();
        if head.starts_with(&GZIP_MAGIC) || head.starts_with(&ZSTD_MAGIC) {
            let len = bytes.len() as u64;
            let (out, kind) = decompress(io::Cursor::new(bytes), &head, len)?;
            return Ok(Input::Memory {
                path,
                bytes: Arc::new(out),
                compression: Some(kind),
            });
        }
        Ok(Input::Memory {
            path,
            bytes: Arc::new(bytes),
            compression: None,
        })
    }

    pub fn path(&self) -> &Path {
        match self {
            Input::File { path, .. } | Input::Memory { path, .. } => path,
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
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn compression(&self) -> Option<&'static str> {
        match self {
            Input::Memory { compression, .. } => *compression,
            Input::File { .. } => None,
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
        }
    }

    /// The first line (without its newline), read in blocks, at most `max` bytes.
    pub fn first_line(&self, max: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut off = 0u64;
        while out.len() < max && off < self.len() {
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

    fn read_at(&self, off: u64, len: usize) -> io::Result<Vec<u8>> {
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
        }
    }

    /// The whole input as bytes: a read-only map of a file (its pages belong to the page
    /// cache, which can drop them under memory pressure, unlike a copy on the heap), or
    /// the bytes already in memory. A file that cannot be mapped is read.
    pub fn whole(&self) -> io::Result<Whole> {
        if let Input::File { file, len, .. } = self
            && *len > 0
        {
            // SAFETY: read-only, and dropped when the document is parsed; see
            // `lines::map_file` for what a concurrent truncation could do.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&**file) } {
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

fn decompress(r: impl Read, magic: &[u8], len_hint: u64) -> io::Result<(Vec<u8>, &'static str)> {
    let mut out = Vec::with_capacity((len_hint as usize).saturating_mul(4).min(1 << 30));
    if magic.starts_with(&GZIP_MAGIC) {
        flate2::read::MultiGzDecoder::new(io::BufReader::new(r)).read_to_end(&mut out)?;
        Ok((out, "gzip"))
    } else {
        zstd::stream::read::Decoder::new(r)?.read_to_end(&mut out)?;
        Ok((out, "zstd"))
    }
}

/// An input's bytes, all at once (see `Input::whole`).
pub enum Whole {
    Mapped(memmap2::Mmap),
    Shared(Arc<Vec<u8>>),
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
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_zstd_are_detected_by_content() {
        let text = b"{\"resourceSpans\":[]}\n".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        let input = Input::from_bytes("x.json".into(), gz.finish().unwrap()).unwrap();
        assert_eq!(input.compression(), Some("gzip"));
        assert_eq!(*input.read_all().unwrap(), text);
        let zst = zstd::encode_all(&text[..], 1).unwrap();
        let input = Input::from_bytes("y".into(), zst).unwrap();
        assert_eq!(input.compression(), Some("zstd"));
        assert_eq!(*input.read_all().unwrap(), text);
    }
}
