//! An automation version's program (trigger, conditions, actions with their templates),
//! its validation when saved, and its evaluation against an event.
//!
//! `AutomationVersion::compile` checks everything the builder lets an owner get wrong
//! and compiles the conditions once; the engine caches the [`CompiledAutomation`] per
//! version. [`evaluate`] then turns one payload into an [`Evaluation`]: Test Mode stores
//! it as a `test` execution and sends nothing, a live run carries its steps out in
//! order (a `wait` becomes a delayed job; `due_after_minutes` says when each step is
//! due). Both call the same function with the same inputs, so what the test showed is
//! what the live run does.

mod actions;
mod evaluation;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use actions::{
    Action, MAX_ACTIONS, MAX_TAG_CHARS, MAX_TITLE_CHARS, Recipient, Severity, WAIT_MINUTES,
};
pub use evaluation::{Evaluation, EvaluationError, PlannedStep, StepError};

use crate::conditions::{CompiledConditions, Conditions};
use crate::script::{Sandbox, ScriptInput};
use crate::triggers::{self, TriggerSpec};
use crate::{Invalid, Problem};

/// What one saved version of an automation does. The engine keeps the name, lane,
/// status and version number beside it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationVersion {
    pub trigger: TriggerSpec,
    #[serde(default)]
    pub conditions: Conditions,
    pub actions: Vec<Action>,
}

/// A version whose conditions are compiled: build once per version, evaluate per event.
#[derive(Clone, Debug)]
pub struct CompiledAutomation {
    version: AutomationVersion,
    conditions: CompiledConditions,
}

impl AutomationVersion {
    /// Checks the whole version and compiles its conditions; every problem is reported
    /// at once, each naming the field it is about.
    pub fn compile(&self) -> Result<CompiledAutomation, Invalid> {
        let trigger = self.trigger.trigger();
        let mut problems = Vec::new();
        if let Err(reason) = self.trigger.validate() {
            problems.push(Problem::new("trigger", reason));
        }
        let conditions = match self.conditions.compile(trigger, Sandbox::shared()) {
            Ok(c) => Some(c),
            Err(p) => {
                problems.extend(p);
                None
            }
        };
        if self.actions.is_empty() {
            problems.push(Problem::new("actions", "add at least one action"));
        }
        if self.actions.len() > MAX_ACTIONS {
            problems.push(Problem::new(
                "actions",
                format!("at most {MAX_ACTIONS} actions"),
            ));
        }
        for (i, action) in self.actions.iter().enumerate() {
            action.validate(trigger, &format!("actions[{i}]"), &mut problems);
        }
        if matches!(self.actions.last(), Some(Action::Wait { .. })) {
            problems.push(Problem::new(
                format!("actions[{}]", self.actions.len() - 1),
                "a wait must be followed by another action",
            ));
        }
        match conditions {
            Some(conditions) if problems.is_empty() => Ok(CompiledAutomation {
                version: self.clone(),
                conditions,
            }),
            _ => Err(problems.into()),
        }
    }
}

impl CompiledAutomation {
    pub fn version(&self) -> &AutomationVersion {
        &self.version
    }

    /// Whether evaluating takes microseconds whatever the payload: builder conditions
    /// (a hand-written script may run to the sandbox's deadline).
    pub fn evaluates_quickly(&self) -> bool {
        self.conditions.is_builder()
    }

    /// The conditions as one Rhai expression (or the script as written).
    pub fn conditions_rhai(&self) -> &str {
        self.conditions.rhai()
    }

    /// Evaluates against the trigger's sample payload: Test Mode when the owner did not
    /// pick a real event.
    pub fn evaluate_sample(&self) -> Result<Evaluation, EvaluationError> {
        evaluate(self, &triggers::sample(self.version.trigger.trigger()))
    }
}

/// Evaluates an automation version against one event's payload.
pub fn evaluate(
    automation: &CompiledAutomation,
    payload: &Value,
) -> Result<Evaluation, EvaluationError> {
    let trigger = automation.version.trigger.trigger();
    triggers::check_payload(trigger, payload).map_err(EvaluationError::Payload)?;
    let input = ScriptInput::from_payload(payload).map_err(EvaluationError::Conditions)?;
    let (conditions_passed, condition_trace) = automation
        .conditions
        .evaluate(Sandbox::shared(), &input, payload)
        .map_err(EvaluationError::Conditions)?;
    let steps = if conditions_passed {
        evaluation::plan_steps(&automation.version.actions, payload)
    } else {
        Vec::new()
    };
    Ok(Evaluation {
        conditions_passed,
        condition_trace,
        steps,
    })
}

#[cfg(test)]
mod tests;
