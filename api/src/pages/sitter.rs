//! `/sitter/inbox`: the sitter's conversations (no client numbers, ever).

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::threads;
use minijinja::{context, value::Serde};

use crate::{auth::SitterPage, error::ApiResult, state::AppState, templates};

pub fn router() -> Router<AppState> {
    Router::new().route("/sitter/inbox", get(show))
}

async fn show(
    State(state): State<AppState>,
    SitterPage(caller, scope): SitterPage,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let threads = threads::for_sitter(db, &scope, state.engine.clock.now()).await?;
    templates::page(
        &state,
        &caller,
        "sitter_inbox.html",
        "conversations",
        "sitter-inbox",
        context! { threads => Serde(threads) },
    )
    .await
}
