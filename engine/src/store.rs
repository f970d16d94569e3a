//! The one handle to the database: SQLite (embedded default) or PostgreSQL (scale-out),
//! chosen by the URL alone.
//!
//! Every query is written once, in the dialect both databases share (`$1` placeholders,
//! `returning`, `on conflict`), and the [`db!`] / [`tx!`] macros expand it for each
//! concrete pool. Concrete pools, not `sqlx::Any`, because apalis enqueues jobs through
//! a transaction of its own database type: that is what lets a job be enqueued in the
//! same transaction as the rows it acts on.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    PgPool, Postgres, Sqlite, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::{Error, Result};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

/// SQLite has one writer. Writers of this process queue here, in order, instead of
/// colliding on the file lock, where SQLite's busy handler backs off in sleeps of up to
/// 100 ms and turns contention into long tail latencies. Other processes still meet at
/// the file lock, under the busy timeout.
///
/// Urgent writers (a webhook whose sender waits for the answer) go before the rest (jobs,
/// which lose nothing by waiting a moment): a writer that is not urgent waits while any
/// urgent one does, and gives its turn back if one arrived while it queued.
#[derive(Clone, Debug, Default)]
pub struct WriteGate(Arc<Gate>);

#[derive(Debug, Default)]
struct Gate {
    turn: Arc<tokio::sync::Mutex<()>>,
    urgent: std::sync::atomic::AtomicUsize,
    no_urgent: tokio::sync::Notify,
}

struct UrgentWaiting<'a>(&'a Gate);

impl Drop for UrgentWaiting<'_> {
    fn drop(&mut self) {
        if self
            .0
            .urgent
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            == 1
        {
            self.0.no_urgent.notify_waiters();
        }
    }
}

impl WriteGate {
    async fn turn(&self, urgent: bool) -> tokio::sync::OwnedMutexGuard<()> {
        use std::sync::atomic::Ordering::SeqCst;
        let gate = &self.0;
        if urgent {
            gate.urgent.fetch_add(1, SeqCst);
            // Counted until it has its turn, or stops waiting for it.
            let _waiting = UrgentWaiting(gate);
            return gate.turn.clone().lock_owned().await;
        }
        loop {
            let no_urgent = gate.no_urgent.notified();
            tokio::pin!(no_urgent);
            no_urgent.as_mut().enable();
            if gate.urgent.load(SeqCst) == 0 {
                let turn = gate.turn.clone().lock_owned().await;
                if gate.urgent.load(SeqCst) == 0 {
                    return turn;
                }
            }
            no_urgent.await;
        }
    }
}

/// A transaction on either database. Dropped without `commit` it rolls back. It keeps
/// the queues it put jobs on, to wake their workers once it commits.
pub enum Tx {
    Sqlite(
        sqlx::Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
        WakeOnCommit,
    ),
    Postgres(sqlx::Transaction<'static, Postgres>, WakeOnCommit),
}

/// The queues a transaction has put jobs on.
#[derive(Debug, Default)]
pub struct WakeOnCommit(Vec<&'static str>);

impl WakeOnCommit {
    pub(crate) fn add(&mut self, queue: &'static str) {
        if !self.0.contains(&queue) {
            self.0.push(queue);
        }
    }
}

/// Runs `$body` with `$c` bound to the pool of whichever database `$db` is.
#[macro_export]
macro_rules! db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($c, _) => $body,
            $crate::store::Db::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of the transaction `$tx`.
#[macro_export]
macro_rules! tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t, ..) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t, _) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Copies the write-ahead log into the database file every `CHECKPOINT_EVERY`, until the
/// pool is closed.
///
/// Left to SQLite, the commit that fills the log to 1,000 pages copies it back and
/// syncs the file itself, and the writers queued behind it wait: those are the slowest
/// webhook acknowledgements under load (p99 at 500 requests/s went from 96 ms to 15 ms
/// with checkpoints here). A passive checkpoint takes no write lock, so on its own
/// connection it runs beside the writers.
async fn checkpoint(pool: SqlitePool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        every.tick().await;
        if let Err(e) = sqlx::query("pragma wal_checkpoint(passive)")
            .execute(&pool)
            .await
            && !pool.is_closed()
        {
            tracing::warn!(error = %e, "could not checkpoint the database's log");
        }
    }
}

