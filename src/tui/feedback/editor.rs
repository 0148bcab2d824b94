//! Editing text in the user's editor (`$VISUAL`, else `$EDITOR`, else `vi`) through a
//! temporary file, for the expected output of a span.

use std::io::Write;

/// The editor could not be run, or its file not written or read back.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EditorError(pub String);

/// Opens `text` in the editor and returns what the file holds when it exits.
pub fn edit(text: &str) -> Result<String, EditorError> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("spanlens-expected-{}-{n}.txt", std::process::id()));
    let result = run(&editor, &path, text);
    let _ = std::fs::remove_file(&path);
    result.map_err(EditorError)
}

fn run(editor: &str, path: &std::path::Path, text: &str) -> Result<String, String> {
    let mut f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    drop(f);
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(path)
        .status()
        .map_err(|e| format!("{program}: {e}"))?;
    if !status.success() {
        return Err(format!("{program} exited with {status}"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}
