//! Conditions: rows of `{field, operator, value}` in `all`/`any` groups, built in the
//! builder's step 3, or a Rhai script written by hand.
//!
//! Built rows are checked against the trigger's payload fields (the field exists, the
//! operator suits its kind, the value fits) and compiled to Rhai that calls the `op_*`
//! functions of the sandbox, e.g. `op_has_tag(client.tags, "vip")`. Values are written
//! as literals that cannot break out of themselves (see `literal`), and fields can only
//! be catalogued paths, so nothing an owner types becomes code.
//!
//! A built condition compiles to one array of row results (`[row0, row1, …]`) that is
//! combined by the groups in Rust: one run gives both the verdict and the trace of every
//! row for the execution log. [`CompiledConditions::rhai`] is the same logic as a single
//! boolean expression, to show the owner or start a hand-written script from.

mod build;
mod literal;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Problem;
use crate::script::{Sandbox, Script, ScriptError, ScriptInput};
use crate::triggers::Trigger;

/// The conditions of an automation version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Conditions {
    /// Rows from the builder. An empty group matches every event.
    Builder(ConditionGroup),
    /// A hand-written Rhai script that ends in `true` or `false`.
    Script { source: String },
}

impl Default for Conditions {
    fn default() -> Self {
        Self::Builder(ConditionGroup::default())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    #[default]
    All,
    Any,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConditionGroup {
    #[serde(rename = "match", default)]
    pub mode: Match,
    #[serde(default)]
    pub rows: Vec<ConditionRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ConditionGroup>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionRow {
    /// A payload path: `client.tags`, `booking.service_type`, `booking.sitter.name`.
    pub field: String,
    pub operator: Operator,
    /// A text, number or boolean; a list for `in`; absent for `is_empty`/`is_not_empty`.
    #[serde(default)]
    pub value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    GreaterThan,
    LessThan,
    IsEmpty,
    IsNotEmpty,
    In,
    HasTag,
}

impl Operator {
    pub const ALL: [Operator; 10] = [
        Self::Equals,
        Self::NotEquals,
        Self::Contains,
        Self::NotContains,
        Self::GreaterThan,
        Self::LessThan,
        Self::IsEmpty,
        Self::IsNotEmpty,
        Self::In,
        Self::HasTag,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equals => "equals",
            Self::NotEquals => "not_equals",
            Self::Contains => "contains",
            Self::NotContains => "not_contains",
            Self::GreaterThan => "greater_than",
            Self::LessThan => "less_than",
            Self::IsEmpty => "is_empty",
            Self::IsNotEmpty => "is_not_empty",
            Self::In => "in",
            Self::HasTag => "has_tag",
        }
    }

    /// The sandbox function that implements it.
    pub fn function(self) -> &'static str {
        match self {
            Self::Equals => "op_equals",
            Self::NotEquals => "op_not_equals",
            Self::Contains => "op_contains",
            Self::NotContains => "op_not_contains",
            Self::GreaterThan => "op_greater_than",
            Self::LessThan => "op_less_than",
            Self::IsEmpty => "op_is_empty",
            Self::IsNotEmpty => "op_is_not_empty",
            Self::In => "op_in",
            Self::HasTag => "op_has_tag",
        }
    }

    pub fn takes_value(self) -> bool {
        !matches!(self, Self::IsEmpty | Self::IsNotEmpty)
    }
}

/// How one row (or a whole script) came out, for Test Mode and the execution log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConditionCheck {
    /// Where the row is, named as a save's problems name it (`conditions.rows[0]`,
    /// `conditions.groups[1].rows[0]`), so a result can be shown with its group; absent
    /// for a script.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The row's Rhai (`op_has_tag(client.tags, "vip")`), or the script's source.
    pub expression: String,
    pub field: Option<String>,
    pub operator: Option<Operator>,
    pub value: Value,
    /// The field's value in this payload.
    pub actual: Value,
    pub passed: bool,
}

/// Conditions ready to run: compiled once when the version is saved.
#[derive(Clone, Debug)]
pub struct CompiledConditions {
    script: Script,
    rhai: String,
    built: Option<build::Built>,
}

impl Conditions {
    /// Validates and compiles for `trigger`. Problems name the field they are about
    /// (`conditions.rows[1].value`, `conditions.groups[0].rows[0].field`, `conditions.source`).
    pub fn compile(
        &self,
        trigger: Trigger,
        sandbox: &Sandbox,
    ) -> Result<CompiledConditions, Vec<Problem>> {
        match self {
            Self::Builder(group) => {
                let built = build::Built::new(group, trigger)?;
                let script = sandbox
                    .compile(&built.rows_array(), trigger)
                    .map_err(|e| vec![Problem::new("conditions", e.to_string())])?;
                Ok(CompiledConditions {
                    rhai: built.expression(),
                    script,
                    built: Some(built),
                })
            }
            Self::Script { source } => {
                if source.len() > MAX_SCRIPT_LEN {
                    return Err(vec![Problem::new(
                        "conditions.source",
                        format!("a script may be at most {MAX_SCRIPT_LEN} bytes"),
                    )]);
                }
                let script = sandbox.compile(source, trigger).map_err(|e| {
                    vec![Problem::new("conditions.source", e.message.clone()).at(e.line, e.column)]
                })?;
                Ok(CompiledConditions {
                    script,
                    rhai: source.clone(),
                    built: None,
                })
            }
        }
    }
}

/// Longest hand-written condition script.
pub const MAX_SCRIPT_LEN: usize = 10_000;

impl CompiledConditions {
    /// Whether these are builder rows: an expression with no loops, whose evaluation
    /// takes microseconds whatever the payload (a script may run to its deadline).
    pub fn is_builder(&self) -> bool {
        self.built.is_some()
    }

    /// The conditions as one Rhai boolean expression (or the script as written).
    pub fn rhai(&self) -> &str {
        &self.rhai
    }

    /// Runs the conditions against one event: the verdict and one check per row (one in
    /// all for a script).
    pub fn evaluate(
        &self,
        sandbox: &Sandbox,
        input: &ScriptInput,
        payload: &Value,
    ) -> Result<(bool, Vec<ConditionCheck>), ScriptError> {
        match &self.built {
            Some(built) => {
                let results = sandbox.run(&self.script, input)?;
                built.combine(results, payload)
            }
            None => {
                let passed = sandbox.run_condition(&self.script, input)?;
                let check = ConditionCheck {
                    at: None,
                    expression: self.rhai.clone(),
                    field: None,
                    operator: None,
                    value: Value::Null,
                    actual: Value::Null,
                    passed,
                };
                Ok((passed, vec![check]))
            }
        }
    }
}

#[cfg(test)]
mod tests;
