//! `/api/ops/*`: the dead-letter queue (replay, discard) and the health of the job queues.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::{
    dead_letters::{self, DeadLetter},
    inbound,
    jobs::{self, QueueHealth},
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
        .route("/api/ops/dead-letters", get(list))
        .route("/api/ops/dead-letters/{id}/replay", post(replay))
        .route("/api/ops/dead-letters/{id}/discard", post(discard))
        .route("/api/ops/health", get(health))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `open` (default), `replayed`, `discarded` or `all`.
    pub status: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterList {
    pub dead_letters: Vec<DeadLetter>,
}

/// Jobs that used up their attempts, newest first.
#[utoipa::path(get, path = "/api/ops/dead-letters", tag = "ops", params(ListQuery),
    responses((status = 200, body = DeadLetterList), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<DeadLetterList>> {
    let status = q.status.as_deref().unwrap_or("open");
    let dead_letters = dead_letters::list(&state.engine.db, &scope, status).await?;
    Ok(axum::Json(DeadLetterList { dead_letters }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Reason {
    /// Why (required; kept in the audit trail).
    #[serde(default)]
    pub reason: String,
}

/// Queues the job again; a failed send starts a new run of attempts. Its alert resolves
/// when the text goes through.
#[utoipa::path(post, path = "/api/ops/dead-letters/{id}/replay", tag = "ops", request_body = Reason,
    params(("id" = String, Path, description = "Dead letter id")),
    responses((status = 202), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(r): Json<Reason>,
) -> ApiResult<StatusCode> {
    dead_letters::replay(&state.engine, &scope, &id, &r.reason).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Gives up on the job for good, with a reason.
#[utoipa::path(post, path = "/api/ops/dead-letters/{id}/discard", tag = "ops", request_body = Reason,
    params(("id" = String, Path, description = "Dead letter id")),
    responses((status = 204), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn discard(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(r): Json<Reason>,
) -> ApiResult<StatusCode> {
    dead_letters::discard(&state.engine, &scope, &id, &r.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpsHealth {
    /// `ok`, or what went wrong reaching it.
    pub database: String,
    pub database_kind: String,
    pub provider: String,
    pub queues: Vec<QueueHealth>,
    /// The org's open dead letters.
    pub failed_jobs: i64,
    pub last_webhook_at: Option<String>,
}

/// The database, the job queues, failed jobs and the last inbound webhook.
#[utoipa::path(get, path = "/api/ops/health", tag = "ops", responses((status = 200, body = OpsHealth)))]
pub async fn health(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<OpsHealth>> {
    Ok(axum::Json(collect(&state, &scope).await?))
}

pub async fn collect(
    state: &AppState,
    scope: &engine::accounts::OwnerScope,
) -> ApiResult<OpsHealth> {
    let db = &state.engine.db;
    let database = match db.ping().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    Ok(OpsHealth {
        database,
        database_kind: db.kind().to_owned(),
        provider: engine::provider::for_org(&state.engine, &scope.org_id)
            .await?
            .kind()
            .to_owned(),
        queues: jobs::queue_health(db).await?,
        failed_jobs: dead_letters::list(db, scope, "open").await?.len() as i64,
        last_webhook_at: inbound::last_received(db, &scope.org_id)
            .await?
            .map(engine::clock::to_rfc3339),
    })
}
