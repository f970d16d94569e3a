//! `/automations/{id}/executions`: an automation's Execution Logs. Each run with its
//! condition results, every step's input and output, and its trigger payload; a failed
//! live run can be re-run from its failed step, on the version it ran or the current one.

use axum::{
    Router,
    extract::{Path, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::{
    accounts::{Caller, OwnerScope},
    automations::{
        self as store,
        executions::{self, Execution, RerunOn},
    },
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

/// How many runs the page shows.
const RECENT: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/automations/{id}/executions", get(show))
        .route("/automations/executions/{id}/rerun", post(rerun))
}

#[derive(Deserialize)]
struct LogQuery {
    mode: Option<String>,
    done: Option<String>,
}

/// An execution as the page shows it: with the client's name from its payload, the
/// step a re-run would start from, and the run that already re-ran it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    #[serde(flatten)]
    execution: Execution,
    client_name: Option<String>,
    failed_step: Option<usize>,
    rerun_by: Option<String>,
}

impl From<Execution> for Run {
    fn from(execution: Execution) -> Self {
        let client_name = execution
            .payload
            .pointer("/client/name")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let failed_step = execution
            .steps
            .iter()
            .find(|s| s.status == "failed")
            .map(|s| s.index + 1);
        Self {
            execution,
            client_name,
            failed_step,
            rerun_by: None,
        }
    }
}

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
) -> ApiResult<Html<String>> {
    let mode = q.mode.as_deref().filter(|m| matches!(*m, "live" | "test"));
    let flash = super::flash(q.done.as_deref());
    render(&state, &caller, &scope, &id, mode, flash, None).await
}

async fn render(
    state: &AppState,
    caller: &Caller,
    scope: &OwnerScope,
    id: &str,
    mode: Option<&str>,
    flash: Option<&'static str>,
    error: Option<String>,
) -> ApiResult<Html<String>> {
    let db = &state.engine.db;
    let automation = store::get(db, scope, id).await?;
    let mut runs: Vec<Run> = executions::list(db, scope, id, mode, RECENT)
        .await?
        .into_iter()
        .map(Run::from)
        .collect();
    // A run re-run already offers no second re-run: it would do the same work twice.
    let reruns: Vec<(String, String)> = runs
        .iter()
        .filter_map(|r| Some((r.execution.rerun_of.clone()?, r.execution.id.clone())))
        .collect();
    for (of, by) in reruns {
        if let Some(run) = runs.iter_mut().find(|r| r.execution.id == of) {
            run.rerun_by.get_or_insert(by);
        }
    }
    templates::page(
        state,
        caller,
        "automation_executions.html",
        "automations",
        "automations",
        context! {
            automation => Serde(automation),
            runs => Serde(runs),
            mode => mode.unwrap_or("all"),
            flash,
            error,
        },
    )
    .await
}

#[derive(Deserialize)]
struct RerunForm {
    csrf: String,
    on: RerunOn,
}

async fn rerun(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
    Path(id): Path<String>,
    Form(form): Form<RerunForm>,
) -> ApiResult<Response> {
    check_csrf(&caller, &form.csrf)?;
    match executions::rerun(&state.engine, &scope, &id, form.on).await {
        Ok(run) => Ok(Redirect::to(&format!(
            "/automations/{}/executions?done=rerun#execution-{}",
            run.automation_id, run.id
        ))
        .into_response()),
        // Already re-run, say (a second click): the log again, saying why not.
        Err(e) => {
            let (status, text) = super::fixable(e)?;
            let old = executions::get(&state.engine.db, &scope, &id).await?;
            let page = render(
                &state,
                &caller,
                &scope,
                &old.automation_id,
                None,
                None,
                Some(text),
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}
