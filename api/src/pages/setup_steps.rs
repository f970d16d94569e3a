//! The setup wizard's forms, one per step, each calling the engine function behind the
//! step's API. A step that worked redirects to the next step with a flash; one that did
//! not shows its step again with what to fix.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use engine::{
    accounts::{Caller, OwnerScope},
    numbers::{NumberClass, acquire},
    provider::connection::{self, Connect},
    setup::{self, Choice},
};
use secrecy::SecretString;
use serde::Deserialize;

use super::setup::{View, again};
use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::Form,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/setup/connect", post(connect))
        .route("/setup/test", post(test))
        .route("/setup/numbers", post(choose))
        .route("/setup/buy", post(buy))
        .route("/setup/import", post(import))
        .route("/setup/webhooks", post(install_webhooks))
        .route("/setup/readiness", post(readiness))
        .route("/setup/finish", post(finish))
        .route("/setup/step", post(go_to))
}

fn next(step: i32, done: &str) -> Response {
    Redirect::to(&format!("/setup?step={step}&done={done}")).into_response()
}

/// `step` again with the error's words, or the error itself if nobody can fix it here.
async fn failed(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    step: i32,
    e: engine::Error,
) -> ApiResult<Response> {
    let (status, text) = super::fixable(e)?;
    let view = View {
        step: Some(step),
        error: Some(text),
        ..View::default()
    };
    again(state, caller, scope, view, status).await
}

#[derive(Deserialize)]
struct ConnectForm {
    csrf: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    account_sid: String,
    #[serde(default)]
    auth_token: String,
}

async fn connect(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<ConnectForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let wanted = match form.provider.as_str() {
        "twilio" => Connect::Twilio {
            account_sid: form.account_sid,
            auth_token: SecretString::from(form.auth_token),
        },
        _ => Connect::Mock,
    };
    match connection::connect(&state.engine, &scope, wanted).await {
        Ok(_) => Ok(next(2, "connected")),
        Err(e) => failed(&state, &caller, &scope, 1, e).await,
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn test(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let result = setup::test_connection(&state.engine, &scope).await?;
    if result.ok {
        return Ok(next(3, "tested"));
    }
    let view = View {
        step: Some(2),
        test: Some(result),
        ..View::default()
    };
    again(&state, &caller, &scope, view, StatusCode::OK).await
}

/// Step 3's form: `csrf`, and `number:<e164>` → `frontDesk`, `pool`, `sitter:<user id>`
/// or empty (not used) for each number on the account.
async fn choose(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    check_csrf(&caller, csrf)?;
    let choices: Vec<Choice> = form
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("number:")?, v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .map(|(e164, v)| {
            let (kind, user) = match v.split_once(':') {
                Some((kind, user)) => (kind, Some(user.to_owned()).filter(|u| !u.is_empty())),
                None => (v, None),
            };
            Choice {
                e164: e164.to_owned(),
                kind: kind.to_owned(),
                user_id: user,
            }
        })
        .collect();
    match setup::choose(&state.engine, &scope, &choices).await {
        Ok(_) => Ok(next(4, "numbers_saved")),
        Err(e) => failed(&state, &caller, &scope, 3, e).await,
    }
}

#[derive(Deserialize)]
struct BuyForm {
    csrf: String,
    e164: String,
    #[serde(rename = "type", default)]
    kind: String,
}

async fn buy(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<BuyForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = async {
        let class = NumberClass::from_api("type", &form.kind)?;
        acquire::buy(&state.engine, &scope, &form.e164, class).await
    }
    .await;
    match done {
        Ok(_) => Ok(next(4, "bought")),
        Err(e) => failed(&state, &caller, &scope, 4, e).await,
    }
}

async fn import(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<super::numbers::ImportForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = async {
        let class = NumberClass::from_api("type", &form.kind)?;
        acquire::import(&state.engine, &scope, form.by(), class).await
    }
    .await;
    match done {
        Ok(_) => Ok(next(4, "imported")),
        Err(e) => failed(&state, &caller, &scope, 4, e).await,
    }
}

async fn install_webhooks(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    match setup::webhooks::install(&state.engine, &scope).await {
        Ok(status) if status.verified => Ok(next(6, "webhooks_installed")),
        Ok(status) => {
            let view = View {
                step: Some(5),
                error: Some(status.message),
                ..View::default()
            };
            again(&state, &caller, &scope, view, StatusCode::OK).await
        }
        Err(e) => failed(&state, &caller, &scope, 5, e).await,
    }
}

async fn readiness(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let result = setup::check_readiness(&state.engine, &scope).await?;
    if result.ready {
        Ok(next(7, "ready"))
    } else {
        Ok(next(6, "not_ready"))
    }
}

async fn finish(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    match setup::finish(&state.engine, &scope).await {
        Ok(_) => Ok(Redirect::to("/dashboard").into_response()),
        Err(e) => failed(&state, &caller, &scope, 7, e).await,
    }
}

#[derive(Deserialize)]
struct StepForm {
    csrf: String,
    step: i32,
}

/// Skip an optional step, or go back to one.
async fn go_to(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<StepForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    setup::go_to(&state.engine, &scope, form.step).await?;
    Ok(Redirect::to(&format!("/setup?step={}", form.step)).into_response())
}
