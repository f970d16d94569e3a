//! Executions: one run of one automation version on one event, with its trigger payload,
//! the condition trace and every step's input, output, error, attempts and duration.
//! Test runs are executions too (`test`), written only here: nothing is sent.

use std::sync::Arc;

use automations::{
    plan::{self, Action, CompiledAutomation, Evaluation, PlannedStep},
    triggers::{self, Trigger},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{events, payload, run};
use crate::{
    Db, Engine, Error, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::{Millis, serialize_millis, serialize_opt_millis, to_rfc3339},
    db, ids,
    jobs::is_retryable,
    quiet_hours, tx,
};

/// One step of an execution as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub index: usize,
    /// `send_sms`, `notify_owner`, `add_tag`, `remove_tag`, `wait`, `create_alert`.
    pub action: String,
    /// `pending`, `waiting`, `success`, `skipped`, `failed`, or `simulated` in a test.
    pub status: String,
    /// What the step was given: the action and its rendered text, title and recipient.
    #[schema(value_type = Object)]
    pub input: Planned,
    /// What it did: the message or alert it made, the tags after, when a wait ends.
    #[schema(value_type = Object)]
    pub output: Value,
    pub error: Option<String>,
    pub attempts: u32,
    pub duration_us: Option<u64>,
    pub at: Option<String>,
}

/// A step as planned from the event: what a live run carries out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Planned {
    pub action: Action,
    pub due_after_minutes: i64,
    pub recipient_id: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub segments: Option<Value>,
}

impl From<&PlannedStep> for Planned {
    fn from(s: &PlannedStep) -> Self {
        Self {
            action: s.action.clone(),
            due_after_minutes: s.due_after_minutes,
            recipient_id: s.recipient_id.clone(),
            title: s.rendered_title.clone(),
            text: s.rendered_text.clone(),
            segments: s
                .segments
                .as_ref()
                .and_then(|x| serde_json::to_value(x).ok()),
        }
    }
}

/// The step records of an evaluation: `pending` for a live run, `simulated` (or
/// `failed`, with the reason) for a test.
pub(crate) fn records(evaluation: &Evaluation, test: bool) -> Vec<StepRecord> {
    evaluation
        .steps
        .iter()
        .map(|s| {
            let input = Planned::from(s);
            let (status, output) = match (&s.error, test) {
                (Some(_), _) => ("failed", Value::Null),
                (None, true) => ("simulated", simulated(&input)),
                (None, false) => ("pending", Value::Null),
            };
            StepRecord {
                index: s.index,
                action: s.action.kind().to_owned(),
                status: status.to_owned(),
                input,
                output,
                error: s.error.as_ref().map(ToString::to_string),
                attempts: 0,
                duration_us: None,
                at: None,
            }
        })
        .collect()
}

/// What a test run says the step would have done.
fn simulated(step: &Planned) -> Value {
    let what = match &step.action {
        Action::SendSms { to, .. } => format!(
            "Would text the {} ({} segment(s)); nothing was sent.",
            serde_json::to_value(to)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            step.segments
                .as_ref()
                .and_then(|s| s.get("segments"))
                .and_then(Value::as_u64)
                .unwrap_or(1)
        ),
        Action::NotifyOwner { .. } => "Would notify the owner; no alert was raised.".to_owned(),
        Action::CreateAlert { severity, .. } => {
            format!("Would raise a {severity:?} alert; none was raised.").to_lowercase()
        }
        Action::AddTag { tag } => {
            format!("Would tag the client `{tag}`; the client was not changed.")
        }
        Action::RemoveTag { tag } => {
            format!("Would remove the tag `{tag}`; the client was not changed.")
        }
        Action::Wait { minutes } => format!("Would wait {minutes} minute(s)."),
    };
    serde_json::json!({ "simulated": true, "summary": what })
}

