//! The CI gate: `--fail-on` conditions such as `errors>0`, `p95>+20%`,
//! `step:execute_sql.p50>+50%` or `feedback:helpfulness<-0.5`, checked against a run diff.
//! Every condition compares the change from left to right: absolute (`>0`, `<-0.5`,
//! `>+200ms`) or relative to the left value (`>+20%`).

use super::runs::{RunDiff, StepSide, StepStatus};
use crate::model::time::format_duration;

/// A condition that could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GateError {
    #[error("--fail-on: '{0}' has no comparison (use >, <, >= or <=)")]
    NoOperator(String),
    #[error(
        "--fail-on: unknown metric '{0}' (errors, p50, p95, tokens, cost, new_steps, removed_steps, regressions, step:NAME.p50|p95|calls|error_rate|tokens, feedback:NAME)"
    )]
    Metric(String),
    #[error("--fail-on: '{0}' is not a number, a duration or a percentage")]
    Value(String),
    #[error("--fail-on: the expression is empty")]
    Empty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Metric {
    Errors,
    P50,
    P95,
    Tokens,
    Cost,
    NewSteps,
    RemovedSteps,
    Regressions,
    Step(String, StepField),
    Feedback(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepField {
    P50,
    P95,
    Calls,
    ErrorRate,
    Tokens,
}

/// One parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub text: String,
    pub metric: Metric,
    pub op: Op,
    pub value: f64,
    /// The value is a percentage of the left side's value.
    pub relative: bool,
}

/// Parses a comma-separated list of conditions.
pub fn parse(expr: &str) -> Result<Vec<Condition>, GateError> {
    let conds: Vec<Condition> = expr
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(condition)
        .collect::<Result<_, _>>()?;
    if conds.is_empty() {
        return Err(GateError::Empty);
    }
    Ok(conds)
}

fn condition(text: &str) -> Result<Condition, GateError> {
    let at = text
        .find(['>', '<'])
        .ok_or_else(|| GateError::NoOperator(text.to_owned()))?;
    let (lhs, rest) = text.split_at(at);
    let (op, rhs) = match (rest.as_bytes()[0], rest.as_bytes().get(1)) {
        (b'>', Some(b'=')) => (Op::Ge, &rest[2..]),
        (b'<', Some(b'=')) => (Op::Le, &rest[2..]),
        (b'>', _) => (Op::Gt, &rest[1..]),
        _ => (Op::Lt, &rest[1..]),
    };
    let metric = metric(lhs.trim())?;
    let (value, relative) = value(rhs.trim())?;
    Ok(Condition {
        text: text.to_owned(),
        metric,
        op,
        value,
        relative,
    })
}

fn metric(s: &str) -> Result<Metric, GateError> {
    let bad = || GateError::Metric(s.to_owned());
    Ok(match s {
        "errors" => Metric::Errors,
        "p50" => Metric::P50,
        "p95" => Metric::P95,
        "tokens" => Metric::Tokens,
        "cost" => Metric::Cost,
        "new_steps" => Metric::NewSteps,
        "removed_steps" => Metric::RemovedSteps,
        "regressions" => Metric::Regressions,
        _ => {
            if let Some(name) = s.strip_prefix("feedback:").filter(|n| !n.is_empty()) {
                return Ok(Metric::Feedback(name.to_owned()));
            }
            let step = s.strip_prefix("step:").ok_or_else(bad)?;
            let (name, field) = step.rsplit_once('.').ok_or_else(bad)?;
            let field = match field {
                "p50" => StepField::P50,
                "p95" => StepField::P95,
                "calls" => StepField::Calls,
                "error_rate" | "errors" => StepField::ErrorRate,
                "tokens" => StepField::Tokens,
                _ => return Err(bad()),
            };
            if name.is_empty() {
                return Err(bad());
            }
            Metric::Step(name.to_owned(), field)
        }
    })
}

/// `+20%` → (20, relative); `-0.5` → (-0.5, absolute); `+200ms` → (2e8, absolute).
fn value(s: &str) -> Result<(f64, bool), GateError> {
    let bad = || GateError::Value(s.to_owned());
    if let Some(p) = s.strip_suffix('%') {
        return Ok((p.trim().parse().map_err(|_| bad())?, true));
    }
    for (unit, ns) in [("ms", 1e6), ("us", 1e3), ("ns", 1.0), ("s", 1e9)] {
        if let Some(n) = s.strip_suffix(unit)
            && let Ok(v) = n.trim().parse::<f64>()
        {
            return Ok((v * ns, false));
        }
    }
    Ok((s.parse().map_err(|_| bad())?, false))
}

/// What the gate found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// The conditions that tripped, each with the values that tripped it.
    pub failed: Vec<String>,
    /// Conditions that could not be checked (a step or feedback name not in either run).
    pub notes: Vec<String>,
}

