//! The composer the owner's and the sitter's conversations share: after a text that did
//! not go, the page comes back with the text as typed and the reason it did not go.

use axum::http::StatusCode;
use serde::Serialize;

/// What the composer shows; empty for a fresh page.
#[derive(Debug, Default, Serialize)]
pub struct Composer {
    /// The text as typed, kept so nothing is lost.
    pub draft: String,
    /// Why the text was not sent, in the server's words.
    pub error: Option<String>,
    /// The policy's warning to an owner: the text may still go, with a reason.
    pub warning: Option<String>,
    /// The owner's reason, as typed, when sending anyway failed.
    pub reason: String,
}

impl Composer {
    /// The composer after a send that failed with `e`, and the status to answer with; an
    /// error that is not the writer's to fix comes back as it is.
    pub fn after(
        draft: String,
        reason: String,
        e: engine::Error,
    ) -> Result<(StatusCode, Self), engine::Error> {
        let mut composer = Self {
            draft,
            reason,
            ..Self::default()
        };
        let status = match e {
            engine::Error::Policy {
                message,
                blocked: false,
                ..
            } => {
                composer.warning = Some(message.into_owned());
                StatusCode::CONFLICT
            }
            // A sitter sees exactly the server's text and nothing of what was found.
            engine::Error::Policy { message, .. } => {
                composer.error = Some(message.into_owned());
                StatusCode::UNPROCESSABLE_ENTITY
            }
            other => {
                let (status, text) = super::fixable(other)?;
                composer.error = Some(text);
                status
            }
        };
        Ok((status, composer))
    }
}
