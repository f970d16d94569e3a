//! Campaigns: Switchboard's scheduled sends over a segment of clients. Three kinds, one
//! campaign of each per org: appointment reminders (bookings starting soon), lead
//! follow-ups (leads who never booked), and win-back (clients not seen for a while).
//!
//! Each kind has its own eligibility query ([`reminders`], [`follow_ups`],
//! [`retention`]), read page by page so memory stays flat, and its text is a minijinja
//! template rendered like an automation's (`automations::templates`, strict undefined)
//! against the payload of the trigger whose objects it has. Every text goes through
//! [`outbound::send_automated`](crate::outbound::send_automated) from the org's front-desk
//! number, in a transaction that also writes the state that makes it exactly once (a
//! booking's `reminder_sent_at`, a `campaign_send` row) and bumps the counters; a runner
//! that writes no state sends nothing. So two API calls at once, the scheduler, and a run
//! taken up again after a crash never text anyone twice.
//!
//! - [`run`]: campaign runs (`campaign_run`), the `run_campaign` job, and the send loop.
//! - [`ticker`]: the once-a-minute pass that fires due campaigns and takes up runs whose
//!   runner died.
//! - [`replies`]: a client's reply to a reminder (confirm, cancel, reschedule).

pub mod follow_ups;
pub mod reminders;
pub mod replies;
pub mod retention;
pub mod run;
pub mod settings;
pub mod ticker;

use automations::{
    templates::{self, Audience},
    triggers::{Schedule, Trigger},
};
use serde::{Deserialize, Serialize};

pub use run::{Counts, Run};
pub use settings::Settings;

use crate::{
    Db, Engine, Error, Problems, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::{Millis, serialize_millis, serialize_opt_millis, to_datetime},
    db, ids, tx,
};

/// What a campaign sends, to whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A reminder for each booking starting within `hours_ahead`.
    Reminders,
    /// One text to each lead of the last `days` who has not booked.
    FollowUps,
    /// Win-back: clients whose last completed visit is `min_days_since_last_visit` old.
    Retention,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Self::Reminders, Self::FollowUps, Self::Retention];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reminders => "reminders",
            Self::FollowUps => "follow_ups",
            Self::Retention => "retention",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(Error::NotFound("campaign"))
    }

    /// The trigger whose payload the template sees: `client`, `org`, and for reminders
    /// `booking` and `reminder`, for follow-ups `lead`, for win-back `schedule`.
    pub fn trigger(self) -> Trigger {
        match self {
            Self::Reminders => Trigger::AppointmentUpcoming,
            Self::FollowUps => Trigger::LeadCreated,
            Self::Retention => Trigger::Schedule,
        }
    }

    fn default_name(self) -> &'static str {
        match self {
            Self::Reminders => "Appointment reminders",
            Self::FollowUps => "Lead follow-ups",
            Self::Retention => "Win-back",
        }
    }

    /// Reminders hourly, follow-ups daily at 10:00, win-back Mondays at 10:00 (the org's
    /// time).
    fn default_cron(self) -> &'static str {
        match self {
            Self::Reminders => "0 * * * *",
            Self::FollowUps => "0 10 * * *",
            Self::Retention => "0 10 * * 1",
        }
    }

    /// The stock texts. The reminder says what to reply ([`replies`]).
    pub fn default_template(self) -> &'static str {
        match self {
            Self::Reminders => {
                "Hi {{ client.first_name }}, a reminder from {{ org.name }}: your {{ booking.service_type | replace('_', ' ') }} is {{ booking.start | datetime }}. Reply 1 to confirm, 2 to cancel or 3 to reschedule."
            }
            Self::FollowUps => {
                "Hi {{ client.first_name }}, it's {{ org.name }}. Thanks for getting in touch! Reply with a day that suits you and we'll get you booked."
            }
            Self::Retention => {
                "We miss you, {{ client.first_name }}! It's been a while since your last visit with {{ org.name }}. Reply to book your next one."
            }
        }
    }

    /// What a runner that found the item already taken counts it as.
    fn taken(self) -> &'static str {
        match self {
            Self::Reminders => "already_reminded",
            Self::FollowUps => "already_followed_up",
            Self::Retention => "cooldown",
        }
    }
}

