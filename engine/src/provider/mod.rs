//! Providers: who actually carries a text. One enum over the implementations rather than a
//! trait object, so every call is a plain `async fn` and the set of providers is visible
//! in one place: [`mock`] (the default, a carrier simulated in our own database) and
//! [`twilio`] (Twilio's REST API, or anything that speaks it at `api_base`).
//!
//! Errors carry the provider's error code and whether another attempt can help; the
//! delivery pipeline retries only [`ErrorKind::Transient`] errors, and an
//! [`ErrorKind::Uncertain`] send is surfaced, never resent by itself.

pub mod connection;
pub mod mock;
pub mod mock_account;
pub mod twilio;

pub use connection::for_org;

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
    /// The request reached the provider and its answer was lost (a timeout, a dropped
    /// connection, an unreadable answer): whether it acted is unknown, so trying again
    /// could send a text twice.
    Uncertain,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// The provider's error code (Twilio's `code`), when it gave one.
    pub code: Option<i64>,
    pub message: String,
    pub kind: ErrorKind,
    /// How long the provider asked us to wait before trying again (HTTP 429's
    /// `Retry-After`), when it said.
    pub retry_after: Option<std::time::Duration>,
}

/// Twilio error codes worth retrying; everything else is permanent (see
/// `shared/twilio/README.md`).
pub const RETRYABLE_CODES: [i64; 6] = [20429, 30001, 30003, 30008, 30036, 30500];

impl ProviderError {
    /// A request whose outcome is unknown ([`ErrorKind::Uncertain`]).
    pub fn uncertain(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
            kind: ErrorKind::Uncertain,
            retry_after: None,
        }
    }

    /// A refusal that trying again cannot change ([`ErrorKind::Permanent`]).
    pub fn permanent(code: Option<i64>, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            kind: ErrorKind::Permanent,
            retry_after: None,
        }
    }

    /// Classifies a provider error by its code and HTTP status: the retryable codes,
    /// HTTP 429 and 5xx, and no answer at all (a refused connection) are transient.
    pub fn from_code(
        code: Option<i64>,
        http_status: Option<u16>,
        message: impl Into<String>,
    ) -> Self {
        // No status at all: the request never reached the provider.
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
            retry_after: None,
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

/// Where the provider should post a number's inbound texts and status callbacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhooks {
    pub sms_url: String,
    pub status_callback: String,
}

impl Webhooks {
    /// Our two webhook URLs under the public base URL.
    pub fn at(public_base_url: &str) -> Self {
        let base = public_base_url.trim_end_matches('/');
        Self {
            sms_url: format!("{base}/webhooks/twilio/sms"),
            status_callback: format!("{base}/webhooks/twilio/status"),
        }
    }

    /// Whether the provider's number points at exactly these URLs.
    pub fn installed_on(&self, number: &ProviderNumber) -> bool {
        number.sms_url.as_deref() == Some(self.sms_url.as_str())
            && number.status_callback.as_deref() == Some(self.status_callback.as_str())
    }
}

/// Where to look for numbers for sale: a US area code (`415`) or a US state (`CA`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Region {
    AreaCode(String),
    State(String),
}

/// The states (and DC), for checking a search before it reaches the provider.
const US_STATES: [&str; 51] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];

impl Region {
    /// Three digits (not starting with 0 or 1) are an area code; two letters a state.
    pub fn parse(input: &str) -> crate::Result<Self> {
        let s = input.trim();
        let digits = s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
        if digits && !s.starts_with(['0', '1']) {
            return Ok(Self::AreaCode(s.to_owned()));
        }
        let state = s.to_ascii_uppercase();
        if US_STATES.contains(&state.as_str()) {
            return Ok(Self::State(state));
        }
        Err(crate::Error::invalid(
            "region",
            "must be a 3-digit US area code such as 415 or a US state such as CA",
        ))
    }

