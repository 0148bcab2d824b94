//! Lays out one span's detail as lines: header, error and exception, chat messages with
//! paired tool calls, input, output, feedback, events, attributes and resource. Every
//! string from the trace goes through `inert` (via `wrap` and `json_view`).

use super::builder::{Builder, MAX_ATTR_LINES};
use crate::inert;
use crate::model::detail::SpanDetail;
use crate::model::messages::{Message, ToolCall, pretty};
use crate::model::time::{format_duration, format_iso_ms};
use crate::model::{SpanIx, TraceSet};
use crate::tui::detail::Doc;
use crate::tui::theme::Theme;
use crate::tui::wrap;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use serde_json::Value;

/// Lays out `d` (the decoded span `ix`) for a pane `width` cells wide.
pub fn build(set: &TraceSet, ix: SpanIx, d: &SpanDetail, theme: &Theme, width: usize) -> Doc {
    layout(set, ix, d, theme, Some(width))
}

/// The same document for the pager: lines as long as they are, every value whole.
pub fn build_full(set: &TraceSet, ix: SpanIx, d: &SpanDetail, theme: &Theme) -> Doc {
    layout(set, ix, d, theme, None)
}

fn layout(set: &TraceSet, ix: SpanIx, d: &SpanDetail, theme: &Theme, width: Option<usize>) -> Doc {
    let mut b = Builder {
        doc: Doc::default(),
        // Wide enough that nothing wraps, small enough that sums of widths cannot overflow.
        width: width.map_or(usize::MAX / 4, |w| w.max(20)),
        theme,
        full: width.is_none(),
    };
    header(&mut b, set, ix);
    errors(&mut b, set, ix, d);
    if !d.messages.is_empty() {
        b.section(&format!("Messages ({})", d.messages.len()));
        for m in &d.messages {
            message(&mut b, m);
        }
    }
    if let Some(call) = &d.tool_call {
        b.section("Tool call");
        tool_call(&mut b, call, 0);
    }
    payload(&mut b, "Input", d.input.as_ref());
    payload(&mut b, "Output", d.output.as_ref());
    feedback(&mut b, set, ix);
    events(&mut b, d);
    pairs(&mut b, "Attributes", &d.attributes);
    pairs(&mut b, "Resource", &d.resource);
    if let Some(links) = &d.links {
        b.section("Links");
        let v = b.value("links", pretty(links));
        b.json(links, 0, Some(v));
    }
    b.doc
}

fn header(b: &mut Builder, set: &TraceSet, ix: SpanIx) {
    let s = set.span(ix);
    let name = inert::line(set.str(s.name)).into_owned();
    let name_value = b.value("span name", set.str(s.name).to_owned());
    let title = vec![
        Span::styled(
            format!(" {} ", s.kind.as_str()),
            b.theme.kind(s.kind).add_modifier(Modifier::REVERSED),
        ),
        Span::raw(" "),
        Span::styled(name, b.theme.header()),
    ];
    b.doc.sections.push(("Span".into(), 0));
    for line in crate::tui::detail::json_tree::wrap_segments(
        title
            .into_iter()
            .map(|s| (s.content.into_owned(), s.style))
            .collect(),
        b.width,
    ) {
        b.push(line, Some(name_value));
    }
    let mut first = Vec::new();
    if s.status != crate::model::Status::Unset {
        let style = if s.is_error() {
            b.theme.error()
        } else {
            b.theme.ok()
        };
        first.push(("status", s.status.as_str().to_owned(), style));
    }
    // INTERNAL is the default kind and says nothing; the others say who called whom.
    if s.otel_kind > 1 {
        let name = crate::load::otlp::otel_kind_name(s.otel_kind).to_owned();
        first.push(("otel kind", name, Style::new()));
    }
    if !s.scope.is_empty() {
        first.push(("scope", set.str(s.scope).to_owned(), Style::new()));
    }
    if !first.is_empty() {
        b.fields(&first, None);
    }
    let span_id = b.value("span id", set.span_id(ix).to_owned());
    let parent = match s.parent() {
        Some(p) => set.span_id(p).to_owned(),
        None if s.parent_id.is_none() => "(root)".into(),
        None if set.partial => format!("{} (not read yet)", set.id_str(s.parent_id)),
        None => format!("{} (not in file)", set.id_str(s.parent_id)),
    };
    b.fields(
        &[
            ("span", set.span_id(ix).to_owned(), b.theme.accent()),
            ("parent", parent, Style::new()),
        ],
        Some(span_id),
    );
    let t = set.trace(set.trace_of(ix));
    let trace_id = b.value("trace id", set.str(t.id).to_owned());
    let mut trace = vec![("trace", set.str(t.id).to_owned(), b.theme.accent())];
    if !t.original_id.is_empty() {
        trace.push(("as", set.str(t.original_id).to_owned(), Style::new()));
    }
    b.fields(&trace, Some(trace_id));
    timing(b, set, ix);
    usage(b, set, ix);
    for f in s.flags.describe() {
        b.push(Line::styled(format!("⚠ {f}"), b.theme.warn()), None);
    }
}

