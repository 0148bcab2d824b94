//! Helpers shared by the integration tests.
#![allow(dead_code)]

use spanlens::load::{self, LoadOptions};
use spanlens::model::{SpanIx, TraceSet};
use std::path::{Path, PathBuf};

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Whether the tests run under CI (`CI=true`), where a missing optional input is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The shared corpus (`../shared/corpus`), if this checkout has it. A test that needs it
/// skips, saying so on stderr; under CI the corpus must be there, so its absence fails.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !in_ci(),
        "CI=true but the corpus is missing at {}: CI must run beside shared/corpus",
        dir.display()
    );
    eprintln!(
        "SKIPPED (corpus absent): {} is not beside this checkout",
        dir.display()
    );
    None
}

/// Whether tmux can run the end-to-end tests. Without it they skip, saying so; under CI
/// (where `.ci/run` installs tmux) its absence fails.
pub fn tmux_or_skip(test: &str) -> bool {
    let ok = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok || !in_ci(), "CI=true but tmux is missing ({test})");
    if !ok {
        eprintln!("SKIPPED {test}: tmux is not installed (apt-get install tmux)");
    }
    ok
}

/// Loads paths with format detection, panicking with the problems if nothing loads.
pub fn load_paths(paths: &[PathBuf]) -> TraceSet {
    match load::load(paths, &LoadOptions::default(), &|_| {}) {
        Ok(set) => set,
        Err(e) => panic!("{e}"),
    }
}

/// Loads one fixture file.
pub fn load_fixture(name: &str) -> TraceSet {
    load_paths(&[fixture(name)])
}

/// Writes `text` to a fresh temporary file named `name` and loads it.
pub fn load_text(name: &str, text: &[u8]) -> TraceSet {
    let path = temp_file(name, text);
    load_paths(&[path])
}

/// `spans` generated spans as `format`, with the generator's other defaults.
pub fn generated(spans: usize, format: spanlens_synth::GenFormat) -> Vec<u8> {
    let opts = spanlens_synth::GenOptions {
        spans,
        format,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    spanlens_synth::generate(&opts, &mut bytes).expect("generate");
    bytes
}

/// Runs the real binary with `args` and the variables `env`, and waits for it to end.
pub fn run_spanlens(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_spanlens"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("spanlens runs")
}

/// Writes a temporary file and returns its path.
pub fn temp_file(name: &str, text: &[u8]) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    SWEPT.call_once(|| sweep_scratch(root));
    let dir = root.join(format!(
        "t{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Removes the scratch directories (`t<pid>-<n>`) of test runs whose process is gone.
/// The harness has no hook at exit, so each run clears what earlier ones left: they once
/// piled up to 15 GB in `target/tmp` and filled the disk under a CI build.
fn sweep_scratch(root: &Path) {
    if !Path::new("/proc/self").exists() {
        return; // no way to tell a live process here; leave everything
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix('t'))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The first span named `name`.
pub fn span_named(set: &TraceSet, name: &str) -> SpanIx {
    (0..set.spans.len() as u32)
        .map(SpanIx)
        .find(|&i| set.span_name(i) == name)
        .unwrap_or_else(|| panic!("no span named {name:?}"))
}

/// Every diagnostic, as text.
pub fn warnings(set: &TraceSet) -> Vec<String> {
    set.diagnostics.iter().map(|d| d.to_string()).collect()
}

/// The explorer on fixture files, with default keys and a 16-colour theme.
pub fn app_for(names: &[&str]) -> spanlens::tui::app::App {
    // Relative paths (tests run in the crate root) keep snapshots free of checkout paths.
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|n| Path::new("tests/fixtures").join(n))
        .collect();
    app_for_set(load_paths(&paths))
}

/// The explorer on an already loaded trace set, with default keys and a 16-colour theme.
pub fn app_for_set(set: TraceSet) -> spanlens::tui::app::App {
    use spanlens::tui::{
        keymap::KeyMap,
        theme::{ColorDepth, Theme},
    };
    spanlens::tui::app::App::new(set, KeyMap::default(), Theme::new(ColorDepth::Ansi16))
}

/// Types keys into the app: a string of plain characters, one key each.
pub fn type_keys(app: &mut spanlens::tui::app::App, keys: &str) {
    for c in keys.chars() {
        app.handle_key(spanlens::tui::keymap::Key::plain(c));
    }
}

/// Presses one named key (`enter`, `esc`, `tab`, `ctrl-d`).
pub fn press(app: &mut spanlens::tui::app::App, name: &str) {
    let keys = spanlens::tui::keymap::parse_keys(name).expect("a key name");
    for k in keys {
        app.handle_key(k);
    }
}

/// Name of the span under the tree cursor.
pub fn selected_name(app: &spanlens::tui::app::App) -> String {
    let s = app.selected_span().expect("a selected span");
    app.set.span_name(s).to_owned()
}

/// Renders the app into a test terminal of `w` x `h` cells and returns its buffer.
pub fn render(app: &mut spanlens::tui::app::App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| spanlens::tui::view::render(f, app))
        .unwrap();
    terminal.backend().buffer().clone()
}

/// The buffer's text, one string per row.
pub fn screen_text(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// Carries out the diffs the app asked its worker for, here and now, as the run loop's
/// worker would.
pub fn run_diffs(app: &mut spanlens::tui::app::App) {
    for effect in std::mem::take(&mut app.effects) {
        if let spanlens::tui::app::Effect::Diff(job) = effect {
            let (generation, view) = job.run();
            app.on_diff_ready(generation, view);
        }
    }
}

/// A value too long for the detail pane: about 40 wrapped lines at 80 columns, then a
/// marker at its very end.
pub fn long_value() -> String {
    let mut v = "every word of this note must reach the pager ".repeat(70);
    v.push_str("END-OF-NOTE");
    v
}

/// One OTLP trace of two spans; the child carries `long_value()` in the attribute
/// `note` and a multi-line attribute `lines` (`line 1` … `line 12`).
pub fn long_value_trace() -> Vec<u8> {
    let lines: Vec<String> = (1..=12).map(|i| format!("line {i}")).collect();
    let attr = |k: &str, v: &str| {
        format!(
            r#"{{"key":"{k}","value":{{"stringValue":{}}}}}"#,
            serde_json::to_string(v).unwrap()
        )
    };
    let span = |id: &str, parent: &str, name: &str, attrs: &str| {
        format!(
            r#"{{"traceId":"0000000000000000000000000000abcd","spanId":"{id}","parentSpanId":"{parent}","name":"{name}","startTimeUnixNano":"1000000000","endTimeUnixNano":"2000000000","attributes":[{attrs}]}}"#
        )
    };
    let child = span(
        "00000000000000c2",
        "00000000000000c1",
        "annotate",
        &[
            attr("note", &long_value()),
            attr("lines", &lines.join("\n")),
        ]
        .join(","),
    );
    let root = span("00000000000000c1", "", "pipeline", "");
    format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{root},{child}]}}]}}]}}"#).into_bytes()
}

/// A small deterministic generator (xorshift) for seeded mutation tests, so a failing
/// input can be made again from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