    /// What the provider is asked for: the area code or the state code.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AreaCode(s) | Self::State(s) => s,
        }
    }

    /// A state's place in the list, for the mock's made-up area code per state.
    pub fn state_index(&self) -> Option<usize> {
        match self {
            Self::State(s) => US_STATES.iter().position(|st| st == s),
            Self::AreaCode(_) => None,
        }
    }
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

    /// Whether texts reach us only once the provider is told where to post them. The
    /// mock delivers inside Switchboard and needs no webhooks.
    pub fn needs_webhooks(&self) -> bool {
        matches!(self, Self::Twilio(_))
    }

    /// The account the credentials open ("Test connection").
    pub async fn account(&self) -> Result<Account, ProviderError> {
        match self {
            Self::Mock(_) => Ok(mock_account::account()),
            Self::Twilio(p) => p.account().await,
        }
    }

    /// Numbers for sale in a region.
    pub async fn search_numbers(
        &self,
        org_id: &str,
        region: &Region,
    ) -> Result<Vec<AvailableNumber>, ProviderError> {
        match self {
            Self::Mock(p) => mock_account::available(p.db(), org_id, region).await,
            Self::Twilio(p) => p.search_numbers(region.as_str()).await,
        }
    }

    /// Buys a number for the org, pointing its webhooks at us when given.
    pub async fn buy_number(
        &self,
        org_id: &str,
        e164: &str,
        webhooks: Option<&Webhooks>,
    ) -> Result<ProviderNumber, ProviderError> {
        match self {
            Self::Mock(p) => mock_account::buy(p.db(), org_id, e164, p.now()).await,
            Self::Twilio(p) => {
                let (sms, status) = webhooks.map_or((None, None), |w| {
                    (Some(w.sms_url.as_str()), Some(w.status_callback.as_str()))
                });
                p.buy_number(e164, sms, status).await
            }
        }
    }

    /// Every number on the org's account.
    pub async fn list_numbers(&self, org_id: &str) -> Result<Vec<ProviderNumber>, ProviderError> {
        match self {
            Self::Mock(p) => mock_account::list(p.db(), org_id).await,
            Self::Twilio(p) => p.list_numbers().await,
        }
    }

    /// The account's number `e164`, if it has it.
    pub async fn find_number(
        &self,
        org_id: &str,
        e164: &str,
    ) -> Result<Option<ProviderNumber>, ProviderError> {
        match self {
            Self::Mock(p) => Ok(mock_account::list(p.db(), org_id)
                .await?
                .into_iter()
                .find(|n| n.e164 == e164)),
            Self::Twilio(p) => p.find_number(e164).await,
        }
    }

    /// Points a number's inbound texts and status callbacks at us (nothing to do for the
    /// mock).
    pub async fn install_webhooks(
        &self,
        sid: &str,
        webhooks: &Webhooks,
    ) -> Result<(), ProviderError> {
        match self {
            Self::Mock(_) => Ok(()),
            Self::Twilio(p) => p
                .install_webhooks(sid, &webhooks.sms_url, &webhooks.status_callback)
                .await
                .map(drop),
        }
    }

    /// Stops a number's webhooks (nothing to do for the mock).
    pub async fn remove_webhooks(&self, sid: &str) -> Result<(), ProviderError> {
        match self {
            Self::Mock(_) => Ok(()),
            Self::Twilio(p) => p.remove_webhooks(sid).await.map(drop),
        }
    }

    /// Gives a number back to the provider: it leaves the account.
    pub async fn release_number(&self, org_id: &str, sid: &str) -> Result<(), ProviderError> {
        match self {
            Self::Mock(p) => mock_account::release(p.db(), org_id, sid).await,
            Self::Twilio(p) => p.release_number(sid).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_area_codes_or_states() {
        let area = |s: &str| Region::AreaCode(s.to_owned());
        let state = |s: &str| Region::State(s.to_owned());
        for (input, want) in [
            ("415", Some(area("415"))),
            (" 212 ", Some(area("212"))),
            ("CA", Some(state("CA"))),
            ("ny", Some(state("NY"))),
            ("dc", Some(state("DC"))),
            ("4155", None),
            ("015", None),
            ("123", None),
            ("ZZ", None),
            ("", None),
            ("California", None),
        ] {
            assert_eq!(Region::parse(input).ok(), want, "{input:?}");
        }
    }

    #[test]
    fn webhooks_live_under_the_public_url() {
        let w = Webhooks::at("https://sb.example.com/");
        assert_eq!(w.sms_url, "https://sb.example.com/webhooks/twilio/sms");
        assert_eq!(
            w.status_callback,
            "https://sb.example.com/webhooks/twilio/status"
        );
        let mut n = ProviderNumber {
            sid: "PN1".to_owned(),
            e164: "+14155550101".to_owned(),
            sms_url: Some(w.sms_url.clone()),
            status_callback: None,
        };
        assert!(!w.installed_on(&n));
        n.status_callback = Some(w.status_callback.clone());
        assert!(w.installed_on(&n));
    }
}
