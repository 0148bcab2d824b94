//! The `--save` file: accepted requests appended as OTLP/JSON lines, each written to the
//! OS before the request is acknowledged, and the file fsynced when the receiver stops.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// An append-only JSON Lines file. Opening never truncates: an existing file keeps its
/// lines and new ones follow (a file cut mid-line first gets the newline it lacks, so the
/// next line stays whole).
#[derive(Debug)]
pub struct SaveFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl SaveFile {
    pub fn open_append(path: &Path) -> io::Result<SaveFile> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(SaveFile {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one whole line. The file is unbuffered, so on `Ok` the line is in the OS
    /// and survives the process being killed. A failed write is cut back off, so a
    /// half-written line never joins the next one.
    pub fn append(&self, line: &[u8]) -> io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let len = file.metadata()?.len();
        if let Err(e) = file.write_all(line) {
            let _ = file.set_len(len);
            return Err(e);
        }
        Ok(())
    }

    /// Flushes the file to the disk (at shutdown: a power loss after exit loses nothing).
    pub fn sync(&self) -> io::Result<()> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.sync_all()
    }
}