/// A campaign as listed and edited.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    pub id: String,
    pub kind: Kind,
    pub name: String,
    /// Five-field crontab in the org's time zone.
    pub cron: String,
    pub template: String,
    pub settings: Settings,
    /// Whether the schedule runs it (the API and Run now work either way).
    pub enabled: bool,
    #[serde(serialize_with = "serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub next_run_at: Option<Millis>,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub updated_at: Millis,
}

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    pub campaign_id: String,
    pub org_id: String,
    pub kind: String,
    pub name: String,
    pub cron: String,
    pub template: String,
    pub settings: String,
    pub enabled: bool,
    pub next_run_at: Option<i64>,
    pub updated_at: i64,
}

impl Row {
    pub(crate) fn kind(&self) -> Result<Kind> {
        Kind::parse(&self.kind)
    }
}

impl TryFrom<Row> for Campaign {
    type Error = Error;

    fn try_from(r: Row) -> Result<Self> {
        Ok(Self {
            kind: r.kind()?,
            settings: Settings::from_json(&r.settings),
            id: r.campaign_id,
            name: r.name,
            cron: r.cron,
            template: r.template,
            enabled: r.enabled,
            next_run_at: r.next_run_at,
            updated_at: r.updated_at,
        })
    }
}

pub(crate) const SELECT: &str = "select campaign_id, org_id, kind, name, cron, template, settings,
        enabled, next_run_at, updated_at
   from campaign";

/// Gives the org any of the three campaigns it does not have yet, with the stock
/// settings, turned off. Called where orgs are made, and lazily for older orgs.
pub async fn load_defaults(tx: &mut Tx, org_id: &str, now: Millis) -> Result<()> {
    for kind in Kind::ALL {
        tx!(tx, c => sqlx::query(
            "insert into campaign (campaign_id, org_id, kind, name, cron, template, settings, enabled, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, '{}', false, $7, $7) on conflict do nothing")
            .bind(ids::new_id()).bind(org_id).bind(kind.as_str()).bind(kind.default_name())
            .bind(kind.default_cron()).bind(kind.default_template()).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Loads the defaults for an org made before campaigns existed (a write only then).
async fn ensure_defaults(engine: &Engine, org_id: &str) -> Result<()> {
    let have: i64 = db!(&engine.db, c => sqlx::query_scalar(
        "select count(*) from campaign where org_id = $1").bind(org_id).fetch_one(c).await)?;
    if have >= Kind::ALL.len() as i64 {
        return Ok(());
    }
    let mut tx = engine.db.begin().await?;
    load_defaults(&mut tx, org_id, engine.clock.now()).await?;
    tx.commit().await
}

/// The org's three campaigns, reminders first.
pub async fn list(engine: &Engine, scope: &OwnerScope) -> Result<Vec<Campaign>> {
    ensure_defaults(engine, &scope.org_id).await?;
    let sql = format!("{SELECT} where org_id = $1");
    let rows: Vec<Row> = db!(&engine.db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&scope.org_id).fetch_all(c).await)?;
    let mut campaigns: Vec<Campaign> = rows
        .into_iter()
        .map(Campaign::try_from)
        .collect::<Result<_>>()?;
    campaigns.sort_by_key(|c| Kind::ALL.iter().position(|k| *k == c.kind));
    Ok(campaigns)
}

pub(crate) async fn row(db: &Db, org_id: &str, campaign_id: &str) -> Result<Row> {
    let sql = format!("{SELECT} where org_id = $1 and campaign_id = $2");
    let row: Option<Row> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org_id).bind(campaign_id).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound("campaign"))
}

pub async fn get(engine: &Engine, scope: &OwnerScope, campaign_id: &str) -> Result<Campaign> {
    row(&engine.db, &scope.org_id, campaign_id)
        .await?
        .try_into()
}

/// The org's campaign of `kind` (made now if the org predates campaigns).
pub async fn of_kind(engine: &Engine, scope: &OwnerScope, kind: Kind) -> Result<Campaign> {
    ensure_defaults(engine, &scope.org_id).await?;
    let sql = format!("{SELECT} where org_id = $1 and kind = $2");
    let row: Option<Row> = db!(&engine.db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&scope.org_id).bind(kind.as_str()).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound("campaign"))?.try_into()
}

/// What `PUT /api/campaigns/{id}` may change; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub cron: Option<String>,
    pub template: Option<String>,
    pub enabled: Option<bool>,
    /// Replaces the stored settings (send every setting you want kept).
    pub settings: Option<Settings>,
}

