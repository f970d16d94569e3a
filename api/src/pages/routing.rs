//! `/routing`: Routing History, each decision expandable to its trace.

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::{
    accounts,
    decisions::{self, DecisionFilter},
};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{
    auth::OwnerPage, error::ApiResult, extract::Query, state::AppState, templates::layout,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/routing", get(show))
}

#[derive(Deserialize)]
struct RoutingQuery {
    target: Option<String>,
    reason: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<RoutingQuery>,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let user = accounts::user(
        db,
        &caller.org_id,
        caller.user_id.as_deref().unwrap_or_default(),
    )
    .await?;
    let target = q
        .target
        .filter(|t| matches!(t.as_str(), "owner_inbox" | "sitter"))
        .unwrap_or_default();
    let reason = q.reason.unwrap_or_default();
    let filter = DecisionFilter {
        target: target.clone(),
        reason: reason.clone(),
        limit: 200,
    };
    let decisions = decisions::recent(db, &scope, &filter).await?;
    state.templates.render(
        "routing.html",
        context! { ..layout(Some(&user), caller.session_id.as_deref(), "routing", "routing"), ..context! { decisions => Serde(decisions), target, reason } },
    )
}
