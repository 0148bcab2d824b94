//! Text for generated payloads: template filling, prose of a given size, and the "spice"
//! of the realistic profile (CJK, right-to-left scripts, emoji, and hostile strings such as
//! ANSI escapes, OSC 52 clipboard writes, bidi overrides and NUL bytes).

use super::persona::{Facts, Persona};
use super::rng::Rng;
use spanlens_core::model::time::format_iso_ms;

/// Non-Latin and tricky Unicode, mixed into realistic texts.
pub const UNICODE: [&str; 10] = [
    "東京は明日雨の予報です。傘を持って行ってください。",
    "北京今天多云，气温十八度。",
    "서울의 날씨는 맑고 건조합니다.",
    "الطقس في القاهرة مشمس وحار اليوم.",
    "מזג האוויר בתל אביב נעים היום.",
    "Order #4411 נשלח אתמול — ETA 3 days.",
    "Ça coûte 12 € — très cher ! 🌧️☔",
    "Family 👨‍👩‍👧‍👦, flags 🇯🇵🇫🇷, skin tones 👍🏽👍🏿.",
    "Z̷̢a̴l̸g̵o̶ t̷e̸x̵t̶ with combining marks.",
    "Math: ∑ xᵢ² ≤ ∞, arrows ⇒ ⟶, box ░▒▓.",
];

/// Strings that try to escape a terminal. The UI must show them inert.
pub const HOSTILE: [&str; 7] = [
    "\u{1b}[31mRED ALERT\u{1b}[0m",
    "\u{1b}]52;c;cm0gLXJmIH4vCg==\u{7}",
    "invoice\u{202e}fdp.exe",
    "nul\u{0}byte",
    "\u{1b}[2J\u{1b}[Hscreen cleared",
    "line one\r\nInjected: line two",
    "\u{1b}]8;;https://example.com/\u{7}hyperlink\u{1b}]8;;\u{7}",
];

/// How much spice a text gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spice {
    pub unicode: f64,
    pub hostile: f64,
}

impl Spice {
    pub const NONE: Spice = Spice {
        unicode: 0.0,
        hostile: 0.0,
    };
    pub const REALISTIC: Spice = Spice {
        unicode: 0.08,
        hostile: 0.004,
    };
}

/// What templates are filled from.
pub struct Filler<'a> {
    pub persona: &'static Persona,
    pub facts: &'a Facts,
    /// Trace start, for dates.
    pub start_ns: i64,
    pub spice: Spice,
}

/// Appends `s` with JSON string escapes (no quotes).
pub fn push_escaped(out: &mut String, s: &str) {
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[run..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                out.push_str("\\u00");
                out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
                out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
            }
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
}

fn push(out: &mut String, s: &str, json: bool) {
    if json {
        push_escaped(out, s);
    } else {
        out.push_str(s);
    }
}

/// Fills `{name}` placeholders of `tmpl` into `out`; with `json`, inserted values are
/// escaped for a JSON string (the template itself is copied as is).
pub fn fill(out: &mut String, tmpl: &str, f: &Filler, rng: &mut Rng, json: bool) {
    let mut rest = tmpl;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            .count();
        if name_len == 0 || !after[name_len..].starts_with('}') {
            out.push_str(&rest[..open + 1]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..open]);
        value(out, &after[..name_len], f, rng, json);
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
}

