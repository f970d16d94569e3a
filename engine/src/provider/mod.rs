//! Providers: who actually carries a text. One enum over the implementations rather than a
//! trait object, so every call is a plain `async fn` and the set of providers is visible
//! in one place: [`mock`] (the default, a carrier simulated in our own database) and
//! [`twilio`] (Twilio's REST API, or anything that speaks it at `api_base`).
//!
//! Errors carry the provider's error code and whether another attempt can help; the
//! delivery pipeline retries only [`ErrorKind::Transient`] errors.

pub mod mock;
pub mod twilio;

use serde::{Deserialize, Serialize};

/// One text to send, from one of the org's business numbers.
#[derive(Clone, Debug)]
pub struct OutboundSms {
    pub from: String,
    pub to: String,
    pub body: String,
    /// Where the provider should post status callbacks (Twilio's `StatusCallback`).
    pub status_callback: Option<String>,
}

/// The provider took the text.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The provider's id for the message (Twilio's `SM…` sid).
    pub provider_message_id: String,
    /// The status the provider reported at once (`queued`, `accepted`, `sent`…).
    pub status: String,
    /// Status callbacks the provider already knows will follow (the mock's carrier);
    /// applied once the attempt is recorded, as Twilio's follow its API's answer. Twilio's
    /// own arrive at the status webhook instead.
    pub callbacks: Vec<crate::deliveries::StatusUpdate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Worth another attempt after a backoff (rate limits, carrier hiccups, timeouts).
    Transient,
    /// Will fail the same way again (opted out, invalid number, bad credentials).
    Permanent,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// The provider's error code (Twilio's `code`), when it gave one.
    pub code: Option<i64>,
    pub message: String,
    pub kind: ErrorKind,
}

/// Twilio error codes worth retrying; everything else is permanent (see
/// `shared/twilio/README.md`).
pub const RETRYABLE_CODES: [i64; 6] = [20429, 30001, 30003, 30008, 30036, 30500];

impl ProviderError {
    /// Classifies a provider error by its code and HTTP status: the retryable codes,
    /// HTTP 429 and 5xx, and network failures (no status) are transient.
    pub fn from_code(
        code: Option<i64>,
        http_status: Option<u16>,
        message: impl Into<String>,
    ) -> Self {
        // No status at all means the request never got an answer (network, timeout).
        let by_status = matches!(http_status, None | Some(429 | 500..=599));
        let transient = by_status || code.is_some_and(|c| RETRYABLE_CODES.contains(&c));
        Self {
            code,
            message: message.into(),
            kind: if transient {
                ErrorKind::Transient
            } else {
                ErrorKind::Permanent
            },
        }
    }
}

/// The account the credentials belong to, for "Test connection".
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub friendly_name: String,
    pub status: String,
}

/// A number the provider offers for purchase.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailableNumber {
    pub e164: String,
    pub locality: Option<String>,
    pub region: Option<String>,
}

/// A number on the provider account, with where its webhooks point.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderNumber {
    /// The provider's id for the number (Twilio's `PN…` sid).
    pub sid: String,
    pub e164: String,
    pub sms_url: Option<String>,
    pub status_callback: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Provider {
    Mock(mock::Mock),
    Twilio(twilio::Twilio),
}

impl Provider {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Mock(_) => "mock",
            Self::Twilio(_) => "twilio",
        }
    }

    /// Sends one text for an org (the org matters to the mock, which keeps per-org books).
    pub async fn send(&self, org_id: &str, sms: &OutboundSms) -> Result<Sent, ProviderError> {
        match self {
            Self::Mock(p) => p.send(org_id, sms).await,
            Self::Twilio(p) => p.send(sms).await,
        }
    }
}