const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Db {
    /// Connects without migrating. SQLite files (and their folder) are created on first use.
    pub async fn connect(url: &str) -> Result<Self> {
        if is_postgres_url(url) {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Self::Postgres(pool));
        }
        if !url.starts_with("sqlite:") {
            return Err(Error::invalid(
                "DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid("DATABASE_URL", e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL with WAL: a commit survives a process crash; only an OS crash or
            // power cut can lose the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(15))
            // Room for every query the app makes, prepared once per connection.
            .statement_cache_capacity(1024)
            // Checkpoints run in the background (see `checkpoint`), not in whichever
            // commit fills the log: this is only the backstop, should they fall behind.
            .pragma("wal_autocheckpoint", "10000")
            .pragma("journal_size_limit", "67108864")
            .foreign_keys(true);
        if let Some(dir) = options
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::invalid(
                    "DATABASE_URL",
                    format!("cannot create {}: {e}", dir.display()),
                )
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // An embedded database cannot hang up: no ping (a round trip to the
            // connection's thread) before every query.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await?;
        tokio::spawn(checkpoint(pool.clone()));
        Ok(Self::Sqlite(pool, WriteGate::default()))
    }

    /// Applies our migrations and apalis's (kept in their own history table so the two
    /// never clash). Forward-only and idempotent.
    pub async fn migrate(&self) -> Result<()> {
        let migrate_err =
            |e: sqlx::migrate::MigrateError| Error::Internal(format!("migration failed: {e}"));
        match self {
            Self::Sqlite(pool, _) => {
                sqlx::migrate!("../migrations/sqlite")
                    .run(pool)
                    .await
                    .map_err(migrate_err)?;
                let mut jobs = apalis_sqlite::SqliteStorage::<()>::migrations();
                jobs.dangerous_set_table_name("_apalis_migrations");
                jobs.run(pool).await.map_err(migrate_err)?;
            }
            Self::Postgres(pool) => {
                sqlx::migrate!("../migrations/postgres")
                    .run(pool)
                    .await
                    .map_err(migrate_err)?;
                let mut jobs = apalis_postgres::PostgresStorage::<()>::migrations();
                jobs.dangerous_set_table_name("_apalis_migrations");
                jobs.run(pool).await.map_err(migrate_err)?;
            }
        }
        Ok(())
    }

    /// Starts a write transaction. Never start a second one while holding one: on SQLite
    /// writers take turns (see [`WriteGate`]), so the second would wait for the first
    /// forever. On SQLite it also takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
    /// "database is locked" instead of waiting when another writer got there first.
    pub async fn begin(&self) -> Result<Tx> {
        self.begin_turn(false).await
    }

    /// Starts a write transaction someone is waiting on (a webhook's sender): on SQLite
    /// it goes before the writers that are not urgent (see [`WriteGate`]).
    pub async fn begin_urgent(&self) -> Result<Tx> {
        self.begin_turn(true).await
    }

    async fn begin_turn(&self, urgent: bool) -> Result<Tx> {
        Ok(match self {
            Self::Sqlite(p, gate) => {
                let turn = gate.turn(urgent).await;
                Tx::Sqlite(
                    p.begin_with("BEGIN IMMEDIATE").await?,
                    turn,
                    WakeOnCommit::default(),
                )
            }
            Self::Postgres(p) => Tx::Postgres(p.begin().await?, WakeOnCommit::default()),
        })
    }

    /// Waits for this process's turn to write, for a single-statement write on the pool
    /// (no `begin`/`commit` round trips): hold the guard while the statement runs. On
    /// PostgreSQL there is nothing to wait for.
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self {
            Self::Sqlite(_, gate) => Some(gate.turn(false).await),
            Self::Postgres(_) => None,
        }
    }

    pub async fn ping(&self) -> Result<()> {
        db!(self, c => sqlx::query("select 1").execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite(..) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        db!(self, c => c.close().await);
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        let wake = match self {
            Self::Sqlite(t, turn, wake) => {
                t.commit().await?;
                drop(turn);
                wake
            }
            Self::Postgres(t, wake) => {
                t.commit().await?;
                wake
            }
        };
        for queue in wake.0 {
            crate::jobs::ring(queue);
        }
        Ok(())
    }
}
