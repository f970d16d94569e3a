//! Provider webhooks in Twilio's dialect: form-encoded POSTs answered with TwiML.
//!
//! The inbound handler stores the event and enqueues its routing job in one transaction
//! and only then answers 200, so an acknowledged text is never lost; a MessageSid seen
//! before is acknowledged again without doing anything.

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, header},
    response::IntoResponse,
    routing::post,
};
use engine::inbound::{self, Accepted, InboundSms};

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/twilio/sms", post(inbound_sms))
        .route("/webhooks/twilio/inbound-sms", post(inbound_sms))
        .route("/api/messages/incoming", post(inbound_sms))
}

pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

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
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let params: Vec<(String, String)> = if is_json {
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
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let metrics = &state.engine.metrics;
    let result = async {
        let params = parse_params(&headers, &body)?;
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
        };
        Ok::<_, ApiError>(inbound::accept(&state.engine, &sms).await?)
    }
    .await;
    match result {
        Ok(accepted) => {
            metrics.incr("webhooks_received_total");
            if accepted == Accepted::Duplicate {
                metrics.incr("webhooks_duplicate_total");
                tracing::info!("inbound webhook repeated; acknowledged again");
            }
            Ok(([(header::CONTENT_TYPE, "text/xml")], EMPTY_TWIML))
        }
        Err(e) => {
            metrics.incr("webhooks_rejected_total");
            Err(e)
        }
    }
}
