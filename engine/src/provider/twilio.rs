//! Twilio's REST API (2010-04-01): Basic auth with the account SID and auth token, form
//! parameters in, JSON out, errors as `{"code", "message", "more_info", "status"}`.
//! `api_base` is configurable so tests (and Twilio-compatible services) can stand in.

use secrecy::SecretString;

use super::{OutboundSms, ProviderError, Sent};

#[derive(Clone, Debug)]
pub struct Twilio {
    pub http: reqwest::Client,
    /// `https://api.twilio.com` unless configured otherwise; no trailing slash.
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: SecretString,
}

impl Twilio {
    pub fn new(api_base: &str, account_sid: &str, auth_token: SecretString) -> Self {
        Self {
            http: reqwest::Client::new(),
            api_base: api_base.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            auth_token,
        }
    }

    pub async fn send(&self, _sms: &OutboundSms) -> Result<Sent, ProviderError> {
        Err(ProviderError::from_code(
            None,
            Some(501),
            "the Twilio provider is not built yet",
        ))
    }
}
