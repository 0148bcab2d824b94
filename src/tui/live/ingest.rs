//! The ingest thread: owns the `LiveLoad`, drains the feed, and sends the main loop a new
//! snapshot at most every `MIN_GAP` (twice the build time when building is slow), so neither a
//! burst of lines nor a large set ever blocks a key.

use super::{Feed, ReceiverCounts, Update};
use crate::load::Format;
use crate::load::live::LiveLoad;
use crate::tui::run::Msg;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// Shortest time between two snapshots.
const MIN_GAP: Duration = Duration::from_millis(100);
/// Longest: a set so large that building takes seconds is still shown growing.
const MAX_GAP: Duration = Duration::from_secs(5);
/// The top bar's "grew N s ago" is redrawn this often even when nothing arrives.
const TICK: Duration = Duration::from_secs(1);

/// Starts the ingest thread and the source (`start`, given the feed's sender).
pub(super) fn spawn(
    label: String,
    format: Option<Format>,
    start: impl FnOnce(Sender<Feed>) + Send + 'static,
    tx: Sender<Msg>,
) {
    let (feed_tx, feed_rx) = mpsc::channel::<Feed>();
    // The source runs on a thread of its own: `start` may read in a loop rather than
    // spawn a reader and return.
    std::thread::Builder::new()
        .name("live-source".into())
        .spawn(move || start(feed_tx))
        .expect("spawning the live source thread");
    std::thread::Builder::new()
        .name("live-ingest".into())
        .spawn(move || Ingest::new(LiveLoad::new(label, format)).run(&feed_rx, &tx))
        .expect("spawning the live ingest thread");
}

/// What has arrived since the last snapshot was sent.
struct Ingest {
    live: LiveLoad,
    changed: bool,
    notices: Vec<String>,
    counts: Option<ReceiverCounts>,
    gap: Duration,
    last_sent: Instant,
}

impl Ingest {
    fn new(live: LiveLoad) -> Ingest {
        Ingest {
            live,
            changed: false,
            notices: Vec::new(),
            counts: None,
            gap: MIN_GAP,
            last_sent: Instant::now() - MAX_GAP,
        }
    }

    fn run(mut self, feed: &Receiver<Feed>, tx: &Sender<Msg>) {
        loop {
            let wait = self.due().saturating_duration_since(Instant::now());
            let first = match feed.recv_timeout(wait) {
                Ok(f) => Some(f),
                Err(RecvTimeoutError::Timeout) => None,
                // The source stopped sending: show what it sent; the explorer stays.
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.send(tx);
                    return;
                }
            };
            // Drain what is queued before building: one snapshot for a burst.
            for f in first
                .into_iter()
                .chain(std::iter::from_fn(|| feed.try_recv().ok()))
            {
                if let Some(msg) = self.take(f) {
                    let _ = self.send(tx);
                    let _ = tx.send(Msg::LiveEnd(msg));
                    return;
                }
            }
            if Instant::now() >= self.due() && self.send(tx).is_err() {
                return; // the explorer has quit
            }
        }
    }

    /// When the next update is due: a snapshot after the gap, else a tick for the clock.
    fn due(&self) -> Instant {
        self.last_sent + if self.changed { self.gap } else { TICK }
    }

    /// Takes one feed item; returns the shutdown message when it is one.
    fn take(&mut self, f: Feed) -> Option<String> {
        match f {
            Feed::Lines(bytes) => {
                self.live.push_lines(bytes);
                self.changed = true;
            }
            Feed::Notice(msg) => {
                self.live.notice(msg.clone());
                self.notices.push(msg);
                self.changed = true;
            }
            Feed::Counts(c) => self.counts = Some(c),
            Feed::Shutdown(msg) => return Some(msg),
        }
        None
    }

    /// Sends what changed (a snapshot only when the set did), and sets the next gap from
    /// how long the build took: at most a third of the time goes to building, and a line
    /// that arrives while the gap runs waits at most twice a build (at 100,000 spans a
    /// build takes about 100 ms here, so the wait stays near the 250 ms asked for).
    fn send(&mut self, tx: &Sender<Msg>) -> Result<(), mpsc::SendError<Msg>> {
        let began = Instant::now();
        let set = std::mem::take(&mut self.changed).then(|| self.live.snapshot());
        let took = began.elapsed();
        self.gap = (took * 2).clamp(MIN_GAP, MAX_GAP);
        self.last_sent = Instant::now();
        let update = Update {
            set,
            notices: std::mem::take(&mut self.notices),
            counts: self.counts,
        };
        tx.send(Msg::Live(Box::new(update)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str) -> Vec<u8> {
        format!(
            concat!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","#,
                r#""spanId":"00f067aa0ba902b7","name":"{}","startTimeUnixNano":"1","endTimeUnixNano":"2"}}]}}]}}]}}"#,
                "\n"
            ),
            name
        )
        .into_bytes()
    }

    #[test]
    fn lines_notices_and_shutdown_reach_the_main_loop_in_order() {
        let (tx, rx) = mpsc::channel::<Msg>();
        spawn(
            "t.jsonl".into(),
            None,
            |feed| {
                feed.send(Feed::Lines(line("hello"))).unwrap();
                feed.send(Feed::Notice("t.jsonl was rotated".into()))
                    .unwrap();
                feed.send(Feed::Counts(ReceiverCounts {
                    spans: 1,
                    ..Default::default()
                }))
                .unwrap();
                feed.send(Feed::Shutdown("bye".into())).unwrap();
            },
            tx,
        );
        let mut spans = 0;
        let mut notices = Vec::new();
        let mut counts = None;
        loop {
            match rx.recv_timeout(Duration::from_secs(10)).expect("a message") {
                Msg::Live(u) => {
                    if let Some(set) = u.set {
                        spans = set.total_spans();
                        assert!(
                            set.diagnostics
                                .iter()
                                .any(|d| d.message.contains("rotated"))
                        );
                    }
                    notices.extend(u.notices);
                    counts = u.counts.or(counts);
                }
                Msg::LiveEnd(why) => {
                    assert_eq!(why, "bye");
                    break;
                }
                _ => panic!("unexpected message"),
            }
        }
        assert_eq!(spans, 1, "the lines sent before the shutdown are shown");
        assert_eq!(notices, ["t.jsonl was rotated"]);
        assert_eq!(counts.map(|c| c.spans), Some(1));
    }

    #[test]
    fn a_burst_of_lines_makes_few_snapshots() {
        let (tx, rx) = mpsc::channel::<Msg>();
        spawn(
            "t.jsonl".into(),
            None,
            |feed| {
                for _ in 0..2_000 {
                    feed.send(Feed::Lines(line("x"))).unwrap();
                }
            },
            tx,
        );
        let mut snapshots = 0;
        while let Ok(msg) = rx.recv_timeout(Duration::from_secs(3)) {
            if let Msg::Live(u) = msg
                && u.set.is_some()
            {
                snapshots += 1;
            }
        }
        assert!(snapshots <= 10, "{snapshots} snapshots for one burst");
    }
}
