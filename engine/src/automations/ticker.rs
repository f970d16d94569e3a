//! The triggers that come from time: `schedule` (a crontab in the org's time zone, once
//! per client of the org) and `appointment.upcoming` (an offset before a booking starts).
//!
//! A tick looks at the stretch of time since the last one, `(last, now]`, finds every
//! fire time and every visit start that falls in it (each visit of a weekly booking, not
//! only its first), and stores one event per (automation, fire time, client) or
//! (automation, booking, visit start) with its run. Event
//! keys are unique, so two ticks over the same stretch (two processes, a retry after a
//! crash) start nothing twice. The tick job runs every minute, keyed by the minute.

use std::time::Duration;

use automations::triggers::{Schedule, Trigger, TriggerSpec, Tz};
use serde::{Deserialize, Serialize};

use super::{events::Refs, run::RunAutomation};
use crate::{
    Engine, Result, Tx, bookings,
    clock::{DAY, MINUTE, Millis, to_datetime},
    jobs::Job,
    tx,
};

const TICKER: &str = "automations";

/// What one tick started (or resumed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tick {
    pub from: Millis,
    pub to: Millis,
    pub runs: usize,
}

#[derive(sqlx::FromRow)]
struct Live {
    automation_id: String,
    org_id: String,
    version: i64,
    time_zone: String,
}

