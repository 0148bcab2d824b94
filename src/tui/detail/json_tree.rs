//! JSON for people: pretty-printed, coloured, with huge strings and base64 blobs elided,
//! and as a collapsible tree for tui-tree-widget. Every string passes through `inert`.

use crate::inert;
use crate::tui::theme::Theme;
use crate::tui::wrap;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;
use tui_tree_widget::TreeItem;

/// Strings longer than this are cut in the pretty view (the pager shows them whole).
const MAX_STRING: usize = 4096;
/// Strings at least this long made only of base64 characters are shown as a size badge.
const BASE64_MIN: usize = 512;
/// Children shown per tree node, and nodes per tree, before "… N more".
const TREE_CHILDREN: usize = 500;
const TREE_NODES: usize = 20_000;

/// One styled piece of a logical line.
pub type Seg = (String, Style);

/// Pretty, coloured, wrapped lines for `v`.
pub fn pretty_lines(v: &Value, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut logical: Vec<Vec<Seg>> = Vec::new();
    emit(v, None, 0, true, theme, &mut logical);
    logical
        .into_iter()
        .flat_map(|segs| wrap_segments(segs, width))
        .collect()
}

fn emit(
    v: &Value,
    key: Option<&str>,
    depth: usize,
    last: bool,
    theme: &Theme,
    out: &mut Vec<Vec<Seg>>,
) {
    let indent = "  ".repeat(depth);
    let mut head: Vec<Seg> = vec![(indent.clone(), Style::new())];
    if let Some(k) = key {
        head.push((format!("{}: ", quoted(k)), theme.json_key()));
    }
    let comma = if last { "" } else { "," };
    match v {
        Value::Object(map) if !map.is_empty() => {
            head.push(("{".into(), Style::new()));
            out.push(head);
            let n = map.len();
            for (i, (k, child)) in map.iter().enumerate() {
                emit(child, Some(k), depth + 1, i + 1 == n, theme, out);
            }
            out.push(vec![(format!("{indent}}}{comma}"), Style::new())]);
        }
        Value::Array(items) if !items.is_empty() => {
            head.push(("[".into(), Style::new()));
            out.push(head);
            let n = items.len();
            for (i, child) in items.iter().enumerate() {
                emit(child, None, depth + 1, i + 1 == n, theme, out);
            }
            out.push(vec![(format!("{indent}]{comma}"), Style::new())]);
        }
        scalar => {
            head.push(scalar_seg(scalar, theme));
            head.push((comma.into(), Style::new()));
            out.push(head);
        }
    }
}

fn quoted(s: &str) -> String {
    inert::line(&serde_json::to_string(s).unwrap_or_default()).into_owned()
}

/// A scalar as a coloured segment; long strings and blobs are shortened.
pub fn scalar_seg(v: &Value, theme: &Theme) -> Seg {
    match v {
        Value::String(s) => (short_string(s), theme.json_string()),
        Value::Number(n) => (n.to_string(), theme.json_number()),
        Value::Bool(b) => (b.to_string(), theme.json_number()),
        Value::Null => ("null".into(), theme.muted()),
        Value::Object(_) => ("{}".into(), Style::new()),
        Value::Array(_) => ("[]".into(), Style::new()),
    }
}

/// A JSON string for display: quoted and escaped, blobs as a badge, long text cut.
pub fn short_string(s: &str) -> String {
    if looks_base64(s) {
        return format!("[base64, {}]", human_bytes(s.len()));
    }
    if s.len() > MAX_STRING {
        let mut cut = MAX_STRING;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        return format!(
            "{}… (+{}, o: pager)",
            quoted(&s[..cut]),
            human_bytes(s.len() - cut)
        );
    }
    quoted(s)
}

/// A string for display as plain text: inert, blobs as a badge, long text cut.
pub fn short_text(s: &str) -> String {
    if looks_base64(s) {
        return format!("[base64, {}]", human_bytes(s.len()));
    }
    let mut cut = s.len().min(MAX_STRING);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = inert::line(&s[..cut]).into_owned();
    if cut < s.len() {
        format!("{text}… (+{}, o: pager)", human_bytes(s.len() - cut))
    } else {
        text
    }
}