/// One execution, as the Execution Logs show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    pub id: String,
    pub automation_id: String,
    pub version: i64,
    pub event_id: Option<String>,
    /// `live` or `test`.
    pub mode: String,
    /// `running`, `waiting`, `success`, `failed`, `skipped` or `test`.
    pub status: String,
    /// For a test run: whether it passed (what activation needs).
    pub passed: Option<bool>,
    /// Why it was skipped, or what a test run found.
    pub reason: Option<String>,
    pub client_id: Option<String>,
    #[schema(value_type = Object)]
    pub payload: Value,
    /// One entry per condition row (or one for a script): its result, and for a row its
    /// place (`at`: `conditions.rows[0]`, `conditions.groups[0].rows[1]`).
    #[schema(value_type = Vec<Object>)]
    pub conditions: Value,
    pub steps: Vec<StepRecord>,
    pub next_step: i64,
    /// While `waiting`: when it goes on.
    #[serde(serialize_with = "serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub resume_at: Option<Millis>,
    pub rerun_of: Option<String>,
    pub error: Option<String>,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub started_at: Millis,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub updated_at: Millis,
    #[serde(serialize_with = "serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub finished_at: Option<Millis>,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Row {
    pub execution_id: String,
    pub org_id: String,
    pub automation_id: String,
    pub version: i64,
    pub event_id: Option<String>,
    pub mode: String,
    pub status: String,
    pub passed: Option<bool>,
    pub reason: Option<String>,
    pub client_id: Option<String>,
    pub payload: String,
    pub conditions: String,
    pub steps: String,
    pub next_step: i64,
    pub resume_at: Option<i64>,
    pub rerun_of: Option<String>,
    pub error: Option<String>,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl Row {
    pub(crate) fn steps(&self) -> Vec<StepRecord> {
        serde_json::from_str(&self.steps).unwrap_or_default()
    }

    fn into_execution(self) -> Execution {
        Execution {
            steps: self.steps(),
            id: self.execution_id,
            automation_id: self.automation_id,
            version: self.version,
            event_id: self.event_id,
            mode: self.mode,
            status: self.status,
            passed: self.passed,
            reason: self.reason,
            client_id: self.client_id,
            payload: serde_json::from_str(&self.payload).unwrap_or(Value::Null),
            conditions: serde_json::from_str(&self.conditions).unwrap_or(Value::Null),
            next_step: self.next_step,
            resume_at: self.resume_at,
            rerun_of: self.rerun_of,
            error: self.error,
            started_at: self.started_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
        }
    }
}

pub(crate) const SELECT: &str = "select execution_id, org_id, automation_id, cast(version as bigint) as version,
        event_id, mode, status, passed, reason, client_id, payload, conditions, steps,
        cast(next_step as bigint) as next_step, resume_at, rerun_of, error, started_at, updated_at, finished_at
   from automation_execution";

pub(crate) async fn row(db: &Db, execution_id: &str) -> Result<Row> {
    let sql = format!("{SELECT} where execution_id = $1");
    let row: Option<Row> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(execution_id).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound("execution"))
}

/// The automation's executions, newest first; `mode` filters to `live` or `test`.
pub async fn list(
    db: &Db,
    scope: &OwnerScope,
    automation_id: &str,
    mode: Option<&str>,
    limit: i64,
) -> Result<Vec<Execution>> {
    super::get(db, scope, automation_id).await?;
    let sql = format!(
        "{SELECT} where org_id = $1 and automation_id = $2 and ($3 = '' or mode = $3)
          order by started_at desc, execution_id desc limit $4"
    );
    let rows: Vec<Row> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(&scope.org_id).bind(automation_id)
        .bind(mode.unwrap_or("")).bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Row::into_execution).collect())
}

pub async fn get(db: &Db, scope: &OwnerScope, execution_id: &str) -> Result<Execution> {
    let row = row(db, execution_id).await?;
    if row.org_id != scope.org_id {
        return Err(Error::NotFound("execution"));
    }
    Ok(row.into_execution())
}

/// How many live runs of the automation have ended, and how many of them succeeded.
pub async fn finished(db: &Db, automation_id: &str) -> Result<(i64, i64)> {
    let counts: (i64, i64) = db!(db, c => sqlx::query_as(
        "select count(*), cast(coalesce(sum(case when status = 'success' then 1 else 0 end), 0) as bigint)
           from automation_execution
          where automation_id = $1 and mode = 'live' and status in ('success', 'failed', 'skipped')")
        .bind(automation_id).fetch_one(c).await)?;
    Ok(counts)
}

/// A new execution row, as [`insert`] writes it.
pub(crate) struct NewExecution<'a> {
    pub execution_id: &'a str,
    pub org_id: &'a str,
    pub automation_id: &'a str,
    pub version: i64,
    pub event_id: Option<&'a str>,
    pub mode: &'a str,
    pub status: &'a str,
    pub passed: Option<bool>,
    pub reason: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub payload: &'a Value,
    pub conditions: &'a Value,
    pub steps: &'a [StepRecord],
    pub next_step: i64,
    pub resume_at: Option<Millis>,
    pub rerun_of: Option<&'a str>,
    pub error: Option<&'a str>,
    pub now: Millis,
}

