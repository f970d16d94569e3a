//! A stand-in for Twilio's REST API on `127.0.0.1:0`, speaking its request and response
//! shapes for what the Twilio provider calls: Accounts, Messages, AvailablePhoneNumbers
//! (US Local) and IncomingPhoneNumbers. It checks Basic auth, records every exchange for
//! assertions (and for [`crate::twilio_openapi`] to hold against Twilio's own
//! description), and can be told to fail sends, to answer slowly, or to lose a send's
//! answer halfway.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use engine::provider::twilio::Twilio;
use serde_json::Value;

use resources::{
    account, error, error_message, for_sale, message, new_sid, not_found, now, number, page_json,
    with_items,
};

mod resources;

pub const ACCOUNT_SID: &str = "AC5ef8732a3c49700934481addd5ce1659";
pub const AUTH_TOKEN: &str = "6c6d5f0e1b2a4d3c9e8f7a6b5c4d3e2f";
const API: &str = "/2010-04-01";
const PAGE_SIZE: usize = 50;

/// Numbers for sale, as (number, locality, region, SMS-capable).
const FOR_SALE: [(&str, &str, &str, bool); 5] = [
    ("+14155550101", "San Francisco", "CA", true),
    ("+14155550102", "San Francisco", "CA", true),
    ("+14155550109", "San Francisco", "CA", false),
    ("+15105550103", "Oakland", "CA", true),
    ("+12125550104", "New York", "NY", true),
];

/// One request and the answer the fake gave.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    /// The OpenAPI path template the request matched; `None` when nothing did.
    pub route: Option<&'static str>,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub status: u16,
    pub response: Option<Value>,
}

impl Exchange {
    /// A form or query parameter of the request.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.form, name).or_else(|| param(&self.query, name))
    }
}

/// A number on the fake account, with where its webhooks point (`""` when unset, as
/// Twilio writes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeNumber {
    pub sid: String,
    pub e164: String,
    pub sms_url: String,
    pub sms_method: String,
    pub status_callback: String,
    date_created: String,
}

impl FakeNumber {
    fn new(e164: &str) -> Self {
        Self {
            sid: new_sid("PN"),
            e164: e164.to_owned(),
            sms_url: String::new(),
            sms_method: "POST".to_owned(),
            status_callback: String::new(),
            date_created: now(),
        }
    }
}

