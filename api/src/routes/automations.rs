//! `/api/automations`: owners' automations, their versions, test runs, activation and
//! execution logs, plus the catalogue and live preview the builder works from.

use automations::{
    conditions::Operator,
    templates::{self, Audience},
    triggers::{self, Trigger},
};
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::automations::{
    self as store, Automation, AutomationDetail, NewAutomation, Version,
    events::{self, Event},
    executions::{self, Execution, RerunOn},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    auth::Owner,
    error::ApiResult,
    extract::{Json, JsonOrEmpty, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/automations", get(list).post(create))
        .route("/api/automations/catalog", get(catalog))
        .route("/api/automations/preview", post(preview))
        .route("/api/automations/{id}", get(show).put(update))
        .route("/api/automations/{id}/versions", get(versions))
        .route("/api/automations/{id}/test", post(test))
        .route("/api/automations/{id}/activate", post(activate))
        .route("/api/automations/{id}/pause", post(pause))
        .route("/api/automations/{id}/archive", post(archive))
        .route("/api/automations/{id}/events", get(recent_events))
        .route("/api/automations/{id}/executions", get(executions))
        .route("/api/automations/executions/{id}", get(execution))
        .route("/api/automations/executions/{id}/rerun", post(rerun))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `true`: archived automations instead of the others.
    pub archived: Option<String>,
}

/// The org's automations with their status and last run, most recently changed first.
#[utoipa::path(get, path = "/api/automations", tag = "automations", params(ListQuery),
    responses((status = 200, body = Vec<Automation>)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Vec<Automation>>> {
    let archived = crate::extract::flag("archived", q.archived.as_deref())?.unwrap_or(false);
    Ok(axum::Json(
        store::list(&state.engine.db, &scope, archived).await?,
    ))
}

/// Saves a new automation as a draft (version 1). Every problem is named at once, with
/// its line and column inside a script or template.
#[utoipa::path(post, path = "/api/automations", tag = "automations", request_body = NewAutomation,
    responses((status = 201, body = AutomationDetail), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Json(new): Json<NewAutomation>,
) -> ApiResult<(StatusCode, axum::Json<AutomationDetail>)> {
    let detail = store::create(&state.engine, &scope, &new, None).await?;
    Ok((StatusCode::CREATED, axum::Json(detail)))
}

/// One automation with its latest version.
#[utoipa::path(get, path = "/api/automations/{id}", tag = "automations",
    params(("id" = String, Path, description = "Automation id")),
    responses((status = 200, body = AutomationDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<AutomationDetail>> {
    Ok(axum::Json(store::detail(&state.engine, &scope, &id).await?))
}

/// Saves a new version. A live version keeps running until the new one is tested and
/// activated.
#[utoipa::path(put, path = "/api/automations/{id}", tag = "automations", request_body = NewAutomation,
    params(("id" = String, Path, description = "Automation id")),
    responses((status = 200, body = AutomationDetail), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(new): Json<NewAutomation>,
) -> ApiResult<axum::Json<AutomationDetail>> {
    Ok(axum::Json(
        store::update(&state.engine, &scope, &id, &new).await?,
    ))
}

/// Every saved version, newest first, with which is live and which passed a test.
#[utoipa::path(get, path = "/api/automations/{id}/versions", tag = "automations",
    params(("id" = String, Path, description = "Automation id")),
    responses((status = 200, body = Vec<Version>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Vec<Version>>> {
    Ok(axum::Json(
        store::versions(&state.engine, &scope, &id).await?,
    ))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestRequest {
    /// The version to test (default: the latest).
    pub version: Option<i64>,
    /// A recent real event of the trigger (from `/events`); default: the trigger's sample.
    pub event_id: Option<String>,
}

/// Test Mode: evaluates the conditions, renders the templates and simulates every action
/// against the sample or a real event. Nothing is sent; the run is stored as a `test`
/// execution, and a passing one lets that exact version be activated.
#[utoipa::path(post, path = "/api/automations/{id}/test", tag = "automations", request_body = TestRequest,
    params(("id" = String, Path, description = "Automation id")),
    responses((status = 200, body = Execution), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    JsonOrEmpty(req): JsonOrEmpty<TestRequest>,
) -> ApiResult<axum::Json<Execution>> {
    let execution = executions::test(
        &state.engine,
        &scope,
        &id,
        req.version,
        req.event_id.as_deref(),
    )
    .await?;
    Ok(axum::Json(execution))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ActivateRequest {
    /// The version to put live (default: the latest).
    pub version: Option<i64>,
}

/// Puts a version live. 409 "You must run a successful test before activating this
/// automation." unless that exact version has a passing test run.
#[utoipa::path(post, path = "/api/automations/{id}/activate", tag = "automations", request_body = ActivateRequest,
    params(("id" = String, Path, description = "Automation id")),
    responses((status = 200, body = Automation), (status = 409, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    JsonOrEmpty(req): JsonOrEmpty<ActivateRequest>,
) -> ApiResult<axum::Json<Automation>> {
    let version = req.version;
    Ok(axum::Json(
        store::activate(&state.engine, &scope, &id, version).await?,
    ))
}

/// Stops an active automation from starting new runs (runs already waiting finish).
#[utoipa::path(post, path = "/api/automations/{id}/pause", tag = "automations",
    params(("id" = String, Path, description = "Automation id")),
    responses((status = 200, body = Automation), (status = 409, body = crate::error::ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Automation>> {
    Ok(axum::Json(
        store::set_status(&state.engine, &scope, &id, "paused").await?,
    ))
}

/// Archives an automation: it stops and leaves the list (its history stays).
#[utoipa::path(post, path = "/api/automations/{id}/archive", tag = "automations",
    params(("id" = String, Path, description = "Automation id")),
    responses((status = 200, body = Automation), (status = 404, body = crate::error::ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Automation>> {
    Ok(axum::Json(
        store::set_status(&state.engine, &scope, &id, "archived").await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct EventsQuery {
    /// The trigger whose events to list, e.g. `lead.created`: the one being edited in the
    /// builder, which may not be saved yet. Default: the latest version's trigger.
    pub trigger: Option<String>,
}

/// The org's latest real events of the trigger a test would run on, to test against.
/// That is the latest version's (what Test Mode tests by default), not the live one's:
/// a draft that changes an active automation's trigger is tested on its own trigger.
#[utoipa::path(get, path = "/api/automations/{id}/events", tag = "automations",
    params(("id" = String, Path, description = "Automation id"), EventsQuery),
    responses((status = 200, body = Vec<Event>), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn recent_events(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<axum::Json<Vec<Event>>> {
    let trigger = match q.trigger.as_deref().filter(|t| !t.is_empty()) {
        Some(name) => {
            store::get(&state.engine.db, &scope, &id).await?;
            store::trigger(name)?
        }
        None => {
            let detail = store::detail(&state.engine, &scope, &id).await?;
            detail.version.program.trigger.trigger()
        }
    };
    Ok(axum::Json(
        events::recent(&state.engine.db, &scope.org_id, trigger, 20).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExecutionQuery {
    /// `live` or `test`; default both.
    pub mode: Option<String>,
    /// 1–200 (default 50).
    pub limit: Option<u32>,
}

/// The Execution Logs: runs of this automation, newest first, each with its trigger
/// payload, condition results and every step's input, output, error and duration.
#[utoipa::path(get, path = "/api/automations/{id}/executions", tag = "automations",
    params(("id" = String, Path, description = "Automation id"), ExecutionQuery),
    responses((status = 200, body = Vec<Execution>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn executions(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Query(q): Query<ExecutionQuery>,
) -> ApiResult<axum::Json<Vec<Execution>>> {
    let mode = match q.mode.as_deref() {
        None | Some("") => None,
        Some(m @ ("live" | "test")) => Some(m),
        Some(_) => return Err(engine::Error::invalid("mode", "must be live or test").into()),
    };
    let limit = engine::paging::limit(q.limit)?;
    Ok(axum::Json(
        executions::list(&state.engine.db, &scope, &id, mode, i64::from(limit)).await?,
    ))
}

/// One execution.
#[utoipa::path(get, path = "/api/automations/executions/{id}", tag = "automations",
    params(("id" = String, Path, description = "Execution id")),
    responses((status = 200, body = Execution), (status = 404, body = crate::error::ErrorBody)))]
pub async fn execution(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Execution>> {
    Ok(axum::Json(
        executions::get(&state.engine.db, &scope, &id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RerunRequest {
    /// `same`: the version it ran; `current`: the live (or latest) version.
    pub on: RerunOn,
}

/// Runs a failed execution again from its failed step, as a new execution.
#[utoipa::path(post, path = "/api/automations/executions/{id}/rerun", tag = "automations",
    request_body = RerunRequest, params(("id" = String, Path, description = "Execution id")),
    responses((status = 201, body = Execution), (status = 409, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn rerun(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(req): Json<RerunRequest>,
) -> ApiResult<(StatusCode, axum::Json<Execution>)> {
    let execution = executions::rerun(&state.engine, &scope, &id, req.on).await?;
    Ok((StatusCode::CREATED, axum::Json(execution)))
}

/// What the builder offers: every trigger with its description, payload fields and
/// sample; the condition operators; the actions; the lanes.
#[utoipa::path(get, path = "/api/automations/catalog", tag = "automations",
    responses((status = 200, body = Object)))]
pub async fn catalog(Owner(_scope): Owner) -> axum::Json<Value> {
    let triggers: Vec<Value> = Trigger::ALL
        .iter()
        .map(|t| {
            let fields: Vec<Value> = t
                .objects()
                .iter()
                .flat_map(|o| triggers::fields::paths(*o))
                .map(|(path, f)| {
                    json!({"path": path, "kind": f.kind, "nullable": f.nullable,
                           "private": f.private, "description": f.description})
                })
                .collect();
            json!({"event": t.as_str(), "description": t.description(), "fields": fields,
                   "sample": triggers::sample(*t)})
        })
        .collect();
    let operators: Vec<Value> = Operator::ALL
        .iter()
        .map(|o| json!({"name": o.as_str(), "takesValue": o.takes_value()}))
        .collect();
    axum::Json(json!({
        "triggers": triggers,
        "operators": operators,
        "actions": ["send_sms", "notify_owner", "add_tag", "remove_tag", "wait", "create_alert"],
        "recipients": ["client", "owner", "sitter"],
        "lanes": ["front_desk", "sitter", "pool"],
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PreviewRequest {
    /// The trigger whose sample renders the template, e.g. `booking.created`.
    pub trigger: String,
    pub template: String,
    /// Who reads it: `client` (default), `owner` or `sitter`.
    pub audience: Option<String>,
}

/// The live preview: the template rendered against the trigger's sample, with its SMS
/// segment count, or the template's error with its line.
#[utoipa::path(post, path = "/api/automations/preview", tag = "automations", request_body = PreviewRequest,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody)))]
pub async fn preview(
    Owner(_scope): Owner,
    Json(req): Json<PreviewRequest>,
) -> ApiResult<axum::Json<Value>> {
    let trigger = store::trigger(&req.trigger)?;
    let audience = match req.audience.as_deref().unwrap_or("client") {
        "client" => Audience::Client,
        "owner" => Audience::Owner,
        "sitter" => Audience::Sitter,
        _ => {
            return Err(
                engine::Error::invalid("audience", "must be client, owner or sitter").into(),
            );
        }
    };
    Ok(axum::Json(
        match templates::preview(&req.template, trigger, audience) {
            Ok(p) => json!({"ok": true, "text": p.text, "segments": p.segments}),
            Err(e) => json!({"ok": false, "error": e}),
        },
    ))
}
