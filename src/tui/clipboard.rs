//! Copying with OSC 52: the terminal itself sets the clipboard, which works over SSH and,
//! with tmux's `set-clipboard on` (or `allow-passthrough on`), through tmux.

use base64::Engine;
use std::io::{self, Write};

/// Larger copies are refused: many terminals drop OSC 52 payloads far smaller than this.
pub const MAX_COPY: usize = 1 << 20;

/// The escape sequences that copy `text`: plain OSC 52, plus a tmux passthrough when
/// running inside tmux.
pub fn osc52(text: &str, in_tmux: bool) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = format!("\x1b]52;c;{b64}\x07");
    if in_tmux {
        out.push_str(&format!("\x1bPtmux;\x1b\x1b]52;c;{b64}\x07\x1b\\"));
    }
    out
}

/// Writes the copy sequence to the terminal.
pub fn copy(text: &str) -> io::Result<()> {
    if text.len() > MAX_COPY {
        return Err(io::Error::other(format!(
            "{} KB is too large for the terminal clipboard; use o to open it in the pager",
            text.len() >> 10
        )));
    }
    let in_tmux = std::env::var_os("TMUX").is_some();
    let mut out = io::stdout();
    out.write_all(osc52(text, in_tmux).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_and_wraps_for_tmux() {
        assert_eq!(osc52("hi", false), "\x1b]52;c;aGk=\x07");
        assert!(osc52("hi", true).contains("\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"));
    }
}
