//! `/clients`: the owner's client list with search and a form to add one; `/clients/{id}`
//! edits a client, lists their bookings, and archives or restores them.

use axum::{
    Router,
    extract::{Path, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{Caller, OwnerScope},
    bookings::{self, BookingFilter},
    clients::{self, Client, ClientChanges, ClientFilter, NewClient},
    fields::{self, Patch},
};
use minijinja::{context, value::Serde};
use serde::{Deserialize, Serialize};

use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    state::AppState,
    templates,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clients", get(list).post(create))
        .route("/clients/{id}", get(show).post(update))
        .route("/clients/{id}/archive", post(archive))
        .route("/clients/{id}/restore", post(restore))
}

#[derive(Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    tag: Option<String>,
    archived: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

/// The client form as typed, so a mistake comes back with everything still filled in.
#[derive(Default, Deserialize, Serialize)]
struct ClientForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    /// Comma-separated.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    notes: String,
}

impl ClientForm {
    fn of(c: &Client) -> Self {
        Self {
            csrf: String::new(),
            name: c.name.clone(),
            phone: c.phone.clone(),
            email: c.email.clone().unwrap_or_default(),
            tags: c.tags.join(", "),
            notes: c.notes.clone(),
        }
    }
}

async fn list(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<ListQuery>,
) -> ApiResult<Html<String>> {
    render_list(&state, &caller, &scope, q, ClientForm::default(), None).await
}

async fn render_list(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    q: ListQuery,
    form: ClientForm,
    error: Option<String>,
) -> ApiResult<Html<String>> {
    let archived = q.archived.as_deref() == Some("true");
    // A tag that is not a tag matches nothing rather than failing the page.
    let tag = q.tag.clone().unwrap_or_default();
    let tag_ok = fields::tags("tag", std::slice::from_ref(&tag)).is_ok();
    let filter = ClientFilter {
        q: q.q.clone().unwrap_or_default(),
        tag: Some(tag.clone()),
        opted_out: None,
        archived,
        cursor: q.cursor,
        limit: 50,
    };
    let page = if tag_ok {
        clients::list(&state.engine.db, scope, &filter).await?
    } else {
        clients::ClientPage {
            clients: Vec::new(),
            next_cursor: None,
        }
    };
    templates::page(
        state,
        caller,
        "clients.html",
        "clients",
        "clients",
        context! {
            clients => Serde(page.clients),
            next_cursor => page.next_cursor,
            q => q.q.unwrap_or_default(),
            tag,
            archived,
            form => Serde(form),
            error,
            flash => super::flash(q.done.as_deref()),
        },
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<ClientForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let new = NewClient {
        name: form.name.clone(),
        phone: form.phone.clone(),
        email: Some(form.email.clone()),
        tags: fields::split_tags(&form.tags),
        notes: form.notes.clone(),
        lead: None,
    };
    let mut tx = state.engine.db.begin().await?;
    let created = clients::create(&mut tx, &scope, &new, state.engine.clock.now()).await;
    match super::forms::commit(tx, created).await {
        Ok(id) => Ok(Redirect::to(&format!("/clients/{id}?done=created")).into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let q = ListQuery::default();
            let page = render_list(&state, &caller, &scope, q, form, Some(text)).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Default, Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> ApiResult<Html<String>> {
    let flash = super::flash(q.done.as_deref());
    render_edit(&state, &caller, &scope, &id, None, None, flash).await
}

/// A client's page; `form` is what to show in the fields when it is not what is stored
/// (after a mistake).
async fn render_edit(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    id: &str,
    form: Option<ClientForm>,
    error: Option<String>,
    flash: Option<&'static str>,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    let client = clients::get(db, scope, id).await?;
    let filter = BookingFilter {
        client_id: Some(id.to_owned()),
        limit: 50,
        ..BookingFilter::default()
    };
    let bookings = bookings::list(db, scope, &filter).await?;
    templates::page(
        state,
        caller,
        "client.html",
        "clients",
        "clients",
        context! {
            form => Serde(form.unwrap_or_else(|| ClientForm::of(&client))),
            client => Serde(client),
            bookings => Serde(bookings.bookings),
            error,
            flash,
        },
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<ClientForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let email = form.email.trim();
    let changes = ClientChanges {
        name: Some(form.name.clone()),
        phone: Some(form.phone.clone()),
        email: if email.is_empty() {
            Patch::Clear
        } else {
            Patch::Set(email.to_owned())
        },
        tags: Some(fields::split_tags(&form.tags)),
        notes: Some(form.notes.clone()),
    };
    let mut tx = state.engine.db.begin().await?;
    let done = clients::update(&mut tx, &scope, &id, &changes, state.engine.clock.now()).await;
    let done = super::forms::commit(tx, done).await;
    answer(&state, &caller, &scope, &id, done, "saved", Some(form)).await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn archive(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let mut tx = state.engine.db.begin().await?;
    let done = clients::archive(&mut tx, &scope, &id, state.engine.clock.now()).await;
    let done = super::forms::commit(tx, done).await;
    answer(&state, &caller, &scope, &id, done, "archived", None).await
}

async fn restore(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let mut tx = state.engine.db.begin().await?;
    let done = clients::restore(&mut tx, &scope, &id, state.engine.clock.now()).await;
    let done = super::forms::commit(tx, done).await;
    answer(&state, &caller, &scope, &id, done, "restored", None).await
}

/// Back to the client saying what happened, or the client's page again with what went
/// wrong.
async fn answer(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    id: &str,
    done: engine::Result<()>,
    what: &str,
    form: Option<ClientForm>,
) -> ApiResult<Response> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/clients/{id}?done={what}")).into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let page = render_edit(state, caller, scope, id, form, Some(text), None).await?;
            Ok((status, page).into_response())
        }
    }
}
