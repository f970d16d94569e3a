//! Campaign runs and the send loop.
//!
//! A run is a `campaign_run` row: fired by the schedule (a `run_campaign` job keyed by
//! the campaign and fire time), by Run now (`manual`, also a job), or by an API call
//! (`api`, carried out in the request, which answers its counts). The loop pages through
//! the kind's eligibility query; each text is one transaction: the item's state (the
//! booking reminded, the `campaign_send` row), the text through `send_automated`, the
//! counter, and the run's `sent`. A runner whose state write changes nothing lost the
//! item to another runner and sends nothing, which is what makes concurrent runs and a
//! run taken up again after a crash safe.
//!
//! A runner holds the run until `lease_until` and renews it as it goes. A run whose
//! runner died (its lease ran out while `running`) is queued again by the ticker and by
//! workers starting; a job that fails gives the lease back, so its retry can go on at
//! once. A run that starts inside the org's quiet hours waits for their end (a job), or,
//! for an API call, sends nothing and counts what it held as `quiet_hours`.

use std::{collections::BTreeMap, time::Duration};

use automations::templates;
use serde::{Deserialize, Serialize};

use super::{Kind, Preview, Row as CampaignRow, Settings, follow_ups, reminders, retention};
use crate::{
    Db, Engine, Error, Result, Tx,
    accounts::OwnerScope,
    alerts::{self, NewAlert},
    audit,
    automations::{events::Refs, payload},
    clock::{MINUTE, Millis, serialize_millis, serialize_opt_millis},
    counters, db, ids,
    jobs::Job,
    outbound::{self, Automated, FromNumber},
    quiet_hours, tx,
};

/// Rows read per page of an eligibility query.
const PAGE: i64 = 200;
/// Recipients a preview names.
const SAMPLE: usize = 5;

/// Where a page of an eligibility query ends: the sort key and id of its last row.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    pub at: Option<Millis>,
    pub id: String,
}

/// Someone an eligibility query found, with the reason they are left out, if any.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub cursor: Cursor,
    pub client_id: String,
    pub name: String,
    pub phone: String,
    /// Reminders: the booking and its start.
    pub booking: Option<(String, Millis)>,
    pub skip: Option<&'static str>,
}

/// What a run did: texts sent, and who was left out, by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub sent: i64,
    pub skipped: BTreeMap<String, i64>,
    /// The first error that left someone out (a template that failed on their data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Counts {
    fn skip(&mut self, reason: &str, n: i64) {
        *self.skipped.entry(reason.to_owned()).or_default() += n;
    }
}

/// A run as the API answers it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    pub campaign_id: String,
    pub kind: Kind,
    /// `schedule`, `manual` (Run now) or `api`.
    pub triggered_by: String,
    /// `queued`, `waiting` (quiet hours), `running`, `done` or `failed`.
    pub status: String,
    /// Texts queued to clients.
    pub sent: i64,
    /// Clients (for reminders, bookings) left out, by reason: `opted_out`, `no_phone`,
    /// `already_reminded`, `cancelled`, `booked`, `already_followed_up`, `cooldown`,
    /// `upcoming_booking`, `max_messages`, `quiet_hours`, …
    pub skipped: BTreeMap<String, i64>,
    pub skipped_total: i64,
    /// The settings it ran with.
    pub params: Settings,
    pub error: Option<String>,
    /// For a scheduled run: the fire time.
    #[serde(serialize_with = "serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub fire_at: Option<Millis>,
    /// While waiting for the end of quiet hours: when it goes on.
    #[serde(serialize_with = "serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub resume_at: Option<Millis>,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub created_at: Millis,
    #[serde(serialize_with = "serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub started_at: Option<Millis>,
    #[serde(serialize_with = "serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub finished_at: Option<Millis>,
}

#[derive(sqlx::FromRow)]
struct RunRow {
    run_id: String,
    campaign_id: String,
    kind: String,
    triggered_by: String,
    status: String,
    params: String,
    fire_at: Option<i64>,
    sent: i64,
    skipped: String,
    error: Option<String>,
    resume_at: Option<i64>,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

impl TryFrom<RunRow> for Run {
    type Error = Error;

