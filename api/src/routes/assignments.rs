//! `/api/assignments/windows`: when each sitter is on duty for a thread. Two windows on
//! one thread never overlap.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, put},
};
use engine::{
    Problems,
    clock::{self},
    paging,
    windows::{self, AssignmentWindow, WindowFilter, WindowInput, WindowPage},
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
        .route("/api/assignments/windows", get(list).post(create))
        .route(
            "/api/assignments/windows/{id}",
            put(replace).delete(delete).get(show),
        )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub thread_id: Option<String>,
    pub sitter_id: Option<String>,
    /// The booking whose windows to list.
    pub booking_id: Option<String>,
    /// `active`, `upcoming` or `past`, now.
    pub status: Option<String>,
    /// `nextCursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// Windows by start time, paged by cursor, each with its status now.
#[utoipa::path(get, path = "/api/assignments/windows", tag = "assignments", params(ListQuery),
    responses((status = 200, body = WindowPage), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<WindowPage>> {
    let filter = WindowFilter {
        thread_id: q.thread_id,
        sitter_id: q.sitter_id,
        booking_id: q.booking_id,
        status: q.status.filter(|s| !s.is_empty()),
        cursor: q.cursor,
        limit: paging::limit(q.limit)?,
    };
    let now = state.engine.clock.now();
    Ok(axum::Json(
        windows::list(&state.engine.db, &scope, &filter, now).await?,
    ))
}

/// One window.
#[utoipa::path(get, path = "/api/assignments/windows/{id}", tag = "assignments",
    params(("id" = String, Path, description = "Window id")),
    responses((status = 200, body = AssignmentWindow), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<AssignmentWindow>> {
    let now = state.engine.clock.now();
    Ok(axum::Json(
        windows::get(&state.engine.db, &scope, &id, now).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowRequest {
    pub thread_id: String,
    pub sitter_id: String,
    /// RFC 3339.
    pub start_at: String,
    /// RFC 3339, after `startAt`.
    pub end_at: String,
}

impl WindowRequest {
    fn input(self) -> engine::Result<WindowInput> {
        let mut p = Problems::default();
        let start_at = p.check(clock::parse_rfc3339("startAt", &self.start_at))?;
        let end_at = p.check(clock::parse_rfc3339("endAt", &self.end_at))?;
        p.finish()?;
        Ok(WindowInput {
            thread_id: self.thread_id,
            sitter_id: self.sitter_id,
            start_at: start_at.unwrap_or_default(),
            end_at: end_at.unwrap_or_default(),
        })
    }
}

/// Put a sitter on duty for a thread from `startAt` to `endAt`.
#[utoipa::path(post, path = "/api/assignments/windows", tag = "assignments", request_body = WindowRequest,
    responses((status = 201, body = AssignmentWindow),
        (status = 400, description = "Bad times, an unknown thread or sitter, or an overlap with another window of the thread (named in the message)", body = crate::error::ErrorBody),
        (status = 404, description = "The thread or sitter is another org's", body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<WindowRequest>,
) -> ApiResult<(StatusCode, axum::Json<AssignmentWindow>)> {
    let input = req.input()?;
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let mut tx = db.begin().await?;
    let id = windows::create(&mut tx, &scope, &input, now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(windows::get(db, &scope, &id, now).await?),
    ))
}

/// Replace a window's thread, sitter and times.
#[utoipa::path(put, path = "/api/assignments/windows/{id}", tag = "assignments", request_body = WindowRequest,
    params(("id" = String, Path, description = "Window id")),
    responses((status = 200, body = AssignmentWindow), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn replace(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(req): Json<WindowRequest>,
) -> ApiResult<axum::Json<AssignmentWindow>> {
    let input = req.input()?;
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let mut tx = db.begin().await?;
    windows::update(&mut tx, &scope, &id, &input, now).await?;
    tx.commit().await?;
    Ok(axum::Json(windows::get(db, &scope, &id, now).await?))
}

/// Delete a window.
#[utoipa::path(delete, path = "/api/assignments/windows/{id}", tag = "assignments",
    params(("id" = String, Path, description = "Window id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut tx = state.engine.db.begin().await?;
    windows::delete(&mut tx, &scope, &id, "deleted", state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
