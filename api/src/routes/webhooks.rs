//! Provider webhooks in Twilio's dialect: form-encoded POSTs answered with TwiML.
//!
//! The inbound handler stores the event and enqueues its routing job in one transaction
//! and only then answers 200, so an acknowledged text is never lost; a MessageSid seen
//! before is acknowledged again without doing anything.

use axum::{
    Router,
    body::Bytes,
    extract::{OriginalUri, State},
    http::{HeaderMap, header},
    response::IntoResponse,
    routing::post,
};
use engine::{
    deliveries::{self, StatusUpdate},
    inbound::{self, Accepted, InboundSms},
    numbers,
    provider::connection,
};
use secrecy::ExposeSecret;

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/twilio/sms", post(inbound_sms))
        .route("/webhooks/twilio/inbound-sms", post(inbound_sms))
        .route("/api/messages/incoming", post(inbound_sms))
        .route("/webhooks/twilio/status", post(status_callback))
        .route("/api/messages/status", post(status_callback))
}

pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/// TwiML answering the sender with one message.
fn twiml_message(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{escaped}</Message></Response>"
    )
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Checks `X-Twilio-Signature` against the public URL the provider called (never the
/// `Host` header), with the auth token of the org the webhook is for: its own Twilio
/// account's, or the install's Twilio's. When the mock carries the org's texts,
/// signatures are optional.
async fn check_signature(
    state: &AppState,
    org_id: Option<&str>,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    params: &[(String, String)],
    body: &[u8],
) -> ApiResult<()> {
    let Some(token) = connection::signing_token(&state.engine, org_id).await? else {
        return Ok(());
    };
    let forbidden = |why: &str| ApiError::Engine(engine::Error::Forbidden(why.to_owned().into()));
    let Some(base) = &state.engine.settings.public_base_url else {
        return Err(forbidden(
            "the request signature cannot be checked: PUBLIC_BASE_URL is not set",
        ));
    };
    let wrong = "the request signature is missing or wrong";
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| forbidden(wrong))?;
    let url = format!(
        "{base}{}",
        uri.path_and_query().map_or(uri.path(), |p| p.as_str())
    );
    let token = token.expose_secret();
    let valid = if is_json(headers) {
        engine::signature::verify_json(token, &url, body, signature)
    } else {
        engine::signature::verify(token, &url, params, signature)
    };
    if valid { Ok(()) } else { Err(forbidden(wrong)) }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The org owning the business number named by parameter `name`, if any org does.
async fn org_of_number(
    state: &AppState,
    params: &[(String, String)],
    name: &str,
) -> ApiResult<Option<String>> {
    Ok(match param(params, name) {
        Some(e164) => numbers::by_e164(&state.engine.db, e164)
            .await?
            .map(|n| n.org_id),
        None => None,
    })
}

fn required(params: &[(String, String)], name: &'static str) -> ApiResult<String> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| engine::Error::invalid(name, "is required").into())
}

/// Parses the body keeping every parameter, including ones we have never seen. Twilio
/// sends a form; a flat JSON object of strings (as in hand-made test calls) works too.
fn parse_params(headers: &HeaderMap, body: &[u8]) -> ApiResult<Vec<(String, String)>> {
    let params: Vec<(String, String)> = if is_json(headers) {
        let map: std::collections::BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
                field: None,
                message: format!("the body is not a JSON object: {e}"),
            })?;
        map.into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect()
    } else {
        serde_urlencoded::from_bytes(body).map_err(|e| ApiError::BadRequest {
            field: None,
            message: format!("the body is not form-encoded: {e}"),
        })?
    };
    Ok(params
        .into_iter()
        .map(|(k, v)| (k, restore_plus(v)))
        .collect())
}

/// An unescaped `+` in a form body decodes as a space: ` 15551234567` from a hand-typed
/// `From=+15551234567` means `+15551234567`.
fn restore_plus(value: String) -> String {
    match value.strip_prefix(' ') {
        Some(rest) if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) => {
            format!("+{rest}")
        }
        _ => value,
    }
}

/// An inbound SMS from the provider (`MessageSid`, `From`, `To`, `Body`, and whatever
/// else it sends). Answers an empty TwiML `<Response/>`.
#[utoipa::path(post, path = "/webhooks/twilio/sms", tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", content = String, description = "Twilio's inbound message parameters"),
    responses((status = 200, content_type = "text/xml", body = String), (status = 400, body = crate::error::ErrorBody)))]
pub async fn inbound_sms(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let metrics = &state.engine.metrics;
    let result = async {
        let params = parse_params(&headers, &body)?;
        let org_id = org_of_number(&state, &params, "To").await?;
        check_signature(&state, org_id.as_deref(), &headers, &uri, &params, &body).await?;
        let sms = InboundSms {
            provider_sid: required(&params, "MessageSid")?,
            from: required(&params, "From")?,
            to: required(&params, "To")?,
            body: params
                .iter()
                .find(|(k, _)| k == "Body")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            params,
            idempotency_token: headers
                .get("i-twilio-idempotency-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        Ok::<_, ApiError>(inbound::accept(&state.engine, &sms).await?)
    }
    .await;
    match result {
        Ok(accepted) => {
            metrics.incr("webhooks_received_total");
            let twiml = match accepted {
                Accepted::Duplicate => {
                    metrics.incr("webhooks_duplicate_total");
                    tracing::info!("inbound webhook repeated; acknowledged again");
                    EMPTY_TWIML.to_owned()
                }
                Accepted::New { reply: Some(text) } => twiml_message(&text),
                Accepted::New { reply: None } => EMPTY_TWIML.to_owned(),
            };
            Ok(([(header::CONTENT_TYPE, "text/xml")], twiml))
        }
        Err(e) => {
            metrics.incr("webhooks_rejected_total");
            Err(e)
        }
    }
}

/// A status callback from the provider (`MessageSid`, `MessageStatus`, `ErrorCode`…),
/// signed like inbound webhooks. Idempotent and monotonic: a repeated or late callback
/// changes nothing.
#[utoipa::path(post, path = "/webhooks/twilio/status", tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", content = String, description = "Twilio's status callback parameters"),
    responses((status = 200, content_type = "text/xml", body = String), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn status_callback(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let params = parse_params(&headers, &body)?;
    // Our outbound texts leave from the org's number, so `From` names the org; failing
    // that, the message we sent.
    let org_id = match org_of_number(&state, &params, "From").await? {
        Some(org_id) => Some(org_id),
        None => match param(&params, "MessageSid") {
            Some(sid) => deliveries::org_of(&state.engine.db, sid).await?,
            None => None,
        },
    };
    check_signature(&state, org_id.as_deref(), &headers, &uri, &params, &body).await?;
    let optional = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let error_code = match optional("ErrorCode") {
        Some(code) => Some(
            code.parse::<i64>()
                .map_err(|_| engine::Error::invalid("ErrorCode", "must be a number"))?,
        ),
        None => None,
    };
    let status = required(&params, "MessageStatus")?.to_ascii_lowercase();
    let update = StatusUpdate {
        provider_message_id: required(&params, "MessageSid")?,
        status,
        error_code,
        error_message: optional("ErrorMessage"),
    };
    deliveries::apply_statuses(&state.engine, std::slice::from_ref(&update)).await?;
    Ok(([(header::CONTENT_TYPE, "text/xml")], EMPTY_TWIML))
}
