//! The key map: one table of (context, keys, action, description) drives dispatch and the
//! help screen, so the two can never disagree. Users override bindings in the config file.

use super::action::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

/// Where a binding applies. `Global` bindings apply everywhere a more specific one does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Traces,
    Tree,
    Detail,
    Diff,
    Runs,
    Flame,
    Steps,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "everywhere",
            Context::Traces => "trace list",
            Context::Tree => "span tree",
            Context::Detail => "detail pane",
            Context::Diff => "diff view",
            Context::Runs => "run view",
            Context::Flame => "flame chart",
            Context::Steps => "step table",
        }
    }

    pub fn from_name(s: &str) -> Option<Context> {
        Some(match s {
            "global" | "everywhere" => Context::Global,
            "traces" | "trace_list" => Context::Traces,
            "tree" | "span_tree" => Context::Tree,
            "detail" => Context::Detail,
            "diff" => Context::Diff,
            "runs" | "run_view" => Context::Runs,
            "flame" | "flame_chart" => Context::Flame,
            "steps" | "step_table" => Context::Steps,
            _ => return None,
        })
    }
}

/// One key press, normalised (the case of a character carries Shift).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    pub const fn code(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    /// Normalises a terminal key event.
    pub fn from_event(ev: KeyEvent) -> Key {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                })
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    /// Parses one key name: `j`, `J`, `ctrl-d`, `alt-x`, `enter`, `pagedown`, `f1`, `space`.
    pub fn parse(s: &str) -> Option<Key> {
        let lower = s.to_ascii_lowercase();
        for (prefix, m) in [
            ("ctrl-", KeyModifiers::CONTROL),
            ("ctrl+", KeyModifiers::CONTROL),
            ("alt-", KeyModifiers::ALT),
            ("alt+", KeyModifiers::ALT),
        ] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let mut k = Key::parse(&s[prefix.len()..]).or_else(|| Key::parse(rest))?;
                k.mods |= m;
                if let KeyCode::Char(c) = k.code {
                    k.code = KeyCode::Char(c.to_ascii_lowercase());
                }
                return Some(k);
            }
        }
        let named = match lower.as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().ok()?)
            }
            _ => {
                let mut chars = s.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(c)
            }
        };
        Some(Key::code(named))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            write!(f, "Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            write!(f, "Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => write!(f, "Enter"),
            KeyCode::Esc => write!(f, "Esc"),
            KeyCode::Tab => write!(f, "Tab"),
            KeyCode::BackTab => write!(f, "Shift-Tab"),
            KeyCode::Backspace => write!(f, "Backspace"),
            KeyCode::Up => write!(f, "↑"),
            KeyCode::Down => write!(f, "↓"),
            KeyCode::Left => write!(f, "←"),
            KeyCode::Right => write!(f, "→"),
            KeyCode::PageUp => write!(f, "PgUp"),
            KeyCode::PageDown => write!(f, "PgDn"),
            KeyCode::Home => write!(f, "Home"),
            KeyCode::End => write!(f, "End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A key sequence: one key, or two for prefixed bindings like `]e`.
pub type Keys = Vec<Key>;

/// Parses a binding: space-separated key names, or a run of plain characters (`]e`, `yy`).
pub fn parse_keys(s: &str) -> Option<Keys> {
    let tokens: Vec<&str> = s.split_whitespace().collect();
    if tokens.len() == 1 && Key::parse(tokens[0]).is_none() {
        let t = tokens[0];
        if t.chars().count() <= 3 && !t.contains('-') {
            return Some(t.chars().map(Key::plain).collect());
        }
    }
    tokens
        .iter()
        .map(|t| Key::parse(t))
        .collect::<Option<Vec<_>>>()
        .filter(|k| !k.is_empty())
}

/// One entry of the key map.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub context: Context,
    pub keys: Keys,
    pub action: Action,
    pub desc: String,
}

/// What a key press means given what was typed before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Action(Action),
    /// The keys so far start a longer binding: wait for the next key.
    Pending,
    Unbound,
}

