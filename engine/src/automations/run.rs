//! The `run_automation` job: one live execution, carried out step by step.
//!
//! The first delivery of a job starts the execution: it builds the payload, applies the
//! frequency cap, evaluates the conditions and writes the execution with its planned
//! steps, unique per (automation, version, event), so a duplicated job finds it there.
//! Then each step is carried out in its own transaction together with the execution's
//! move to the next step (`next_step = i` is the compare-and-set), so a step's effect
//! (the text queued, the tag added) and its record commit together or not at all, and
//! two deliveries of the job cannot both do it. A `wait`, or a text due in quiet hours,
//! leaves the execution `waiting` with a delayed job to resume it: durable, it survives
//! restarts. A step that fails is retried by the job's attempts (×3 with backoff); when
//! they run out the execution is `failed`, with an alert and a dead letter.

use std::time::{Duration, Instant};

use automations::plan::{Action, Recipient, Severity};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Lane,
    events::Refs,
    executions::{self, NewExecution, StepRecord},
    payload,
};
use crate::{
    Engine, Error, Result, Tx,
    alerts::{self, NewAlert},
    clock::{Millis, to_rfc3339},
    db, ids,
    jobs::{Job, is_retryable},
    outbound::{self, Automated, FromNumber},
    phone::redact,
    quiet_hours, tx,
};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunAutomation {
    pub org_id: String,
    pub automation_id: String,
    pub version: i64,
    pub event_id: Option<String>,
    /// Set when resuming an execution (after a wait, quiet hours, or for a re-run).
    #[serde(default)]
    pub execution_id: Option<String>,
}

impl RunAutomation {
    pub(crate) fn start(org_id: &str, automation_id: &str, version: i64, event_id: &str) -> Self {
        Self {
            org_id: org_id.to_owned(),
            automation_id: automation_id.to_owned(),
            version,
            event_id: Some(event_id.to_owned()),
            execution_id: None,
        }
    }

    pub(crate) fn resume(
        org_id: &str,
        automation_id: &str,
        version: i64,
        event_id: Option<&str>,
        execution_id: &str,
    ) -> Self {
        Self {
            org_id: org_id.to_owned(),
            automation_id: automation_id.to_owned(),
            version,
            event_id: event_id.map(str::to_owned),
            execution_id: Some(execution_id.to_owned()),
        }
    }

    /// Queues the job in `tx`, once per (automation, version, event) or per resume.
    pub(crate) async fn enqueue(&self, tx: &mut Tx) -> Result<()> {
        match &self.execution_id {
            None => {
                let key = format!(
                    "run:{}:{}:{}",
                    self.automation_id,
                    self.version,
                    self.event_id.as_deref().unwrap_or_default()
                );
                tx.enqueue_later(self, Duration::ZERO, Some(&key)).await
            }
            Some(id) => {
                tx.enqueue_later(self, Duration::ZERO, Some(&format!("exec:{id}:start")))
                    .await
            }
        }
    }
}

impl Job for RunAutomation {
    const QUEUE: &'static str = "automation-run";
    const NAME: &'static str = "run-automation";
    const IN_FLIGHT: usize = 32;

    fn org_id(&self) -> Option<&str> {
        Some(&self.org_id)
    }

    fn entity(&self) -> Option<(&'static str, &str)> {
        Some(("automation", &self.automation_id))
    }

    async fn run(&self, engine: &Engine) -> Result<()> {
        let execution_id = match &self.execution_id {
            Some(id) => id.clone(),
            None => match start(engine, self).await? {
                Some(id) => id,
                None => return Ok(()),
            },
        };
        advance(engine, &execution_id).await
    }

