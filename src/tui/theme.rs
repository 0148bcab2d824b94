//! Semantic styles: the code asks for `theme.error()` or `theme.kind(SpanKind::Llm)`, never
//! for a colour. Defaults use the 16 ANSI colours, readable on any terminal; `NO_COLOR`
//! turns every colour off (structure stays visible through bold, dim and reverse), and
//! configured true colours are mapped down on 256- and 16-colour terminals.

use crate::model::SpanKind;
use ratatui::style::{Color, Modifier, Style};
use std::collections::HashMap;

/// How many colours the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    None,
    Ansi16,
    Ansi256,
    TrueColor,
}

impl ColorDepth {
    /// Reads `NO_COLOR`, `COLORTERM` and `TERM`.
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> ColorDepth {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::None;
        }
        let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm.contains("truecolor") || colorterm.contains("24bit") {
            return ColorDepth::TrueColor;
        }
        let term = env("TERM").unwrap_or_default();
        if term.contains("256") {
            ColorDepth::Ansi256
        } else if term == "dumb" {
            ColorDepth::None
        } else {
            ColorDepth::Ansi16
        }
    }
}

/// Names of the themable colours, as used in the config file's `[theme]` table.
pub const SLOTS: &[&str] = &[
    "accent",
    "muted",
    "error",
    "ok",
    "warn",
    "agent",
    "chain",
    "llm",
    "tool",
    "retriever",
    "embedding",
    "other",
    "user",
    "assistant",
    "system",
    "json_key",
    "json_string",
    "json_number",
    "added",
    "removed",
    "changed",
    "match",
];

/// The active colours.
#[derive(Clone, Debug)]
pub struct Theme {
    pub depth: ColorDepth,
    colors: HashMap<&'static str, Color>,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::new(ColorDepth::Ansi16)
    }
}

impl Theme {
    pub fn new(depth: ColorDepth) -> Theme {
        use Color::*;
        let defaults = [
            ("accent", Cyan),
            ("muted", DarkGray),
            ("error", LightRed),
            ("ok", Green),
            ("warn", Yellow),
            ("agent", Magenta),
            ("chain", Blue),
            ("llm", Green),
            ("tool", Yellow),
            ("retriever", Cyan),
            ("embedding", LightBlue),
            ("other", Gray),
            ("user", Cyan),
            ("assistant", Green),
            ("system", Magenta),
            ("json_key", Blue),
            ("json_string", Green),
            ("json_number", Cyan),
            ("added", Green),
            ("removed", Red),
            ("changed", Yellow),
            ("match", LightYellow),
        ];
        Theme {
            depth,
            colors: defaults.into_iter().collect(),
        }
    }

    /// Sets one colour slot from the config file. Returns false for an unknown slot.
    pub fn set(&mut self, slot: &str, color: Color) -> bool {
        match SLOTS.iter().find(|s| **s == slot) {
            Some(name) => {
                self.colors.insert(name, color);
                true
            }
            None => false,
        }
    }

    fn fg(&self, slot: &str) -> Style {
        match self.colors.get(slot) {
            Some(c) if self.depth != ColorDepth::None => Style::new().fg(fit(*c, self.depth)),
            _ => Style::new(),
        }
    }

    pub fn accent(&self) -> Style {
        self.fg("accent")
    }

    pub fn muted(&self) -> Style {
        if self.depth == ColorDepth::None {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            self.fg("muted")
        }
    }

    pub fn error(&self) -> Style {
        self.fg("error").add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg("ok")
    }

    pub fn warn(&self) -> Style {
        self.fg("warn")
    }

    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn selection(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Colour of a span kind (tags and timing bars).
    pub fn kind(&self, kind: SpanKind) -> Style {
        self.fg(kind_slot(kind))
    }

    /// Colour of a chat role header.
    pub fn role(&self, role: &str) -> Style {
        let slot = match role {
            "user" => "user",
            "assistant" => "assistant",
            "system" => "system",
            "tool" => "tool",
            _ => "other",
        };
        self.fg(slot).add_modifier(Modifier::BOLD)
    }

    pub fn slot(&self, slot: &str) -> Style {
        self.fg(slot)
    }

    /// Highlight for matched characters in search results.
    pub fn matched(&self) -> Style {
        self.fg("match")
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
}

fn kind_slot(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Agent => "agent",
        SpanKind::Chain => "chain",
        SpanKind::Llm => "llm",
        SpanKind::Tool => "tool",
        SpanKind::Retriever | SpanKind::Reranker => "retriever",
        SpanKind::Embedding => "embedding",
        _ => "other",
    }
}

/// Parses a colour: a name (`red`, `light-blue`), `#rrggbb`, or a 256-colour index.
pub fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#').filter(|h| h.len() == 6) {
        let v = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    if let Ok(i) = s.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    s.replace(['-', '_', ' '], "").parse::<Color>().ok()
}

/// Maps a colour down to what the terminal can show.
fn fit(c: Color, depth: ColorDepth) -> Color {
    match (c, depth) {
        (Color::Rgb(r, g, b), ColorDepth::Ansi256) => Color::Indexed(rgb_to_256(r, g, b)),
        (Color::Rgb(r, g, b), ColorDepth::Ansi16) => rgb_to_16(r, g, b),
        (Color::Indexed(i), ColorDepth::Ansi16) if i >= 16 => {
            let (r, g, b) = index_to_rgb(i);
            rgb_to_16(r, g, b)
        }
        (c, _) => c,
    }
}

fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    let q = |v: u8| {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    16 + 36 * q(r) + 6 * q(g) + q(b)
}

fn index_to_rgb(i: u8) -> (u8, u8, u8) {
    if i >= 232 {
        let v = 8 + (i - 232) * 10;
        return (v, v, v);
    }
    let i = i.saturating_sub(16);
    let level = |n: u8| if n == 0 { 0 } else { 55 + n * 40 };
    (level(i / 36), level(i / 6 % 6), level(i % 6))
}

fn rgb_to_16(r: u8, g: u8, b: u8) -> Color {
    let bright = u16::from(r) + u16::from(g) + u16::from(b) > 382;
    let on = |v: u8| v > 100;
    match (on(r), on(g), on(b), bright) {
        (false, false, false, _) => Color::Black,
        (true, false, false, false) => Color::Red,
        (true, false, false, true) => Color::LightRed,
        (false, true, false, false) => Color::Green,
        (false, true, false, true) => Color::LightGreen,
        (true, true, false, false) => Color::Yellow,
        (true, true, false, true) => Color::LightYellow,
        (false, false, true, false) => Color::Blue,
        (false, false, true, true) => Color::LightBlue,
        (true, false, true, _) => Color::Magenta,
        (false, true, true, _) => Color::Cyan,
        (true, true, true, false) => Color::Gray,
        (true, true, true, true) => Color::White,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_means_no_colour_at_all() {
        let env = |k: &str| (k == "NO_COLOR").then(|| "1".to_owned());
        let t = Theme::new(ColorDepth::detect(env));
        assert_eq!(t.kind(SpanKind::Llm).fg, None);
        assert_eq!(t.error().fg, None);
        assert!(t.error().add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn true_colours_are_mapped_down() {
        assert_eq!(parse_color("#ff0000"), Some(Color::Rgb(255, 0, 0)));
        assert_eq!(
            fit(Color::Rgb(255, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(196)
        );
        assert_eq!(fit(Color::Rgb(255, 0, 0), ColorDepth::Ansi16), Color::Red);
        assert_eq!(parse_color("light-blue"), Some(Color::LightBlue));
    }
}