/// The active key map.
#[derive(Clone, Debug)]
pub struct KeyMap {
    pub bindings: Vec<Binding>,
}

impl KeyMap {
    /// Resolves `keys` in `context`, falling back to global bindings.
    pub fn lookup(&self, context: Context, keys: &[Key]) -> Lookup {
        for ctx in [context, Context::Global] {
            let mut pending = false;
            for b in self.bindings.iter().filter(|b| b.context == ctx) {
                if b.keys == keys {
                    return Lookup::Action(b.action);
                }
                if b.keys.len() > keys.len() && b.keys.starts_with(keys) {
                    pending = true;
                }
            }
            if pending {
                return Lookup::Pending;
            }
        }
        Lookup::Unbound
    }

    /// Binds `keys` to `action` in `context`, replacing what those keys did there.
    pub fn bind(&mut self, context: Context, keys: Keys, action: Action) {
        let desc = self
            .bindings
            .iter()
            .find(|b| b.action == action)
            .map(|b| b.desc.clone())
            .unwrap_or_else(|| format!("{action:?}"));
        self.bindings
            .retain(|b| !(b.context == context && b.keys == keys));
        self.bindings.push(Binding {
            context,
            keys,
            action,
            desc,
        });
    }

    /// The keys bound to `action` (for hints in the status bar).
    pub fn keys_for(&self, action: Action) -> Option<&Keys> {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .map(|b| &b.keys)
    }
}

/// Renders a key sequence for the help screen (`]e`, `Ctrl-d`).
pub fn show_keys(keys: &[Key]) -> String {
    keys.iter().map(Key::to_string).collect::<Vec<_>>().join("")
}

