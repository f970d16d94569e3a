//! `/audit`: the Audit Timeline.

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::audit::{self, AuditFilter};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{auth::OwnerPage, error::ApiResult, extract::Query, state::AppState, templates};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(show))
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<AuditQuery>,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let kind = q.kind.filter(|k| !k.trim().is_empty());
    let filter = AuditFilter {
        kind: kind.clone(),
        limit: 200,
        ..AuditFilter::default()
    };
    let events = audit::list(db, &scope, &filter).await?;
    templates::page(
        &state,
        &caller,
        "audit.html",
        "audit",
        "audit",
        context! { events => Serde(events), kind => kind.unwrap_or_default() },
    )
    .await
}
