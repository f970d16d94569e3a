//! `/api/messages/diagnostics`: the rollout checklist's counters (owner or API key).

use axum::{Router, extract::State, routing::get};
use engine::diagnostics::{self, Diagnostics};

use crate::{auth::Owner, error::ApiResult, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/messages/diagnostics", get(show))
}

/// Thread counts by number class, owner-inbox routing counts, flags, and the last 50
/// routing decisions with phone numbers redacted.
#[utoipa::path(get, path = "/api/messages/diagnostics", tag = "messages",
    responses((status = 200, body = Diagnostics), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<Diagnostics>> {
    let now = state.engine.clock.now();
    Ok(axum::Json(
        diagnostics::collect(
            &state.engine,
            &scope,
            now,
            engine::flags::for_org(&state.engine, &scope.org_id).await?,
        )
        .await?,
    ))
}
