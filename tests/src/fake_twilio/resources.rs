//! The fake's answers, shaped field for field like Twilio's resources (every property
//! its OpenAPI description declares, `null` where Twilio has nothing to say) and errors.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ACCOUNT_SID, API, AUTH_TOKEN, Answer, FakeNumber};

/// Twilio's error body, `{code, message, more_info, status}` (its OpenAPI description
/// has none).
pub(super) fn error(status: StatusCode, code: i64, message: &str) -> Answer {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, Some(body))
}

pub(super) fn not_found(path: &str) -> Answer {
    let message = format!("The requested resource {path} was not found");
    error(StatusCode::NOT_FOUND, 20404, &message)
}

/// Twilio's wording for the codes tests make the fake fail with.
pub(super) fn error_message(code: i64) -> &'static str {
    match code {
        20429 => "Too Many Requests",
        20500 | 30500 => "Internal Server Error",
        21211 => "Invalid 'To' Phone Number",
        21610 => "Attempt to send to unsubscribed recipient",
        21614 => "'To' number is not a valid mobile number",
        30008 => "Unknown error",
        _ => "Error",
    }
}

/// The Account resource; Twilio does return the auth token in it.
pub(super) fn account() -> Value {
    let uri = |what: &str| format!("{API}/Accounts/{ACCOUNT_SID}/{what}.json");
    json!({
        "auth_token": AUTH_TOKEN,
        "date_created": "Tue, 03 Mar 2026 17:02:11 +0000",
        "date_updated": "Tue, 03 Mar 2026 17:02:11 +0000",
        "friendly_name": "Switchboard test account",
        "owner_account_sid": ACCOUNT_SID,
        "sid": ACCOUNT_SID,
        "status": "active",
        "subresource_uris": {
            "available_phone_numbers": uri("AvailablePhoneNumbers"),
            "incoming_phone_numbers": uri("IncomingPhoneNumbers"),
            "messages": uri("Messages"),
            "balance": uri("Balance"),
        },
        "type": "Full",
        "uri": format!("{API}/Accounts/{ACCOUNT_SID}.json"),
    })
}

pub(super) fn message(from: &str, to: &str, body: &str) -> Value {
    let sid = new_sid("SM");
    let uri = format!("{API}/Accounts/{ACCOUNT_SID}/Messages/{sid}");
    let now = now();
    json!({
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": now,
        "date_sent": null,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": from,
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": segments(body).to_string(),
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": { "media": format!("{uri}/Media.json") },
        "to": to,
        "uri": format!("{uri}.json"),
    })
}

pub(super) fn number(n: &FakeNumber) -> Value {
    json!({
        "account_sid": ACCOUNT_SID,
        "address_requirements": "none",
        "address_sid": null,
        "api_version": "2010-04-01",
        "beta": false,
        "bundle_sid": null,
        "capabilities": { "fax": false, "mms": true, "sms": true, "voice": true },
        "date_created": n.date_created,
        "date_updated": now(),
        "emergency_address_sid": null,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": friendly(&n.e164),
        "identity_sid": null,
        "origin": "twilio",
        "phone_number": n.e164,
        "sid": n.sid,
        "sms_application_sid": null,
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": n.sms_method,
        "sms_url": n.sms_url,
        "status": "in-use",
        "status_callback": n.status_callback,
        "status_callback_method": "POST",
        "trunk_sid": null,
        "type": "local",
        "uri": format!("{API}/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{}.json", n.sid),
        "voice_application_sid": null,
        "voice_caller_id_lookup": false,
        "voice_fallback_method": "POST",
        "voice_fallback_url": null,
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": null,
    })
}

pub(super) fn for_sale(e164: &str, locality: &str, region: &str, sms: bool) -> Value {
    json!({
        "address_requirements": "none",
        "beta": false,
        "capabilities": { "fax": false, "mms": sms, "sms": sms, "voice": true },
        "friendly_name": friendly(e164),
        "iso_country": "US",
        "lata": "722",
        "latitude": 37.77,
        "locality": locality,
        "longitude": -122.42,
        "phone_number": e164,
        "postal_code": "94103",
        "rate_center": locality.to_ascii_uppercase(),
        "region": region,
    })
}

/// A list page's envelope, with links that carry the filter as Twilio's do.
pub(super) fn page_json(
    path: &str,
    filter: &[(&str, &str)],
    page: usize,
    size: usize,
    count: usize,
    more: bool,
) -> Value {
    let link = |page: usize| {
        let mut params: Vec<(&str, String)> =
            filter.iter().map(|&(k, v)| (k, v.to_owned())).collect();
        params.push(("PageSize", size.to_string()));
        params.push(("Page", page.to_string()));
        if page > 0 {
            params.push(("PageToken", format!("PA{}", uuid::Uuid::new_v4().simple())));
        }
        let query = serde_urlencoded::to_string(&params).expect("query");
        format!("{path}?{query}")
    };
    let start = page * size;
    json!({
        "end": (start + count).saturating_sub(1).max(start),
        "first_page_uri": link(0),
        "next_page_uri": more.then(|| link(page + 1)),
        "page": page,
        "page_size": size,
        "previous_page_uri": (page > 0).then(|| link(page - 1)),
        "start": start,
        "uri": link(page),
    })
}

pub(super) fn with_items(mut page: Value, key: &str, items: Vec<Value>) -> Value {
    page[key] = Value::Array(items);
    page
}

/// A Twilio sid: two letters and 32 lowercase hex digits.
pub(super) fn new_sid(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// Twilio's dates are RFC 2822 (`Thu, 24 Aug 2023 05:01:45 +0000`).
pub(super) fn now() -> String {
    chrono::Utc::now().to_rfc2822()
}

/// `+14155550101` → `(415) 555-0101`, as Twilio names US numbers.
fn friendly(e164: &str) -> String {
    match e164.strip_prefix("+1") {
        Some(d) if d.len() == 10 => format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..]),
        _ => e164.to_owned(),
    }
}

/// Segments as Twilio counts them, taking ASCII as GSM-7 (close enough for a fake):
/// 160 characters in one, 153 a segment when split; otherwise UCS-2, 70 then 67.
fn segments(body: &str) -> usize {
    let (single, split, len) = if body.is_ascii() {
        (160, 153, body.len())
    } else {
        (70, 67, body.encode_utf16().count())
    };
    if len <= single {
        1
    } else {
        len.div_ceil(split)
    }
}