fn timing(b: &mut Builder, set: &TraceSet, ix: SpanIx) {
    let s = set.span(ix);
    let offset = s.start_ns - set.trace(set.trace_of(ix)).start_ns;
    let mut f = vec![
        ("start", format_iso_ms(s.start_ns), Style::new()),
        (
            "at",
            format!("+{}", format_duration(offset)),
            b.theme.muted(),
        ),
    ];
    match s.end_ns() {
        Some(_) => {
            f.push((
                "duration",
                format_duration(s.duration_ns()),
                b.theme.header(),
            ));
            f.push(("self", format_duration(set.self_time_ns(ix)), Style::new()));
        }
        None => f.push((
            "end",
            "none: still running when exported".into(),
            b.theme.warn(),
        )),
    }
    b.fields(&f, None);
}

fn usage(b: &mut Builder, set: &TraceSet, ix: SpanIx) {
    let s = set.span(ix);
    let mut f = Vec::new();
    if !s.model.is_empty() {
        f.push(("model", set.str(s.model).to_owned(), b.theme.kind(s.kind)));
    }
    if !s.tool.is_empty() {
        f.push(("tool", set.str(s.tool).to_owned(), b.theme.kind(s.kind)));
    }
    if !s.tokens.is_empty() {
        let n = |v: Option<u32>| v.map_or("-".to_owned(), |v| v.to_string());
        let total = s.tokens.sum().map_or("-".into(), |t| t.to_string());
        f.push((
            "tokens",
            format!(
                "{} in / {} out / {total} total",
                n(s.tokens.input()),
                n(s.tokens.output())
            ),
            Style::new(),
        ));
    }
    if let Some(c) = s.cost() {
        f.push(("cost", crate::tui::view::money(c), Style::new()));
    }
    if !f.is_empty() {
        b.fields(&f, None);
    }
}

fn errors(b: &mut Builder, set: &TraceSet, ix: SpanIx, d: &SpanDetail) {
    let s = set.span(ix);
    let msg = s
        .status_msg
        .map(|t| set.sources.text(t))
        .filter(|m| !m.is_empty());
    if !s.is_error() && d.exceptions.is_empty() && msg.is_none() {
        return;
    }
    b.section("Error");
    // The status message often repeats the exception ("ValueError: boom"): show it once.
    let repeated = |m: &str| {
        d.exceptions
            .iter()
            .any(|e| m == format!("{}: {}", e.kind, e.message) || m == e.message)
    };
    if let Some(m) = msg.filter(|m| !repeated(m)) {
        let v = b.value("error message", m.clone());
        b.text(&m, b.theme.error(), 0, Some(v));
    }
    for e in &d.exceptions {
        let v = b.value(
            "exception",
            format!("{}: {}\n{}", e.kind, e.message, e.stack),
        );
        b.text(
            &format!("{}: {}", e.kind, e.message),
            b.theme.error(),
            0,
            Some(v),
        );
        if !e.stack.is_empty() {
            b.text(&e.stack, b.theme.muted(), 2, Some(v));
        }
    }
}

fn message(b: &mut Builder, m: &Message) {
    let mut text = m.content.clone();
    for c in &m.tool_calls {
        text.push_str(&format!("\n{}({})", c.name, compact(&c.arguments)));
    }
    let v = b.value(&format!("{} message", m.role), text);
    let mut head = vec![Span::styled(format!("▌{}", m.role), b.theme.role(&m.role))];
    if let Some(n) = &m.name {
        head.push(Span::styled(
            format!(" {}", inert::line(n)),
            b.theme.muted(),
        ));
    }
    if let Some(id) = &m.tool_call_id {
        head.push(Span::styled(
            format!(" ← {}", inert::line(id)),
            b.theme.muted(),
        ));
    }
    b.push(Line::from(head), Some(v));
    if !m.content.is_empty() {
        b.text(&m.content, Style::new(), 2, Some(v));
    }
    for c in &m.tool_calls {
        tool_call(b, c, 2);
    }
}

fn tool_call(b: &mut Builder, c: &ToolCall, indent: usize) {
    let v = b.value(&format!("tool call {}", c.name), pretty(&c.arguments));
    let mut head = vec![
        Span::raw(" ".repeat(indent)),
        Span::styled("→ call ", b.theme.muted()),
        Span::styled(
            inert::line(&c.name).into_owned(),
            b.theme.kind(crate::model::SpanKind::Tool),
        ),
    ];
    // Short arguments read best inline: `→ call get_weather({"city":"Paris"})`.
    let args = if c.arguments.is_null() {
        String::new()
    } else {
        compact(&c.arguments)
    };
    let room = b.width.saturating_sub(indent + wrap::width(&c.name) + 12);
    let inline = !args.contains('\n') && wrap::width(&args) < room;
    if inline && !args.is_empty() {
        let style = b.theme.json_string();
        head.push(Span::styled(format!("({})", inert::line(&args)), style));
    }
    if let Some(id) = &c.id {
        head.push(Span::styled(
            format!(" #{}", inert::line(id)),
            b.theme.muted(),
        ));
    }
    b.push(Line::from(head), Some(v));
    if !inline && !c.arguments.is_null() {
        b.json(&c.arguments, indent + 4, Some(v));
    }
    if let Some(r) = &c.result {
        let rv = b.value(&format!("result of {}", c.name), as_text(r));
        let text = compact(r);
        let mut line = vec![
            Span::raw(" ".repeat(indent)),
            Span::styled("← result", b.theme.muted()),
        ];
        let short = !text.contains('\n') && wrap::width(&text) + indent + 12 < b.width;
        if short {
            line.push(Span::raw(format!(" {}", inert::line(&text))));
        }
        b.push(Line::from(line), Some(rv));
        if !short {
            b.json(r, indent + 4, Some(rv));
        }
    }
}