    fn try_from(r: RunRow) -> Result<Self> {
        let skipped: BTreeMap<String, i64> = serde_json::from_str(&r.skipped).unwrap_or_default();
        Ok(Self {
            kind: Kind::parse(&r.kind)?,
            skipped_total: skipped.values().sum(),
            skipped,
            params: Settings::from_json(&r.params),
            id: r.run_id,
            campaign_id: r.campaign_id,
            triggered_by: r.triggered_by,
            status: r.status,
            sent: r.sent,
            error: r.error,
            fire_at: r.fire_at,
            resume_at: r.resume_at,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

const RUN_SELECT: &str = "select r.run_id, r.campaign_id, c.kind, r.triggered_by, r.status,
        r.params, r.fire_at, r.sent, r.skipped, r.error, r.resume_at, r.created_at, r.started_at,
        r.finished_at
   from campaign_run r join campaign c on c.campaign_id = r.campaign_id";

async fn run_row(db: &Db, org_id: &str, run_id: &str) -> Result<RunRow> {
    let sql = format!("{RUN_SELECT} where r.org_id = $1 and r.run_id = $2");
    let row: Option<RunRow> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org_id).bind(run_id).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound("campaign run"))
}

pub async fn get(db: &Db, scope: &OwnerScope, run_id: &str) -> Result<Run> {
    run_row(db, &scope.org_id, run_id).await?.try_into()
}

/// A campaign's runs, newest first.
pub async fn list(db: &Db, scope: &OwnerScope, campaign_id: &str, limit: i64) -> Result<Vec<Run>> {
    super::row(db, &scope.org_id, campaign_id).await?;
    let sql = format!(
        "{RUN_SELECT} where r.org_id = $1 and r.campaign_id = $2
          order by r.created_at desc, r.run_id desc limit $3"
    );
    let rows: Vec<RunRow> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&scope.org_id).bind(campaign_id).bind(limit).fetch_all(c).await)?;
    rows.into_iter().map(Run::try_from).collect()
}

/// The org's active front-desk number: every campaign text leaves from it.
pub async fn front_desk(db: &Db, org_id: &str) -> Result<FromNumber> {
    let found: Option<FromNumber> = db!(db, c => sqlx::query_as(crate::outbound::FRONT_DESK_SQL)
        .bind(org_id).fetch_optional(c).await)?;
    found.ok_or_else(|| {
        Error::Conflict(
            "the organisation has no active front-desk number to send campaign texts from; add one on Numbers"
                .into(),
        )
    })
}

/// Inserts a run, in `tx`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert(
    tx: &mut Tx,
    org_id: &str,
    campaign_id: &str,
    triggered_by: &str,
    status: &str,
    params: &Settings,
    fire_at: Option<Millis>,
    lease_until: Option<Millis>,
    now: Millis,
) -> Result<Option<String>> {
    let run_id = ids::new_id();
    let started = (status == "running").then_some(now);
    let n = tx!(tx, c => sqlx::query(
        "insert into campaign_run (run_id, org_id, campaign_id, triggered_by, status, params, fire_at,
                                   lease_until, created_at, started_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) on conflict do nothing")
        .bind(&run_id).bind(org_id).bind(campaign_id).bind(triggered_by).bind(status)
        .bind(params.to_json()).bind(fire_at).bind(lease_until).bind(now).bind(started)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok((n == 1).then_some(run_id))
}

fn lease(engine: &Engine) -> Millis {
    engine.settings.run_lease.as_millis() as Millis
}

/// Runs `kind` now, in the request, with `given` over the campaign's stored settings,
/// and answers its counts (`POST /api/campaigns/reminders/send-upcoming` and the rest).
pub async fn send_now(
    engine: &Engine,
    scope: &OwnerScope,
    kind: Kind,
    given: Settings,
) -> Result<Run> {
    let given = given.checked()?;
    let stored = super::of_kind(engine, scope, kind).await?;
    let campaign = super::row(&engine.db, &scope.org_id, &stored.id).await?;
    let params = given.over(&stored.settings).for_kind(kind);
    let from = front_desk(&engine.db, &scope.org_id).await?;
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let run_id = insert(
        &mut tx,
        &scope.org_id,
        &stored.id,
        "api",
        "running",
        &params,
        None,
        Some(now + lease(engine)),
        now,
    )
    .await?
    .ok_or_else(|| Error::Internal("a new run's id was taken".into()))?;
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "campaign.run",
        Some(("campaign_run", &run_id)),
        &serde_json::json!({ "kind": kind, "triggeredBy": "api", "params": params }),
        now,
    )
    .await?;
    tx.commit().await?;
    let (quiet, zone) = quiet_hours::of_org(&engine.db, &scope.org_id).await?;
    let held = quiet.and_then(|q| q.hold_until(zone, now)).is_some();
    let mut counts = Counts::default();
    let mode = Mode::Send {
        run_id: &run_id,
        from: &from,
        held,
    };
    let walked = walk(
        engine,
        &campaign,
        &params,
        None,
        &mode,
        &mut counts,
        &mut Vec::new(),
        now,
    )
    .await;
    if let Err(e) = walked {
        fail(&engine.db, &run_id, &e.to_string(), engine.clock.now()).await?;
        return Err(e);
    }
    finish(engine, &run_id, &counts).await?;
    get(&engine.db, scope, &run_id).await
}

