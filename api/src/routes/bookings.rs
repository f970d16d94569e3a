//! `/api/bookings`: visits for clients, with their sitter. Assigning a sitter (with
//! `ENABLE_PROACTIVE_THREAD_CREATION` on) opens the client's thread on the sitter's
//! number and the booking's assignment windows in the same transaction.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::{
    Problems,
    bookings::{self, Booking, BookingChanges, BookingFilter, BookingPage, NewBooking},
    clock::{self, Millis},
    fields::Patch,
    paging,
};
use serde::Deserialize;

use crate::{
    auth::Owner,
    error::ApiResult,
    extract::{Json, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/bookings", get(list).post(create))
        .route("/api/bookings/{id}", get(show).patch(update))
        .route("/api/bookings/{id}/cancel", post(cancel))
}

/// Whether assigning a sitter creates the client's thread and windows at once (the org's
/// `ENABLE_PROACTIVE_THREAD_CREATION`).
pub async fn proactive_threads(state: &AppState, org_id: &str) -> ApiResult<bool> {
    Ok(engine::flags::enabled(
        &state.engine,
        org_id,
        engine::flags::PROACTIVE_THREAD_CREATION,
    )
    .await?)
}

fn time(
    p: &mut Problems,
    field: &'static str,
    raw: Option<&str>,
) -> engine::Result<Option<Millis>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => p.check(clock::parse_rfc3339(field, s)),
        None => Ok(None),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// RFC 3339: bookings starting at or after this time.
    pub from: Option<String>,
    /// RFC 3339: bookings starting before this time.
    pub to: Option<String>,
    /// `scheduled`, `confirmed`, `completed` or `cancelled`.
    pub status: Option<String>,
    pub client_id: Option<String>,
    pub sitter_id: Option<String>,
    /// `nextCursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// Bookings by start time, paged by cursor.
#[utoipa::path(get, path = "/api/bookings", tag = "bookings", params(ListQuery),
    responses((status = 200, body = BookingPage), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<BookingPage>> {
    let mut p = Problems::default();
    let from = time(&mut p, "from", q.from.as_deref())?;
    let to = time(&mut p, "to", q.to.as_deref())?;
    let limit = p.check(paging::limit(q.limit))?;
    p.finish()?;
    let filter = BookingFilter {
        from,
        to,
        status: q.status,
        client_id: q.client_id,
        sitter_id: q.sitter_id,
        cursor: q.cursor,
        limit: limit.unwrap_or(paging::DEFAULT_LIMIT),
    };
    Ok(axum::Json(
        bookings::list(&state.engine.db, &scope, &filter).await?,
    ))
}

/// One booking.
#[utoipa::path(get, path = "/api/bookings/{id}", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    responses((status = 200, body = Booking), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Booking>> {
    Ok(axum::Json(
        bookings::get(&state.engine.db, &scope, &id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewBookingRequest {
    pub client_id: String,
    pub service_type: String,
    /// RFC 3339.
    pub start_at: String,
    /// RFC 3339, after `startAt`.
    pub end_at: String,
    pub sitter_id: Option<String>,
    /// `none` (the default) or `weekly`.
    pub recurrence: Option<String>,
}

/// Book a visit; with a sitter, the client's thread and windows come with it.
#[utoipa::path(post, path = "/api/bookings", tag = "bookings", request_body = NewBookingRequest,
    responses((status = 201, body = Booking), (status = 400, body = crate::error::ErrorBody),
        (status = 404, description = "The client or sitter is another org's", body = crate::error::ErrorBody),
        (status = 409, description = "The sitter has no sitter number, or a window is in the way", body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<NewBookingRequest>,
) -> ApiResult<(StatusCode, axum::Json<Booking>)> {
    let mut p = Problems::default();
    let start_at = p.check(clock::parse_rfc3339("startAt", &req.start_at))?;
    let end_at = p.check(clock::parse_rfc3339("endAt", &req.end_at))?;
    p.finish()?;
    let new = NewBooking {
        client_id: req.client_id,
        sitter_id: req.sitter_id.filter(|s| !s.is_empty()),
        service_type: req.service_type,
        start_at: start_at.unwrap_or_default(),
        end_at: end_at.unwrap_or_default(),
        recurrence: req.recurrence.unwrap_or_else(|| "none".to_owned()),
    };
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let proactive = proactive_threads(&state, &scope.org_id).await?;
    let mut tx = db.begin().await?;
    let id = bookings::create(&mut tx, &scope, &new, proactive, now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(bookings::get(db, &scope, &id).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingPatch {
    pub service_type: Option<String>,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    /// Assign a sitter; `null` unassigns.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub sitter_id: Patch<String>,
    /// `scheduled`, `confirmed`, `completed` or `cancelled`.
    pub status: Option<String>,
    /// `none` or `weekly`.
    pub recurrence: Option<String>,
}

/// Change a booking: assign or reassign its sitter (which moves its windows), times,
/// status, recurrence.
#[utoipa::path(patch, path = "/api/bookings/{id}", tag = "bookings", request_body = BookingPatch,
    params(("id" = String, Path, description = "Booking id")),
    responses((status = 200, body = Booking), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(req): Json<BookingPatch>,
) -> ApiResult<axum::Json<Booking>> {
    let mut p = Problems::default();
    let start_at = time(&mut p, "startAt", req.start_at.as_deref())?;
    let end_at = time(&mut p, "endAt", req.end_at.as_deref())?;
    p.finish()?;
    let changes = BookingChanges {
        service_type: req.service_type,
        start_at,
        end_at,
        sitter_id: req.sitter_id,
        status: req.status,
        recurrence: req.recurrence,
    };
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let proactive = proactive_threads(&state, &scope.org_id).await?;
    let mut tx = db.begin().await?;
    bookings::update(&mut tx, &scope, &id, &changes, proactive, now).await?;
    tx.commit().await?;
    Ok(axum::Json(bookings::get(db, &scope, &id).await?))
}

/// Cancel a booking; its current and future windows go with it.
#[utoipa::path(post, path = "/api/bookings/{id}/cancel", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    responses((status = 200, body = Booking), (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "The booking is completed", body = crate::error::ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Booking>> {
    let db = &state.engine.db;
    let mut tx = db.begin().await?;
    bookings::cancel(&mut tx, &scope, &id, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(axum::Json(bookings::get(db, &scope, &id).await?))
}
