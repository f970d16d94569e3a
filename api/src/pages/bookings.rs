//! `/bookings`: the owner's bookings with a form to book a visit, a sitter picker and
//! Cancel on each row; `/bookings/{id}` edits one and shows its assignment windows.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    Problems,
    accounts::{Caller, OwnerScope},
    bookings::{self, Booking, BookingChanges, BookingFilter, NewBooking},
    clients::{self, Client, ClientFilter},
    clock::{DAY, parse_rfc3339},
    fields::Patch,
    sitters,
    windows::{self, WindowFilter},
};
use minijinja::{context, value::Serde};
use serde::{Deserialize, Serialize};

use super::forms;
use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    routes::bookings::proactive_threads,
    state::AppState,
    templates,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bookings", get(list).post(create))
        .route("/bookings/{id}", get(show).post(update))
        .route("/bookings/{id}/sitter", post(assign))
        .route("/bookings/{id}/cancel", post(cancel))
}

#[derive(Default, Deserialize)]
struct ListQuery {
    /// `upcoming` (from today, the default) or `all`.
    when: Option<String>,
    status: Option<String>,
    /// Pre-selects this client in the new-booking form.
    client: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

/// The booking form as typed. `start`/`end` are the visible local-time fields; the
/// page's script puts the same moments, in UTC, in `start_at`/`end_at`.
#[derive(Default, Deserialize, Serialize)]
struct BookingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    service_type: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    start_at: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    end_at: String,
    #[serde(default)]
    sitter_id: String,
    #[serde(default)]
    recurrence: String,
    #[serde(default)]
    status: String,
}

impl BookingForm {
    fn of(b: &Booking) -> Self {
        let field = |t: &str| {
            parse_rfc3339("at", t)
                .map(forms::field_value)
                .unwrap_or_default()
        };
        Self {
            csrf: String::new(),
            client_id: b.client_id.clone(),
            service_type: b.service_type.clone(),
            start: field(&b.start_at),
            start_at: b.start_at.clone(),
            end: field(&b.end_at),
            end_at: b.end_at.clone(),
            sitter_id: b.sitter_id.clone().unwrap_or_default(),
            recurrence: b.recurrence.clone(),
            status: b.status.clone(),
        }
    }

    fn times(&self) -> engine::Result<(i64, i64)> {
        let mut p = Problems::default();
        let start = p.check(forms::time("startAt", &self.start_at, &self.start))?;
        let end = p.check(forms::time("endAt", &self.end_at, &self.end))?;
        p.finish()?;
        Ok((start.unwrap_or_default(), end.unwrap_or_default()))
    }

    fn sitter(&self) -> Option<String> {
        Some(self.sitter_id.trim().to_owned()).filter(|s| !s.is_empty())
    }
}

/// Every current client, by name, for the form's picker.
async fn all_clients(state: &AppState, scope: &OwnerScope) -> ApiResult<Vec<Client>> {
    let mut filter = ClientFilter {
        limit: 200,
        ..ClientFilter::default()
    };
    let mut all = Vec::new();
    for _ in 0..25 {
        let page = clients::list(&state.engine.db, scope, &filter).await?;
        all.extend(page.clients);
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => break,
        }
    }
    Ok(all)
}

async fn list(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<ListQuery>,
) -> ApiResult<Html<String>> {
    let form = BookingForm {
        client_id: q.client.clone().unwrap_or_default(),
        ..BookingForm::default()
    };
    render_list(&state, &caller, &scope, q, form, None).await
}

