//! The main loop: threads for input and loading, one channel, block-drain-draw.

use super::app::{App, Effect, Screen};
use super::config;
use super::keymap::{Key, KeyMap};
use super::terminal::{self, Term};
use super::theme::{ColorDepth, Theme};
use super::worker::Worker;
use super::{clipboard, view};
use crate::inert;
use crate::load::{self, LoadError, LoadOptions, Progress};
use crate::model::TraceSet;
use ratatui::crossterm::event::{Event, KeyEventKind};
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Everything the main loop reacts to, from any thread.
pub enum Msg {
    Term(Event),
    Progress(Progress),
    Search {
        generation: u64,
        found: crate::search::Found,
        as_filter: bool,
    },
    Loaded(Box<Result<TraceSet, LoadError>>),
    Diff(u64, Box<super::diff::DiffView>),
    Runs(u64, Box<crate::diff::runs::RunDiff>),
    Stats(Box<super::steps::job::StatsDone>),
    /// A worker panicked: which one, and the panic's message.
    WorkerFailed(super::worker::Worker, String),
    /// A live source's new snapshot, counts or notices (see `live`).
    Live(Box<super::live::Update>),
    /// The live source shut down: exit, then print this.
    LiveEnd(String),
}

/// Loads the key map and theme from the environment and config file.
pub fn settings() -> Result<(KeyMap, Theme), config::ConfigError> {
    let env = |k: &str| std::env::var(k).ok();
    let mut keymap = KeyMap::default();
    let mut theme = Theme::new(ColorDepth::detect(env));
    if let Some(path) = config::default_path(env) {
        config::apply_file(&path, &mut keymap, &mut theme)?;
    }
    Ok((keymap, theme))
}

/// Runs the explorer on `paths` until the user quits. Returns the load error when nothing
/// at all could be loaded.
pub fn run(
    paths: Vec<PathBuf>,
    opts: LoadOptions,
    feedback: Option<PathBuf>,
    keymap: KeyMap,
    theme: Theme,
) -> anyhow::Result<()> {
    run_at(paths, opts, feedback, keymap, theme, None)
}

/// Runs the explorer on `paths`, opening trace `open` (an id or unique prefix) when given:
/// it is shown as read so far while the load goes on (`spanlens FILE#TRACE_ID`).
pub fn run_at(
    paths: Vec<PathBuf>,
    opts: LoadOptions,
    feedback: Option<PathBuf>,
    keymap: KeyMap,
    theme: Theme,
    open: Option<String>,
) -> anyhow::Result<()> {
    // The explorer lists traces while a large file loads.
    let peek = std::sync::Arc::new(load::preview::Peek::default());
    let opts = LoadOptions {
        preview: Some(peek.clone()),
        ..opts
    };
    let mut app = App::loading(keymap, theme);
    let env = |k: &str| std::env::var(k).ok();
    let location = crate::feedback::Location::for_inputs(&paths, feedback.as_deref(), env);
    app.feedback = crate::feedback::Store::new(location);
    if let Some(id) = open {
        app.open_when_loaded(id);
    }
    session(app, Some(&peek), |tx| {
        spawn_loader(paths, opts, feedback, tx.clone())
    })
}

/// Runs the diff view on two traces already loaded (from `spanlens diff`).
pub fn run_diff(
    left: TraceSet,
    lt: crate::model::TraceIx,
    right: TraceSet,
    rt: crate::model::TraceIx,
    keymap: KeyMap,
    theme: Theme,
) -> anyhow::Result<()> {
    let left = std::sync::Arc::new(left);
    let mut app = App::loading(keymap, theme);
    app.set = left.clone();
    app.traces = super::traces::TraceList::new(&left);
    app.open_diff(left, lt, std::sync::Arc::new(right), rt, false);
    session(app, None, |_| {})
}

/// Runs the run view on two runs already loaded (from `spanlens diff` on files or
/// directories holding several traces).
pub fn run_runs(
    left: TraceSet,
    lt: Vec<crate::model::TraceIx>,
    right: TraceSet,
    rt: Vec<crate::model::TraceIx>,
    keymap: KeyMap,
    theme: Theme,
) -> anyhow::Result<()> {
    let left = std::sync::Arc::new(left);
    let mut app = App::loading(keymap, theme);
    app.set = left.clone();
    app.traces = super::traces::TraceList::new(&left);
    app.open_runs(left, lt, std::sync::Arc::new(right), rt);
    session(app, None, |_| {})
}

