//! Saving marks: records go to the sidecar as they are made; when no place can be
//! written (read-only directory, full disk, permission) they stay here, pending, until a
//! retry succeeds. Saving is idempotent: a record written twice has one id, and the
//! reader keeps one.

use super::locate::Location;
use super::record::Record;
use super::sidecar::append;
use std::path::PathBuf;

/// The sidecar being written and what is not saved yet.
#[derive(Clone, Debug)]
pub struct Store {
    pub location: Location,
    /// Where the last save went: later saves go there first, so one session's marks stay
    /// in one file.
    pub writing_to: Option<PathBuf>,
    /// Records not written yet, oldest first.
    pub pending: Vec<Record>,
}

/// How a save went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Nothing was waiting.
    Nothing,
    /// Written to the usual place.
    To(PathBuf),
    /// The usual place failed (`why`); written to the fallback instead.
    Fallback { path: PathBuf, why: String },
    /// Nothing could be written: `pending` records wait in memory.
    Kept { why: String, pending: usize },
}

impl Saved {
    /// A status-line message for `what` (e.g. `thumbs down on span "retrieve"`).
    pub fn message(&self, what: &str) -> String {
        match self {
            Saved::Nothing => "no unsaved feedback".into(),
            Saved::To(p) => format!("recorded {what} → {}", p.display()),
            Saved::Fallback { path, why } => {
                format!("recorded {what} → {} ({why})", path.display())
            }
            Saved::Kept { why, pending } => format!(
                "NOT SAVED: {why}; {pending} judgement{} kept in memory (as to retry)",
                if *pending == 1 { "" } else { "s" }
            ),
        }
    }
}

impl Store {
    pub fn new(location: Location) -> Store {
        Store {
            location,
            writing_to: None,
            pending: Vec::new(),
        }
    }

    /// Queues `records` and writes everything pending.
    pub fn save(&mut self, records: Vec<Record>) -> Saved {
        self.pending.extend(records);
        self.flush()
    }

    /// Writes the pending records to the first place that takes them.
    pub fn flush(&mut self) -> Saved {
        if self.pending.is_empty() {
            return Saved::Nothing;
        }
        let mut places: Vec<PathBuf> = Vec::new();
        let known = [
            &self.writing_to,
            &self.location.primary,
            &self.location.fallback,
        ];
        for p in known.into_iter().flatten() {
            if !places.contains(p) {
                places.push(p.clone());
            }
        }
        let mut first_error: Option<String> = None;
        for path in places {
            match append(&path, &self.pending) {
                Ok(()) => {
                    self.pending.clear();
                    self.writing_to = Some(path.clone());
                    return match first_error {
                        Some(why) => Saved::Fallback { path, why },
                        None => Saved::To(path),
                    };
                }
                Err(e) => {
                    first_error.get_or_insert(e.to_string());
                }
            }
        }
        Saved::Kept {
            why: first_error
                .unwrap_or_else(|| "no place to save feedback (stdin, no $HOME)".into()),
            pending: self.pending.len(),
        }
    }
}
