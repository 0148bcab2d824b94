//! The search query language.
//!
//! Plain words search everything. Field scopes narrow where text is looked for:
//! `name:`, `tool:`, `prompt:`, `out:`, `attr:KEY`. Filters keep spans by property:
//! `kind:llm`, `status:error`, `model:NAME`, `dur>2s`, `dur<=150ms`, and by their human
//! judgements: `feedback:bad`, `feedback:good`, `assess:NAME`, `assess:NAME<3`. A leading `'` makes the
//! text an exact substring (as in fzf), `re:` a regular expression; otherwise matching is
//! fuzzy. Case is smart: lower case ignores case, any upper case makes it matter.

use crate::model::{SpanKind, Status};

/// How text is matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Fuzzy,
    Exact,
    Regex,
}

/// The fields a span's text is searched in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldKind {
    Name,
    Kind,
    Model,
    Tool,
    ToolArgs,
    ToolResult,
    Prompt,
    Output,
    Error,
    Attribute,
}

impl FieldKind {
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Name => "span name",
            FieldKind::Kind => "kind",
            FieldKind::Model => "model",
            FieldKind::Tool => "tool name",
            FieldKind::ToolArgs => "tool arguments",
            FieldKind::ToolResult => "tool result",
            FieldKind::Prompt => "prompt",
            FieldKind::Output => "output",
            FieldKind::Error => "error message",
            FieldKind::Attribute => "attribute",
        }
    }

    /// Ranking bonus: a hit in a name says more than one deep in an attribute.
    pub fn weight(self) -> u32 {
        match self {
            FieldKind::Name | FieldKind::Tool => 40,
            FieldKind::Model | FieldKind::Kind => 30,
            FieldKind::Error => 25,
            FieldKind::ToolArgs | FieldKind::ToolResult | FieldKind::Prompt | FieldKind::Output => {
                10
            }
            FieldKind::Attribute => 0,
        }
    }
}

/// A comparison in a `dur` filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// A property filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Kind(SpanKind),
    Status(Status),
    Model(String),
    Duration(Cmp, i64),
    /// `feedback:good` / `feedback:bad` (see `assess`).
    Feedback(crate::feedback::Verdict),
    /// `assess:NAME`, `assess:NAME<3` (see `assess`).
    Assess(super::assess::AssessFilter),
}

/// What a query token turned out to be.
enum Token<'t> {
    Taken,
    Word(&'t str),
}

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The text to find; empty when the query only filters.
    pub text: String,
    pub mode: Mode,
    /// Where to look (empty: everywhere).
    pub fields: Vec<FieldKind>,
    /// For `attr:KEY`: only attributes whose key contains one of these.
    pub attr_keys: Vec<String>,
    pub filters: Vec<Filter>,
    /// Case matters (smart case: the text has an upper-case letter).
    pub case_sensitive: bool,
}

impl Query {
    /// Parses a query; errors name the bad token.
    pub fn parse(input: &str) -> Result<Query, String> {
        let mut q = Query {
            text: String::new(),
            mode: Mode::Fuzzy,
            fields: Vec::new(),
            attr_keys: Vec::new(),
            filters: Vec::new(),
            case_sensitive: false,
        };
        let trimmed = input.trim_start();
        if let Some(re) = trimmed.strip_prefix("re:") {
            q.mode = Mode::Regex;
            q.text = re.to_owned();
        } else {
            let mut words = Vec::new();
            for token in trimmed.split_whitespace() {
                match q.take_token(token)? {
                    Token::Word(w) => words.push(w),
                    Token::Taken => {}
                }
            }
            q.text = words.join(" ");
            if let Some(exact) = q.text.strip_prefix('\'') {
                q.mode = Mode::Exact;
                q.text = exact.to_owned();
            }
        }
        q.case_sensitive = q.text.chars().any(char::is_uppercase);
        if q.mode == Mode::Regex {
            regex::Regex::new(&q.text).map_err(|e| format!("re: {e}"))?;
        }
        Ok(q)
    }

