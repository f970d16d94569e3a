//! `/audit/violations`: the Policy Violations tab of `/audit`. The owner sees what was
//! written and resolves or overrides each open violation with a reason.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{Caller, OwnerScope},
    violations::{self, ViolationFilter},
};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    state::AppState,
    templates,
};

const STATUSES: [&str; 3] = ["open", "resolved", "overridden"];
const TYPES: [&str; 5] = ["phone", "email", "url", "social", "payment"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit/violations", get(show))
        .route("/audit/violations/{id}/resolve", post(resolve))
}

#[derive(Default, Deserialize)]
struct ViolationsQuery {
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<ViolationsQuery>,
) -> ApiResult<Html<String>> {
    render(&state, &caller, &scope, q, None).await
}

async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    q: ViolationsQuery,
    error: Option<String>,
) -> ApiResult<Html<String>> {
    // Unknown filter values mean "any", as a hand-edited URL should.
    let status = q.status.filter(|s| STATUSES.contains(&s.as_str()));
    let kind = q.kind.filter(|k| TYPES.contains(&k.as_str()));
    let filter = ViolationFilter {
        status: status.clone(),
        kind: kind.clone(),
        thread_id: None,
        limit: 200,
    };
    let list = violations::list(&state.engine.db, scope, &filter).await?;
    templates::page(
        state,
        caller,
        "audit_violations.html",
        "audit",
        "violations",
        context! {
            violations => Serde(list),
            status => status.unwrap_or_default(),
            kind => kind.unwrap_or_default(),
            statuses => STATUSES,
            types => TYPES,
            error,
            flash => super::flash(q.done.as_deref()),
        },
    )
    .await
}

#[derive(Deserialize)]
struct VerdictForm {
    csrf: String,
    /// `resolve` or `override`: which button was pressed.
    action: String,
    #[serde(default)]
    reason: String,
}

async fn resolve(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<VerdictForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    match violations::resolve(&mut tx, &scope, &id, &form.action, &form.reason, now).await {
        Ok(()) => {
            tx.commit().await?;
            let done = if form.action == "override" {
                "overridden"
            } else {
                "resolved"
            };
            Ok(Redirect::to(&format!("/audit/violations?done={done}")).into_response())
        }
        Err(e) => {
            drop(tx);
            let (status, text): (StatusCode, String) = super::fixable(e)?;
            let page = render(
                &state,
                &caller,
                &scope,
                ViolationsQuery::default(),
                Some(text),
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}