/// Run now: queues a `manual` run of the campaign as a job, with its stored settings.
pub async fn run_now(engine: &Engine, scope: &OwnerScope, campaign_id: &str) -> Result<Run> {
    let campaign = super::row(&engine.db, &scope.org_id, campaign_id).await?;
    let kind = campaign.kind()?;
    front_desk(&engine.db, &scope.org_id).await?;
    let params = Settings::from_json(&campaign.settings).for_kind(kind);
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let run_id = insert(
        &mut tx,
        &scope.org_id,
        campaign_id,
        "manual",
        "queued",
        &params,
        None,
        None,
        now,
    )
    .await?
    .ok_or_else(|| Error::Internal("a new run's id was taken".into()))?;
    RunCampaign::new(&scope.org_id, &run_id)
        .enqueue(&mut tx)
        .await?;
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "campaign.run",
        Some(("campaign_run", &run_id)),
        &serde_json::json!({ "kind": kind, "triggeredBy": "manual", "params": params }),
        now,
    )
    .await?;
    tx.commit().await?;
    get(&engine.db, scope, &run_id).await
}

/// Carries out one run: the scheduled and manual ones, and any run taken up again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunCampaign {
    pub org_id: String,
    pub run_id: String,
}

impl RunCampaign {
    pub(crate) fn new(org_id: &str, run_id: &str) -> Self {
        Self {
            org_id: org_id.to_owned(),
            run_id: run_id.to_owned(),
        }
    }

    /// Queues the run's first job, once.
    pub(crate) async fn enqueue(&self, tx: &mut Tx) -> Result<()> {
        let key = format!("campaign-run:{}:start", self.run_id);
        tx.enqueue_later(self, Duration::ZERO, Some(&key)).await
    }
}

impl Job for RunCampaign {
    const QUEUE: &'static str = "campaign-run";
    const NAME: &'static str = "run-campaign";

    fn org_id(&self) -> Option<&str> {
        Some(&self.org_id)
    }

    fn entity(&self) -> Option<(&'static str, &str)> {
        Some(("campaign_run", &self.run_id))
    }

