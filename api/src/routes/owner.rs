//! `/api/owner/*`, also at the seed's `/v1/owner/*`: what the owner reads about the
//! business: tomorrow's schedule, today's, the service mix, the SMS counters, and the
//! bookings waiting for a new time, and the win-back texts per campaign type. The CSV
//! exports are in [`super::exports`].

use axum::{Router, extract::State, routing::get};
use engine::{
    bookings::{self, BookingFilter, BookingPage},
    counters::{self, Counters},
    paging,
    reports::{
        self,
        schedule::{self, Day, DaySchedule},
        service_mix::{self, ServiceMix},
    },
};
use serde::Deserialize;

use crate::{auth::Owner, error::ApiResult, extract::Query, state::AppState};

/// Our paths and the seed's: scripts written against the seed keep working.
pub const PREFIXES: [&str; 2] = ["/api/owner", "/v1/owner"];

pub fn router() -> Router<AppState> {
    PREFIXES.iter().fold(Router::new(), |r, base| {
        r.route(&format!("{base}/schedule/tomorrow"), get(tomorrow))
            .route(&format!("{base}/summary/today"), get(today))
            .route(&format!("{base}/service-mix"), get(service_mix))
            .route(&format!("{base}/sms-metrics"), get(sms_metrics))
            .route(&format!("{base}/reschedules"), get(reschedules))
            .route(&format!("{base}/retention"), get(retention))
    })
}

/// Tomorrow's visits in the org's time zone, in words and as a list.
#[utoipa::path(get, path = "/api/owner/schedule/tomorrow", tag = "owner",
    responses((status = 200, body = DaySchedule)))]
pub async fn tomorrow(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<DaySchedule>> {
    let now = state.engine.clock.now();
    Ok(axum::Json(
        schedule::day(&state.engine.db, &scope, Day::Tomorrow, now).await?,
    ))
}

/// Today's visits in the org's time zone, in words and as a list.
#[utoipa::path(get, path = "/api/owner/summary/today", tag = "owner",
    responses((status = 200, body = DaySchedule)))]
pub async fn today(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<DaySchedule>> {
    let now = state.engine.clock.now();
    Ok(axum::Json(
        schedule::day(&state.engine.db, &scope, Day::Today, now).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct WindowQuery {
    /// How many days back, 1–90 (default 30).
    pub days: Option<String>,
}

/// Visits per service type over the last `days` days.
#[utoipa::path(get, path = "/api/owner/service-mix", tag = "owner", params(WindowQuery),
    responses((status = 200, body = ServiceMix), (status = 400, body = crate::error::ErrorBody)))]
pub async fn service_mix(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<WindowQuery>,
) -> ApiResult<axum::Json<ServiceMix>> {
    let days = reports::days(q.days.as_deref())?;
    let now = state.engine.clock.now();
    Ok(axum::Json(
        service_mix::recent(&state.engine.db, &scope, days, now).await?,
    ))
}

/// The org's SMS counters, kept in the database: texts sent to the owner and to
/// clients, opt-outs and opt-ins, replies to reminders, follow-ups and win-back texts.
#[utoipa::path(get, path = "/api/owner/sms-metrics", tag = "owner",
    responses((status = 200, body = Counters)))]
pub async fn sms_metrics(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<Counters>> {
    Ok(axum::Json(
        counters::read(&state.engine.db, &scope.org_id).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// `nextCursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// Bookings whose client asked for another time (`pending_reschedule`), by start time.
#[utoipa::path(get, path = "/api/owner/reschedules", tag = "owner", params(PageQuery),
    responses((status = 200, body = BookingPage), (status = 400, body = crate::error::ErrorBody)))]
pub async fn reschedules(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<BookingPage>> {
    let filter = BookingFilter {
        status: Some(bookings::PENDING_RESCHEDULE.to_owned()),
        cursor: q.cursor,
        limit: paging::limit(q.limit)?,
        ..BookingFilter::default()
    };
    Ok(axum::Json(
        bookings::list(&state.engine.db, &scope, &filter).await?,
    ))
}

/// Win-back texts sent, per campaign type (`retention_sent:<type>`), with how many
/// clients each has texted and when it last did.
#[utoipa::path(get, path = "/api/owner/retention", tag = "owner",
    responses((status = 200, body = engine::campaigns::retention::Summary)))]
pub async fn retention(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<engine::campaigns::retention::Summary>> {
    Ok(axum::Json(
        engine::campaigns::retention::summary(&state.engine.db, &scope).await?,
    ))
}
