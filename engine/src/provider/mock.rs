//! The mock provider: a carrier simulated in our own database, so everything runs with no
//! account at all. Every text it "sends" is a `mock_message` row (visible across
//! processes, and how tests count what went out). It answers like Twilio: a refusal
//! (codes 2xxxx, such as 21610 or 20429) comes back from the send itself; a carrier
//! failure (30xxx) is accepted first and reported by a `failed` status callback.
//! Callbacks (`sent`, then `delivered` or `failed`) go through the same function as
//! Twilio's status webhook, once the attempt is recorded.
//!
//! An owner can make it misbehave (`POST /api/dev/mock/config`): fail the next N sends,
//! fail all of them, with a given error code, or answer slowly.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

use super::{OutboundSms, ProviderError, Sent};
use crate::{Clock, Db, Result, clock::Millis, db, deliveries::StatusUpdate, tx};

#[derive(Clone, Debug)]
pub struct Mock {
    db: Db,
    clock: Clock,
    /// Each org's settings, read at most once a second per process (a send must not pay a
    /// query for them); a change made through this process applies at once.
    cache: Arc<Mutex<HashMap<String, (MockConfig, Instant)>>>,
}

const CACHE_FOR: Duration = Duration::from_secs(1);

/// How the mock misbehaves, per org.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema,
)]
#[serde(rename_all = "camelCase", default)]
pub struct MockConfig {
    /// Fail this many of the next sends.
    pub fail_next: i32,
    /// The Twilio error code failures carry (default 30008, "unknown error", retryable).
    pub error_code: i32,
    /// Fail every send until turned off.
    pub fail_all: bool,
    /// Delay before each send answers, in milliseconds.
    pub latency_ms: i32,
}

const DEFAULT_ERROR: i32 = 30008;

/// A text the mock carried, as `GET /api/dev/mock/messages` lists it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MockMessage {
    pub sid: String,
    #[sqlx(rename = "to_e164")]
    pub to: String,
    #[sqlx(rename = "from_e164")]
    pub from: String,
    pub body: String,
    pub status: String,
    pub error_code: Option<i64>,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    pub created_at: Millis,
}

impl Mock {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self {
            db,
            clock,
            cache: Arc::default(),
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Changes how the mock misbehaves for an org.
    pub async fn set_config(
        &self,
        org_id: &str,
        wanted: &MockConfig,
        now: Millis,
    ) -> Result<MockConfig> {
        let stored = store_config(&self.db, org_id, wanted, now).await?;
        self.lock().remove(org_id);
        Ok(stored)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (MockConfig, Instant)>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn current(&self, org_id: &str) -> Result<MockConfig> {
        if let Some((config, at)) = self.lock().get(org_id)
            && at.elapsed() < CACHE_FOR
        {
            return Ok(config.clone());
        }
        let fresh = config(&self.db, org_id).await?;
        self.lock()
            .insert(org_id.to_owned(), (fresh.clone(), Instant::now()));
        Ok(fresh)
    }

    pub async fn send(&self, org_id: &str, sms: &OutboundSms) -> Result<Sent, ProviderError> {
        let unavailable = |e: crate::Error| {
            ProviderError::from_code(None, Some(503), format!("mock carrier unavailable: {e}"))
        };
        // A stale `failNext` costs nothing: using one up is a checked write.
        let config = self.current(org_id).await.map_err(unavailable)?;
        let fail = config.fail_all
            || (config.fail_next > 0 && self.take_failure(org_id).await.map_err(unavailable)?);
        let code = i64::from(if config.error_code == 0 {
            DEFAULT_ERROR
        } else {
            config.error_code
        });
        let sid = format!("SM{}", uuid::Uuid::now_v7().simple());
        // Refusals (2xxxx) come back from the API call; carrier errors (3xxxx) later.
        let refused = fail && code < 30000;
        let status = match (fail, refused) {
            (false, _) => "delivered",
            (true, true) => "refused",
            (true, false) => "failed",
        };
        let now = self.clock.now();
        // One statement, in this process's turn to write (on SQLite, queueing here beats
        // queueing at the file lock).
        let turn = self.db.write_turn().await;
        let recorded = db!(&self.db, c => sqlx::query(
            "insert into mock_message (sid, org_id, from_e164, to_e164, body, status, error_code, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&sid).bind(org_id).bind(&sms.from).bind(&sms.to).bind(&sms.body).bind(status)
            .bind(fail.then_some(code)).bind(now).execute(c).await.map(|r| r.rows_affected()));
        drop(turn);
        recorded.map_err(|e| unavailable(e.into()))?;
        if config.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(config.latency_ms as u64)).await;
        }
        if refused {
            let http = if code == 20429 { 429 } else { 400 };
            return Err(ProviderError::from_code(
                Some(code),
                Some(http),
                describe(code),
            ));
        }
        Ok(Sent {
            callbacks: callbacks(&sid, status, fail.then_some(code)),
            provider_message_id: sid,
            status: "queued".to_owned(),
        })
    }

