//! Line and word diffs of two matched spans' payloads (messages, input, output, changed
//! attributes), with JSON pretty-printed (and JSON inside strings decoded) before diffing.

use crate::model::detail::detail;
use crate::model::messages::{Direction, Message, pretty};
use crate::model::{SpanIx, TraceSet};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// Side of a diff line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Same,
    Added,
    Removed,
}

/// One line of a payload diff; `emphasis` marks the changed words within it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub tag: Tag,
    pub segments: Vec<(String, bool)>,
}

impl Line {
    pub fn text(&self) -> String {
        self.segments.iter().map(|(s, _)| s.as_str()).collect()
    }
}

/// A titled block of diff lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub lines: Vec<Line>,
}

/// Diffs the payloads of `l` (left) and `r` (right); either may be absent (added/removed).
pub fn payload_diff(
    left: &TraceSet,
    l: Option<SpanIx>,
    right: &TraceSet,
    r: Option<SpanIx>,
) -> Vec<Section> {
    let dl = l.map(|s| detail(left, s));
    let dr = r.map(|s| detail(right, s));
    let mut out = Vec::new();
    let msgs = |d: &Option<crate::model::detail::SpanDetail>, dir: Direction| {
        d.as_ref()
            .map(|d| messages_text(&d.messages, dir))
            .unwrap_or_default()
    };
    for (title, dir) in [
        ("Prompt messages", Direction::Input),
        ("Output messages", Direction::Output),
    ] {
        let (a, b) = (msgs(&dl, dir), msgs(&dr, dir));
        if !a.is_empty() || !b.is_empty() {
            out.push(section(title, &a, &b));
        }
    }
    let val = |d: &Option<crate::model::detail::SpanDetail>, input: bool| {
        d.as_ref()
            .and_then(|d| {
                if input {
                    d.input.as_ref()
                } else {
                    d.output.as_ref()
                }
            })
            .map(text_of)
            .unwrap_or_default()
    };
    for (title, input) in [("Input", true), ("Output", false)] {
        let (a, b) = (val(&dl, input), val(&dr, input));
        if !a.is_empty() || !b.is_empty() {
            out.push(section(title, &a, &b));
        }
    }
    let attrs = |d: &Option<crate::model::detail::SpanDetail>| {
        d.as_ref()
            .map(|d| {
                d.attributes
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", one_line(v)))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    let (a, b) = (attrs(&dl), attrs(&dr));
    if a != b {
        let mut s = section("Attributes", &a, &b);
        s.lines.retain(|l| l.tag != Tag::Same);
        out.push(s);
    }
    let feedback = |set: &TraceSet, s: Option<SpanIx>| {
        s.map(|s| super::changes::feedback_of(set, s))
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| format!("{k} = {}\n", one_line(v)))
            .collect::<String>()
    };
    let (a, b) = (feedback(left, l), feedback(right, r));
    if !a.is_empty() || !b.is_empty() {
        out.push(section("Feedback", &a, &b));
    }
    out
}

fn messages_text(msgs: &[Message], dir: Direction) -> String {
    let mut out = String::new();
    for m in msgs.iter().filter(|m| m.direction == dir) {
        out.push_str(&format!("[{}]\n", m.role));
        if !m.content.is_empty() {
            out.push_str(&m.content);
            out.push('\n');
        }
        for c in &m.tool_calls {
            out.push_str(&format!("→ {}({})\n", c.name, one_line(&c.arguments)));
        }
    }
    out
}

/// Pretty JSON for objects; strings as they are (JSON inside them already decoded).
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => pretty(other),
    }
}

fn one_line(v: &Value) -> String {
    match v {
        Value::String(s) => s.replace('\n', "⏎"),
        other => other.to_string(),
    }
}

/// A line diff of `a` and `b`; changed line pairs get a word diff inside them.
pub fn section(title: &str, a: &str, b: &str) -> Section {
    let diff = TextDiff::from_lines(a, b);
    let mut lines = Vec::new();
    for op in diff.ops() {
        let changes: Vec<_> = diff.iter_changes(op).collect();
        let removed: Vec<&str> = changes
            .iter()
            .filter(|c| c.tag() == ChangeTag::Delete)
            .map(|c| c.value())
            .collect();
        let added: Vec<&str> = changes
            .iter()
            .filter(|c| c.tag() == ChangeTag::Insert)
            .map(|c| c.value())
            .collect();
        if removed.len() == added.len() && !removed.is_empty() {
            for (old, new) in removed.iter().zip(&added) {
                let (l, r) = word_diff(old, new);
                lines.push(l);
                lines.push(r);
            }
            continue;
        }
        for c in changes {
            let tag = match c.tag() {
                ChangeTag::Equal => Tag::Same,
                ChangeTag::Delete => Tag::Removed,
                ChangeTag::Insert => Tag::Added,
            };
            lines.push(Line {
                tag,
                segments: vec![(
                    c.value().trim_end_matches('\n').to_owned(),
                    tag != Tag::Same,
                )],
            });
        }
    }
    Section {
        title: title.to_owned(),
        lines,
    }
}

/// A changed line pair with the differing words emphasised.
fn word_diff(old: &str, new: &str) -> (Line, Line) {
    let diff = TextDiff::from_words(old.trim_end_matches('\n'), new.trim_end_matches('\n'));
    let mut l = Vec::new();
    let mut r = Vec::new();
    for c in diff.iter_all_changes() {
        let v = c.value().to_owned();
        match c.tag() {
            ChangeTag::Equal => {
                l.push((v.clone(), false));
                r.push((v, false));
            }
            ChangeTag::Delete => l.push((v, true)),
            ChangeTag::Insert => r.push((v, true)),
        }
    }
    (
        Line {
            tag: Tag::Removed,
            segments: l,
        },
        Line {
            tag: Tag::Added,
            segments: r,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked_inside_changed_lines() {
        let s = section(
            "x",
            "You are helpful.\nBe brief.\n",
            "You are terse.\nBe brief.\n",
        );
        assert_eq!(s.lines[0].tag, Tag::Removed);
        assert_eq!(s.lines[1].tag, Tag::Added);
        assert!(s.lines[1].segments.contains(&("terse.".to_owned(), true)));
        assert_eq!(s.lines[2].tag, Tag::Same);
    }
}