fn looks_base64(s: &str) -> bool {
    s.len() >= BASE64_MIN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

/// `1.2 MB`, `34 KB`, `512 B`.
pub fn human_bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.0} KB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// Breaks one logical line of segments into lines of at most `width` cells; continuation
/// lines are indented by two cells.
pub fn wrap_segments(segs: Vec<Seg>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(4);
    let mut lines = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut cur_w = 0;
    for (text, style) in segs {
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let room = width - cur_w;
            let (piece, tail) = split_at_width(rest, room);
            if piece.is_empty() {
                lines.push(Line::from(std::mem::take(&mut cur)));
                cur.push(Span::raw("  "));
                cur_w = 2;
                continue;
            }
            cur_w += wrap::width(piece);
            cur.push(Span::styled(piece.to_owned(), style));
            rest = tail;
        }
    }
    lines.push(Line::from(cur));
    lines
}

fn split_at_width(s: &str, room: usize) -> (&str, &str) {
    let mut w = 0;
    for (i, c) in s.char_indices() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > room {
            return s.split_at(i);
        }
        w += cw;
    }
    (s, "")
}

/// A collapsible tree of `v` for tui-tree-widget. Identifiers are keys or indices.
pub fn tree_items(v: &Value, theme: &Theme) -> Vec<TreeItem<'static, String>> {
    let mut budget = TREE_NODES;
    children_of(v, theme, &mut budget)
}

fn children_of(v: &Value, theme: &Theme, budget: &mut usize) -> Vec<TreeItem<'static, String>> {
    let entries: Vec<(String, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return Vec::new(),
    };
    let total = entries.len();
    let mut out = Vec::new();
    for (key, child) in entries.into_iter().take(TREE_CHILDREN) {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        out.push(tree_item(key, child, theme, budget));
    }
    if out.len() < total {
        let more = format!("… {} more", total - out.len());
        out.push(TreeItem::new_leaf(
            "…more".to_owned(),
            Line::styled(more, theme.muted()),
        ));
    }
    out
}

fn tree_item(
    key: String,
    v: &Value,
    theme: &Theme,
    budget: &mut usize,
) -> TreeItem<'static, String> {
    let label_key = (inert::line(&key).into_owned(), theme.json_key());
    match v {
        Value::Object(m) if !m.is_empty() => branch(
            key,
            label_key,
            format!(" {{{}}}", m.len()),
            v,
            theme,
            budget,
        ),
        Value::Array(a) if !a.is_empty() => {
            branch(key, label_key, format!(" [{}]", a.len()), v, theme, budget)
        }
        scalar => {
            let (text, style) = scalar_seg(scalar, theme);
            let text = wrap::clip(&text, 200);
            let line = Line::from(vec![
                Span::styled(label_key.0, label_key.1),
                Span::raw(": "),
                Span::styled(text, style),
            ]);
            TreeItem::new_leaf(key, line)
        }
    }
}

fn branch(
    key: String,
    label: Seg,
    size: String,
    v: &Value,
    theme: &Theme,
    budget: &mut usize,
) -> TreeItem<'static, String> {
    let line = Line::from(vec![
        Span::styled(label.0, label.1),
        Span::styled(size, theme.muted()),
    ]);
    let children = children_of(v, theme, budget);
    // Keys are unique within an object and indices within an array, so this cannot fail;
    // fall back to a leaf rather than panic if it ever did.
    match TreeItem::new(key.clone(), line.clone(), children) {
        Ok(item) => item,
        Err(_) => TreeItem::new_leaf(key, line),
    }
}

/// The value at a tree path (identifiers from `tree_items`).
pub fn value_at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, seg| match cur {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn pretty_print_and_elide() {
        let theme = Theme::default();
        let v = json!({"a": [1, "x"], "blob": "QUJD".repeat(200), "esc": "\u{1b}[2J"});
        let lines = text(&pretty_lines(&v, &theme, 80));
        assert_eq!(lines[0], "{");
        assert_eq!(lines[1], "  \"a\": [");
        assert!(
            lines.iter().any(|l| l.contains("[base64, 800 B]")),
            "{lines:?}"
        );
        assert!(lines.iter().all(|l| !l.contains('\u{1b}')), "{lines:?}");
    }

    #[test]
    fn tree_paths_resolve() {
        let theme = Theme::default();
        let v = json!({"messages": [{"role": "user"}]});
        let items = tree_items(&v, &theme);
        assert_eq!(items.len(), 1);
        let path = vec!["messages".to_owned(), "0".to_owned(), "role".to_owned()];
        assert_eq!(value_at(&v, &path), Some(&json!("user")));
    }
}
