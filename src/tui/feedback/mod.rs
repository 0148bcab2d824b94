//! Marking in the explorer: thumbs, 1-5 scores, notes, expected outputs and removals.
//! Each mark becomes a sidecar record (saved at once, or kept in memory until `as`
//! retries) and an assessment in the shown set, so the detail pane, the trace list's
//! column and search see it at once.

pub mod editor;
pub mod tally;

use super::action::Action;
use super::app::{App, Effect, Screen};
use super::keymap::Key;
use crate::feedback::record::{self, Judgement, Record};
use crate::feedback::verdict::Tally;
use crate::model::{Assessment, SpanIx, TraceIx};
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use serde_json::Value;
use std::sync::Arc;

/// What a mark is about: a span, or a whole trace (`span` is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub trace: TraceIx,
    pub span: Option<SpanIx>,
}

/// The note being typed on the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteInput {
    pub target: Target,
    pub text: String,
}

impl App {
    /// Applies a feedback action to the selected span or trace.
    pub(super) fn update_feedback(&mut self, action: Action) -> bool {
        if action == Action::SaveFeedback {
            self.status = Some(self.feedback.flush().message("unsaved feedback"));
            return true;
        }
        let Some(target) = self.feedback_target() else {
            return true;
        };
        let score = |n: u8| {
            (
                "score",
                Judgement::Feedback(n.into()),
                format!("score {n}/5"),
            )
        };
        let (name, judgement, label) = match action {
            Action::ThumbsUp => (
                "thumbs",
                Judgement::Feedback(true.into()),
                "thumbs up".into(),
            ),
            Action::ThumbsDown => (
                "thumbs",
                Judgement::Feedback(false.into()),
                "thumbs down".into(),
            ),
            Action::Score1 => score(1),
            Action::Score2 => score(2),
            Action::Score3 => score(3),
            Action::Score4 => score(4),
            Action::Score5 => score(5),
            Action::FeedbackNote => {
                self.note = Some(NoteInput {
                    target,
                    text: String::new(),
                });
                return true;
            }
            Action::ExpectedOutput => {
                let text = self.actual_output(target);
                self.effects.push(Effect::Edit { target, text });
                return true;
            }
            Action::RemoveFeedback => {
                self.remove_mine(target);
                return true;
            }
            _ => return false,
        };
        self.judge(target, name, judgement, &label);
        true
    }

    /// The selected span, or its trace when the cursor is on the root or in the trace
    /// list. `None`, with a status message, where nothing can be marked.
    fn feedback_target(&mut self) -> Option<Target> {
        if self.set.partial || self.screen == Screen::Loading {
            self.status = Some("wait until the traces have loaded to mark them".into());
            return None;
        }
        let target = match self.screen {
            Screen::Traces => self
                .traces
                .selected()
                .map(|trace| Target { trace, span: None }),
            Screen::Trace => self.tree.as_ref().and_then(|tree| {
                let s = tree.selected()?;
                let root = s.0 == self.set.trace(tree.trace).span_start;
                Some(Target {
                    trace: tree.trace,
                    span: (!root).then_some(s),
                })
            }),
            _ => None,
        };
        if target.is_none() {
            self.status = Some("select a trace or a span to mark".into());
        }
        target
    }

    /// `trace "name"` or `span "name"`, for the status line.
    fn describe(&self, target: Target) -> String {
        match target.span {
            Some(s) => format!("span \"{}\"", self.set.span_name(s)),
            None => format!(
                "trace \"{}\"",
                self.set.str(self.set.trace(target.trace).name)
            ),
        }
    }

    /// The trace id as the source spelled it (so MLflow finds its own traces), and the
    /// span id.
    fn target_ids(&self, target: Target) -> (String, Option<String>) {
        let tr = self.set.trace(target.trace);
        let trace = match self.set.str(tr.original_id) {
            "" => self.set.str(tr.id),
            o => o,
        };
        let span = target.span.map(|s| self.set.span_id(s).to_owned());
        (trace.to_owned(), span)
    }

    /// Records a new judgement; it replaces (overrides) this user's last one of the same
    /// name on the same target.
    fn judge(&mut self, target: Target, name: &str, judgement: Judgement, label: &str) {
        let (trace_id, span_id) = self.target_ids(target);
        let user = record::user();
        let mut rec = Record::new(
            name,
            judgement,
            (&trace_id, span_id.as_deref()),
            &user,
            record::now_ns(),
        );
        rec.overrides = (self.mine(target, &user).into_iter())
            .rfind(|&i| self.set.assessments[i].name == name)
            .and_then(|i| self.set.assessments[i].id.clone());
        self.apply(target, &rec);
        let saved = self.feedback.save(vec![rec]);
        let what = format!("{label} on {}", self.describe(target));
        self.status = Some(saved.message(&what));
    }

