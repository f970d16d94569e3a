//! Twilio's REST API (2010-04-01): Basic auth with the account SID and auth token, form
//! parameters in, JSON out, errors as `{"code", "message", "more_info", "status"}`.
//! `api_base` is configurable so tests (and Twilio-compatible services) can stand in.
//!
//! Every call goes through `Twilio::request`, which holds the whole HTTP dialect: where
//! parameters go, authentication, and how failures become a [`ProviderError`].

use std::{error::Error as _, time::Duration};

use reqwest::{Method, Response, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, de::DeserializeOwned};

use super::{Account, AvailableNumber, OutboundSms, ProviderError, ProviderNumber, Sent};
use crate::phone::{redact, redact_text};

/// Twilio's own API, unless `TWILIO_API_BASE` says otherwise.
pub const API_BASE: &str = "https://api.twilio.com";

/// How long one request may take in all. Twilio answers in well under a second; past
/// this the outcome is unknown: a send is marked uncertain, not resent.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// A loop guard for listing numbers (at Twilio's default of 50 a page).
const MAX_PAGES: usize = 100;

/// What Twilio's 401 means, in words an owner can act on.
pub const REJECTED_CREDENTIALS: &str = "Twilio rejected the Account SID or Auth Token";

#[derive(Clone, Debug)]
pub struct Twilio {
    pub http: reqwest::Client,
    /// `https://api.twilio.com` unless configured otherwise; no trailing slash.
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: SecretString,
}

impl Twilio {
    /// A provider talking to `api_base` with a client that gives up after [`TIMEOUT`].
    pub fn new(
        api_base: &str,
        account_sid: impl Into<String>,
        auth_token: SecretString,
    ) -> Result<Self, ProviderError> {
        crate::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| permanent(format!("could not build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
            account_sid: account_sid.into(),
            auth_token,
        })
    }

    pub async fn send(&self, sms: &OutboundSms) -> Result<Sent, ProviderError> {
        let mut form = vec![
            ("To", sms.to.as_str()),
            ("From", &sms.from),
            ("Body", &sms.body),
        ];
        if let Some(url) = &sms.status_callback {
            form.push(("StatusCallback", url));
        }
        tracing::debug!(to = %redact(&sms.to), from = %redact(&sms.from), "sending through Twilio");
        let message: MessageResource = self
            .call(Method::POST, &self.url("/Messages.json"), &form)
            .await?;
        Ok(Sent {
            provider_message_id: message.sid,
            status: message.status,
            callbacks: Vec::new(),
        })
    }

    /// The account the credentials open ("Test connection").
    pub async fn account(&self) -> Result<Account, ProviderError> {
        let account: AccountResource = self.call(Method::GET, &self.url(".json"), &[]).await?;
        Ok(Account {
            friendly_name: account.friendly_name.unwrap_or_default(),
            status: account.status,
        })
    }

    /// SMS-capable US local numbers for sale in an area code (`415`) or a state (`CA`).
    pub async fn search_numbers(
        &self,
        area_code_or_region: &str,
    ) -> Result<Vec<AvailableNumber>, ProviderError> {
        let (filter, value) = search_filter(area_code_or_region);
        let url = self.url("/AvailablePhoneNumbers/US/Local.json");
        let params = [(filter, value.as_str()), ("SmsEnabled", "true")];
        let page: AvailablePage = self.call(Method::GET, &url, &params).await?;
        Ok(page
            .available_phone_numbers
            .into_iter()
            .map(|n| AvailableNumber {
                e164: n.phone_number,
                locality: non_empty(n.locality),
                region: non_empty(n.region),
            })
            .collect())
    }

    /// Buys `e164` (from [`Self::search_numbers`]), pointing its webhooks at us when given.
    pub async fn buy_number(
        &self,
        e164: &str,
        sms_url: Option<&str>,
        status_callback: Option<&str>,
    ) -> Result<ProviderNumber, ProviderError> {
        let mut form = vec![("PhoneNumber", e164)];
        if let Some(url) = sms_url {
            form.extend([("SmsUrl", url), ("SmsMethod", "POST")]);
        }
        if let Some(url) = status_callback {
            form.push(("StatusCallback", url));
        }
        tracing::info!(number = %redact(e164), "buying a Twilio number");
        let url = self.url("/IncomingPhoneNumbers.json");
        let number: NumberResource = self.call(Method::POST, &url, &form).await?;
        Ok(number.into())
    }

    /// Every number on the account, following Twilio's pages.
    pub async fn list_numbers(&self) -> Result<Vec<ProviderNumber>, ProviderError> {
        self.numbers(&[]).await
    }

    /// The account's number `e164`, if it has it.
    pub async fn find_number(&self, e164: &str) -> Result<Option<ProviderNumber>, ProviderError> {
        let numbers = self.numbers(&[("PhoneNumber", e164)]).await?;
        Ok(numbers.into_iter().find(|n| n.e164 == e164))
    }

