//! `/campaigns`: the org's three campaigns, each with its schedule, settings and
//! template (a live preview as it is typed), who it would text now, on/off, Run now,
//! and its recent runs with their counts (refreshed while the page is open).

use automations::templates::{self as texts, Audience};
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{Caller, OwnerScope},
    campaigns::{
        self, CampaignChanges, Kind, Settings,
        run::{self as runs},
        settings::{self as s, parse_number},
    },
};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    state::AppState,
    templates,
};

/// The settings' form fields.
const SETTINGS: [&str; 8] = [
    "hours_ahead",
    "days",
    "min_days_since_last_visit",
    "max_messages",
    "campaign_type",
    "service_type",
    "tag",
    "cooldown_days",
];

/// Runs each campaign's history shows.
const RECENT_RUNS: i64 = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(show))
        .route("/campaigns/{id}", post(save))
        .route("/campaigns/{id}/run", post(run_now))
}

#[derive(Deserialize)]
struct PageQuery {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<PageQuery>,
) -> ApiResult<Html<String>> {
    let flash = super::flash(q.done.as_deref());
    render(&state, &caller, &scope, flash, None).await
}

/// A form's problem, shown on the campaign it is about.
struct Problem {
    campaign_id: String,
    text: String,
}

async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    flash: Option<&'static str>,
    problem: Option<Problem>,
) -> ApiResult<Html<String>> {
    let engine = &state.engine;
    let mut cards = Vec::new();
    for campaign in campaigns::list(engine, scope).await? {
        let preview = campaigns::preview(engine, scope, &campaign.id).await?;
        let runs = runs::list(&engine.db, scope, &campaign.id, RECENT_RUNS).await?;
        let error = problem
            .as_ref()
            .filter(|p| p.campaign_id == campaign.id)
            .map(|p| p.text.clone());
        // A run on its way: the runs refresh until it is done.
        let busy = runs
            .iter()
            .any(|r| matches!(r.status.as_str(), "queued" | "running" | "waiting"));
        // Every setting's field, empty where the default applies (shown as a placeholder).
        let stored = serde_json::to_value(&campaign.settings).unwrap_or_default();
        let values: serde_json::Map<String, serde_json::Value> = SETTINGS
            .iter()
            .map(|k| ((*k).to_owned(), stored.get(*k).cloned().unwrap_or_default()))
            .collect();
        // The preview the script keeps up to date as the text is typed, rendered here
        // too, so the page does not move when the script's first answer arrives.
        let sample = texts::preview(
            &campaign.template,
            campaign.kind.trigger(),
            Audience::Client,
        )
        .map(|p| p.text)
        .map_err(|e| match e.line {
            Some(line) => format!("Line {line}: {}", e.message),
            None => e.message,
        });
        cards.push(context! {
            busy,
            sample_text => sample.as_ref().ok(),
            sample_error => sample.as_ref().err(),
            values => Serde(values),
            trigger => campaign.kind.trigger().as_str(),
            campaign => Serde(&campaign),
            preview => Serde(&preview),
            runs => Serde(&runs),
            error,
        });
    }
    templates::page(
        state,
        caller,
        "campaigns.html",
        "campaigns",
        "campaigns",
        context! { cards, flash },
    )
    .await
}

/// The campaign form: every setting is text, as typed; empty is the default.
#[derive(Deserialize)]
struct CampaignForm {
    csrf: String,
    cron: String,
    template: String,
    /// A checkbox: present when ticked.
    enabled: Option<String>,
    #[serde(default)]
    hours_ahead: Option<String>,
    #[serde(default)]
    days: Option<String>,
    #[serde(default)]
    min_days_since_last_visit: Option<String>,
    #[serde(default)]
    max_messages: Option<String>,
    #[serde(default)]
    campaign_type: Option<String>,
    #[serde(default)]
    service_type: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    cooldown_days: Option<String>,
}

impl CampaignForm {
    /// The settings of `kind` the form carries, ranges checked (every bad one named).
    fn settings(&self, kind: Kind) -> engine::Result<Settings> {
        let mut p = engine::Problems::default();
        let mut number = |field, raw: &Option<String>, range| {
            p.check(parse_number(field, raw.as_deref(), range))
                .map(Option::flatten)
        };
        let settings = match kind {
            Kind::Reminders => Settings {
                hours_ahead: number("hours_ahead", &self.hours_ahead, s::HOURS_AHEAD)?,
                ..Settings::default()
            },
            Kind::FollowUps => Settings {
                days: number("days", &self.days, s::FOLLOW_UP_DAYS)?,
                ..Settings::default()
            },
            Kind::Retention => Settings {
                min_days_since_last_visit: number(
                    "min_days_since_last_visit",
                    &self.min_days_since_last_visit,
                    s::MIN_DAYS_SINCE_LAST_VISIT,
                )?,
                max_messages: number("max_messages", &self.max_messages, s::MAX_MESSAGES)?,
                cooldown_days: number("cooldown_days", &self.cooldown_days, s::COOLDOWN_DAYS)?,
                campaign_type: self.campaign_type.clone(),
                service_type: self.service_type.clone(),
                tag: self.tag.clone(),
                ..Settings::default()
            },
        };
        p.finish()?;
        Ok(settings)
    }
}

async fn save(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<CampaignForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let campaign = campaigns::get(&state.engine, &scope, &id).await?;
    let saved = match form.settings(campaign.kind) {
        Ok(settings) => {
            let changes = CampaignChanges {
                name: None,
                cron: Some(form.cron.clone()),
                template: Some(form.template.clone()),
                enabled: Some(form.enabled.is_some()),
                settings: Some(settings),
            };
            campaigns::update(&state.engine, &scope, &id, changes).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns?done=saved#campaign-{id}")).into_response()),
        Err(e) => problem(&state, &caller, &scope, id, e).await,
    }
}

#[derive(Deserialize)]
struct RunForm {
    csrf: String,
}

async fn run_now(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<RunForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    match runs::run_now(&state.engine, &scope, &id).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/campaigns?done=campaign_run#campaign-{id}")).into_response(),
        ),
        Err(e) => problem(&state, &caller, &scope, id, e).await,
    }
}

/// The page again with what went wrong on the campaign's card, or the error itself if
/// it is not the person's to fix.
async fn problem(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    campaign_id: String,
    e: engine::Error,
) -> ApiResult<Response> {
    let (status, text): (StatusCode, String) = super::fixable(e)?;
    let page = render(
        state,
        caller,
        scope,
        None,
        Some(Problem { campaign_id, text }),
    )
    .await?;
    Ok((status, page).into_response())
}
