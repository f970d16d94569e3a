//! `/api/routing`: why each inbound text went where it went.

use axum::{
    Router,
    extract::{Path, State},
    routing::{get, post},
};
use engine::decisions::{self, DecisionFilter, ReplayReport, RoutingDecision};
use serde::{Deserialize, Serialize};

use crate::{auth::Owner, error::ApiResult, extract::Query, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/routing/decisions", get(list))
        .route("/api/routing/threads/{id}/history", get(history))
        .route("/api/routing/threads/{id}/replay", post(replay))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionList {
    pub decisions: Vec<RoutingDecision>,
}

/// A thread's routing decisions with their traces, newest first.
#[utoipa::path(get, path = "/api/routing/threads/{id}/history", tag = "routing",
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 200, body = DecisionList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DecisionList>> {
    Ok(axum::Json(DecisionList {
        decisions: decisions::history(&state.engine.db, &scope, &id).await?,
    }))
}

/// Re-runs the thread's stored routing inputs and reports any decision that now differs.
#[utoipa::path(post, path = "/api/routing/threads/{id}/replay", tag = "routing",
    params(("id" = String, Path, description = "Thread id")),
    responses((status = 200, body = ReplayReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ReplayReport>> {
    Ok(axum::Json(
        decisions::replay(&state.engine.db, &scope, &id).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `owner_inbox` or `sitter`.
    pub target: Option<String>,
    /// Text the reason contains, such as `pool` or `window`.
    pub reason: Option<String>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

/// Recent routing decisions across threads, newest first.
#[utoipa::path(get, path = "/api/routing/decisions", tag = "routing", params(ListQuery),
    responses((status = 200, body = DecisionList), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<DecisionList>> {
    let target = q.target.unwrap_or_default();
    if !matches!(target.as_str(), "" | "owner_inbox" | "sitter") {
        return Err(engine::Error::invalid("target", "must be owner_inbox or sitter").into());
    }
    let filter = DecisionFilter {
        target,
        reason: q.reason.unwrap_or_default(),
        limit: q.limit.unwrap_or(100),
    };
    Ok(axum::Json(DecisionList {
        decisions: decisions::recent(&state.engine.db, &scope, &filter).await?,
    }))
}
