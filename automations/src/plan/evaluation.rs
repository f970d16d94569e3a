//! What one event makes of an automation: the condition verdict and trace, and the
//! planned steps with their texts rendered. The engine records it (Test Mode) or carries
//! the steps out (a live run); both get it from the same call.

use serde::Serialize;
use serde_json::Value;

use super::actions::{Action, MAX_TITLE_CHARS, Recipient};
use crate::conditions::ConditionCheck;
use crate::script::ScriptError;
use crate::templates::{self, Audience, Segments, TemplateError, TemplateErrorKind};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub conditions_passed: bool,
    /// One entry per builder row, or one for a script.
    pub condition_trace: Vec<ConditionCheck>,
    /// Empty when the conditions did not pass (the execution is `skipped`).
    pub steps: Vec<PlannedStep>,
}

impl Evaluation {
    /// The index of the first step that cannot be carried out, if any.
    pub fn first_failed_step(&self) -> Option<usize> {
        self.steps
            .iter()
            .find(|s| s.error.is_some())
            .map(|s| s.index)
    }

    /// Conditions ran and every step is ready: what a passing test run needs.
    pub fn is_ok(&self) -> bool {
        self.first_failed_step().is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedStep {
    /// Position in the automation's actions, from 0; a re-run starts from one.
    pub index: usize,
    pub action: Action,
    /// Minutes after the trigger this step is due: the sum of the waits before it.
    pub due_after_minutes: i64,
    /// Whose id the step acts on: the client's for `send_sms` to a client and the tag
    /// actions, the sitter's for `send_sms` to a sitter; none for the owner.
    pub recipient_id: Option<String>,
    pub rendered_title: Option<String>,
    pub rendered_text: Option<String>,
    /// The cost of a `send_sms`.
    pub segments: Option<Segments>,
    pub error: Option<StepError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepError {
    #[error("{field}: {error}")]
    Template {
        /// `title` or `template`.
        field: &'static str,
        error: TemplateError,
    },
    #[error("this booking has no sitter assigned")]
    NoSitter,
}

/// Why an event could not be evaluated at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvaluationError {
    #[error("the payload does not fit the trigger: {0}")]
    Payload(String),
    #[error("conditions: {0}")]
    Conditions(ScriptError),
}

pub(super) fn plan_steps(actions: &[Action], payload: &Value) -> Vec<PlannedStep> {
    let mut due = 0;
    actions
        .iter()
        .enumerate()
        .map(|(index, action)| {
            let step = plan_step(index, action, due, payload);
            if let Action::Wait { minutes } = action {
                due += minutes;
            }
            step
        })
        .collect()
}

fn plan_step(index: usize, action: &Action, due: i64, payload: &Value) -> PlannedStep {
    let mut step = PlannedStep {
        index,
        action: action.clone(),
        due_after_minutes: due,
        recipient_id: None,
        rendered_title: None,
        rendered_text: None,
        segments: None,
        error: None,
    };
    let id = |path: &[&str]| {
        path.iter()
            .try_fold(payload, |v, k| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    step.recipient_id = match action {
        Action::SendSms {
            to: Recipient::Client,
            ..
        }
        | Action::AddTag { .. }
        | Action::RemoveTag { .. } => id(&["client", "id"]),
        Action::SendSms {
            to: Recipient::Sitter,
            ..
        } => {
            let sitter = id(&["sitter", "id"]).or_else(|| id(&["booking", "sitter", "id"]));
            if sitter.is_none() {
                step.error = Some(StepError::NoSitter);
                return step;
            }
            sitter
        }
        _ => None,
    };
    let audience = action.audience().unwrap_or(Audience::Owner);
    let (title, body) = action.templates();
    if let Some(title) = title {
        match templates::render_for(title, payload, audience) {
            Ok(t) if t.chars().count() > MAX_TITLE_CHARS => {
                step.error = Some(StepError::Template {
                    field: "title",
                    error: TemplateError {
                        kind: TemplateErrorKind::TooLong,
                        message: format!("a title may be at most {MAX_TITLE_CHARS} characters"),
                        line: None,
                    },
                });
                return step;
            }
            Ok(t) => step.rendered_title = Some(t),
            Err(error) => {
                step.error = Some(StepError::Template {
                    field: "title",
                    error,
                });
                return step;
            }
        }
    }
    if let Some(body) = body {
        match templates::render_for(body, payload, audience) {
            Ok(text) => {
                if matches!(action, Action::SendSms { .. }) {
                    step.segments = Some(templates::segments::count(&text));
                }
                step.rendered_text = Some(text);
            }
            Err(error) => {
                step.error = Some(StepError::Template {
                    field: "template",
                    error,
                });
            }
        }
    }
    step
}