/// Writes an execution; a second live run of the same (automation, version, event)
/// writes nothing and answers `false`.
pub(crate) async fn insert(tx: &mut Tx, e: NewExecution<'_>) -> Result<bool> {
    Ok(insert_all(tx, &[e]).await? == 1)
}

/// Writes new executions with one statement, skipping any already there (a live one of
/// the same automation, version and event); answers how many it wrote.
pub(crate) async fn insert_all(tx: &mut Tx, all: &[NewExecution<'_>]) -> Result<usize> {
    let mut steps = Vec::with_capacity(all.len());
    for e in all {
        steps.push(serde_json::to_string(e.steps).map_err(|e| Error::Internal(e.to_string()))?);
    }
    let n = tx!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "insert into automation_execution (execution_id, org_id, automation_id, version, event_id, mode,
                 status, passed, reason, client_id, payload, conditions, steps, next_step, rerun_of, error,
                 started_at, updated_at, finished_at, resume_at) ");
        q.push_values(all.iter().zip(&steps), |mut b, (e, steps)| {
            let finished = matches!(e.status, "success" | "failed" | "skipped" | "test").then_some(e.now);
            b.push_bind(e.execution_id).push_bind(e.org_id).push_bind(e.automation_id)
                .push_bind(e.version).push_bind(e.event_id).push_bind(e.mode).push_bind(e.status)
                .push_bind(e.passed).push_bind(e.reason).push_bind(e.client_id)
                .push_bind(e.payload.to_string()).push_bind(e.conditions.to_string())
                .push_bind(steps.as_str()).push_bind(e.next_step).push_bind(e.rerun_of)
                .push_bind(e.error).push_bind(e.now).push_bind(e.now).push_bind(finished)
                .push_bind(e.resume_at);
        });
        q.push(" on conflict do nothing");
        q.build().execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(n as usize)
}

/// Evaluates off the async threads when a script may take up to the sandbox's deadline;
/// builder conditions, which take microseconds, are evaluated in place.
pub(crate) async fn evaluate(
    compiled: Arc<CompiledAutomation>,
    payload: Value,
) -> Result<std::result::Result<Evaluation, plan::EvaluationError>> {
    if compiled.evaluates_quickly() {
        return Ok(plan::evaluate(&compiled, &payload));
    }
    tokio::task::spawn_blocking(move || plan::evaluate(&compiled, &payload))
        .await
        .map_err(|e| Error::Internal(format!("evaluation task: {e}")))
}

