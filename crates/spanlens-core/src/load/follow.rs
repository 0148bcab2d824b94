//! Following a file that is still being written, like `tail -F`: each poll reads what was
//! appended and hands on whole lines only (a last line waits for its newline). A file
//! truncated in place (copy-truncate, or emptied and rewritten) or replaced by a new one
//! (rename and recreate) is reported and read again from its start; a file that does not
//! exist yet, or vanishes, is waited for. Polling, not inotify: it works on every file
//! system, and a poll of an unchanged file is one `stat`.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// What one poll found.
#[derive(Debug, PartialEq, Eq)]
pub enum FollowEvent {
    /// Whole lines, each ending in '\n'.
    Lines(Vec<u8>),
    /// Something the user should know: waiting, truncated, rotated.
    Notice(String),
}

/// Most bytes read per poll, so a large file already there is handed on in pieces.
const MAX_READ: u64 = 16 << 20;
/// Bytes of the file's start remembered, to notice a file rewritten past its old size
/// (4 KB: OTLP lines share their first hundreds of bytes, the resource, before ids differ).
const HEAD: usize = 4096;

/// The state of one followed path.
pub struct Follower {
    path: PathBuf,
    open: Option<Open>,
    /// The path was missing at the last poll (and that was said).
    missing: bool,
    /// The path was opened at least once.
    seen: bool,
}

/// The file being read.
struct Open {
    file: File,
    /// Device and inode: another file at the path is a rotation.
    id: (u64, u64),
    /// Bytes read so far.
    pos: u64,
    /// The last line read so far, still without its newline.
    carry: Vec<u8>,
    /// The file's first bytes as read (up to `HEAD`).
    head: Vec<u8>,
}

