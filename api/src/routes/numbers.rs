//! `/api/numbers`: the org's business numbers (the seeds' NumberSchema), buying and
//! importing them through the org's provider, assigning, quarantining and releasing
//! them, and the pool's settings.

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::{
    numbers::{
        self, Number, NumberClass, NumberFilter, NumberPage,
        acquire::{self, ImportBy},
        lifecycle::{self, Assignee},
        pool::{self, PoolSettings, PoolState},
    },
    provider::AvailableNumber,
};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{
    auth::Owner,
    error::{ApiError, ApiResult},
    extract::{Json, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/numbers", get(list))
        .route("/api/numbers/search", get(search))
        .route("/api/numbers/buy", post(buy))
        .route("/api/numbers/import", post(import))
        .route("/api/numbers/pool", get(show_pool).put(set_pool))
        .route("/api/numbers/{id}/assign", post(assign))
        .route("/api/numbers/{id}/quarantine", post(quarantine))
        .route("/api/numbers/{id}/release", post(release))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// `frontDesk`, `sitter` or `pool`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `active`, `quarantined` or `released`.
    pub status: Option<String>,
    /// 1-based (default 1).
    pub page: Option<i64>,
    /// 1 to 200 (default 50).
    pub page_size: Option<i64>,
}

impl ListQuery {
    pub fn filter(&self) -> engine::Result<NumberFilter> {
        let given = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        Ok(NumberFilter {
            kind: given(&self.kind)
                .map(|k| NumberClass::from_api("type", &k))
                .transpose()?,
            status: given(&self.status)
                .map(|s| numbers::parse_status("status", &s))
                .transpose()?,
            page: self.page.unwrap_or(1),
            page_size: self.page_size.unwrap_or(50),
        })
    }
}

/// The org's numbers, oldest first: `{ numbers, pagination }`.
#[utoipa::path(get, path = "/api/numbers", tag = "numbers", params(ListQuery),
    responses((status = 200, body = NumberPage), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<NumberPage>> {
    let page = numbers::list(&state.engine.db, &scope, &q.filter()?).await?;
    Ok(axum::Json(page))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// A 3-digit US area code (`415`) or a US state (`CA`).
    pub region: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AvailableList {
    pub numbers: Vec<AvailableNumber>,
}

/// Numbers the org's provider has for sale.
#[utoipa::path(get, path = "/api/numbers/search", tag = "numbers", params(SearchQuery),
    responses((status = 200, body = AvailableList), (status = 400, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<SearchQuery>,
) -> ApiResult<axum::Json<AvailableList>> {
    let numbers = acquire::search(&state.engine, &scope, &q.region).await?;
    Ok(axum::Json(AvailableList { numbers }))
}

/// A number's type from a request: `pool` unless given (a number with no role yet waits
/// in the pool, where texts to it reach the owner).
fn class_of(kind: Option<&str>) -> engine::Result<NumberClass> {
    match kind.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => NumberClass::from_api("type", k),
        None => Ok(NumberClass::Pool),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BuyRequest {
    /// One of the numbers `GET /api/numbers/search` offered.
    pub e164: String,
    /// `frontDesk`, `sitter` or `pool` (default).
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Buys a number from the org's provider (its texts pointed at us when the public URL
/// is set) and adds it to the inventory.
#[utoipa::path(post, path = "/api/numbers/buy", tag = "numbers", request_body = BuyRequest,
    responses((status = 201, body = Number), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn buy(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<BuyRequest>,
) -> ApiResult<(StatusCode, axum::Json<Number>)> {
    let class = class_of(req.kind.as_deref())?;
    let number = acquire::buy(&state.engine, &scope, &req.e164, class).await?;
    Ok((StatusCode::CREATED, axum::Json(number)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ImportRequest {
    /// The number, when naming it by E.164 …
    pub e164: Option<String>,
    /// … or the provider's id for it (`PN…`).
    pub sid: Option<String>,
    /// `frontDesk`, `sitter` or `pool` (default).
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Adds a number the provider account already has to the inventory.
#[utoipa::path(post, path = "/api/numbers/import", tag = "numbers", request_body = ImportRequest,
    responses((status = 201, body = Number), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(req): Json<ImportRequest>,
) -> ApiResult<(StatusCode, axum::Json<Number>)> {
    let class = class_of(req.kind.as_deref())?;
    let given = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let by = match (given(req.e164), given(req.sid)) {
        (Some(e164), None) => ImportBy::E164(e164),
        (None, Some(sid)) => ImportBy::Sid(sid),
        (Some(_), Some(_)) => {
            return Err(engine::Error::invalid("sid", "send either e164 or sid, not both").into());
        }
        (None, None) => {
            return Err(engine::Error::invalid("e164", "is required (or send sid)").into());
        }
    };
    let number = acquire::import(&state.engine, &scope, by, class).await?;
    Ok((StatusCode::CREATED, axum::Json(number)))
}

/// A field left out, sent as `null` (take the number back), or sent with an id.
#[derive(Default)]
pub enum Given {
    #[default]
    Absent,
    Null,
    Id(String),
}

impl Given {
    fn id(self) -> Option<String> {
        match self {
            Self::Id(id) => Some(id),
            Self::Null | Self::Absent => None,
        }
    }
}

impl<'de> Deserialize<'de> for Given {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<String>::deserialize(d).map(|v| v.map_or(Self::Null, Self::Id))
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignRequest {
    /// A sitter number's sitter (`null` to unassign).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub user_id: Given,
    /// A pool number's conversation: a thread on that number (`null` to take it back).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub thread_id: Given,
}

/// Assigns a sitter number to a sitter (`{userId}`), or lends a pool number to one of
/// its conversations (`{threadId}`).
#[utoipa::path(post, path = "/api/numbers/{id}/assign", tag = "numbers", request_body = AssignRequest,
    params(("id" = String, Path, description = "Number id")),
    responses((status = 200, body = Number), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(req): Json<AssignRequest>,
) -> ApiResult<axum::Json<Number>> {
    let to = match (req.user_id, req.thread_id) {
        (Given::Absent, Given::Absent) => {
            return Err(engine::Error::invalid(
                "userId",
                "is required for a sitter number (a pool number takes threadId)",
            )
            .into());
        }
        (user, Given::Absent) => Assignee::User(user.id()),
        (Given::Absent, thread) => Assignee::Thread(thread.id()),
        _ => {
            return Err(engine::Error::invalid(
                "threadId",
                "send either userId or threadId, not both",
            )
            .into());
        }
    };
    Ok(axum::Json(
        lifecycle::assign(&state.engine, &scope, &id, to).await?,
    ))
}

/// Stops all use of a number: nothing is sent from it, texts to it reach the owner inbox
/// as unmapped, and its webhooks are removed at the provider.
#[utoipa::path(post, path = "/api/numbers/{id}/quarantine", tag = "numbers",
    params(("id" = String, Path, description = "Number id")),
    responses((status = 200, body = Number), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn quarantine(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Number>> {
    Ok(axum::Json(
        lifecycle::quarantine(&state.engine, &scope, &id).await?,
    ))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ReleaseRequest {
    /// `false` (default): a quarantined number back to active. `true`: give the number
    /// back to the provider (it leaves the account; the row stays `released`).
    pub give_back: bool,
}

/// Releases a number: back to active from quarantine, or (`{"giveBack": true}`) back to
/// the provider. The body is optional.
#[utoipa::path(post, path = "/api/numbers/{id}/release", tag = "numbers", request_body(content = Option<ReleaseRequest>),
    params(("id" = String, Path, description = "Number id")),
    responses((status = 200, body = Number), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<Number>> {
    let req: ReleaseRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ReleaseRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
            field: Some("giveBack".to_owned()),
            message: format!("the body must be {{\"giveBack\": true|false}}: {e}"),
        })?
    };
    Ok(axum::Json(
        lifecycle::release(&state.engine, &scope, &id, req.give_back).await?,
    ))
}

/// The pool: its settings (release period, low-water mark) and how many numbers are
/// lent and free.
#[utoipa::path(get, path = "/api/numbers/pool", tag = "numbers", responses((status = 200, body = PoolState)))]
pub async fn show_pool(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<PoolState>> {
    Ok(axum::Json(
        pool::state(&state.engine.db, &scope.org_id).await?,
    ))
}

/// Changes the pool's release period and low-water mark.
#[utoipa::path(put, path = "/api/numbers/pool", tag = "numbers", request_body = PoolSettings,
    responses((status = 200, body = PoolState), (status = 400, body = crate::error::ErrorBody)))]
pub async fn set_pool(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(wanted): Json<PoolSettings>,
) -> ApiResult<axum::Json<PoolState>> {
    Ok(axum::Json(
        pool::configure(&state.engine, &scope, &wanted).await?,
    ))
}
