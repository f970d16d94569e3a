//! Outbound delivery: one `delivery` row per attempt to send a message, the durable
//! `send_message` job that makes each attempt, and the provider's status callbacks.
//!
//! An attempt goes `queued` → `sending` → `submitted` (the provider has it) → `sent` →
//! `delivered`, or ends `failed`/`undelivered`. It is marked `sending`, with a lease, in
//! its own committed transaction *before* the provider is called, so a crash mid-call
//! leaves evidence: an attempt still `sending` when its lease runs out is `uncertain`
//! (it may or may not have gone out) and is surfaced to the owner, never resent blindly.
//! Each job acts on exactly one attempt and only while it is `queued`, so a job that runs
//! twice sends once. A text counts as sent ([`crate::counters`]) in the transaction that
//! records it `submitted`, so it counts once too.
//!
//! A transient failure (from the provider's answer or a later status callback) queues the
//! next attempt after a jittered exponential backoff, three attempts in all; a permanent
//! one, or the third failure, ends the run: the thread gets `hasDeliveryFailure`, a
//! critical alert links the message, and a dead letter lets a human replay it.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::{
    Db, Engine, Result, Tx,
    alerts::{self, NewAlert, Severity},
    audit::{self, Actor},
    clock::{self, Millis},
    counters, db, dead_letters, ids,
    jobs::{self, Job},
    phone,
    provider::{ErrorKind, OutboundSms, ProviderError},
    tx,
};

/// One attempt to send a message, shaped like the seeds' Delivery.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    #[sqlx(rename = "delivery_id")]
    pub id: String,
    pub message_id: String,
    pub attempt_no: i32,
    /// `queued`, `sending`, `submitted`, `sent`, `delivered`, `undelivered`, `failed`,
    /// `canceled`, `read`, or `uncertain` (the app stopped mid-send).
    pub status: String,
    pub provider: String,
    pub provider_message_id: Option<String>,
    pub channel: String,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    pub created_at: Millis,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    pub updated_at: Millis,
}

const COLUMNS: &str = "delivery_id, message_id, attempt_no, status, provider, provider_message_id, channel, cast(error_code as bigint) as error_code, error_message, created_at, updated_at";

/// Status order, after Twilio's: a status never moves to a lower rank, so a late `sent`
/// never overwrites `delivered`.
pub fn rank(status: &str) -> i32 {
    match status {
        "queued" => 1,
        "sending" | "uncertain" => 2,
        "submitted" => 3,
        "sent" => 4,
        "delivered" | "undelivered" | "failed" | "canceled" => 5,
        "read" => 6,
        // accepted, scheduled, and anything new: below everything we track.
        _ => 0,
    }
}

/// The same order in SQL, over the `status` column.
const RANK_SQL: &str = "case status when 'queued' then 1 when 'sending' then 2 when 'uncertain' then 2
    when 'submitted' then 3 when 'sent' then 4 when 'read' then 6
    when 'delivered' then 5 when 'undelivered' then 5 when 'failed' then 5 when 'canceled' then 5 else 0 end";

pub fn is_failure(status: &str) -> bool {
    matches!(status, "failed" | "undelivered" | "canceled" | "uncertain")
}

/// Every attempt of every outbound message in a thread, oldest first.
pub async fn for_thread(db: &Db, org_id: &str, thread_id: &str) -> Result<Vec<Delivery>> {
    let sql = format!(
        "select {COLUMNS} from delivery
          where org_id = $1 and message_id in (select message_id from message where thread_id = $2 and direction = 'outbound')
          order by message_id, attempt_no"
    );
    Ok(
        db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org_id).bind(thread_id).fetch_all(c).await)?,
    )
}

pub async fn latest(db: &Db, org_id: &str, message_id: &str) -> Result<Option<Delivery>> {
    let sql = format!(
        "select {COLUMNS} from delivery where org_id = $1 and message_id = $2 order by attempt_no desc limit 1"
    );
    Ok(
        db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org_id).bind(message_id).fetch_optional(c).await)?,
    )
}

/// Adds the next attempt of a message, `queued`, and returns it.
pub async fn new_attempt(
    tx: &mut Tx,
    org_id: &str,
    message_id: &str,
    run_attempt: u32,
    provider: &str,
    now: Millis,
) -> Result<Delivery> {
    let sql = format!(
        "insert into delivery (delivery_id, org_id, message_id, attempt_no, run_attempt, provider, created_at, updated_at)
         values ($1, $2, $3, (select coalesce(max(attempt_no), 0) + 1 from delivery where message_id = $3), $4, $5, $6, $6)
         returning {COLUMNS}"
    );
    Ok(
        tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(ids::new_id()).bind(org_id).bind(message_id).bind(run_attempt as i32).bind(provider).bind(now)
        .fetch_one(c).await)?,
    )
}

