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
/// 100 ms and turns contention into long tail latencies. Other processes (and apalis's
/// own queue writes) still meet at the file lock, under the busy timeout.
#[derive(Clone, Debug, Default)]
pub struct WriteGate(Arc<tokio::sync::Mutex<()>>);

/// A transaction on either database. Dropped without `commit` it rolls back. It keeps
/// the queues it put jobs on, to wake their workers once it commits.
pub enum Tx {
    Sqlite(
        sqlx::Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
        Queued,
    ),
    Postgres(sqlx::Transaction<'static, Postgres>, Queued),
}

/// The queues a transaction has put jobs on.
#[derive(Debug, Default)]
pub struct Queued(Vec<&'static str>);

impl Queued {
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
        Ok(match self {
            Self::Sqlite(p, gate) => {
                let turn = gate.0.clone().lock_owned().await;
                Tx::Sqlite(
                    p.begin_with("BEGIN IMMEDIATE").await?,
                    turn,
                    Queued::default(),
                )
            }
            Self::Postgres(p) => Tx::Postgres(p.begin().await?, Queued::default()),
        })
    }

    /// Waits for this process's turn to write, for a single-statement write on the pool
    /// (no `begin`/`commit` round trips): hold the guard while the statement runs. On
    /// PostgreSQL there is nothing to wait for.
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self {
            Self::Sqlite(_, gate) => Some(gate.0.clone().lock_owned().await),
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
        let queued = match self {
            Self::Sqlite(t, turn, queued) => {
                t.commit().await?;
                drop(turn);
                queued
            }
            Self::Postgres(t, queued) => {
                t.commit().await?;
                queued
            }
        };
        for queue in queued.0 {
            crate::jobs::ring(queue);
        }
        Ok(())
    }
}