/// Starts every time-triggered run due since the last tick (at most a day back).
pub async fn tick(engine: &Engine) -> Result<Tick> {
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let last: Option<i64> = tx!(&mut tx, c => sqlx::query_scalar(
        "select last_at from ticker where name = $1").bind(TICKER).fetch_optional(c).await)?;
    let from = last.unwrap_or(now - MINUTE).max(now - DAY);
    if from >= now {
        return Ok(Tick {
            from,
            to: now,
            runs: 0,
        });
    }
    let live: Vec<Live> = tx!(&mut tx, c => sqlx::query_as(
        "select a.automation_id, a.org_id, cast(a.live_version as bigint) as version, o.time_zone
           from automation a join org o on o.org_id = a.org_id
          where a.status = 'active' and a.live_version is not null
            and a.trigger_event in ('schedule', 'appointment.upcoming')
          order by a.org_id, a.automation_id")
        .fetch_all(c).await)?;
    let mut runs = 0;
    for a in live {
        runs += fire(engine, &mut tx, &a, from, now).await?;
    }
    runs += super::run::resume_due(&mut tx, now).await?;
    tx!(&mut tx, c => sqlx::query(
        "insert into ticker (name, last_at) values ($1, $2)
         on conflict (name) do update set last_at = excluded.last_at")
        .bind(TICKER).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(Tick {
        from,
        to: now,
        runs,
    })
}

/// Starts what a time-triggered automation has due in `(from, now]`.
async fn fire(engine: &Engine, tx: &mut Tx, a: &Live, from: Millis, now: Millis) -> Result<usize> {
    let compiled = super::compiled(engine, &a.org_id, &a.automation_id, a.version).await?;
    match &compiled.version().trigger {
        TriggerSpec::Schedule { cron } => {
            let zone = crate::clock::zone(&a.time_zone);
            scheduled(tx, a, cron, zone, from, now).await
        }
        TriggerSpec::AppointmentUpcoming { offset_minutes } => {
            upcoming(tx, a, *offset_minutes, from, now).await
        }
        _ => Ok(0),
    }
}

/// Starts what ticks over `(from, now]` (at most a day back) would have started for one
/// active automation, had it been live then; nothing for one not triggered by time. The
/// demo gives its reminder the history that a day of being on leaves.
pub async fn catch_up(
    engine: &Engine,
    org_id: &str,
    automation_id: &str,
    from: Millis,
) -> Result<usize> {
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let live: Option<Live> = tx!(&mut tx, c => sqlx::query_as(
        "select a.automation_id, a.org_id, cast(a.live_version as bigint) as version, o.time_zone
           from automation a join org o on o.org_id = a.org_id
          where a.org_id = $1 and a.automation_id = $2 and a.status = 'active' and a.live_version is not null")
        .bind(org_id).bind(automation_id).fetch_optional(c).await)?;
    let runs = match live {
        Some(a) => fire(engine, &mut tx, &a, from.max(now - DAY), now).await?,
        None => 0,
    };
    tx.commit().await?;
    Ok(runs)
}

async fn start(
    tx: &mut Tx,
    a: &Live,
    trigger: Trigger,
    key: &str,
    refs: &Refs,
    now: Millis,
) -> Result<usize> {
    match super::events::store(tx, &a.org_id, trigger, key, refs, now).await? {
        Some(event_id) => {
            RunAutomation::start(&a.org_id, &a.automation_id, a.version, &event_id)
                .enqueue(tx)
                .await?;
            Ok(1)
        }
        None => Ok(0),
    }
}

async fn scheduled(
    tx: &mut Tx,
    a: &Live,
    cron: &str,
    zone: Tz,
    from: Millis,
    now: Millis,
) -> Result<usize> {
    let Ok(schedule) = Schedule::parse(cron) else {
        return Ok(0);
    };
    let fires: Vec<Millis> = schedule
        .upcoming(to_datetime(from), zone)
        .map(|t| t.timestamp_millis())
        .take_while(|t| *t <= now)
        .collect();
    if fires.is_empty() {
        return Ok(0);
    }
    let clients: Vec<String> = tx!(tx, c => sqlx::query_scalar(
        "select client_id from client where org_id = $1 and archived_at is null order by client_id")
        .bind(&a.org_id).fetch_all(c).await)?;
    let mut runs = 0;
    for fired_at in fires {
        for client_id in &clients {
            let refs = Refs {
                cron: Some(cron.to_owned()),
                fired_at: Some(fired_at),
                ..Refs::client(client_id)
            };
            let key = format!("schedule:{}:{fired_at}:{client_id}", a.automation_id);
            runs += start(tx, a, Trigger::Schedule, &key, &refs, now).await?;
        }
    }
    Ok(runs)
}

/// Starts a run per visit starting in `(from, now]` plus the offset: one-off bookings by
/// start time, and each visit of the weekly series begun by then (few, and found through
/// their own partial index), expanded by [`bookings::visit_starts`]. The event key and
/// the payload's `booking.start` are the visit's.
async fn upcoming(
    tx: &mut Tx,
    a: &Live,
    offset_minutes: i64,
    from: Millis,
    now: Millis,
) -> Result<usize> {
    let offset = offset_minutes * MINUTE;
    let (after, until) = (from + offset, now + offset);
    let due: Vec<(String, String, i64, bool, String)> = tx!(tx, c => sqlx::query_as(
        "select booking_id, client_id, start_at, recurring, status from booking
          where org_id = $1 and not recurring and start_at > $2 and start_at <= $3
            and status in ('scheduled', 'confirmed')
         union all
         select booking_id, client_id, start_at, recurring, status from booking
          where org_id = $1 and recurring and start_at <= $3 and status in ('scheduled', 'confirmed')")
        .bind(&a.org_id).bind(after).bind(until).fetch_all(c).await)?;
    // `visit_starts` takes `[from, to)`; the tick's stretch is `(after, until]`.
    let mut visits: Vec<(Millis, String, String)> = due
        .into_iter()
        .flat_map(|(booking_id, client_id, start_at, weekly, status)| {
            bookings::visit_starts(start_at, weekly, &status, after + 1, until + 1, now)
                .into_iter()
                .map(move |visit| (visit, booking_id.clone(), client_id.clone()))
        })
        .collect();
    visits.sort_unstable();
    let mut runs = 0;
    for (visit, booking_id, client_id) in visits {
        let refs = Refs {
            offset_minutes: Some(offset_minutes),
            visit_start: Some(visit),
            ..Refs::booking(&client_id, &booking_id)
        };
        let key = format!("upcoming:{}:{booking_id}:{visit}", a.automation_id);
        runs += start(tx, a, Trigger::AppointmentUpcoming, &key, &refs, now).await?;
    }
    Ok(runs)
}

/// The once-a-minute job that ticks; each run queues the next.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AutomationTick {
    /// The minute (since the epoch) this tick is for.
    pub minute: i64,
}

impl Job for AutomationTick {
    const QUEUE: &'static str = "automation-tick";
    const NAME: &'static str = "automation-tick";
    const MAX_ATTEMPTS: u32 = 1;

    fn org_id(&self) -> Option<&str> {
        None
    }

    async fn run(&self, engine: &Engine) -> Result<()> {
        let result = tick(engine).await;
        // Campaigns' schedules ride on the same minute (their own pass, their own
        // transaction): one ticker, no cron job per campaign.
        let campaigns = crate::campaigns::ticker::tick(engine).await;
        schedule_next(engine).await?;
        result.map(drop)?;
        campaigns.map(drop)
    }
}

/// Queues the tick for the next minute, once however many processes ask.
pub async fn schedule_next(engine: &Engine) -> Result<()> {
    let now = engine.clock.now();
    let minute = now / MINUTE + 1;
    let delay = (minute * MINUTE - now).max(0) as u64;
    let mut tx = engine.db.begin().await?;
    tx.enqueue_later(
        &AutomationTick { minute },
        Duration::from_millis(delay),
        Some(&format!("automation-tick:{minute}")),
    )
    .await?;
    tx.commit().await
}