/// One terminal session: the input and search threads (and whatever `start` adds), the
/// main loop, and the terminal restored however it ends.
fn session(
    mut app: App,
    peek: Option<&load::preview::Peek>,
    start: impl FnOnce(&mpsc::Sender<Msg>),
) -> anyhow::Result<()> {
    session_with(&mut app, peek, start)
}

/// `session` on an app the caller keeps (live mode reads it after the session ends).
pub(super) fn session_with(
    app: &mut App,
    peek: Option<&load::preview::Peek>,
    start: impl FnOnce(&mpsc::Sender<Msg>),
) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel::<Msg>();
    let (mut terminal, _guard) = terminal::enter()?;
    let input = super::input::Input::spawn(tx.clone());
    let searcher = super::search::worker::Searcher::spawn(tx.clone());
    start(&tx);
    let workers = Workers {
        searcher: &searcher,
        peek,
        input: &input,
    };
    let result = main_loop(&mut terminal, app, (&tx, &rx), &workers);
    terminal::restore();
    match terminal::take_worker_panic() {
        Some(p) if result.is_err() => {
            Err(anyhow::anyhow!("internal error in a worker thread: {p}"))
        }
        _ => result,
    }
}

/// What the main loop hands effects to: the search worker, the loader's peek slot, and the
/// input thread (parked while the pager has the terminal).
struct Workers<'a> {
    searcher: &'a super::search::worker::Searcher,
    peek: Option<&'a load::preview::Peek>,
    input: &'a super::input::Input,
}

fn main_loop(
    terminal: &mut Term,
    app: &mut App,
    (tx, rx): (&mpsc::Sender<Msg>, &mpsc::Receiver<Msg>),
    workers: &Workers,
) -> anyhow::Result<()> {
    let mut last_progress = Instant::now();
    // Work asked for before the loop started (the run view's comparison) starts now, not
    // after the first key.
    run_effects(terminal, app, workers, tx)?;
    while !app.should_quit {
        terminal.draw(|frame| view::render(frame, app))?;
        if app.screen != Screen::Loading {
            test_panic("main");
        }
        let first = rx
            .recv()
            .map_err(|_| anyhow::anyhow!("the input and loader threads stopped"))?;
        for msg in std::iter::once(first).chain(rx.try_iter()) {
            match msg {
                Msg::Term(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                    app.handle_key(Key::from_event(k));
                }
                Msg::Term(Event::Mouse(m)) => app.on_mouse(m),
                Msg::Term(_) => {}
                Msg::Search {
                    generation,
                    found,
                    as_filter,
                } => {
                    app.on_search_found(generation, found, as_filter);
                }
                Msg::Progress(p) => {
                    // Progress comes per block; its tallies always count, but a few
                    // redraws a second are plenty (only tallies arrive in between).
                    let redraw = last_progress.elapsed() > Duration::from_millis(50);
                    if redraw || !p.traces.is_empty() || p.partial.is_some() {
                        app.on_progress(p);
                        last_progress = Instant::now();
                    }
                }
                Msg::Diff(generation, view) => app.on_diff_ready(generation, *view),
                Msg::Runs(generation, run) => app.on_runs_ready(generation, *run),
                Msg::Stats(done) => app.on_stats_done(*done),
                Msg::WorkerFailed(worker, why) => app.on_worker_failed(worker, &why),
                Msg::Live(update) => app.on_live(*update),
                Msg::LiveEnd(why) => {
                    if let Some(live) = app.live.as_mut() {
                        live.shutdown = Some(why);
                    }
                    app.should_quit = true;
                }
                Msg::Loaded(result) => match *result {
                    Ok(set) => app.on_loaded(set),
                    Err(e) => return Err(anyhow::anyhow!("{}", inert::text(&e.to_string()))),
                },
            }
        }
        run_effects(terminal, app, workers, tx)?;
        if app.live.is_some() {
            // A snapshot held while a popup or view was open is taken once it closes.
            app.take_live_snapshot();
            run_effects(terminal, app, workers, tx)?;
        }
    }
    Ok(())
}

