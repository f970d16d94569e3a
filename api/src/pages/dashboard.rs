//! `/dashboard`: the owner's landing page.

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::threads;
use minijinja::{context, value::Serde};

use crate::{auth::OwnerPage, error::ApiResult, state::AppState, templates};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(show))
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let stats = threads::stats(db, &scope, state.engine.clock.now()).await?;
    templates::page(
        &state,
        &caller,
        "dashboard.html",
        "dashboard",
        "dashboard",
        context! { stats => Serde(stats) },
    )
    .await
}
