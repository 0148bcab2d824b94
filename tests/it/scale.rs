//! Correctness at scale: a 100,000-deep chain and a 5,000-wide fan-out driven through the
//! explorer, and a file larger than the loading process may address. No timing asserts:
//! the tests only have to finish, which a quadratic step at these sizes would not.

use crate::common::*;
use spanlens::tui::app::App;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// One OTLP span (1-based `id`, `parent` 0 for a root); `error` sets an error status.
fn push_span(out: &mut String, id: u64, parent: u64, name: &str, error: bool) {
    let parent = match parent {
        0 => String::new(),
        p => format!("{p:016x}"),
    };
    let status = if error { r#","status":{"code":2}"# } else { "" };
    // Children start later and end earlier than their parent, so no timing anomalies.
    write!(
        out,
        r#"{{"traceId":"{:032x}","spanId":"{id:016x}","parentSpanId":"{parent}","name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"{status}}}"#,
        7,
        1_000_000 + id,
        1_000_000_000 - id
    )
    .unwrap();
}

/// One OTLP document with one trace of `n` spans: span `i` is named `span{i}`, its parent is
/// `parent(i)`, and the last span is an error.
fn otlp_trace(n: u64, parent: impl Fn(u64) -> u64) -> String {
    let mut out = String::from(r#"{"resourceSpans":[{"scopeSpans":[{"spans":["#);
    for i in 1..=n {
        if i > 1 {
            out.push(',');
        }
        push_span(&mut out, i, parent(i), &format!("span{i}"), i == n);
    }
    out.push_str("]}]}]}");
    out
}

/// Renders at 80x24 and returns the lines of the span tree pane.
fn tree_lines(app: &mut App) -> Vec<String> {
    let screen = screen_text(&render(app, 80, 24));
    let area = app.areas.tree;
    screen[area.y as usize..(area.y + area.height) as usize].to_vec()
}

/// The tree line that shows the span `name`, panicking with the pane when none does.
fn line_with(app: &mut App, name: &str) -> String {
    let lines = tree_lines(app);
    lines
        .iter()
        .find(|l| l.split_whitespace().any(|w| w == name))
        .cloned()
        .unwrap_or_else(|| panic!("{name} not in the tree pane:\n{}", lines.join("\n")))
}

fn rows(app: &App) -> usize {
    app.tree.as_ref().unwrap().rows.len()
}

/// A key, then a render: every action is followed by a frame, as in the real loop.
fn key_and_render(app: &mut App, keys: &str) {
    type_keys(app, keys);
    render(app, 80, 24);
}

#[test]
fn a_chain_100000_deep_renders_and_folds() {
    let n = 100_000;
    let set = load_text("chain.json", otlp_trace(n, |i| i - 1).as_bytes());
    assert_eq!(set.total_spans(), n as usize);
    let mut app = app_for_set(set);
    assert_eq!(selected_name(&app), "span1", "one trace opens at its root");
    line_with(&mut app, "span1");
    key_and_render(&mut app, "G");
    assert_eq!(selected_name(&app), "span100000");
    let deepest = line_with(&mut app, "span100000");
    assert!(
        deepest.contains("99999›"),
        "indentation past the pane width shows the depth as a number: {deepest:?}"
    );
    key_and_render(&mut app, "c");
    assert_eq!(rows(&app), 1, "collapse all leaves the root");
    assert!(line_with(&mut app, "span1").contains("+99999"));
    key_and_render(&mut app, "e");
    assert_eq!(rows(&app), n as usize, "expand all shows every span again");
    fold_at_depth(&mut app, n);
}

/// Folds and unfolds near the bottom of the chain, where every row is 99,990+ deep.
fn fold_at_depth(app: &mut App, n: u64) {
    press(app, "end");
    key_and_render(app, "h");
    assert_eq!(
        selected_name(app),
        "span99999",
        "h on a leaf goes to its parent"
    );
    key_and_render(app, "h");
    assert_eq!(rows(app), n as usize - 1, "h on an open parent folds it");
    assert!(line_with(app, "span99999").contains("▸"));
    key_and_render(app, "l");
    assert_eq!(rows(app), n as usize);
    key_and_render(app, "gCE");
    assert_eq!(
        rows(app),
        n as usize,
        "collapse then expand the root's subtree"
    );
    key_and_render(app, "c]e");
    assert_eq!(
        selected_name(app),
        "span100000",
        "jumping to the error reveals it through 99,999 collapsed ancestors"
    );
    line_with(app, "span100000");
    key_and_render(app, "3");
    assert_eq!(rows(app), 3, "expand to depth 3");
}

#[test]
fn a_span_with_5000_children_renders_and_folds() {
    let n = 5_001;
    let set = load_text("wide.json", otlp_trace(n, |i| u64::from(i > 1)).as_bytes());
    let mut app = app_for_set(set);
    assert_eq!(rows(&app), n as usize);
    key_and_render(&mut app, "G");
    assert_eq!(selected_name(&app), "span5001", "G lands on the last child");
    line_with(&mut app, "span5001");
    key_and_render(&mut app, "gh");
    assert_eq!(rows(&app), 1, "folding the parent hides its 5,000 children");
    let root = line_with(&mut app, "span1");
    assert!(root.contains("▸") && root.contains("+5000"), "{root:?}");
    assert!(
        root.contains("⚠1"),
        "the folded error child is flagged: {root:?}"
    );
    assert_eq!(
        tree_lines(&mut app)
            .iter()
            .filter(|l| l.contains("span"))
            .count(),
        1,
        "only the folded parent shows"
    );
    key_and_render(&mut app, "l");
    assert_eq!(rows(&app), n as usize, "unfolding restores them");
    assert!(line_with(&mut app, "span1").contains("▾"));
    line_with(&mut app, "span2");
    key_and_render(&mut app, "G");
    assert_eq!(selected_name(&app), "span5001");
}

/// Spans (one per line) and traces in the big file, and the size of each prompt.
const BIG_LINES: u64 = 400;
const BIG_TRACES: u64 = 8;
const PROMPT: usize = 1 << 20;
/// Address space for the loader, half the ~400 MB file: mapping the file fails, so this
/// runs the streaming reader, whose blocks (3 x 32 MB) and binary (~30 MB) must fit.
const AS_LIMIT: u64 = 200 << 20;
/// Private writable memory (heap, anonymous maps, stacks) for the loader when the file is
/// mapped, which a shared read-only map does not count against. The mapped path needs
/// about 30 MB; before batches gave back their byte-sized reserve it needed about 100.
const DATA_LIMIT: u64 = 64 << 20;

/// Writes the big OTLP JSON Lines file: each line one span with a 1 MB prompt, rotated
/// differently per line so no two are equal. Span `i`'s parent is its trace's first span.
fn write_big_file(path: &Path) -> u64 {
    let base: Vec<u8> = (0..PROMPT)
        .map(|i| b"abcdefghij klmnopqrstuvwxyz"[i % 27])
        .collect();
    let mut w = std::io::BufWriter::with_capacity(4 << 20, std::fs::File::create(path).unwrap());
    for i in 0..BIG_LINES {
        let trace = i % BIG_TRACES;
        let parent = if i < BIG_TRACES {
            String::new()
        } else {
            format!("{:016x}", trace + 1)
        };
        write!(
            w,
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{:032x}","spanId":"{:016x}","parentSpanId":"{parent}","name":"chat {i}","startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"gen_ai.input.messages","value":{{"stringValue":"line {i}: "#,
            trace + 1,
            i + 1,
            1_000_000 + i,
            2_000_000 - i,
        )
        .unwrap();
        let cut = (i as usize * 7919) % PROMPT;
        w.write_all(&base[cut..]).unwrap();
        w.write_all(&base[..cut]).unwrap();
        w.write_all(b"\"}}]}]}]}]}\n").unwrap();
    }
    w.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// `spanlens summary --json` on `path` under `prlimit LIMIT`; the JSON, or a panic with
/// the exit status and stderr.
fn summary_under(limit: &str, path: &Path) -> serde_json::Value {
    let out = std::process::Command::new("prlimit")
        .arg(limit)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_spanlens"))
        .args(["summary", "--json"])
        .arg(path)
        // One malloc arena: glibc reserves 64 MB of address space per extra arena, which
        // would make the limit measure thread timing rather than the loader. Two workers
        // keep stacks and per-piece batches the same on any machine.
        .env("MALLOC_ARENA_MAX", "1")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{limit}: {}: {stderr}", out.status);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_counts(v: &serde_json::Value, bytes: u64) {
    let totals = &v["totals"];
    assert_eq!(totals["spans"], BIG_LINES, "{totals}");
    assert_eq!(totals["traces"], BIG_TRACES, "{totals}");
    assert_eq!(v["files"][0]["bytes"], bytes);
    assert_eq!(v["warnings"], serde_json::json!([]));
    let traces = v["traces"].as_array().unwrap();
    let per_trace = BIG_LINES / BIG_TRACES;
    assert!(
        traces
            .iter()
            .all(|t| t["roots"] == 1 && t["spans"] == per_trace)
    );
}

/// Deletes a temporary file's directory when dropped, so a failed run leaves no 400 MB
/// file behind.
struct Cleanup<'a>(&'a Path);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn a_file_larger_than_the_memory_limit_loads() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `prlimit` command to limit the loader's memory");
        return;
    }
    let path = temp_file("big.otlp.jsonl", b"");
    let cleanup = Cleanup(&path);
    let bytes = write_big_file(&path);
    assert!(
        bytes > 2 * AS_LIMIT,
        "the file ({bytes} B) dwarfs the limits"
    );
    assert_counts(&summary_under(&format!("--as={AS_LIMIT}"), &path), bytes);
    assert_counts(
        &summary_under(&format!("--data={DATA_LIMIT}"), &path),
        bytes,
    );
    drop(cleanup);
    assert!(!path.exists());
}
