//! `/api/audit/events`: the audit trail, filtered by type, entity and time.

use axum::{Router, extract::State, routing::get};
use engine::{
    audit::{self, AuditEvent, AuditFilter},
    clock,
};
use serde::{Deserialize, Serialize};

use crate::{auth::Owner, error::ApiResult, extract::Query, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/audit/events", get(list))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// An event type such as `webhook.inbound.received`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// RFC 3339; events at or after it.
    pub since: Option<String>,
    /// RFC 3339; events at or before it.
    pub until: Option<String>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditList {
    pub events: Vec<AuditEvent>,
}

/// Audit events, newest first.
#[utoipa::path(get, path = "/api/audit/events", tag = "audit", params(ListQuery),
    responses((status = 200, body = AuditList), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<AuditList>> {
    let filter = AuditFilter {
        kind: q.kind,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        since: q
            .since
            .as_deref()
            .map(|s| clock::parse_rfc3339("since", s))
            .transpose()?,
        until: q
            .until
            .as_deref()
            .map(|s| clock::parse_rfc3339("until", s))
            .transpose()?,
        limit: q.limit.unwrap_or(100),
    };
    Ok(axum::Json(AuditList {
        events: audit::list(&state.engine.db, &scope, &filter).await?,
    }))
}