impl Follower {
    pub fn new(path: impl Into<PathBuf>) -> Follower {
        Follower {
            path: path.into(),
            open: None,
            missing: false,
            seen: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads what changed since the last poll.
    pub fn poll(&mut self) -> Vec<FollowEvent> {
        let mut out = Vec::new();
        let at_path = std::fs::metadata(&self.path);
        if let Some(open) = &mut self.open {
            match &at_path {
                Ok(m) if (m.dev(), m.ino()) == open.id => {
                    self.read_same(&mut out);
                    return out;
                }
                _ => {
                    // Replaced or gone: what the old file got before that is read first.
                    open.read_new(&mut out, true);
                    self.open = None;
                    let what = match at_path {
                        Ok(_) => {
                            "was replaced by a new file (rotated): reading the new file from its start"
                        }
                        Err(_) => "was removed or renamed: waiting for it to come back",
                    };
                    out.push(self.notice(what));
                    self.missing = at_path.is_err();
                }
            }
        }
        self.try_open(&mut out);
        out
    }

    /// A notice naming the file by its name: one file is followed, and a long directory
    /// would push what happened off the status line.
    fn notice(&self, what: &str) -> FollowEvent {
        let name = self.path.file_name().unwrap_or(self.path.as_os_str());
        FollowEvent::Notice(format!("{} {what}", Path::new(name).display()))
    }

    /// Opens the path if it is there now, reading it from its start.
    fn try_open(&mut self, out: &mut Vec<FollowEvent>) {
        match File::open(&self.path).and_then(|f| Ok((f.metadata()?, f))) {
            Ok((m, file)) => {
                if self.missing && self.seen {
                    out.push(self.notice("is back: reading it from its start"));
                } else if self.missing {
                    out.push(self.notice("now exists: reading it"));
                }
                (self.missing, self.seen) = (false, true);
                let mut open = Open {
                    file,
                    id: (m.dev(), m.ino()),
                    pos: 0,
                    carry: Vec::new(),
                    head: Vec::new(),
                };
                open.read_new(out, false);
                self.open = Some(open);
            }
            Err(e) if !self.missing => {
                let why = if e.kind() == io::ErrorKind::NotFound {
                    "does not exist yet: waiting for it".to_owned()
                } else {
                    format!("cannot be read ({e}): trying again")
                };
                out.push(self.notice(&why));
                self.missing = true;
            }
            Err(_) => {}
        }
    }

    /// The same file as before: truncated (shorter, or its start rewritten) or grown.
    fn read_same(&mut self, out: &mut Vec<FollowEvent>) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let len = open.file.metadata().map_or(open.pos, |m| m.len());
        if len < open.pos || open.head_changed() {
            let lost = open.carry.len();
            (open.pos, open.head) = (0, Vec::new());
            open.carry.clear();
            let mut msg = "was truncated: reading it again from its start".to_owned();
            if lost > 0 {
                msg.push_str(&format!(
                    " (an unfinished last line of {lost} bytes was cut away)"
                ));
            }
            out.push(self.notice(&msg));
        }
        if let Some(open) = self.open.as_mut() {
            open.read_new(out, false);
        }
    }
}

impl Open {
    /// Reads what was appended; with `last`, all of it and an unfinished last line too
    /// (the file is being left: its writer moved on to a new one).
    fn read_new(&mut self, out: &mut Vec<FollowEvent>, last: bool) {
        loop {
            let len = self.file.metadata().map_or(self.pos, |m| m.len());
            if len <= self.pos {
                break;
            }
            let mut buf = vec![0u8; (len - self.pos).min(MAX_READ) as usize];
            let read = read_at_most(&self.file, &mut buf, self.pos);
            buf.truncate(read);
            if self.pos < HEAD as u64 {
                let take = (HEAD - self.pos as usize).min(buf.len());
                self.head.extend_from_slice(&buf[..take]);
            }
            self.pos += read as u64;
            self.carry.extend_from_slice(&buf);
            if !last || read == 0 {
                break;
            }
        }
        if last && !self.carry.is_empty() && !self.carry.ends_with(b"\n") {
            self.carry.push(b'\n');
        }
        if let Some(i) = memchr::memrchr(b'\n', &self.carry) {
            let rest = self.carry.split_off(i + 1);
            out.push(FollowEvent::Lines(std::mem::replace(&mut self.carry, rest)));
        }
    }

    /// The file's first bytes are no longer those read: it was truncated and written
    /// again past the old size between two polls.
    fn head_changed(&self) -> bool {
        if self.head.is_empty() {
            return false;
        }
        let mut now = vec![0u8; self.head.len()];
        let n = read_at_most(&self.file, &mut now, 0);
        now[..n] != self.head[..]
    }
}

/// Reads up to `buf.len()` bytes at `off`; fewer when the file is shorter (or shrank).
fn read_at_most(file: &File, buf: &mut [u8], off: u64) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], off + n as u64) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

/// What a file's first bytes say about following it.
#[derive(Debug, PartialEq, Eq)]
pub enum Shape {
    /// JSON Lines (or nothing yet to tell): followed.
    Lines,
    /// One JSON document, or something else: loaded once (following needs JSON Lines).
    Document,
    /// gzip or zstd: loaded once (a compressed stream cannot be followed line by line).
    Compressed,
}

/// Whether `head` (the first bytes of a file, up to 64 KB) can be followed as JSON Lines.
pub fn shape_of(head: &[u8]) -> Shape {
    if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Shape::Compressed;
    }
    if head.starts_with(b"PAR1") {
        return Shape::Document;
    }
    let text = super::sniff::skip_bom_ws(head);
    if text.is_empty() {
        return Shape::Lines;
    }
    // A first line still being written has no newline yet: judged by its first key.
    let unfinished = memchr::memchr(b'\n', text).is_none();
    if super::sniff::is_json_lines(text, unfinished) || super::sniff::lines_past_bad_first(text) {
        Shape::Lines
    } else {
        Shape::Document
    }
}

#[cfg(test)]
mod tests;
