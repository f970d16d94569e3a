//! Durable jobs on apalis, in the same database as everything else.
//!
//! A job is enqueued inside the caller's transaction ([`Tx::enqueue`]), so it exists if
//! and only if the rows it acts on were committed. Each delivery of a job is one attempt:
//! apalis runs it once (`max_attempts = 1`), and on a retryable error *we* enqueue the
//! next attempt with an exponential, jittered delay, durably, in the database. Apalis's
//! in-worker retry layer would sleep in memory and be lost in a crash. When attempts run
//! out the job becomes a [`dead_letter`](crate::dead_letters) row a human can replay.
//! Handlers must be idempotent: a job that finished just before a crash may run again.

use std::{future::Future, pin::Pin, time::Duration};

use apalis::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::{Notify, futures::Notified};
use tokio_util::sync::CancellationToken;

mod sqlite;

use crate::{
    Engine, Error, Result,
    automations::{run::RunAutomation, ticker::AutomationTick},
    campaigns::run::RunCampaign,
    dead_letters, ids,
    store::{Db, Tx},
};

pub trait Job: Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static {
    /// The queue this job type runs on (shown on the ops page and in dead letters).
    const QUEUE: &'static str;
    /// A human name for one job of this type.
    const NAME: &'static str;
    /// Attempts in all, the first included.
    const MAX_ATTEMPTS: u32 = 3;
    /// Jobs of this type a worker runs at once per unit of its concurrency. A job that
    /// hands its writes to a group committer ([`crate::group_commit`]) and waits sets
    /// about twice its group's `MAX` (over the default concurrency of 4): one group can
    /// fill while the one before commits.
    const IN_FLIGHT: usize = 1;

    fn org_id(&self) -> Option<&str>;

    /// The row this job acts on, linked from its dead letter.
    fn entity(&self) -> Option<(&'static str, &str)> {
        None
    }

    fn run(&self, engine: &Engine) -> impl Future<Output = Result<()>> + Send;

    /// Called once, in the dead letter's transaction, when attempts run out.
    fn on_exhausted(
        &self,
        _engine: &Engine,
        _tx: &mut Tx,
        _error: &str,
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }

    /// Queues this job again for a dead letter's replay. A job whose work is tied to a
    /// row (a send attempt) overrides this to start fresh.
    fn replay(&self, _engine: &Engine, tx: &mut Tx) -> impl Future<Output = Result<()>> + Send {
        async move { tx.enqueue(self).await }
    }
}

/// What is stored in the queue: the job and which attempt this is (1-based).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Envelope<J> {
    pub attempt: u32,
    pub job: J,
}

/// Errors worth another attempt: the database or the provider hiccuped. A job that is
/// invalid or refers to something gone will fail the same way again.
pub fn is_retryable(e: &Error) -> bool {
    matches!(
        e,
        Error::Database(_) | Error::Provider(_) | Error::Queue(_) | Error::Internal(_)
    )
}

/// Delay before attempt `next` (2, 3, …): base · 4^(next-2), ±20 % jitter.
pub fn backoff(base: Duration, next: u32) -> Duration {
    let factor = 4u32.saturating_pow(next.saturating_sub(2));
    let jitter = rand::random::<f64>().mul_add(0.4, 0.8);
    base.saturating_mul(factor).mul_f64(jitter)
}

impl Tx {
    /// Enqueues `job` to run as soon as a worker is free, in this transaction.
    pub async fn enqueue<J: Job>(&mut self, job: &J) -> Result<()> {
        self.enqueue_all(std::slice::from_ref(job)).await
    }

    /// Enqueues `job` after `delay`; with a `key`, a second enqueue of the same key is a
    /// no-op (the ticker and replays rely on this).
    pub async fn enqueue_later<J: Job>(
        &mut self,
        job: &J,
        delay: Duration,
        key: Option<&str>,
    ) -> Result<()> {
        self.push(
            &Envelope {
                attempt: 1,
                job: job.clone(),
            },
            Some(delay),
            key,
        )
        .await
    }

