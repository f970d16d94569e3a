//! `/dashboard`: the owner's landing page.

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::{accounts, threads};
use minijinja::{context, value::Serde};

use crate::{auth::OwnerPage, error::ApiResult, state::AppState, templates::layout};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(show))
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let user = accounts::user(
        db,
        &caller.org_id,
        caller.user_id.as_deref().unwrap_or_default(),
    )
    .await?;
    let stats = threads::stats(db, &scope, state.engine.clock.now()).await?;
    state.templates.render(
        "dashboard.html",
        context! { ..layout(Some(&user), caller.session_id.as_deref(), "dashboard", "dashboard"), ..context! { stats => Serde(stats) } },
    )
}
