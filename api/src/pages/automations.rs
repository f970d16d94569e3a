//! `/automations`: the owner's automations with their status and last run, and the
//! six-step builder (`/automations/new`, `/automations/{id}`). The builder is a shell
//! the page's script (`automations.js`) fills from the catalogue and the saved version
//! embedded in it, and saves, tests and activates through `/api/automations`.

use axum::{
    Router,
    extract::{Path, State},
    response::Html,
    routing::get,
};
use engine::{
    accounts::{Caller, OwnerScope},
    automations::{self as store, AutomationDetail},
};
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use crate::{
    auth::{Owner, OwnerPage},
    error::ApiResult,
    extract::Query,
    routes,
    state::AppState,
    templates,
};

/// The builder's steps: number, short name, heading.
const STEPS: [(i32, &str, &str); 6] = [
    (1, "Basics", "Name, description and lane"),
    (2, "Trigger", "When it runs"),
    (3, "Conditions", "Only if…"),
    (4, "Actions", "What it does"),
    (5, "Templates", "What the texts say"),
    (6, "Review", "Review, test and activate"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/automations", get(list))
        .route("/automations/new", get(new))
        .route("/automations/{id}", get(edit))
}

#[derive(Deserialize)]
struct ListQuery {
    archived: Option<String>,
    done: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<ListQuery>,
) -> ApiResult<Html<String>> {
    let archived = q.archived.as_deref() == Some("true");
    let automations = store::list(&state.engine.db, &scope, archived).await?;
    templates::page(
        &state,
        &caller,
        "automations.html",
        "automations",
        "automations",
        context! {
            automations => Serde(automations),
            archived,
            flash => super::flash(q.done.as_deref()),
        },
    )
    .await
}

async fn new(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
) -> ApiResult<Html<String>> {
    builder(&state, &caller, scope, None).await
}

async fn edit(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
) -> ApiResult<Html<String>> {
    let detail = store::detail(&state.engine, &scope, &id).await?;
    builder(&state, &caller, scope, Some(detail)).await
}

async fn builder(
    state: &AppState,
    caller: &Caller,
    scope: OwnerScope,
    detail: Option<AutomationDetail>,
) -> ApiResult<Html<String>> {
    // The same catalogue the API serves, so the page and the API cannot disagree.
    let axum::Json(catalog) = routes::automations::catalog(Owner(scope)).await;
    let steps: Vec<_> = STEPS
        .iter()
        .map(|&(n, name, title)| context! { n, name, title })
        .collect();
    let boot = json!({ "catalog": catalog, "automation": detail });
    templates::page(
        state,
        caller,
        "automation.html",
        "automations",
        "automations",
        context! {
            automation => Serde(detail),
            triggers => Serde(&catalog["triggers"]),
            steps,
            boot => Serde(boot),
        },
    )
    .await
}
