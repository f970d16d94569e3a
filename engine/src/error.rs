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
}
