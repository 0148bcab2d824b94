//! Human feedback kept beside an export: MLflow 3 assessment records in an append-only
//! sidecar file, where it lives, how it is read back into a `TraceSet`, what counts as a
//! good or bad judgement, and the evaluation ("golden") set built from it. No UI here.

pub mod golden;
pub mod locate;
pub mod record;
pub mod sidecar;
pub mod store;
pub mod verdict;

pub use locate::Location;
pub use record::Record;
pub use sidecar::{Loaded, append, attach, read};
pub use store::{Saved, Store};
pub use verdict::{Verdict, verdict};

use std::path::PathBuf;

/// Why a sidecar could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: only {wrote} of {len} bytes were written", path.display())]
    Short {
        path: PathBuf,
        wrote: usize,
        len: usize,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Finds the sidecars of `inputs` (or the `chosen` one), adds their assessments to `set`,
/// and returns the store new marks are saved to. A sidecar that cannot be read is a load
/// warning, not an error.
pub fn load_into(
    set: &mut crate::model::TraceSet,
    inputs: &[PathBuf],
    chosen: Option<&std::path::Path>,
) -> Store {
    let location = Location::for_inputs(inputs, chosen, |k| std::env::var(k).ok());
    let mut places = location.to_read();
    // Without `--feedback`, every loaded file's own sidecar too (a directory's files).
    if chosen.is_none() {
        let files = set.files.iter().map(|f| std::path::Path::new(&f.path));
        for p in files.filter_map(locate::beside).filter(|p| p.is_file()) {
            if !places.contains(&p) {
                places.push(p);
            }
        }
    }
    let mut sidecars = Vec::new();
    for path in places {
        match read(&path) {
            Ok(loaded) => sidecars.push((path, loaded)),
            Err(e) => set.diagnostics.push(crate::model::Diagnostic {
                path: path.display().to_string(),
                pos: crate::model::Pos::None,
                message: e.to_string(),
            }),
        }
    }
    if !sidecars.is_empty() {
        attach(set, sidecars);
    }
    Store::new(location)
}
