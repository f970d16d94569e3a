//! apalis's SQLite storage, writing in this process's turn.
//!
//! apalis-sqlite's own storage writes (it claims a batch, marks jobs running, records
//! their results, beats its heart) in transactions straight on the pool. SQLite has one
//! writer, and this process's writers take turns ([`crate::store::WriteGate`]); a writer
//! outside the turns meets the file lock instead, where SQLite's busy handler sleeps
//! 1, 2, 5, 10… ms between tries. Under load the turns follow each other so closely that
//! apalis's writes found the lock free only after sleeping some 20 ms each, and the jobs
//! starved while the database sat idle between them. This storage is apalis's, with its
//! queries and its table, but each of its writes waits for its turn like any other.

use std::{
    marker::PhantomData,
    task::{Context, Poll},
};

use apalis_core::{
    backend::{
        Backend, BackendConfig, WireFormatBackend, WorkerFilter,
        finalize::Durable,
        persistence::{Persisted, Persistence, TaskEvent, TaskPersistLayer},
    },
    task::Task,
    worker::context::WorkerContext,
};
use apalis_sqlite::{Config, Error, JsonCodec, queries};
use serde_json::Value;
use sqlx::SqlitePool;

use crate::store::Db;

/// A queue's jobs on SQLite, for an apalis worker.
#[derive(Debug)]
pub(super) struct Storage<Args> {
    persistence: Persisted<Turns>,
    codec: JsonCodec<Vec<u8>>,
    args: PhantomData<Args>,
}

impl<Args> Storage<Args> {
    /// `db` must be SQLite: its pool and its writers' turns are the storage's.
    pub(super) fn new(db: &Db, config: Config) -> Self {
        let Db::Sqlite(pool, _) = db else {
            unreachable!("the SQLite job storage is only made for SQLite");
        };
        Self {
            persistence: Persisted::new(Turns {
                db: db.clone(),
                pool: pool.clone(),
                config,
            }),
            codec: JsonCodec::default(),
            args: PhantomData,
        }
    }
}

/// apalis's writes, each in its turn.
#[derive(Clone, Debug)]
struct Turns {
    db: Db,
    pool: SqlitePool,
    config: Config,
}

impl Turns {
    /// A transaction in this process's write turn; the turn is held until both drop
    /// (the transaction first).
    async fn begin(
        &self,
    ) -> Result<
        (
            Option<tokio::sync::OwnedMutexGuard<()>>,
            sqlx::Transaction<'static, sqlx::Sqlite>,
        ),
        Error,
    > {
        let turn = self.db.write_turn().await;
        Ok((turn, self.pool.begin().await?))
    }
}

impl Persistence for Turns {
    type Compact = Vec<u8>;
    type Error = Error;
    type Response = Value;

    async fn register(&mut self, worker: &WorkerContext) -> Result<(), Error> {
        let dead_for = self.config.heartbeat_interval.as_secs() as i64;
        let only = WorkerFilter::Only(worker.name().to_owned());
        let (_turn, mut tx) = self.begin().await?;
        queries::reenqueue_orphaned(&mut *tx, dead_for, self.config.queue.as_ref(), &only).await?;
        queries::register_worker(&mut *tx, &self.config, worker, "SqliteStorage").await?;
        tx.commit().await?;
        Ok(())
    }

