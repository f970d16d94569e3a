//! `/sitter/inbox` and `/sitter/threads/{id}`: the sitter's conversations, readable and
//! writable during their assignment window. No client number ever reaches these pages:
//! the header carries the business number and message bodies come redacted.

use axum::{
    Router,
    extract::{Path, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{Caller, SitterScope},
    outbound::{self, Author},
    threads,
};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use super::composer::Composer;
use crate::{
    auth::{SitterPage, check_csrf},
    error::ApiResult,
    extract::Form,
    state::AppState,
    templates,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sitter/inbox", get(show))
        .route("/sitter/threads/{id}", get(thread))
        .route("/sitter/threads/{id}/send", post(send))
        .route("/sitter/threads/{id}/retry/{message}", post(retry))
}

async fn show(
    State(state): State<AppState>,
    SitterPage(caller, scope): SitterPage,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let threads = threads::for_sitter(db, &scope, state.engine.clock.now()).await?;
    templates::page(
        &state,
        &caller,
        "sitter_inbox.html",
        "conversations",
        "sitter-inbox",
        context! { threads => Serde(threads) },
    )
    .await
}

async fn thread(
    State(state): State<AppState>,
    SitterPage(caller, scope): SitterPage,
    Path(id): Path<String>,
) -> ApiResult<Html<String>> {
    render(&state, &caller, &scope, &id, Composer::default()).await
}

/// One conversation: its window, and its messages only while the window is active. A
/// thread the sitter never had a window on is not found.
async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &SitterScope,
    thread_id: &str,
    composer: Composer,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let header = threads::sitter_header(db, scope, thread_id, now).await?;
    let messages = if header.window_status == "active" {
        threads::sitter_messages(db, scope, thread_id, now).await?.1
    } else {
        Vec::new()
    };
    templates::page(
        state,
        caller,
        "sitter_thread.html",
        "conversations",
        "sitter-thread",
        context! {
            thread => Serde(header),
            messages => Serde(messages),
            composer => Serde(composer),
            outside_view => threads::OUTSIDE_WINDOW_VIEW,
            outside_send => outbound::OUTSIDE_WINDOW_TEXT,
        },
    )
    .await
}

#[derive(Deserialize)]
struct SendForm {
    csrf: String,
    body: String,
}

/// Sends the text from the business number. Blocked (contact info, or outside the
/// window): the conversation comes back with the server's words and the text kept.
async fn send(
    State(state): State<AppState>,
    SitterPage(caller, scope): SitterPage,
    Path(id): Path<String>,
    Form(form): Form<SendForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    match outbound::send(&state.engine, Author::Sitter(&scope), &id, &form.body, None).await {
        // Sent: the thread exists, so its id is one of ours and safe in a URL.
        Ok(_) => Ok(Redirect::to(&format!("/sitter/threads/{id}")).into_response()),
        Err(e) => {
            let (status, composer) = Composer::after(form.body, String::new(), e)?;
            let page = render(&state, &caller, &scope, &id, composer).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
struct RetryForm {
    csrf: String,
}

/// Retry on the sitter's own failed text: the conversation again, saying why not if it
/// could not be retried.
async fn retry(
    State(state): State<AppState>,
    SitterPage(caller, scope): SitterPage,
    Path((id, message)): Path<(String, String)>,
    Form(form): Form<RetryForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    // One of the sitter's conversations (404 otherwise), so its id is safe in a URL.
    let engine = &state.engine;
    threads::sitter_header(&engine.db, &scope, &id, engine.clock.now()).await?;
    match outbound::retry(engine, Author::Sitter(&scope), &message).await {
        Ok(_) => Ok(Redirect::to(&format!("/sitter/threads/{id}")).into_response()),
        Err(e) => {
            let (status, composer) = Composer::after(String::new(), String::new(), e)?;
            let page = render(&state, &caller, &scope, &id, composer).await?;
            Ok((status, page).into_response())
        }
    }
}
