//! Entering and leaving the terminal UI. The terminal is restored on normal exit, on
//! error (a guard's `Drop`), and on panic. A panic on the main thread restores the terminal
//! before it is reported. A panic on a worker thread is recorded instead of printed over
//! the UI: the loader turns it into an error, a dead input thread closes the channel, and
//! either way the main loop ends, the terminal is restored, and the message is printed.

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io::{self, Stdout, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Whether the UI currently owns the terminal (so the panic hook knows to restore it).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The last panic on a worker thread while the UI was active.
static WORKER_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Takes the message of a worker-thread panic, if one happened.
pub fn take_worker_panic() -> Option<String> {
    WORKER_PANIC.lock().ok().and_then(|mut p| p.take())
}

/// Restores the terminal when dropped.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Raw mode, alternate screen, mouse reporting. Returns the terminal and its guard.
pub fn enter() -> io::Result<(Term, Guard)> {
    install_panic_hook();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = Guard;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((terminal, guard))
}

/// Leaves the UI: mouse off, main screen, cooked mode, cursor shown. Safe to call twice.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(
            out,
            DisableMouseCapture,
            LeaveAlternateScreen,
            ratatui::crossterm::cursor::Show
        );
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// Hands the terminal to another program (the pager) and takes it back afterwards. The
/// caller stops reading input first (see `input::Input::pause`).
///
/// The screen is cleared and fully redrawn at its current size, without asking the terminal
/// where its cursor is: `Terminal::clear` does ask, and the answer can be lost or late
/// after another program had the terminal ("The cursor position could not be read").
pub fn suspend<T>(terminal: &mut Term, f: impl FnOnce() -> T) -> io::Result<T> {
    restore();
    let out = f();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
    Ok(out)
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let main = std::thread::current().name() == Some("main");
            if ACTIVE.load(Ordering::SeqCst) && !main {
                if let Ok(mut slot) = WORKER_PANIC.lock() {
                    *slot = Some(info.to_string());
                }
                return;
            }
            restore();
            previous(info);
        }));
    });
}
