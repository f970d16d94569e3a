use rhai::{EvalAltResult, ParseError, ParseErrorType, Position};
use serde::Serialize;

/// What went wrong in a script, for the builder and the execution log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptErrorKind {
    /// The script does not parse (or uses a disabled feature such as `eval`).
    Syntax,
    /// The script names a variable the trigger's payload does not have.
    UnknownVariable,
    /// The script failed while running: a type mismatch, a missing property, …
    Runtime,
    /// It ran past the operation, call-depth, size or variable limits.
    Limit,
    /// It ran past the wall-clock deadline.
    Timeout,
    /// A condition produced something other than `true` or `false`.
    NotBool,
    /// The payload could not be turned into script values.
    Payload,
}

/// A script error with the line and column (1-based) it points at, when it points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}{message}", at(*line, *column))]
pub struct ScriptError {
    pub kind: ScriptErrorKind,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl ScriptError {
    pub(crate) fn new(kind: ScriptErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            line: None,
            column: None,
        }
    }

    fn at(mut self, pos: Position) -> Self {
        self.line = pos.line();
        self.column = pos.position();
        self
    }

    pub(crate) fn from_parse(err: &ParseError, payload_names: &[&str]) -> Self {
        let (kind, message) = match err.err_type() {
            ParseErrorType::VariableUndefined(name) => (
                ScriptErrorKind::UnknownVariable,
                format!(
                    "unknown variable `{name}`; this trigger's payload has {}",
                    payload_names.join(", ")
                ),
            ),
            other => (ScriptErrorKind::Syntax, other.to_string()),
        };
        Self::new(kind, message).at(err.position())
    }

    pub(crate) fn from_eval(err: &EvalAltResult) -> Self {
        let inner = err.unwrap_inner();
        let kind = match inner {
            EvalAltResult::ErrorTerminated(..) => ScriptErrorKind::Timeout,
            EvalAltResult::ErrorTooManyOperations(_)
            | EvalAltResult::ErrorTooManyVariables(_)
            | EvalAltResult::ErrorTooManyModules(_)
            | EvalAltResult::ErrorStackOverflow(_)
            | EvalAltResult::ErrorDataTooLarge(..) => ScriptErrorKind::Limit,
            EvalAltResult::ErrorParsing(..) => ScriptErrorKind::Syntax,
            _ => ScriptErrorKind::Runtime,
        };
        let message = match inner {
            EvalAltResult::ErrorTerminated(..) => "the script took too long".to_owned(),
            EvalAltResult::ErrorTooManyOperations(_) => "the script ran too many steps".to_owned(),
            EvalAltResult::ErrorStackOverflow(_) => {
                "function calls are nested too deeply".to_owned()
            }
            _ => {
                // Display appends " (line 2, position 7)"; the position is reported apart.
                let text = inner.to_string();
                let suffix = format!(" ({})", inner.position());
                text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
            }
        };
        // The innermost position points into a function body; fall back to the call.
        let pos = if inner.position().is_none() {
            err.position()
        } else {
            inner.position()
        };
        Self::new(kind, message).at(pos)
    }
}
