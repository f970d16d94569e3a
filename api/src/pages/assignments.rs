//! `/assignments`: assignment windows grouped by thread and sitter, with their status;
//! Create Window, edit and delete; and the buffers bookings' windows get.

use axum::{
    Router,
    extract::{Path, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{Caller, OwnerScope},
    clock::parse_rfc3339,
    proactive::{self, Buffers},
    sitters,
    threads::{self, ThreadFilter},
    windows::{self, AssignmentWindow, WindowFilter, WindowInput},
};
use minijinja::{context, value::Serde};
use serde::{Deserialize, Serialize};

use super::forms;
use crate::{
    auth::{OwnerPage, check_csrf},
    error::ApiResult,
    extract::{Form, Query},
    state::AppState,
    templates,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assignments", get(list).post(create))
        .route("/assignments/{id}", post(update))
        .route("/assignments/{id}/delete", post(delete))
        .route("/assignments/buffers", post(set_buffers))
}

#[derive(Default, Deserialize)]
struct ListQuery {
    /// `active`, `upcoming` or `past`; anything else lists them all.
    status: Option<String>,
    /// The window to show in the form, for editing.
    edit: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

/// The window form as typed (`start`/`end` local, `start_at`/`end_at` UTC from app.js).
#[derive(Default, Deserialize, Serialize)]
struct WindowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    thread_id: String,
    #[serde(default)]
    sitter_id: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    start_at: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    end_at: String,
}

impl WindowForm {
    fn of(w: &AssignmentWindow) -> Self {
        let field = |t: &str| {
            parse_rfc3339("at", t)
                .map(forms::field_value)
                .unwrap_or_default()
        };
        Self {
            csrf: String::new(),
            thread_id: w.thread_id.clone(),
            sitter_id: w.sitter_id.clone(),
            start: field(&w.start_at),
            start_at: w.start_at.clone(),
            end: field(&w.end_at),
            end_at: w.end_at.clone(),
        }
    }

    fn input(&self) -> engine::Result<WindowInput> {
        let mut p = engine::Problems::default();
        let start_at = p.check(forms::time("startAt", &self.start_at, &self.start))?;
        let end_at = p.check(forms::time("endAt", &self.end_at, &self.end))?;
        p.finish()?;
        Ok(WindowInput {
            thread_id: self.thread_id.clone(),
            sitter_id: self.sitter_id.clone(),
            start_at: start_at.unwrap_or_default(),
            end_at: end_at.unwrap_or_default(),
        })
    }
}

/// The windows of one sitter on one thread.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    thread_id: String,
    client_name: Option<String>,
    message_number: String,
    sitter_name: String,
    windows: Vec<AssignmentWindow>,
}

fn grouped(list: Vec<AssignmentWindow>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for w in list {
        match groups
            .iter_mut()
            .find(|g| g.thread_id == w.thread_id && g.sitter_name == w.sitter_name)
        {
            Some(g) => g.windows.push(w),
            None => groups.push(Group {
                thread_id: w.thread_id.clone(),
                client_name: w.client_name.clone(),
                message_number: w.message_number.clone(),
                sitter_name: w.sitter_name.clone(),
                windows: vec![w],
            }),
        }
    }
    groups.sort_by(|a, b| {
        (a.client_name.is_none(), &a.client_name, &a.sitter_name).cmp(&(
            b.client_name.is_none(),
            &b.client_name,
            &b.sitter_name,
        ))
    });
    groups
}

async fn list(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<ListQuery>,
) -> ApiResult<Html<String>> {
    let now = state.engine.clock.now();
    let form = match q.edit.as_deref() {
        Some(id) => WindowForm::of(&windows::get(&state.engine.db, &scope, id, now).await?),
        None => WindowForm::default(),
    };
    let page = Page {
        form,
        error: None,
        buffers: None,
    };
    render(&state, &caller, &scope, q, page).await
}

/// What the page shows besides the windows: the form as typed, what went wrong, and the
/// buffers as typed after a mistake.
struct Page {
    form: WindowForm,
    error: Option<String>,
    buffers: Option<BufferForm>,
}

