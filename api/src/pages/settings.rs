//! `/settings`: the org's feature flags (each one on, off, or following the install's
//! default), and automated texts: quiet hours and the owner's mobile (a form
//! `automations.js` saves through `PUT /api/settings/automations`).

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Redirect},
    routing::{get, post},
};
use engine::{accounts, flags, quiet_hours};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    state::AppState,
    templates,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(show))
        .route("/settings/flags", post(save))
}

#[derive(Deserialize)]
struct SettingsQuery {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<SettingsQuery>,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let flags = flags::list(&state.engine, &scope.org_id).await?;
    let flash = super::flash(q.done.as_deref());
    let (quiet, _) = quiet_hours::of_org(db, &scope.org_id).await?;
    let quiet = quiet.map(|q| context! { start => q.start(), end => q.end() });
    let my_mobile = match &scope.user_id {
        Some(id) => accounts::mobile(db, &scope.org_id, id).await?,
        None => None,
    };
    templates::page(
        &state,
        &caller,
        "settings.html",
        "settings",
        "settings",
        context! { flags => Serde(flags), flash, quiet, my_mobile },
    )
    .await
}

#[derive(Deserialize)]
struct FlagForm {
    csrf: String,
    name: String,
    /// `on`, `off` or `default`.
    value: String,
}

async fn save(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<FlagForm>,
) -> ApiResult<impl IntoResponse> {
    check_csrf(&caller, &form.csrf)?;
    let value = match form.value.as_str() {
        "on" => Some(true),
        "off" => Some(false),
        "default" => None,
        _ => return Err(engine::Error::invalid("value", "must be on, off or default").into()),
    };
    flags::set(&state.engine, &scope, &form.name, value).await?;
    Ok(Redirect::to("/settings?done=saved"))
}
