//! `/sitter/inbox`: the sitter's conversations (no client numbers, ever).

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::{accounts, threads};
use minijinja::{context, value::Serde};

use crate::{auth::SitterPage, error::ApiResult, state::AppState, templates::layout};

pub fn router() -> Router<AppState> {
    Router::new().route("/sitter/inbox", get(show))
}

async fn show(
    State(state): State<AppState>,
    SitterPage(caller, scope): SitterPage,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let user = accounts::user(db, &caller.org_id, &scope.sitter_id).await?;
    let threads = threads::for_sitter(db, &scope, state.engine.clock.now()).await?;
    state.templates.render(
        "sitter_inbox.html",
        context! { ..layout(Some(&user), caller.session_id.as_deref(), "conversations", "sitter-inbox"), ..context! { threads => Serde(threads) } },
    )
}
