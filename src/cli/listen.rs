//! `spanlens listen`: the OTLP receiver (crates/spanlens-listen) wired to the `--save` file
//! and either the live explorer or, with `--headless`, a line of counts a minute.
//!
//! Order of an accepted request: appended to the save file, sent into the live feed, then
//! answered 200 (the receiver calls the sink before replying). SIGINT/SIGTERM stop the
//! receiver (requests in progress finish), fsync the save file, and exit 0.

use super::Failure;
use crate::tui::live::{Feed, ReceiverCounts};
use spanlens_listen::{Config, Counts, CountsSnapshot, Receiver, SaveFile, Sink};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// `spanlens listen` options.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// Where to receive OTLP/HTTP (POST /v1/traces). Port 0 picks a free port; the address
    /// bound is printed at start. A non-loopback address lets the network send spans.
    #[arg(long, value_name = "ADDR", default_value = spanlens_listen::config::DEFAULT_ADDR,
          value_parser = parse_addr)]
    pub addr: SocketAddr,
    /// OTLP/gRPC address. Not built into spanlens (see docs/live.md): use OTLP/HTTP.
    #[arg(long, value_name = "ADDR")]
    pub grpc: Option<String>,
    /// Append every accepted request to FILE as one OTLP/JSON line (never truncates);
    /// reopen it later with `spanlens FILE`.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Run without a UI, printing a line of counts a minute and one at exit (needs --save).
    #[arg(long, requires = "save")]
    pub headless: bool,
    /// Largest request body, both as sent and after gzip decompression (e.g. 16M, 64M).
    #[arg(long, value_name = "SIZE", default_value = "16M", value_parser = parse_body_size)]
    pub max_body: usize,
    /// Seconds a client may take to send a request's headers, and then its body.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_secs)]
    pub read_timeout: f64,
    /// Seconds between two headless count lines.
    #[arg(long, hide = true, default_value_t = 60.0, value_parser = parse_secs)]
    pub report_every: f64,
}

fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let mut addrs = s
        .to_socket_addrs()
        .map_err(|e| format!("'{s}': expected HOST:PORT such as 127.0.0.1:4318 ({e})"))?;
    addrs
        .next()
        .ok_or_else(|| format!("'{s}' names no address"))
}

fn parse_body_size(s: &str) -> Result<usize, String> {
    match super::parse_size(s)? {
        0 | u64::MAX => Err("the body limit cannot be lifted; give a size such as 64M".into()),
        n => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
    }
}

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e7 => Ok(v),
        _ => Err(format!("'{s}': expected a number of seconds above 0")),
    }
}

/// Saves each accepted request, then hands it to the live view (when there is one).
struct FeedSink {
    save: Option<Arc<SaveFile>>,
    feed: Option<Sender<Feed>>,
}

impl Sink for FeedSink {
    fn accept(&self, line: Vec<u8>) -> std::io::Result<()> {
        if let Some(save) = &self.save {
            save.append(&line)?;
        }
        if let Some(feed) = &self.feed {
            // Fails only once the view has closed; the line is in --save if asked for.
            let _ = feed.send(Feed::Lines(line));
        }
        Ok(())
    }
}

/// Runs `spanlens listen` until a signal (or, with the UI, until the user quits).
pub fn run(args: ListenArgs) -> Result<(), Failure> {
    if let Some(grpc) = &args.grpc {
        let msg = format!(
            "--grpc {grpc}: OTLP/gRPC is not built into spanlens; send OTLP/HTTP to --addr \
             (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf), or put a collector in front"
        );
        return Err(Failure::new(2, msg));
    }
    let settings = if args.headless {
        None
    } else {
        Some(live_settings()?)
    };
    let save = match &args.save {
        Some(path) => Some(Arc::new(SaveFile::open_append(path).map_err(|e| {
            Failure::new(1, format!("cannot open --save {}: {e}", path.display()))
        })?)),
        None => None,
    };
    // Signals are watched before the address is announced: a supervisor (or a test)
    // that sends SIGTERM as soon as it reads the address would otherwise end the process
    // by the default action, without the final report and with a failing status.
    let signals = watch_signals()?;
    let (feed_tx, feed_rx) = mpsc::channel();
    let sink = FeedSink {
        save: save.clone(),
        feed: (!args.headless).then(|| feed_tx.clone()),
    };
    let receiver = Receiver::start(config(&args), Arc::new(sink))
        .map_err(|e| Failure::new(1, e.to_string()))?;
    announce(&receiver, save.as_deref());
    match settings {
        None => headless(&receiver, signals, &args),
        Some((keymap, theme)) => {
            let label = match &args.save {
                Some(p) => p.display().to_string(),
                None => receiver.addr().to_string(),
            };
            live(&receiver, signals, feed_tx, feed_rx, label, keymap, theme)?;
        }
    }
    finish(receiver, save.as_deref())
}

fn config(args: &ListenArgs) -> Config {
    let timeout = Duration::from_secs_f64(args.read_timeout);
    Config {
        addr: args.addr,
        max_body: args.max_body,
        header_timeout: timeout,
        body_timeout: timeout,
        ..Config::default()
    }
}