/// A Twilio long code sends about one text a second; faster, Twilio queues them itself.
pub const TWILIO_PACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Queues the job for a `queued` attempt, after `delay` plus whatever pacing the business
/// number needs: texts leave one number at most once per `send_interval`, so a burst
/// waits its turn here instead of failing at the carrier.
pub async fn schedule(
    engine: &Engine,
    tx: &mut Tx,
    job: &SendMessage,
    number_id: &str,
    delay: std::time::Duration,
) -> Result<()> {
    let interval = match engine.settings.send_interval {
        Some(interval) => interval,
        None if crate::provider::connection::kind_in(engine, tx, &job.org_id).await?
            == "twilio" =>
        {
            TWILIO_PACE
        }
        None => std::time::Duration::ZERO,
    }
    .as_millis() as i64;
    let mut wait = delay;
    if interval > 0 {
        let earliest = engine.clock.now() + delay.as_millis() as i64;
        let slot: i64 = tx!(tx, c => sqlx::query_scalar(
            "update number set next_send_at = (case when next_send_at > $2 then next_send_at else $2 end) + $3
              where number_id = $1 returning next_send_at - $3")
            .bind(number_id).bind(earliest).bind(interval).fetch_one(c).await)?;
        wait = std::time::Duration::from_millis((slot - engine.clock.now()).max(0) as u64);
    }
    if wait.is_zero() {
        tx.enqueue(job).await
    } else {
        tx.enqueue_later(job, wait, None).await
    }
}

/// Makes one attempt at sending one message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendMessage {
    pub org_id: String,
    pub message_id: String,
    pub delivery_id: String,
}

impl Job for SendMessage {
    // The seeds' names for the queue a failed send lands in.
    const QUEUE: &'static str = "message-retry";
    const NAME: &'static str = "retry-message";
    /// Many of these wait at once for their claim's and their record's commit.
    const IN_FLIGHT: usize = 32;

    fn org_id(&self) -> Option<&str> {
        Some(&self.org_id)
    }

    fn entity(&self) -> Option<(&'static str, &str)> {
        Some(("message", &self.message_id))
    }

    async fn run(&self, engine: &Engine) -> Result<()> {
        attempt(engine, self).await
    }

