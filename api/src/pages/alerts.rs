//! `/alerts`: open alerts with Resolve, and the resolved ones.

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect},
    routing::{get, post},
};
use engine::alerts;
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    state::AppState,
    templates,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(show))
        .route("/alerts/{id}/resolve", post(resolve))
}

#[derive(Deserialize)]
struct AlertsQuery {
    status: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<AlertsQuery>,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let status = q
        .status
        .as_deref()
        .filter(|s| matches!(*s, "open" | "resolved" | "all"))
        .unwrap_or("open");
    let alerts = alerts::list(db, &scope, status, 200).await?;
    templates::page(
        &state,
        &caller,
        "alerts.html",
        "alerts",
        "alerts",
        context! { alerts => Serde(alerts), status },
    )
    .await
}

#[derive(Deserialize)]
struct ResolveForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

async fn resolve(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<ResolveForm>,
) -> ApiResult<impl IntoResponse> {
    check_csrf(&caller, &form.csrf)?;
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    alerts::resolve(&mut tx, &scope, &id, form.note.trim(), now).await?;
    tx.commit().await?;
    Ok(Redirect::to("/alerts"))
}
