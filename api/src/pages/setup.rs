//! `/setup`: the seven-step setup wizard (its forms are in [`super::setup_steps`]), and
//! below it the test provider (mock): how it misbehaves, and the last texts it "sent".
//! The wizard opens at the step the owner reached; `?step=N` shows another.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{self, Caller, OwnerScope},
    numbers::acquire,
    provider::{
        self, Provider, connection,
        mock::{self, MockConfig},
    },
    setup::{self, AccountNumber, ConnectionTest},
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

/// The wizard's steps: number, short name, what it asks of the owner.
const STEPS: [(i32, &str, &str); 7] = [
    (1, "Connect", "How texts are sent"),
    (2, "Test", "Test the connection"),
    (3, "Numbers", "Choose your numbers"),
    (4, "Buy or import", "Get more numbers (optional)"),
    (5, "Incoming texts", "Send incoming texts to Switchboard"),
    (6, "Readiness", "Check that everything is ready"),
    (7, "Finish", "Finish setup"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/setup", get(show))
        .route("/setup/mock", post(save))
}

#[derive(Default, Deserialize)]
struct SetupQuery {
    done: Option<String>,
    step: Option<i32>,
    /// Step 4: search for numbers to buy here.
    region: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<SetupQuery>,
) -> ApiResult<Html<String>> {
    let view = View {
        step: q.step,
        region: q.region,
        ..View::default()
    };
    render(
        &state,
        &caller,
        &scope,
        view,
        super::flash(q.done.as_deref()),
    )
    .await
}

/// What to show besides the stored state: a step other than the one reached, what a
/// form got wrong, a connection test's outcome, the mock's form as typed.
#[derive(Default)]
pub(super) struct View {
    pub step: Option<i32>,
    pub region: Option<String>,
    pub error: Option<String>,
    pub test: Option<ConnectionTest>,
    pub mock: Option<(MockForm, String)>,
}

/// An account number as step 3's select shows it: its current use as the select's value
/// (`frontDesk`, `pool`, `sitter:<user id>`, or empty).
#[derive(Serialize)]
struct Choosable {
    #[serde(flatten)]
    number: AccountNumber,
    current: String,
}

fn choosable(number: AccountNumber) -> Choosable {
    use engine::numbers::NumberClass;
    let current = match (number.kind, number.status.as_deref()) {
        (_, Some("released")) | (None, _) => String::new(),
        (Some(NumberClass::Sitter), _) => format!(
            "sitter:{}",
            number.assigned_to_user_id.as_deref().unwrap_or_default()
        ),
        (Some(kind), _) => kind.api_name().to_owned(),
    };
    Choosable { number, current }
}

pub(super) async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    view: View,
    flash: Option<&'static str>,
) -> ApiResult<Html<String>> {
    let engine = &state.engine;
    let db = &engine.db;
    let progress = setup::progress(db, &scope.org_id).await?;
    let step = view.step.unwrap_or(progress.step).clamp(1, setup::STEPS);
    let status = connection::status(engine, &scope.org_id).await?;
    let resolved = provider::for_org(engine, &scope.org_id).await?;
    let fixable = |e: engine::Error| super::fixable(e).map(|(_, text)| text);

    let mut account = Vec::new();
    let mut account_error = None;
    if step == 3 {
        match setup::account_numbers(engine, scope).await {
            Ok(numbers) => account = numbers.into_iter().map(choosable).collect(),
            Err(e) => account_error = Some(fixable(e)?),
        }
    }
    let region = view
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let (found, search_error) = match region.filter(|_| step == 4) {
        Some(region) => match acquire::search(engine, scope, region).await {
            Ok(found) => (found, None),
            Err(e) => (Vec::new(), Some(fixable(e)?)),
        },
        None => (Vec::new(), None),
    };
    let (webhooks, webhooks_error) = if step == 5 {
        match setup::webhooks::status(engine, scope).await {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(fixable(e)?)),
        }
    } else {
        (None, None)
    };
    let readiness = if step >= 6 {
        Some(setup::readiness(engine, scope).await?)
    } else {
        None
    };

    let mock_in_use = matches!(resolved, Provider::Mock(_));
    let (mock_form, mock_error) = match view.mock {
        Some((form, error)) => (form, Some(error)),
        None if mock_in_use => (
            MockForm::from_config(&mock::config(db, &scope.org_id).await?),
            None,
        ),
        None => (MockForm::default(), None),
    };
    let sent = if mock_in_use {
        mock::messages(db, &scope.org_id, RECENT).await?
    } else {
        Vec::new()
    };
    let steps: Vec<_> = STEPS
        .iter()
        .map(|&(n, name, title)| {
            context! { n, name, title, done => n < progress.step || progress.finished_at.is_some(), current => n == step }
        })
        .collect();
    templates::page(
        state,
        caller,
        "setup.html",
        "setup",
        "setup",
        context! {
            step,
            steps,
            title => STEPS[(step - 1) as usize].2,
            progress => Serde(progress),
            status => Serde(status),
            test => Serde(view.test),
            account => Serde(account),
            account_error,
            sitters => Serde(accounts::sitters(db, &scope.org_id).await?),
            region => region.unwrap_or(""),
            found => Serde(found),
            search_error,
            webhooks => Serde(webhooks),
            webhooks_error,
            readiness => Serde(readiness),
            error => view.error,
            provider => resolved.kind(),
            mock_in_use,
            mock => Serde(mock_form),
            mock_error,
            sent => Serde(sent),
            flash,
        },
    )
    .await
}

/// The page again, showing `step` with what went wrong, answered with `status`.
pub(super) async fn again(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    view: View,
    status: StatusCode,
) -> ApiResult<Response> {
    let page = render(state, caller, scope, view, None).await?;
    Ok((status, page).into_response())
}

/// The mock's settings as the form holds them: text, so a half-typed number comes back
/// as typed with a message instead of a bare 400.
#[derive(Default, Deserialize, Serialize)]
pub(super) struct MockForm {
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

async fn save(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<MockForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let Provider::Mock(mock) = provider::for_org(&state.engine, &scope.org_id).await? else {
        return Err(engine::Error::NotFound(
            "mock provider (this organisation sends through Twilio)",
        )
        .into());
    };
    let config = match form.config() {
        Ok(config) => config,
        Err(text) => {
            let view = View {
                mock: Some((form, text)),
                ..View::default()
            };
            return again(&state, &caller, &scope, view, StatusCode::BAD_REQUEST).await;
        }
    };
    let now = state.engine.clock.now();
    match mock.set_config(&scope.org_id, &config, now).await {
        Ok(_) => Ok(Redirect::to("/setup?done=saved").into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let view = View {
                mock: Some((form, text)),
                ..View::default()
            };
            again(&state, &caller, &scope, view, status).await
        }
    }
}