pub struct FakeTwilio {
    addr: SocketAddr,
    state: Arc<Mutex<Twin>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeTwilio {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(Twin {
            for_sale: FOR_SALE.to_vec(),
            ..Twin::default()
        }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Twilio");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake Twilio");
        });
        Self {
            addr,
            state,
            server,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The real provider, pointed at this fake with the right credentials.
    pub fn provider(&self) -> Twilio {
        Twilio::new(&self.base_url(), ACCOUNT_SID, AUTH_TOKEN.into()).expect("provider")
    }

    /// Every exchange so far, oldest first.
    pub fn requests(&self) -> Vec<Exchange> {
        self.twin().exchanges.clone()
    }

    /// The numbers on the account now.
    pub fn numbers(&self) -> Vec<FakeNumber> {
        self.twin().numbers.clone()
    }

    /// The next `n` sends (Messages only) fail with Twilio error `code` and HTTP
    /// `http_status`, such as 21610/400, 21211/400, 20429/429 or 30500/500.
    pub fn fail_next(&self, n: u32, code: i64, http_status: u16) {
        let status = StatusCode::from_u16(http_status).expect("HTTP status");
        self.twin().failure = Some((n, code, status));
    }

    /// Rate-limit answers (HTTP 429) from now on say `Retry-After: secs`.
    pub fn ask_to_wait(&self, secs: u64) {
        self.twin().retry_after = Some(secs);
    }

    /// The next `n` sends are carried out, but their answers break off halfway, as when
    /// the connection drops: the caller cannot tell whether the text went.
    pub fn lose_next_answers(&self, n: u32) {
        self.twin().lose_answers = n;
    }

    /// Every answer from now on waits `delay` first.
    pub fn respond_slowly(&self, delay: Duration) {
        self.twin().delay = delay;
    }

    /// Puts `e164` on the account (no webhooks set) and returns its `PN…` sid.
    pub fn add_number(&self, e164: &str) -> String {
        let number = FakeNumber::new(e164);
        let sid = number.sid.clone();
        self.twin().numbers.push(number);
        sid
    }

    /// Panics unless every request so far and every answer matched Twilio's OpenAPI
    /// description.
    pub fn assert_matches_twilio_spec(&self) {
        crate::twilio_openapi::assert_exchanges_match(&self.requests());
    }

    fn twin(&self) -> MutexGuard<'_, Twin> {
        self.state.lock().expect("fake Twilio state")
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// What the fake account holds.
#[derive(Default)]
struct Twin {
    exchanges: Vec<Exchange>,
    numbers: Vec<FakeNumber>,
    for_sale: Vec<(&'static str, &'static str, &'static str, bool)>,
    /// Sends left to fail, with the code and status to fail with.
    failure: Option<(u32, i64, StatusCode)>,
    /// Sends left whose answer breaks off halfway.
    lose_answers: u32,
    /// What a 429 says in `Retry-After`, if anything.
    retry_after: Option<u64>,
    delay: Duration,
}

type Answer = (StatusCode, Option<Value>);

/// What a request asks for.
enum Op<'a> {
    Account,
    Send,
    Search { country: &'a str },
    List,
    Buy,
    Update { sid: &'a str },
    Release { sid: &'a str },
}

impl Op<'_> {
    /// The path template Twilio's OpenAPI description files the operation under.
    fn template(&self) -> &'static str {
        match self {
            Self::Account => "/2010-04-01/Accounts/{Sid}.json",
            Self::Send => "/2010-04-01/Accounts/{AccountSid}/Messages.json",
            Self::Search { .. } => {
                "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json"
            }
            Self::List | Self::Buy => "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
            Self::Update { .. } | Self::Release { .. } => {
                "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"
            }
        }
    }
}

/// The account a request names and what it asks of it; `None` for anything this fake
/// does not serve.
fn operation<'a>(method: &Method, path: &'a str) -> Option<(&'a str, Op<'a>)> {
    let rest = path.strip_prefix(API)?.strip_prefix("/Accounts/")?;
    let segments: Vec<&'a str> = rest.split('/').collect();
    Some(match (method.as_str(), segments.as_slice()) {
        ("GET", [account]) => (account.strip_suffix(".json")?, Op::Account),
        ("POST", [account, "Messages.json"]) => (account, Op::Send),
        ("GET", [account, "AvailablePhoneNumbers", country, "Local.json"]) => {
            (account, Op::Search { country })
        }
        ("GET", [account, "IncomingPhoneNumbers.json"]) => (account, Op::List),
        ("POST", [account, "IncomingPhoneNumbers.json"]) => (account, Op::Buy),
        ("POST", [account, "IncomingPhoneNumbers", sid]) => {
            let sid = sid.strip_suffix(".json")?;
            (account, Op::Update { sid })
        }
        ("DELETE", [account, "IncomingPhoneNumbers", sid]) => {
            let sid = sid.strip_suffix(".json")?;
            (account, Op::Release { sid })
        }
        _ => return None,
    })
}

async fn handle(
    State(state): State<Arc<Mutex<Twin>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delay = state.lock().expect("state").delay;
    tokio::time::sleep(delay).await;
    let path = uri.path();
    let query = pairs(uri.query().unwrap_or_default().as_bytes());
    let form = if method == Method::POST {
        pairs(&body)
    } else {
        Vec::new()
    };
    let op = operation(&method, path);
    let (status, response) = match &op {
        None => not_found(path),
        Some(_) if !authorized(&headers) => error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"),
        // Credentials open their own account only.
        Some((account, _)) if *account != ACCOUNT_SID => not_found(path),
        Some((_, op)) => state.lock().expect("state").answer(op, path, &query, &form),
    };
    state.lock().expect("state").exchanges.push(Exchange {
        method: method.to_string(),
        path: path.to_owned(),
        route: op.as_ref().map(|(_, op)| op.template()),
        query,
        form,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        status: status.as_u16(),
        response: response.clone(),
    });
    let lose = matches!(op, Some((_, Op::Send))) && status.is_success() && {
        let mut twin = state.lock().expect("state");
        let lose = twin.lose_answers > 0;
        twin.lose_answers = twin.lose_answers.saturating_sub(1);
        lose
    };
    let mut answer = match response {
        Some(body) if lose => broken_off(status, &body),
        Some(body) => (status, Json(body)).into_response(),
        None => status.into_response(),
    };
    if let (StatusCode::TOO_MANY_REQUESTS, Some(secs)) =
        (status, state.lock().expect("state").retry_after)
    {
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
    }
    answer
}

/// An answer whose body stops halfway with an error: the connection dropped.
fn broken_off(status: StatusCode, body: &Value) -> Response {
    let json = body.to_string();
    let half = Bytes::from(json[..json.len() / 2].to_owned());
    let chunks: [Result<Bytes, std::io::Error>; 2] = [
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset",
        )),
    ];
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from_stream(futures::stream::iter(chunks)))
        .expect("response")
}

impl Twin {
    fn answer(
        &mut self,
        op: &Op<'_>,
        path: &str,
        query: &[(String, String)],
        form: &[(String, String)],
    ) -> Answer {
        match *op {
            Op::Account => (StatusCode::OK, Some(account())),
            Op::Send => self.send(form),
            Op::Search { country: "US" } => self.search(path, query),
            Op::Search { .. } => not_found(path),
            Op::List => self.list(path, query),
            Op::Buy => self.buy(form),
            Op::Update { sid } => self.update(sid, path, form),
            Op::Release { sid } => self.release(sid, path),
        }
    }

