//! `/api/settings/windows`: how far a booking's assignment window reaches before and
//! after the visit (proactive threads).

use axum::{Router, extract::State, routing::get};
use engine::proactive::{self, Buffers};

use crate::{auth::Owner, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/settings/windows", get(show).put(update))
}

/// The org's window buffers, in minutes.
#[utoipa::path(get, path = "/api/settings/windows", tag = "settings",
    responses((status = 200, body = Buffers)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<Buffers>> {
    Ok(axum::Json(
        proactive::buffers(&state.engine.db, &scope.org_id).await?,
    ))
}

/// Set the buffers (0–1440 minutes each). Windows already made keep theirs until their
/// booking changes.
#[utoipa::path(put, path = "/api/settings/windows", tag = "settings", request_body = Buffers,
    responses((status = 200, body = Buffers), (status = 400, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(buffers): Json<Buffers>,
) -> ApiResult<axum::Json<Buffers>> {
    let mut tx = state.engine.db.begin().await?;
    proactive::set_buffers(&mut tx, &scope, buffers, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(axum::Json(buffers))
}
