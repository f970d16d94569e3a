//! Sending: the owner's composer (`POST /api/messages/threads/{id}/messages`) and Retry
//! (`POST /api/messages/{messageId}/retry`). Both answer at once with the queued
//! attempt; the `send_message` job does the sending.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::post,
};
use engine::{
    deliveries::Delivery,
    outbound::{self, Author, Queued},
};
use serde::Deserialize;

use crate::{auth::Owner, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/messages/threads/{id}/messages", post(send))
        .route("/api/messages/{id}/retry", post(retry))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendRequest {
    /// 1 to 1,600 characters.
    pub body: String,
    /// Send even though the policy found contact info (owners only); needs `reason`.
    #[serde(default)]
    pub force: bool,
    /// Why the owner sends it anyway (kept in the audit trail).
    pub reason: Option<String>,
}

/// Sends a text on the thread from its business number. A text with contact info is
/// refused with `policy_warning` (409) unless `force` is set with a `reason`.
#[utoipa::path(post, path = "/api/messages/threads/{id}/messages", tag = "messages", request_body = SendRequest,
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 201, body = Queued), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(req): Json<SendRequest>,
) -> ApiResult<(StatusCode, axum::Json<Queued>)> {
    let reason = match (req.force, req.reason.as_deref().map(str::trim)) {
        (false, _) => None,
        (true, Some(r)) if !r.is_empty() => Some(r),
        (true, _) => {
            return Err(engine::Error::invalid(
                "reason",
                "is required to send a text the policy warned about",
            )
            .into());
        }
    };
    let queued =
        outbound::send(&state.engine, Author::Owner(&scope), &id, &req.body, reason).await?;
    Ok((StatusCode::CREATED, axum::Json(queued)))
}

/// A new attempt for a text whose last attempt failed or is uncertain (`attemptNo + 1`).
#[utoipa::path(post, path = "/api/messages/{id}/retry", tag = "messages",
    params(("id" = String, Path, description = "Message id")),
    responses((status = 201, body = Delivery), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<Delivery>)> {
    let delivery = outbound::retry(&state.engine, Author::Owner(&scope), &id).await?;
    Ok((StatusCode::CREATED, axum::Json(delivery)))
}