impl Default for KeyMap {
    fn default() -> Self {
        use Action::*;
        use Context::*;
        use KeyCode as K;
        let (p, c, k) = (Key::plain, Key::ctrl, Key::code);
        // One row per binding; the help screen lists them in this order.
        #[rustfmt::skip]
        let table: Vec<(Context, Vec<Key>, Action, &str)> = vec![
            (Global, vec![p('q')], Quit, "quit"),
            (Global, vec![c('c')], Quit, "quit"),
            (Global, vec![p('?')], Help, "show / hide this help"),
            (Global, vec![k(K::F(1))], Help, "show / hide this help"),
            (Global, vec![k(K::Esc)], Back, "back / close"),
            (Global, vec![k(K::Backspace)], Back, "back / close"),
            (Global, vec![p('j')], Down, "down"),
            (Global, vec![k(K::Down)], Down, "down"),
            (Global, vec![p('k')], Up, "up"),
            (Global, vec![k(K::Up)], Up, "up"),
            (Global, vec![c('d')], HalfPageDown, "half page down"),
            (Global, vec![c('u')], HalfPageUp, "half page up"),
            (Global, vec![k(K::PageDown)], PageDown, "page down"),
            (Global, vec![c('f')], PageDown, "page down"),
            (Global, vec![k(K::PageUp)], PageUp, "page up"),
            (Global, vec![c('b')], PageUp, "page up"),
            (Global, vec![p('g')], Top, "first row"),
            (Global, vec![k(K::Home)], Top, "first row"),
            (Global, vec![p('G')], Bottom, "last row"),
            (Global, vec![k(K::End)], Bottom, "last row"),
            (Global, vec![k(K::Enter)], Open, "open trace / read span detail"),
            (Global, vec![k(K::Tab)], FocusNext, "switch tree / detail pane"),
            (Global, vec![k(K::BackTab)], FocusNext, "switch tree / detail pane"),
            (Global, vec![p('/')], Search, "search (Tab: this trace / all traces)"),
            (Global, vec![p('n')], NextHit, "next search hit"),
            (Global, vec![p('N')], PrevHit, "previous search hit"),
            (Global, vec![p('F')], ToggleFilter, "filter the tree by the search / clear"),
            (Global, vec![p('w')], Warnings, "show load warnings"),
            (Global, vec![p('y'), p('s')], CopySpanId, "copy span id"),
            (Global, vec![p('y'), p('t')], CopyTraceId, "copy trace id"),
            (Global, vec![p('y'), p('i')], CopyInput, "copy span input"),
            (Global, vec![p('y'), p('o')], CopyOutput, "copy span output"),
            (Global, vec![p('y'), p('j')], CopySpanJson, "copy whole span as JSON"),
            (Global, vec![p('y'), p('y')], CopyValue, "copy selected value"),
            (Global, vec![p('o')], OpenPager, "open span text in $PAGER"),
            (Global, vec![p('+')], ThumbsUp, "feedback: thumbs up on span (root: trace)"),
            (Global, vec![p('-')], ThumbsDown, "feedback: thumbs down on span (root: trace)"),
            (Global, vec![p('a'), p('1')], Score1, "feedback: score 1 of 5"),
            (Global, vec![p('a'), p('2')], Score2, "feedback: score 2 of 5"),
            (Global, vec![p('a'), p('3')], Score3, "feedback: score 3 of 5"),
            (Global, vec![p('a'), p('4')], Score4, "feedback: score 4 of 5"),
            (Global, vec![p('a'), p('5')], Score5, "feedback: score 5 of 5"),
            (Global, vec![p('a'), p('n')], FeedbackNote, "feedback: write a note"),
            (Global, vec![p('a'), p('e')], ExpectedOutput, "feedback: expected output in $EDITOR"),
            (Global, vec![p('a'), p('x')], RemoveFeedback, "feedback: remove yours here"),
            (Global, vec![p('a'), p('s')], SaveFeedback, "feedback: retry saving unsaved"),
            (Traces, vec![p('s')], CycleSort, "sort by next column"),
            (Traces, vec![p('S')], ReverseSort, "reverse sort order"),
            (Traces, vec![p('m')], Mark, "mark trace (two marks: d diffs them)"),
            (Traces, vec![p(' ')], Mark, "mark trace (two marks: d diffs them)"),
            (Traces, vec![p('d')], Action::Diff, "diff the two marked traces"),
            (Tree, vec![p('h')], Left, "collapse / go to parent"),
            (Tree, vec![k(K::Left)], Left, "collapse / go to parent"),
            (Tree, vec![p('l')], Right, "expand / go to first child"),
            (Tree, vec![k(K::Right)], Right, "expand / go to first child"),
            (Tree, vec![p(' ')], Toggle, "collapse / expand"),
            (Tree, vec![p('c')], CollapseAll, "collapse all"),
            (Tree, vec![p('e')], ExpandAll, "expand all"),
            (Tree, vec![p('E')], ExpandSubtree, "expand subtree"),
            (Tree, vec![p('C')], CollapseSubtree, "collapse subtree"),
            (Tree, vec![p('1')], ExpandDepth1, "expand to depth 1"),
            (Tree, vec![p('2')], ExpandDepth2, "expand to depth 2"),
            (Tree, vec![p('3')], ExpandDepth3, "expand to depth 3"),
            (Tree, vec![p('4')], ExpandDepth4, "expand to depth 4"),
            (Tree, vec![p('5')], ExpandDepth5, "expand to depth 5"),
            (Tree, vec![p(']'), p('e')], NextError, "next error span"),
            (Tree, vec![p('['), p('e')], PrevError, "previous error span"),
            (Tree, vec![p('z')], Zoom, "zoom timeline to subtree / back"),
            (Detail, vec![p(']'), p('e')], NextError, "next error span"),
            (Detail, vec![p('['), p('e')], PrevError, "previous error span"),
            (Detail, vec![p('t')], ToggleJsonTree, "text / JSON tree view"),
            (Detail, vec![p('}')], NextSection, "next section"),
            (Detail, vec![p('{')], PrevSection, "previous section"),
            (Detail, vec![p(' ')], Toggle, "fold / unfold JSON node"),
            (Detail, vec![p('h')], Left, "fold JSON node / go to parent"),
            (Detail, vec![k(K::Left)], Left, "fold JSON node / go to parent"),
            (Detail, vec![p('l')], Right, "unfold JSON node"),
            (Detail, vec![k(K::Right)], Right, "unfold JSON node"),
            (Context::Diff, vec![p(']'), p('d')], NextDiff, "next difference"),
            (Context::Diff, vec![p('['), p('d')], PrevDiff, "previous difference"),
            (Context::Diff, vec![p('u')], HideUnchanged, "hide / show unchanged subtrees"),
            (Traces, vec![p('t')], StepTable, "step table across all traces"),
            (Traces, vec![p('c')], GroupBySession, "group traces by session / flat"),
            (Traces, vec![p('f')], FilterTraces, "filter traces (status:error dur>5s …)"),
            (Tree, vec![p('f')], FlameChart, "flame chart of the trace"),
            (Context::Flame, vec![p('h')], Left, "previous span at this depth"),
            (Context::Flame, vec![k(K::Left)], Left, "previous span at this depth"),
            (Context::Flame, vec![p('l')], Right, "next span at this depth"),
            (Context::Flame, vec![k(K::Right)], Right, "next span at this depth"),
            (Context::Flame, vec![p('j')], Down, "first child (one row down)"),
            (Context::Flame, vec![p('k')], Up, "parent (one row up)"),
            (Context::Flame, vec![p('z')], Zoom, "zoom to the selected span / back"),
            (Context::Flame, vec![p('f')], Back, "back to the span tree"),
            (Context::Flame, vec![k(K::Enter)], Open, "show this span in the tree"),
            (Context::Steps, vec![p('s')], CycleSort, "sort by next column"),
            (Context::Steps, vec![p('S')], ReverseSort, "reverse sort order"),
            (Context::Steps, vec![p('p')], GroupByPath, "group by step / by path from the root"),
            (Context::Steps, vec![k(K::Tab)], NextLens, "steps / tools / prompts"),
            (Context::Steps, vec![p('f')], FlameChart, "icicle: time summed by step path"),
            (Context::Steps, vec![k(K::Enter)], Open, "list the step's spans / open one"),
            (Context::Steps, vec![p('h')], Left, "icicle: previous block"),
            (Context::Steps, vec![k(K::Left)], Left, "icicle: previous block"),
            (Context::Steps, vec![p('l')], Right, "icicle: next block"),
            (Context::Steps, vec![k(K::Right)], Right, "icicle: next block"),
        ];
        let bindings = table
            .into_iter()
            .map(|(context, keys, action, desc)| Binding {
                context,
                keys,
                action,
                desc: desc.to_owned(),
            })
            .collect();
        KeyMap { bindings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_and_fallback_to_global() {
        let km = KeyMap::default();
        assert_eq!(
            km.lookup(Context::Tree, &[Key::plain(']')]),
            Lookup::Pending
        );
        assert_eq!(
            km.lookup(Context::Tree, &[Key::plain(']'), Key::plain('e')]),
            Lookup::Action(Action::NextError)
        );
        assert_eq!(
            km.lookup(Context::Tree, &[Key::plain('j')]),
            Lookup::Action(Action::Down)
        );
        assert_eq!(
            km.lookup(Context::Traces, &[Key::plain('h')]),
            Lookup::Unbound
        );
    }

    #[test]
    fn parsing_key_names() {
        assert_eq!(parse_keys("ctrl-d"), Some(vec![Key::ctrl('d')]));
        assert_eq!(
            parse_keys("]e"),
            Some(vec![Key::plain(']'), Key::plain('e')])
        );
        assert_eq!(parse_keys("G"), Some(vec![Key::plain('G')]));
        assert_eq!(
            parse_keys("pagedown"),
            Some(vec![Key::code(KeyCode::PageDown)])
        );
        assert_eq!(
            parse_keys("g g"),
            Some(vec![Key::plain('g'), Key::plain('g')])
        );
        assert_eq!(parse_keys("ctrl-nonsense"), None);
    }
}