/// What a test run checks against: the trigger's sample, or a recent real event.
pub async fn test(
    engine: &Engine,
    scope: &OwnerScope,
    automation_id: &str,
    version: Option<i64>,
    event_id: Option<&str>,
) -> Result<Execution> {
    let automation = super::get(&engine.db, scope, automation_id).await?;
    let number = version.unwrap_or(automation.latest_version);
    let compiled = super::compiled(engine, &scope.org_id, automation_id, number).await?;
    let trigger = compiled.version().trigger.trigger();
    let now = engine.clock.now();
    let (payload, event) = match event_id {
        None => (triggers::sample(trigger), None),
        Some(id) => {
            let event = events::get(&engine.db, &scope.org_id, id)
                .await?
                .ok_or(Error::invalid(
                    "eventId",
                    "is not an event of this organisation",
                ))?;
            if event.trigger != trigger.as_str() {
                return Err(Error::invalid(
                    "eventId",
                    format!(
                        "is a {} event; this automation runs on {trigger}",
                        event.trigger
                    ),
                ));
            }
            let payload =
                payload::build(&engine.db, &scope.org_id, trigger, &event.refs, now).await?;
            (payload, Some(event.id))
        }
    };
    let evaluation = evaluate(compiled, payload.clone()).await?;
    // The checks of the texts read in the transaction that writes the test run.
    let mut tx = engine.db.begin().await?;
    let (passed, reason, conditions, steps, error) = match evaluation {
        Err(e) => (
            false,
            None,
            Value::Array(vec![]),
            vec![],
            Some(e.to_string()),
        ),
        Ok(evaluation) => {
            let mut steps = records(&evaluation, true);
            let conditions = serde_json::to_value(&evaluation.condition_trace).unwrap_or_default();
            if evaluation.conditions_passed {
                let sample = event.is_none();
                check_texts(
                    &mut tx,
                    scope,
                    automation_id,
                    number,
                    &payload,
                    sample,
                    &mut steps,
                )
                .await?;
            }
            if !evaluation.conditions_passed {
                (false, Some("The conditions were false for this event, so the actions were not exercised. Test with an event that matches: the sample, or a recent real one.".to_owned()), conditions, steps, None)
            } else if let Some(i) = steps.iter().position(|s| s.status == "failed") {
                let error = steps[i].error.clone();
                (
                    false,
                    None,
                    conditions,
                    steps,
                    error.map(|e| format!("step {}: {e}", i + 1)),
                )
            } else {
                let note = quiet_note(engine, &scope.org_id, &evaluation, now).await?;
                (true, note, conditions, steps, None)
            }
        }
    };
    let execution_id = ids::new_id();
    insert(
        &mut tx,
        NewExecution {
            execution_id: &execution_id,
            org_id: &scope.org_id,
            automation_id,
            version: number,
            event_id: event.as_deref(),
            mode: "test",
            status: "test",
            passed: Some(passed),
            reason: reason.as_deref(),
            client_id: payload.pointer("/client/id").and_then(Value::as_str),
            payload: &payload,
            conditions: &conditions,
            steps: &steps,
            next_step: 0,
            resume_at: None,
            rerun_of: None,
            error: error.as_deref(),
            now,
        },
    )
    .await?;
    if passed {
        tx!(&mut tx, c => sqlx::query(
            "update automation_version set tested_at = $4 where org_id = $1 and automation_id = $2 and version = $3")
            .bind(&scope.org_id).bind(automation_id).bind(number).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "automation.tested",
        Some(("automation", automation_id)),
        &serde_json::json!({"version": number, "passed": passed, "executionId": execution_id, "eventId": event}),
        now,
    )
    .await?;
    tx.commit().await?;
    get(&engine.db, scope, &execution_id).await
}

/// Fails each simulated text where a live run would fail it (nobody's mobile on file, no
/// active number on the lane), with the live run's message, so such a version cannot be
/// activated. `sample`: the payload is the trigger's sample rather than a real event's.
async fn check_texts(
    tx: &mut Tx,
    scope: &OwnerScope,
    automation_id: &str,
    version: i64,
    payload: &Value,
    sample: bool,
    steps: &mut [StepRecord],
) -> Result<()> {
    let lane = run::version_lane(tx, automation_id, version).await?;
    for step in steps.iter_mut().filter(|s| s.status == "simulated") {
        let Action::SendSms { to, .. } = step.input.action else {
            continue;
        };
        let recipient_id = step.input.recipient_id.as_deref();
        match run::check_text(tx, &scope.org_id, lane, to, recipient_id, payload, sample).await {
            Ok(()) => {}
            Err(e) if is_retryable(&e) => return Err(e),
            Err(e) => {
                step.status = "failed".to_owned();
                step.output = Value::Null;
                step.error = Some(e.to_string());
            }
        }
    }
    Ok(())
}

/// A test's note when a text it plans would be held by quiet hours right now.
async fn quiet_note(
    engine: &Engine,
    org_id: &str,
    evaluation: &Evaluation,
    now: Millis,
) -> Result<Option<String>> {
    let texts = evaluation
        .steps
        .iter()
        .any(|s| matches!(s.action, Action::SendSms { .. }));
    let (quiet, zone) = quiet_hours::of_org(&engine.db, org_id).await?;
    Ok(match quiet.and_then(|q| q.hold_until(zone, now)) {
        Some(until) if texts => Some(format!(
            "It is quiet hours now: a live run's texts would wait until {}.",
            to_rfc3339(until)
        )),
        _ => None,
    })
}

/// Which version a re-run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RerunOn {
    /// The version the failed run ran.
    Same,
    /// The automation's live version (or its latest, if none is live).
    Current,
}