    /// Enqueues every job in `jobs` to run as soon as a worker is free, in this
    /// transaction, with one statement.
    pub async fn enqueue_all<J: Job>(&mut self, jobs: &[J]) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let tasks = jobs
            .iter()
            .map(|job| {
                let env = Envelope {
                    attempt: 1,
                    job: job.clone(),
                };
                let bytes = serde_json::to_vec(&env).map_err(|e| Error::Queue(e.to_string()))?;
                Ok(TaskBuilder::new(bytes).max_attempts(1).build())
            })
            .collect::<Result<Vec<_>>>()?;
        let queue_err = |e: &dyn std::fmt::Display| Error::Queue(e.to_string());
        match self {
            Tx::Sqlite(t, _, wake) => {
                wake.add(J::QUEUE);
                apalis_sqlite::queries::push_tasks(&mut **t, J::QUEUE, &tasks)
                    .await
                    .map_err(|e| queue_err(&e))
            }
            Tx::Postgres(t, wake) => {
                wake.add(J::QUEUE);
                apalis_postgres::queries::push_tasks(&mut **t, J::QUEUE, tasks)
                    .await
                    .map_err(|e| queue_err(&e))
            }
        }
    }

    async fn push<J: Job>(
        &mut self,
        env: &Envelope<J>,
        delay: Option<Duration>,
        key: Option<&str>,
    ) -> Result<()> {
        let bytes = serde_json::to_vec(env).map_err(|e| Error::Queue(e.to_string()))?;
        let mut builder = TaskBuilder::new(bytes).max_attempts(1);
        if let Some(delay) = delay {
            // apalis keeps whole seconds and truncates: a job could run up to a second
            // before its delay is up. Rounded up, "after" holds (pacing, a provider's
            // Retry-After, the end of quiet hours).
            builder = builder.run_after(delay + Duration::from_nanos(999_999_999));
        }
        if let Some(key) = key {
            builder = builder.idempotency_key(key);
        }
        let task = builder.build();
        let queue_err = |e: &dyn std::fmt::Display| Error::Queue(e.to_string());
        match self {
            Tx::Sqlite(t, _, wake) => {
                wake.add(J::QUEUE);
                // SQLite ignores a duplicate idempotency key by itself.
                apalis_sqlite::queries::push_tasks(&mut **t, J::QUEUE, &[task])
                    .await
                    .map_err(|e| queue_err(&e))
            }
            Tx::Postgres(t, wake) => {
                wake.add(J::QUEUE);
                // PostgreSQL raises a unique violation, which would abort the whole
                // transaction: push inside a savepoint and treat a duplicate as done.
                let mut sp = sqlx::Connection::begin(&mut **t).await?;
                match apalis_postgres::queries::push_tasks(&mut *sp, J::QUEUE, vec![task]).await {
                    Ok(()) => Ok(sp.commit().await?),
                    Err(e) if key.is_some() && is_duplicate(&e.to_string()) => {
                        sp.rollback().await?;
                        Ok(())
                    }
                    Err(e) => Err(queue_err(&e)),
                }
            }
        }
    }
}

fn is_duplicate(error: &str) -> bool {
    error.contains("23505") || error.contains("duplicate key")
}

/// What became of one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Failed; the next attempt is queued to run after this delay.
    Retrying(Duration),
    /// Failed for good; a dead letter holds it now.
    DeadLettered(String),
}

/// One attempt of a job: run it, and on failure either queue the next attempt or write
/// the dead letter. Workers call this for every job they take.
pub async fn attempt<J: Job>(engine: &Engine, env: Envelope<J>) -> Result<Outcome> {
    let error = match env.job.run(engine).await {
        Ok(()) => return Ok(Outcome::Done),
        Err(e) => e,
    };
    let message = error.to_string();
    if is_retryable(&error) && env.attempt < J::MAX_ATTEMPTS {
        let next = env.attempt + 1;
        let delay = backoff(engine.settings.retry_base, next);
        tracing::warn!(queue = J::QUEUE, attempt = env.attempt, next_in_ms = delay.as_millis() as u64, error = %message, "job attempt failed; retrying");
        let mut tx = engine.db.begin().await?;
        tx.push(
            &Envelope {
                attempt: next,
                job: env.job,
            },
            Some(delay),
            None,
        )
        .await?;
        tx.commit().await?;
        return Ok(Outcome::Retrying(delay));
    }
    tracing::error!(queue = J::QUEUE, attempt = env.attempt, error = %message, "job failed for good; dead-lettered");
    let mut tx = engine.db.begin().await?;
    dead_letters::record(engine, &mut tx, &env.job, env.attempt, &message).await?;
    env.job.on_exhausted(engine, &mut tx, &message).await?;
    tx.commit().await?;
    Ok(Outcome::DeadLettered(message))
}

