//! `/api/alerts`: what needs a human, and resolving it.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::alerts::{self, Alert};
use serde::{Deserialize, Serialize};

use crate::{
    auth::Owner,
    error::ApiResult,
    extract::{Json, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/alerts", get(list))
        .route("/api/alerts/{id}/resolve", post(resolve))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `open` (default), `resolved` or `all`.
    pub status: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}

/// Alerts, the most severe and most recent first.
#[utoipa::path(get, path = "/api/alerts", tag = "alerts", params(ListQuery),
    responses((status = 200, body = AlertList), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<AlertList>> {
    let alerts = alerts::list(
        &state.engine.db,
        &scope,
        q.status.as_deref().unwrap_or("open"),
        200,
    )
    .await?;
    Ok(axum::Json(AlertList { alerts }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct Resolution {
    /// Why it is resolved (kept in the audit trail).
    #[serde(default)]
    pub note: String,
}

/// Resolve an open alert.
#[utoipa::path(post, path = "/api/alerts/{id}/resolve", tag = "alerts", request_body = Resolution,
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(body): Json<Resolution>,
) -> ApiResult<StatusCode> {
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    alerts::resolve(&mut tx, &scope, &id, body.note.trim(), now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