fn payload(b: &mut Builder, title: &str, v: Option<&Value>) {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return;
    };
    b.section(title);
    let value = b.value(&title.to_ascii_lowercase(), as_text(v));
    b.json(v, 0, Some(value));
}

fn feedback(b: &mut Builder, set: &TraceSet, ix: SpanIx) {
    let trace = set.trace_of(ix);
    let is_root = set.span(ix).parent().is_none();
    let on =
        move |t, s: Option<SpanIx>| t == Some(trace) && (s == Some(ix) || (is_root && s.is_none()));
    let items: Vec<_> = set.assessments_on(on).map(|(_, a)| a).collect();
    if items.is_empty() {
        return;
    }
    b.section(&format!("Feedback ({})", items.len()));
    for a in items {
        let value = match &a.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let v = b.value(&a.name, value.clone());
        let mut f = vec![
            (a.kind.as_str(), a.name.clone(), b.theme.header()),
            ("=", value, b.theme.accent()),
        ];
        if let Some(src) = &a.source {
            f.push(("by", src.clone(), b.theme.muted()));
        }
        if let Some(t) = a.time_ns {
            f.push(("at", format_iso_ms(t), b.theme.muted()));
        }
        if let Some(e) = &a.error {
            f.push(("error", e.clone(), b.theme.error()));
        }
        b.fields(&f, Some(v));
        if let Some(r) = &a.rationale {
            b.text(r, b.theme.muted(), 2, Some(v));
        }
    }
}

fn events(b: &mut Builder, d: &SpanDetail) {
    let shown: Vec<_> = d.events.iter().filter(|e| e.name != "exception").collect();
    if shown.is_empty() {
        return;
    }
    b.section(&format!("Events ({})", shown.len()));
    for e in shown {
        let obj: serde_json::Map<String, Value> = e.attributes.iter().cloned().collect();
        let v = b.value(&e.name, pretty(&Value::Object(obj.clone())));
        let when = e.time_ns.map(format_iso_ms).unwrap_or_default();
        b.fields(
            &[
                ("•", e.name.clone(), b.theme.header()),
                ("at", when, b.theme.muted()),
            ],
            Some(v),
        );
        if !obj.is_empty() {
            b.json(&Value::Object(obj), 2, Some(v));
        }
    }
}

fn pairs(b: &mut Builder, title: &str, items: &[(String, Value)]) {
    if items.is_empty() {
        return;
    }
    b.section(&format!("{title} ({})", items.len()));
    let key_w = items
        .iter()
        .map(|(k, _)| wrap::width(k))
        .max()
        .unwrap_or(0)
        .min(b.width / 2);
    for (k, val) in items {
        let v = b.value(k, as_text(val));
        let key = format!("{:<key_w$} ", wrap::clip(&inert::line(k), key_w));
        if b.full {
            full_pair(b, key, &as_text(val), v);
            continue;
        }
        // Strings read better as text here; the JSON views keep quotes and escapes.
        let shown = match val {
            Value::String(s) => crate::tui::detail::json_tree::short_text(s),
            other => crate::tui::detail::json_tree::short_string(&other.to_string()),
        };
        let segs = vec![(key, b.theme.json_key()), (shown, Style::new())];
        let lines = crate::tui::detail::json_tree::wrap_segments(segs, b.width);
        let total = lines.len();
        for line in lines.into_iter().take(MAX_ATTR_LINES) {
            b.push(line, Some(v));
        }
        b.elided_after(MAX_ATTR_LINES, total, 2, Some(v));
    }
}

/// An attribute for the pager: the key, then the whole value, its later lines under the
/// first.
fn full_pair(b: &mut Builder, key: String, text: &str, v: usize) {
    let pad = " ".repeat(wrap::width(&key));
    let key_style = b.theme.json_key();
    for (i, l) in text.split('\n').enumerate() {
        let head = if i == 0 { key.clone() } else { pad.clone() };
        let line = Line::from(vec![
            Span::styled(head, key_style),
            Span::raw(inert::line(l).into_owned()),
        ]);
        b.push(line, Some(v));
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => pretty(other),
    }
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