async fn handle<J: Job>(env: Envelope<J>, engine: Data<Engine>) -> Result<(), BoxDynError> {
    match attempt(&engine, env).await? {
        Outcome::Done | Outcome::Retrying(_) => Ok(()),
        // Returning the error leaves apalis's row `Failed` with it, as a second record.
        Outcome::DeadLettered(message) => Err(message.into()),
    }
}

/// The worker settings `serve` and `worker` share.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// How often the queue is read for delayed jobs come due (fresh jobs wake their
    /// workers at once).
    pub poll: Duration,
    /// Jobs of one queue in flight at once in this process.
    pub concurrency: usize,
    /// How long shutdown waits for running jobs.
    pub drain_timeout: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(100),
            concurrency: 4,
            drain_timeout: Duration::from_secs(20),
        }
    }
}

/// Every queue, in the order the ops page shows them. Every job type is listed here, in
/// [`run_workers`] and in [`replay`].
const QUEUES: [&str; 6] = [
    crate::inbound::RouteInbound::QUEUE,
    crate::deliveries::SendMessage::QUEUE,
    crate::numbers::pool::ReleaseIdlePool::QUEUE,
    RunAutomation::QUEUE,
    AutomationTick::QUEUE,
    RunCampaign::QUEUE,
];

/// The bell of one queue: rung when jobs for it may be due, it makes the queue's idle
/// workers in this process look at once.
fn bell(queue: &str) -> Option<&'static Notify> {
    static BELLS: [Notify; QUEUES.len()] = [const { Notify::const_new() }; QUEUES.len()];
    QUEUES.iter().position(|q| *q == queue).map(|i| &BELLS[i])
}

/// Wakes the idle workers of `queue`: a transaction that put jobs on it has committed.
pub(crate) fn ring(queue: &str) {
    if let Some(bell) = bell(queue) {
        bell.notify_waiters();
    }
}

/// When an idle worker looks for jobs: as soon as its queue's bell rings, and every
/// `BACKSTOP` whatever happens.
///
/// Looking is a write on SQLite (apalis claims jobs with an `UPDATE`), and every writer
/// waits for the one before, so idle workers polling on a timer would keep taking the
/// write lock from the work itself. Instead the bell rings when a transaction queuing
/// jobs commits ([`Tx::commit`]) and when [`watch_due`], with a read, finds a delayed
/// job come due or one queued by another process.
///
/// apalis's own `IntervalStrategy` re-arms its timer without polling it after a tick;
/// when that tick coincides with an empty fetch nothing is left to wake the worker. This
/// one always leaves its timer and bell polled, as `PollStrategy`'s contract asks.
struct Tick {
    backstop: tokio::time::Interval,
    bell: &'static Notify,
    rung: Pin<Box<Notified<'static>>>,
}

const BACKSTOP: Duration = Duration::from_secs(1);

impl Tick {
    fn new(queue: &str) -> Self {
        let mut backstop = tokio::time::interval(BACKSTOP);
        backstop.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let bell = bell(queue).expect("every job type's queue is in QUEUES");
        Self {
            backstop,
            bell,
            rung: Box::pin(bell.notified()),
        }
    }
}

impl PollStrategy for Tick {
    fn poll_drive(
        &mut self,
        cx: &mut std::task::Context<'_>,
        _: &PollSnapshot,
    ) -> std::task::Poll<Option<()>> {
        let mut fired = false;
        while self.backstop.poll_tick(cx).is_ready() {
            fired = true;
        }
        while self.rung.as_mut().poll(cx).is_ready() {
            fired = true;
            self.rung = Box::pin(self.bell.notified());
        }
        if fired {
            std::task::Poll::Ready(Some(()))
        } else {
            std::task::Poll::Pending
        }
    }
}

/// Rings the bell of every queue holding a job that is due, every `period` until
/// `shutdown`: delayed jobs (retries, timers, paced sends) as they come due, and jobs
/// queued by another process. A read, so it never stands in a writer's way.
async fn watch_due(db: Db, period: Duration, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        match due_queues(&db).await {
            Ok(queues) => queues.iter().for_each(|q| ring(q)),
            Err(e) => tracing::warn!(error = %e, "could not look for due jobs"),
        }
    }
}

