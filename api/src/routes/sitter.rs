//! The sitter's API: their conversations, during their assignment windows, with the
//! business number in place of the client's.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::{
    deliveries::Delivery,
    outbound::{self, Author},
    threads::{self, SitterMessage, SitterThread, SitterThreadHeader},
};
use serde::{Deserialize, Serialize};

use crate::{auth::Sitter, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sitter/threads", get(list))
        .route(
            "/api/sitter/threads/{id}/messages",
            get(messages).post(send),
        )
        .route("/api/sitter/messages/{id}/retry", post(retry))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SitterThreadList {
    pub threads: Vec<SitterThread>,
}

/// The sitter's threads with an active or upcoming window.
#[utoipa::path(get, path = "/api/sitter/threads", tag = "sitter",
    responses((status = 200, body = SitterThreadList), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Sitter(scope): Sitter,
) -> ApiResult<axum::Json<SitterThreadList>> {
    let threads = threads::for_sitter(&state.engine.db, &scope, state.engine.clock.now()).await?;
    Ok(axum::Json(SitterThreadList { threads }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SitterConversation {
    pub thread: SitterThreadHeader,
    pub messages: Vec<SitterMessage>,
}

/// One conversation, while the sitter's window on it is active (403 otherwise).
#[utoipa::path(get, path = "/api/sitter/threads/{id}/messages", tag = "sitter",
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 200, body = SitterConversation), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    Sitter(scope): Sitter,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<SitterConversation>> {
    let (thread, messages) =
        threads::sitter_messages(&state.engine.db, &scope, &id, state.engine.clock.now()).await?;
    Ok(axum::Json(SitterConversation { thread, messages }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SitterSendRequest {
    /// 1 to 1,600 characters; no contact details.
    pub body: String,
}

/// What the sitter's send answers: the new message, without any phone number.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SitterSent {
    pub message: SitterMessage,
    pub delivery_status: String,
}

/// Sends a text during the sitter's active window. Outside it: 403; with contact info:
/// 422 `policy_blocked`, not sent.
#[utoipa::path(post, path = "/api/sitter/threads/{id}/messages", tag = "sitter", request_body = SitterSendRequest,
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 201, body = SitterSent), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    Sitter(scope): Sitter,
    Path(id): Path<String>,
    Json(req): Json<SitterSendRequest>,
) -> ApiResult<(StatusCode, axum::Json<SitterSent>)> {
    let queued =
        outbound::send(&state.engine, Author::Sitter(&scope), &id, &req.body, None).await?;
    let message = SitterMessage {
        id: queued.message.id,
        direction: queued.message.direction,
        kind: queued.message.kind,
        body: queued.message.body,
        redacted: false,
        sender_name: None,
        status: Some(queued.delivery.status.clone()),
        attempts: 1,
        mine: true,
        created_at: queued.message.created_at,
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(SitterSent {
            message,
            delivery_status: queued.delivery.status,
        }),
    ))
}

/// A new attempt at the sitter's own text that failed or is uncertain, during their
/// window on its conversation (403 outside it; 404 for anyone else's text).
#[utoipa::path(post, path = "/api/sitter/messages/{id}/retry", tag = "sitter",
    params(("id" = String, Path, description = "Message id")),
    responses((status = 201, body = Delivery), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    Sitter(scope): Sitter,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<Delivery>)> {
    let delivery = outbound::retry(&state.engine, Author::Sitter(&scope), &id).await?;
    Ok((StatusCode::CREATED, axum::Json(delivery)))
}
