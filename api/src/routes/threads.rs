//! `/api/messages/threads`: the owner inbox and a thread's messages.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, put},
};
use engine::{
    clock,
    overrides::{self, Override},
    threads::{self, Message, ThreadFilter, ThreadPage, ThreadSummary},
};
use serde::{Deserialize, Serialize};

use crate::{
    auth::Owner,
    error::ApiResult,
    extract::{Json, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/messages/threads", get(list))
        .route("/api/messages/threads/{id}", get(show))
        .route("/api/messages/threads/{id}/messages", get(messages))
        .route(
            "/api/messages/threads/{id}/override",
            put(set_override).delete(clear_override),
        )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Which inbox: `owner` (the default and, for now, the only one).
    pub inbox: Option<String>,
    /// Only threads with unread messages.
    #[serde(default)]
    pub unread: bool,
    /// Only threads with a policy violation.
    #[serde(default)]
    pub policy: bool,
    /// Only threads with a failed delivery.
    #[serde(default)]
    pub failures: bool,
    /// Text to find in the client's name.
    pub q: Option<String>,
    /// `nextCursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// The owner inbox: threads, most recent activity first, paged by cursor.
#[utoipa::path(get, path = "/api/messages/threads", tag = "messages", params(ListQuery),
    responses((status = 200, body = ThreadPage), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<ThreadPage>> {
    if let Some(inbox) = q.inbox.as_deref().filter(|i| *i != "owner") {
        return Err(engine::Error::invalid(
            "inbox",
            format!("`{inbox}` is not an inbox; use `owner`"),
        )
        .into());
    }
    if q.limit.is_some_and(|l| !(1..=200).contains(&l)) {
        return Err(engine::Error::invalid("limit", "must be from 1 to 200").into());
    }
    let filter = ThreadFilter {
        unread: q.unread,
        policy: q.policy,
        failures: q.failures,
        search: q.q.unwrap_or_default(),
        cursor: q.cursor,
        limit: q.limit.unwrap_or(50),
        thread_id: None,
    };
    Ok(axum::Json(
        threads::list(&state.engine.db, &scope, &filter, state.engine.clock.now()).await?,
    ))
}

/// One thread, as the inbox lists it (reading it does not mark it read).
#[utoipa::path(get, path = "/api/messages/threads/{id}", tag = "messages",
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 200, body = ThreadSummary), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ThreadSummary>> {
    let now = state.engine.clock.now();
    threads::summary(&state.engine.db, &scope, &id, now)
        .await?
        .map(axum::Json)
        .ok_or_else(|| engine::Error::NotFound("thread").into())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageList {
    pub messages: Vec<Message>,
}

/// A thread's messages, oldest first; opening it marks the thread read.
#[utoipa::path(get, path = "/api/messages/threads/{id}/messages", tag = "messages",
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 200, body = MessageList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<MessageList>> {
    let messages = threads::messages(&state.engine.db, &scope, &id).await?;
    Ok(axum::Json(MessageList { messages }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideRequest {
    /// `owner_inbox` or `sitter`.
    pub target: String,
    /// Required when `target` is `sitter`.
    pub sitter_id: Option<String>,
    /// RFC 3339, in the future.
    pub until: String,
}

/// Pin the thread to the owner inbox or one sitter until a time; routing follows the pin.
#[utoipa::path(put, path = "/api/messages/threads/{id}/override", tag = "messages", request_body = OverrideRequest,
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 200, body = Override), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn set_override(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(req): Json<OverrideRequest>,
) -> ApiResult<axum::Json<Override>> {
    let until = clock::parse_rfc3339("until", &req.until)?;
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let pin = overrides::set(
        &mut tx,
        &scope,
        &id,
        &req.target,
        req.sitter_id.as_deref(),
        until,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(pin))
}

/// Remove the thread's pin.
#[utoipa::path(delete, path = "/api/messages/threads/{id}/override", tag = "messages",
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn clear_override(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut tx = state.engine.db.begin().await?;
    overrides::clear(&mut tx, &scope, &id, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
