//! The search query language.
//!
//! Plain words search everything. Field scopes narrow where text is looked for:
//! `name:`, `tool:`, `prompt:`, `out:`, `attr:KEY`. Filters keep spans by property:
//! `kind:llm`, `status:error`, `model:NAME`, `dur>2s`, `dur<=150ms`, and by their human
//! judgements: `feedback:bad`, `feedback:good`, `assess:NAME`, `assess:NAME<3`. A leading `'` makes the
//! text an exact substring (as in fzf), `re:` a regular expression; otherwise matching is
//! fuzzy. Case is smart: lower case ignores case, any upper case makes it matter.

use crate::model::{SpanKind, Status};

/// A query that does not parse; the message names what is wrong and what is valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

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
    /// Parses a query; an unknown scope or predicate, a bad value or a bad regex is an
    /// error that says what is valid.
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        Query::parse_text(input).map_err(QueryError)
    }

    fn parse_text(input: &str) -> Result<Query, String> {
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
            let exact = trimmed.starts_with('\'');
            for token in trimmed.split_whitespace() {
                match q.take_token(token, exact)? {
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

    /// Handles a scope, filter or predicate token, or hands back the text to search for.
    /// A token that looks like one (`word:…`, `word>…`) but names none is an error listing
    /// the valid ones: a typo must not quietly become fuzzy text.
    /// In an exact query (`exact`) such a token is text.
    fn take_token<'t>(&mut self, token: &'t str, exact: bool) -> Result<Token<'t>, String> {
        if let Some((key, cmp, value)) = split_predicate(token) {
            let Some(def) = PREDICATES.iter().find(|p| p.name == key) else {
                return match exact {
                    true => Ok(Token::Word(token)),
                    false => Err(unknown_token(&format!("{key}{}", cmp_text(cmp)))),
                };
            };
            (def.apply)(self, cmp, value, token)?;
            return Ok(Token::Taken);
        }
        let Some((key, value)) = token.split_once(':') else {
            return Ok(Token::Word(token));
        };
        match SCOPES.iter().find(|d| d.names.contains(&key)) {
            Some(def) => (def.apply)(self, value, token),
            // Not a scope's shape (`http://…`, `12:30`, `C:\dir`): text to search for.
            None if exact || key.len() < 2 || !is_identifier(key) => Ok(Token::Word(token)),
            None if value.starts_with(['/', '\\']) => Ok(Token::Word(token)),
            None => Err(unknown_token(&format!("{key}:"))),
        }
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

/// A `key:value` token: a field scope or a property filter. `apply` takes the value and
/// the whole token (for errors); it returns the text left to search for, if any.
struct ScopeDef {
    names: &'static [&'static str],
    /// How it is written, for the list of valid scopes.
    usage: &'static str,
    apply: for<'t> fn(&mut Query, &'t str, &'t str) -> Result<Token<'t>, String>,
}

/// A comparison token `key>value`, `key<=value`.
struct PredicateDef {
    name: &'static str,
    usage: &'static str,
    apply: fn(&mut Query, Cmp, &str, &str) -> Result<(), String>,
}

/// Every scope and filter the query language knows. Add new ones here: parsing, the error
/// for unknown ones and its list of valid ones all come from this table.
const SCOPES: &[ScopeDef] = &[
    ScopeDef {
        names: &["name"],
        usage: "name:",
        apply: |q, v, _| Ok(q.scope(&[FieldKind::Name], v)),
    },
    ScopeDef {
        names: &["tool"],
        usage: "tool:",
        apply: |q, v, _| {
            let fields = [FieldKind::Tool, FieldKind::ToolArgs, FieldKind::ToolResult];
            Ok(q.scope(&fields, v))
        },
    },
    ScopeDef {
        names: &["prompt", "in", "input"],
        usage: "prompt:",
        apply: |q, v, _| Ok(q.scope(&[FieldKind::Prompt, FieldKind::ToolArgs], v)),
    },
    ScopeDef {
        names: &["out", "output"],
        usage: "out:",
        apply: |q, v, _| Ok(q.scope(&[FieldKind::Output, FieldKind::ToolResult], v)),
    },
    ScopeDef {
        names: &["attr"],
        usage: "attr:KEY",
        apply: |q, v, _| {
            q.fields.push(FieldKind::Attribute);
            if !v.is_empty() {
                q.attr_keys.push(v.to_ascii_lowercase());
            }
            Ok(Token::Taken)
        },
    },
    ScopeDef {
        names: &["kind"],
        usage: "kind:llm",
        apply: |q, v, token| {
            let kind = SpanKind::from_label(v).ok_or_else(|| format!("{token}: unknown kind"))?;
            q.filters.push(Filter::Kind(kind));
            Ok(Token::Taken)
        },
    },
    ScopeDef {
        names: &["status"],
        usage: "status:error",
        apply: |q, v, token| {
            let status = match v.to_ascii_lowercase().as_str() {
                "error" | "err" => Status::Error,
                "ok" => Status::Ok,
                "unset" => Status::Unset,
                _ => return Err(format!("{token}: status is error, ok or unset")),
            };
            q.filters.push(Filter::Status(status));
            Ok(Token::Taken)
        },
    },
    ScopeDef {
        names: &["model"],
        usage: "model:NAME",
        apply: |q, v, _| {
            q.filters.push(Filter::Model(v.to_ascii_lowercase()));
            Ok(Token::Taken)
        },
    },
    ScopeDef {
        names: &["feedback"],
        usage: "feedback:good|bad",
        apply: |q, v, token| {
            q.filters.push(super::assess::parse_feedback(token, v)?);
            Ok(Token::Taken)
        },
    },
    ScopeDef {
        names: &["assess"],
        usage: "assess:NAME[<3]",
        apply: |q, v, token| {
            q.filters.push(super::assess::parse_assess(token, v)?);
            Ok(Token::Taken)
        },
    },
];

/// Every comparison the query language knows (see `SCOPES`).
const PREDICATES: &[PredicateDef] = &[PredicateDef {
    name: "dur",
    usage: "dur>2s",
    apply: |q, cmp, v, token| {
        let ns = parse_duration(v)
            .ok_or_else(|| format!("{token}: expected a duration like 2s, 150ms"))?;
        q.filters.push(Filter::Duration(cmp, ns));
        Ok(())
    },
}];

impl Query {
    /// Scopes the search to `fields`; `tool:get_weather` scopes and searches in one token.
    fn scope<'t>(&mut self, fields: &[FieldKind], value: &'t str) -> Token<'t> {
        self.fields.extend_from_slice(fields);
        if value.is_empty() {
            Token::Taken
        } else {
            Token::Word(value)
        }
    }
}

