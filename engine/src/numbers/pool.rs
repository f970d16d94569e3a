//! The pool, as the seeds' Model A has it: a pool number is lent to one client's
//! conversation and stays with it until the conversation has been quiet for the org's
//! release period (30 days unless the owner changes it). A daily job then takes the
//! number back into the pool; a later text from that client reaches the owner inbox as
//! unmapped, never the old conversation's sitter.
//!
//! Fewer free pool numbers than the org's low-water mark (1 unless changed) raise a
//! warning alert, checked in the same transaction as every change to the pool; the alert
//! resolves itself once enough numbers are free again.
//!
//! The daily job is one task per UTC day, keyed by the date, so however many processes
//! schedule it, it runs once. Each run queues the next day's first; workers queue the
//! next run when they start, so the chain survives a failed run.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{
    Db, Engine, Error, Result, Tx,
    accounts::OwnerScope,
    alerts::{self, NewAlert, Severity},
    audit::{self, Actor},
    clock::{DAY, Millis},
    db,
    jobs::Job,
    phone::redact,
    tx,
};

pub const DEFAULT_RELEASE_DAYS: i32 = 30;
pub const DEFAULT_LOW_WATER: i32 = 1;
const LOW_KEY: &str = "numbers.pool_low";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolSettings {
    /// A lent pool number goes back to the pool after its conversation has been quiet
    /// this many days (1 to 365).
    pub release_after_days: i32,
    /// Fewer free pool numbers than this raise a warning (0 turns the warning off).
    pub low_water: i32,
}

/// The org's pool: its settings and how many numbers are lent and free.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolState {
    pub release_after_days: i32,
    pub low_water: i32,
    /// Active pool numbers.
    pub active: i64,
    /// Active pool numbers lent to nobody.
    pub free: i64,
    /// Active pool numbers lent to a conversation.
    pub lent: i64,
    /// Fewer free than the low-water mark.
    pub low: bool,
}

pub async fn state(db: &Db, org_id: &str) -> Result<PoolState> {
    let (release_after_days, low_water): (i32, i32) = db!(db, c => sqlx::query_as(
        "select pool_release_days, pool_low_water from org where org_id = $1")
        .bind(org_id).fetch_optional(c).await)?
    .ok_or(Error::NotFound("org"))?;
    let (active, free): (i64, i64) =
        db!(db, c => sqlx::query_as(COUNTS).bind(org_id).fetch_one(c).await)?;
    Ok(PoolState {
        release_after_days,
        low_water,
        active,
        free,
        lent: active - free,
        low: free < i64::from(low_water),
    })
}

const COUNTS: &str = "select cast(count(*) as bigint),
        cast(coalesce(sum(case when assigned_thread_id is null then 1 else 0 end), 0) as bigint)
   from number where org_id = $1 and class = 'pool' and status = 'active'";

/// Changes the org's pool settings, audited; the low-water alert follows at once.
pub async fn configure(
    engine: &Engine,
    scope: &OwnerScope,
    wanted: &PoolSettings,
) -> Result<PoolState> {
    if !(1..=365).contains(&wanted.release_after_days) {
        return Err(Error::invalid(
            "releaseAfterDays",
            "must be from 1 to 365 days",
        ));
    }
    if !(0..=100).contains(&wanted.low_water) {
        return Err(Error::invalid("lowWater", "must be from 0 to 100"));
    }
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    tx!(&mut tx, c => sqlx::query("update org set pool_release_days = $2, pool_low_water = $3 where org_id = $1")
        .bind(&scope.org_id).bind(wanted.release_after_days).bind(wanted.low_water)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "numbers.pool_settings_changed",
        Some(("org", &scope.org_id)),
        &serde_json::to_value(wanted).unwrap_or_default(),
        now,
    )
    .await?;
    check_low_water(&mut tx, &scope.org_id, now).await?;
    tx.commit().await?;
    state(&engine.db, &scope.org_id).await
}

