//! Semantic styles: the code asks for `theme.error()` or `theme.kind(SpanKind::Llm)`, never
//! for a colour. Defaults use the 16 ANSI colours, readable on any terminal; `NO_COLOR`
//! turns every colour off (structure stays visible through bold, dim and reverse), and
//! configured true colours are mapped down on 256- and 16-colour terminals.

use crate::model::SpanKind;
use ratatui::style::{Color, Modifier, Style};

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

/// Declares the colour slots once: the palette's fields, their config names and defaults,
/// so a slot added here is settable from the config file and a typo in code does not compile.
macro_rules! palette {
    ($($field:ident = $name:literal, $default:ident;)*) => {
        /// One colour per themable slot.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct Palette {
            $(pub $field: Color,)*
        }

        impl Default for Palette {
            fn default() -> Self {
                Palette { $($field: Color::$default,)* }
            }
        }

        /// Names of the themable colours, as used in the config file's `[theme]` table.
        pub const SLOTS: &[&str] = &[$($name,)*];

        impl Palette {
            /// The slot called `name` in the config file.
            fn slot_mut(&mut self, name: &str) -> Option<&mut Color> {
                match name {
                    $($name => Some(&mut self.$field),)*
                    _ => None,
                }
            }
        }
    };
}

palette! {
    accent = "accent", Cyan;
    muted = "muted", DarkGray;
    error = "error", LightRed;
    ok = "ok", Green;
    warn = "warn", Yellow;
    agent = "agent", Magenta;
    chain = "chain", Blue;
    llm = "llm", Green;
    tool = "tool", Yellow;
    retriever = "retriever", Cyan;
    embedding = "embedding", LightBlue;
    other = "other", Gray;
    user = "user", Cyan;
    assistant = "assistant", Green;
    system = "system", Magenta;
    json_key = "json_key", Blue;
    json_string = "json_string", Green;
    json_number = "json_number", Cyan;
    added = "added", Green;
    removed = "removed", Red;
    changed = "changed", Yellow;
    matched = "match", LightYellow;
}

/// The styles every view draws with, built once from the palette and the terminal's colour
/// depth. It is `Copy`: views take it by value instead of cloning a map each frame.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub depth: ColorDepth,
    palette: Palette,
    styles: Styles,
}

/// Named styles, computed when the theme is built or a colour is set.
#[derive(Clone, Copy, Debug, Default)]
struct Styles {
    accent: Style,
    muted: Style,
    error: Style,
    ok: Style,
    warn: Style,
    matched: Style,
    json_key: Style,
    json_string: Style,
    json_number: Style,
    added: Style,
    removed: Style,
    changed: Style,
    kinds: [Style; 7],
    roles: [Style; 5],
}

impl Default for Theme {
    fn default() -> Self {
        Theme::new(ColorDepth::Ansi16)
    }
}

/// Where each span kind's colour sits in `Styles::kinds`.
const KIND_SLOTS: usize = 7;

impl Theme {
    pub fn new(depth: ColorDepth) -> Theme {
        let mut t = Theme {
            depth,
            palette: Palette::default(),
            styles: Styles::default(),
        };
        t.build();
        t
    }

    /// Sets one colour slot from the config file. Returns false for an unknown slot.
    pub fn set(&mut self, slot: &str, color: Color) -> bool {
        let Some(c) = self.palette.slot_mut(slot) else {
            return false;
        };
        *c = color;
        self.build();
        true
    }

    fn build(&mut self) {
        let p = self.palette;
        let fg = |c: Color| match self.depth {
            ColorDepth::None => Style::new(),
            d => Style::new().fg(fit(c, d)),
        };
        let bold = Modifier::BOLD;
        let kinds: [Color; KIND_SLOTS] = [
            p.agent,
            p.chain,
            p.llm,
            p.tool,
            p.retriever,
            p.embedding,
            p.other,
        ];
        let roles = [p.user, p.assistant, p.system, p.tool, p.other];
        self.styles = Styles {
            accent: fg(p.accent),
            muted: match self.depth {
                ColorDepth::None => Style::new().add_modifier(Modifier::DIM),
                _ => fg(p.muted),
            },
            error: fg(p.error).add_modifier(bold),
            ok: fg(p.ok),
            warn: fg(p.warn),
            matched: fg(p.matched).add_modifier(bold | Modifier::UNDERLINED),
            json_key: fg(p.json_key),
            json_string: fg(p.json_string),
            json_number: fg(p.json_number),
            added: fg(p.added),
            removed: fg(p.removed),
            changed: fg(p.changed),
            kinds: kinds.map(fg),
            roles: roles.map(|c| fg(c).add_modifier(bold)),
        };
    }

    pub fn accent(&self) -> Style {
        self.styles.accent
    }

    pub fn muted(&self) -> Style {
        self.styles.muted
    }

    pub fn error(&self) -> Style {
        self.styles.error
    }

    pub fn ok(&self) -> Style {
        self.styles.ok
    }

    pub fn warn(&self) -> Style {
        self.styles.warn
    }

    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn selection(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Colour of a span kind (tags and timing bars).
    pub fn kind(&self, kind: SpanKind) -> Style {
        self.styles.kinds[kind_slot(kind)]
    }

    /// Colour of a chat role header.
    pub fn role(&self, role: &str) -> Style {
        let i = match role {
            "user" => 0,
            "assistant" => 1,
            "system" => 2,
            "tool" => 3,
            _ => 4,
        };
        self.styles.roles[i]
    }

    pub fn json_key(&self) -> Style {
        self.styles.json_key
    }

    pub fn json_string(&self) -> Style {
        self.styles.json_string
    }

    /// Numbers and booleans in JSON.
    pub fn json_number(&self) -> Style {
        self.styles.json_number
    }

    pub fn added(&self) -> Style {
        self.styles.added
    }

    pub fn removed(&self) -> Style {
        self.styles.removed
    }

    pub fn changed(&self) -> Style {
        self.styles.changed
    }

    /// Highlight for matched characters in search results.
    pub fn matched(&self) -> Style {
        self.styles.matched
    }
}

/// Index of a kind's style in `Styles::kinds` (the order of `build`'s `kinds`).
fn kind_slot(kind: SpanKind) -> usize {
    match kind {
        SpanKind::Agent => 0,
        SpanKind::Chain => 1,
        SpanKind::Llm => 2,
        SpanKind::Tool => 3,
        SpanKind::Retriever | SpanKind::Reranker => 4,
        SpanKind::Embedding => 5,
        _ => 6,
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
