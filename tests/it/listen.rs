//! `spanlens listen` as a process: headless with --save, SIGTERM after a burst of
//! requests (everything acknowledged is in the file, exit 0), the bound port printed for
//! port 0, a port in use, the non-loopback warning, and the live view in tmux showing
//! spans as they arrive.

use crate::common;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

fn spawn(args: &[&str]) -> (Child, BufReader<ChildStdout>, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spanlens"))
        .arg("listen")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spanlens starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    (child, out, addr)
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spanlens-it-listen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// One JSON request of `n` spans in trace `t`; returns the HTTP status.
fn post_spans(addr: SocketAddr, t: u32, n: u32) -> u16 {
    let spans: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"traceId":"{t:032x}","spanId":"{:016x}","name":"s{i}","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{{"key":"k","value":{{"intValue":"{i}"}}}}]}}"#,
                (u64::from(t) << 32) | u64::from(i + 1)
            )
        })
        .collect();
    let body = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn term(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn listen_headless_saves_everything_acknowledged_and_sigterm_flushes() {
    let save = temp("headless.jsonl");
    let save_arg = save.to_str().unwrap();
    let args = [
        "--addr",
        "127.0.0.1:0",
        "--headless",
        "--save",
        save_arg,
        "--report-every",
        "0.2",
    ];
    let (child, mut out, addr) = spawn(&args);
    assert_ne!(addr.port(), 0, "the real port is printed");
    let mut tick = String::new();
    out.read_line(&mut tick).unwrap();
    assert!(
        tick.contains("0 requests") && tick.ends_with("spans/s\n"),
        "a periodic line: {tick}"
    );
    // Four clients at once, 25 requests of 20 spans each; SIGTERM right after the last 200.
    let senders: Vec<_> = (0..4u32)
        .map(|c| {
            std::thread::spawn(move || {
                (0..25)
                    .map(|r| post_spans(addr, c * 100 + r + 1, 20))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let statuses: Vec<u16> = senders
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    term(&child);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success(), "exit {status:?}; stdout {rest}");
    assert!(rest.contains("stopping on SIGTERM"), "{rest}");
    assert!(
        rest.contains("stopped · 100 requests, 2000 spans, 0 rejected spans"),
        "{rest}"
    );
    let set = common::load_paths(std::slice::from_ref(&save));
    assert_eq!(set.traces.len(), 100);
    assert_eq!(set.spans.len(), 2000);
    assert!(set.diagnostics.is_empty(), "{:?}", set.diagnostics);
    // Reopened later, --save appends: the earlier lines stay.
    let (child, _out, addr) = spawn(&args);
    assert_eq!(post_spans(addr, 999, 3), 200);
    term(&child);
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(common::load_paths(&[save]).spans.len(), 2003);
}

/// SIGTERM sent the moment the address is printed stops the receiver cleanly: the
/// signals are watched before the address is announced (they were watched after, and a
/// quick supervisor killed the process by the default action, exit status failing).
#[test]
fn sigterm_as_soon_as_the_address_is_printed_stops_cleanly() {
    let save = temp("quick.jsonl");
    let save_arg = save.to_str().unwrap();
    for _ in 0..5 {
        let args = ["--addr", "127.0.0.1:0", "--headless", "--save", save_arg];
        let (child, mut out, _) = spawn(&args);
        // Straight from this process, not through `kill(1)`: the race is microseconds.
        // SAFETY: kill(2) on our own child's pid touches no memory.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        let status = child.wait_with_output().unwrap().status;
        assert!(status.success(), "exit {status:?}; stdout {rest}");
        assert!(rest.contains("stopping on SIGTERM"), "{rest}");
    }
}

#[test]
fn listen_reports_a_port_in_use_and_warns_off_loopback() {
    let save = temp("inuse.jsonl");
    let save_arg = save.to_str().unwrap();
    let (child, _out, addr) = spawn(&["--addr", "127.0.0.1:0", "--headless", "--save", save_arg]);
    let taken = addr.to_string();
    let out = common::run_spanlens(
        &["listen", "--addr", &taken, "--headless", "--save", save_arg],
        &[],
    );
    term(&child);
    let _ = child.wait_with_output();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already in use") && err.contains(&taken),
        "{err}"
    );
    // Off loopback: a warning, then serving as usual.
    let mut child = Command::new(env!("CARGO_BIN_EXE_spanlens"))
        .args([
            "listen",
            "--addr",
            "0.0.0.0:0",
            "--headless",
            "--save",
            save_arg,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut warning = String::new();
    err.read_line(&mut warning).unwrap();
    term(&child);
    let _ = child.wait_with_output();
    assert!(
        warning.contains("not a loopback address") && warning.contains("network"),
        "{warning}"
    );
    // --grpc is refused with the reason; the view needs a terminal.
    let out = common::run_spanlens(&["listen", "--grpc", "127.0.0.1:4317"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OTLP/gRPC is not built"));
    let out = common::run_spanlens(&["listen", "--addr", "127.0.0.1:0"], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
}

/// The live view in a tmux pane: spans sent to the receiver appear in the trace list, the
/// top bar shows the receiving counts, and SIGTERM closes the view and exits 0.
#[test]
fn listen_live_view_shows_spans_as_they_arrive() {
    if !common::tmux_or_skip("listen_live_view_shows_spans_as_they_arrive") {
        return;
    }
    let save = temp("live.jsonl");
    let pane = crate::tui_e2e::Pane::open("listen", 140);
    // A free port, found by binding and releasing it; the pid, printed before `exec`.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    pane.run(&format!(
        "sh -c 'echo PID=$$; exec {} listen --addr {addr} --save {}'",
        env!("CARGO_BIN_EXE_spanlens"),
        save.display()
    ));
    pane.wait("the live view", |s| s.contains("waiting for spans"));
    let history = pane.tmux(&["capture-pane", "-p", "-t", "t", "-S", "-100", "-a"]);
    let pid = history.lines().find_map(|l| {
        let digits = l.split("PID=").nth(1)?.trim();
        digits.parse::<u32>().ok().map(|p| p.to_string())
    });
    let pid = pid.unwrap_or_else(|| panic!("no PID line in {history}"));
    assert_eq!(post_spans(addr, 0xabc, 5), 200);
    let screen = pane.wait("the trace and the counts", |s| {
        s.contains("s0") && s.contains("receiving") && s.contains("5 spans · 0 rejected")
    });
    assert!(screen.contains("receiving"), "{screen}");
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let screen = pane.wait("the exit", |s| s.contains("EXIT="));
    assert!(screen.contains("EXIT=0"), "{screen}");
    drop(pane);
    assert_eq!(common::load_paths(&[save]).spans.len(), 5);
}
