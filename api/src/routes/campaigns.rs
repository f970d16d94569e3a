//! `/api/campaigns`: the org's three campaigns (reminders, follow-ups, win-back), their
//! schedules, templates and settings, segment previews, Run now and run history; and
//! the send endpoints, which run a campaign now and answer its counts. The seed's
//! paths (`/v1/reminders/send-upcoming`, `/v1/reminders/send-followups`,
//! `/v1/retention/send-retention`) answer too, so existing cron jobs keep working.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use engine::campaigns::{
    self, Campaign, CampaignChanges, Kind, Preview, Run, Settings, run as runs,
    settings::{self as s, parse_number},
};
use serde::Deserialize;

use crate::{
    auth::Owner,
    error::ApiResult,
    extract::{Json, Query},
    state::AppState,
};

/// Runs kept in a campaign's history answer.
const HISTORY: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/campaigns", get(list))
        .route(
            "/api/campaigns/reminders/send-upcoming",
            post(send_reminders),
        )
        .route("/v1/reminders/send-upcoming", post(send_reminders))
        .route("/api/campaigns/follow-ups/send", post(send_follow_ups))
        .route("/v1/reminders/send-followups", post(send_follow_ups))
        .route("/api/campaigns/retention/send", post(send_retention))
        .route("/v1/retention/send-retention", post(send_retention))
        .route("/api/campaigns/runs/{id}", get(run))
        .route("/api/campaigns/{id}", get(show).put(update))
        .route("/api/campaigns/{id}/preview", get(preview))
        .route("/api/campaigns/{id}/run", post(run_now))
        .route("/api/campaigns/{id}/runs", get(history))
}

