//! The owner's texts on `/inbox`: the composer's Send (and Send anyway, with a reason),
//! Retry of a failed text, and a link that opens the conversation a text is in.

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    outbound::{self, Author},
    threads,
};
use serde::Deserialize;

use super::{
    composer::Composer,
    inbox::{self, InboxQuery},
    thread_url,
};
use crate::{
    auth::{Owner, OwnerPage, check_csrf},
    error::{ApiError, ApiResult},
    extract::Form,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox/{id}/send", post(send))
        .route("/inbox/messages/{id}", get(open))
        .route("/inbox/messages/{id}/retry", post(retry))
}

#[derive(Deserialize)]
struct SendForm {
    csrf: String,
    body: String,
    /// Present when the owner pressed "Send anyway".
    force: Option<String>,
    #[serde(default)]
    reason: String,
}

/// Sends the text and returns to the conversation. A text the policy warns about, or
/// one that cannot go (empty, opted out), brings the page back with the text kept.
async fn send(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<SendForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let reason = form.reason.trim();
    let force = form.force.is_some() && !reason.is_empty();
    let sent = outbound::send(
        &state.engine,
        Author::Owner(&scope),
        &id,
        &form.body,
        force.then_some(reason),
    )
    .await;
    let e = match sent {
        Ok(_) => return Ok(Redirect::to(&thread_url(&id)).into_response()),
        Err(e) => e,
    };
    let (status, mut composer) = Composer::after(form.body, form.reason.clone(), e)?;
    if form.force.is_some() && composer.warning.is_some() {
        composer.error = Some("Say why you are sending it anyway.".to_owned());
    }
    let q = InboxQuery {
        thread: Some(id),
        ..InboxQuery::default()
    };
    let page = inbox::render(&state, &caller, &scope, q, composer).await?;
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
struct RetryForm {
    csrf: String,
    /// The conversation to return to.
    thread: String,
}

/// A new attempt for a failed or uncertain text (the same as the API's Retry, audited).
/// A text that is no longer failed (retried twice, or delivered meanwhile) brings the
/// conversation back saying so.
async fn retry(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<RetryForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let retried =
        crate::routes::messages::retry(State(state.clone()), Owner(scope.clone()), Path(id)).await;
    let e = match retried {
        Ok(_) => {
            let to = format!("{}&done=retried", thread_url(&form.thread));
            return Ok(Redirect::to(&to).into_response());
        }
        Err(ApiError::Engine(e)) => e,
        Err(e) => return Err(e),
    };
    let (status, text) = super::fixable(e)?;
    let composer = Composer {
        error: Some(text),
        ..Composer::default()
    };
    let q = InboxQuery {
        thread: Some(form.thread),
        ..InboxQuery::default()
    };
    let page = inbox::render(&state, &caller, &scope, q, composer).await?;
    Ok((status, page).into_response())
}

/// Opens the conversation a text is in (dead letters and alerts name the message).
async fn open(
    State(state): State<AppState>,
    OwnerPage(_, scope): OwnerPage,
    Path(id): Path<String>,
) -> ApiResult<Redirect> {
    let thread = threads::of_message(&state.engine.db, &scope, &id).await?;
    // The fragment is the id as stored, not as typed in the path.
    Ok(Redirect::to(&format!(
        "{}#message-{id}",
        thread_url(&thread)
    )))
}