async fn render_list(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    q: ListQuery,
    form: BookingForm,
    error: Option<String>,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let when = if q.when.as_deref() == Some("all") {
        "all"
    } else {
        "upcoming"
    };
    let status = q
        .status
        .filter(|s| bookings::STATUSES.contains(&s.as_str()));
    let filter = BookingFilter {
        // From the start of today (UTC), so today's visits stay in view.
        from: (when == "upcoming").then(|| now - now.rem_euclid(DAY)),
        status: status.clone(),
        cursor: q.cursor,
        limit: 50,
        ..BookingFilter::default()
    };
    let page = bookings::list(db, scope, &filter).await?;
    templates::page(
        state,
        caller,
        "bookings.html",
        "bookings",
        "bookings",
        context! {
            bookings => Serde(page.bookings),
            next_cursor => page.next_cursor,
            when,
            status => status.unwrap_or_default(),
            statuses => bookings::STATUSES,
            clients => Serde(all_clients(state, scope).await?),
            sitters => Serde(sitters::list(db, scope).await?),
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
    Form(form): Form<BookingForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let created = match form.times() {
        Ok((start_at, end_at)) => {
            let new = NewBooking {
                client_id: form.client_id.clone(),
                sitter_id: form.sitter(),
                service_type: form.service_type.clone(),
                start_at,
                end_at,
                recurrence: if form.recurrence.is_empty() {
                    "none".to_owned()
                } else {
                    form.recurrence.clone()
                },
            };
            let now = state.engine.clock.now();
            let proactive = proactive_threads(&state, &scope.org_id).await?;
            let mut tx = state.engine.db.begin().await?;
            let id = bookings::create(&mut tx, &scope, &new, proactive, now).await;
            forms::commit(tx, id).await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(id) => Ok(Redirect::to(&format!("/bookings/{id}?done=created")).into_response()),
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

async fn render_edit(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    id: &str,
    form: Option<BookingForm>,
    error: Option<String>,
    flash: Option<&'static str>,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let booking = bookings::get(db, scope, id).await?;
    let filter = WindowFilter {
        booking_id: Some(id.to_owned()),
        limit: 200,
        ..WindowFilter::default()
    };
    let windows = windows::list(db, scope, &filter, now).await?;
    templates::page(
        state,
        caller,
        "booking.html",
        "bookings",
        "bookings",
        context! {
            form => Serde(form.unwrap_or_else(|| BookingForm::of(&booking))),
            booking => Serde(booking),
            windows => Serde(windows.windows),
            statuses => bookings::STATUSES,
            sitters => Serde(sitters::list(db, scope).await?),
            proactive => proactive_threads(state, &scope.org_id).await?,
            error,
            flash,
        },
    )
    .await
}

/// Saves the edit form. Only what differs from the stored booking is sent as a change,
/// so saving a new status does not replan the windows.
async fn update(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<BookingForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let stored = bookings::get(&state.engine.db, &scope, &id).await?;
    let saved = match form.times() {
        Ok((start_at, end_at)) => {
            let moved = |t: i64, was: &str| (parse_rfc3339("at", was).ok() != Some(t)).then_some(t);
            let sitter = form.sitter();
            let changes = BookingChanges {
                service_type: Some(form.service_type.clone()),
                start_at: moved(start_at, &stored.start_at),
                end_at: moved(end_at, &stored.end_at),
                sitter_id: match sitter {
                    s if s == stored.sitter_id => Patch::Keep,
                    Some(s) => Patch::Set(s),
                    None => Patch::Clear,
                },
                status: Some(form.status.clone()),
                recurrence: (form.recurrence != stored.recurrence).then(|| form.recurrence.clone()),
            };
            let now = state.engine.clock.now();
            let proactive = proactive_threads(&state, &scope.org_id).await?;
            let mut tx = state.engine.db.begin().await?;
            let done = bookings::update(&mut tx, &scope, &id, &changes, proactive, now).await;
            forms::commit(tx, done).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/bookings/{id}?done=saved")).into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let page =
                render_edit(&state, &caller, &scope, &id, Some(form), Some(text), None).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
struct AssignForm {
    csrf: String,
    #[serde(default)]
    sitter_id: String,
}

/// The sitter picker on a row of the list.
async fn assign(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let sitter = form.sitter_id.trim();
    let changes = BookingChanges {
        sitter_id: if sitter.is_empty() {
            Patch::Clear
        } else {
            Patch::Set(sitter.to_owned())
        },
        ..BookingChanges::default()
    };
    let now = state.engine.clock.now();
    let proactive = proactive_threads(&state, &scope.org_id).await?;
    let mut tx = state.engine.db.begin().await?;
    let done = bookings::update(&mut tx, &scope, &id, &changes, proactive, now).await;
    back_to_list(
        &state,
        &caller,
        &scope,
        forms::commit(tx, done).await,
        "assigned",
    )
    .await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn cancel(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let mut tx = state.engine.db.begin().await?;
    let done = bookings::cancel(&mut tx, &scope, &id, state.engine.clock.now()).await;
    back_to_list(
        &state,
        &caller,
        &scope,
        forms::commit(tx, done).await,
        "cancelled",
    )
    .await
}

/// The list saying what happened, or the list again with what went wrong.
async fn back_to_list(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    done: engine::Result<()>,
    what: &str,
) -> ApiResult<Response> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/bookings?done={what}")).into_response()),
        Err(e) => {
            let (status, text): (StatusCode, String) = super::fixable(e)?;
            let q = ListQuery::default();
            let page =
                render_list(state, caller, scope, q, BookingForm::default(), Some(text)).await?;
            Ok((status, page).into_response())
        }
    }
}
