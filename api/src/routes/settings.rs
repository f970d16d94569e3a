//! `/api/settings`: the org's API keys and feature flags.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use engine::{
    accounts,
    flags::{self, Flag},
};
use serde::{Deserialize, Serialize};

use crate::{auth::Owner, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/settings/api-keys", post(create_api_key))
        .route("/api/settings/flags", get(list_flags).put(set_flags))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FlagList {
    pub flags: Vec<Flag>,
}

/// The org's feature flags: each one's value, the install-wide default, and whether the
/// org overrides it.
#[utoipa::path(get, path = "/api/settings/flags", tag = "settings", responses((status = 200, body = FlagList)))]
pub async fn list_flags(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<FlagList>> {
    let flags = flags::list(&state.engine, &scope.org_id).await?;
    Ok(axum::Json(FlagList { flags }))
}

/// Flag name → `true`/`false` for this org, or `null` to follow the default again.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct FlagChanges(pub std::collections::BTreeMap<String, Option<bool>>);

/// Sets some of the org's flags, e.g. `{"ENABLE_SITTER_MESSAGES_V1": false}`. Turning
/// messaging back on files the texts that arrived while it was off.
#[utoipa::path(put, path = "/api/settings/flags", tag = "settings", request_body = FlagChanges,
    responses((status = 200, body = FlagList), (status = 400, body = crate::error::ErrorBody)))]
pub async fn set_flags(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(changes): Json<FlagChanges>,
) -> ApiResult<axum::Json<FlagList>> {
    if changes.0.is_empty() {
        return Err(engine::Error::invalid("flags", "name at least one flag to change").into());
    }
    if let Some(unknown) = changes.0.keys().find(|k| !flags::ALL.contains(&k.as_str())) {
        return Err(engine::Error::invalid(
            "name",
            format!(
                "`{unknown}` is not a flag; the flags are {}",
                flags::ALL.join(", ")
            ),
        )
        .into());
    }
    let mut list = Vec::new();
    for (name, value) in &changes.0 {
        list = flags::set(&state.engine, &scope, name, *value).await?;
    }
    Ok(axum::Json(FlagList { flags: list }))
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
