//! `/inbox`: the owner inbox, threads on the left and the open conversation on the right.

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::threads::{self, ThreadFilter};
use minijinja::{context, value::Serde};
use serde::Deserialize;

use crate::{auth::OwnerPage, error::ApiResult, extract::Query, state::AppState, templates};

pub fn router() -> Router<AppState> {
    Router::new().route("/inbox", get(show))
}

#[derive(Deserialize)]
struct InboxQuery {
    filter: Option<String>,
    q: Option<String>,
    thread: Option<String>,
    cursor: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<InboxQuery>,
) -> ApiResult<impl IntoResponse> {
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
            let messages = threads::messages(db, &scope, id).await?;
            (threads::summary(db, &scope, id, now).await?, messages)
        }
        None => (None, Vec::new()),
    };
    let page = threads::list(db, &scope, &filter, now).await?;
    templates::page(
        &state,
        &caller,
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
        },
    )
    .await
}
