//! Turning command-line paths into inputs: files, directories walked recursively (hidden
//! entries, feedback sidecars and symlinked directories skipped, depth bounded), MLflow
//! file-store trace directories recognised as one input, and `-` for stdin. Entries a walk
//! passes over that are not files (pipes, sockets, devices, broken links) are reported, not
//! dropped.

use crate::model::{Diagnostic, Pos};
use std::path::{Path, PathBuf};

/// How deep a directory walk may go.
const MAX_DEPTH: usize = 32;

/// One thing to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A file; `explicit` when the user named it (not found by walking a directory).
    File { path: PathBuf, explicit: bool },
    /// An MLflow file-store trace directory.
    MlflowDir(PathBuf),
}

/// Expands paths to items, reporting paths that do not exist.
pub fn expand(paths: &[PathBuf], diags: &mut Vec<Diagnostic>) -> Vec<Item> {
    let mut items = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            items.push(Item::File {
                path: p.clone(),
                explicit: true,
            });
        } else if p.is_dir() {
            walk(p, 0, &mut items, diags);
        } else if p.file_name().is_some_and(|n| n == "trace_info.yaml") {
            items.push(Item::MlflowDir(
                p.parent().unwrap_or(Path::new(".")).to_owned(),
            ));
        } else if p.exists() {
            items.push(Item::File {
                path: p.clone(),
                explicit: true,
            });
        } else {
            diags.push(Diagnostic {
                path: p.display().to_string(),
                pos: Pos::None,
                message: "no such file or directory".into(),
            });
        }
    }
    items
}

/// Returns true when `dir` is an MLflow file-store trace directory.
pub fn is_mlflow_dir(dir: &Path) -> bool {
    dir.join("trace_info.yaml").is_file()
}

fn walk(dir: &Path, depth: usize, items: &mut Vec<Item>, diags: &mut Vec<Diagnostic>) {
    if is_mlflow_dir(dir) {
        items.push(Item::MlflowDir(dir.to_owned()));
        return;
    }
    if depth > MAX_DEPTH {
        diags.push(Diagnostic {
            path: dir.display().to_string(),
            pos: Pos::None,
            message: format!("skipped: deeper than {MAX_DEPTH} directories"),
        });
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            diags.push(Diagnostic {
                path: dir.display().to_string(),
                pos: Pos::None,
                message: format!("cannot read directory: {e}"),
            });
            return;
        }
    };
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        // Feedback sidecars beside the exports are read as feedback, not traces.
        let sidecar = (path.file_name().and_then(|n| n.to_str()))
            .is_some_and(|n| n.ends_with(crate::feedback::locate::SUFFIX));
        if hidden || sidecar {
            continue;
        }
        let is_link = path
            .symlink_metadata()
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if path.is_dir() {
            if !is_link {
                walk(&path, depth + 1, items, diags);
            }
        } else if path.is_file() {
            items.push(Item::File {
                path,
                explicit: false,
            });
        } else {
            // Not opened: a FIFO would block the walk, and a device may never end.
            diags.push(Diagnostic {
                path: path.display().to_string(),
                pos: Pos::None,
                message: format!("skipped: {}", not_a_file(&path)),
            });
        }
    }
}

/// What a directory entry that is neither a file nor a directory is, for its warning.
fn not_a_file(path: &Path) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let Ok(t) = std::fs::metadata(path).map(|m| m.file_type()) else {
        return match path.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => "a broken symbolic link",
            _ => "cannot be read",
        };
    };
    if t.is_fifo() {
        "a named pipe (FIFO); give its path to read it"
    } else if t.is_socket() {
        "a socket, not a file"
    } else if t.is_block_device() || t.is_char_device() {
        "a device, not a file"
    } else {
        "not a regular file"
    }
}