    /// Uses up one of the `failNext` failures; false if another send took the last one.
    async fn take_failure(&self, org_id: &str) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let n = tx!(&mut tx, c => sqlx::query(
            "update mock_config set fail_next = fail_next - 1 where org_id = $1 and fail_next > 0")
            .bind(org_id).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(n == 1)
    }
}

/// The status callbacks of a text the mock carried to its end, `delivered` or `failed`:
/// `sent`, then that.
pub(crate) fn callbacks(sid: &str, status: &str, error_code: Option<i64>) -> Vec<StatusUpdate> {
    [("sent", None), (status, error_code)]
        .into_iter()
        .map(|(status, error_code)| StatusUpdate {
            provider_message_id: sid.to_owned(),
            status: status.to_owned(),
            error_code,
            error_message: error_code.map(describe),
        })
        .collect()
}

/// Plain words for the error codes the mock is usually told to use.
fn describe(code: i64) -> String {
    match code {
        21211 => "Invalid 'To' phone number".to_owned(),
        21610 => "Attempt to send to unsubscribed recipient".to_owned(),
        21614 => "'To' number is not a valid mobile number".to_owned(),
        20429 => "Too Many Requests".to_owned(),
        30003 => "Unreachable destination handset".to_owned(),
        30005 => "Unknown destination handset".to_owned(),
        30006 => "Landline or unreachable carrier".to_owned(),
        30007 => "Carrier violation (message filtered)".to_owned(),
        30008 => "Unknown error".to_owned(),
        other => format!("Mock failure {other}"),
    }
}

pub async fn config(db: &Db, org_id: &str) -> Result<MockConfig> {
    let row: Option<MockConfig> = db!(db, c => sqlx::query_as(
        "select fail_next, error_code, fail_all, latency_ms from mock_config where org_id = $1")
        .bind(org_id).fetch_optional(c).await)?;
    Ok(row.unwrap_or(MockConfig {
        error_code: DEFAULT_ERROR,
        ..MockConfig::default()
    }))
}

async fn store_config(
    db: &Db,
    org_id: &str,
    wanted: &MockConfig,
    now: Millis,
) -> Result<MockConfig> {
    if wanted.fail_next < 0 {
        return Err(crate::Error::invalid("failNext", "must be 0 or more"));
    }
    if !(0..=60_000).contains(&wanted.latency_ms) {
        return Err(crate::Error::invalid(
            "latencyMs",
            "must be from 0 to 60000",
        ));
    }
    if wanted.error_code != 0 && !(10000..=99999).contains(&wanted.error_code) {
        return Err(crate::Error::invalid(
            "errorCode",
            "must be a five-digit Twilio error code",
        ));
    }
    let code = if wanted.error_code == 0 {
        DEFAULT_ERROR
    } else {
        wanted.error_code
    };
    let mut tx = db.begin().await?;
    tx!(&mut tx, c => sqlx::query(
        "insert into mock_config (org_id, fail_next, error_code, fail_all, latency_ms, updated_at) values ($1, $2, $3, $4, $5, $6)
         on conflict (org_id) do update set fail_next = excluded.fail_next, error_code = excluded.error_code,
             fail_all = excluded.fail_all, latency_ms = excluded.latency_ms, updated_at = excluded.updated_at")
        .bind(org_id).bind(wanted.fail_next).bind(code).bind(wanted.fail_all).bind(wanted.latency_ms).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    config(db, org_id).await
}

/// The texts the mock carried for an org, newest first.
pub async fn messages(db: &Db, org_id: &str, limit: i64) -> Result<Vec<MockMessage>> {
    Ok(db!(db, c => sqlx::query_as(
        "select sid, to_e164, from_e164, body, status, cast(error_code as bigint) as error_code, created_at
           from mock_message where org_id = $1 order by created_at desc, sid desc limit $2")
        .bind(org_id).bind(limit).fetch_all(c).await)?)
}
