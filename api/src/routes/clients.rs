//! `/api/clients`: the people who text the business. Archived, never deleted.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::{
    clients::{self, Client, ClientChanges, ClientFilter, ClientPage, NewClient},
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
        .route("/api/clients", get(list).post(create))
        .route("/api/clients/{id}", get(show).patch(update))
        .route("/api/clients/{id}/archive", post(archive))
        .route("/api/clients/{id}/restore", post(restore))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Part of the name, or three or more digits of the phone number.
    pub q: Option<String>,
    /// Only clients with this tag.
    pub tag: Option<String>,
    /// Only clients who opted out (`true`) or who did not (`false`).
    pub opted_out: Option<String>,
    /// `true`: archived clients instead of current ones.
    pub archived: Option<String>,
    /// `nextCursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// Clients by name, paged by cursor.
#[utoipa::path(get, path = "/api/clients", tag = "clients", params(ListQuery),
    responses((status = 200, body = ClientPage), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<ClientPage>> {
    let filter = ClientFilter {
        q: q.q.unwrap_or_default(),
        tag: q.tag,
        opted_out: crate::extract::flag("optedOut", q.opted_out.as_deref())?,
        archived: crate::extract::flag("archived", q.archived.as_deref())?.unwrap_or(false),
        cursor: q.cursor,
        limit: paging::limit(q.limit)?,
    };
    Ok(axum::Json(
        clients::list(&state.engine.db, &scope, &filter).await?,
    ))
}

/// One client.
#[utoipa::path(get, path = "/api/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "Client id")),
    responses((status = 200, body = Client), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Client>> {
    Ok(axum::Json(
        clients::get(&state.engine.db, &scope, &id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewClientRequest {
    pub name: String,
    /// E.164, such as +15551234567; unique among the org's clients.
    pub phone: String,
    pub email: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub notes: String,
    /// For someone who got in touch but has not booked: makes them a lead (and starts
    /// `lead.created` automations).
    pub lead: Option<clients::NewLead>,
}

/// Add a client; threads already running with their number become theirs.
#[utoipa::path(post, path = "/api/clients", tag = "clients", request_body = NewClientRequest,
    responses((status = 201, body = Client), (status = 400, body = crate::error::ErrorBody),
        (status = 409, description = "Another client has this phone number", body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<NewClientRequest>,
) -> ApiResult<(StatusCode, axum::Json<Client>)> {
    let new = NewClient {
        name: req.name,
        phone: req.phone,
        email: req.email,
        tags: req.tags,
        notes: req.notes,
        lead: req.lead,
    };
    let db = &state.engine.db;
    let mut tx = db.begin().await?;
    let id = clients::create(&mut tx, &scope, &new, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(clients::get(db, &scope, &id).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// `null` removes it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub email: Patch<String>,
    /// Replaces all the tags.
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
}

/// Change a client's name, phone, email, tags or notes.
#[utoipa::path(patch, path = "/api/clients/{id}", tag = "clients", request_body = ClientPatch,
    params(("id" = String, Path, description = "Client id")),
    responses((status = 200, body = Client), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(req): Json<ClientPatch>,
) -> ApiResult<axum::Json<Client>> {
    let changes = ClientChanges {
        name: req.name,
        phone: req.phone,
        email: req.email,
        tags: req.tags,
        notes: req.notes,
    };
    let db = &state.engine.db;
    let mut tx = db.begin().await?;
    clients::update(&mut tx, &scope, &id, &changes, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(axum::Json(clients::get(db, &scope, &id).await?))
}

/// Archive a client with no upcoming bookings: they leave the list and cannot be booked;
/// their threads and history stay.
#[utoipa::path(post, path = "/api/clients/{id}/archive", tag = "clients",
    params(("id" = String, Path, description = "Client id")),
    responses((status = 200, body = Client), (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "They have upcoming bookings", body = crate::error::ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Client>> {
    let db = &state.engine.db;
    let mut tx = db.begin().await?;
    clients::archive(&mut tx, &scope, &id, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(axum::Json(clients::get(db, &scope, &id).await?))
}

/// Bring an archived client back.
#[utoipa::path(post, path = "/api/clients/{id}/restore", tag = "clients",
    params(("id" = String, Path, description = "Client id")),
    responses((status = 200, body = Client), (status = 404, body = crate::error::ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Client>> {
    let db = &state.engine.db;
    let mut tx = db.begin().await?;
    clients::restore(&mut tx, &scope, &id, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(axum::Json(clients::get(db, &scope, &id).await?))
}
