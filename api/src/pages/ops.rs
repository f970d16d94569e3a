//! `/ops`: the Dead Letter Queue (jobs that used up their attempts, replayed or discarded
//! with a reason) and `/ops/health` (database, provider, job queues, last webhook).

use axum::{
    Router,
    extract::{Path, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{Caller, OwnerScope},
    dead_letters,
};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    routes::ops::collect,
    state::AppState,
    templates,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ops", get(show))
        .route("/ops/health", get(health))
        .route("/ops/dead-letters/{id}/replay", post(replay))
        .route("/ops/dead-letters/{id}/discard", post(discard))
}

#[derive(Default, Deserialize)]
struct OpsQuery {
    status: Option<String>,
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<OpsQuery>,
) -> ApiResult<Html<String>> {
    render(&state, &caller, &scope, q, None).await
}

async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    q: OpsQuery,
    error: Option<String>,
) -> ApiResult<Html<String>> {
    let status = q
        .status
        .as_deref()
        .filter(|s| matches!(*s, "replayed" | "discarded" | "all"))
        .unwrap_or("open");
    let letters = dead_letters::list(&state.engine.db, scope, status).await?;
    templates::page(
        state,
        caller,
        "ops.html",
        "ops",
        "dead-letters",
        context! {
            dead_letters => Serde(letters),
            status,
            error,
            flash => super::flash(q.done.as_deref()),
        },
    )
    .await
}

async fn health(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
) -> ApiResult<Html<String>> {
    let health = collect(&state, &scope).await?;
    templates::page(
        &state,
        &caller,
        "ops_health.html",
        "ops",
        "health",
        context! { health => Serde(health) },
    )
    .await
}

#[derive(Deserialize)]
struct ReasonForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Queues the job again; a failed text starts a new run of attempts.
async fn replay(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = dead_letters::replay(&state.engine, &scope, &id, &form.reason).await;
    answer(&state, &caller, &scope, done, "replayed").await
}

/// Gives up on the job for good.
async fn discard(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = dead_letters::discard(&state.engine, &scope, &id, &form.reason).await;
    answer(&state, &caller, &scope, done, "discarded").await
}

/// Back to the queue saying what happened, or the queue again with what went wrong.
async fn answer(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    done: engine::Result<()>,
    what: &str,
) -> ApiResult<Response> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/ops?done={what}")).into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let page = render(state, caller, scope, OpsQuery::default(), Some(text)).await?;
            Ok((status, page).into_response())
        }
    }
}
