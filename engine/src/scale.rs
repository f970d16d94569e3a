//! Data at scale for benchmarks (`switchboard bench reminders`): orgs, clients and
//! bookings written with multi-row inserts in big transactions, far faster than the
//! API's one-at-a-time path. Not for real data: no audit, no events, no windows.

use crate::{
    Db, Result,
    clock::{DAY, HOUR, MINUTE, Millis},
    db, ids, tx,
};

/// How much to seed.
#[derive(Clone, Debug)]
pub struct Shape {
    pub orgs: usize,
    /// Clients per org (every twentieth a lead of the last month).
    pub clients: usize,
    /// Bookings per org, evenly over the 180 days behind and ahead of now: past ones
    /// completed (one in ten cancelled), future ones mostly scheduled, some confirmed,
    /// cancelled or waiting for a new time.
    pub bookings: usize,
}

/// Rows per insert statement.
const CHUNK: usize = 1000;
/// Orgs per transaction.
const ORGS_PER_TX: usize = 10;

const PAST: [&str; 10] = [
    "completed",
    "completed",
    "completed",
    "completed",
    "completed",
    "completed",
    "completed",
    "completed",
    "completed",
    "cancelled",
];
const FUTURE: [&str; 11] = [
    "scheduled",
    "scheduled",
    "scheduled",
    "scheduled",
    "scheduled",
    "scheduled",
    "scheduled",
    "confirmed",
    "confirmed",
    "cancelled",
    "pending_reschedule",
];

async fn exec(tx: &mut crate::Tx, sql: String) -> Result<()> {
    tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Seeds `shape` around `now`, then gathers the planner's statistics (as a database
/// that has been running a while would have them).
pub async fn seed(db: &Db, shape: &Shape, now: Millis) -> Result<()> {
    let span = 360 * DAY;
    let orgs: Vec<usize> = (0..shape.orgs).collect();
    for batch in orgs.chunks(ORGS_PER_TX) {
        let mut tx = db.begin().await?;
        for &o in batch {
            // Every value below is ours (ids, digits, fixed words): nothing to quote.
            let org_id = ids::new_id();
            exec(
                &mut tx,
                format!(
                    "insert into org (org_id, name, created_at) values ('{org_id}', 'Bench Org {o}', {now})"
                ),
            )
            .await?;
            let clients: Vec<String> = (0..shape.clients).map(|_| ids::new_id()).collect();
            for (k, chunk) in clients.chunks(CHUNK).enumerate() {
                let rows: Vec<String> = chunk
                    .iter()
                    .enumerate()
                    .map(|(j, id)| {
                        let n = k * CHUNK + j;
                        let lead = if n.is_multiple_of(20) {
                            format!("'website', {}", now - (n as i64 % 30) * DAY)
                        } else {
                            "null, null".to_owned()
                        };
                        format!(
                            "('{id}', '{org_id}', 'Client {n}', '+1555{:04}{:04}', {}, {lead})",
                            o % 10_000,
                            n % 10_000,
                            now - 400 * DAY
                        )
                    })
                    .collect();
                exec(
                    &mut tx,
                    format!(
                        "insert into client (client_id, org_id, name, phone_e164, created_at, lead_source, lead_at) values {}",
                        rows.join(", ")
                    ),
                )
                .await?;
            }
            if clients.is_empty() {
                continue;
            }
            for first in (0..shape.bookings).step_by(CHUNK) {
                let rows: Vec<String> = (first..(first + CHUNK).min(shape.bookings))
                    .map(|i| {
                        let at = now - span / 2
                            + (i as i64 * span) / shape.bookings as i64
                            + (o as i64 % 60) * MINUTE;
                        let status = if at < now {
                            PAST[i % PAST.len()]
                        } else {
                            FUTURE[i % FUTURE.len()]
                        };
                        let client = &clients[(i * 7919) % clients.len()];
                        format!(
                            "('{}', '{org_id}', '{client}', 'dog_walk', {at}, {}, '{status}', false, {})",
                            ids::new_id(),
                            at + HOUR,
                            now - 400 * DAY
                        )
                    })
                    .collect();
                exec(
                    &mut tx,
                    format!(
                        "insert into booking (booking_id, org_id, client_id, service_type, start_at, end_at, status, recurring, created_at) values {}",
                        rows.join(", ")
                    ),
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    db!(db, c => sqlx::query("analyze").execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Orgs and bookings in the database.
pub async fn size(db: &Db) -> Result<(i64, i64)> {
    Ok(db!(db, c => sqlx::query_as(
        "select (select count(*) from org), (select count(*) from booking)").fetch_one(c).await)?)
}

/// How the database runs `sql` (its first six `$n` bound to sample values of the
/// eligibility query's types): SQLite's query plan, or PostgreSQL's.
pub async fn plan(db: &Db, sql: &str) -> Result<String> {
    let lines: Vec<String> = match db {
        Db::Sqlite(pool, _) => {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("explain query plan {sql}")))
                    .bind("x")
                    .bind(0_i64)
                    .bind(0_i64)
                    .bind(0_i64)
                    .bind("")
                    .bind(1_i64)
                    .fetch_all(pool)
                    .await?;
            rows.into_iter().map(|r| r.3).collect()
        }
        Db::Postgres(pool) => {
            let rows: Vec<(String,)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("explain {sql}")))
                    .bind("x")
                    .bind(0_i64)
                    .bind(0_i64)
                    .bind(0_i64)
                    .bind("")
                    .bind(1_i64)
                    .fetch_all(pool)
                    .await?;
            rows.into_iter().map(|r| r.0.trim().to_owned()).collect()
        }
    };
    Ok(lines.join(" | "))
}
