//! The engine's error type, named by meaning so the API can map each to a status.

use std::borrow::Cow;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    #[error("{field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: Cow<'static, str>,
    },
    /// Several fields of one request are wrong at once (see [`Problems`]).
    #[error("{}", describe(.0))]
    InvalidFields(Vec<(&'static str, Cow<'static, str>)>),
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    #[error("wrong email or password")]
    BadCredentials,
    /// The anti-poaching policy stopped a text: `blocked` for a sitter (not sendable),
    /// otherwise a warning the owner may override with a reason.
    #[error("{message}")]
    Policy {
        message: Cow<'static, str>,
        types: Vec<crate::policy::ViolationType>,
        blocked: bool,
    },
    /// An automation that cannot be saved: every problem, each with its field (and its
    /// line and column inside a script or template).
    #[error("{0}")]
    Automation(::automations::Invalid),
    #[error("provider: {0}")]
    Provider(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("job queue: {0}")]
    Queue(String),
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn describe(fields: &[(&'static str, Cow<'static, str>)]) -> String {
    let parts: Vec<String> = fields.iter().map(|(f, r)| format!("{f} {r}")).collect();
    parts.join("; ")
}

/// Collects what is wrong with a request's fields, so one answer names every bad field
/// instead of only the first. Any other error passes straight through.
#[derive(Debug, Default)]
pub struct Problems(Vec<(&'static str, Cow<'static, str>)>);

impl Problems {
    pub fn add(&mut self, field: &'static str, reason: impl Into<Cow<'static, str>>) {
        self.0.push((field, reason.into()));
    }

    /// The value, or `None` after noting why the field is invalid.
    pub fn check<T>(&mut self, result: Result<T>) -> Result<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(Error::Invalid { field, reason }) => {
                self.0.push((field, reason));
                Ok(None)
            }
            Err(Error::InvalidFields(fields)) => {
                self.0.extend(fields);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// `Ok` when nothing was noted; one problem is an [`Error::Invalid`].
    pub fn finish(mut self) -> Result<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => {
                let (field, reason) = self.0.remove(0);
                Err(Error::Invalid { field, reason })
            }
            _ => Err(Error::InvalidFields(self.0)),
        }
    }
}

impl Error {
    pub fn invalid(field: &'static str, reason: impl Into<Cow<'static, str>>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// True when the database refused a row because of a unique constraint: the caller
    /// turns that into "already there", never into a 500.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }

    /// Each bad field and what is wrong with it, for an `Invalid` or `InvalidFields`.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        match self {
            Self::Invalid { field, reason } => vec![(*field, reason.as_ref())],
            Self::InvalidFields(fields) => fields.iter().map(|(f, r)| (*f, r.as_ref())).collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_name_every_field_and_pass_other_errors_through() {
        let mut p = Problems::default();
        assert_eq!(p.check(Ok::<_, Error>(1)).unwrap(), Some(1));
        assert_eq!(
            p.check::<i32>(Err(Error::invalid("startAt", "is bad")))
                .unwrap(),
            None
        );
        assert!(p.check::<i32>(Err(Error::NotFound("thread"))).is_err());
        p.add("endAt", "is worse");
        let e = p.finish().unwrap_err();
        assert_eq!(
            e.fields(),
            vec![("startAt", "is bad"), ("endAt", "is worse")]
        );
        assert_eq!(e.to_string(), "startAt is bad; endAt is worse");
        let mut one = Problems::default();
        one.add("name", "is required");
        assert!(matches!(
            one.finish(),
            Err(Error::Invalid { field: "name", .. })
        ));
        assert!(Problems::default().finish().is_ok());
    }
}