    /// Points the number's inbound SMS and status callbacks at us.
    pub async fn install_webhooks(
        &self,
        number_sid: &str,
        sms_url: &str,
        status_callback: &str,
    ) -> Result<ProviderNumber, ProviderError> {
        let form = [
            ("SmsUrl", sms_url),
            ("SmsMethod", "POST"),
            ("StatusCallback", status_callback),
        ];
        let number: NumberResource = self
            .call(Method::POST, &self.number_url(number_sid)?, &form)
            .await?;
        Ok(number.into())
    }

    /// Undoes [`Self::install_webhooks`]: Twilio clears a URL set to the empty string.
    pub async fn remove_webhooks(&self, number_sid: &str) -> Result<ProviderNumber, ProviderError> {
        let form = [("SmsUrl", ""), ("StatusCallback", "")];
        let number: NumberResource = self
            .call(Method::POST, &self.number_url(number_sid)?, &form)
            .await?;
        Ok(number.into())
    }

    /// Gives the number back to Twilio (it stops receiving and billing at once).
    pub async fn release_number(&self, number_sid: &str) -> Result<(), ProviderError> {
        let url = self.number_url(number_sid)?;
        self.request(Method::DELETE, &url, &[]).await.map(drop)
    }

    async fn numbers(&self, filter: &[(&str, &str)]) -> Result<Vec<ProviderNumber>, ProviderError> {
        let (mut url, mut params) = (self.url("/IncomingPhoneNumbers.json"), filter);
        let mut numbers = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: NumberPage = self.call(Method::GET, &url, params).await?;
            numbers.extend(page.incoming_phone_numbers.into_iter().map(Into::into));
            match page.next_page_uri.filter(|uri| !uri.is_empty()) {
                // The next page's URI already carries the filter and a page token.
                Some(next) => (url, params) = (self.follow(&next)?, &[]),
                None => return Ok(numbers),
            }
        }
        Err(permanent(format!(
            "Twilio listed more than {MAX_PAGES} pages of numbers"
        )))
    }

    fn url(&self, rest: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}{rest}",
            self.api_base, self.account_sid
        )
    }

    /// A `next_page_uri` is a path on the API host; taking it as a path keeps our
    /// credentials from following a link anywhere else.
    fn follow(&self, uri: &str) -> Result<String, ProviderError> {
        if !uri.starts_with('/') {
            return Err(permanent(
                "Twilio answered with an unexpected next page link",
            ));
        }
        Ok(format!("{}{uri}", self.api_base))
    }

    fn number_url(&self, sid: &str) -> Result<String, ProviderError> {
        if sid.is_empty() || !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(permanent(format!("{sid:?} is not a Twilio number SID")));
        }
        Ok(self.url(&format!("/IncomingPhoneNumbers/{sid}.json")))
    }

    /// [`Self::request`], reading the answer as a JSON resource.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        params: &[(&str, &str)],
    ) -> Result<T, ProviderError> {
        let res = self.request(method, url, params).await?;
        let status = res.status().as_u16();
        res.json().await.map_err(|e| {
            if e.is_decode() {
                // A 2xx: Twilio did what was asked, and we cannot tell the result.
                ProviderError::uncertain(format!(
                    "Twilio answered HTTP {status} in a form that could not be read"
                ))
            } else {
                network_error(&e)
            }
        })
    }

    /// Sends one request: parameters go in the query string of a GET or DELETE and in a
    /// form body of a POST, as Twilio expects. Anything but a 2xx comes back as an error.
    async fn request(
        &self,
        method: Method,
        url: &str,
        params: &[(&str, &str)],
    ) -> Result<Response, ProviderError> {
        let mut url = Url::parse(url)
            .map_err(|e| permanent(format!("the Twilio API address is not a URL: {e}")))?;
        tracing::debug!(%method, path = url.path(), "Twilio request");
        let req = if method == Method::POST {
            self.http.post(url).form(params)
        } else {
            if !params.is_empty() {
                url.query_pairs_mut().extend_pairs(params);
            }
            self.http.request(method, url)
        };
        let res = req
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .send()
            .await
            .map_err(|e| network_error(&e))?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status();
        // A 429 may say when to come back, in whole seconds.
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Err(ProviderError {
            retry_after,
            ..api_error(status, res.json().await.ok())
        })
    }
}

/// Three digits are a US area code; anything else is taken as a state code (`CA`).
fn search_filter(input: &str) -> (&'static str, String) {
    let input = input.trim();
    if input.len() == 3 && input.bytes().all(|b| b.is_ascii_digit()) {
        ("AreaCode", input.to_owned())
    } else {
        ("InRegion", input.to_ascii_uppercase())
    }
}

