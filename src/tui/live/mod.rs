//! Live mode: the explorer on a source that keeps growing (`spanlens --follow FILE`, the
//! OTLP receiver). Whatever feeds it sends `Feed`s; an ingest thread owns the `LiveLoad`,
//! parses lines as they come and hands the main loop a new snapshot a few times a second;
//! the app takes each snapshot without losing the user's place (`place`).

mod ingest;
pub mod place;

use super::app::App;
use super::keymap::KeyMap;
use super::theme::Theme;
use crate::load::Format;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// What a live source sends the explorer.
#[derive(Debug)]
pub enum Feed {
    /// Whole JSON Lines (each ends in '\n').
    Lines(Vec<u8>),
    /// Something to tell the user (rotation, truncation, rejected requests): shown on the
    /// status line and kept with the load warnings.
    Notice(String),
    /// The receiver's running counts, for the receiving indicator.
    Counts(ReceiverCounts),
    /// The source is done: the explorer exits cleanly (terminal restored) and prints this.
    Shutdown(String),
}

/// What the OTLP receiver has taken so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReceiverCounts {
    pub requests: u64,
    pub spans: u64,
    pub rejected: u64,
    pub spans_per_sec: f64,
}

/// A new state of the live source, from the ingest thread.
#[derive(Debug, Default)]
pub struct Update {
    /// The trace set read so far, when it changed.
    pub set: Option<crate::model::TraceSet>,
    /// Notices that arrived since the last update.
    pub notices: Vec<String>,
    pub counts: Option<ReceiverCounts>,
}

/// What the top and status bars say about a live source.
#[derive(Clone, Debug)]
pub struct LiveState {
    /// The file followed, or "OTLP receiver".
    pub label: String,
    /// When the set last grew (a snapshot with more spans arrived).
    pub grew_at: Option<Instant>,
    pub counts: Option<ReceiverCounts>,
    /// Spans in the set shown.
    pub spans: usize,
    /// A snapshot that arrived while a popup or a worker's view was open, taken later.
    pub(crate) waiting: Option<Box<crate::model::TraceSet>>,
    /// The message `Feed::Shutdown` carried, printed once the terminal is restored.
    pub shutdown: Option<String>,
}

impl LiveState {
    pub fn new(label: impl Into<String>) -> LiveState {
        LiveState {
            label: label.into(),
            grew_at: None,
            counts: None,
            spans: 0,
            waiting: None,
            shutdown: None,
        }
    }

    /// The top bar's live segment: `live · grew 3 s ago · receiving 1250 spans/s …` (the
    /// label is the top bar's file name already).
    pub fn describe(&self, now: Instant) -> String {
        let mut out = "live".to_owned();
        match self.grew_at {
            Some(t) => {
                let s = now.saturating_duration_since(t).as_secs();
                out.push_str(&format!(" · grew {} ago", ago(s)));
            }
            None => out.push_str(" · waiting for spans"),
        }
        if let Some(c) = self.counts {
            out.push_str(&format!(
                " · receiving {:.0} spans/s · {} spans · {} rejected",
                c.spans_per_sec, c.spans, c.rejected
            ));
        }
        if self.waiting.is_some() {
            out.push_str(" · new spans held");
        }
        out
    }
}

/// `3 s`, `4 min`, `2 h`.
fn ago(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        _ => format!("{} h", secs / 3600),
    }
}

/// Runs the explorer on `set`, loaded once, with `note` on the status line (a file given
/// to `--follow` that cannot be followed).
pub fn run_once(
    mut set: crate::model::TraceSet,
    note: String,
    feedback: Option<PathBuf>,
    keymap: KeyMap,
    theme: Theme,
) -> anyhow::Result<()> {
    let path = set.files.first().map(|f| PathBuf::from(&f.path));
    set.diagnostics.push(crate::model::Diagnostic {
        path: path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        pos: crate::model::Pos::None,
        message: note.clone(),
    });
    let mut app = App::new(set, keymap, theme);
    let env = |k: &str| std::env::var(k).ok();
    let paths: Vec<PathBuf> = path.into_iter().collect();
    let location = crate::feedback::Location::for_inputs(&paths, feedback.as_deref(), env);
    app.feedback = crate::feedback::Store::new(location);
    app.status = Some(note);
    super::run::session_with(&mut app, None, |_| {})
}

/// Runs the explorer on a live source: `start` is called once with the feed's sender (and
/// may spawn threads that keep sending); `Feed::Shutdown(msg)` makes the explorer exit
/// cleanly (terminal restored, then `msg` printed on stderr).
pub fn run_live(
    label: String,
    format: Option<Format>,
    start: impl FnOnce(Sender<Feed>) + Send + 'static,
    feedback: Option<PathBuf>,
    keymap: KeyMap,
    theme: Theme,
) -> anyhow::Result<()> {
    let mut app = App::new(crate::model::TraceSet::default(), keymap, theme);
    let env = |k: &str| std::env::var(k).ok();
    let paths = [PathBuf::from(&label)];
    let location = crate::feedback::Location::for_inputs(&paths, feedback.as_deref(), env);
    app.feedback = crate::feedback::Store::new(location);
    app.live = Some(LiveState::new(label.clone()));
    let mut shutdown = None;
    let result = super::run::session_with(&mut app, None, |tx| {
        ingest::spawn(label, format, start, tx.clone());
    });
    if let Some(live) = app.live.take() {
        shutdown = live.shutdown;
    }
    if let Some(msg) = shutdown {
        eprintln!("{}", crate::inert::text(&msg));
    }
    result
}