/// Checks every condition against a run diff.
pub fn check(conds: &[Condition], run: &RunDiff) -> Outcome {
    let mut out = Outcome::default();
    for c in conds {
        let Some((a, b)) = values(&c.metric, run) else {
            out.notes
                .push(format!("{}: not found in either run", c.text));
            continue;
        };
        let change = if c.relative {
            let d = b - a;
            if d == 0.0 {
                0.0
            } else if a == 0.0 {
                d.signum() * f64::INFINITY
            } else {
                d / a.abs() * 100.0
            }
        } else {
            b - a
        };
        let trips = match c.op {
            Op::Gt => change > c.value,
            Op::Ge => change >= c.value,
            Op::Lt => change < c.value,
            Op::Le => change <= c.value,
        };
        if trips {
            out.failed
                .push(format!("{}  ({})", c.text, describe(&c.metric, a, b)));
        }
    }
    out
}

/// The (left, right) values of a metric; `None` when a named step or feedback is in
/// neither run.
fn values(m: &Metric, run: &RunDiff) -> Option<(f64, f64)> {
    let (l, r) = (&run.left, &run.right);
    let count = |s: StepStatus| run.steps.iter().filter(|x| x.status == s).count() as f64;
    Some(match m {
        Metric::Errors => (l.error_traces as f64, r.error_traces as f64),
        Metric::P50 => (l.duration.p50 as f64, r.duration.p50 as f64),
        Metric::P95 => (l.duration.p95 as f64, r.duration.p95 as f64),
        Metric::Tokens => (l.tokens, r.tokens),
        Metric::Cost => (l.cost.unwrap_or(0.0), r.cost.unwrap_or(0.0)),
        Metric::NewSteps => (0.0, count(StepStatus::Added)),
        Metric::RemovedSteps => (0.0, count(StepStatus::Removed)),
        Metric::Regressions => (
            0.0,
            run.steps
                .iter()
                .filter(|s| !s.regressions.is_empty())
                .count() as f64,
        ),
        Metric::Feedback(name) => {
            let (a, b) = (l.feedback.get(name), r.feedback.get(name));
            if a.is_none() && b.is_none() {
                return None;
            }
            (a.copied().unwrap_or(0.0), b.copied().unwrap_or(0.0))
        }
        Metric::Step(name, field) => {
            let s = run
                .steps
                .iter()
                .find(|s| s.name == *name || s.key == *name)?;
            let v = |side: &Option<StepSide>| {
                side.as_ref().map_or(0.0, |x| match field {
                    StepField::P50 => x.duration.p50 as f64,
                    StepField::P95 => x.duration.p95 as f64,
                    StepField::Calls => x.calls_per_trace,
                    StepField::ErrorRate => x.error_rate,
                    StepField::Tokens => x.tokens,
                })
            };
            (v(&s.left), v(&s.right))
        }
    })
}

fn describe(m: &Metric, a: f64, b: f64) -> String {
    let durations = matches!(
        m,
        Metric::P50 | Metric::P95 | Metric::Step(_, StepField::P50 | StepField::P95)
    );
    if durations {
        format!(
            "{} → {}",
            format_duration(a as i64),
            format_duration(b as i64)
        )
    } else {
        format!("{} → {}", trim(a), trim(b))
    }
}

/// A number without trailing zeros: `3`, `0.25`, `1234.5`.
pub fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_conditions() {
        let c = parse(
            "errors>0, p95>+20%,tokens>+10%,step:execute_sql.p50>+50%,new_steps>0,feedback:helpfulness<-0.5,p50>=+200ms",
        )
        .unwrap();
        assert_eq!(c.len(), 7);
        assert_eq!(
            (c[0].metric.clone(), c[0].op, c[0].value),
            (Metric::Errors, Op::Gt, 0.0)
        );
        assert!(c[1].relative && c[1].value == 20.0);
        assert_eq!(
            c[3].metric,
            Metric::Step("execute_sql".into(), StepField::P50)
        );
        assert_eq!(c[5].metric, Metric::Feedback("helpfulness".into()));
        assert_eq!((c[5].op, c[5].value, c[5].relative), (Op::Lt, -0.5, false));
        assert_eq!((c[6].op, c[6].value), (Op::Ge, 2e8));
    }

    #[test]
    fn bad_conditions_say_what_is_wrong() {
        assert_eq!(parse(""), Err(GateError::Empty));
        assert!(matches!(parse("errors"), Err(GateError::NoOperator(_))));
        assert!(matches!(parse("latency>1"), Err(GateError::Metric(_))));
        assert!(matches!(parse("step:x.p99>1"), Err(GateError::Metric(_))));
        assert!(matches!(parse("p95>+lots%"), Err(GateError::Value(_))));
    }
}
