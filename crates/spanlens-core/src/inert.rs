//! Making untrusted trace text safe to print: control characters, escape sequences and
//! bidi overrides are shown as visible symbols, never sent to the terminal as they are.
//!
//! A span name like `"\x1b]52;c;…\x07"` would otherwise write the user's clipboard, and
//! `"\u{202e}"` would reverse the rest of the line.

use std::borrow::Cow;

/// Returns true when `c` must not reach the terminal as it is.
fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// The visible stand-in for a hostile character.
fn stand_in(c: char, out: &mut String) {
    match c {
        '\x1b' => out.push('␛'),
        '\n' => out.push('⏎'),
        '\t' => out.push('→'),
        '\r' => out.push('␍'),
        '\x7f' => out.push('␡'),
        c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// One line of text with every hostile character made visible (newlines and tabs too).
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hostile(c) {
            stand_in(c, &mut out)
        } else {
            out.push(c)
        }
    }
    Cow::Owned(out)
}

/// Multi-line text: newlines kept, tabs expanded to spaces, everything else made visible.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hostile(c) && c != '\n') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            c if is_hostile(c) => stand_in(c, &mut out),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(line("ok"), "ok");
        assert_eq!(line("\x1b[31mred"), "␛[31mred");
        assert_eq!(line("a\nb\tc"), "a⏎b→c");
        assert_eq!(line("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(line("\x07bell\u{9b}"), "␇bell\\u{9b}");
        assert_eq!(text("a\n\tb\x1b"), "a\n    b␛");
        assert!(!line("\x1b]52;c;SGVsbG8=\x07").contains('\x1b'));
    }
}