/// The org's campaigns: appointment reminders, lead follow-ups and win-back.
#[utoipa::path(get, path = "/api/campaigns", tag = "campaigns",
    responses((status = 200, body = Vec<Campaign>)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(scope): Owner,
) -> ApiResult<axum::Json<Vec<Campaign>>> {
    Ok(axum::Json(campaigns::list(&state.engine, &scope).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RemindersQuery {
    /// Bookings starting within this many hours, 1–168 (default: the campaign's, 24).
    pub hours_ahead: Option<String>,
}

/// Sends a reminder for every booking starting between now and now + `hours_ahead`
/// whose client can be texted and that has not been reminded. Answers the run's counts.
#[utoipa::path(post, path = "/api/campaigns/reminders/send-upcoming", tag = "campaigns",
    params(RemindersQuery),
    responses((status = 200, body = Run), (status = 400, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "No active front-desk number")))]
pub async fn send_reminders(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<RemindersQuery>,
) -> ApiResult<axum::Json<Run>> {
    let given = Settings {
        hours_ahead: parse_number("hours_ahead", q.hours_ahead.as_deref(), s::HOURS_AHEAD)?,
        ..Settings::default()
    };
    Ok(axum::Json(
        runs::send_now(&state.engine, &scope, Kind::Reminders, given).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FollowUpsQuery {
    /// Leads from the last this many days, 1–90 (default: the campaign's, 7).
    pub days: Option<String>,
}

/// Texts every lead of the last `days` days who has not booked and has not had a
/// follow-up. Each is counted in `lead_followups_sent`.
#[utoipa::path(post, path = "/api/campaigns/follow-ups/send", tag = "campaigns",
    params(FollowUpsQuery),
    responses((status = 200, body = Run), (status = 400, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "No active front-desk number")))]
pub async fn send_follow_ups(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<FollowUpsQuery>,
) -> ApiResult<axum::Json<Run>> {
    let given = Settings {
        days: parse_number("days", q.days.as_deref(), s::FOLLOW_UP_DAYS)?,
        ..Settings::default()
    };
    Ok(axum::Json(
        runs::send_now(&state.engine, &scope, Kind::FollowUps, given).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RetentionQuery {
    /// Last completed visit at least this many days ago, 30–1095 (default 180).
    pub min_days_since_last_visit: Option<String>,
    /// At most this many texts, 1–1000 (default 50).
    pub max_messages: Option<String>,
    /// The campaign's name in the counters and its cool-down (default `win_back`).
    pub campaign_type: Option<String>,
    /// Only clients with a completed visit of this service type.
    pub service_type: Option<String>,
    /// Only clients with this tag.
    pub tag: Option<String>,
    /// No second text of the campaign type within this many days, 1–1095 (default 90).
    pub cooldown_days: Option<String>,
}

/// Win-back: texts past clients whose last completed visit is at least
/// `min_days_since_last_visit` days old, who have no upcoming booking, take texts, and
/// had no text of this campaign type within its cool-down; at most `max_messages`.
#[utoipa::path(post, path = "/api/campaigns/retention/send", tag = "campaigns",
    params(RetentionQuery),
    responses((status = 200, body = Run), (status = 400, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "No active front-desk number")))]
pub async fn send_retention(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Query(q): Query<RetentionQuery>,
) -> ApiResult<axum::Json<Run>> {
    let mut p = engine::Problems::default();
    let mut number = |field, raw: &Option<String>, range| {
        p.check(parse_number(field, raw.as_deref(), range))
            .map(Option::flatten)
    };
    let min_days = number(
        "min_days_since_last_visit",
        &q.min_days_since_last_visit,
        s::MIN_DAYS_SINCE_LAST_VISIT,
    )?;
    let max_messages = number("max_messages", &q.max_messages, s::MAX_MESSAGES)?;
    let cooldown_days = number("cooldown_days", &q.cooldown_days, s::COOLDOWN_DAYS)?;
    p.finish()?;
    let given = Settings {
        min_days_since_last_visit: min_days,
        max_messages,
        cooldown_days,
        campaign_type: q.campaign_type,
        service_type: q.service_type,
        tag: q.tag,
        ..Settings::default()
    };
    Ok(axum::Json(
        runs::send_now(&state.engine, &scope, Kind::Retention, given).await?,
    ))
}

/// One campaign.
#[utoipa::path(get, path = "/api/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, body = Campaign), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Campaign>> {
    Ok(axum::Json(
        campaigns::get(&state.engine, &scope, &id).await?,
    ))
}

/// Changes a campaign's name, schedule (`cron`, five fields, the org's time zone, at
/// most hourly), template, settings or `enabled`. Every problem is named at once.
#[utoipa::path(put, path = "/api/campaigns/{id}", tag = "campaigns", request_body = CampaignChanges,
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, body = Campaign), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
    Json(changes): Json<CampaignChanges>,
) -> ApiResult<axum::Json<Campaign>> {
    Ok(axum::Json(
        campaigns::update(&state.engine, &scope, &id, changes).await?,
    ))
}

/// Who a run now would text: how many ("37 clients would receive this now"), the first
/// few first names, who would be left out and why, and the first text. Sends nothing.
#[utoipa::path(get, path = "/api/campaigns/{id}/preview", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, body = Preview), (status = 404, body = crate::error::ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Preview>> {
    Ok(axum::Json(
        campaigns::preview(&state.engine, &scope, &id).await?,
    ))
}

/// Run now: queues a `manual` run with the campaign's settings (whether or not its
/// schedule is on). Its counts are in the run once it is `done`.
#[utoipa::path(post, path = "/api/campaigns/{id}/run", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 202, body = Run), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "No active front-desk number")))]
pub async fn run_now(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<Run>)> {
    let run = runs::run_now(&state.engine, &scope, &id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(run)))
}

/// The campaign's runs, newest first (the last 50), with their counts.
#[utoipa::path(get, path = "/api/campaigns/{id}/runs", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, body = Vec<Run>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Vec<Run>>> {
    Ok(axum::Json(
        runs::list(&state.engine.db, &scope, &id, HISTORY).await?,
    ))
}

/// One run.
#[utoipa::path(get, path = "/api/campaigns/runs/{id}", tag = "campaigns",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = Run), (status = 404, body = crate::error::ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    Owner(scope): Owner,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Run>> {
    Ok(axum::Json(runs::get(&state.engine.db, &scope, &id).await?))
}
