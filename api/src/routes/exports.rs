//! `/api/owner/export/*.csv`, also at the seed's `/v1/owner/export/*.csv`: the service
//! mix and the conversations of the last `days` days as CSV files. Client numbers are
//! redacted unless `include_phone=true`, which the audit trail records.

use axum::{
    Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use engine::{
    clock::to_rfc3339,
    reports::{self, conversations, service_mix},
};
use serde::Deserialize;

use super::owner::{PREFIXES, WindowQuery};
use crate::{
    auth::Owner,
    csv::{Csv, inert},
    error::ApiResult,
    extract::{Query, flag},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    PREFIXES.iter().fold(Router::new(), |r, base| {
        r.route(
            &format!("{base}/export/service-mix.csv"),
            get(service_mix_csv),
        )
        .route(
            &format!("{base}/export/conversations.csv"),
            get(conversations_csv),
        )
    })
}

/// A CSV file to save as `filename`, kept out of caches: it may hold clients' details.
fn attachment(filename: &str, csv: Csv) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        csv.finish(),
    )
        .into_response()
}

/// The service mix as CSV: `service_type,visits`, most visits first.
#[utoipa::path(get, path = "/api/owner/export/service-mix.csv", tag = "owner", params(WindowQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = crate::error::ErrorBody)))]
pub async fn service_mix_csv(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<WindowQuery>,
) -> ApiResult<Response> {
    let days = reports::days(q.days.as_deref())?;
    let now = state.engine.clock.now();
    let mix = service_mix::recent(&state.engine.db, &scope, days, now).await?;
    let mut csv = Csv::new(&["service_type", "visits"]);
    for s in &mix.services {
        csv.row(&[&inert(&s.service_type), &s.visits.to_string()]);
    }
    Ok(attachment(&format!("service-mix-{days}-days.csv"), csv))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ConversationsQuery {
    /// How many days back, 1–90 (default 30).
    pub days: Option<String>,
    /// `true`: clients' numbers as they are, not redacted (recorded in the audit trail).
    pub include_phone: Option<String>,
}

/// Every text of the last `days` days as CSV, a row per message, oldest first.
#[utoipa::path(get, path = "/api/owner/export/conversations.csv", tag = "owner", params(ConversationsQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = crate::error::ErrorBody)))]
pub async fn conversations_csv(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ConversationsQuery>,
) -> ApiResult<Response> {
    let days = reports::days(q.days.as_deref())?;
    let include_phone = flag("include_phone", q.include_phone.as_deref())?.unwrap_or(false);
    let now = state.engine.clock.now();
    let rows = conversations::recent(&state.engine.db, &scope, days, include_phone, now).await?;
    let mut csv = Csv::new(&[
        "time",
        "thread_id",
        "message_id",
        "direction",
        "kind",
        "client_name",
        "client_phone",
        "business_number",
        "sender",
        "status",
        "body",
    ]);
    for r in &rows {
        csv.row(&[
            &to_rfc3339(r.created_at),
            &r.thread_id,
            &r.message_id,
            &r.direction,
            &r.kind,
            &inert(r.client_name.as_deref().unwrap_or_default()),
            &r.client_phone,
            &r.business_number,
            &inert(r.sender_name.as_deref().unwrap_or_default()),
            r.status.as_deref().unwrap_or_default(),
            &inert(&r.body),
        ]);
    }
    Ok(attachment(&format!("conversations-{days}-days.csv"), csv))
}
