//! `/api/setup/*`: the setup wizard's steps, one endpoint each (connect and test the
//! provider, choose numbers, install webhooks, check readiness, finish), and where the
//! owner is in it.

use axum::{
    Router,
    extract::State,
    routing::{get, post},
};
use engine::{
    numbers::Number,
    provider::connection::{self, Connect, ProviderStatus},
    setup::{self, AccountNumber, Choice, ConnectionTest, Progress, Readiness, WebhookStatus},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::{auth::Owner, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/setup/progress", get(progress).put(go_to))
        .route("/api/setup/provider/connect", post(connect))
        .route("/api/setup/provider/status", get(provider_status))
        .route("/api/setup/provider/test", post(test))
        .route("/api/setup/numbers", get(account_numbers).post(choose))
        .route("/api/setup/webhooks/install", post(install_webhooks))
        .route("/api/setup/webhooks/status", get(webhook_status))
        .route("/api/setup/readiness", get(readiness))
        .route("/api/setup/finish", post(finish))
}

/// Where the owner is in the wizard (it resumes there).
#[utoipa::path(get, path = "/api/setup/progress", tag = "setup", responses((status = 200, body = Progress)))]
pub async fn progress(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<Progress>> {
    Ok(axum::Json(
        setup::progress(&state.engine.db, &scope.org_id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct GoTo {
    /// 1 to 7.
    pub step: i32,
}

/// Moves the wizard to a step: back to look again, or past an optional one.
#[utoipa::path(put, path = "/api/setup/progress", tag = "setup", request_body = GoTo,
    responses((status = 200, body = Progress), (status = 400, body = crate::error::ErrorBody)))]
pub async fn go_to(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<GoTo>,
) -> ApiResult<axum::Json<Progress>> {
    Ok(axum::Json(
        setup::go_to(&state.engine, &scope, req.step).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectRequest {
    /// `mock` (the test provider) or `twilio`.
    pub provider: String,
    /// Twilio only: the Account SID (`AC…`).
    pub account_sid: Option<String>,
    /// Twilio only: the Auth Token. Stored encrypted; never shown again.
    #[schema(value_type = Option<String>)]
    pub auth_token: Option<SecretString>,
}

impl ConnectRequest {
    pub fn into_connect(self) -> engine::Result<Connect> {
        match self.provider.trim() {
            "mock" => Ok(Connect::Mock),
            "twilio" => Ok(Connect::Twilio {
                account_sid: self.account_sid.ok_or_else(|| {
                    engine::Error::invalid("accountSid", "is required for Twilio")
                })?,
                auth_token: self
                    .auth_token
                    .ok_or_else(|| engine::Error::invalid("authToken", "is required for Twilio"))?,
            }),
            _ => Err(engine::Error::invalid("provider", "must be mock or twilio")),
        }
    }
}

/// Connects the org's provider: the test provider, or its Twilio account (the token is
/// stored encrypted with the instance's `SWITCHBOARD_SECRET_KEY`).
#[utoipa::path(post, path = "/api/setup/provider/connect", tag = "setup", request_body = ConnectRequest,
    responses((status = 200, body = ProviderStatus), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn connect(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<ConnectRequest>,
) -> ApiResult<axum::Json<ProviderStatus>> {
    let wanted = req.into_connect()?;
    Ok(axum::Json(
        connection::connect(&state.engine, &scope, wanted).await?,
    ))
}

/// Which provider carries the org's texts, and whether it is connected.
#[utoipa::path(get, path = "/api/setup/provider/status", tag = "setup", responses((status = 200, body = ProviderStatus)))]
pub async fn provider_status(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<ProviderStatus>> {
    Ok(axum::Json(
        connection::status(&state.engine, &scope.org_id).await?,
    ))
}

/// Asks the provider for the account: "Connection successful", or its reason.
#[utoipa::path(post, path = "/api/setup/provider/test", tag = "setup", responses((status = 200, body = ConnectionTest)))]
pub async fn test(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<ConnectionTest>> {
    Ok(axum::Json(
        setup::test_connection(&state.engine, &scope).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccountNumberList {
    pub numbers: Vec<AccountNumber>,
}

/// The numbers on the provider account, with what each does here.
#[utoipa::path(get, path = "/api/setup/numbers", tag = "setup",
    responses((status = 200, body = AccountNumberList), (status = 502, body = crate::error::ErrorBody)))]
pub async fn account_numbers(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<AccountNumberList>> {
    let numbers = setup::account_numbers(&state.engine, &scope).await?;
    Ok(axum::Json(AccountNumberList { numbers }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChoiceList {
    pub numbers: Vec<Choice>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChosenList {
    pub numbers: Vec<Number>,
}

/// Saves which account numbers are the front desk, sitters' and pool numbers.
#[utoipa::path(post, path = "/api/setup/numbers", tag = "setup", request_body = ChoiceList,
    responses((status = 200, body = ChosenList), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn choose(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<ChoiceList>,
) -> ApiResult<axum::Json<ChosenList>> {
    let numbers = setup::choose(&state.engine, &scope, &req.numbers).await?;
    Ok(axum::Json(ChosenList { numbers }))
}

/// Points every active number's texts and status callbacks at `PUBLIC_BASE_URL`.
#[utoipa::path(post, path = "/api/setup/webhooks/install", tag = "setup",
    responses((status = 200, body = WebhookStatus), (status = 409, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn install_webhooks(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<WebhookStatus>> {
    Ok(axum::Json(
        setup::webhooks::install(&state.engine, &scope).await?,
    ))
}

/// Whether each active number's texts reach us, as the provider has them.
#[utoipa::path(get, path = "/api/setup/webhooks/status", tag = "setup",
    responses((status = 200, body = WebhookStatus), (status = 502, body = crate::error::ErrorBody)))]
pub async fn webhook_status(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<WebhookStatus>> {
    Ok(axum::Json(
        setup::webhooks::status(&state.engine, &scope).await?,
    ))
}

/// Each readiness check: passing, or what to do.
#[utoipa::path(get, path = "/api/setup/readiness", tag = "setup", responses((status = 200, body = Readiness)))]
pub async fn readiness(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<Readiness>> {
    Ok(axum::Json(setup::readiness(&state.engine, &scope).await?))
}

/// Finishes setup once every check passes (the page then goes to `/dashboard`).
#[utoipa::path(post, path = "/api/setup/finish", tag = "setup",
    responses((status = 200, body = Progress), (status = 409, body = crate::error::ErrorBody)))]
pub async fn finish(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<Progress>> {
    Ok(axum::Json(setup::finish(&state.engine, &scope).await?))
}