/// Checks a template for a campaign of `kind`: its variables against the kind's
/// payload, and a render of the sample, as an automation's are checked.
pub fn check_template(kind: Kind, template: &str) -> Result<String> {
    let template = template.trim();
    if template.is_empty() {
        return Err(Error::invalid(
            "template",
            "is empty; write the text to send",
        ));
    }
    templates::check(template, kind.trigger(), Audience::Client)
        .map_err(|e| Error::invalid("template", format!("has a problem: {e}")))?;
    Ok(template.to_owned())
}

/// When the campaign next fires after `after`, read in the org's zone.
fn next_fire(cron: &str, time_zone: &str, after: Millis) -> Option<Millis> {
    let zone = crate::clock::zone(time_zone);
    Schedule::parse(cron)
        .ok()?
        .next_after(to_datetime(after), zone)
        .map(|t| t.timestamp_millis())
}

/// Changes a campaign: the crontab checked as automations' are (five fields, at most
/// hourly), the template checked against the kind's payload, the settings' ranges.
/// Turning it on (or changing its schedule) sets its next fire time. Audited.
pub async fn update(
    engine: &Engine,
    scope: &OwnerScope,
    campaign_id: &str,
    changes: CampaignChanges,
) -> Result<Campaign> {
    let old = row(&engine.db, &scope.org_id, campaign_id).await?;
    let kind = old.kind()?;
    let mut p = Problems::default();
    let name = match &changes.name {
        Some(n) => p.check(crate::fields::name("name", n, 80))?,
        None => Some(old.name.clone()),
    };
    let cron = match changes.cron.as_deref().map(str::trim) {
        Some(c) => match Schedule::parse(c) {
            Ok(s) => Some(s.expression().to_owned()),
            Err(e) => {
                p.add("cron", format!("does not work: {e}"));
                None
            }
        },
        None => Some(old.cron.clone()),
    };
    let template = match &changes.template {
        Some(t) => p.check(check_template(kind, t))?,
        None => Some(old.template.clone()),
    };
    let settings = match changes.settings {
        Some(s) => p.check(s.checked())?,
        None => Some(Settings::from_json(&old.settings)),
    };
    p.finish()?;
    let (Some(name), Some(cron), Some(template), Some(settings)) = (name, cron, template, settings)
    else {
        return Err(Error::Internal("checked fields went missing".into()));
    };
    let enabled = changes.enabled.unwrap_or(old.enabled);
    let now = engine.clock.now();
    let org = crate::accounts::org(&engine.db, &scope.org_id).await?;
    let next_run_at = if !enabled {
        None
    } else if old.enabled && cron == old.cron && old.next_run_at.is_some() {
        old.next_run_at
    } else {
        next_fire(&cron, &org.time_zone, now)
    };
    let mut changed = Vec::new();
    if name != old.name {
        changed.push("name");
    }
    if cron != old.cron {
        changed.push("cron");
    }
    if template != old.template {
        changed.push("template");
    }
    if settings.to_json() != old.settings {
        changed.push("settings");
    }
    if enabled != old.enabled {
        changed.push("enabled");
    }
    let mut tx = engine.db.begin().await?;
    tx!(&mut tx, c => sqlx::query(
        "update campaign set name = $3, cron = $4, template = $5, settings = $6, enabled = $7,
                next_run_at = $8, updated_at = $9
          where org_id = $1 and campaign_id = $2")
        .bind(&scope.org_id).bind(campaign_id).bind(&name).bind(&cron).bind(&template)
        .bind(settings.to_json()).bind(enabled).bind(next_run_at).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if !changed.is_empty() {
        audit::record(
            &mut tx,
            &scope.org_id,
            scope.into(),
            "campaign.updated",
            Some(("campaign", campaign_id)),
            &serde_json::json!({ "kind": kind, "changed": changed, "enabled": enabled, "cron": cron }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    get(engine, scope, campaign_id).await
}

/// Who a campaign would text if it ran now, without sending anything.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Texts a run now would send ("37 clients would receive this now").
    pub count: i64,
    /// The first few recipients' first names.
    pub sample: Vec<String>,
    /// Who would be left out, and why.
    pub skipped: std::collections::BTreeMap<String, i64>,
    /// The text the first recipient would get.
    pub text: Option<String>,
    /// The settings the count is for.
    pub settings: Settings,
}

/// The segment as it stands now (quiet hours aside: a preview is about who, not when).
pub async fn preview(engine: &Engine, scope: &OwnerScope, campaign_id: &str) -> Result<Preview> {
    let campaign = row(&engine.db, &scope.org_id, campaign_id).await?;
    run::preview(engine, &campaign).await
}