fn live_settings() -> Result<(crate::tui::keymap::KeyMap, crate::tui::theme::Theme), Failure> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        let msg = "the live view needs a terminal; use --headless --save FILE to run without one";
        return Err(Failure::new(1, msg));
    }
    crate::tui::run::settings().map_err(|e| Failure::new(1, format!("config: {e}")))
}

/// Prints the address bound (the real port when 0 was asked for) and warns when it is
/// reachable from the network.
fn announce(receiver: &Receiver, save: Option<&SaveFile>) {
    let addr = receiver.addr();
    if !addr.ip().is_loopback() {
        eprintln!(
            "spanlens listen: warning: {addr} is not a loopback address; anything that can \
             reach this machine over the network can send spans to it"
        );
    }
    let saving = save.map_or(String::new(), |s| {
        format!(", appending to {}", s.path().display())
    });
    println!("spanlens listen: receiving OTLP/HTTP on http://{addr}/v1/traces{saving}");
}

/// SIGINT and SIGTERM, delivered on a channel instead of ending the process.
fn watch_signals() -> Result<mpsc::Receiver<&'static str>, Failure> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| Failure::new(1, format!("cannot watch for signals: {e}")))?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("listen-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                if tx.send(name).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| Failure::new(1, format!("cannot watch for signals: {e}")))?;
    Ok(rx)
}

/// Headless: a line of counts every `--report-every` seconds until a signal.
fn headless(receiver: &Receiver, signals: mpsc::Receiver<&'static str>, args: &ListenArgs) {
    let counts = receiver.counts();
    let every = Duration::from_secs_f64(args.report_every);
    let mut rate = Rate::new(&counts);
    let why = loop {
        match signals.recv_timeout(every) {
            Ok(sig) => break sig,
            Err(RecvTimeoutError::Timeout) => {
                let (now, per_sec) = rate.tick(&counts);
                println!("spanlens listen: {} · {per_sec:.0} spans/s", line(now));
            }
            Err(RecvTimeoutError::Disconnected) => break "the signal watcher ending",
        }
    };
    println!("spanlens listen: stopping on {why}");
}

/// The live view, fed by the receiver; a second thread sends its counts once a second and
/// a signal closes the view (`Feed::Shutdown`).
fn live(
    receiver: &Receiver,
    signals: mpsc::Receiver<&'static str>,
    feed_tx: Sender<Feed>,
    feed_rx: mpsc::Receiver<Feed>,
    label: String,
    keymap: crate::tui::keymap::KeyMap,
    theme: crate::tui::theme::Theme,
) -> Result<(), Failure> {
    let counts = receiver.counts();
    let ticker = feed_tx.clone();
    std::thread::spawn(move || {
        let mut rate = Rate::new(&counts);
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let (now, per_sec) = rate.tick(&counts);
            let c = ReceiverCounts {
                requests: now.requests,
                spans: now.spans,
                rejected: now.rejected,
                spans_per_sec: per_sec,
            };
            if ticker.send(Feed::Counts(c)).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        if let Ok(sig) = signals.recv() {
            let _ = feed_tx.send(Feed::Shutdown(format!(
                "spanlens listen: stopping on {sig}"
            )));
        }
    });
    // The view calls this on a thread of its own: it relays the receiver's feed.
    let relay = move |tx: Sender<Feed>| {
        for f in feed_rx {
            if tx.send(f).is_err() {
                break;
            }
        }
    };
    let format = Some(crate::load::Format::Otlp);
    crate::tui::live::run_live(label, format, relay, None, keymap, theme)
        .map_err(|e| Failure::new(1, e.to_string()))
}

/// Stops the receiver (requests in progress are answered), makes the save file durable,
/// and prints the totals.
fn finish(receiver: Receiver, save: Option<&SaveFile>) -> Result<(), Failure> {
    let counts = receiver.counts();
    receiver.shutdown();
    if let Some(save) = save {
        save.sync()
            .map_err(|e| Failure::new(1, format!("cannot flush {}: {e}", save.path().display())))?;
    }
    let saved = save.map_or(String::new(), |s| {
        format!("; saved in {}", s.path().display())
    });
    println!(
        "spanlens listen: stopped · {}{saved}",
        line(counts.snapshot())
    );
    Ok(())
}

fn line(c: CountsSnapshot) -> String {
    format!(
        "{} requests, {} spans, {} rejected spans, {} failed requests",
        c.requests, c.spans, c.rejected, c.failed
    )
}

/// Spans per second since the previous reading.
struct Rate {
    at: Instant,
    spans: u64,
}

impl Rate {
    fn new(counts: &Counts) -> Rate {
        Rate {
            at: Instant::now(),
            spans: counts.snapshot().spans,
        }
    }

    fn tick(&mut self, counts: &Counts) -> (CountsSnapshot, f64) {
        let now = counts.snapshot();
        let secs = self.at.elapsed().as_secs_f64().max(1e-3);
        let per_sec = (now.spans - self.spans) as f64 / secs;
        (self.at, self.spans) = (Instant::now(), now.spans);
        (now, per_sec)
    }
}
