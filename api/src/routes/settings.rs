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
    quiet_hours,
};
use serde::{Deserialize, Serialize};

use crate::{auth::Owner, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/settings/api-keys", post(create_api_key))
        .route("/api/settings/flags", get(list_flags).put(set_flags))
        .route(
            "/api/settings/automations",
            get(automation_settings).put(set_automation_settings),
        )
}

/// The org's settings for automated texts.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationSettings {
    /// Local times (`"21:00"` to `"08:00"`) in which no automated text goes out; texts due
    /// then wait until the end. `null`: none.
    pub quiet_hours: Option<QuietHoursBody>,
    /// The caller's own mobile, for automations that text the owner (or a sitter).
    /// `null` clears it.
    pub my_mobile: Option<String>,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuietHoursBody {
    pub start: String,
    pub end: String,
}

async fn read_automation_settings(
    state: &AppState,
    scope: &engine::accounts::OwnerScope,
) -> ApiResult<AutomationSettings> {
    let (quiet, _) = quiet_hours::of_org(&state.engine.db, &scope.org_id).await?;
    let mobile = match &scope.user_id {
        Some(id) => accounts::mobile(&state.engine.db, &scope.org_id, id).await?,
        None => None,
    };
    Ok(AutomationSettings {
        quiet_hours: quiet.map(|q| QuietHoursBody {
            start: q.start(),
            end: q.end(),
        }),
        my_mobile: mobile,
    })
}

/// Quiet hours and the caller's mobile.
#[utoipa::path(get, path = "/api/settings/automations", tag = "settings",
    responses((status = 200, body = AutomationSettings)))]
pub async fn automation_settings(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<AutomationSettings>> {
    Ok(axum::Json(read_automation_settings(&state, &scope).await?))
}

/// Sets quiet hours (`{"quietHours": {"start": "21:00", "end": "08:00"}}`, or `null` for
/// none) and the caller's mobile (E.164, or `null`). Audited.
#[utoipa::path(put, path = "/api/settings/automations", tag = "settings", request_body = AutomationSettings,
    responses((status = 200, body = AutomationSettings), (status = 400, body = crate::error::ErrorBody)))]
pub async fn set_automation_settings(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<AutomationSettings>,
) -> ApiResult<axum::Json<AutomationSettings>> {
    let quiet = match &req.quiet_hours {
        Some(q) => Some(quiet_hours::QuietHours::parse(&q.start, &q.end)?),
        None => None,
    };
    let mobile = match req
        .my_mobile
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) => Some(engine::phone::parse_e164("myMobile", m)?),
        None => None,
    };
    quiet_hours::set(&state.engine.db, &scope.org_id, quiet).await?;
    if let Some(user_id) = &scope.user_id {
        accounts::set_mobile(&state.engine.db, &scope.org_id, user_id, mobile.as_deref()).await?;
    }
    Ok(axum::Json(read_automation_settings(&state, &scope).await?))
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