/// The queues holding a job that is due and not taken: for each queue, whether its
/// first waiting job in apalis's claim order is due, which the index answers at once
/// however many jobs wait.
async fn due_queues(db: &Db) -> Result<Vec<String>> {
    static SQL: std::sync::LazyLock<[String; 2]> = std::sync::LazyLock::new(|| {
        let sql = |table: &str, now: &str| {
            QUEUES
                .iter()
                .map(|q| {
                    format!(
                        "select cast('{q}' as text) where exists (select 1 from {table}
                          where job_type = '{q}' and status = 'Pending' and lock_by is null and run_at <= {now})"
                    )
                })
                .collect::<Vec<_>>()
                .join(" union all ")
        };
        [
            sql("Jobs", "strftime('%s', 'now')"),
            sql("apalis.jobs", "now()"),
        ]
    });
    // Made of our own queue names only.
    let sql = |i: usize| sqlx::AssertSqlSafe(SQL[i].as_str());
    Ok(match db {
        Db::Sqlite(p, _) => sqlx::query_scalar(sql(0)).fetch_all(p).await?,
        Db::Postgres(p) => sqlx::query_scalar(sql(1)).fetch_all(p).await?,
    })
}

fn register<J: Job>(
    monitor: Monitor,
    engine: &Engine,
    opts: &WorkerOptions,
    names: &mut Vec<String>,
) -> Monitor {
    // Unique per process start: apalis refuses a name still registered by a process that
    // stopped less than a heartbeat ago.
    let name = format!("{}-{}", J::QUEUE, &ids::new_token()[..8]);
    names.push(name.clone());
    let concurrency = opts.concurrency * J::IN_FLIGHT;
    let batch = concurrency * 4;
    let engine = engine.clone();
    match engine.db.clone() {
        db @ Db::Sqlite(..) => monitor.register(move |_| {
            let config = apalis_sqlite::Config::default()
                .queue(J::QUEUE)
                .batch_size(batch);
            let backend = sqlite::Storage::<Envelope<J>>::new(&db, config)
                .poll_with_strategy(Tick::new(J::QUEUE));
            WorkerBuilder::new(name.as_str())
                .backend(backend)
                .data(engine.clone())
                .concurrency(concurrency)
                .build(handle::<J>)
        }),
        Db::Postgres(pool) => monitor.register(move |_| {
            let config = apalis_postgres::Config::default()
                .queue(J::QUEUE)
                .batch_size(batch);
            let backend = apalis_postgres::PostgresStorage::<Envelope<J>>::new(&pool)
                .with_config(config)
                .poll_with_strategy(Tick::new(J::QUEUE));
            WorkerBuilder::new(name.as_str())
                .backend(backend)
                .data(engine.clone())
                .concurrency(concurrency)
                .build(handle::<J>)
        }),
    }
}

/// Runs a worker for every job type until `shutdown` fires, then lets running jobs
/// finish for at most `drain_timeout`.
pub async fn run_workers(
    engine: Engine,
    opts: WorkerOptions,
    shutdown: CancellationToken,
) -> Result<()> {
    let mut names = Vec::new();
    let monitor = Monitor::new().shutdown_timeout(opts.drain_timeout);
    let monitor = register::<crate::inbound::RouteInbound>(monitor, &engine, &opts, &mut names);
    let monitor = register::<crate::deliveries::SendMessage>(monitor, &engine, &opts, &mut names);
    let monitor =
        register::<crate::numbers::pool::ReleaseIdlePool>(monitor, &engine, &opts, &mut names);
    let monitor = register::<RunAutomation>(monitor, &engine, &opts, &mut names);
    let monitor = register::<AutomationTick>(monitor, &engine, &opts, &mut names);
    let monitor = register::<RunCampaign>(monitor, &engine, &opts, &mut names);
    if let Err(e) = crate::numbers::pool::schedule_next(&engine).await {
        tracing::warn!(error = %e, "could not schedule the daily pool release");
    }
    if let Err(e) = crate::automations::ticker::schedule_next(&engine).await {
        tracing::warn!(error = %e, "could not schedule the automation ticker");
    }
    // Campaign runs a dead process left: now, and once more when a lease taken just
    // before it died has run out (the ticker looks every minute as well).
    let resumer = tokio::spawn({
        let (engine, shutdown) = (engine.clone(), shutdown.clone());
        async move {
            for wait in [Duration::ZERO, engine.settings.run_lease] {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                match crate::campaigns::run::resume_abandoned_now(&engine).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(runs = n, "campaign runs cut off earlier are queued again")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look for cut-off campaign runs")
                    }
                }
            }
        }
    });
    let watcher = tokio::spawn(watch_due(engine.db.clone(), opts.poll, shutdown.clone()));
    let feed = tokio::spawn(crate::deliveries::run_feed(
        engine.clone(),
        shutdown.clone(),
    ));
    let result = monitor
        .run_with_signal(async move {
            shutdown.cancelled().await;
            Ok(())
        })
        .await
        .map_err(|e| Error::Queue(e.to_string()));
    let _ = feed.await;
    let _ = watcher.await;
    resumer.abort();
    match release_unstarted(&engine.db, &names).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "jobs taken but not started are back in the queue"),
        Err(e) => tracing::warn!(error = %e, "could not hand back jobs taken but not started"),
    }
    result
}