/// Runs a failed execution again from its failed step, as a new execution on the same
/// event payload. Steps before it are not repeated. On another version, it starts at the
/// first step that differs from the version that ran, should that come first: a step
/// inserted or changed before the failed one was never carried out as it now stands.
/// Audited.
pub async fn rerun(
    engine: &Engine,
    scope: &OwnerScope,
    execution_id: &str,
    on: RerunOn,
) -> Result<Execution> {
    let old = row(&engine.db, execution_id).await?;
    if old.org_id != scope.org_id {
        return Err(Error::NotFound("execution"));
    }
    if old.mode != "live" || old.status != "failed" {
        return Err(Error::Conflict(
            "only a failed live execution can be re-run".into(),
        ));
    }
    let automation = super::get(&engine.db, scope, &old.automation_id).await?;
    let version = match on {
        RerunOn::Same => old.version,
        RerunOn::Current => automation.live_version.unwrap_or(automation.latest_version),
    };
    let compiled = super::compiled(engine, &scope.org_id, &old.automation_id, version).await?;
    let ran = super::compiled(engine, &scope.org_id, &old.automation_id, old.version).await?;
    let old_steps = old.steps();
    let failed = old_steps
        .iter()
        .position(|s| s.status != "success" && s.status != "skipped")
        .unwrap_or(old_steps.len());
    let from = failed.min(first_difference(
        &ran.version().actions,
        &compiled.version().actions,
    ));
    let payload: Value = serde_json::from_str(&old.payload).unwrap_or(Value::Null);
    let trigger: Trigger = compiled.version().trigger.trigger();
    if triggers::check_payload(trigger, &payload).is_err() {
        return Err(Error::Conflict(
            format!("the current version runs on {trigger}, not on this execution's event").into(),
        ));
    }
    let evaluation = evaluate(compiled, payload.clone())
        .await?
        .map_err(|e| Error::Conflict(format!("the conditions cannot be evaluated: {e}").into()))?;
    let mut steps = records(&evaluation, false);
    for (i, step) in steps.iter_mut().enumerate().take(from) {
        step.status = "skipped".to_owned();
        step.output = serde_json::json!({"reason": "done in the original execution", "original": old_steps.get(i).map(|s| &s.output)});
    }
    let status = if evaluation.conditions_passed {
        "running"
    } else {
        "skipped"
    };
    let now = engine.clock.now();
    let new_id = ids::new_id();
    let mut tx = engine.db.begin().await?;
    let inserted = insert(
        &mut tx,
        NewExecution {
            execution_id: &new_id,
            org_id: &scope.org_id,
            automation_id: &old.automation_id,
            version,
            event_id: old.event_id.as_deref(),
            mode: "live",
            status,
            passed: None,
            reason: (!evaluation.conditions_passed).then_some("the conditions were false"),
            client_id: old.client_id.as_deref(),
            payload: &payload,
            conditions: &serde_json::to_value(&evaluation.condition_trace).unwrap_or_default(),
            steps: &steps,
            next_step: from.min(steps.len()) as i64,
            resume_at: None,
            rerun_of: Some(execution_id),
            error: None,
            now,
        },
    )
    .await?;
    if !inserted {
        return Err(Error::Conflict(
            "this execution has already been re-run; re-run that one if it failed".into(),
        ));
    }
    if status == "running" {
        super::run::RunAutomation::resume(
            &old.org_id,
            &old.automation_id,
            version,
            old.event_id.as_deref(),
            &new_id,
        )
        .enqueue(&mut tx)
        .await?;
    }
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "automation.rerun",
        Some(("automation_execution", &new_id)),
        &serde_json::json!({"rerunOf": execution_id, "version": version, "fromStep": from}),
        now,
    )
    .await?;
    tx.commit().await?;
    get(&engine.db, scope, &new_id).await
}

/// The index of the first step whose definition differs between the version that ran and
/// another (inserted, removed or changed), or where the shorter one ends.
fn first_difference(ran: &[Action], current: &[Action]) -> usize {
    ran.iter()
        .zip(current)
        .position(|(a, b)| a != b)
        .unwrap_or(ran.len().min(current.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(t: &str) -> Action {
        Action::AddTag { tag: t.to_owned() }
    }

    #[test]
    fn a_rerun_starts_where_the_versions_first_differ() {
        let ran = [tag("a"), tag("b"), tag("c")];
        for (current, expected) in [
            (vec![tag("a"), tag("b"), tag("c")], 3),
            (vec![tag("a"), tag("new"), tag("b"), tag("c")], 1),
            (vec![tag("new"), tag("a"), tag("b"), tag("c")], 0),
            (vec![tag("a"), tag("c")], 1),
            (vec![tag("a"), tag("b"), tag("changed")], 2),
            (vec![tag("a"), tag("b")], 2),
            (vec![tag("a"), tag("b"), tag("c"), tag("d")], 3),
        ] {
            assert_eq!(first_difference(&ran, &current), expected, "{current:?}");
        }
    }
}
