//! The optional config file, `$XDG_CONFIG_HOME/spanlens/config.toml` (or
//! `~/.config/spanlens/config.toml`): key bindings and colours. Zero config must work; a
//! config with a mistake is an error that names the file and the entry.
//!
//! ```toml
//! [keys]              # everywhere
//! "ctrl-n" = "down"
//! [keys.tree]         # also: traces, detail, diff
//! "x" = "zoom"
//! [theme]
//! llm = "#5fd787"
//! error = "red"
//! ```

use super::action::Action;
use super::keymap::{Context, KeyMap, parse_keys};
use super::theme::{SLOTS, Theme, parse_color};
use serde::de::IntoDeserializer;
use std::path::{Path, PathBuf};

/// Where the config file is looked for.
pub fn default_path(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_CONFIG_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("spanlens/config.toml"))
}

/// A mistake in the config file: the file (when read from one) and the entry.
#[derive(Debug, thiserror::Error)]
#[error("{}{message}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
pub struct ConfigError {
    pub path: Option<PathBuf>,
    pub message: String,
}

/// Applies the config at `path` (if it exists) to the key map and theme.
pub fn apply_file(path: &Path, keys: &mut KeyMap, theme: &mut Theme) -> Result<(), ConfigError> {
    let at = |message: String| ConfigError {
        path: Some(path.to_owned()),
        message,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(at(e.to_string())),
    };
    apply_text(&text, keys, theme).map_err(at)
}

/// Applies config text to the key map and theme.
pub fn apply(text: &str, keys: &mut KeyMap, theme: &mut Theme) -> Result<(), ConfigError> {
    apply_text(text, keys, theme).map_err(|message| ConfigError {
        path: None,
        message,
    })
}

fn apply_text(text: &str, keys: &mut KeyMap, theme: &mut Theme) -> Result<(), String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    for (section, value) in &table {
        match (section.as_str(), value) {
            ("keys", toml::Value::Table(t)) => apply_keys(t, "keys", Context::Global, keys)?,
            ("theme", toml::Value::Table(t)) => apply_theme(t, theme)?,
            (other, _) => {
                return Err(format!(
                    "unknown section [{other}] (expected [keys] or [theme])"
                ));
            }
        }
    }
    Ok(())
}

/// The context names `[keys.NAME]` accepts, as the error lists them.
const CONTEXTS: &str = "global, traces, tree, detail, diff, runs, flame, steps";

/// Binds the entries of the table `[section]` (`keys`, or `keys.tree` and the like).
fn apply_keys(
    t: &toml::Table,
    section: &str,
    context: Context,
    keys: &mut KeyMap,
) -> Result<(), String> {
    for (k, v) in t {
        match v {
            toml::Value::Table(inner) if context == Context::Global => {
                let inner_section = format!("keys.{k}");
                let ctx = Context::from_name(k).ok_or_else(|| {
                    format!("[{inner_section}]: unknown context (expected one of {CONTEXTS})")
                })?;
                apply_keys(inner, &inner_section, ctx, keys)?;
            }
            toml::Value::String(name) => {
                let parsed =
                    parse_keys(k).ok_or_else(|| format!("[{section}] \"{k}\": not a key name"))?;
                let action = Action::deserialize_name(name)
                    .ok_or_else(|| format!("[{section}] \"{k}\" = \"{name}\": unknown action"))?;
                keys.bind(context, parsed, action);
            }
            _ => return Err(format!("[{section}] \"{k}\": expected an action name")),
        }
    }
    Ok(())
}

fn apply_theme(t: &toml::Table, theme: &mut Theme) -> Result<(), String> {
    for (slot, v) in t {
        let s = v
            .as_str()
            .ok_or_else(|| format!("[theme] {slot}: expected a colour string"))?;
        let color =
            parse_color(s).ok_or_else(|| format!("[theme] {slot} = \"{s}\": not a colour"))?;
        if !theme.set(slot, color) {
            return Err(format!(
                "[theme] {slot}: unknown colour name (known: {})",
                SLOTS.join(", ")
            ));
        }
    }
    Ok(())
}

impl Action {
    /// Parses an action by its config name (`page_down`, `next_error`).
    pub fn deserialize_name(name: &str) -> Option<Action> {
        let de: serde::de::value::StrDeserializer<serde::de::value::Error> =
            name.into_deserializer();
        serde::Deserialize::deserialize(de).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::{Key, Lookup};

    #[test]
    fn keys_and_colours_override_defaults() {
        let mut keys = KeyMap::default();
        let mut theme = Theme::default();
        apply(
            "[keys]\n\"ctrl-n\" = \"down\"\n[keys.tree]\nx = \"zoom\"\n[theme]\nllm = \"red\"\n",
            &mut keys,
            &mut theme,
        )
        .unwrap();
        assert_eq!(
            keys.lookup(Context::Tree, &[Key::ctrl('n')]),
            Lookup::Action(Action::Down)
        );
        assert_eq!(
            keys.lookup(Context::Tree, &[Key::plain('x')]),
            Lookup::Action(Action::Zoom)
        );
        assert_eq!(
            theme.kind(crate::model::SpanKind::Llm).fg,
            Some(ratatui::style::Color::Red)
        );
    }

    #[test]
    fn mistakes_name_the_entry() {
        let (mut k, mut t) = (KeyMap::default(), Theme::default());
        let e = apply("[keys]\nj = \"fly\"\n", &mut k, &mut t)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"fly\": unknown action"), "{e}");
        let e = apply("[theme]\nllm = \"plaid\"\n", &mut k, &mut t)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a colour"), "{e}");
        let e = apply("[keys\n", &mut k, &mut t).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn mistakes_in_a_context_table_name_that_table() {
        let (mut k, mut t) = (KeyMap::default(), Theme::default());
        let e = apply("[keys.tree]\nx = \"fly\"\n", &mut k, &mut t)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("[keys.tree] \"x\" = \"fly\": unknown action"),
            "{e}"
        );
        let e = apply("[keys.diff]\n\"nokey!\" = \"down\"\n", &mut k, &mut t)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("[keys.diff] \"nokey!\": not a key name"),
            "{e}"
        );
        let e = apply("[keys.detail]\nx = 3\n", &mut k, &mut t)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("[keys.detail] \"x\": expected"), "{e}");
        let e = apply("[keys.sidebar]\nx = \"down\"\n", &mut k, &mut t)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("[keys.sidebar]: unknown context (expected one of global, traces, tree, detail, diff, runs, flame, steps)"),
            "{e}"
        );
        apply("[keys.diff]\nx = \"next_diff\"\n", &mut k, &mut t).unwrap();
        assert_eq!(
            k.lookup(Context::Diff, &[Key::plain('x')]),
            Lookup::Action(Action::NextDiff)
        );
    }
}