/// The valid scopes, filters and predicates, for error messages and help.
pub fn valid_tokens() -> String {
    let scopes = SCOPES.iter().map(|d| d.usage);
    let preds = PREDICATES.iter().map(|d| d.usage);
    scopes.chain(preds).collect::<Vec<_>>().join(" ")
}

fn unknown_token(what: &str) -> String {
    format!(
        "unknown scope or filter `{what}`; valid: {} (start with ' to search for the text as written)",
        valid_tokens()
    )
}

/// `key>value`, `key>=value`, `key<value`, `key<=value` with an identifier key.
fn split_predicate(token: &str) -> Option<(&str, Cmp, &str)> {
    let at = token.find(['<', '>'])?;
    let (key, rest) = token.split_at(at);
    if !is_identifier(key) || key.contains(['.', '-']) {
        return None;
    }
    Some(match rest.as_bytes() {
        [b'>', b'=', ..] => (key, Cmp::Ge, &rest[2..]),
        [b'<', b'=', ..] => (key, Cmp::Le, &rest[2..]),
        [b'>', ..] => (key, Cmp::Gt, &rest[1..]),
        _ => (key, Cmp::Lt, &rest[1..]),
    })
}

fn cmp_text(cmp: Cmp) -> &'static str {
    match cmp {
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}

/// A word that could name a scope: a letter or `_`, then letters, digits, `_`, `.`, `-`.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
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

    #[test]
    fn unknown_scopes_and_predicates_are_errors_that_list_the_valid_ones() {
        for bad in [
            "flavour:bad",
            "start>2s",
            "weather nmae:x",
            "dur:5",
            "latency<=3ms",
        ] {
            let err = Query::parse(bad).expect_err(bad).to_string();
            assert!(err.contains("unknown scope"), "{bad}: {err}");
            let listed = [
                "name:",
                "tool:",
                "attr:KEY",
                "status:error",
                "dur>2s",
                "feedback:",
            ];
            for valid in listed {
                assert!(err.contains(valid), "{bad}: {err} lists {valid}");
            }
        }
        // Text that only looks a little like a scope is still text.
        for text in [
            "http://example.com/x",
            "12:30",
            "'feedback:bad",
            "a->b",
            "duration",
        ] {
            let q = Query::parse(text).expect(text);
            assert!(q.filters.is_empty() && q.fields.is_empty(), "{text}: {q:?}");
        }
        let q = Query::parse("dur>=1s in:city").unwrap();
        assert_eq!(q.filters, vec![Filter::Duration(Cmp::Ge, 1_000_000_000)]);
        assert_eq!(q.text, "city");
    }
}