    /// The job itself kept failing (the database, not the provider): the attempt ends
    /// failed, with the thread flagged and an alert, like any exhausted send.
    async fn on_exhausted(&self, engine: &Engine, tx: &mut Tx, error: &str) -> Result<()> {
        let now = engine.clock.now();
        tx!(tx, c => sqlx::query(
            "update delivery set status = 'failed', error_message = $2, lease_until = null, updated_at = $3
              where delivery_id = $1 and status in ('queued', 'sending')")
            .bind(&self.delivery_id).bind(error).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        flag_failure(
            engine,
            tx,
            self,
            &format!("could not be sent: {error}"),
            true,
        )
        .await
    }

    /// A replay is a new run of automatic attempts, from a new attempt.
    async fn replay(&self, engine: &Engine, tx: &mut Tx) -> Result<()> {
        retry_in(engine, tx, &self.org_id, &self.message_id)
            .await
            .map(|_| ())
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct AttemptRow {
    attempt_no: i32,
    run_attempt: i32,
    body: String,
    from_e164: String,
    to_e164: String,
    number_status: String,
    opted_out: bool,
    /// The org's, for the day the text is counted on.
    time_zone: String,
    /// Whether the text goes to an owner's own mobile rather than to a client.
    to_owner: bool,
}

async fn attempt(engine: &Engine, job: &SendMessage) -> Result<()> {
    let now = engine.clock.now();
    // Record the attempt before calling the provider: after a crash, this row is how we
    // know a text may have gone out. The claim commits (with others claimed at the same
    // time) before we go on.
    let claimed = engine
        .claims
        .submit(engine, job.delivery_id.clone())
        .await?;
    let Some(row) = claimed else {
        // Not queued: started before and never finished (a crash mid-send: not resent,
        // but marked uncertain), or done already, or in flight elsewhere.
        let state: Option<(String, Option<Millis>)> = db!(&engine.db, c => sqlx::query_as(
            "select status, lease_until from delivery where delivery_id = $1")
            .bind(&job.delivery_id).fetch_optional(c).await)?;
        if let Some((status, lease_until)) = state
            && status == "sending"
            && lease_until.is_some_and(|l| l <= now)
        {
            return mark_uncertain(engine, &job.delivery_id, Lost::Crash).await;
        }
        return Ok(());
    };
    let refusal = if row.opted_out {
        Some(ProviderError::permanent(
            Some(21610),
            "the client has opted out (replied STOP); nothing is sent until they reply START",
        ))
    } else if row.number_status != "active" {
        Some(ProviderError::permanent(
            None,
            format!(
                "the business number is {}; texts cannot leave it",
                row.number_status
            ),
        ))
    } else {
        None
    };
    if let Some(error) = refusal {
        let mut tx = engine.db.begin().await?;
        failed(engine, &mut tx, job, row.run_attempt, &error).await?;
        return tx.commit().await;
    }
    let sms = OutboundSms {
        from: row.from_e164,
        to: row.to_e164,
        body: row.body,
        status_callback: engine.status_callback_url(),
    };
    let provider = crate::provider::for_org(engine, &job.org_id).await?;
    let result = provider.send(&job.org_id, &sms).await;
    let sent = match result {
        Ok(sent) => sent,
        Err(error) if error.kind == ErrorKind::Uncertain => {
            return mark_uncertain(engine, &job.delivery_id, Lost::Answer(&error.message)).await;
        }
        Err(error) => {
            let mut tx = engine.db.begin().await?;
            failed(engine, &mut tx, job, row.run_attempt, &error).await?;
            return tx.commit().await;
        }
    };
    let submission = Submission {
        job: job.clone(),
        attempt_no: row.attempt_no,
        time_zone: row.time_zone,
        to_owner: row.to_owner,
        provider_message_id: sent.provider_message_id.clone(),
        callbacks_follow: !sent.callbacks.is_empty(),
    };
    engine.submissions.submit(engine, submission).await?;
    engine.metrics.incr("outbound_submitted_total");
    tracing::info!(org_id = %job.org_id, message_id = %job.message_id, to = %phone::redact(&sms.to), "text handed to the provider");
    let feed = engine.status_feed.sender();
    for update in sent.callbacks {
        feed.send(update);
    }
    Ok(())
}

/// Attempts claimed together ([`crate::group_commit`]): each is marked `sending`, with its
/// lease, in a transaction committed before any of them calls the provider.
#[derive(Debug)]
pub struct Claims;

impl crate::group_commit::Batch for Claims {
    /// The attempt's id.
    type Item = String;
    /// What the send needs, or `None` when the attempt was not `queued`.
    type Done = Option<AttemptRow>;
    const NAME: &'static str = "outbound claims";
    const MAX: usize = 64;

    async fn commit(engine: &Engine, ids: &[&String]) -> Result<Vec<Option<AttemptRow>>> {
        let now = engine.clock.now();
        let lease = now + engine.settings.send_lease.as_millis() as i64;
        let mut tx = engine.db.begin().await?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            // Reads what the send needs in the same statement.
            rows.push(tx!(&mut tx, c => sqlx::query_as(
                "update delivery set status = 'sending', lease_until = $2, updated_at = $3
                  where delivery_id = $1 and status = 'queued'
                  returning attempt_no, run_attempt,
                        (select m.body from message m where m.message_id = delivery.message_id) as body,
                        (select m.from_e164 from message m where m.message_id = delivery.message_id) as from_e164,
                        (select m.to_e164 from message m where m.message_id = delivery.message_id) as to_e164,
                        (select n.status from message m join thread t on t.thread_id = m.thread_id
                           join number n on n.number_id = t.number_id where m.message_id = delivery.message_id) as number_status,
                        coalesce((select o.opted_out from message m join opt_out o on o.org_id = m.org_id and o.phone_e164 = m.to_e164
                           where m.message_id = delivery.message_id), false) as opted_out,
                        (select g.time_zone from org g where g.org_id = delivery.org_id) as time_zone,
                        exists (select 1 from message m join app_user u on u.org_id = m.org_id and u.phone_e164 = m.to_e164
                           where m.message_id = delivery.message_id and u.role = 'owner') as to_owner")
                .bind(id.as_str()).bind(lease).bind(now).fetch_optional(c).await)?);
        }
        tx.commit().await?;
        Ok(rows)
    }
}

/// An attempt the provider took, to record `submitted`.
#[derive(Debug)]
pub struct Submission {
    job: SendMessage,
    attempt_no: i32,
    time_zone: String,
    to_owner: bool,
    provider_message_id: String,
    /// The provider reports its callbacks itself, after this (the mock, through the feed).
    callbacks_follow: bool,
}

/// Attempts recorded `submitted` together ([`crate::group_commit`]).
#[derive(Debug)]
pub struct Submissions;

impl crate::group_commit::Batch for Submissions {
    type Item = Submission;
    type Done = ();
    const NAME: &'static str = "outbound submissions";
    const MAX: usize = 64;

    async fn commit(engine: &Engine, submissions: &[&Submission]) -> Result<Vec<()>> {
        let mut tx = engine.db.begin().await?;
        for s in submissions {
            record_submitted(engine, &mut tx, s).await?;
        }
        tx.commit().await?;
        Ok(vec![(); submissions.len()])
    }
}

/// `submitted` and the org's sent counters go in one transaction: a job delivered twice
/// finds the attempt no longer `sending` and counts nothing.
async fn record_submitted(engine: &Engine, tx: &mut Tx, s: &Submission) -> Result<()> {
    let now = engine.clock.now();
    let job = &s.job;
    let mut recorded = 0;
    let mut was_uncertain = false;
    for from in ["sending", "uncertain"] {
        let sql = format!(
            "update delivery set status = 'submitted', provider_message_id = $2, lease_until = null,
                    error_message = null, updated_at = $3
              where delivery_id = $1 and status = '{from}'"
        );
        recorded = tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&job.delivery_id).bind(&s.provider_message_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        if recorded > 0 {
            was_uncertain = from == "uncertain";
            break;
        }
    }
    if recorded > 0 {
        let audience = if s.to_owner {
            counters::SMS_SENT_OWNER
        } else {
            counters::SMS_SENT_CUSTOMER
        };
        let day = clock::local_date(now, clock::zone(&s.time_zone));
        counters::sent(tx, &job.org_id, audience, day).await?;
    }
    // Callbacks posted to our webhook (Twilio's) can beat us to it: those stored before
    // we knew the provider's id apply now. The mock's come after, through the feed.
    let early: Vec<(String, Option<i64>)> = if s.callbacks_follow {
        Vec::new()
    } else {
        tx!(tx, c => sqlx::query_as(
            "select status, cast(error_code as bigint) from delivery_status_event where provider_message_id = $1")
            .bind(&s.provider_message_id).fetch_all(c).await)?
    };
    for (status, code) in early {
        advance(engine, tx, &s.provider_message_id, &status, code, None).await?;
    }
    if recorded > 0 && (s.attempt_no > 1 || was_uncertain) {
        succeeded(engine, tx, job).await?;
    }
    Ok(())
}

/// The longest a provider's `Retry-After` may hold a text back.
const MAX_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// An attempt failed: record why, then queue the next attempt or end the run.
async fn failed(
    engine: &Engine,
    tx: &mut Tx,
    job: &SendMessage,
    run_attempt: i32,
    error: &ProviderError,
) -> Result<()> {
    let now = engine.clock.now();
    tx!(tx, c => sqlx::query(
        "update delivery set status = 'failed', error_code = $2, error_message = $3, lease_until = null, updated_at = $4
          where delivery_id = $1 and status in ('queued', 'sending', 'uncertain', 'submitted', 'sent')")
        .bind(&job.delivery_id).bind(error.code).bind(&error.message).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    engine.metrics.incr("outbound_attempt_failed_total");
    let run_attempt = run_attempt.max(1) as u32;
    if error.kind == ErrorKind::Transient && run_attempt < SendMessage::MAX_ATTEMPTS {
        let provider = crate::provider::connection::kind_in(engine, tx, &job.org_id).await?;
        let next = new_attempt(
            tx,
            &job.org_id,
            &job.message_id,
            run_attempt + 1,
            provider,
            now,
        )
        .await?;
        // The provider's own word on when to come back, if it gave one (and is sane).
        let delay = jobs::backoff(engine.settings.retry_base, run_attempt + 1)
            .max(error.retry_after.unwrap_or_default().min(MAX_RETRY_AFTER));
        tracing::warn!(org_id = %job.org_id, message_id = %job.message_id, attempt = run_attempt, code = ?error.code, next_in_ms = delay.as_millis() as u64, "send failed; retrying");
        let next_job = SendMessage {
            delivery_id: next.id,
            ..job.clone()
        };
        // The next attempt takes its turn on the number like any send: a burst of
        // retries is paced too.
        let number_id: String = tx!(tx, c => sqlx::query_scalar(
            "select t.number_id from message m join thread t on t.thread_id = m.thread_id where m.message_id = $1")
            .bind(&job.message_id).fetch_one(c).await)?;
        return schedule(engine, tx, &next_job, &number_id, delay).await;
    }
    let reason = match error.code {
        Some(code) => format!("{code}: {}", error.message),
        None => error.message.clone(),
    };
    tracing::error!(org_id = %job.org_id, message_id = %job.message_id, attempts = run_attempt, %reason, "send failed for good");
    dead_letters::record(engine, tx, job, run_attempt, &reason).await?;
    flag_failure(engine, tx, job, &reason, error.kind == ErrorKind::Transient).await
}

/// The run is over and the text did not go: flag the thread, raise the critical alert.
async fn flag_failure(
    engine: &Engine,
    tx: &mut Tx,
    job: &SendMessage,
    reason: &str,
    exhausted: bool,
) -> Result<()> {
    let now = engine.clock.now();
    tx!(tx, c => sqlx::query(
        "update thread set has_delivery_failure = true where thread_id = (select thread_id from message where message_id = $1)")
        .bind(&job.message_id).execute(c).await.map(|r| r.rows_affected()))?;
    let (title, description) = if exhausted {
        (
            "Message Delivery Failed - Max Retries Exceeded",
            format!(
                "A text could not be delivered after {} attempts. Last error {reason}",
                SendMessage::MAX_ATTEMPTS
            ),
        )
    } else {
        (
            "Message Delivery Failed",
            format!("The provider refused a text, and retrying will not help. Error {reason}"),
        )
    };
    alerts::raise(
        tx,
        &job.org_id,
        NewAlert {
            severity: Severity::Critical,
            kind: "delivery.failed",
            title,
            description: &description,
            entity: Some(("message", &job.message_id)),
            dedupe_key: failure_key(&job.message_id),
        },
        now,
    )
    .await?;
    let payload = serde_json::json!({ "deliveryId": job.delivery_id, "reason": reason });
    audit::record(
        tx,
        &job.org_id,
        Actor::System,
        "message.delivery_failed",
        Some(("message", &job.message_id)),
        &payload,
        now,
    )
    .await?;
    engine.metrics.add("delivery_failed", &job.org_id, 1);
    Ok(())
}

fn failure_key(message_id: &str) -> String {
    format!("delivery.failed:{message_id}")
}

/// An attempt that followed a failed or uncertain one reached the provider: the failure
/// is over, its alert resolves and the thread's flag is recomputed.
async fn succeeded(engine: &Engine, tx: &mut Tx, job: &SendMessage) -> Result<()> {
    let now = engine.clock.now();
    for key in [failure_key(&job.message_id), uncertain_key(&job.message_id)] {
        alerts::resolve_key(
            tx,
            &job.org_id,
            &key,
            "A later attempt reached the provider.",
            now,
        )
        .await?;
    }
    tx!(tx, c => sqlx::query(
        "update thread set has_delivery_failure = exists (
             select 1 from message m join delivery d on d.message_id = m.message_id
              where m.thread_id = thread.thread_id
                and d.status in ('failed', 'undelivered', 'canceled', 'uncertain')
                and d.attempt_no = (select max(d2.attempt_no) from delivery d2 where d2.message_id = m.message_id))
          where thread_id = (select thread_id from message where message_id = $1)")
        .bind(&job.message_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

fn uncertain_key(message_id: &str) -> String {
    format!("delivery.uncertain:{message_id}")
}

/// How a send's outcome came to be unknown.
#[derive(Clone, Copy, Debug)]
enum Lost<'a> {
    /// Its lease ran out: the app stopped while handing it to the provider.
    Crash,
    /// The provider's answer never arrived whole (a timeout, a dropped connection).
    Answer(&'a str),
}

/// Marks one attempt `uncertain` (for `Crash`, only once its lease has run out), flags the
/// thread and tells the owner. It is not resent until the owner says so.
async fn mark_uncertain(engine: &Engine, delivery_id: &str, lost: Lost<'_>) -> Result<()> {
    let now = engine.clock.now();
    let (error, description) = match lost {
        Lost::Crash => (
            "The app stopped while handing this text to the provider; it may or may not have been sent.".to_owned(),
            "The app stopped while this text was being handed to the provider, so it may or may not have gone out. It was not resent. Check the conversation, then Retry it if needed.".to_owned(),
        ),
        Lost::Answer(why) => (
            format!("The provider's answer was lost ({why}); it may or may not have been sent."),
            format!("The provider's answer to this text was lost ({why}), so it may or may not have gone out. It was not resent. Check the conversation, then Retry it if needed."),
        ),
    };
    let mut tx = engine.db.begin().await?;
    let hit: Option<(String, String)> = tx!(&mut tx, c => sqlx::query_as(
        "update delivery set status = 'uncertain', lease_until = null, updated_at = $2, error_message = $3
          where delivery_id = $1 and status = 'sending' and ($4 or lease_until <= $2)
          returning org_id, message_id")
        .bind(delivery_id).bind(now).bind(&error).bind(matches!(lost, Lost::Answer(_)))
        .fetch_optional(c).await)?;
    let Some((org_id, message_id)) = hit else {
        return Ok(());
    };
    tx!(&mut tx, c => sqlx::query(
        "update thread set has_delivery_failure = true where thread_id = (select thread_id from message where message_id = $1)")
        .bind(&message_id).execute(c).await.map(|r| r.rows_affected()))?;
    alerts::raise(
        &mut tx,
        &org_id,
        NewAlert {
            severity: Severity::Warning,
            kind: "delivery.uncertain",
            title: "Message Delivery Uncertain",
            description: &description,
            entity: Some(("message", &message_id)),
            dedupe_key: uncertain_key(&message_id),
        },
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        &org_id,
        Actor::System,
        "message.delivery_uncertain",
        Some(("message", &message_id)),
        &serde_json::json!({ "deliveryId": delivery_id }),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(%org_id, %message_id, ?lost, "send outcome unknown; marked uncertain");
    Ok(())
}

/// Marks every attempt whose lease ran out `uncertain`. The workers run this now and then.
pub async fn sweep_uncertain(engine: &Engine) -> Result<usize> {
    let stale: Vec<String> = db!(&engine.db, c => sqlx::query_scalar(
        "select delivery_id from delivery where status = 'sending' and lease_until <= $1 limit 100")
        .bind(engine.clock.now()).fetch_all(c).await)?;
    for id in &stale {
        mark_uncertain(engine, id, Lost::Crash).await?;
    }
    Ok(stale.len())
}

/// A new run of attempts for a message whose last attempt failed or is uncertain (the
/// owner's Retry, or a dead letter's replay). Returns the new attempt.
pub async fn retry_in(
    engine: &Engine,
    tx: &mut Tx,
    org_id: &str,
    message_id: &str,
) -> Result<Delivery> {
    let row: Option<(String, String)> = tx!(tx, c => sqlx::query_as(
        "select m.direction, t.number_id from message m join thread t on t.thread_id = m.thread_id
          where m.org_id = $1 and m.message_id = $2")
        .bind(org_id).bind(message_id).fetch_optional(c).await)?;
    let Some((direction, number_id)) = row else {
        return Err(crate::Error::NotFound("message"));
    };
    if direction != "outbound" {
        return Err(crate::Error::Conflict(
            "only texts we sent can be retried".into(),
        ));
    }
    let last: Option<String> = tx!(tx, c => sqlx::query_scalar(
        "select status from delivery where message_id = $1 order by attempt_no desc limit 1")
        .bind(message_id).fetch_optional(c).await)?;
    if let Some(status) = last.as_deref().filter(|s| !is_failure(s)) {
        return Err(crate::Error::Conflict(
            format!("this text is `{status}`; only a failed or uncertain text can be retried")
                .into(),
        ));
    }
    let now = engine.clock.now();
    let provider = crate::provider::connection::kind_in(engine, tx, org_id).await?;
    let delivery = new_attempt(tx, org_id, message_id, 1, provider, now).await?;
    let job = SendMessage {
        org_id: org_id.to_owned(),
        message_id: message_id.to_owned(),
        delivery_id: delivery.id.clone(),
    };
    schedule(engine, tx, &job, &number_id, std::time::Duration::ZERO).await?;
    // A replay closed its dead letter with the owner's reason already; a Retry from the
    // conversation closes it here.
    crate::dead_letters::close_for(
        tx,
        org_id,
        ("message", message_id),
        "retried from the conversation",
        now,
    )
    .await?;
    Ok(delivery)
}

/// A status callback, from Twilio's webhook or the mock provider.
#[derive(Clone, Debug)]
pub struct StatusUpdate {
    pub provider_message_id: String,
    pub status: String,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
}

/// Applies status callbacks in one transaction. Each (message, status) acts once; a
/// status lower than the one recorded changes nothing; a failure reported by the carrier
/// queues the next attempt or ends the run, like a failure reported at send time.
pub async fn apply_statuses(engine: &Engine, updates: &[StatusUpdate]) -> Result<()> {
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    // One statement stores the batch; what it returns is what is new.
    let mut fresh: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for chunk in updates.chunks(200) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(${}, ${}, ${}, ${})",
                    4 * i + 1,
                    4 * i + 2,
                    4 * i + 3,
                    4 * i + 4
                )
            })
            .collect();
        let sql = format!(
            "insert into delivery_status_event (provider_message_id, status, error_code, received_at) values {}
             on conflict do nothing returning provider_message_id, status",
            rows.join(", ")
        );
        let inserted: Vec<(String, String)> = tx!(&mut tx, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for u in chunk {
                q = q.bind(&u.provider_message_id).bind(&u.status).bind(u.error_code).bind(now);
            }
            q.fetch_all(c).await
        })?;
        fresh.extend(inserted);
    }
    // Per message only the highest new status matters (`sent` then `delivered` in one
    // batch is one step to `delivered`); a failure runs its retry logic once.
    let mut best: Vec<&StatusUpdate> = Vec::new();
    for u in updates {
        if !fresh.contains(&(u.provider_message_id.clone(), u.status.clone())) {
            continue;
        }
        match best
            .iter_mut()
            .find(|b| b.provider_message_id == u.provider_message_id)
        {
            Some(b) if rank(&u.status) > rank(&b.status) => *b = u,
            Some(_) => {}
            None => best.push(u),
        }
    }
    for u in best {
        advance(
            engine,
            &mut tx,
            &u.provider_message_id,
            &u.status,
            u.error_code,
            u.error_message.as_deref(),
        )
        .await?;
    }
    tx.commit().await?;
    engine
        .metrics
        .add("status_callbacks_total", "", updates.len() as u64);
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Advanced {
    delivery_id: String,
    org_id: String,
    message_id: String,
    run_attempt: i32,
}

/// Moves the attempt with this provider id up to `status`, if that is a step forward.
async fn advance(
    engine: &Engine,
    tx: &mut Tx,
    provider_message_id: &str,
    status: &str,
    error_code: Option<i64>,
    error_message: Option<&str>,
) -> Result<()> {
    let new_rank = rank(status);
    if new_rank == 0 {
        return Ok(());
    }
    let failure = matches!(status, "failed" | "undelivered" | "canceled");
    let sql = format!(
        "update delivery set status = $2, error_code = coalesce($3, error_code),
                error_message = coalesce($4, error_message), updated_at = $5
          where provider_message_id = $1 and ({RANK_SQL}) < $6
          returning delivery_id, org_id, message_id, run_attempt"
    );
    let hit: Option<Advanced> = tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(provider_message_id).bind(status).bind(error_code).bind(error_message)
        .bind(engine.clock.now()).bind(new_rank).fetch_optional(c).await)?;
    let Some(hit) = hit else { return Ok(()) };
    if failure {
        let job = SendMessage {
            org_id: hit.org_id,
            message_id: hit.message_id,
            delivery_id: hit.delivery_id,
        };
        let error = ProviderError::from_code(
            error_code,
            Some(200),
            error_message.map_or_else(
                || format!("the carrier reported the text {status}"),
                str::to_owned,
            ),
        );
        // `failed` only rewrites attempts still in flight; this one is already marked.
        failed(engine, tx, &job, hit.run_attempt, &error).await?;
    } else if status == "delivered" {
        engine.metrics.incr("outbound_delivered_total");
    }
    Ok(())
}

/// Where the mock provider's status callbacks go: an in-process channel the workers
/// drain, applying many callbacks per transaction.
#[derive(Clone, Debug)]
pub struct StatusFeed {
    inner: Arc<Mutex<FeedInner>>,
    /// Callbacks sent and not yet applied, plus one until the workers have looked for
    /// those an earlier run lost ([`resend_mock_callbacks`]).
    pending: Arc<AtomicUsize>,
}

impl Default for StatusFeed {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            pending: Arc::new(AtomicUsize::new(1)),
        }
    }
}

#[derive(Debug, Default)]
struct FeedInner {
    tx: Option<mpsc::UnboundedSender<StatusUpdate>>,
    rx: Option<mpsc::UnboundedReceiver<StatusUpdate>>,
}

/// The sending end of the feed.
#[derive(Clone, Debug)]
pub struct FeedSender {
    tx: mpsc::UnboundedSender<StatusUpdate>,
    pending: Arc<AtomicUsize>,
}

impl FeedSender {
    pub fn send(&self, update: StatusUpdate) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        // The receiving end is gone only when the workers are stopping.
        if self.tx.send(update).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl StatusFeed {
    pub fn sender(&self) -> FeedSender {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = match &inner.tx {
            Some(tx) => tx.clone(),
            None => {
                let (tx, rx) = mpsc::unbounded_channel();
                inner.tx = Some(tx.clone());
                inner.rx = Some(rx);
                tx
            }
        };
        FeedSender {
            tx,
            pending: self.pending.clone(),
        }
    }

    /// Callbacks the mock sent that are not applied yet (one more until the lost ones
    /// have been looked for).
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    fn take_receiver(&self) -> Option<mpsc::UnboundedReceiver<StatusUpdate>> {
        self.sender();
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .rx
            .take()
    }
}

/// The mock's callbacks travel in this process's memory: a crash, or a failed write,
/// between recording an attempt `submitted` and applying them would leave it there for
/// good. The mock's own record says how each text ended, so its callbacks can be sent
/// again; one applied twice changes nothing. Returns how many texts it covered.
pub async fn resend_mock_callbacks(engine: &Engine) -> Result<usize> {
    let ended: Vec<(String, String, Option<i64>)> = db!(&engine.db, c => sqlx::query_as(
        "select m.sid, m.status, cast(m.error_code as bigint) from delivery d
           join mock_message m on m.sid = d.provider_message_id
          where d.status in ('submitted', 'sent') and d.provider = 'mock'")
        .fetch_all(c).await)?;
    let updates: Vec<StatusUpdate> = ended
        .iter()
        .flat_map(|(sid, status, code)| crate::provider::mock::callbacks(sid, status, *code))
        .collect();
    for chunk in updates.chunks(500) {
        apply_statuses(engine, chunk).await?;
    }
    Ok(ended.len())
}

/// Applies the mock provider's callbacks as they come and, every second, marks stale
/// sends uncertain and prunes finished jobs, until `shutdown` fires. Run by the workers,
/// which first send again the mock's callbacks a previous run may have lost.
pub async fn run_feed(engine: Engine, shutdown: tokio_util::sync::CancellationToken) {
    let Some(mut rx) = engine.status_feed.take_receiver() else {
        return;
    };
    // Lost callbacks are looked for at start, and again after a batch failed to apply.
    let mut lost = true;
    let mut looked = false;
    let mut sweep = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = sweep.tick() => {
                if lost {
                    match resend_mock_callbacks(&engine).await {
                        Ok(n) => {
                            lost = false;
                            if n > 0 {
                                tracing::info!(texts = n, "sent the mock's lost status callbacks again");
                            }
                            if !looked {
                                looked = true;
                                engine.status_feed.pending.fetch_sub(1, Ordering::SeqCst);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "could not send the mock's lost callbacks again"),
                    }
                }
                if let Err(e) = sweep_uncertain(&engine).await {
                    tracing::warn!(error = %e, "could not check for uncertain sends");
                }
                if let Err(e) = crate::jobs::prune_finished(&engine.db).await {
                    tracing::warn!(error = %e, "could not prune finished jobs");
                }
            }
            first = rx.recv() => {
                let Some(first) = first else { return };
                let mut batch = vec![first];
                while batch.len() < 500 {
                    match rx.try_recv() {
                        Ok(u) => batch.push(u),
                        Err(_) => break,
                    }
                }
                if let Err(e) = apply_statuses(&engine, &batch).await {
                    tracing::warn!(error = %e, callbacks = batch.len(), "could not apply status callbacks; trying again");
                    lost = true;
                }
                engine.status_feed.pending.fetch_sub(batch.len(), Ordering::SeqCst);
            }
        }
    }
}

/// How many of an org's attempts are in `status`.
pub async fn count(db: &Db, org_id: &str, status: &str) -> Result<i64> {
    Ok(
        db!(db, c => sqlx::query_scalar("select count(*) from delivery where org_id = $1 and status = $2")
        .bind(org_id).bind(status).fetch_one(c).await)?,
    )
}

/// The org that sent the text with this provider id, if it was ours.
pub async fn org_of(db: &Db, provider_message_id: &str) -> Result<Option<String>> {
    Ok(
        db!(db, c => sqlx::query_scalar("select org_id from delivery where provider_message_id = $1")
        .bind(provider_message_id).fetch_optional(c).await)?,
    )
}
