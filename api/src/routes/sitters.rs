//! `/api/sitters`: the org's sitters (user accounts with the role `sitter`) and their
//! sitter numbers.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use engine::sitters::{self, NewSitter, Sitter};
use serde::{Deserialize, Serialize};

use crate::{auth::Owner, error::ApiResult, extract::Json, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sitters", get(list).post(create))
        .route("/api/sitters/{id}", get(show).patch(update))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SitterList {
    pub sitters: Vec<Sitter>,
}

/// The org's sitters by name, each with their sitter number.
#[utoipa::path(get, path = "/api/sitters", tag = "sitters",
    responses((status = 200, body = SitterList)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<SitterList>> {
    Ok(axum::Json(SitterList {
        sitters: sitters::list(&state.engine.db, &scope).await?,
    }))
}

/// One sitter.
#[utoipa::path(get, path = "/api/sitters/{id}", tag = "sitters",
    params(("id" = String, Path, description = "Sitter (user) id")),
    responses((status = 200, body = Sitter), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Sitter>> {
    Ok(axum::Json(
        sitters::get(&state.engine.db, &scope, &id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewSitterRequest {
    pub name: String,
    /// Their login; unique across the install.
    pub email: String,
    /// At least 8 characters.
    pub password: String,
}

/// Add a sitter who can log in.
#[utoipa::path(post, path = "/api/sitters", tag = "sitters", request_body = NewSitterRequest,
    responses((status = 201, body = Sitter), (status = 400, body = crate::error::ErrorBody),
        (status = 409, description = "The email is taken", body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<NewSitterRequest>,
) -> ApiResult<(StatusCode, axum::Json<Sitter>)> {
    let db = &state.engine.db;
    let new = NewSitter {
        name: &req.name,
        email: &req.email,
        password: &req.password,
    };
    let id = sitters::create(db, &scope, new, state.engine.clock.now()).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(sitters::get(db, &scope, &id).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SitterPatch {
    pub name: String,
}

/// Rename a sitter.
#[utoipa::path(patch, path = "/api/sitters/{id}", tag = "sitters", request_body = SitterPatch,
    params(("id" = String, Path, description = "Sitter (user) id")),
    responses((status = 200, body = Sitter), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(req): Json<SitterPatch>,
) -> ApiResult<axum::Json<Sitter>> {
    let db = &state.engine.db;
    let mut tx = db.begin().await?;
    sitters::rename(&mut tx, &scope, &id, &req.name, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(axum::Json(sitters::get(db, &scope, &id).await?))
}
