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

/// The shared corpus (`../shared/corpus`), if this checkout has it.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
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

/// Writes a temporary file and returns its path.
pub fn temp_file(name: &str, text: &[u8]) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "t{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
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