/// Hands back the jobs this process's workers took from the queue but did not finish.
///
/// apalis marks a batch `Running` as it fetches it; jobs still waiting in that batch when
/// the workers stop would otherwise stay locked until another worker declares this one
/// dead, a minute or more later. Running jobs have had `drain_timeout` to finish, and
/// every job is idempotent, so one cut off at the deadline may safely run again.
async fn release_unstarted(db: &Db, workers: &[String]) -> Result<u64> {
    let workers = serde_json::to_string(workers).unwrap_or_default();
    let n = match db {
        Db::Sqlite(p, _) => sqlx::query(
            "update Jobs set status = 'Pending', lock_by = null, lock_at = null
              where status in ('Running', 'Queued')
                and lock_by in (select value from json_each($1))",
        )
        .bind(workers)
        .execute(p)
        .await?
        .rows_affected(),
        Db::Postgres(p) => sqlx::query(
            "update apalis.jobs set status = 'Pending', lock_by = null, lock_at = null
              where status in ('Running', 'Queued')
                and lock_by in (select jsonb_array_elements_text($1::jsonb))",
        )
        .bind(workers)
        .execute(p)
        .await?
        .rows_affected(),
    };
    Ok(n)
}

/// Queues a dead letter's job again, by its queue name. Every job type is listed here
/// and in [`run_workers`].
pub async fn replay(engine: &Engine, tx: &mut Tx, queue: &str, payload: &str) -> Result<()> {
    fn parse<J: Job>(payload: &str) -> Result<J> {
        serde_json::from_str(payload)
            .map_err(|e| Error::Internal(format!("dead letter payload: {e}")))
    }
    match queue {
        crate::inbound::RouteInbound::QUEUE => {
            parse::<crate::inbound::RouteInbound>(payload)?
                .replay(engine, tx)
                .await
        }
        crate::deliveries::SendMessage::QUEUE => {
            parse::<crate::deliveries::SendMessage>(payload)?
                .replay(engine, tx)
                .await
        }
        crate::numbers::pool::ReleaseIdlePool::QUEUE => {
            parse::<crate::numbers::pool::ReleaseIdlePool>(payload)?
                .replay(engine, tx)
                .await
        }
        RunAutomation::QUEUE => parse::<RunAutomation>(payload)?.replay(engine, tx).await,
        AutomationTick::QUEUE => parse::<AutomationTick>(payload)?.replay(engine, tx).await,
        RunCampaign::QUEUE => parse::<RunCampaign>(payload)?.replay(engine, tx).await,
        other => Err(Error::Conflict(
            format!("jobs of queue `{other}` cannot be replayed").into(),
        )),
    }
}

/// Jobs not yet finished: running, or waiting and due within the next 10 seconds
/// (retries in backoff and paced sends count; tomorrow's daily run does not, until it
/// is about to run), across every queue. The automation ticker's next tick is a clock,
/// not work, and counts only while it runs. Tests wait for this to reach zero instead of
/// sleeping; the window stays well inside their 30 s wait.
pub async fn unfinished(db: &Db) -> Result<i64> {
    let n: i64 = match db {
        Db::Sqlite(p, _) => {
            sqlx::query_scalar(
                "select count(*) from Jobs where status = 'Running'
                    or (status in ('Pending', 'Queued') and run_at <= strftime('%s', 'now') + 10
                        and job_type <> 'automation-tick')",
            )
            .fetch_one(p)
            .await?
        }
        Db::Postgres(p) => {
            sqlx::query_scalar(
                "select count(*) from apalis.jobs where status = 'Running'
                    or (status in ('Pending', 'Queued') and run_at <= now() + interval '10 seconds'
                        and job_type <> 'automation-tick')",
            )
            .fetch_one(p)
            .await?
        }
    };
    Ok(n)
}

