//! `/api/settings`: the org's API keys.

use axum::{Router, extract::State, http::StatusCode, routing::post};
use engine::accounts;
use serde::{Deserialize, Serialize};

use crate::{auth::Owner, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/settings/api-keys", post(create_api_key))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewApiKey {
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    /// Send as `X-API-Key`. Shown once: only a hash is kept.
    pub key: String,
}

/// Create an API key that acts as the org's owner.
#[utoipa::path(post, path = "/api/settings/api-keys", tag = "settings", request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<NewApiKey>,
) -> ApiResult<(StatusCode, axum::Json<CreatedApiKey>)> {
    let name = req.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(engine::Error::invalid("name", "must be 1 to 100 characters").into());
    }
    let key =
        accounts::create_api_key(&state.engine.db, &scope, name, state.engine.clock.now()).await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedApiKey { key })))
}
