//! The input thread: terminal events to the main loop's channel, and a gate that parks it
//! while another program (the pager) owns the terminal. A thread blocked in
//! `event::read` keeps reading the terminal, so it would swallow the keys typed into
//! `less`; it polls with a timeout instead, and parks when asked.

use super::run::Msg;
use ratatui::crossterm::event;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long a poll waits before the thread checks whether it should park. This bounds how
/// long handing the terminal to the pager waits.
const POLL: Duration = Duration::from_millis(50);

#[derive(Default)]
struct State {
    /// The main thread wants the terminal to itself.
    pause: bool,
    /// The input thread is parked (not reading the terminal).
    parked: bool,
    /// The input thread has ended.
    ended: bool,
}

/// Handle to the input thread: park it before handing over the terminal, resume after.
#[derive(Clone, Default)]
pub struct Input {
    state: Arc<(Mutex<State>, Condvar)>,
}

impl Input {
    /// Starts the thread that sends every terminal event to `tx`.
    pub fn spawn(tx: std::sync::mpsc::Sender<Msg>) -> Input {
        let input = Input::default();
        let gate = input.clone();
        std::thread::Builder::new()
            .name("input".into())
            .spawn(move || {
                gate.run(&tx);
                gate.set(|s| s.ended = true);
            })
            .expect("spawning the input thread");
        input
    }

    fn run(&self, tx: &std::sync::mpsc::Sender<Msg>) {
        loop {
            self.wait_while_paused();
            match event::poll(POLL) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(_) => return,
            }
            let Ok(ev) = event::read() else { return };
            if tx.send(Msg::Term(ev)).is_err() {
                return;
            }
        }
    }

    /// Parks here while a pause is asked for, saying so.
    fn wait_while_paused(&self) {
        let (lock, cond) = &*self.state;
        let Ok(mut s) = lock.lock() else { return };
        while s.pause {
            s.parked = true;
            cond.notify_all();
            s = match cond.wait(s) {
                Ok(s) => s,
                Err(_) => return,
            };
        }
        s.parked = false;
    }

    fn set(&self, f: impl FnOnce(&mut State)) {
        let (lock, cond) = &*self.state;
        if let Ok(mut s) = lock.lock() {
            f(&mut s);
            cond.notify_all();
        }
    }

    /// Stops reading the terminal: returns once the thread is parked (or has ended).
    pub fn pause(&self) {
        let (lock, cond) = &*self.state;
        let Ok(mut s) = lock.lock() else { return };
        s.pause = true;
        while !s.parked && !s.ended {
            s = match cond.wait(s) {
                Ok(s) => s,
                Err(_) => return,
            };
        }
    }

    /// Reads the terminal again.
    pub fn resume(&self) {
        self.set(|s| s.pause = false);
    }
}
