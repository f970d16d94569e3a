//! Checking builder rows against the payload fields and writing them as Rhai.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::literal::{self, MAX_NUMBER};
use super::{ConditionCheck, ConditionGroup, ConditionRow, Match, Operator};
use crate::Problem;
use crate::script::{ScriptError, ScriptErrorKind};
use crate::triggers::{FieldKind, Trigger};

pub(crate) const MAX_ROWS: usize = 50;
pub(crate) const MAX_DEPTH: usize = 3;
pub(crate) const MAX_VALUE_LEN: usize = 500;
pub(crate) const MAX_LIST_LEN: usize = 100;

/// A validated group with each row's value coerced to its field's kind and its Rhai.
#[derive(Clone, Debug)]
pub(crate) struct Built {
    group: ConditionGroup,
    rows: Vec<BuiltRow>,
}

#[derive(Clone, Debug)]
struct BuiltRow {
    /// `conditions.groups[0].rows[1]`.
    at: String,
    row: ConditionRow,
    expression: String,
}

impl Built {
    pub(crate) fn new(group: &ConditionGroup, trigger: Trigger) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut rows = Vec::new();
        let group = walk(group, trigger, "conditions", 1, &mut rows, &mut problems);
        if rows.len() > MAX_ROWS {
            problems.push(Problem::new(
                "conditions",
                format!("at most {MAX_ROWS} rows"),
            ));
        }
        if problems.is_empty() {
            Ok(Self { group, rows })
        } else {
            Err(problems)
        }
    }

    /// The script that runs: every row's result, in order.
    pub(crate) fn rows_array(&self) -> String {
        let items: Vec<&str> = self.rows.iter().map(|r| r.expression.as_str()).collect();
        format!("[{}]", items.join(", "))
    }

    /// The same logic as one boolean expression.
    pub(crate) fn expression(&self) -> String {
        let mut next = 0;
        self.group_expression(&self.group, &mut next)
    }

    fn group_expression(&self, group: &ConditionGroup, next: &mut usize) -> String {
        let mut parts = Vec::new();
        for _ in &group.rows {
            parts.push(self.rows[*next].expression.clone());
            *next += 1;
        }
        for sub in &group.groups {
            parts.push(format!("({})", self.group_expression(sub, next)));
        }
        if parts.is_empty() {
            return "true".to_owned();
        }
        let joiner = match group.mode {
            Match::All => " && ",
            Match::Any => " || ",
        };
        parts.join(joiner)
    }

    /// Turns the script's array of row results into the verdict and the trace.
    pub(crate) fn combine(
        &self,
        results: rhai::Dynamic,
        payload: &Value,
    ) -> Result<(bool, Vec<ConditionCheck>), ScriptError> {
        let results: Vec<bool> = results
            .into_typed_array::<bool>()
            .ok()
            .filter(|r| r.len() == self.rows.len())
            .ok_or_else(|| {
                ScriptError::new(
                    ScriptErrorKind::NotBool,
                    "condition rows did not all give true or false",
                )
            })?;
        let mut next = 0;
        let passed = verdict(&self.group, &results, &mut next);
        let checks = self
            .rows
            .iter()
            .zip(&results)
            .map(|(built, &passed)| ConditionCheck {
                at: Some(built.at.clone()),
                expression: built.expression.clone(),
                field: Some(built.row.field.clone()),
                operator: Some(built.row.operator),
                value: built.row.value.clone(),
                actual: lookup(payload, &built.row.field),
                passed,
            })
            .collect();
        Ok((passed, checks))
    }
}

fn verdict(group: &ConditionGroup, results: &[bool], next: &mut usize) -> bool {
    let mut values = Vec::with_capacity(group.rows.len() + group.groups.len());
    for _ in &group.rows {
        values.push(results[*next]);
        *next += 1;
    }
    for sub in &group.groups {
        values.push(verdict(sub, results, next));
    }
    if values.is_empty() {
        return true;
    }
    match group.mode {
        Match::All => values.iter().all(|v| *v),
        Match::Any => values.iter().any(|v| *v),
    }
}

/// The value at a dotted path, `null` when any step is missing.
pub(crate) fn lookup(payload: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(payload, |v, key| v.get(key))
        .cloned()
        .unwrap_or(Value::Null)
}

fn walk(
    group: &ConditionGroup,
    trigger: Trigger,
    at: &str,
    depth: usize,
    rows: &mut Vec<BuiltRow>,
    problems: &mut Vec<Problem>,
) -> ConditionGroup {
    let mut out = ConditionGroup {
        mode: group.mode,
        rows: Vec::new(),
        groups: Vec::new(),
    };
    for (i, row) in group.rows.iter().enumerate() {
        let at = format!("{at}.rows[{i}]");
        match build_row(row, trigger, &at) {
            Ok(built) => {
                out.rows.push(built.row.clone());
                rows.push(built);
            }
            Err(problem) => problems.push(problem),
        }
    }
    for (i, sub) in group.groups.iter().enumerate() {
        let at = format!("{at}.groups[{i}]");
        if depth >= MAX_DEPTH {
            problems.push(Problem::new(
                at,
                format!("groups may be nested {MAX_DEPTH} deep"),
            ));
            continue;
        }
        out.groups
            .push(walk(sub, trigger, &at, depth + 1, rows, problems));
    }
    out
}

