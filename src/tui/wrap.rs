//! Text to terminal lines: untrusted text made inert, tabs expanded, and wrapped by display
//! width (CJK and emoji are two cells wide), never by byte or char count.

use crate::inert;
use unicode_width::UnicodeWidthChar;

/// Splits `text` into lines no wider than `width` cells. Long words are broken.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let safe = inert::text(text);
    let mut out = Vec::new();
    for raw_line in safe.split('\n') {
        wrap_line(raw_line, width, &mut out);
    }
    out
}

fn wrap_line(line: &str, width: usize, out: &mut Vec<String>) {
    if line.is_empty() {
        out.push(String::new());
        return;
    }
    let mut cur = String::new();
    let mut cur_w = 0usize;
    let mut last_space: Option<(usize, usize)> = None; // (byte index in cur, width before it)
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if c == ' ' && cur_w + w > width {
            // Break at this space: it ends the line and is not carried over.
            out.push(std::mem::take(&mut cur));
            cur_w = 0;
            last_space = None;
            continue;
        }
        if cur_w + w > width && !cur.is_empty() {
            match last_space.filter(|(i, _)| *i > 0) {
                Some((i, w_before)) => {
                    let rest = cur[i + 1..].to_owned();
                    cur.truncate(i);
                    out.push(std::mem::take(&mut cur));
                    cur_w -= w_before + 1;
                    cur = rest;
                }
                None => {
                    out.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
            }
            last_space = None;
        }
        if c == ' ' {
            last_space = Some((cur.len(), cur_w));
        }
        cur.push(c);
        cur_w += w;
    }
    out.push(cur);
}

/// Display width of `s` in cells.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `s` to at most `max` cells, ending with `…` when cut. `s` must already be inert.
pub fn clip(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_by_cells_at_spaces() {
        assert_eq!(wrap("hello world again", 11), vec!["hello world", "again"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        // Four CJK characters are eight cells.
        assert_eq!(wrap("天気予報", 4), vec!["天気", "予報"]);
        assert_eq!(wrap("a\n\nb", 10), vec!["a", "", "b"]);
        assert_eq!(wrap("\x1b[31mred", 20), vec!["␛[31mred"]);
    }

    #[test]
    fn clips_by_cells() {
        assert_eq!(clip("天気予報", 5), "天気…");
        assert_eq!(clip("short", 10), "short");
    }
}