    async fn heartbeat(&mut self, worker: &WorkerContext) -> Result<(), Error> {
        let dead_for = self.config.orphaned_duration().as_secs() as i64;
        let others = WorkerFilter::AllExcept(worker.name().to_owned());
        let (_turn, mut tx) = self.begin().await?;
        queries::keep_alive(&mut *tx, &self.config, worker).await?;
        queries::reenqueue_orphaned(&mut *tx, dead_for, self.config.queue.as_ref(), &others)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fetch_next(&mut self, worker: &WorkerContext) -> Result<Vec<Task<Vec<u8>>>, Error> {
        let (_turn, mut tx) = self.begin().await?;
        let tasks = queries::fetch_next(&mut *tx, &self.config, worker).await?;
        tx.commit().await?;
        Ok(tasks)
    }

    async fn handle_events(
        &mut self,
        events: Vec<TaskEvent<Value>>,
        worker: &WorkerContext,
    ) -> Result<(), Error> {
        let mut locked = Vec::new();
        let mut finished = Vec::new();
        for event in &events {
            match event {
                TaskEvent::Lock { task_id, .. } => locked.push(task_id.to_string()),
                TaskEvent::Complete(result) => finished.push(result),
                _ => {}
            }
        }
        if locked.is_empty() && finished.is_empty() {
            return Ok(());
        }
        let (_turn, mut tx) = self.begin().await?;
        if !locked.is_empty() {
            queries::lock_tasks(&mut *tx, &locked, worker.name()).await?;
        }
        if !finished.is_empty() {
            ack(&mut tx, &finished, worker.name()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reenqueue_abandoned(
        &mut self,
        tasks: Vec<Task<Vec<u8>>>,
        worker: &WorkerContext,
    ) -> Result<u64, Error> {
        let ids = tasks
            .iter()
            .filter_map(|t| t.task_id().map(ToString::to_string))
            .collect();
        let (_turn, mut tx) = self.begin().await?;
        let count =
            queries::reenqueue_abandoned(&mut *tx, self.config.queue.as_ref(), worker.name(), &ids)
                .await?;
        if count as usize != tasks.len() {
            return Err(Error::ReenqueueMismatch {
                queued: tasks.len(),
                abandoned: count as usize,
            });
        }
        tx.commit().await?;
        Ok(count)
    }

    async fn push_tasks(&mut self, tasks: Vec<Task<Vec<u8>>>) -> Result<(), Error> {
        let (_turn, mut tx) = self.begin().await?;
        queries::push_tasks(&mut *tx, self.config.queue.as_ref(), &tasks).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Records finished jobs' results: apalis's `ack_tasks`, planned to look each job up by
/// its id. apalis's own query walks every row the worker ever locked and, for each,
/// the whole batch: 70 ms for a batch of 50 once a worker has run 3,000 jobs, against
/// 0.3 ms here.
async fn ack(
    tx: &mut sqlx::SqliteConnection,
    finished: &[&queries::AckPayload],
    worker: &str,
) -> Result<(), Error> {
    let finished = serde_json::to_string(finished).map_err(Error::JsonError)?;
    sqlx::query(
        "with j as (
             select value ->> 'task_id' as task_id, value ->> 'attempt' as attempt,
                    value ->> 'result' as result, value ->> 'status' as status
               from json_each($1))
         update Jobs set status = j.status, attempts = j.attempt, last_result = j.result,
                done_at = strftime('%s', 'now')
           from j where Jobs.id = j.task_id and +Jobs.lock_by = $2",
    )
    .bind(finished)
    .bind(worker)
    .execute(tx)
    .await?;
    Ok(())
}

impl<Args> Backend for Storage<Args> {
    type Task = Task<Vec<u8>>;
    type Error = Error;

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), Error>> {
        let heartbeat = self.persistence.config.heartbeat_interval;
        self.persistence.poll_ready(cx, worker, heartbeat)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Task<Vec<u8>>, Error>>> {
        self.persistence.poll_next(cx, worker)
    }

    fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), Error>> {
        self.persistence.poll_close(cx, worker)
    }
}

impl<Args> BackendConfig for Storage<Args> {
    type Args = Args;
    type Id = ulid::Ulid;
    type Kind = Durable;
    type Config = Config;
    type Layer = TaskPersistLayer<JsonCodec<Value>, Value>;

    fn config(&self) -> &Config {
        &self.persistence.config
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> Self::Layer {
        let config = self.persistence.config.clone();
        self.persistence
            .layer(JsonCodec::default(), config.batch_size)
            .persist_results(config.persist_results)
            .lock_tasks(config.lock_tasks)
    }
}

impl<Args> WireFormatBackend for Storage<Args> {
    type Codec = JsonCodec<Vec<u8>>;
    type Compact = Vec<u8>;

    fn codec(&self) -> &Self::Codec {
        &self.codec
    }
}