fn api_error(status: StatusCode, body: Option<ErrorBody>) -> ProviderError {
    let code = body.as_ref().and_then(|b| b.code);
    let message = if status == StatusCode::UNAUTHORIZED {
        REJECTED_CREDENTIALS.to_owned()
    } else {
        match body.and_then(|b| b.message) {
            // Twilio's messages quote the numbers involved.
            Some(m) => redact_text(&m).into_owned(),
            None => format!("Twilio answered HTTP {status}"),
        }
    };
    ProviderError::from_code(code, Some(status.as_u16()), message)
}

/// No answer: transient when the connection was never made, else uncertain (the request
/// may have been carried out). The message names the cause, never the URL.
fn network_error(e: &reqwest::Error) -> ProviderError {
    let what = if e.is_timeout() {
        "Twilio did not answer in time"
    } else if e.is_connect() {
        "could not connect to Twilio"
    } else {
        "the request to Twilio failed"
    };
    // The innermost cause says what happened ("Connection refused") without the URL.
    let message = match std::iter::successors(e.source(), |s| (*s).source()).last() {
        Some(cause) => format!("{what}: {cause}"),
        None => what.to_owned(),
    };
    if e.is_connect() {
        ProviderError::from_code(None, None, message)
    } else {
        ProviderError::uncertain(message)
    }
}

fn permanent(message: impl Into<String>) -> ProviderError {
    ProviderError::permanent(None, message)
}

/// Twilio writes an unset URL or place as `""` or `null`, depending on the field.
fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct MessageResource {
    sid: String,
    status: String,
}

#[derive(Deserialize)]
struct AccountResource {
    friendly_name: Option<String>,
    status: String,
}

#[derive(Deserialize)]
struct AvailablePage {
    available_phone_numbers: Vec<AvailableResource>,
}

#[derive(Deserialize)]
struct AvailableResource {
    phone_number: String,
    locality: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize)]
struct NumberPage {
    incoming_phone_numbers: Vec<NumberResource>,
    next_page_uri: Option<String>,
}

#[derive(Deserialize)]
struct NumberResource {
    sid: String,
    phone_number: String,
    sms_url: Option<String>,
    status_callback: Option<String>,
}

impl From<NumberResource> for ProviderNumber {
    fn from(n: NumberResource) -> Self {
        Self {
            sid: n.sid,
            e164: n.phone_number,
            sms_url: non_empty(n.sms_url),
            status_callback: non_empty(n.status_callback),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ErrorKind;

    #[test]
    fn three_digits_search_an_area_code_and_anything_else_a_region() {
        for (input, filter, value) in [
            ("415", "AreaCode", "415"),
            (" 212 ", "AreaCode", "212"),
            ("CA", "InRegion", "CA"),
            ("ny", "InRegion", "NY"),
            ("4155", "InRegion", "4155"),
        ] {
            assert_eq!(
                search_filter(input),
                (filter, value.to_owned()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn error_answers_are_classified_by_code_and_status() {
        let body = |code, message: &str| {
            Some(ErrorBody {
                code: Some(code),
                message: Some(message.to_owned()),
            })
        };
        let cases = [
            (
                400,
                body(21610, "Attempt to send to unsubscribed recipient"),
                ErrorKind::Permanent,
            ),
            (400, body(30008, "Unknown error"), ErrorKind::Transient),
            (429, body(20429, "Too Many Requests"), ErrorKind::Transient),
            (500, body(30500, "Internal error"), ErrorKind::Transient),
            (502, None, ErrorKind::Transient),
            (404, None, ErrorKind::Permanent),
        ];
        for (status, body, kind) in cases {
            let code = body.as_ref().and_then(|b| b.code);
            let e = api_error(StatusCode::from_u16(status).unwrap(), body);
            assert_eq!((e.kind, e.code), (kind, code), "HTTP {status}");
        }
    }

    #[test]
    fn a_401_says_in_plain_words_that_the_credentials_were_refused() {
        let e = api_error(
            StatusCode::UNAUTHORIZED,
            Some(ErrorBody {
                code: Some(20003),
                message: Some("Authenticate".to_owned()),
            }),
        );
        assert_eq!(e.message, REJECTED_CREDENTIALS);
        assert_eq!((e.kind, e.code), (ErrorKind::Permanent, Some(20003)));
    }

    #[test]
    fn numbers_in_twilio_messages_are_redacted() {
        let e = api_error(
            StatusCode::BAD_REQUEST,
            Some(ErrorBody {
                code: Some(21211),
                message: Some(
                    "The 'To' number +15551234567 is not a valid phone number.".to_owned(),
                ),
            }),
        );
        assert_eq!(
            e.message,
            "The 'To' number +1555****4567 is not a valid phone number."
        );
    }
}