    fn send(&mut self, form: &[(String, String)]) -> Answer {
        if let Some((n, code, status)) = self.failure.as_mut().filter(|f| f.0 > 0) {
            *n -= 1;
            return error(*status, *code, error_message(*code));
        }
        let (to, from) = (param(form, "To"), param(form, "From"));
        let body = param(form, "Body").unwrap_or_default();
        let Some(to) = to else {
            return error(
                StatusCode::BAD_REQUEST,
                21604,
                "A 'To' phone number is required.",
            );
        };
        let Some(from) = from else {
            return error(
                StatusCode::BAD_REQUEST,
                21603,
                "A 'From' phone number is required.",
            );
        };
        if !is_e164(to) {
            let message = format!("The 'To' number {to} is not a valid phone number.");
            return error(StatusCode::BAD_REQUEST, 21211, &message);
        }
        if !self.numbers.iter().any(|n| n.e164 == from) {
            let message = format!(
                "The 'From' number {from} is not a valid phone number, shortcode, or alphanumeric sender ID."
            );
            return error(StatusCode::BAD_REQUEST, 21212, &message);
        }
        if body.is_empty() {
            return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
        }
        (StatusCode::CREATED, Some(message(from, to, body)))
    }

    fn search(&self, path: &str, query: &[(String, String)]) -> Answer {
        let area = param(query, "AreaCode").map(|a| format!("+1{a}"));
        let region = param(query, "InRegion");
        let sms_only = param(query, "SmsEnabled") == Some("true");
        let found: Vec<Value> = self
            .for_sale
            .iter()
            .filter(|(e164, _, r, sms)| {
                area.as_ref().is_none_or(|a| e164.starts_with(a.as_str()))
                    && region.is_none_or(|want| want.eq_ignore_ascii_case(r))
                    && (*sms || !sms_only)
            })
            .map(|&(e164, locality, region, sms)| for_sale(e164, locality, region, sms))
            .collect();
        let n = found.len();
        let page = page_json(path, &[], 0, PAGE_SIZE, n, false);
        (
            StatusCode::OK,
            Some(with_items(page, "available_phone_numbers", found)),
        )
    }

    fn list(&self, path: &str, query: &[(String, String)]) -> Answer {
        let filter: Vec<(&str, &str)> = param(query, "PhoneNumber")
            .map(|p| ("PhoneNumber", p))
            .into_iter()
            .collect();
        let size = param(query, "PageSize")
            .and_then(|s| s.parse().ok())
            .unwrap_or(PAGE_SIZE)
            .clamp(1, 1000);
        let page: usize = param(query, "Page")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let matching: Vec<&FakeNumber> = self
            .numbers
            .iter()
            .filter(|n| filter.iter().all(|(_, p)| n.e164 == *p))
            .collect();
        let items: Vec<Value> = matching
            .iter()
            .skip(page * size)
            .take(size)
            .map(|n| number(n))
            .collect();
        let more = matching.len() > (page + 1) * size;
        let json = page_json(path, &filter, page, size, items.len(), more);
        (
            StatusCode::OK,
            Some(with_items(json, "incoming_phone_numbers", items)),
        )
    }

    fn buy(&mut self, form: &[(String, String)]) -> Answer {
        let Some(e164) = param(form, "PhoneNumber") else {
            return error(StatusCode::BAD_REQUEST, 21421, "PhoneNumber is required.");
        };
        let Some(i) = self.for_sale.iter().position(|n| n.0 == e164) else {
            let message = format!("Phone number {e164} is not available.");
            return error(StatusCode::BAD_REQUEST, 21422, &message);
        };
        self.for_sale.remove(i);
        let mut bought = FakeNumber::new(e164);
        set_webhooks(&mut bought, form);
        let json = number(&bought);
        self.numbers.push(bought);
        (StatusCode::CREATED, Some(json))
    }

    fn update(&mut self, sid: &str, path: &str, form: &[(String, String)]) -> Answer {
        match self.numbers.iter_mut().find(|n| n.sid == sid) {
            Some(n) => {
                set_webhooks(n, form);
                (StatusCode::OK, Some(number(n)))
            }
            None => not_found(path),
        }
    }

    fn release(&mut self, sid: &str, path: &str) -> Answer {
        match self.numbers.iter().position(|n| n.sid == sid) {
            Some(i) => {
                self.numbers.remove(i);
                (StatusCode::NO_CONTENT, None)
            }
            None => not_found(path),
        }
    }
}

/// Twilio changes only the parameters sent; an empty value clears the URL.
fn set_webhooks(n: &mut FakeNumber, form: &[(String, String)]) {
    for (name, value) in form {
        match name.as_str() {
            "SmsUrl" => n.sms_url.clone_from(value),
            "SmsMethod" => n.sms_method.clone_from(value),
            "StatusCallback" => n.status_callback.clone_from(value),
            _ => {}
        }
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"));
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|v| v == expected)
}

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(raw).unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn is_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}