    /// Indices of the assessments on `target` that `user` made and that have an id (the
    /// ones a sidecar can edit or remove).
    fn mine(&self, target: Target, user: &str) -> Vec<usize> {
        let source = format!("HUMAN {user}");
        let set = &self.set;
        (set.assessments_on(move |t, s| t == Some(target.trace) && s == target.span))
            .filter(|(_, a)| a.id.is_some() && a.source.as_deref() == Some(source.as_str()))
            .map(|(i, _)| i)
            .collect()
    }

    /// Puts `rec` into the shown set: what it overrides or removes goes, and a valid
    /// record is added. The set is copied only when a worker still shares it.
    fn apply(&mut self, target: Target, rec: &Record) {
        let set = Arc::make_mut(&mut self.set);
        let gone = |a: &Assessment| {
            let id = a.id.as_deref();
            id.is_some()
                && (id == rec.overrides.as_deref()
                    || (!rec.valid && id == Some(rec.assessment_id.as_str())))
        };
        set.drop_assessments(gone);
        if rec.valid {
            set.assessments.push(rec.to_assessment());
            set.assessment_targets
                .push((Some(target.trace), target.span));
        }
        let mut tally = Tally::default();
        for a in set.assessments_for(target.trace, None) {
            tally.add(a);
        }
        if let Some(slot) = self.tallies.get_mut(target.trace.0 as usize) {
            *slot = tally;
        }
        if self.tallies_pending.is_some() {
            // The job counts the set from before this mark: ask again.
            self.count_verdicts();
        }
        self.detail.invalidate();
    }

    /// Removes this user's judgements on `target` (a `valid: false` line each).
    fn remove_mine(&mut self, target: Target) {
        let (trace_id, _) = self.target_ids(target);
        let now = record::now_ns();
        let removals: Vec<Record> = (self.mine(target, &record::user()).into_iter())
            .filter_map(|i| Record::removal_of(&self.set.assessments[i], &trace_id, now))
            .collect();
        if removals.is_empty() {
            self.status = Some(format!(
                "none of your feedback on {}",
                self.describe(target)
            ));
            return;
        }
        for r in &removals {
            self.apply(target, r);
        }
        let what = format!(
            "removal of {} judgement{} on {}",
            removals.len(),
            super::app::plural(removals.len() as u32),
            self.describe(target)
        );
        let saved = self.feedback.save(removals);
        self.status = Some(saved.message(&what));
    }

    /// The output the expected one starts from: the span's, or the root's for a trace.
    fn actual_output(&self, target: Target) -> String {
        let span = target
            .span
            .unwrap_or(SpanIx(self.set.trace(target.trace).span_start));
        let text = (self.set.span(span).output).map_or(String::new(), |o| self.set.sources.text(o));
        // The editor shows it in the terminal: the trace's escapes must not reach it.
        crate::inert::text(&text).into_owned()
    }

    /// The editor closed: records the expected output it left (JSON when it is a JSON
    /// object or array, else text), or says why not.
    pub fn on_edited(&mut self, target: Target, result: Result<String, editor::EditorError>) {
        let text = match result {
            Ok(t) if t.trim().is_empty() => {
                self.status = Some("the expected output was empty: nothing recorded".into());
                return;
            }
            Ok(t) => t.trim_end_matches(['\n', '\r']).to_owned(),
            Err(e) => {
                self.status = Some(format!("editor failed: {e}; nothing recorded"));
                return;
            }
        };
        let value = serde_json::from_str::<Value>(&text)
            .ok()
            .filter(|v| v.is_object() || v.is_array())
            .unwrap_or(Value::String(text));
        let expectation = Judgement::Expectation(value);
        let name = crate::feedback::golden::EXPECTED_RESPONSE;
        self.judge(target, name, expectation, "expected output");
    }

    /// A key while a note is being typed: Enter records it, Esc drops it.
    pub(super) fn note_key(&mut self, key: Key) -> bool {
        let Some(note) = self.note.as_mut() else {
            return false;
        };
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.note = None;
                self.status = Some("note dropped".into());
            }
            KeyCode::Enter => {
                let NoteInput { target, text } = self.note.take().expect("a note is open");
                if text.trim().is_empty() {
                    self.status = Some("empty note: nothing recorded".into());
                } else {
                    self.judge(target, "note", Judgement::Feedback(text.into()), "note");
                }
            }
            KeyCode::Backspace => {
                note.text.pop();
            }
            KeyCode::Char('u') if ctrl => note.text.clear(),
            KeyCode::Char('c') if ctrl => self.should_quit = true,
            KeyCode::Char(c) if !ctrl => note.text.push(c),
            _ => return false,
        }
        true
    }
}