fn spawn_loader(
    paths: Vec<PathBuf>,
    opts: LoadOptions,
    feedback: Option<PathBuf>,
    tx: mpsc::Sender<Msg>,
) {
    std::thread::Builder::new()
        .name("loader".into())
        .spawn(move || {
            let progress_tx = std::sync::Mutex::new(tx.clone());
            let progress = |p: Progress| {
                if let Ok(tx) = progress_tx.lock() {
                    let _ = tx.send(Msg::Progress(p));
                }
            };
            // A panic while loading must become an error, not a dead UI.
            let load = || {
                test_panic("loader");
                let mut set = load::load(&paths, &opts, &progress)?;
                // The feedback sidecar loads with the export (its marks are assessments).
                crate::feedback::load_into(&mut set, &paths, feedback.as_deref());
                Ok(set)
            };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(load))
                .unwrap_or_else(|_| {
                    let why =
                        terminal::take_worker_panic().unwrap_or_else(|| "unknown panic".into());
                    Err(LoadError {
                        problems: vec![internal_error(why)],
                    })
                });
            let _ = tx.send(Msg::Loaded(Box::new(result)));
        })
        .expect("spawning the loader thread");
}

fn internal_error(why: String) -> crate::model::Diagnostic {
    crate::model::Diagnostic {
        path: "(spanlens)".into(),
        pos: crate::model::Pos::None,
        message: format!("internal error while loading, please report it: {why}"),
    }
}

fn run_effects(
    terminal: &mut Term,
    app: &mut App,
    workers: &Workers,
    tx: &mpsc::Sender<Msg>,
) -> anyhow::Result<()> {
    for effect in std::mem::take(&mut app.effects) {
        match effect {
            Effect::Copy { label, text } => {
                if let Err(e) = clipboard::copy(&text) {
                    app.status = Some(format!("could not copy {label}: {e}"));
                }
            }
            Effect::Search(req) => workers.searcher.start(app.set.clone(), req),
            Effect::Peek(id) => {
                if let Some(peek) = workers.peek {
                    peek.want(&id);
                }
            }
            Effect::Diff(job) => super::worker::spawn(Worker::Diff, tx, move || {
                let (generation, view) = job.run();
                Msg::Diff(generation, Box::new(view))
            })?,
            Effect::Edit { target, text } => {
                // As for the pager: the editor alone reads the terminal meanwhile.
                workers.input.pause();
                let edited = terminal::suspend(terminal, || super::feedback::editor::edit(&text));
                workers.input.resume();
                app.on_edited(target, edited?);
            }
            Effect::Runs(job) => super::worker::spawn(Worker::Runs, tx, move || {
                let (generation, run) = job.run();
                Msg::Runs(generation, Box::new(run))
            })?,
            Effect::Stats(job) => super::worker::spawn(Worker::Stats, tx, move || {
                Msg::Stats(Box::new(job.run_caught()))
            })?,
            Effect::Pager(text) => {
                // Nothing may read the terminal while the pager does: keys typed into it
                // would be swallowed.
                workers.input.pause();
                let outcome = terminal::suspend(terminal, || page(&text));
                workers.input.resume();
                if let Err(e) = outcome? {
                    app.status = Some(format!("pager failed: {e}"));
                }
            }
        }
    }
    Ok(())
}

/// Shows `text` in `$PAGER` (default `less`). The text is made inert first: a pager that
/// passes escapes through must not receive the trace's.
fn page(text: &str) -> std::io::Result<()> {
    let pager = std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less".into());
    let mut parts = pager.split_whitespace();
    let program = parts.next().unwrap_or("less");
    let mut child = std::process::Command::new(program)
        .args(parts)
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A pager that quits early closes the pipe; that is not an error.
        let _ = stdin.write_all(inert::text(text).as_bytes());
    }
    child.wait()?;
    Ok(())
}

/// Clicks select, the wheel scrolls the pane under the pointer.
/// Test hook: `SPANLENS_TEST_PANIC=main|loader` panics at that point, so the end-to-end
/// tests can prove the terminal is restored after a panic on either thread.
fn test_panic(place: &str) {
    if std::env::var("SPANLENS_TEST_PANIC").is_ok_and(|p| p == place) {
        panic!("SPANLENS_TEST_PANIC={place}");
    }
}
