//! `/routing`: Routing History, each decision expandable to its trace.

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::decisions::{self, DecisionFilter};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{auth::OwnerPage, error::ApiResult, extract::Query, state::AppState, templates};

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
    templates::page(
        &state,
        &caller,
        "routing.html",
        "routing",
        "routing",
        context! { decisions => Serde(decisions), target, reason },
    )
    .await
}
