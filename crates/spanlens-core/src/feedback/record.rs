//! One sidecar line: an MLflow 3 assessment as `Assessment.to_dictionary()` writes it, and
//! its conversion to the model's `Assessment`.

use crate::model::{Assessment, ids, time};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who made an assessment (`HUMAN` and the user name, for marks made in the explorer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordSource {
    pub source_type: String,
    #[serde(default)]
    pub source_id: String,
}

/// A feedback's or an expectation's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Body {
    #[serde(default)]
    pub value: Value,
}

/// An MLflow 3 assessment record. Fields MLflow may add (`metadata`, …) are ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub assessment_id: String,
    pub assessment_name: String,
    pub trace_id: String,
    /// Absent when the assessment is about the whole trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    pub source: RecordSource,
    pub create_time: String,
    pub last_update_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Body>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectation: Option<Body>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// The assessment this one replaces (an edit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<String>,
    /// False for a removal, or for an assessment another one overrides.
    #[serde(default = "yes")]
    pub valid: bool,
}

fn yes() -> bool {
    true
}

/// What a new record says: a feedback value or an expectation.
#[derive(Clone, Debug, PartialEq)]
pub enum Judgement {
    Feedback(Value),
    Expectation(Value),
}

impl Record {
    /// A new human assessment made now by `user`.
    pub fn new(
        name: &str,
        judgement: Judgement,
        (trace_id, span_id): (&str, Option<&str>),
        user: &str,
        now_ns: i64,
    ) -> Record {
        let now = time::format_iso_ms(now_ns);
        let (feedback, expectation) = match judgement {
            Judgement::Feedback(value) => (Some(Body { value }), None),
            Judgement::Expectation(value) => (None, Some(Body { value })),
        };
        Record {
            assessment_id: new_id(now_ns),
            assessment_name: name.to_owned(),
            trace_id: trace_id.to_owned(),
            span_id: span_id.map(str::to_owned),
            source: RecordSource {
                source_type: "HUMAN".into(),
                source_id: user.to_owned(),
            },
            create_time: now.clone(),
            last_update_time: now,
            feedback,
            expectation,
            rationale: None,
            overrides: None,
            valid: true,
        }
    }

    /// The record that removes this one: the same id, marked not valid, updated now.
    pub fn removal(&self, now_ns: i64) -> Record {
        Record {
            valid: false,
            last_update_time: time::format_iso_ms(now_ns),
            ..self.clone()
        }
    }

    /// The record that removes assessment `a` (one of ours, loaded from a sidecar or made
    /// this session): its id, marked not valid. `trace_id` is the id to write.
    pub fn removal_of(a: &Assessment, trace_id: &str, now_ns: i64) -> Option<Record> {
        let id = a.id.clone()?;
        let (source_type, source_id) = (a.source.as_deref().unwrap_or("HUMAN"))
            .split_once(' ')
            .unwrap_or(("HUMAN", ""));
        let body = Some(Body {
            value: a.value.clone(),
        });
        let made = time::format_iso_ms(a.time_ns.unwrap_or(now_ns));
        let expectation = a.kind == "expectation";
        Some(Record {
            assessment_id: id,
            assessment_name: a.name.clone(),
            trace_id: trace_id.to_owned(),
            span_id: a.span_id.clone(),
            source: RecordSource {
                source_type: source_type.to_owned(),
                source_id: source_id.to_owned(),
            },
            create_time: made,
            last_update_time: time::format_iso_ms(now_ns),
            feedback: if expectation { None } else { body.clone() },
            expectation: if expectation { body } else { None },
            rationale: a.rationale.clone(),
            overrides: None,
            valid: false,
        })
    }

    /// The model's view of this record.
    pub fn to_assessment(&self) -> Assessment {
        let (kind, value) = match (&self.feedback, &self.expectation) {
            (_, Some(e)) => ("expectation", e.value.clone()),
            (Some(f), None) => ("feedback", f.value.clone()),
            (None, None) => ("feedback", Value::Null),
        };
        let source = format!("{} {}", self.source.source_type, self.source.source_id);
        Assessment {
            trace_id: ids::normalize(&self.trace_id).into_owned(),
            span_id: (self.span_id.as_deref())
                .filter(|s| ids::is_present(s))
                .map(|s| ids::normalize(s).into_owned()),
            name: self.assessment_name.clone(),
            kind: kind.into(),
            value,
            rationale: self.rationale.clone(),
            source: Some(source.trim().to_owned()),
            error: None,
            id: Some(self.assessment_id.clone()),
            time_ns: time::parse_iso(&self.last_update_time),
        }
    }
}

/// `a-` and 32 hex digits, as MLflow's ids look: random bytes from the OS, else the time,
/// the process id and a counter (unique within and across processes either way).
fn new_id(now_ns: i64) -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if random.is_err() {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&now_ns.to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
        bytes[12..].copy_from_slice(&n.to_le_bytes());
    }
    format!("a-{}", ids::to_hex(&bytes))
}

/// Now, in ns since the epoch.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The user to name as a human source: `$USER`, else `$LOGNAME`, else `unknown`.
pub fn user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}
