//! `/settings`: the org's feature flags (each one on, off, or following the install's
//! default).

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Redirect},
    routing::{get, post},
};
use engine::flags;
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
    let flags = flags::list(&state.engine, &scope.org_id).await?;
    let flash = super::flash(q.done.as_deref());
    templates::page(
        &state,
        &caller,
        "settings.html",
        "settings",
        "settings",
        context! { flags => Serde(flags), flash },
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
