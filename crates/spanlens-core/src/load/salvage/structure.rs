//! The structure of damaged JSON text, read byte by byte without parsing: which containers
//! are open at a point, where an element ends, where its sibling starts, how deep the text
//! nests. `repair` decides what to cut or blank from these answers.

use super::{MAX_DEPTH, RECORD_LISTS};

/// Where the element starting at `start` may end (just after it), likeliest first: in a
/// pretty-printed text, an element that opens a line ends at the closing bracket lined up
/// under its opening one (before any line indented less, then past them); anywhere,
/// where its brackets balance (strings end at a quote or at the end of the line).
pub(super) fn element_ends(text: &[u8], start: usize) -> Vec<usize> {
    let mut ends = Vec::with_capacity(3);
    let Some(&open) = text.get(start) else {
        return ends;
    };
    // A line that should have opened an object (its bracket damaged) closes like one.
    let aligned = starts_line(text, start);
    let close = if open == b'[' { b']' } else { b'}' };
    if aligned && let Some(end) = aligned_close(text, start, close, true) {
        ends.push(end);
    }
    if let Some(end) = balanced_end(text, start) {
        ends.push(end);
    }
    if aligned && let Some(end) = aligned_close(text, start, close, false) {
        ends.push(end);
    }
    ends.dedup();
    ends
}

/// Where the next element like the one at `start` begins after `at` (the comma before
/// it): elements of one list start alike (`{"key":`, `{"traceId":`), which finds the end
/// of a compact element whose quotes or brackets the damage put out of step.
pub(super) fn sibling_start(text: &[u8], start: usize, at: usize) -> Option<usize> {
    let sig = signature(text, start)?;
    let mut from = at;
    while let Some(i) = memchr::memmem::find(&text[from..], sig) {
        let found = from + i;
        if let Some(comma) = prev_non_ws(text, found)
            && text[comma] == b','
            && comma > at
        {
            return Some(comma);
        }
        from = found + 1;
    }
    None
}

/// How the object at `start` begins, up to its first key's colon (`{"key":`).
pub(super) fn signature(text: &[u8], start: usize) -> Option<&[u8]> {
    let head = &text[start.min(text.len())..(start + 64).min(text.len())];
    // Pretty-printed siblings begin alike too, indentation included.
    let quote = head
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != b'{')?;
    if head.first() != Some(&b'{') || head[quote] != b'"' {
        return None;
    }
    let colon = head.iter().position(|&b| b == b':')?;
    let sig = &head[..=colon];
    (!sig.contains(&b'\\')).then_some(sig)
}

/// Where the element at `start` ends by counting brackets.
pub(super) fn balanced_end(text: &[u8], start: usize) -> Option<usize> {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for (i, &b) in text.iter().enumerate().skip(start) {
        if in_str {
            match (escaped, b) {
                (_, b'\n') => in_str = false,
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            if !in_str && depth == 0 {
                return Some(i + 1);
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return Some(i),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

pub(super) fn starts_line(text: &[u8], at: usize) -> bool {
    let line = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    at > line && text[line..at].iter().all(|&b| b == b' ' || b == b'\t')
}

/// The bracket `close` at the start of a later line indented as the line of `start`.
/// `strict`: gives up at a line indented less (the element's list ends before it closed).
pub(super) fn aligned_close(text: &[u8], start: usize, close: u8, strict: bool) -> Option<usize> {
    let line = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
    let indent = start - line;
    let mut pos = memchr::memchr(b'\n', &text[start..])? + start + 1;
    while pos < text.len() {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        let first = text[pos..end].iter().position(|&b| b != b' ' && b != b'\t');
        if let Some(f) = first {
            if f < indent && strict {
                return None;
            }
            if f == indent && text[pos + f] == close {
                return Some(pos + f + 1);
            }
        }
        pos = end + 1;
    }
    None
}

pub(super) fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && text[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

pub(super) fn prev_non_ws(text: &[u8], at: usize) -> Option<usize> {
    text[..at].iter().rposition(|b| !b.is_ascii_whitespace())
}

pub(super) fn trim_end(text: &[u8], at: usize) -> usize {
    prev_non_ws(text, at).map_or(0, |i| i + 1)
}

/// One container open at a point of the text.
#[derive(Debug)]
pub(super) struct Open {
    pub(super) close: u8,
    pub(super) depth: usize,
    /// Where its bracket is.
    pub(super) open_at: usize,
    /// Just after the bracket or the last comma: where the current element begins.
    pub(super) elem: usize,
    /// Where the element before it began (`elem` when there is none).
    pub(super) prev: usize,
    /// Just after the last complete element (or the bracket): where a cut keeps.
    pub(super) done: usize,
    /// The key this container is the value of.
    pub(super) key: Option<String>,
    /// An array of records (its key is one of `RECORD_LISTS`).
    pub(super) record: bool,
}

/// The containers open at `upto`, outermost first. `None` past `MAX_DEPTH`.
pub(super) fn scan(text: &[u8], upto: usize) -> Option<Vec<Open>> {
    let mut stack: Vec<Open> = Vec::new();
    let (mut in_str, mut escaped) = (false, false);
    let mut last_str = 0..0;
    let mut str_start = 0;
    for (i, &b) in text[..upto.min(text.len())].iter().enumerate() {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => {
                    in_str = false;
                    last_str = str_start..i;
                    if let Some(top) = stack.last_mut()
                        && top.close == b']'
                    {
                        top.done = i + 1;
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_str = true;
                str_start = i + 1;
            }
            b'{' | b'[' => {
                if stack.len() >= MAX_DEPTH {
                    return None;
                }
                let in_object = stack.last().is_some_and(|o| o.close == b'}');
                let key = in_object.then(|| String::from_utf8_lossy(&text[last_str.clone()]));
                let record = b == b'[' && key.as_deref().is_some_and(|k| RECORD_LISTS.contains(&k));
                stack.push(Open {
                    close: if b == b'{' { b'}' } else { b']' },
                    depth: stack.len(),
                    open_at: i,
                    elem: i + 1,
                    prev: i + 1,
                    done: i + 1,
                    key: key.map(|k| k.into_owned()),
                    record,
                });
            }
            b'}' | b']' => {
                stack.pop();
                if let Some(top) = stack.last_mut() {
                    top.done = i + 1;
                }
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    top.done = i;
                    top.prev = top.elem;
                    top.elem = i + 1;
                }
            }
            _ => {}
        }
    }
    Some(stack)
}

/// The first nesting deeper than `MAX_DEPTH` in `text` (its byte offset), read linearly.
pub fn too_deep(text: &[u8]) -> Option<usize> {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for (i, &b) in text.iter().enumerate() {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}
