//! Whether a judgement is good or bad, and its value as a number, whatever the source
//! (MLflow feedback, a Langfuse score, a Phoenix label, a thumb from the explorer).

use crate::model::Assessment;
use serde_json::Value;

/// What a judgement says about its item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Good,
    Bad,
}

const GOOD: &[&str] = &[
    "yes",
    "good",
    "thumbs up",
    "thumbs_up",
    "thumbsup",
    "up",
    "👍",
    "pass",
    "correct",
    "true",
];
const BAD: &[&str] = &[
    "no",
    "bad",
    "thumbs down",
    "thumbs_down",
    "thumbsdown",
    "down",
    "👎",
    "fail",
    "incorrect",
    "false",
];

/// Bad for `false`, `"no"`/`"bad"`/thumbs down, or a 1-5 score of 2 or less; good for the
/// opposites (`true`, `"yes"`/`"good"`/thumbs up, a 1-5 score of 4 or more). A 3, any other
/// number and free text say neither. A Phoenix `{label, score}` is judged by its label,
/// else its score.
pub fn verdict(v: &Value) -> Option<Verdict> {
    match v {
        Value::Bool(true) => Some(Verdict::Good),
        Value::Bool(false) => Some(Verdict::Bad),
        Value::String(s) => {
            let s = s.trim().to_lowercase();
            if GOOD.contains(&s.as_str()) {
                Some(Verdict::Good)
            } else if BAD.contains(&s.as_str()) {
                Some(Verdict::Bad)
            } else {
                None
            }
        }
        Value::Number(n) => match n.as_f64()? {
            x if x.fract() != 0.0 || !(1.0..=5.0).contains(&x) => None,
            x if x <= 2.0 => Some(Verdict::Bad),
            x if x >= 4.0 => Some(Verdict::Good),
            _ => None,
        },
        Value::Object(o) => o
            .get("label")
            .and_then(verdict)
            .or_else(|| o.get("score").and_then(verdict)),
        _ => None,
    }
}

/// The verdict of an assessment; expectations are not judgements.
pub fn of(a: &Assessment) -> Option<Verdict> {
    if a.kind == "expectation" || a.error.is_some() {
        return None;
    }
    verdict(&a.value)
}

/// The value as a number, for `assess:NAME<3`: numbers, booleans as 1 and 0, numeric
/// strings, and a Phoenix `{score}`.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o.get("score").and_then(number),
        _ => None,
    }
}

/// A trace's judgements, counted for the trace list: good, bad, and the rest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub good: u32,
    pub bad: u32,
    pub other: u32,
}

impl Tally {
    pub fn add(&mut self, a: &Assessment) {
        match of(a) {
            Some(Verdict::Good) => self.good += 1,
            Some(Verdict::Bad) => self.bad += 1,
            None => self.other += 1,
        }
    }
}

/// One tally per trace of `set` (spans' assessments count for their trace).
pub fn tallies(set: &crate::model::TraceSet) -> Vec<Tally> {
    let mut out = vec![Tally::default(); set.traces.len()];
    for (a, (t, _)) in set.assessments.iter().zip(&set.assessment_targets) {
        if let Some(t) = t {
            out[t.0 as usize].add(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn good_and_bad() {
        use Verdict::*;
        for (v, want) in [
            (json!(false), Some(Bad)),
            (json!("No"), Some(Bad)),
            (json!("thumbs down"), Some(Bad)),
            (json!(2), Some(Bad)),
            (json!(1), Some(Bad)),
            (json!(3), None),
            (json!(4), Some(Good)),
            (json!(0.2), None),
            (json!(true), Some(Good)),
            (json!("good"), Some(Good)),
            (json!({"label": "bad", "score": 5}), Some(Bad)),
            (json!({"score": 1}), Some(Bad)),
            (json!("the retriever was wrong"), None),
        ] {
            assert_eq!(verdict(&v), want, "{v}");
        }
        assert_eq!(number(&json!("2.5")), Some(2.5));
        assert_eq!(number(&json!(true)), Some(1.0));
    }
}