fn value(out: &mut String, name: &str, f: &Filler, rng: &mut Rng, json: bool) {
    let facts = f.facts;
    let num = |out: &mut String, v: u64| out.push_str(&v.to_string());
    match name {
        "city" => push(out, facts.city, json),
        "city2" => push(out, facts.city2, json),
        "days" => num(out, u64::from(facts.days)),
        "order" => num(out, u64::from(facts.order)),
        "email" => push(out, facts.email, json),
        "product" => push(out, facts.product, json),
        "service" => push(out, facts.service, json),
        "region" => push(out, facts.region, json),
        "topic" => push(out, facts.topic, json),
        "slug" => push(
            out,
            &facts.topic.to_ascii_lowercase().replace(' ', "-"),
            json,
        ),
        "metric" => push(out, facts.metric, json),
        "team" => push(out, facts.team, json),
        "version" => num(out, u64::from(facts.version)),
        "host" => push(out, &format!("{}.internal", f.persona.service), json),
        "date" => out.push_str(&format_iso_ms(f.start_ns)[..10]),
        "date2" => out.push_str(&format_iso_ms(f.start_ns + 86_400_000_000_000)[..10]),
        "ts" => num(out, (f.start_ns / 1_000_000_000) as u64 + rng.below(1800)),
        "cond" => out.push_str(rng.pick(&[
            "light rain",
            "sunny",
            "overcast",
            "partly cloudy",
            "windy",
            "foggy",
        ])),
        "ship" => {
            out.push_str(rng.pick(&["in transit", "delayed", "out for delivery", "delivered"]))
        }
        "temp" => num(out, rng.range(4, 31)),
        "pct" => num(out, rng.range(5, 95)),
        "small" => num(out, rng.range(1, 30)),
        "price" => out.push_str(&format!("{}.{:02}", rng.range(9, 240), rng.below(100))),
        "lat" => out.push_str(&format!("{}.{:04}", rng.range(1, 60), rng.below(10_000))),
        "lon" => out.push_str(&format!("{}.{:04}", rng.range(1, 150), rng.below(10_000))),
        "id" => out.push_str(&format!("{:06x}", rng.below(1 << 24))),
        "prose" => prose(out, f, rng, 1, json),
        "long" => {
            let n = rng.range(3, 10) as usize;
            prose(out, f, rng, n, json)
        }
        _ => {
            out.push('{');
            out.push_str(name);
            out.push('}');
        }
    }
}

/// Appends `n` sentences of the persona's prose (with spice).
pub fn prose(out: &mut String, f: &Filler, rng: &mut Rng, n: usize, json: bool) {
    let mut last = usize::MAX;
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        sentence(out, f, rng, &mut last, json);
    }
}

/// Appends prose until `out` has grown by about `bytes`.
pub fn prose_bytes(out: &mut String, f: &Filler, rng: &mut Rng, bytes: usize, json: bool) {
    let target = out.len() + bytes;
    let mut last = usize::MAX;
    let mut first = true;
    while out.len() < target {
        if !first {
            out.push(' ');
        }
        first = false;
        sentence(out, f, rng, &mut last, json);
    }
}

/// One sentence of prose, never the one just written.
fn sentence(out: &mut String, f: &Filler, rng: &mut Rng, last: &mut usize, json: bool) {
    let all = f.persona.prose;
    let mut k = rng.below(all.len() as u64) as usize;
    if k == *last {
        k = (k + 1) % all.len();
    }
    *last = k;
    push(out, all[k], json);
    spice(out, f.spice, rng, json);
}

/// Appends knowledge-base excerpts (the persona's documents, filled) until `out` has
/// grown by about `bytes`: the retrieved context pasted into a prompt.
pub fn context_bytes(out: &mut String, f: &Filler, rng: &mut Rng, bytes: usize) {
    let target = out.len() + bytes;
    let docs = f.persona.docs;
    let mut last = usize::MAX;
    let mut n = 0;
    while out.len() < target {
        let mut k = rng.below(docs.len() as u64) as usize;
        if k == last {
            k = (k + 1) % docs.len();
        }
        last = k;
        n += 1;
        out.push_str(&format!("[{n}] "));
        fill(out, docs[k], f, rng, false);
        spice(out, f.spice, rng, false);
        out.push('\n');
    }
}

/// Maybe appends a Unicode or hostile snippet.
pub fn spice(out: &mut String, spice: Spice, rng: &mut Rng, json: bool) {
    if spice.unicode <= 0.0 {
        return;
    }
    let r = rng.unit();
    if r < spice.hostile {
        out.push(' ');
        push(out, rng.pick(&HOSTILE), json);
    } else if r < spice.hostile + spice.unicode {
        out.push(' ');
        push(out, rng.pick(&UNICODE), json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persona::WEATHER;

    #[test]
    fn fills_and_escapes() {
        let facts = Facts::draw(&mut Rng::new(1));
        let f = Filler {
            persona: &WEATHER,
            facts: &facts,
            start_ns: 1_790_000_000_000_000_000,
            spice: Spice::NONE,
        };
        let mut out = String::new();
        fill(
            &mut out,
            r#"{"city": "{city}", "x": {nope}}"#,
            &f,
            &mut Rng::new(2),
            true,
        );
        assert_eq!(
            out,
            format!(r#"{{"city": "{}", "x": {{nope}}}}"#, facts.city)
        );
        let mut esc = String::new();
        push_escaped(&mut esc, "a\"\u{1b}[31m\u{0}\n");
        assert_eq!(esc, "a\\\"\\u001b[31m\\u0000\\n");
    }
}
