use serde::Serialize;

/// One thing wrong with an automation, found when it is saved. `field` is a path into
/// the version's JSON (`conditions.rows[2].value`, `actions[0].template`) so the builder
/// can put the message next to the input; `line` and `column` point into a script or
/// template when the problem is inside one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {}{reason}", position(*line, *column))]
pub struct Problem {
    pub field: String,
    pub reason: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl Problem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            line: None,
            column: None,
        }
    }

    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

/// Everything wrong with an automation version, in the order the builder shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct Invalid {
    pub problems: Vec<Problem>,
}

impl From<Vec<Problem>> for Invalid {
    fn from(problems: Vec<Problem>) -> Self {
        Self { problems }
    }
}
