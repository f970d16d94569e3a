//! Message templates: minijinja, plain text, strict about undefined variables.
//!
//! One environment for owners' texts: no auto-escaping (an SMS is not HTML), strict
//! undefined (a missing value is an error, never an empty gap in a text to a client),
//! fuel and recursion limits, no `debug()` and no loader (so no `include`). The rendered
//! text is trimmed at both ends and may be at most 1,600 characters, the longest SMS a
//! carrier accepts.
//!
//! [`check`] is what saving does: the syntax, every variable against the trigger's
//! payload fields (an unknown one is named, with its line), and a render of the trigger's
//! sample so that a misused filter shows up now rather than on a live event. A text for a
//! sitter is checked and rendered without the client's phone number and email
//! ([`Audience::Sitter`]); the render drops them too, so not even `{{ client }}` can leak
//! them.

mod filters;
pub mod segments;

use std::sync::OnceLock;

use minijinja::value::Serde;
use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;
use serde_json::Value;

use crate::triggers::{FieldKind, Object, Trigger, sample};
pub use segments::{Encoding, Segments};

/// Longest template source, in bytes.
pub const MAX_TEMPLATE_LEN: usize = 2_000;
/// Longest rendered text, in characters.
pub const MAX_TEXT_CHARS: usize = 1_600;
/// Template instructions per render.
const FUEL: u64 = 20_000;
const RECURSION_LIMIT: usize = 16;

/// Who reads the rendered text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Owner,
    Client,
    /// Never sees the client's phone number or email.
    Sitter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateErrorKind {
    Syntax,
    /// A variable the trigger's payload does not have (or the reader may not see).
    UnknownVariable,
    /// A value was undefined while rendering (strict undefined).
    Undefined,
    /// A filter, test or operation failed.
    Render,
    /// The template ran out of fuel or recursed too deep.
    Limit,
    /// The template or its text is too long.
    TooLong,
    /// The text came out empty.
    Empty,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    pub message: String,
    pub line: Option<usize>,
}

impl TemplateError {
    fn new(kind: TemplateErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            line: None,
        }
    }

    fn from_jinja(err: &minijinja::Error) -> Self {
        let kind = match err.kind() {
            ErrorKind::SyntaxError | ErrorKind::BadEscape | ErrorKind::InvalidDelimiter => {
                TemplateErrorKind::Syntax
            }
            ErrorKind::UndefinedError => TemplateErrorKind::Undefined,
            ErrorKind::OutOfFuel => TemplateErrorKind::Limit,
            ErrorKind::InvalidOperation
                if err.detail().is_some_and(|d| d.contains("recursion")) =>
            {
                TemplateErrorKind::Limit
            }
            _ => TemplateErrorKind::Render,
        };
        let message = match err.detail() {
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        };
        Self {
            kind,
            message,
            line: err.line(),
        }
    }
}

/// A rendered sample and what it costs to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub text: String,
    pub segments: Segments,
}

fn environment<'s>() -> Environment<'s> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.remove_global("debug");
    filters::register(&mut env);
    env
}

fn shared() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(environment)
}

/// Checks a template when it is saved, for a reader of `audience`.
pub fn check(template: &str, trigger: Trigger, audience: Audience) -> Result<(), TemplateError> {
    if template.len() > MAX_TEMPLATE_LEN {
        return Err(TemplateError::new(
            TemplateErrorKind::TooLong,
            format!("a template may be at most {MAX_TEMPLATE_LEN} characters"),
        ));
    }
    let env = environment();
    let compiled = env
        .template_from_str(template)
        .map_err(|e| TemplateError::from_jinja(&e))?;
    let globals: Vec<String> = env.globals().map(|(name, _)| name.to_owned()).collect();
    let mut names: Vec<String> = compiled.undeclared_variables(true).into_iter().collect();
    names.sort_by_key(|name| (line_of(template, name), name.clone()));
    for name in names {
        if let Err(reason) = known(&name, trigger, audience, &globals) {
            return Err(TemplateError {
                kind: TemplateErrorKind::UnknownVariable,
                message: reason,
                line: line_of(template, &name),
            });
        }
    }
    render_for(template, &sample(trigger), audience).map(drop)
}

/// Why `name` (`client.first_name`, `booking.sitter.name.upper`) is not something the
/// template may read, if it is not.
fn known(
    name: &str,
    trigger: Trigger,
    audience: Audience,
    globals: &[String],
) -> Result<(), String> {
    let mut parts = name.split('.');
    let root = parts.next().unwrap_or_default();
    if globals.iter().any(|g| g == root) {
        return Ok(());
    }
    let Some(object) = trigger.objects().iter().find(|o| o.key() == root) else {
        let available: Vec<&str> = trigger.objects().iter().map(|o| o.key()).collect();
        return Err(format!(
            "unknown variable `{root}`; a {trigger} event has {}",
            available.join(", ")
        ));
    };
    let mut fields = object.fields();
    let mut path = root.to_owned();
    for part in parts {
        let Some(field) = fields.iter().find(|f| f.name == part) else {
            return Err(format!("unknown variable `{path}.{part}`"));
        };
        path = format!("{path}.{part}");
        if field.private && audience == Audience::Sitter {
            return Err(format!("`{path}` is never shown to sitters"));
        }
        match field.kind {
            FieldKind::Object(inner) => fields = inner,
            // What follows a value is a method or attribute of it (`.upper()`); the
            // sample render judges it.
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// The line of the first place `name` appears as a whole word.
fn line_of(source: &str, name: &str) -> Option<usize> {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    source.match_indices(name).find_map(|(at, _)| {
        let before = source[..at].chars().next_back();
        let after = source[at + name.len()..].chars().next();
        let whole = !before.is_some_and(word) && !after.is_some_and(|c| word(c) && c != '.');
        whole.then(|| source[..at].matches('\n').count() + 1)
    })
}

/// Renders a template for the owner or the client.
pub fn render(template: &str, payload: &Value) -> Result<String, TemplateError> {
    render_for(template, payload, Audience::Owner)
}

/// Renders a template for a reader of `audience`.
pub fn render_for(
    template: &str,
    payload: &Value,
    audience: Audience,
) -> Result<String, TemplateError> {
    if template.len() > MAX_TEMPLATE_LEN {
        return Err(TemplateError::new(
            TemplateErrorKind::TooLong,
            format!("a template may be at most {MAX_TEMPLATE_LEN} characters"),
        ));
    }
    let text = if audience == Audience::Sitter {
        shared().render_str(template, Serde(&without_private(payload)))
    } else {
        shared().render_str(template, Serde(payload))
    }
    .map_err(|e| TemplateError::from_jinja(&e))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(TemplateError::new(
            TemplateErrorKind::Empty,
            "the text is empty",
        ));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(TemplateError::new(
            TemplateErrorKind::TooLong,
            format!("the text may be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// The live preview: the template rendered against the trigger's sample, with its
/// segment count.
pub fn preview(
    template: &str,
    trigger: Trigger,
    audience: Audience,
) -> Result<Preview, TemplateError> {
    check(template, trigger, audience)?;
    let text = render_for(template, &sample(trigger), audience)?;
    Ok(Preview {
        segments: segments::count(&text),
        text,
    })
}

/// The payload less every field marked private (the client's phone and email).
fn without_private(payload: &Value) -> Value {
    let mut payload = payload.clone();
    for object in Object::ALL {
        if let Some(map) = payload.get_mut(object.key()).and_then(Value::as_object_mut) {
            for field in object.fields().iter().filter(|f| f.private) {
                map.remove(field.name);
            }
        }
    }
    payload
}

#[cfg(test)]
mod tests;