    async fn run(&self, engine: &Engine) -> Result<()> {
        let result = carry_out(engine, self).await;
        if let Err(e) = &result {
            // Give the run back so this job's next attempt can take it at once, and show
            // the owner why it stopped while it waits for that attempt.
            let now = engine.clock.now();
            let _turn = engine.db.write_turn().await;
            db!(&engine.db, c => sqlx::query(
                "update campaign_run set lease_until = $2, error = $3, updated_at = $2
                  where run_id = $1 and status = 'running'")
                .bind(&self.run_id).bind(now).bind(e.to_string())
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        result
    }

    async fn on_exhausted(&self, engine: &Engine, tx: &mut Tx, error: &str) -> Result<()> {
        let now = engine.clock.now();
        tx!(tx, c => sqlx::query(
            "update campaign_run set status = 'failed', error = $2, finished_at = $3, updated_at = $3, lease_until = null
              where run_id = $1 and status not in ('done', 'failed')")
            .bind(&self.run_id).bind(error).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        let name: Option<String> = tx!(tx, c => sqlx::query_scalar(
            "select c.name from campaign_run r join campaign c on c.campaign_id = r.campaign_id where r.run_id = $1")
            .bind(&self.run_id).fetch_optional(c).await)?;
        let name = name.unwrap_or_else(|| "A campaign".to_owned());
        alerts::raise(
            tx,
            &self.org_id,
            NewAlert {
                severity: alerts::Severity::Critical,
                kind: "campaign.failed",
                title: &format!("Campaign Failed - {name}"),
                description: &format!(
                    "A run of \"{name}\" stopped: {error}. Texts already sent stay sent; Run now on Campaigns goes on from where it stopped."
                ),
                entity: Some(("campaign_run", &self.run_id)),
                dedupe_key: format!("campaign.failed:{}", self.run_id),
            },
            now,
        )
        .await
    }
}

async fn carry_out(engine: &Engine, job: &RunCampaign) -> Result<()> {
    let run = run_row(&engine.db, &job.org_id, &job.run_id).await?;
    if matches!(run.status.as_str(), "done" | "failed") {
        return Ok(());
    }
    let campaign = super::row(&engine.db, &job.org_id, &run.campaign_id).await?;
    let now = engine.clock.now();
    let (quiet, zone) = quiet_hours::of_org(&engine.db, &job.org_id).await?;
    if let Some(until) = quiet.and_then(|q| q.hold_until(zone, now)) {
        let mut tx = engine.db.begin().await?;
        let n = tx!(&mut tx, c => sqlx::query(
            "update campaign_run set status = 'waiting', resume_at = $3, lease_until = null, updated_at = $2
              where run_id = $1 and status in ('queued', 'waiting', 'running')
                and (lease_until is null or lease_until <= $2)")
            .bind(&job.run_id).bind(now).bind(until).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 1 {
            let key = format!("campaign-run:{}:resume:{until}", job.run_id);
            let delay = Duration::from_millis((until - now).max(0) as u64);
            tx.enqueue_later(job, delay, Some(&key)).await?;
        }
        return tx.commit().await;
    }
    let claimed = {
        let _turn = engine.db.write_turn().await;
        db!(&engine.db, c => sqlx::query(
            "update campaign_run set status = 'running', started_at = coalesce(started_at, $2),
                    lease_until = $3, resume_at = null, updated_at = $2
              where run_id = $1 and status in ('queued', 'waiting', 'running')
                and (lease_until is null or lease_until <= $2)")
            .bind(&job.run_id).bind(now).bind(now + lease(engine))
            .execute(c).await.map(|r| r.rows_affected()))?
    };
    if claimed == 0 {
        // Another runner holds it; should it die, its lease runs out and the run is
        // queued again.
        return Ok(());
    }
    let from = front_desk(&engine.db, &job.org_id).await?;
    let params = Settings::from_json(&run.params);
    let mut counts = Counts {
        sent: run.sent,
        ..Counts::default()
    };
    let mode = Mode::Send {
        run_id: &job.run_id,
        from: &from,
        held: false,
    };
    let since = run.started_at.unwrap_or(now);
    walk(
        engine,
        &campaign,
        &params,
        run.fire_at,
        &mode,
        &mut counts,
        &mut Vec::new(),
        since,
    )
    .await?;
    finish(engine, &job.run_id, &counts).await
}

async fn finish(engine: &Engine, run_id: &str, counts: &Counts) -> Result<()> {
    let now = engine.clock.now();
    let skipped = serde_json::to_string(&counts.skipped).unwrap_or_else(|_| "{}".to_owned());
    let _turn = engine.db.write_turn().await;
    db!(&engine.db, c => sqlx::query(
        "update campaign_run set status = 'done', skipped = $2, error = $3, finished_at = $4,
                updated_at = $4, lease_until = null
          where run_id = $1 and status = 'running'")
        .bind(run_id).bind(skipped).bind(&counts.error).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

async fn fail(db: &Db, run_id: &str, error: &str, now: Millis) -> Result<()> {
    let _turn = db.write_turn().await;
    db!(db, c => sqlx::query(
        "update campaign_run set status = 'failed', error = $2, finished_at = $3, updated_at = $3, lease_until = null
          where run_id = $1 and status = 'running'")
        .bind(run_id).bind(error).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// What the walk does with each eligible candidate.
enum Mode<'a> {
    /// Count them and keep the first few: a preview.
    Preview,
    /// Text them (unless `held` by quiet hours: count them as such).
    Send {
        run_id: &'a str,
        from: &'a FromNumber,
        held: bool,
    },
}

/// Pages through the campaign's eligibility query and does `mode` with each eligible
/// candidate, counting into `counts` (whose `sent` may start with what an earlier
/// runner of the same run sent). `since`: when the run began.
#[allow(clippy::too_many_arguments)]
async fn walk(
    engine: &Engine,
    campaign: &CampaignRow,
    params: &Settings,
    fire_at: Option<Millis>,
    mode: &Mode<'_>,
    counts: &mut Counts,
    sample: &mut Vec<Candidate>,
    since: Millis,
) -> Result<()> {
    let kind = campaign.kind()?;
    let (db, org_id) = (&engine.db, campaign.org_id.as_str());
    let now = engine.clock.now();
    if kind == Kind::Reminders {
        for (reason, n) in reminders::left_out(db, org_id, params, now, since).await? {
            counts.skip(reason, n);
        }
    }
    let cap = (kind == Kind::Retention).then(|| params.max_messages());
    let mut cursor = Cursor::default();
    loop {
        let page = match kind {
            Kind::Reminders => reminders::page(db, org_id, params, now, &cursor, PAGE).await?,
            Kind::FollowUps => follow_ups::page(db, org_id, params, now, &cursor, PAGE).await?,
            Kind::Retention => retention::page(db, org_id, params, now, &cursor, PAGE).await?,
        };
        let full = page.len() as i64 == PAGE;
        let Some(last) = page.last() else {
            break;
        };
        cursor = last.cursor.clone();
        for candidate in page {
            if let Some(reason) = candidate.skip {
                counts.skip(reason, 1);
                continue;
            }
            if cap.is_some_and(|cap| counts.sent >= cap) {
                counts.skip("max_messages", 1);
                continue;
            }
            match mode {
                Mode::Preview => {
                    counts.sent += 1;
                    if sample.len() < SAMPLE {
                        sample.push(candidate);
                    }
                }
                Mode::Send { held: true, .. } => counts.skip("quiet_hours", 1),
                Mode::Send { run_id, from, .. } => {
                    let outcome = send_one(
                        engine, campaign, kind, params, fire_at, run_id, from, &candidate,
                    )
                    .await?;
                    match outcome {
                        Sent::Yes => counts.sent += 1,
                        Sent::No(reason, error) => {
                            counts.skip(reason, 1);
                            if counts.error.is_none() {
                                counts.error = error;
                            }
                        }
                    }
                }
            }
        }
        if !full {
            break;
        }
        if let Mode::Send { run_id, .. } = mode
            && !renew(engine, run_id).await?
        {
            // The run was finished or failed by someone else meanwhile.
            break;
        }
    }
    Ok(())
}

/// Keeps holding the run while skipping through pages; false once it is not `running`.
async fn renew(engine: &Engine, run_id: &str) -> Result<bool> {
    let now = engine.clock.now();
    let _turn = engine.db.write_turn().await;
    let n = db!(&engine.db, c => sqlx::query(
        "update campaign_run set lease_until = $2, updated_at = $3 where run_id = $1 and status = 'running'")
        .bind(run_id).bind(now + lease(engine)).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

enum Sent {
    Yes,
    /// Left out, why, and the error behind it if there was one.
    No(&'static str, Option<String>),
}

/// The candidate's text: the campaign's template over the payload of the kind's trigger,
/// built from the rows as they are now.
async fn render(
    engine: &Engine,
    campaign: &CampaignRow,
    kind: Kind,
    fire_at: Option<Millis>,
    candidate: &Candidate,
) -> Result<Result<String, templates::TemplateError>> {
    let now = engine.clock.now();
    let refs = match (kind, &candidate.booking) {
        (Kind::Reminders, Some((booking_id, start_at))) => Refs {
            offset_minutes: Some((start_at - now).max(0) / MINUTE),
            ..Refs::booking(&candidate.client_id, booking_id)
        },
        (Kind::Retention, _) => Refs {
            cron: Some(campaign.cron.clone()),
            fired_at: Some(fire_at.unwrap_or(now)),
            ..Refs::client(&candidate.client_id)
        },
        _ => Refs::client(&candidate.client_id),
    };
    let payload = payload::build(&engine.db, &campaign.org_id, kind.trigger(), &refs, now).await?;
    Ok(templates::render(&campaign.template, &payload))
}

/// One text, in one transaction with the item's state, the counter and the run's `sent`.
#[allow(clippy::too_many_arguments)]
async fn send_one(
    engine: &Engine,
    campaign: &CampaignRow,
    kind: Kind,
    params: &Settings,
    fire_at: Option<Millis>,
    run_id: &str,
    from: &FromNumber,
    candidate: &Candidate,
) -> Result<Sent> {
    let text = match render(engine, campaign, kind, fire_at, candidate).await? {
        Ok(text) => text,
        Err(e) => {
            return Ok(Sent::No(
                "template_error",
                Some(format!("the template failed for {}: {e}", candidate.name)),
            ));
        }
    };
    let org_id = campaign.org_id.as_str();
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let claimed = match (kind, &candidate.booking) {
        (Kind::Reminders, Some((booking_id, _))) => {
            reminders::claim(&mut tx, org_id, booking_id, now).await?
        }
        (Kind::Reminders, None) => false,
        (Kind::FollowUps, _) => {
            follow_ups::claim(&mut tx, org_id, &candidate.client_id, run_id, now).await?
        }
        (Kind::Retention, _) => {
            retention::claim(&mut tx, org_id, &candidate.client_id, params, run_id, now).await?
        }
    };
    if !claimed {
        // Another runner got there first: dropping the transaction writes nothing.
        return Ok(Sent::No(kind.taken(), None));
    }
    match outbound::send_automated(engine, &mut tx, org_id, from, &candidate.phone, &text).await {
        Ok(Automated::Queued { .. }) => {}
        Ok(Automated::OptedOut) => return Ok(Sent::No("opted_out", None)),
        Err(Error::Policy { message, .. }) => {
            return Ok(Sent::No(
                "blocked_by_policy",
                Some(format!("the text to {}: {message}", candidate.name)),
            ));
        }
        Err(e) => return Err(e),
    }
    match kind {
        Kind::Reminders => {}
        Kind::FollowUps => {
            counters::bump(&mut tx, org_id, counters::LEAD_FOLLOWUPS_SENT, 1).await?
        }
        Kind::Retention => {
            let name = counters::retention_sent(params.campaign_type());
            counters::bump(&mut tx, org_id, &name, 1).await?
        }
    }
    tx!(&mut tx, c => sqlx::query(
        "update campaign_run set sent = sent + 1, lease_until = $2, updated_at = $3 where run_id = $1")
        .bind(run_id).bind(now + lease(engine)).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(Sent::Yes)
}

/// Who the campaign would text now, with its stored settings.
pub(crate) async fn preview(engine: &Engine, campaign: &CampaignRow) -> Result<Preview> {
    let kind = campaign.kind()?;
    let params = Settings::from_json(&campaign.settings).for_kind(kind);
    let mut counts = Counts::default();
    let mut sample = Vec::new();
    let now = engine.clock.now();
    walk(
        engine,
        campaign,
        &params,
        None,
        &Mode::Preview,
        &mut counts,
        &mut sample,
        now,
    )
    .await?;
    let text = match sample.first() {
        Some(first) => render(engine, campaign, kind, None, first).await?.ok(),
        None => None,
    };
    Ok(Preview {
        count: counts.sent,
        sample: sample
            .iter()
            .map(|c| automations::triggers::payload::first_name(&c.name).to_owned())
            .collect(),
        skipped: counts.skipped,
        text,
        settings: params,
    })
}

/// Queues a job for every run whose runner died (lease run out while `running`) or whose
/// quiet-hours wait is over and that nothing resumed, in `tx`. The ticker calls this each
/// minute, and workers when they start.
pub(crate) async fn resume_abandoned(tx: &mut Tx, now: Millis) -> Result<usize> {
    let due: Vec<(String, String, Option<i64>, Option<i64>)> = tx!(tx, c => sqlx::query_as(
        "select run_id, org_id, lease_until, resume_at from campaign_run
          where (status = 'running' and lease_until <= $1) or (status = 'waiting' and resume_at <= $1)
          order by updated_at limit 500")
        .bind(now).fetch_all(c).await)?;
    for (run_id, org_id, lease_until, resume_at) in &due {
        let key = format!(
            "campaign-run:{run_id}:again:{}",
            lease_until.or(*resume_at).unwrap_or_default()
        );
        tx.enqueue_later(
            &RunCampaign::new(org_id, run_id),
            Duration::ZERO,
            Some(&key),
        )
        .await?;
    }
    Ok(due.len())
}

/// Takes up abandoned runs now (workers call this as they start: a process that died
/// mid-run).
pub async fn resume_abandoned_now(engine: &Engine) -> Result<usize> {
    let mut tx = engine.db.begin().await?;
    let n = resume_abandoned(&mut tx, engine.clock.now()).await?;
    tx.commit().await?;
    Ok(n)
}