    /// Handles a scope or filter token, or hands back the text to search for.
    fn take_token<'t>(&mut self, token: &'t str) -> Result<Token<'t>, String> {
        if let Some(rest) = token.strip_prefix("dur") {
            let (cmp, num) = match rest.as_bytes() {
                [b'>', b'=', ..] => (Cmp::Ge, &rest[2..]),
                [b'<', b'=', ..] => (Cmp::Le, &rest[2..]),
                [b'>', ..] => (Cmp::Gt, &rest[1..]),
                [b'<', ..] => (Cmp::Lt, &rest[1..]),
                _ => return Ok(Token::Word(token)),
            };
            let ns = parse_duration(num)
                .ok_or_else(|| format!("{token}: expected a duration like 2s, 150ms"))?;
            self.filters.push(Filter::Duration(cmp, ns));
            return Ok(Token::Taken);
        }
        let Some((key, value)) = token.split_once(':') else {
            return Ok(Token::Word(token));
        };
        let fields: &[FieldKind] = match key {
            "name" => &[FieldKind::Name],
            "tool" => &[FieldKind::Tool, FieldKind::ToolArgs, FieldKind::ToolResult],
            "prompt" | "in" | "input" => &[FieldKind::Prompt, FieldKind::ToolArgs],
            "out" | "output" => &[FieldKind::Output, FieldKind::ToolResult],
            "attr" => {
                self.fields.push(FieldKind::Attribute);
                if !value.is_empty() {
                    self.attr_keys.push(value.to_ascii_lowercase());
                }
                return Ok(Token::Taken);
            }
            "kind" => {
                let kind =
                    SpanKind::from_label(value).ok_or_else(|| format!("{token}: unknown kind"))?;
                self.filters.push(Filter::Kind(kind));
                return Ok(Token::Taken);
            }
            "status" => {
                let status = match value.to_ascii_lowercase().as_str() {
                    "error" | "err" => Status::Error,
                    "ok" => Status::Ok,
                    "unset" => Status::Unset,
                    _ => return Err(format!("{token}: status is error, ok or unset")),
                };
                self.filters.push(Filter::Status(status));
                return Ok(Token::Taken);
            }
            "model" => {
                self.filters.push(Filter::Model(value.to_ascii_lowercase()));
                return Ok(Token::Taken);
            }
            "feedback" => {
                self.filters
                    .push(super::assess::parse_feedback(token, value)?);
                return Ok(Token::Taken);
            }
            "assess" => {
                self.filters
                    .push(super::assess::parse_assess(token, value)?);
                return Ok(Token::Taken);
            }
            _ => return Ok(Token::Word(token)),
        };
        self.fields.extend_from_slice(fields);
        // `tool:get_weather` scopes and searches in one token.
        Ok(if value.is_empty() {
            Token::Taken
        } else {
            Token::Word(value)
        })
    }

    /// Whether `field` is searched.
    pub fn searches(&self, field: FieldKind) -> bool {
        self.fields.is_empty() || self.fields.contains(&field)
    }

    /// Returns true when the query has no text and no field scope: filters only.
    pub fn is_filter_only(&self) -> bool {
        self.text.is_empty()
    }
}

/// `2s`, `150ms`, `3m`, `500us`, `1.5s` in nanoseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    Some((n * scale) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_filters_and_modes() {
        let q = Query::parse("tool:get_wether kind:tool status:error dur>2s").unwrap();
        assert_eq!(q.text, "get_wether");
        assert!(q.searches(FieldKind::Tool) && !q.searches(FieldKind::Prompt));
        assert_eq!(
            q.filters,
            vec![
                Filter::Kind(SpanKind::Tool),
                Filter::Status(Status::Error),
                Filter::Duration(Cmp::Gt, 2_000_000_000)
            ]
        );
        let q = Query::parse("'weather agent").unwrap();
        assert_eq!((q.mode, q.text.as_str()), (Mode::Exact, "weather agent"));
        let q = Query::parse("re:ti?me ?out").unwrap();
        assert_eq!(q.mode, Mode::Regex);
        assert!(Query::parse("Paris").unwrap().case_sensitive);
        assert!(!Query::parse("paris").unwrap().case_sensitive);
        let q = Query::parse("attr:gen_ai.request gpt").unwrap();
        assert_eq!(
            (q.attr_keys[0].as_str(), q.text.as_str()),
            ("gen_ai.request", "gpt")
        );
        assert!(Query::parse("re:(").is_err());
        assert!(Query::parse("status:meh").is_err());
        assert_eq!(parse_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_duration("150ms"), Some(150_000_000));
    }
}