/// One queue's state, for the ops page.
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueHealth {
    pub queue: String,
    /// Due now and not yet taken.
    pub waiting: i64,
    /// Due later (retries in backoff, paced sends).
    pub scheduled: i64,
    pub running: i64,
    /// How long the oldest due job has waited, in seconds.
    pub oldest_waiting_secs: Option<i64>,
}

/// Every queue's depth and oldest waiting job, across the install (the queue is shared).
pub async fn queue_health(db: &Db) -> Result<Vec<QueueHealth>> {
    type Row = (String, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    let rows: Vec<Row> = match db {
        Db::Sqlite(p, _) => sqlx::query_as(
            "select job_type,
                    cast(sum(case when status in ('Pending', 'Queued') and run_at <= strftime('%s', 'now') then 1 else 0 end) as bigint),
                    cast(sum(case when status in ('Pending', 'Queued') and run_at > strftime('%s', 'now') then 1 else 0 end) as bigint),
                    cast(sum(case when status = 'Running' then 1 else 0 end) as bigint),
                    cast(strftime('%s', 'now') - min(case when status in ('Pending', 'Queued') and run_at <= strftime('%s', 'now') then run_at end) as bigint)
               from Jobs where status in ('Pending', 'Queued', 'Running') group by job_type order by job_type",
        )
        .fetch_all(p)
        .await?,
        Db::Postgres(p) => sqlx::query_as(
            "select job_type,
                    count(*) filter (where status in ('Pending', 'Queued') and run_at <= now()),
                    count(*) filter (where status in ('Pending', 'Queued') and run_at > now()),
                    count(*) filter (where status = 'Running'),
                    cast(extract(epoch from now() - min(run_at) filter (where status in ('Pending', 'Queued') and run_at <= now())) as bigint)
               from apalis.jobs where status in ('Pending', 'Queued', 'Running') group by job_type order by job_type",
        )
        .fetch_all(p)
        .await?,
    };
    let mut queues: Vec<QueueHealth> = QUEUES
        .iter()
        .map(|q| QueueHealth {
            queue: (*q).to_owned(),
            ..QueueHealth::default()
        })
        .collect();
    for (queue, waiting, scheduled, running, oldest) in rows {
        let entry = match queues.iter_mut().find(|q| q.queue == queue) {
            Some(e) => e,
            None => {
                queues.push(QueueHealth {
                    queue: queue.clone(),
                    ..QueueHealth::default()
                });
                queues.last_mut().expect("just pushed")
            }
        };
        entry.waiting = waiting.unwrap_or(0);
        entry.scheduled = scheduled.unwrap_or(0);
        entry.running = running.unwrap_or(0);
        entry.oldest_waiting_secs = oldest.map(|s| s.max(0));
    }
    Ok(queues)
}

/// Deletes finished jobs from apalis's table. Our own tables keep what matters (dead
/// letters, deliveries, decisions); the queue keeps only work. It matters for speed, not
/// just space: apalis's SQLite acknowledgement joins every row its worker ever locked
/// (`lock_by` stays set on finished rows), so without pruning each ack costs more than
/// the last. Failed rows (already dead letters) go after an hour.
pub async fn prune_finished(db: &Db) -> Result<u64> {
    let turn = db.write_turn().await;
    let n = match db {
        Db::Sqlite(p, _) => sqlx::query(
            "delete from Jobs where status = 'Done'
                or (status in ('Failed', 'Killed') and done_at < strftime('%s', 'now') - 3600)",
        )
        .execute(p)
        .await?
        .rows_affected(),
        Db::Postgres(p) => sqlx::query(
            "delete from apalis.jobs where status = 'Done'
                or (status in ('Failed', 'Killed') and done_at < now() - interval '1 hour')",
        )
        .execute(p)
        .await?
        .rows_affected(),
    };
    drop(turn);
    Ok(n)
}
