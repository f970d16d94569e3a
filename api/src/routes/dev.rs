//! `/api/dev/mock/*`: the mock provider's books and knobs (owners, mock provider only).

use axum::{Router, extract::State, routing::get};
use engine::provider::{
    self, Provider,
    mock::{self, MockConfig, MockMessage},
};
use serde::Serialize;

use crate::{auth::Owner, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/dev/mock/messages", get(messages))
        .route("/api/dev/mock/config", get(config).post(set_config))
}

/// The mock, when it carries the org's texts.
async fn require_mock(state: &AppState, org_id: &str) -> ApiResult<mock::Mock> {
    match provider::for_org(&state.engine, org_id).await? {
        Provider::Mock(mock) => Ok(mock),
        Provider::Twilio(_) => Err(engine::Error::NotFound(
            "mock provider (this organisation sends through Twilio)",
        )
        .into()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MockMessageList {
    pub messages: Vec<MockMessage>,
}

/// Every text the mock provider "sent" for the org, newest first.
#[utoipa::path(get, path = "/api/dev/mock/messages", tag = "dev",
    responses((status = 200, body = MockMessageList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<MockMessageList>> {
    require_mock(&state, &scope.org_id).await?;
    let messages = mock::messages(&state.engine.db, &scope.org_id, 500).await?;
    Ok(axum::Json(MockMessageList { messages }))
}

/// How the mock provider misbehaves now.
#[utoipa::path(get, path = "/api/dev/mock/config", tag = "dev",
    responses((status = 200, body = MockConfig), (status = 404, body = crate::error::ErrorBody)))]
pub async fn config(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<MockConfig>> {
    require_mock(&state, &scope.org_id).await?;
    Ok(axum::Json(
        mock::config(&state.engine.db, &scope.org_id).await?,
    ))
}

/// Tells the mock provider to fail the next N sends, fail all, use an error code, or
/// answer slowly. Fields left out are reset to their defaults.
#[utoipa::path(post, path = "/api/dev/mock/config", tag = "dev", request_body = MockConfig,
    responses((status = 200, body = MockConfig), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn set_config(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(wanted): Json<MockConfig>,
) -> ApiResult<axum::Json<MockConfig>> {
    let mock = require_mock(&state, &scope.org_id).await?;
    let now = state.engine.clock.now();
    Ok(axum::Json(
        mock.set_config(&scope.org_id, &wanted, now).await?,
    ))
}