fn build_row(row: &ConditionRow, trigger: Trigger, at: &str) -> Result<BuiltRow, Problem> {
    let field = trigger.field(&row.field).ok_or_else(|| {
        Problem::new(
            format!("{at}.field"),
            format!("`{}` is not a field of a {trigger} event", row.field),
        )
    })?;
    let op = row.operator;
    let fits = match op {
        Operator::Equals | Operator::NotEquals => matches!(
            field.kind,
            FieldKind::Text | FieldKind::Number | FieldKind::Bool | FieldKind::DateTime
        ),
        Operator::Contains | Operator::NotContains => {
            matches!(field.kind, FieldKind::Text | FieldKind::TextList)
        }
        Operator::GreaterThan | Operator::LessThan => {
            matches!(field.kind, FieldKind::Number | FieldKind::DateTime)
        }
        Operator::IsEmpty | Operator::IsNotEmpty => true,
        Operator::In => matches!(field.kind, FieldKind::Text | FieldKind::Number),
        Operator::HasTag => field.kind == FieldKind::TextList,
    };
    if !fits {
        return Err(Problem::new(
            format!("{at}.operator"),
            format!("`{}` does not apply to `{}`", op.as_str(), row.field),
        ));
    }
    let value_at = format!("{at}.value");
    let value = if !op.takes_value() {
        if !row.value.is_null() {
            return Err(Problem::new(
                value_at,
                format!("`{}` takes no value", op.as_str()),
            ));
        }
        Value::Null
    } else if op == Operator::In {
        let items = match &row.value {
            Value::Array(items) => items.clone(),
            // A form sends "dog_walk, drop_in".
            Value::String(s) => s.split(',').map(|x| Value::from(x.trim())).collect(),
            _ => return Err(Problem::new(value_at, "`in` takes a list of values")),
        };
        if items.is_empty() || items.len() > MAX_LIST_LEN {
            return Err(Problem::new(
                value_at,
                format!("`in` takes 1 to {MAX_LIST_LEN} values"),
            ));
        }
        let items: Result<Vec<Value>, String> =
            items.iter().map(|v| coerce(v, field.kind)).collect();
        Value::Array(items.map_err(|e| Problem::new(value_at, e))?)
    } else {
        // `contains` and `has_tag` look for one text, also in a list of texts.
        let kind = match field.kind {
            FieldKind::TextList => FieldKind::Text,
            kind => kind,
        };
        coerce(&row.value, kind).map_err(|e| Problem::new(value_at, e))?
    };
    let subject = path_expression(&row.field);
    let expression = match &value {
        Value::Null => format!("{}({subject})", op.function()),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().filter_map(literal::scalar).collect();
            format!("{}({subject}, [{}])", op.function(), items.join(", "))
        }
        v => format!(
            "{}({subject}, {})",
            op.function(),
            literal::scalar(v).unwrap_or_default()
        ),
    };
    Ok(BuiltRow {
        at: at.to_owned(),
        row: ConditionRow {
            field: row.field.clone(),
            operator: op,
            value,
        },
        expression,
    })
}

/// `booking.sitter.name` → `booking.sitter?.name`: a nested object may be null.
fn path_expression(path: &str) -> String {
    let mut parts = path.split('.');
    let mut out = parts.next().unwrap_or_default().to_owned();
    if let Some(second) = parts.next() {
        out.push('.');
        out.push_str(second);
    }
    for part in parts {
        out.push_str("?.");
        out.push_str(part);
    }
    out
}

/// The value as the field's kind expects it, or why it cannot be.
fn coerce(value: &Value, kind: FieldKind) -> Result<Value, String> {
    match (kind, value) {
        (FieldKind::Text, Value::String(s)) => {
            if s.chars().count() > MAX_VALUE_LEN {
                Err(format!("a value may be at most {MAX_VALUE_LEN} characters"))
            } else {
                Ok(value.clone())
            }
        }
        (FieldKind::Text, Value::Number(n)) => Ok(Value::from(n.to_string())),
        (FieldKind::Number, Value::Number(_)) => literal::scalar(value)
            .map(|_| value.clone())
            .ok_or_else(|| format!("numbers must be within ±{MAX_NUMBER:e}")),
        (FieldKind::Number, Value::String(s)) => {
            let n: serde_json::Number = s
                .trim()
                .parse()
                .map_err(|_| format!("`{s}` is not a number"))?;
            coerce(&Value::Number(n), kind)
        }
        (FieldKind::Bool, Value::Bool(_)) => Ok(value.clone()),
        (FieldKind::Bool, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(Value::Bool(true)),
            "false" | "no" => Ok(Value::Bool(false)),
            _ => Err(format!("`{s}` is not true or false")),
        },
        (FieldKind::DateTime, Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| {
                Value::from(
                    t.with_timezone(&Utc)
                        .to_rfc3339_opts(SecondsFormat::Secs, true),
                )
            })
            .map_err(|_| format!("`{s}` is not a date and time like 2026-01-19T10:00:00-05:00")),
        (_, Value::Null) => Err("a value is required".to_owned()),
        (kind, _) => Err(format!("expected {}", kind_name(kind))),
    }
}

fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text | FieldKind::TextList => "a text",
        FieldKind::Number => "a number",
        FieldKind::Bool => "true or false",
        FieldKind::DateTime => "a date and time",
        FieldKind::Object(_) => "nothing",
    }
}
