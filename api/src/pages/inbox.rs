//! `/inbox`: the owner inbox, threads on the left and the open conversation on the right.

use axum::{
    Router,
    extract::{Path, State},
    response::{Html, IntoResponse, Redirect},
    routing::{get, post},
};
use engine::{
    accounts::{self, Caller, OwnerScope},
    clock::HOUR,
    overrides,
    threads::{self, ThreadFilter},
};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use super::composer::Composer;
use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    state::AppState,
    templates,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(show))
        .route("/inbox/{id}/override", post(pin))
        .route("/inbox/{id}/override/clear", post(unpin))
}

#[derive(Default, Deserialize)]
pub(super) struct InboxQuery {
    pub filter: Option<String>,
    pub q: Option<String>,
    pub thread: Option<String>,
    pub cursor: Option<String>,
    pub done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<InboxQuery>,
) -> ApiResult<Html<String>> {
    render(&state, &caller, &scope, q, Composer::default()).await
}

/// The inbox with its open conversation, the composer as `composer` says.
pub(super) async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    q: InboxQuery,
    composer: Composer,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let filter_name = q
        .filter
        .as_deref()
        .filter(|f| matches!(*f, "unread" | "policy" | "failures"))
        .unwrap_or("all");
    let filter = ThreadFilter {
        unread: filter_name == "unread",
        policy: filter_name == "policy",
        failures: filter_name == "failures",
        search: q.q.clone().unwrap_or_default(),
        cursor: q.cursor,
        limit: 50,
        thread_id: None,
    };
    // Open the thread first: that marks it read, and the list below should show it so.
    let (selected, messages) = match q.thread.as_deref() {
        Some(id) => {
            let messages = threads::messages(db, scope, id).await?;
            (threads::summary(db, scope, id, now).await?, messages)
        }
        None => (None, Vec::new()),
    };
    let page = threads::list(db, scope, &filter, now).await?;
    let sitters = accounts::sitters(db, &scope.org_id).await?;
    templates::page(
        state,
        caller,
        "inbox.html",
        "messaging",
        "inbox",
        context! {
            threads => Serde(page.threads),
            next_cursor => page.next_cursor,
            filter => filter_name,
            q => q.q.unwrap_or_default(),
            selected => Serde(selected),
            messages => Serde(messages),
            sitters => Serde(sitters),
            composer => Serde(composer),
            flash => super::flash(q.done.as_deref()),
        },
    )
    .await
}

#[derive(Deserialize)]
struct PinForm {
    csrf: String,
    /// `owner_inbox` or `sitter:<id>`.
    target: String,
    hours: i64,
}

async fn pin(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<PinForm>,
) -> ApiResult<impl IntoResponse> {
    check_csrf(&caller, &form.csrf)?;
    let (target, sitter_id) = match form.target.split_once(':') {
        Some(("sitter", sitter)) => ("sitter", Some(sitter)),
        _ => (form.target.as_str(), None),
    };
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    overrides::set(
        &mut tx,
        &scope,
        &id,
        target,
        sitter_id,
        now + form.hours.clamp(1, 24 * 30) * HOUR,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&super::thread_url(&id)))
}

#[derive(Deserialize)]
struct UnpinForm {
    csrf: String,
}

async fn unpin(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<UnpinForm>,
) -> ApiResult<impl IntoResponse> {
    check_csrf(&caller, &form.csrf)?;
    let mut tx = state.engine.db.begin().await?;
    overrides::clear(&mut tx, &scope, &id, state.engine.clock.now()).await?;
    tx.commit().await?;
    Ok(Redirect::to(&super::thread_url(&id)))
}
