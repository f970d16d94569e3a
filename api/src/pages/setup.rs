//! `/setup`: for now one section, the test provider (mock): how it misbehaves, and the
//! last texts it "sent". With Twilio in use, the page says the mock is not in use.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{Caller, OwnerScope},
    provider::{
        Provider,
        mock::{self, MockConfig},
    },
};
use minijinja::{context, value::Serde};
use serde::{Deserialize, Serialize};

use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    state::AppState,
    templates,
};

/// How many of the mock's texts the page lists.
const RECENT: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/setup", get(show))
        .route("/setup/mock", post(save))
}

#[derive(Deserialize)]
struct SetupQuery {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<SetupQuery>,
) -> ApiResult<Html<String>> {
    let flash = super::flash(q.done.as_deref());
    render(&state, &caller, &scope, MockForm::default(), None, flash).await
}

/// The mock's settings as the form holds them: text, so a half-typed number comes back
/// as typed with a message instead of a bare 400.
#[derive(Default, Deserialize, Serialize)]
struct MockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    fail_next: String,
    #[serde(default)]
    error_code: String,
    /// A checkbox: present when ticked.
    fail_all: Option<String>,
    #[serde(default)]
    latency_ms: String,
}

impl MockForm {
    fn from_config(c: &MockConfig) -> Self {
        Self {
            csrf: String::new(),
            fail_next: c.fail_next.to_string(),
            error_code: c.error_code.to_string(),
            fail_all: c.fail_all.then(|| "on".to_owned()),
            latency_ms: c.latency_ms.to_string(),
        }
    }

    fn config(&self) -> Result<MockConfig, String> {
        let number = |label: &str, text: &str| -> Result<i32, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(0);
            }
            text.parse()
                .map_err(|_| format!("{label} must be a whole number."))
        };
        Ok(MockConfig {
            fail_next: number("Fail next", &self.fail_next)?,
            error_code: number("Error code", &self.error_code)?,
            fail_all: self.fail_all.is_some(),
            latency_ms: number("Latency", &self.latency_ms)?,
        })
    }
}

/// The page; `form` is what to show in the fields when it is not the saved settings
/// (after a mistake).
async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    form: MockForm,
    error: Option<String>,
    flash: Option<&'static str>,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    let mock_in_use = matches!(state.engine.provider, Provider::Mock(_));
    let (form, sent) = if mock_in_use {
        let form = if error.is_some() {
            form
        } else {
            MockForm::from_config(&mock::config(db, &scope.org_id).await?)
        };
        (form, mock::messages(db, &scope.org_id, RECENT).await?)
    } else {
        (form, Vec::new())
    };
    templates::page(
        state,
        caller,
        "setup.html",
        "setup",
        "setup",
        context! {
            provider => state.engine.provider.kind(),
            mock_in_use,
            mock => Serde(form),
            sent => Serde(sent),
            error,
            flash,
        },
    )
    .await
}

async fn save(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<MockForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let Provider::Mock(mock) = &state.engine.provider else {
        return Err(
            engine::Error::NotFound("mock provider (this install sends through Twilio)").into(),
        );
    };
    let config = match form.config() {
        Ok(config) => config,
        Err(text) => {
            return again(&state, &caller, &scope, form, StatusCode::BAD_REQUEST, text).await;
        }
    };
    let now = state.engine.clock.now();
    match mock.set_config(&scope.org_id, &config, now).await {
        Ok(_) => Ok(Redirect::to("/setup?done=saved").into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            again(&state, &caller, &scope, form, status, text).await
        }
    }
}

/// The page again with the form as typed and what is wrong with it.
async fn again(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    form: MockForm,
    status: StatusCode,
    text: String,
) -> ApiResult<Response> {
    let page = render(state, caller, scope, form, Some(text), None).await?;
    Ok((status, page).into_response())
}
