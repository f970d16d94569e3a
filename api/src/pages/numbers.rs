//! `/numbers` (Messaging → Numbers): the org's business numbers with filters, the Buy and
//! Import dialogs, each number's actions (assign, quarantine, restore, give back) and the
//! pool's settings. Every form goes through the same engine functions as `/api/numbers`.

use axum::{
    Router,
    extract::{Path, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{self, Caller, OwnerScope},
    numbers::{
        self, Conversation, Number, NumberClass, NumberFilter,
        acquire::{self, ImportBy},
        lifecycle::{self, Assignee},
        pool::{self, PoolSettings},
    },
    provider,
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
        .route("/numbers", get(show))
        .route("/numbers/buy", post(buy))
        .route("/numbers/import", post(import))
        .route("/numbers/pool", post(save_pool))
        .route("/numbers/{id}/assign", post(assign))
        .route("/numbers/{id}/quarantine", post(quarantine))
        .route("/numbers/{id}/release", post(release))
}

const PAGE_SIZE: i64 = 50;

#[derive(Clone, Default, Deserialize)]
struct NumbersQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    page: Option<i64>,
    /// Search for numbers to buy here.
    region: Option<String>,
    done: Option<String>,
}

/// A row of the table: the number, and for a pool number the conversations it could be
/// lent to.
#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    number: Number,
    conversations: Vec<Conversation>,
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Query(q): Query<NumbersQuery>,
) -> ApiResult<Html<String>> {
    render(&state, &caller, &scope, q, None).await
}

async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    q: NumbersQuery,
    error: Option<String>,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    // A filter the page does not know shows everything rather than an error.
    let kind = q
        .kind
        .as_deref()
        .and_then(|k| NumberClass::from_api("type", k).ok());
    let status = q
        .status
        .as_deref()
        .and_then(|s| numbers::parse_status("status", s).ok());
    let filter = NumberFilter {
        kind,
        status,
        page: q.page.unwrap_or(1).max(1),
        page_size: PAGE_SIZE,
    };
    let page = numbers::list(db, scope, &filter).await?;
    let mut rows = Vec::with_capacity(page.numbers.len());
    for number in page.numbers {
        let conversations = if number.kind == NumberClass::Pool {
            numbers::conversations(db, &scope.org_id, &number.id).await?
        } else {
            Vec::new()
        };
        rows.push(Row {
            number,
            conversations,
        });
    }
    let region = q.region.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let (found, search_error) = match region {
        Some(region) => match acquire::search(&state.engine, scope, region).await {
            Ok(found) => (found, None),
            Err(e) => (Vec::new(), Some(super::fixable(e)?.1)),
        },
        None => (Vec::new(), None),
    };
    let provider = provider::for_org(&state.engine, &scope.org_id).await?;
    templates::page(
        state,
        caller,
        "numbers.html",
        "messaging",
        "numbers",
        context! {
            numbers => Serde(rows),
            pagination => Serde(page.pagination),
            type_filter => kind.map(NumberClass::api_name).unwrap_or(""),
            status_filter => status.unwrap_or(""),
            sitters => Serde(accounts::sitters(db, &scope.org_id).await?),
            pool => Serde(pool::state(db, &scope.org_id).await?),
            region => region.unwrap_or(""),
            found => Serde(found),
            search_error,
            provider => provider.kind(),
            error,
            flash => super::flash(q.done.as_deref()),
        },
    )
    .await
}

/// Back to the list saying what happened, or the list again with what went wrong.
async fn answer<T>(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    done: engine::Result<T>,
    what: &str,
) -> ApiResult<Response> {
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/numbers?done={what}")).into_response()),
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let page = render(state, caller, scope, NumbersQuery::default(), Some(text)).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
struct BuyForm {
    csrf: String,
    e164: String,
    #[serde(rename = "type", default)]
    kind: String,
}

async fn buy(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<BuyForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = async {
        let class = NumberClass::from_api("type", &form.kind)?;
        acquire::buy(&state.engine, &scope, &form.e164, class).await
    }
    .await;
    answer(&state, &caller, &scope, done, "bought").await
}

#[derive(Deserialize)]
pub(super) struct ImportForm {
    pub csrf: String,
    /// An E.164 number, or the provider's id for it (`PN…`).
    #[serde(default)]
    pub number: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl ImportForm {
    pub fn by(&self) -> ImportBy {
        let number = self.number.trim();
        if number.starts_with('+') || number.is_empty() {
            ImportBy::E164(number.to_owned())
        } else {
            ImportBy::Sid(number.to_owned())
        }
    }
}

async fn import(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<ImportForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = async {
        let class = NumberClass::from_api("type", &form.kind)?;
        acquire::import(&state.engine, &scope, form.by(), class).await
    }
    .await;
    answer(&state, &caller, &scope, done, "imported").await
}

#[derive(Deserialize)]
struct AssignForm {
    csrf: String,
    /// `user` (a sitter number) or `thread` (a pool number).
    to: String,
    /// The sitter or conversation; empty takes the number back.
    #[serde(default)]
    id: String,
}

async fn assign(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(number_id): Path<String>,
    Form(form): Form<AssignForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let id = Some(form.id.trim().to_owned()).filter(|id| !id.is_empty());
    let to = if form.to == "thread" {
        Assignee::Thread(id)
    } else {
        Assignee::User(id)
    };
    let done = lifecycle::assign(&state.engine, &scope, &number_id, to).await;
    answer(&state, &caller, &scope, done, "number_assigned").await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn quarantine(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(number_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let done = lifecycle::quarantine(&state.engine, &scope, &number_id).await;
    answer(&state, &caller, &scope, done, "quarantined").await
}

#[derive(Deserialize)]
struct ReleaseForm {
    csrf: String,
    /// A checkbox: present to give the number back to the provider.
    give_back: Option<String>,
}

async fn release(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(number_id): Path<String>,
    Form(form): Form<ReleaseForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let give_back = form.give_back.is_some();
    let done = lifecycle::release(&state.engine, &scope, &number_id, give_back).await;
    let what = if give_back {
        "given_back"
    } else {
        "number_restored"
    };
    answer(&state, &caller, &scope, done, what).await
}

#[derive(Deserialize)]
struct PoolForm {
    csrf: String,
    #[serde(default)]
    release_after_days: String,
    #[serde(default)]
    low_water: String,
}

async fn save_pool(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Form(form): Form<PoolForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    let whole = |field: &'static str, text: &str| {
        text.trim()
            .parse::<i32>()
            .map_err(|_| engine::Error::invalid(field, "must be a whole number"))
    };
    let done = async {
        let wanted = PoolSettings {
            release_after_days: whole("releaseAfterDays", &form.release_after_days)?,
            low_water: whole("lowWater", &form.low_water)?,
        };
        pool::configure(&state.engine, &scope, &wanted).await
    }
    .await;
    answer(&state, &caller, &scope, done, "pool_saved").await
}