    async fn on_exhausted(&self, engine: &Engine, tx: &mut Tx, error: &str) -> Result<()> {
        let now = engine.clock.now();
        let execution_id = match &self.execution_id {
            Some(id) => Some(id.clone()),
            None => tx!(tx, c => sqlx::query_scalar(
                "select execution_id from automation_execution
                  where automation_id = $1 and version = $2 and event_id = $3 and mode = 'live' and rerun_of is null")
                .bind(&self.automation_id).bind(self.version).bind(&self.event_id)
                .fetch_optional(c).await)?,
        };
        let name: Option<String> = tx!(tx, c => sqlx::query_scalar(
            "select name from automation where automation_id = $1")
            .bind(&self.automation_id).fetch_optional(c).await)?;
        let name = name.unwrap_or_else(|| "An automation".to_owned());
        if let Some(id) = &execution_id {
            tx!(tx, c => sqlx::query(
                "update automation_execution set status = 'failed', error = $2, updated_at = $3, finished_at = $3
                  where execution_id = $1 and status in ('running', 'waiting')")
                .bind(id).bind(error).bind(now)
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        let entity = execution_id
            .as_deref()
            .map_or(("automation", self.automation_id.as_str()), |id| {
                ("automation_execution", id)
            });
        alerts::raise(
            tx,
            &self.org_id,
            NewAlert {
                severity: alerts::Severity::Critical,
                kind: "automation.failed",
                title: &format!("Automation Failed - {name}"),
                description: &format!(
                    "A run of \"{name}\" failed and stopped: {error}. Open its Execution Logs to re-run it from the failed step."
                ),
                entity: Some(entity),
                dedupe_key: format!(
                    "automation.failed:{}",
                    execution_id.as_deref().unwrap_or(&self.automation_id)
                ),
            },
            now,
        )
        .await
    }
}

/// Starts the execution of a job's event and carries out what is due at once, in one
/// transaction with the execution's row when every step goes through. Answers the
/// execution to go on with step by step (a step failed on the fast path, or another
/// delivery started it), or `None` when it is settled (done, waiting, skipped, or the
/// automation is no longer active).
async fn start(engine: &Engine, job: &RunAutomation) -> Result<Option<String>> {
    let event_id = job.event_id.as_deref().ok_or(Error::NotFound("event"))?;
    // The execution, if a delivery of this job started it already, and what starting it
    // needs otherwise, in one read.
    type Found = (
        Option<String>,
        Option<String>,
        String,
        Option<i64>,
        String,
        String,
        i64,
    );
    let found: Option<Found> = db!(&engine.db, c => sqlx::query_as(
        "select x.execution_id, x.status, a.status, cast(v.frequency_cap_hours as bigint),
                e.trigger_event, e.refs, e.created_at
           from automation a
           join automation_version v on v.automation_id = a.automation_id and v.version = $3
           join domain_event e on e.org_id = a.org_id and e.event_id = $4
           left join automation_execution x on x.automation_id = a.automation_id and x.version = v.version
                and x.event_id = e.event_id and x.mode = 'live' and x.rerun_of is null
          where a.org_id = $1 and a.automation_id = $2")
        .bind(&job.org_id).bind(&job.automation_id).bind(job.version).bind(event_id)
        .fetch_optional(c).await)?;
    let (existing, existing_status, status, cap, trigger, refs, event_at) =
        found.ok_or(Error::NotFound("automation event"))?;
    if let (Some(id), Some(status)) = (existing, existing_status) {
        return Ok((status == "running").then_some(id));
    }
    if status != "active" {
        return Ok(None);
    }
    let refs: Refs = serde_json::from_str(&refs).unwrap_or_default();
    let trigger = super::trigger(&trigger)?;
    let now = engine.clock.now();
    let payload = payload::build(&engine.db, &job.org_id, trigger, &refs, now).await?;
    let client_id = refs.client_id.as_deref();
    let mut skipped = None;
    if let (Some(hours), Some(client)) = (cap, client_id) {
        let since = now - hours * crate::clock::HOUR;
        let recent: i64 = db!(&engine.db, c => sqlx::query_scalar(
            "select count(*) from automation_execution
              where automation_id = $1 and client_id = $2 and mode = 'live'
                and status in ('running', 'waiting', 'success') and started_at > $3")
            .bind(&job.automation_id).bind(client).bind(since).fetch_one(c).await)?;
        if recent > 0 {
            skipped = Some(format!(
                "frequency cap: already ran for this client in the last {hours} hour(s)"
            ));
        }
    }
    let compiled = super::compiled(engine, &job.org_id, &job.automation_id, job.version).await?;
    let (status, reason, conditions, steps, error) = if let Some(reason) = skipped {
        ("skipped", Some(reason), json!([]), vec![], None)
    } else {
        match executions::evaluate(compiled, payload.clone()).await? {
            Err(e) => ("failed", None, json!([]), vec![], Some(e.to_string())),
            Ok(ev) => {
                let conditions = serde_json::to_value(&ev.condition_trace).unwrap_or_default();
                let steps = executions::records(&ev, false);
                if ev.conditions_passed {
                    // A step that could not be planned fails when the run reaches it.
                    ("running", None, conditions, steps, None)
                } else {
                    let reason = Some("the conditions were false".to_owned());
                    ("skipped", reason, conditions, steps, None)
                }
            }
        }
    };
    let row = executions::Row {
        execution_id: ids::new_id(),
        org_id: job.org_id.clone(),
        automation_id: job.automation_id.clone(),
        version: job.version,
        event_id: Some(event_id.to_owned()),
        mode: "live".to_owned(),
        status: status.to_owned(),
        passed: None,
        reason,
        client_id: client_id.map(str::to_owned),
        payload: payload.to_string(),
        conditions: conditions.to_string(),
        steps: String::new(),
        next_step: 0,
        resume_at: None,
        rerun_of: None,
        error,
        started_at: now.max(event_at),
        updated_at: now.max(event_at),
        finished_at: None,
    };
    let running = status == "running";
    let outcome = engine
        .starts
        .submit(
            engine,
            Start {
                row,
                payload,
                conditions,
                steps,
            },
        )
        .await?;
    if running && !matches!(outcome, Started::Again) {
        engine.metrics.add("automation_executions", &job.org_id, 1);
    }
    match outcome {
        Started::Settled => Ok(None),
        Started::StepByStep(id) => Ok(Some(id)),
        // Another delivery of this job started it first: carry on with that one.
        Started::Again => Box::pin(start(engine, job)).await,
        // Recorded; failing the job leaves the dead letter and raises the alert.
        Started::Failed(error) => Err(Error::Conflict(error.into())),
    }
}

/// An execution ready to be written, with its steps planned.
#[derive(Debug)]
pub(crate) struct Start {
    row: executions::Row,
    payload: Value,
    conditions: Value,
    steps: Vec<StepRecord>,
}

/// What starting an execution came to.
pub(crate) enum Started {
    /// Written and done as far as it goes at once: finished, skipped or waiting.
    Settled,
    /// Written; a step failed on the fast path, so it goes on step by step.
    StepByStep(String),
    /// Another delivery of the job wrote it first.
    Again,
    /// Written as failed (the conditions could not be evaluated).
    Failed(String),
}

/// Executions started together: each written with its planned steps, and what is due
/// at once carried out, in one transaction. Should a step fail, the group is given up
/// and each is started alone, where the failing one is written without the fast path
/// and goes on step by step, which records the failure.
pub(crate) struct Starts;

impl crate::group_commit::Batch for Starts {
    type Item = Start;
    type Done = Started;
    const NAME: &'static str = "automation starts";
    const MAX: usize = 64;

    async fn commit(engine: &Engine, starts: &[&Start]) -> Result<Vec<Started>> {
        if let [start] = starts {
            return Ok(vec![start_alone(engine, start).await?]);
        }
        let now = engine.clock.now();
        let mut tx = engine.db.begin().await?;
        // Each execution's steps first, then every execution as its steps left it, in
        // one statement. Should a step fail, or another delivery have written one of
        // them meanwhile, the group is given up and each is started alone.
        let mut settled = Vec::with_capacity(starts.len());
        for start in starts {
            let row = &start.row;
            if row.status != "running" {
                settled.push((start.steps.clone(), Settled::planned(row)));
                continue;
            }
            let mut steps = start.steps.clone();
            let at = match run_steps(engine, &mut tx, row, &mut steps, usize::MAX).await {
                Progress::Failed { error, .. } => return Err(error),
                Progress::Went { next, .. } => Settled::at(next, None, steps.len()),
                Progress::Waiting { next, at, .. } => Settled::at(next, Some(at), steps.len()),
            };
            settled.push((steps, at));
        }
        let all: Vec<NewExecution<'_>> = starts
            .iter()
            .zip(&settled)
            .map(|(start, (steps, at))| new_execution(start, steps, *at))
            .collect();
        if executions::insert_all(&mut tx, &all).await? != all.len() {
            return Err(Error::Conflict(
                "an execution in this group was started twice at once".into(),
            ));
        }
        for (start, (_, at)) in starts.iter().zip(&settled) {
            if let Some(resume) = at.resume_at {
                resume_at(&mut tx, &start.row, at.next_step, resume, now).await?;
            }
        }
        tx.commit().await?;
        Ok(starts
            .iter()
            .map(|start| match &start.row.error {
                Some(error) => Started::Failed(error.clone()),
                None => Started::Settled,
            })
            .collect())
    }
}

/// Starts one execution in its own transaction: written as planned first (which tells
/// whether another delivery of the job got there before), then its steps.
async fn start_alone(engine: &Engine, start: &Start) -> Result<Started> {
    let row = &start.row;
    let mut tx = engine.db.begin().await?;
    if !insert(&mut tx, start, &start.steps, Settled::planned(row)).await? {
        return Ok(Started::Again);
    }
    if let Some(error) = &row.error {
        tx.commit().await?;
        return Ok(Started::Failed(error.clone()));
    }
    if row.status != "running" {
        tx.commit().await?;
        return Ok(Started::Settled);
    }
    let mut steps = start.steps.clone();
    match run_steps(engine, &mut tx, row, &mut steps, usize::MAX).await {
        Progress::Failed { .. } => {
            // Keep nothing of the fast path: write the execution alone and let the
            // step-by-step path meet (and record) the failure.
            drop(tx);
            let mut tx = engine.db.begin().await?;
            insert(&mut tx, start, &start.steps, Settled::planned(row)).await?;
            tx.commit().await?;
            Ok(Started::StepByStep(row.execution_id.clone()))
        }
        ran => {
            // Just written in this transaction, so no one can have moved it.
            settle(&mut tx, row, &steps, ran, engine.clock.now()).await?;
            tx.commit().await?;
            Ok(Started::Settled)
        }
    }
}

/// Where an execution stands once written: its status, the step it goes on from, and
/// when it resumes if it waits.
#[derive(Clone, Copy)]
struct Settled {
    status: &'static str,
    next_step: usize,
    resume_at: Option<Millis>,
}

impl Settled {
    /// As `start` planned it, before any step.
    fn planned(row: &executions::Row) -> Self {
        let status = match row.status.as_str() {
            "running" => "running",
            "skipped" => "skipped",
            _ => "failed",
        };
        Self {
            status,
            next_step: 0,
            resume_at: None,
        }
    }

    /// Steps before `next` are done; with `resume`, it waits until then; past the last
    /// of `len` steps, it succeeded.
    fn at(next: usize, resume: Option<Millis>, len: usize) -> Self {
        let status = match resume {
            Some(_) => "waiting",
            None if next >= len => "success",
            None => "running",
        };
        Self {
            status,
            next_step: next,
            resume_at: resume,
        }
    }
}

/// Writes a new live execution with `steps`, standing as `settled`; `false` if it was
/// there already.
async fn insert(
    tx: &mut Tx,
    start: &Start,
    steps: &[StepRecord],
    settled: Settled,
) -> Result<bool> {
    executions::insert(tx, new_execution(start, steps, settled)).await
}

/// A live execution as `start` made it, with `steps`, standing as `settled`.
fn new_execution<'a>(
    start: &'a Start,
    steps: &'a [StepRecord],
    settled: Settled,
) -> NewExecution<'a> {
    let row = &start.row;
    NewExecution {
        execution_id: &row.execution_id,
        org_id: &row.org_id,
        automation_id: &row.automation_id,
        version: row.version,
        event_id: row.event_id.as_deref(),
        mode: "live",
        status: settled.status,
        passed: None,
        reason: row.reason.as_deref(),
        client_id: row.client_id.as_deref(),
        payload: &start.payload,
        conditions: &start.conditions,
        steps,
        next_step: settled.next_step as i64,
        resume_at: settled.resume_at,
        rerun_of: None,
        error: row.error.as_deref(),
        now: row.started_at,
    }
}

/// What carrying out one step came to.
enum Done {
    /// Done; the next step may follow at once.
    Next(Value),
    /// Not done on purpose (the client opted out): recorded as `skipped`.
    Skipped(Value),
    /// A wait: the next step resumes at this time.
    WaitUntil(Value, Millis),
}

/// Where carrying out steps in one transaction got to.
enum Progress {
    /// Steps up to `next` are done; the execution goes on (or, at the end, succeeded).
    Went { from: usize, next: usize },
    /// Steps up to `next` are done; step `next` is due at `at` (after a wait, or when
    /// quiet hours end).
    Waiting {
        from: usize,
        next: usize,
        at: Millis,
    },
    /// Step `index` failed; nothing of this transaction should be kept.
    Failed { index: usize, error: Error },
}

/// Carries out at most `limit` steps from the execution's `next_step` in `tx`, stopping
/// at the end, a wait or quiet hours; each step's record is written into `steps`.
async fn run_steps(
    engine: &Engine,
    tx: &mut Tx,
    row: &executions::Row,
    steps: &mut [StepRecord],
    limit: usize,
) -> Progress {
    let from = row.next_step as usize;
    let now = engine.clock.now();
    let mut quiet = None;
    let mut index = from;
    while index < steps.len() && index - from < limit {
        let step = steps[index].clone();
        if matches!(step.input.action, Action::SendSms { .. }) {
            if quiet.is_none() {
                match quiet_hours::of_org(&engine.db, &row.org_id).await {
                    Ok(q) => quiet = Some(q),
                    Err(error) => return Progress::Failed { index, error },
                }
            }
            let held = quiet.and_then(|(q, zone)| q.and_then(|q| q.hold_until(zone, now)));
            if let Some(until) = held {
                steps[index].status = "waiting".to_owned();
                steps[index].output =
                    json!({"heldUntil": to_rfc3339(until), "reason": "quiet hours"});
                return Progress::Waiting {
                    from,
                    next: index,
                    at: until,
                };
            }
        }
        let started = Instant::now();
        let outcome = match (step.status.as_str(), &step.error) {
            // Planned with an error (a template that failed on this event, no sitter).
            ("failed", Some(error)) if step.attempts == 0 => {
                Err(Error::Conflict(error.clone().into()))
            }
            _ => carry_out(engine, tx, row, &step).await,
        };
        let record = &mut steps[index];
        record.attempts += 1;
        record.duration_us = Some(started.elapsed().as_micros() as u64);
        record.at = Some(to_rfc3339(now));
        record.error = None;
        let (status, output, wait) = match outcome {
            Ok(Done::Next(o)) => ("success", o, None),
            Ok(Done::Skipped(o)) => ("skipped", o, None),
            Ok(Done::WaitUntil(o, at)) => ("success", o, Some(at)),
            Err(error) => {
                record.status = if is_retryable(&error) {
                    "retrying"
                } else {
                    "failed"
                }
                .to_owned();
                record.error = Some(error.to_string());
                return Progress::Failed { index, error };
            }
        };
        record.status = status.to_owned();
        record.output = output;
        index += 1;
        if let Some(at) = wait {
            return Progress::Waiting {
                from,
                next: index,
                at,
            };
        }
    }
    Progress::Went { from, next: index }
}

/// Writes what `run_steps` did (the steps, `next_step`, the status, a timer for a
/// wait) if no one else moved the execution meanwhile; `false` if someone did.
async fn settle(
    tx: &mut Tx,
    row: &executions::Row,
    steps: &[StepRecord],
    ran: Progress,
    now: Millis,
) -> Result<bool> {
    let (from, next, resume) = match ran {
        Progress::Went { from, next } => (from, next, None),
        Progress::Waiting { from, next, at } => (from, next, Some(at)),
        Progress::Failed { .. } => return Ok(false),
    };
    if !save(tx, row, steps, from, next, resume, now).await? {
        return Ok(false);
    }
    if let Some(at) = resume {
        resume_at(tx, row, next, at, now).await?;
    }
    Ok(true)
}

/// Carries out the execution's steps from `next_step` one transaction per step, until it
/// ends or waits: the careful path, which records a failing step's attempts and error.
async fn advance(engine: &Engine, execution_id: &str) -> Result<()> {
    loop {
        let row = executions::row(&engine.db, execution_id).await?;
        let now = engine.clock.now();
        let due = row.status == "running"
            || (row.status == "waiting" && row.resume_at.is_none_or(|at| at <= now));
        if !due {
            return Ok(());
        }
        let mut steps = row.steps();
        let mut tx = engine.db.begin().await?;
        match run_steps(engine, &mut tx, &row, &mut steps, 1).await {
            Progress::Failed { index, error } => {
                drop(tx);
                let resume = row.resume_at.filter(|_| row.status == "waiting");
                let mut tx = engine.db.begin().await?;
                save(&mut tx, &row, &steps, index, index, resume, now).await?;
                tx.commit().await?;
                return Err(error);
            }
            ran => {
                let go_on = matches!(ran, Progress::Went { next, .. } if next < steps.len());
                if !settle(&mut tx, &row, &steps, ran, now).await? {
                    // Another delivery did this step first; what it wrote goes.
                    return Ok(());
                }
                tx.commit().await?;
                if !go_on {
                    return Ok(());
                }
            }
        }
    }
}

/// Writes the steps and moves `next_step` from `at` to `next`, only if no one else has;
/// with `resume`, the execution waits until then; past the last step, it succeeded.
async fn save(
    tx: &mut Tx,
    row: &executions::Row,
    steps: &[StepRecord],
    at: usize,
    next: usize,
    resume: Option<Millis>,
    now: Millis,
) -> Result<bool> {
    let status = Settled::at(next, resume, steps.len()).status;
    let done = status == "success";
    let steps = serde_json::to_string(steps).map_err(|e| Error::Internal(e.to_string()))?;
    let n = tx!(tx, c => sqlx::query(
        "update automation_execution set steps = $2, next_step = $4, status = $5, resume_at = $6, updated_at = $7,
                finished_at = $8
          where execution_id = $1 and next_step = $3 and status in ('running', 'waiting')")
        .bind(&row.execution_id).bind(steps).bind(at as i64).bind(next as i64).bind(status)
        .bind(resume).bind(now).bind(done.then_some(now))
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Queues the job that resumes the execution at step `next` at `at`: a timer (the
/// ticker also resumes whatever is due, should the timer be lost).
async fn resume_at(
    tx: &mut Tx,
    row: &executions::Row,
    next: usize,
    at: Millis,
    now: Millis,
) -> Result<()> {
    let job = RunAutomation::resume(
        &row.org_id,
        &row.automation_id,
        row.version,
        row.event_id.as_deref(),
        &row.execution_id,
    );
    let delay = Duration::from_millis((at - now).max(0) as u64);
    let key = format!("exec:{}:{next}:{at}:timer", row.execution_id);
    tx.enqueue_later(&job, delay, Some(&key)).await
}

/// Resumes every waiting execution that is due by `now` (the ticker calls this).
pub(crate) async fn resume_due(tx: &mut Tx, now: Millis) -> Result<usize> {
    type Due = (String, String, String, i64, Option<String>, i64, i64);
    let due: Vec<Due> = tx!(tx, c => sqlx::query_as(
        "select execution_id, org_id, automation_id, cast(version as bigint), event_id,
                cast(next_step as bigint), resume_at
           from automation_execution where status = 'waiting' and resume_at <= $1
          order by resume_at limit 1000")
        .bind(now).fetch_all(c).await)?;
    for (id, org_id, automation_id, version, event_id, next, at) in &due {
        let job = RunAutomation::resume(org_id, automation_id, *version, event_id.as_deref(), id);
        let key = format!("exec:{id}:{next}:{at}:due");
        tx.enqueue_later(&job, Duration::ZERO, Some(&key)).await?;
    }
    Ok(due.len())
}

/// Carries out one planned step in `tx`.
async fn carry_out(
    engine: &Engine,
    tx: &mut Tx,
    row: &executions::Row,
    step: &StepRecord,
) -> Result<Done> {
    let org_id = row.org_id.as_str();
    let now = engine.clock.now();
    let planned = &step.input;
    let text = planned.text.as_deref().unwrap_or_default();
    let title = planned.title.as_deref().unwrap_or_default();
    let alert_key = format!("automation.step:{}:{}", row.execution_id, step.index);
    match &planned.action {
        Action::SendSms { to, .. } => {
            let payload: Value = serde_json::from_str(&row.payload).unwrap_or_default();
            let lane = version_lane(tx, &row.automation_id, row.version).await?;
            let recipient_id = planned.recipient_id.as_deref();
            let (to_e164, from) = addresses(tx, org_id, lane, *to, recipient_id, &payload).await?;
            match outbound::send_automated(engine, tx, org_id, &from, &to_e164, text).await? {
                Automated::OptedOut => Ok(Done::Skipped(
                    json!({"reason": "the recipient opted out (STOP); nothing was sent", "to": redact(&to_e164)}),
                )),
                Automated::Queued {
                    message_id,
                    thread_id,
                } => Ok(Done::Next(json!({
                    "messageId": message_id, "threadId": thread_id,
                    "from": from.e164, "to": redact(&to_e164),
                }))),
            }
        }
        Action::NotifyOwner { .. } | Action::CreateAlert { .. } => {
            let severity = match &planned.action {
                Action::CreateAlert { severity, .. } => match severity {
                    Severity::Info => alerts::Severity::Info,
                    Severity::Warning => alerts::Severity::Warning,
                    Severity::Critical => alerts::Severity::Critical,
                },
                _ => alerts::Severity::Info,
            };
            let kind = if matches!(planned.action, Action::NotifyOwner { .. }) {
                "automation.notify"
            } else {
                "automation.alert"
            };
            alerts::raise(
                tx,
                org_id,
                NewAlert {
                    severity,
                    kind,
                    title,
                    description: text,
                    entity: Some(("automation_execution", &row.execution_id)),
                    dedupe_key: alert_key,
                },
                now,
            )
            .await?;
            Ok(Done::Next(
                json!({"alert": {"title": title, "severity": severity.as_str()}}),
            ))
        }
        Action::AddTag { tag } | Action::RemoveTag { tag } => {
            let client_id = planned
                .recipient_id
                .as_deref()
                .ok_or(Error::NotFound("client"))?;
            let raw: String = tx!(tx, c => sqlx::query_scalar(
                "select tags from client where org_id = $1 and client_id = $2")
                .bind(org_id).bind(client_id).fetch_optional(c).await)?
            .ok_or(Error::NotFound("client"))?;
            let mut tags: Vec<String> = serde_json::from_str(&raw).unwrap_or_default();
            let adding = matches!(planned.action, Action::AddTag { .. });
            let had = tags.iter().any(|t| t.eq_ignore_ascii_case(tag));
            if adding && !had {
                tags.push(tag.clone());
            } else if !adding {
                tags.retain(|t| !t.eq_ignore_ascii_case(tag));
            }
            tx!(tx, c => sqlx::query("update client set tags = $3 where org_id = $1 and client_id = $2")
                .bind(org_id).bind(client_id)
                .bind(serde_json::to_string(&tags).unwrap_or_else(|_| "[]".to_owned()))
                .execute(c).await.map(|r| r.rows_affected()))?;
            Ok(Done::Next(json!({"tags": tags, "changed": adding != had})))
        }
        Action::Wait { minutes } => {
            let until = now + minutes * crate::clock::MINUTE;
            Ok(Done::WaitUntil(
                json!({"resumesAt": to_rfc3339(until)}),
                until,
            ))
        }
    }
}

/// The lane an automation version's texts leave from.
pub(super) async fn version_lane(tx: &mut Tx, automation_id: &str, version: i64) -> Result<Lane> {
    let lane: String = tx!(tx, c => sqlx::query_scalar(
        "select lane from automation_version where automation_id = $1 and version = $2")
        .bind(automation_id).bind(version).fetch_one(c).await)?;
    Ok(Lane::parse(&lane))
}

/// The phone a text goes to and the business number it leaves from.
async fn addresses(
    tx: &mut Tx,
    org_id: &str,
    lane: Lane,
    to: Recipient,
    recipient_id: Option<&str>,
    payload: &Value,
) -> Result<(String, FromNumber)> {
    let to_e164 = recipient_phone(tx, org_id, to, recipient_id).await?;
    let from = lane_number(tx, org_id, lane, payload, &to_e164).await?;
    Ok((to_e164, from))
}

/// What Test Mode checks of a text: the look-ups a live send makes first, so a test
/// fails where a live run would, with the same message. The sample's client and sitter
/// are stand-ins that no row belongs to, so on the sample only the org's own part is
/// checked (the owner's mobile, the front-desk number); a real event checks everyone.
pub(super) async fn check_text(
    tx: &mut Tx,
    org_id: &str,
    lane: Lane,
    to: Recipient,
    recipient_id: Option<&str>,
    payload: &Value,
    sample: bool,
) -> Result<()> {
    if !sample {
        return addresses(tx, org_id, lane, to, recipient_id, payload)
            .await
            .map(drop);
    }
    if to == Recipient::Owner {
        recipient_phone(tx, org_id, to, None).await?;
    }
    if lane == Lane::FrontDesk {
        lane_number(tx, org_id, lane, payload, "").await?;
    }
    Ok(())
}

/// The phone a text goes to: the client's, the sitter's own mobile, or the owner's.
async fn recipient_phone(
    tx: &mut Tx,
    org_id: &str,
    to: Recipient,
    recipient_id: Option<&str>,
) -> Result<String> {
    let (phone, who): (Option<String>, String) = match to {
        Recipient::Client => tx!(tx, c => sqlx::query_as(
            "select phone_e164, name from client where org_id = $1 and client_id = $2")
            .bind(org_id).bind(recipient_id).fetch_optional(c).await)?
        .ok_or(Error::NotFound("client"))?,
        Recipient::Sitter => tx!(tx, c => sqlx::query_as(
            "select phone_e164, name from app_user where org_id = $1 and user_id = $2")
            .bind(org_id).bind(recipient_id).fetch_optional(c).await)?
        .ok_or(Error::NotFound("sitter"))?,
        Recipient::Owner => tx!(tx, c => sqlx::query_as(
            "select phone_e164, name from app_user where org_id = $1 and role = 'owner'
              order by case when phone_e164 is null then 1 else 0 end, created_at limit 1")
            .bind(org_id).fetch_optional(c).await)?
        .ok_or(Error::NotFound("owner"))?,
    };
    phone.ok_or_else(|| {
        Error::Conflict(format!("{who} has no mobile number on file; add one to text them").into())
    })
}

/// The business number the automation's lane sends from.
async fn lane_number(
    tx: &mut Tx,
    org_id: &str,
    lane: Lane,
    payload: &Value,
    to_e164: &str,
) -> Result<FromNumber> {
    let found: Option<FromNumber> = match lane {
        Lane::FrontDesk => tx!(tx, c => sqlx::query_as(outbound::FRONT_DESK_SQL)
            .bind(org_id).fetch_optional(c).await)?,
        Lane::Sitter => {
            let sitter = payload
                .pointer("/sitter/id")
                .or_else(|| payload.pointer("/booking/sitter/id"))
                .and_then(Value::as_str);
            let Some(sitter) = sitter else {
                return Err(Error::Conflict("the booking has no sitter assigned, so there is no sitter's number to send from".into()));
            };
            tx!(tx, c => sqlx::query_as(
                "select number_id, e164 from number where org_id = $1 and class = 'sitter' and status = 'active'
                  and assigned_user_id = $2 order by created_at, number_id limit 1")
                .bind(org_id).bind(sitter).fetch_optional(c).await)?
        }
        Lane::Pool => tx!(tx, c => sqlx::query_as(
            "select n.number_id, n.e164 from number n join thread t on t.thread_id = n.assigned_thread_id
              where n.org_id = $1 and n.class = 'pool' and n.status = 'active' and t.client_e164 = $2
              order by n.created_at limit 1")
            .bind(org_id).bind(to_e164).fetch_optional(c).await)?,
    };
    found.ok_or_else(|| {
        Error::Conflict(
            match lane {
                Lane::FrontDesk => "the organisation has no active front-desk number to send from",
                Lane::Sitter => "the assigned sitter has no active sitter number to send from",
                Lane::Pool => "no pool number is lent to this client's conversation",
            }
            .into(),
        )
    })
}