/// Raises the low-pool warning when fewer numbers are free than the mark (once: while
/// it is open it is not raised again), or resolves it when enough are free.
pub async fn check_low_water(tx: &mut Tx, org_id: &str, now: Millis) -> Result<()> {
    let (_, free): (i64, i64) =
        tx!(tx, c => sqlx::query_as(COUNTS).bind(org_id).fetch_one(c).await)?;
    let mark: i32 = tx!(tx, c => sqlx::query_scalar("select pool_low_water from org where org_id = $1")
        .bind(org_id).fetch_one(c).await)?;
    if free >= i64::from(mark) {
        return alerts::resolve_key(
            tx,
            org_id,
            LOW_KEY,
            "Enough pool numbers are free again.",
            now,
        )
        .await;
    }
    let open: Option<i64> = tx!(tx, c => sqlx::query_scalar(
        "select cast(1 as bigint) from alert where org_id = $1 and dedupe_key = $2 and status = 'open'")
        .bind(org_id).bind(LOW_KEY).fetch_optional(c).await)?;
    if open.is_some() {
        return Ok(());
    }
    let description = format!(
        "{free} pool number{} free; the low-water mark is {mark}. New clients cannot be given a number of their own: buy or import pool numbers on the Numbers page.",
        if free == 1 { " is" } else { "s are" }
    );
    alerts::raise(
        tx,
        org_id,
        NewAlert {
            severity: Severity::Warning,
            kind: LOW_KEY,
            title: "Pool Numbers Running Low",
            description: &description,
            entity: Some(("org", org_id)),
            dedupe_key: LOW_KEY.to_owned(),
        },
        now,
    )
    .await
}

/// The daily run that takes idle pool numbers back, for one UTC day (days since the epoch).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReleaseIdlePool {
    pub day: i64,
}

impl Job for ReleaseIdlePool {
    const QUEUE: &'static str = "pool-release";
    const NAME: &'static str = "release-idle-pool-numbers";

    fn org_id(&self) -> Option<&str> {
        None
    }

    async fn run(&self, engine: &Engine) -> Result<()> {
        schedule(engine, self.day + 1).await?;
        let released = release_idle(engine).await?;
        tracing::info!(day = %date(self.day), released, "idle pool numbers released");
        Ok(())
    }
}

fn date(day: i64) -> String {
    crate::clock::to_datetime(day * DAY)
        .format("%Y-%m-%d")
        .to_string()
}

/// Queues the run for `day`, at its start (now, if that has passed); a second call for
/// the same day does nothing.
async fn schedule(engine: &Engine, day: i64) -> Result<()> {
    let delay = (day * DAY - engine.clock.now()).max(0);
    let key = format!("{}:{}", ReleaseIdlePool::QUEUE, date(day));
    let mut tx = engine.db.begin().await?;
    tx.enqueue_later(
        &ReleaseIdlePool { day },
        Duration::from_millis(delay as u64),
        Some(&key),
    )
    .await?;
    tx.commit().await
}

/// Queues tomorrow's run (the workers call this when they start).
pub async fn schedule_next(engine: &Engine) -> Result<()> {
    schedule(engine, engine.clock.now() / DAY + 1).await
}

/// Queues today's run to go now, if it has not been queued today.
pub async fn run_today(engine: &Engine) -> Result<()> {
    schedule(engine, engine.clock.now() / DAY).await
}

#[derive(sqlx::FromRow)]
struct Idle {
    number_id: String,
    org_id: String,
    e164: String,
    assigned_thread_id: String,
    last_activity_at: Millis,
}

/// Takes every pool number whose conversation has been quiet for its org's release
/// period back into the pool, one transaction per org, audited. Returns how many.
pub async fn release_idle(engine: &Engine) -> Result<usize> {
    let now = engine.clock.now();
    let idle: Vec<Idle> = db!(&engine.db, c => sqlx::query_as(
        "select n.number_id, n.org_id, n.e164, n.assigned_thread_id, t.last_activity_at
           from number n
           join thread t on t.thread_id = n.assigned_thread_id
           join org o on o.org_id = n.org_id
          where n.class = 'pool' and t.last_activity_at + cast(o.pool_release_days as bigint) * 86400000 <= $1
          order by n.org_id, n.number_id")
        .bind(now).fetch_all(c).await)?;
    let mut released = 0;
    for chunk in idle.chunk_by(|a, b| a.org_id == b.org_id) {
        let org_id = &chunk[0].org_id;
        let mut tx = engine.db.begin().await?;
        for n in chunk {
            // Still lent to the same quiet thread: a text may have arrived meanwhile.
            let changed = tx!(&mut tx, c => sqlx::query(
                "update number set assigned_thread_id = null
                  where number_id = $1 and assigned_thread_id = $2
                    and (select last_activity_at from thread where thread_id = $2) = $3")
                .bind(&n.number_id).bind(&n.assigned_thread_id).bind(n.last_activity_at)
                .execute(c).await.map(|r| r.rows_affected()))?;
            if changed == 0 {
                continue;
            }
            let payload = serde_json::json!({
                "e164": redact(&n.e164),
                "threadId": n.assigned_thread_id,
                "idleDays": (now - n.last_activity_at) / DAY,
            });
            audit::record(
                &mut tx,
                org_id,
                Actor::System,
                "number.pool_released",
                Some(("number", &n.number_id)),
                &payload,
                now,
            )
            .await?;
            released += 1;
        }
        check_low_water(&mut tx, org_id, now).await?;
        tx.commit().await?;
    }
    Ok(released)
}
