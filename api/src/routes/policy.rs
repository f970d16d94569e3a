//! `/api/policy/violations`: what the anti-poaching policy found, for the owner to review.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::violations::{self, Violation, ViolationFilter};
use serde::{Deserialize, Serialize};

use crate::{
    auth::Owner,
    error::ApiResult,
    extract::{Json, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/policy/violations", get(list))
        .route("/api/policy/violations/{id}/resolve", post(resolve))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// `open`, `resolved` or `overridden` (default: all).
    pub status: Option<String>,
    /// `phone`, `email`, `url`, `social` or `payment`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub thread_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ViolationList {
    pub violations: Vec<Violation>,
}

/// Policy violations, newest first, with the text as written.
#[utoipa::path(get, path = "/api/policy/violations", tag = "policy", params(ListQuery),
    responses((status = 200, body = ViolationList), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<ViolationList>> {
    let filter = ViolationFilter {
        status: q.status,
        kind: q.kind,
        thread_id: q.thread_id,
        limit: 200,
    };
    let violations = violations::list(&state.engine.db, &scope, &filter).await?;
    Ok(axum::Json(ViolationList { violations }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Verdict {
    /// `resolve` (dealt with; the default) or `override` (not a problem).
    pub action: Option<String>,
    /// Why (required; kept in the audit trail).
    #[serde(default)]
    pub reason: String,
}

/// Resolves or overrides a violation with a reason.
#[utoipa::path(post, path = "/api/policy/violations/{id}/resolve", tag = "policy", request_body = Verdict,
    params(("id" = String, Path, description = "Violation id")),
    responses((status = 204), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(v): Json<Verdict>,
) -> ApiResult<StatusCode> {
    let mut tx = state.engine.db.begin().await?;
    let action = v.action.as_deref().unwrap_or("resolve");
    violations::resolve(
        &mut tx,
        &scope,
        &id,
        action,
        &v.reason,
        state.engine.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
