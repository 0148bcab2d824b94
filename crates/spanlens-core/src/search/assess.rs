//! Assessment filters: `feedback:bad`, `feedback:good`, `assess:NAME`, `assess:NAME<3`.
//! They keep the spans an assessment is about; one about a whole trace counts for its
//! root span. The spans are found once per search, not per span.

use super::query::Filter;
use crate::feedback::verdict::{self, Verdict};
use crate::model::{Assessment, SpanIx, TraceSet};
use std::collections::HashSet;

/// A comparison in `assess:NAME<3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumCmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

/// `assess:NAME` with an optional comparison of the value.
#[derive(Clone, Debug, PartialEq)]
pub struct AssessFilter {
    /// Lower case; matched without regard to case.
    pub name: String,
    pub cmp: Option<(NumCmp, f64)>,
}

/// Parses the value of `feedback:` (`good` or `bad`).
pub(crate) fn parse_feedback(token: &str, value: &str) -> Result<Filter, String> {
    match value.to_ascii_lowercase().as_str() {
        "bad" => Ok(Filter::Feedback(Verdict::Bad)),
        "good" => Ok(Filter::Feedback(Verdict::Good)),
        _ => Err(format!("{token}: feedback is good or bad")),
    }
}

/// Parses the value of `assess:` (`NAME`, `NAME<3`, `NAME>=4`, `NAME=5`).
pub(crate) fn parse_assess(token: &str, value: &str) -> Result<Filter, String> {
    let Some(at) = value.find(['<', '>', '=']) else {
        if value.is_empty() {
            return Err(format!(
                "{token}: name an assessment, as in assess:correctness"
            ));
        }
        return Ok(Filter::Assess(AssessFilter {
            name: value.to_lowercase(),
            cmp: None,
        }));
    };
    let (name, rest) = value.split_at(at);
    let (cmp, num) = match rest.as_bytes() {
        [b'<', b'=', ..] => (NumCmp::Le, &rest[2..]),
        [b'>', b'=', ..] => (NumCmp::Ge, &rest[2..]),
        [b'<', ..] => (NumCmp::Lt, &rest[1..]),
        [b'>', ..] => (NumCmp::Gt, &rest[1..]),
        _ => (NumCmp::Eq, rest.trim_start_matches('=')),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{token}: expected a number after the comparison"))?;
    if name.is_empty() {
        return Err(format!("{token}: name an assessment, as in assess:score<3"));
    }
    Ok(Filter::Assess(AssessFilter {
        name: name.to_lowercase(),
        cmp: Some((cmp, n)),
    }))
}

/// Whether assessment `a` satisfies filter `f` (false for filters of other kinds).
fn satisfies(f: &Filter, a: &Assessment) -> bool {
    match f {
        Filter::Feedback(want) => verdict::of(a) == Some(*want),
        Filter::Assess(af) => {
            a.name.to_lowercase() == af.name
                && af.cmp.is_none_or(|(cmp, n)| {
                    verdict::number(&a.value).is_some_and(|x| match cmp {
                        NumCmp::Lt => x < n,
                        NumCmp::Le => x <= n,
                        NumCmp::Gt => x > n,
                        NumCmp::Ge => x >= n,
                        NumCmp::Eq => x == n,
                    })
                })
        }
        _ => false,
    }
}

/// For each assessment filter of a query, the spans it keeps.
#[derive(Debug, Default)]
pub struct Marks {
    sets: Vec<HashSet<SpanIx>>,
}

impl Marks {
    /// The spans each assessment filter in `filters` keeps (nothing to build without one).
    pub fn of(set: &TraceSet, filters: &[Filter]) -> Marks {
        let wanted = filters
            .iter()
            .filter(|f| matches!(f, Filter::Feedback(_) | Filter::Assess(_)));
        let sets = wanted
            .map(|f| {
                (set.assessments.iter().zip(&set.assessment_targets))
                    .filter(|(a, _)| satisfies(f, a))
                    .filter_map(|(_, (t, s))| match (t, s) {
                        (_, Some(s)) => Some(*s),
                        (Some(t), None) => Some(SpanIx(set.trace(*t).span_start)),
                        (None, None) => None,
                    })
                    .collect()
            })
            .collect();
        Marks { sets }
    }

    /// Whether span `ix` passes every assessment filter.
    pub fn keeps(&self, ix: SpanIx) -> bool {
        self.sets.iter().all(|s| s.contains(&ix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        assert_eq!(
            parse_assess("t", "Correctness<3"),
            Ok(Filter::Assess(AssessFilter {
                name: "correctness".into(),
                cmp: Some((NumCmp::Lt, 3.0))
            }))
        );
        assert_eq!(
            parse_assess("t", "score>=4"),
            Ok(Filter::Assess(AssessFilter {
                name: "score".into(),
                cmp: Some((NumCmp::Ge, 4.0))
            }))
        );
        assert!(parse_assess("t", "score<x").is_err());
        assert!(parse_assess("t", "<3").is_err());
        assert_eq!(
            parse_feedback("t", "BAD"),
            Ok(Filter::Feedback(Verdict::Bad))
        );
        assert!(parse_feedback("t", "meh").is_err());
    }
}
