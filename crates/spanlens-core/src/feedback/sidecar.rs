//! Reading and appending the sidecar file. Appends are one `write` on a file opened with
//! `O_APPEND`, then `fsync`: the kernel places each whole line at the end, so two
//! processes marking the same export at once never interleave. Reading folds the history
//! (a later line for the same id replaces it; `overrides` retires the one it edits for
//! good;
//! `valid: false` removes) and reports, never fails on, bad and torn lines.

use super::FeedbackError;
use super::record::Record;
use crate::model::{Diagnostic, Pos, TraceIx, TraceSet};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a sidecar holds.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The assessments in force, in the order they were first written.
    pub current: Vec<Record>,
    /// Ids of assessments (from the export too) that an edit here replaces.
    pub retired: HashSet<String>,
    /// Every well-formed line, in file order.
    pub lines: Vec<Record>,
    /// Bad and torn lines, by line number.
    pub problems: Vec<Diagnostic>,
}

/// Reads the sidecar at `path`; a missing file holds nothing.
pub fn read(path: &Path) -> Result<Loaded, FeedbackError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(source) => {
            return Err(FeedbackError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    Ok(parse(&path.display().to_string(), &bytes))
}

/// Parses sidecar text (`name` names it in problems).
pub fn parse(name: &str, bytes: &[u8]) -> Loaded {
    let mut out = Loaded::default();
    let complete = bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let problem = |message: String| Diagnostic {
            path: name.to_owned(),
            pos: Pos::Line(i as u64 + 1),
            message,
        };
        match serde_json::from_slice::<Record>(line) {
            Ok(r) => out.lines.push(r),
            Err(_) if i == last && !complete => out.problems.push(problem(
                "torn last line (a write was cut off): skipped; the lines before it loaded".into(),
            )),
            Err(e) => out
                .problems
                .push(problem(format!("not an assessment record ({e}): skipped"))),
        }
    }
    fold(&mut out);
    out
}

/// Works out which records are in force from the history in `out.lines`.
fn fold(out: &mut Loaded) {
    let mut latest: Vec<&Record> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for r in &out.lines {
        match at.get(r.assessment_id.as_str()) {
            Some(&i) => latest[i] = r,
            None => {
                at.insert(&r.assessment_id, latest.len());
                latest.push(r);
            }
        }
    }
    // An edit retires what it overrides for good: removing the edit later does not bring
    // the original back.
    out.retired = (out.lines.iter())
        .filter_map(|r| r.overrides.clone())
        .collect();
    out.current = (latest.into_iter())
        .filter(|r| r.valid && !out.retired.contains(&r.assessment_id))
        .cloned()
        .collect();
}

/// Appends `records` to the sidecar at `path`, one `write` and one `fsync` each, creating
/// the file (and its directory) when needed.
pub fn append(path: &Path, records: &[Record]) -> Result<(), FeedbackError> {
    let open_err = |source| FeedbackError::Open {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(open_err)?;
    }
    // Readable too: the last byte is checked for a torn line.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(open_err)?;
    // A line torn by a crash has no newline: start ours on a line of its own, or the next
    // load would lose it with the torn one.
    let mut fresh_line = !ends_mid_line(&file);
    for r in records {
        let mut line = Vec::with_capacity(256);
        if !fresh_line {
            line.push(b'\n');
        }
        serde_json::to_writer(&mut line, r).expect("a record always serialises");
        line.push(b'\n');
        write_once(&file, path, &line)?;
        fresh_line = true;
    }
    Ok(())
}

/// True when the file's last byte is not a newline (a torn line is there).
fn ends_mid_line(file: &std::fs::File) -> bool {
    use std::os::unix::fs::FileExt;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut last = [0u8];
    len > 0 && file.read_at(&mut last, len - 1).is_ok_and(|n| n == 1) && last[0] != b'\n'
}

/// One `write` of the whole line, then `fsync`. A short write is an error (the part
/// written is a torn line the next load skips).
fn write_once(mut file: &std::fs::File, path: &Path, line: &[u8]) -> Result<(), FeedbackError> {
    let write_err = |source| FeedbackError::Write {
        path: path.to_owned(),
        source,
    };
    let wrote = file.write(line).map_err(write_err)?;
    if wrote != line.len() {
        return Err(FeedbackError::Short {
            path: path.to_owned(),
            wrote,
            len: line.len(),
        });
    }
    file.sync_data().map_err(write_err)
}

/// Adds the sidecars' assessments to `set` beside the export's own (so the detail pane,
/// search, stats and diff all see them), drops export assessments an edit retired, and
/// reports the sidecars' bad lines as load warnings. The export's assessments keep their
/// targets; the new ones are linked through one map of trace ids (O(traces + records)).
pub fn attach(set: &mut TraceSet, sidecars: Vec<(PathBuf, Loaded)>) {
    let retired: HashSet<&String> = sidecars.iter().flat_map(|(_, l)| &l.retired).collect();
    // Only an edit that retired something needs the export's assessments decoded.
    if !retired.is_empty() {
        set.drop_assessments(|a| a.id.as_ref().is_some_and(|id| retired.contains(id)));
    }
    let traces: HashMap<String, TraceIx> = (0..set.traces.len() as u32)
        .map(TraceIx)
        .map(|t| (set.trace_id(t).to_owned(), t))
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    for (_, loaded) in sidecars {
        for r in &loaded.current {
            if !seen.insert(r.assessment_id.clone()) {
                continue;
            }
            let a = r.to_assessment();
            let trace = traces.get(&a.trace_id).copied();
            let span = trace
                .zip(a.span_id.as_deref())
                .and_then(|(t, s)| set.find_span(t, s));
            set.assessments.push(a);
            set.assessment_targets.push((trace, span));
        }
        set.diagnostics.extend(loaded.problems);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::record::Judgement;
    use serde_json::json;

    fn rec(name: &str, v: serde_json::Value) -> Record {
        Record::new(name, Judgement::Feedback(v), ("t1", Some("s1")), "ann", 0)
    }

    #[test]
    fn edits_and_removals_fold() {
        let a = rec("thumbs", json!(true));
        let mut b = rec("thumbs", json!(false));
        b.overrides = Some(a.assessment_id.clone());
        let c = rec("score", json!(2));
        let gone = c.removal(1);
        let mut text = Vec::new();
        for r in [&a, &b, &c, &gone] {
            serde_json::to_writer(&mut text, r).unwrap();
            text.push(b'\n');
        }
        let l = parse("x", &text);
        assert_eq!(l.current, vec![b]);
        assert!(l.problems.is_empty());
    }

    #[test]
    fn torn_and_bad_lines_are_reported_by_number() {
        let a = serde_json::to_string(&rec("thumbs", json!(true))).unwrap();
        let text = format!("{a}\n{{not json}}\n{a}\n{{\"assessment_id\": \"a-1\", \"asse");
        let l = parse("side.jsonl", text.as_bytes());
        assert_eq!(l.lines.len(), 2);
        let lines: Vec<_> = l.problems.iter().map(|p| p.pos).collect();
        assert_eq!(lines, vec![Pos::Line(2), Pos::Line(4)]);
        assert!(l.problems[1].message.starts_with("torn last line"));
        assert!(l.problems[0].message.starts_with("not an assessment"));
    }
}