async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    q: ListQuery,
    page: Page,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let status = q.status.filter(|s| windows::STATUSES.contains(&s.as_str()));
    let filter = WindowFilter {
        status: status.clone(),
        cursor: q.cursor,
        limit: 200,
        ..WindowFilter::default()
    };
    let list = windows::list(db, scope, &filter, now).await?;
    let thread_filter = ThreadFilter {
        limit: 200,
        ..ThreadFilter::default()
    };
    let threads = threads::list(db, scope, &thread_filter, now).await?.threads;
    let buffers = match page.buffers {
        Some(b) => b,
        None => BufferForm::of(proactive::buffers(db, &scope.org_id).await?),
    };
    templates::page(
        state,
        caller,
        "assignments.html",
        "messaging",
        "assignments",
        context! {
            groups => Serde(grouped(list.windows)),
            next_cursor => list.next_cursor,
            status => status.unwrap_or_default(),
            editing => q.edit,
            threads => Serde(threads),
            sitters => Serde(sitters::list(db, scope).await?),
            form => Serde(page.form),
            buffers => Serde(buffers),
            error => page.error,
            flash => super::flash(q.done.as_deref()),
        },
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<WindowForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = match form.input() {
        Ok(input) => {
            let mut tx = state.engine.db.begin().await?;
            let created = windows::create(&mut tx, &scope, &input, state.engine.clock.now()).await;
            forms::commit(tx, created).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    answer(&state, &caller, &scope, None, form, done, "created").await
}

async fn update(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<WindowForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = match form.input() {
        Ok(input) => {
            let mut tx = state.engine.db.begin().await?;
            let saved =
                windows::update(&mut tx, &scope, &id, &input, state.engine.clock.now()).await;
            forms::commit(tx, saved).await
        }
        Err(e) => Err(e),
    };
    answer(&state, &caller, &scope, Some(id), form, done, "saved").await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn delete(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let mut tx = state.engine.db.begin().await?;
    let done = windows::delete(&mut tx, &scope, &id, "deleted", state.engine.clock.now()).await;
    let done = forms::commit(tx, done).await;
    answer(
        &state,
        &caller,
        &scope,
        None,
        WindowForm::default(),
        done,
        "deleted",
    )
    .await
}

/// Back to the list saying what happened, or the page again with the form as typed and
/// what is wrong with it.
async fn answer(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    editing: Option<String>,
    form: WindowForm,
    done: engine::Result<()>,
    what: &str,
) -> ApiResult<Response> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/assignments?done={what}")).into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let q = ListQuery {
                edit: editing,
                ..ListQuery::default()
            };
            let page = Page {
                form,
                error: Some(text),
                buffers: None,
            };
            let page = render(state, caller, scope, q, page).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Default, Deserialize, Serialize)]
struct BufferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    before_minutes: String,
    #[serde(default)]
    after_minutes: String,
}

impl BufferForm {
    fn of(b: Buffers) -> Self {
        Self {
            csrf: String::new(),
            before_minutes: b.before_minutes.to_string(),
            after_minutes: b.after_minutes.to_string(),
        }
    }

    fn buffers(&self) -> engine::Result<Buffers> {
        let mut p = engine::Problems::default();
        let minutes = |field: &'static str, text: &str| {
            text.trim()
                .parse::<i32>()
                .map_err(|_| engine::Error::invalid(field, "must be a whole number of minutes"))
        };
        let before = p.check(minutes("beforeMinutes", &self.before_minutes))?;
        let after = p.check(minutes("afterMinutes", &self.after_minutes))?;
        p.finish()?;
        Ok(Buffers {
            before_minutes: before.unwrap_or_default(),
            after_minutes: after.unwrap_or_default(),
        })
    }
}

async fn set_buffers(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<BufferForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = match form.buffers() {
        Ok(b) => {
            let mut tx = state.engine.db.begin().await?;
            let set = proactive::set_buffers(&mut tx, &scope, b, state.engine.clock.now()).await;
            forms::commit(tx, set).await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(Redirect::to("/assignments?done=saved").into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let page = Page {
                form: WindowForm::default(),
                error: Some(text),
                buffers: Some(form),
            };
            let page = render(&state, &caller, &scope, ListQuery::default(), page).await?;
            Ok((status, page).into_response())
        }
    }
}
