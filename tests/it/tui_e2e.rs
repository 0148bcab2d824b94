//! End to end: the real binary in a tmux pane. Each test polls the screen for the text it
//! expects (never a blind sleep), sends keys, reads the screen, and checks how it ended.

use crate::common;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server running one pane.
pub(crate) struct Pane {
    socket: String,
}

impl Pane {
    fn start(name: &str, cmd: &str, env: &[(&str, &str)]) -> Pane {
        let pane = Pane::open(name, 100);
        let exports: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
        pane.run(&format!(
            "env {exports}{} {cmd}",
            env!("CARGO_BIN_EXE_spanlens")
        ));
        pane
    }

    /// A pane `width` columns wide running a shell, on a tmux server of its own.
    pub(crate) fn open(name: &str, width: u16) -> Pane {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "these tests need tmux (apt-get install tmux)"
        );
        let socket = format!("spanlens-{name}-{}", std::process::id());
        let pane = Pane { socket };
        let width = width.to_string();
        pane.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &width,
            "-y",
            "30",
            "sh",
        ]);
        pane.tmux(&["set-option", "-g", "set-clipboard", "on"]);
        pane
    }

    /// Types `line` into the shell, followed by printing its exit status (`EXIT=n`).
    /// The shell stays: after the program exits it prints the status and takes commands,
    /// which only works if the terminal is back in cooked mode.
    pub(crate) fn run(&self, line: &str) {
        // The marker is split so the typed command line never matches it.
        let full = format!("{line}; echo EX\"\"IT=$?");
        self.tmux(&["send-keys", "-t", "t", &full, "Enter"]);
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    /// Polls until `pred` holds for the screen, or fails with the last screen.
    pub(crate) fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait(text, |s| s.contains(text))
    }

    /// Sends `keys` in order. An Escape followed by another key waits for the screen to
    /// change first: Esc and the next key read together (a busy machine) are one Alt-key.
    fn keys(&self, keys: &[&str]) {
        for (i, k) in keys.iter().enumerate() {
            let before = (*k == "Escape" && i + 1 < keys.len()).then(|| self.screen());
            self.tmux(&["send-keys", "-t", "t", k]);
            if let Some(before) = before {
                self.settle(&before);
            }
        }
    }

    /// Waits up to 5 s for the screen to differ from `before` (it may not change at all).
    fn settle(&self, before: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.screen() == before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn format(&self, f: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", "t", f])
            .trim()
            .to_owned()
    }

    /// Waits for the program to exit and returns its exit status.
    fn exit_status(&self) -> i32 {
        let status = |s: &str| -> Option<i32> {
            let rest = s.split("EXIT=").nth(1)?;
            rest.split_whitespace().next()?.parse().ok()
        };
        let screen = self.wait("the program to exit", |s| status(s).is_some());
        status(&screen).expect("an exit status")
    }

    /// Checks the terminal is usable again: main screen, visible cursor, cooked input.
    fn assert_restored(&self, what: &str) {
        assert_eq!(
            self.format("#{alternate_on}"),
            "0",
            "{what}: the alternate screen was left"
        );
        assert_eq!(
            self.format("#{cursor_flag}"),
            "1",
            "{what}: the cursor is visible again"
        );
        self.tmux(&["send-keys", "-t", "t", "echo cooked-$((20+22))", "Enter"]);
        self.wait("the shell to run a command (cooked mode)", |s| {
            s.contains("cooked-42")
        });
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

#[test]
fn open_walk_jump_to_error_copy_and_quit() {
    if !common::tmux_or_skip("open_walk_jump_to_error_copy_and_quit") {
        return;
    }
    let pane = Pane::start("walk", "tests/fixtures/agent.otlp.jsonl", &[]);
    // The trace list's header: the loading screen may list the same root names.
    pane.wait("the trace list", |s| {
        s.contains("trace (name)") && s.contains("summarize report")
    });
    pane.keys(&["Enter"]);
    pane.wait_for("─ spans");
    pane.keys(&["]", "e"]);
    let screen = pane.wait_for("error 1 of 1: geocode");
    assert!(
        screen.contains("TimeoutError: geocoder timed out after 30s"),
        "{screen}"
    );
    pane.keys(&["y", "s"]);
    pane.wait_for("copied span id");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pane.tmux(&["show-buffer"]).trim() != "3c4d5e6f70819203" {
        assert!(
            Instant::now() < deadline,
            "OSC 52 never reached tmux's buffer"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    pane.keys(&["Tab"]);
    pane.wait_for("detail · geocode");
    pane.keys(&["?"]);
    pane.wait_for("keys (Esc closes)");
    pane.keys(&["Escape"]);
    // Esc and q read together (a busy machine) are Alt-q, which quits nothing.
    pane.wait("the help to close", |s| !s.contains("keys (Esc closes)"));
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    assert!(
        !pane.screen().contains("─ spans"),
        "the UI is gone from the screen"
    );
    pane.assert_restored("quit");
}

#[test]
fn nothing_loadable_exits_2_naming_the_file() {
    if !common::tmux_or_skip("nothing_loadable_exits_2_naming_the_file") {
        return;
    }
    let pane = Pane::start("bad", "Cargo.toml", &[]);
    assert_eq!(pane.exit_status(), 2);
    let screen = pane.screen();
    assert!(screen.contains("Cargo.toml: not a trace"), "{screen}");
    pane.assert_restored("load failure");
}

#[test]
fn panics_on_either_thread_restore_the_terminal() {
    if !common::tmux_or_skip("panics_on_either_thread_restore_the_terminal") {
        return;
    }
    for (place, status, text) in [
        ("main", 101, "SPANLENS_TEST_PANIC=main"),
        ("loader", 2, "internal error"),
    ] {
        let pane = Pane::start(
            place,
            "tests/fixtures/agent.otlp.jsonl",
            &[("SPANLENS_TEST_PANIC", place)],
        );
        assert_eq!(pane.exit_status(), status, "panic in {place}");
        let screen = pane.screen();
        assert!(screen.contains(text), "panic in {place}: {screen}");
        pane.assert_restored(&format!("panic in {place}"));
    }
}

#[test]
fn a_worker_that_panics_is_reported_and_the_explorer_stays_usable() {
    if !common::tmux_or_skip("a_worker_that_panics_is_reported_and_the_explorer_stays_usable") {
        return;
    }
    // The search worker panics on every request; the stats worker on its one.
    let env = [("SPANLENS_TEST_PANIC", "search")];
    let pane = Pane::start("wsearch", "tests/fixtures/agent.otlp.jsonl", &env);
    pane.wait("the trace list", |s| s.contains("trace (name)"));
    pane.keys(&["/", "w", "e", "a"]);
    pane.wait_for("search failed");
    // Still usable: the search line closes, the list moves, a trace opens.
    pane.keys(&["Escape", "j", "Enter"]);
    pane.wait_for("─ spans");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    pane.assert_restored("after a search worker panic");

    let env = [("SPANLENS_TEST_PANIC", "stats")];
    let pane = Pane::start("wstats", "tests/fixtures/agent.otlp.jsonl", &env);
    pane.wait("the trace list", |s| s.contains("trace (name)"));
    pane.keys(&["t"]);
    pane.wait_for("statistics failed");
    pane.keys(&["Escape", "Enter"]);
    pane.wait_for("─ spans");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
}

#[test]
fn diff_view_of_two_runs() {
    if !common::tmux_or_skip("diff_view_of_two_runs") {
        return;
    }
    let pane = Pane::start(
        "diff",
        "diff sample-traces/weather-agent-run1.otlp.jsonl sample-traces/weather-agent-run2.otlp.jsonl",
        &[],
    );
    let screen = pane.wait_for("1 added");
    assert!(
        screen.contains("1 removed") && screen.contains("◀") && screen.contains("▶"),
        "{screen}"
    );
    pane.keys(&["]", "d"]);
    pane.wait_for("changed: input");
    pane.keys(&["u"]);
    pane.wait_for("unchanged subtrees hidden");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    pane.assert_restored("diff view");
}

#[test]
fn marking_two_runs_in_the_list_opens_their_diff() {
    if !common::tmux_or_skip("marking_two_runs_in_the_list_opens_their_diff") {
        return;
    }
    let pane = Pane::start(
        "markdiff",
        "sample-traces/weather-agent-run1.otlp.jsonl sample-traces/weather-agent-run2.otlp.jsonl",
        &[],
    );
    // Not "2 traces": the loading screen says "2 traces so far".
    pane.wait_for("trace (name)");
    pane.keys(&["m", "m", "d"]);
    let screen = pane.wait_for("1 added");
    assert!(screen.contains("1 removed"), "{screen}");
    pane.keys(&["Escape"]);
    pane.wait_for("start");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    pane.assert_restored("diff from the list");
}

#[test]
fn a_trace_opens_as_read_so_far_while_its_file_loads() {
    if !common::tmux_or_skip("a_trace_opens_as_read_so_far_while_its_file_loads") {
        return;
    }
    use crate::common::{generated, temp_file};
    let bytes = generated(12_000, spanlens_synth::GenFormat::Otlp);
    let path = temp_file("slow.otlp.jsonl", &bytes);
    // 1 MB blocks with a pause after each: the load takes seconds, whatever the machine.
    let env = [("SPANLENS_TEST_SLOW_BLOCKS", "1")];
    let pane = Pane::start("partial", path.to_str().unwrap(), &env);
    pane.wait_for("traces so far");
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("partial: still loading");
    assert!(screen.contains("─ spans"), "{screen}");
    assert!(
        screen.contains("loading "),
        "the progress line stays: {screen}"
    );
    // When the load ends, the whole trace replaces the partial one, still open.
    let screen = pane.wait("the whole trace", |s| {
        !s.contains("partial") && !s.contains("loading ") && s.contains("─ spans")
    });
    assert!(
        screen.contains("12000 spans"),
        "the top bar counts every span: {screen}"
    );
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
}

#[test]
fn marks_are_saved_beside_the_export_and_shown_when_it_opens_again() {
    if !common::tmux_or_skip("marks_are_saved_beside_the_export_and_shown_when_it_opens_again") {
        return;
    }
    let input = crate::common::temp_file(
        "run.otlp.jsonl",
        &std::fs::read("tests/fixtures/agent.otlp.jsonl").unwrap(),
    );
    // An "editor" that writes the expected output into the file it is given.
    let editor = input.with_file_name("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nprintf 'Sunny in Paris\\n' > \"$1\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let editor_cmd = editor.display().to_string();
    let path = input.display().to_string();
    let pane = Pane::start("mark", &path, &[("EDITOR", &editor_cmd), ("USER", "ann")]);
    pane.wait("the trace list", |s| s.contains("trace (name)"));
    pane.keys(&["+"]);
    pane.wait_for("recorded thumbs up on trace");
    pane.keys(&["Enter"]);
    pane.wait_for("─ spans");
    pane.keys(&["j", "j", "a", "e"]);
    pane.wait_for("recorded expected output on span \"chat gpt-4o\"");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    let sidecar = input.with_file_name("run.otlp.jsonl.feedback.jsonl");
    let text = std::fs::read_to_string(&sidecar).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["source"]["source_id"], "ann");
    assert_eq!(lines[1]["expectation"]["value"], "Sunny in Paris");
    drop(pane);

    let pane = Pane::start("mark2", &path, &[]);
    let screen = pane.wait("the trace list", |s| s.contains("trace (name)"));
    assert!(
        screen.contains("feedback") && screen.contains("+1 ·1"),
        "{screen}"
    );
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
}

/// A stand-in for `less`: saves the text it is given, then reads keys from the terminal
/// one at a time (saving each) until `q`, the way a pager does.
const FAKE_PAGER: &str = r#"#!/bin/sh
out=$(dirname "$0")
cat > "$out/text"
stty -icanon -echo min 1 < /dev/tty
printf 'FAKE-PAGER-READY\n'
while :; do
  c=$(dd bs=1 count=1 < /dev/tty 2>/dev/null)
  printf '%s' "$c" >> "$out/keys"
  [ "$c" = q ] && break
done
stty icanon echo < /dev/tty
"#;

#[test]
fn the_pager_gets_the_keys_and_the_whole_text_and_the_explorer_survives() {
    if !common::tmux_or_skip("the_pager_gets_the_keys_and_the_whole_text_and_the_explorer_survives")
    {
        return;
    }
    use crate::common::{long_value, long_value_trace, temp_file};
    use std::os::unix::fs::PermissionsExt;
    let trace = temp_file("long.otlp.json", &long_value_trace());
    let pager = temp_file("pager.sh", FAKE_PAGER.as_bytes());
    std::fs::set_permissions(&pager, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = pager.parent().unwrap().to_owned();
    let env = [("PAGER", pager.to_str().unwrap())];
    let pane = Pane::start("pager", trace.to_str().unwrap(), &env);
    pane.wait_for("─ spans");
    pane.keys(&["j"]);
    pane.wait_for("detail · annotate");
    let mut typed = String::new();
    for round in 1..=3 {
        pane.keys(&["o"]);
        pane.wait_for("FAKE-PAGER-READY");
        for k in ["j", "j", "j", "q"] {
            pane.keys(&[k]);
            typed.push_str(k);
        }
        let screen = pane.wait(
            &format!("the explorer to redraw after round {round}"),
            |s| {
                s.contains("─ spans")
                    && s.contains("detail · annotate")
                    && !s.contains("FAKE-PAGER")
            },
        );
        let keys = std::fs::read_to_string(out.join("keys")).unwrap_or_default();
        assert_eq!(keys, typed, "every key reached the pager (round {round})");
        assert!(!screen.contains("cursor position"), "{screen}");
    }
    let text = std::fs::read_to_string(out.join("text")).unwrap();
    assert!(
        text.lines().any(|l| l.ends_with(&long_value())),
        "the pager got the whole value on one line:\n{text}"
    );
    // Still alive and reading keys.
    pane.keys(&["k"]);
    pane.wait_for("detail · pipeline");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    pane.assert_restored("after the pager");
}

#[test]
fn run_view_of_two_runs_computes_without_a_key_and_opens_a_pair() {
    if !common::tmux_or_skip("run_view_of_two_runs_computes_without_a_key_and_opens_a_pair") {
        return;
    }
    let pane = Pane::start(
        "runs",
        "diff tests/fixtures/agent.otlp.jsonl tests/fixtures/agent.otlp.jsonl",
        &[],
    );
    // The comparison starts before any key is pressed.
    let screen = pane.wait_for("2 paired");
    assert!(screen.contains("pairing:"), "{screen}");
    pane.keys(&["Enter"]);
    pane.wait_for("◀");
    pane.keys(&["Escape"]);
    pane.wait_for("2 paired");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    pane.assert_restored("run view");
}

#[test]
fn step_table_from_the_list_drill_down_into_a_trace_and_back() {
    if !common::tmux_or_skip("step_table_from_the_list_drill_down_into_a_trace_and_back") {
        return;
    }
    let pane = Pane::start("steps", "tests/fixtures/agent.otlp.jsonl", &[]);
    pane.wait("the trace list", |s| {
        s.contains("trace (name)") && s.contains("summarize report")
    });
    pane.keys(&["t"]);
    // Computed on the worker: the table arrives with its status line.
    let screen = pane.wait("the step table", |s| {
        s.contains("histogram") && s.contains("steps ·")
    });
    assert!(screen.contains("geocode"), "{screen}");
    pane.keys(&["Enter"]);
    pane.wait_for("errors first, then slowest");
    pane.keys(&["Enter"]);
    pane.wait_for("detail · geocode");
    pane.keys(&["f"]);
    pane.wait_for("flame · invoke_agent weather_agent");
    pane.keys(&["Escape"]);
    pane.wait_for("detail · geocode");
    pane.keys(&["Escape"]);
    pane.wait_for("errors first, then slowest");
    pane.keys(&["Escape"]);
    pane.wait("the table again", |s| {
        s.contains("histogram") && !s.contains("errors first")
    });
    pane.keys(&["Escape"]);
    pane.wait_for("trace (name)");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    pane.assert_restored("quit from the trace list");
}

#[test]
fn file_hash_trace_id_opens_that_trace() {
    if !common::tmux_or_skip("file_hash_trace_id_opens_that_trace") {
        return;
    }
    let pane = Pane::start("hashid", "tests/fixtures/agent.otlp.jsonl#1bf7", &[]);
    pane.wait("the trace, opened directly", |s| {
        s.contains("summarize report") && s.contains("─ spans")
    });
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
}

/// `spanlens -f FILE` on a file that does not exist yet: it waits, then shows the lines a
/// writer appends (a partial line only once its newline comes), and notices a truncation.
#[test]
fn follow_shows_lines_as_a_writer_appends_them() {
    if !common::tmux_or_skip("follow_shows_lines_as_a_writer_appends_them") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("spanlens-follow-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("growing.jsonl");
    let pane = Pane::start("follow", &format!("-f {}", file.display()), &[]);
    pane.wait_for("does not exist yet: waiting for it");
    let line = |trace: &str, span: &str, parent: &str, name: &str| {
        format!(
            concat!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{}","#,
                r#""spanId":"{}","parentSpanId":"{}","name":"{}","#,
                r#""startTimeUnixNano":"1000","endTimeUnixNano":"2000"}}]}}]}}]}}"#,
                "\n"
            ),
            trace, span, parent, name
        )
    };
    let t1 = "0af7651916cd43dd8448eb211c80319c";
    let t2 = "1af7651916cd43dd8448eb211c80319c";
    let append = |text: &str| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    append(&line(t1, "00f067aa0ba902b7", "", "first_root"));
    append(&line(t2, "10f067aa0ba902b7", "", "second_root"));
    pane.wait("both traces", |s| {
        s.contains("first_root") && s.contains("second_root") && s.contains("live · grew")
    });
    // Half a line: nothing new, and no warning about a bad line.
    let child = line(t1, "20f067aa0ba902b7", "00f067aa0ba902b7", "late_child");
    let (a, b) = child.split_at(child.len() / 2);
    append(a);
    std::thread::sleep(Duration::from_millis(400));
    let s = pane.screen();
    assert!(s.contains("2 traces · 2 spans"), "{s}");
    append(b);
    pane.wait_for("2 traces · 3 spans");
    std::fs::write(&file, line(t2, "30f067aa0ba902b7", "", "after_truncation")).unwrap();
    // The spans read before stay; the new file's span joins its trace.
    pane.wait("the truncation noticed and the new line read", |s| {
        s.contains("was truncated") && s.contains("2 traces · 4 spans")
    });
    pane.keys(&["q"]);
    assert_eq!(pane.exit_status(), 0);
    pane.assert_restored("quit while following");
    let _ = std::fs::remove_dir_all(&dir);
}
