//! Owners' automations as stored: the automation (name, lane, status, which version is
//! live), its immutable versions, and the rule that only a version with a passing test
//! run may go live. The program itself (trigger, conditions, actions, templates) is the
//! `automations` crate's [`AutomationVersion`]; it is checked and compiled on every save.
//!
//! - [`events`]: domain events, and `emit`, which queues one run per matching automation.
//! - [`run`]: the `run_automation` job that carries a live execution out step by step.
//! - [`executions`]: execution records, test runs and re-runs.
//! - [`ticker`]: `schedule` and `appointment.upcoming`, found by a once-a-minute job.
//! - [`stock`]: the automations shipped in `scripts/`, loaded into new orgs as drafts.

pub mod events;
pub mod executions;
pub(crate) mod payload;
pub mod run;
pub mod stock;
pub mod ticker;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use automations::{
    Invalid, Problem,
    plan::{AutomationVersion, CompiledAutomation},
    triggers::{Object, Trigger},
};
use serde::{Deserialize, Serialize};

use crate::{
    Db, Engine, Error, Result, Tx,
    accounts::OwnerScope,
    audit::{self, Actor},
    clock::{Millis, serialize_millis, serialize_opt_millis},
    db, ids, tx,
};

/// What activating an untested version answers.
pub const UNTESTED_TEXT: &str = "You must run a successful test before activating this automation.";
/// What changing or activating an archived automation answers.
const ARCHIVED_TEXT: &str = "this automation is archived; restore it by creating a copy";
const MAX_NAME_CHARS: usize = 80;
const MAX_DESCRIPTION_CHARS: usize = 500;
/// The longest frequency cap: a year.
const MAX_CAP_HOURS: i64 = 24 * 366;

/// The number class an automation's texts leave from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// The org's front-desk number.
    FrontDesk,
    /// The number of the sitter assigned to the booking.
    Sitter,
    /// The pool number lent to the client's conversation.
    Pool,
}

impl Lane {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FrontDesk => "front_desk",
            Self::Sitter => "sitter",
            Self::Pool => "pool",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "sitter" => Self::Sitter,
            "pool" => Self::Pool,
            _ => Self::FrontDesk,
        }
    }
}

/// What the builder saves: the automation's settings and the program of a new version.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewAutomation {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub lane: Lane,
    /// At most one run per client per this many hours (1–8784); absent: no cap.
    #[serde(default)]
    pub frequency_cap_hours: Option<i64>,
    /// `{"event": "booking.created"}`; `appointment.upcoming` takes `offset_minutes`,
    /// `schedule` takes `cron`.
    #[schema(value_type = Object)]
    pub trigger: serde_json::Value,
    /// `{"type": "builder", "match": "all", "rows": [{"field", "operator", "value"}]}` or
    /// `{"type": "script", "source": "…"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub conditions: Option<serde_json::Value>,
    /// `[{"type": "send_sms", "to": "client", "template": "Hi {{ client.first_name }}"}]`.
    #[schema(value_type = Vec<Object>)]
    pub actions: serde_json::Value,
}

/// An automation as listed and shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Automation {
    pub id: String,
    pub name: String,
    pub description: String,
    pub lane: Lane,
    /// The trigger of the live version, or of the latest before one goes live.
    pub trigger: String,
    /// `draft`, `active`, `paused` or `archived`.
    pub status: String,
    pub latest_version: i64,
    pub live_version: Option<i64>,
    /// The latest version has a passing test run.
    pub latest_tested: bool,
    pub frequency_cap_hours: Option<i64>,
    pub stock_key: Option<String>,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub created_at: Millis,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub updated_at: Millis,
    pub last_run: Option<LastRun>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastRun {
    pub execution_id: String,
    pub status: String,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub at: Millis,
}

/// One saved version.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub version: i64,
    #[schema(value_type = Object)]
    pub program: AutomationVersion,
    /// The conditions as one Rhai expression (or the script as written).
    pub conditions_rhai: String,
    pub lane: Lane,
    pub frequency_cap_hours: Option<i64>,
    pub live: bool,
    /// When this exact version last passed a test run.
    #[serde(serialize_with = "serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub tested_at: Option<Millis>,
    pub created_by: Option<String>,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub created_at: Millis,
}

/// An automation with its latest version, for the builder.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationDetail {
    #[serde(flatten)]
    pub automation: Automation,
    pub version: Version,
}

#[derive(sqlx::FromRow)]
struct Row {
    automation_id: String,
    name: String,
    description: String,
    lane: String,
    trigger_event: String,
    status: String,
    latest_version: i64,
    live_version: Option<i64>,
    latest_tested: bool,
    frequency_cap_hours: Option<i64>,
    stock_key: Option<String>,
    created_at: i64,
    updated_at: i64,
    last_execution_id: Option<String>,
    last_status: Option<String>,
    last_at: Option<i64>,
}

impl From<Row> for Automation {
    fn from(r: Row) -> Self {
        let last_run = match (r.last_execution_id, r.last_status, r.last_at) {
            (Some(execution_id), Some(status), Some(at)) => Some(LastRun {
                execution_id,
                status,
                at,
            }),
            _ => None,
        };
        Self {
            id: r.automation_id,
            name: r.name,
            description: r.description,
            lane: Lane::parse(&r.lane),
            trigger: r.trigger_event,
            status: r.status,
            latest_version: r.latest_version,
            live_version: r.live_version,
            latest_tested: r.latest_tested,
            frequency_cap_hours: r.frequency_cap_hours,
            stock_key: r.stock_key,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_run,
        }
    }
}

const SELECT: &str = "select a.automation_id, a.name, a.description, a.lane, a.trigger_event, a.status,
        cast(a.latest_version as bigint) as latest_version, cast(a.live_version as bigint) as live_version,
        (v.tested_at is not null) as latest_tested, cast(a.frequency_cap_hours as bigint) as frequency_cap_hours,
        a.stock_key, a.created_at, a.updated_at,
        e.execution_id as last_execution_id, e.status as last_status, e.started_at as last_at
   from automation a
   join automation_version v on v.automation_id = a.automation_id and v.version = a.latest_version
   left join automation_execution e on e.execution_id = (
        select x.execution_id from automation_execution x
         where x.org_id = a.org_id and x.automation_id = a.automation_id and x.mode = 'live'
         order by x.started_at desc limit 1)
  where a.org_id = $1";

/// The org's automations, most recently changed first; archived ones only when asked.
pub async fn list(db: &Db, scope: &OwnerScope, archived: bool) -> Result<Vec<Automation>> {
    let sql = format!(
        "{SELECT} and (a.status = 'archived') = $2 order by a.updated_at desc, a.automation_id"
    );
    let rows: Vec<Row> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(&scope.org_id).bind(archived)
        .fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(db: &Db, scope: &OwnerScope, automation_id: &str) -> Result<Automation> {
    let sql = format!("{SELECT} and a.automation_id = $2");
    let row: Option<Row> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(&scope.org_id).bind(automation_id)
        .fetch_optional(c).await)?;
    row.map(Into::into).ok_or(Error::NotFound("automation"))
}

/// The automation with its latest version.
pub async fn detail(
    engine: &Engine,
    scope: &OwnerScope,
    automation_id: &str,
) -> Result<AutomationDetail> {
    let automation = get(&engine.db, scope, automation_id).await?;
    let version = version(engine, scope, automation_id, automation.latest_version).await?;
    Ok(AutomationDetail {
        automation,
        version,
    })
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    program: String,
    lane: String,
    frequency_cap_hours: Option<i64>,
    tested_at: Option<i64>,
    created_by: Option<String>,
    created_at: i64,
    live: bool,
}

const VERSION_SELECT: &str = "select cast(v.version as bigint) as version, v.program, v.lane,
        cast(v.frequency_cap_hours as bigint) as frequency_cap_hours, v.tested_at, v.created_by, v.created_at,
        (a.live_version is not null and a.live_version = v.version) as live
   from automation_version v join automation a on a.automation_id = v.automation_id
  where v.org_id = $1 and v.automation_id = $2";

impl VersionRow {
    fn into_version(self, engine: &Engine, automation_id: &str) -> Result<Version> {
        let compiled = compiled_from(engine, automation_id, self.version, &self.program)?;
        Ok(Version {
            version: self.version,
            program: compiled.version().clone(),
            conditions_rhai: compiled.conditions_rhai().to_owned(),
            lane: Lane::parse(&self.lane),
            frequency_cap_hours: self.frequency_cap_hours,
            live: self.live,
            tested_at: self.tested_at,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

/// Every version, newest first.
pub async fn versions(
    engine: &Engine,
    scope: &OwnerScope,
    automation_id: &str,
) -> Result<Vec<Version>> {
    get(&engine.db, scope, automation_id).await?;
    let sql = format!("{VERSION_SELECT} order by v.version desc");
    let rows: Vec<VersionRow> = db!(&engine.db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(&scope.org_id).bind(automation_id)
        .fetch_all(c).await)?;
    rows.into_iter()
        .map(|r| r.into_version(engine, automation_id))
        .collect()
}

pub async fn version(
    engine: &Engine,
    scope: &OwnerScope,
    automation_id: &str,
    version: i64,
) -> Result<Version> {
    let sql = format!("{VERSION_SELECT} and v.version = $3");
    let row: Option<VersionRow> = db!(&engine.db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(&scope.org_id)
        .bind(automation_id).bind(version).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound("automation version"))?
        .into_version(engine, automation_id)
}

/// Checks a save: the settings, and the program compiled, every problem at once.
pub(crate) fn check(new: &NewAutomation) -> Result<CompiledAutomation> {
    let mut problems = Vec::new();
    let name = new.name.trim();
    if name.is_empty() {
        problems.push(Problem::new("name", "is empty; name the automation"));
    } else if name.chars().count() > MAX_NAME_CHARS {
        problems.push(Problem::new(
            "name",
            format!("may be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if new.description.chars().count() > MAX_DESCRIPTION_CHARS {
        problems.push(Problem::new(
            "description",
            format!("may be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    if let Some(cap) = new.frequency_cap_hours
        && !(1..=MAX_CAP_HOURS).contains(&cap)
    {
        problems.push(Problem::new(
            "frequencyCapHours",
            format!("must be between 1 and {MAX_CAP_HOURS} hours"),
        ));
    }
    let program = serde_json::json!({
        "trigger": new.trigger,
        "conditions": new.conditions.clone().unwrap_or_else(|| serde_json::json!({"type": "builder"})),
        "actions": new.actions,
    });
    let program: AutomationVersion = match serde_json::from_value(program) {
        Ok(p) => p,
        Err(e) => {
            let field = ["trigger", "conditions", "actions"]
                .into_iter()
                .find(|f| e.to_string().contains(f))
                .unwrap_or("actions");
            problems.push(Problem::new(field, e.to_string()));
            return Err(Error::Automation(problems.into()));
        }
    };
    let trigger = program.trigger.trigger();
    if new.lane == Lane::Sitter && !trigger.has(Object::Sitter) && !trigger.has(Object::Booking) {
        problems.push(Problem::new(
            "lane",
            format!("a {trigger} event has no assigned sitter whose number could send"),
        ));
    }
    match program.compile() {
        Ok(compiled) if problems.is_empty() => Ok(compiled),
        Ok(_) => Err(Error::Automation(problems.into())),
        Err(Invalid { problems: more }) => {
            problems.extend(more);
            Err(Error::Automation(problems.into()))
        }
    }
}

/// Saves a new automation as a draft with version 1. Audited.
pub async fn create(
    engine: &Engine,
    scope: &OwnerScope,
    new: &NewAutomation,
    stock_key: Option<&str>,
) -> Result<AutomationDetail> {
    let compiled = check(new)?;
    let now = engine.clock.now();
    let automation_id = ids::new_id();
    let mut tx = engine.db.begin().await?;
    insert(
        &mut tx,
        scope,
        scope.into(),
        &automation_id,
        new,
        &compiled,
        stock_key,
        now,
    )
    .await?;
    tx.commit().await?;
    detail(engine, scope, &automation_id).await
}

/// Inserts a new automation and its version 1, in `tx`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert(
    tx: &mut Tx,
    scope: &OwnerScope,
    actor: Actor<'_>,
    automation_id: &str,
    new: &NewAutomation,
    compiled: &CompiledAutomation,
    stock_key: Option<&str>,
    now: Millis,
) -> Result<()> {
    let org_id = scope.org_id.as_str();
    let trigger = compiled.version().trigger.trigger();
    tx!(tx, c => sqlx::query(
        "insert into automation (automation_id, org_id, name, description, lane, trigger_event, status,
                                 latest_version, frequency_cap_hours, stock_key, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, 'draft', 1, $7, $8, $9, $9)")
        .bind(automation_id).bind(org_id).bind(new.name.trim()).bind(new.description.trim())
        .bind(new.lane.as_str()).bind(trigger.as_str()).bind(new.frequency_cap_hours)
        .bind(stock_key).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    insert_version(tx, scope, automation_id, 1, new, compiled, now).await?;
    audit::record(
        tx,
        org_id,
        actor,
        "automation.created",
        Some(("automation", automation_id)),
        &serde_json::json!({"name": new.name.trim(), "trigger": trigger.as_str(), "stock": stock_key}),
        now,
    )
    .await
}

fn program_text(compiled: &CompiledAutomation) -> Result<String> {
    serde_json::to_string(compiled.version()).map_err(|e| Error::Internal(e.to_string()))
}

async fn insert_version(
    tx: &mut Tx,
    scope: &OwnerScope,
    automation_id: &str,
    version: i64,
    new: &NewAutomation,
    compiled: &CompiledAutomation,
    now: Millis,
) -> Result<()> {
    tx!(tx, c => sqlx::query(
        "insert into automation_version (automation_id, version, org_id, program, lane, frequency_cap_hours, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(automation_id).bind(version).bind(&scope.org_id).bind(program_text(compiled)?)
        .bind(new.lane.as_str()).bind(new.frequency_cap_hours).bind(&scope.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Saves a new version (unless the program, lane and cap are the latest's as they are:
/// then only the name and description change). An active automation keeps running its
/// live version until the new one is tested and activated. Audited.
pub async fn update(
    engine: &Engine,
    scope: &OwnerScope,
    automation_id: &str,
    new: &NewAutomation,
) -> Result<AutomationDetail> {
    let compiled = check(new)?;
    let now = engine.clock.now();
    let org_id = scope.org_id.as_str();
    let mut tx = engine.db.begin().await?;
    type Current = (i64, String, String, String, Option<i64>);
    let current: Option<Current> = tx!(&mut tx, c => sqlx::query_as(
        "select cast(a.latest_version as bigint), a.status, v.program, v.lane, cast(v.frequency_cap_hours as bigint)
           from automation a join automation_version v on v.automation_id = a.automation_id and v.version = a.latest_version
          where a.org_id = $1 and a.automation_id = $2")
        .bind(org_id).bind(automation_id).fetch_optional(c).await)?;
    let (latest, status, program, lane, cap) = current.ok_or(Error::NotFound("automation"))?;
    if status == "archived" {
        return Err(Error::Conflict(ARCHIVED_TEXT.into()));
    }
    let unchanged = program == program_text(&compiled)?
        && lane == new.lane.as_str()
        && cap == new.frequency_cap_hours;
    let next = if unchanged { latest } else { latest + 1 };
    if !unchanged {
        insert_version(&mut tx, scope, automation_id, next, new, &compiled, now).await?;
    }
    let trigger = compiled.version().trigger.trigger().as_str();
    // The trigger shown and matched is the live version's while one runs.
    tx!(&mut tx, c => sqlx::query(
        "update automation set name = $3, description = $4, lane = $5, frequency_cap_hours = $6,
                latest_version = $7, updated_at = $8,
                trigger_event = case when live_version is null then $9 else trigger_event end
          where org_id = $1 and automation_id = $2")
        .bind(org_id).bind(automation_id).bind(new.name.trim()).bind(new.description.trim())
        .bind(new.lane.as_str()).bind(new.frequency_cap_hours).bind(next).bind(now).bind(trigger)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        org_id,
        scope.into(),
        "automation.updated",
        Some(("automation", automation_id)),
        &serde_json::json!({"version": next, "trigger": trigger}),
        now,
    )
    .await?;
    tx.commit().await?;
    detail(engine, scope, automation_id).await
}

/// Puts a version live (the latest unless named). Refused with [`UNTESTED_TEXT`] unless
/// that exact version has a passing test run, and for an archived automation, which (as
/// with [`update`]) comes back only as a copy. Audited.
pub async fn activate(
    engine: &Engine,
    scope: &OwnerScope,
    automation_id: &str,
    version: Option<i64>,
) -> Result<Automation> {
    let current = get(&engine.db, scope, automation_id).await?;
    if current.status == "archived" {
        return Err(Error::Conflict(ARCHIVED_TEXT.into()));
    }
    let number = version.unwrap_or(current.latest_version);
    let chosen = self::version(engine, scope, automation_id, number).await?;
    if chosen.tested_at.is_none() {
        return Err(Error::Conflict(UNTESTED_TEXT.into()));
    }
    let now = engine.clock.now();
    let trigger = chosen.program.trigger.trigger().as_str();
    let mut tx = engine.db.begin().await?;
    // Checked again here: an archive that lands between the read and this write wins.
    let activated = tx!(&mut tx, c => sqlx::query(
        "update automation set status = 'active', live_version = $3, trigger_event = $4, updated_at = $5
          where org_id = $1 and automation_id = $2 and status <> 'archived'")
        .bind(&scope.org_id).bind(automation_id).bind(number).bind(trigger).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if activated == 0 {
        return Err(Error::Conflict(ARCHIVED_TEXT.into()));
    }
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "automation.activated",
        Some(("automation", automation_id)),
        &serde_json::json!({"version": number, "previousVersion": current.live_version}),
        now,
    )
    .await?;
    tx.commit().await?;
    get(&engine.db, scope, automation_id).await
}

/// Pauses (`paused`) or archives (`archived`) an automation: its live version stops
/// starting new runs; runs already waiting finish. Audited.
pub async fn set_status(
    engine: &Engine,
    scope: &OwnerScope,
    automation_id: &str,
    status: &'static str,
) -> Result<Automation> {
    let current = get(&engine.db, scope, automation_id).await?;
    if status == "paused" && current.status != "active" {
        return Err(Error::Conflict(
            format!(
                "only an active automation can be paused; this one is {}",
                current.status
            )
            .into(),
        ));
    }
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    tx!(&mut tx, c => sqlx::query(
        "update automation set status = $3, updated_at = $4 where org_id = $1 and automation_id = $2")
        .bind(&scope.org_id).bind(automation_id).bind(status).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        &format!("automation.{status}"),
        Some(("automation", automation_id)),
        &serde_json::json!({"previousStatus": current.status}),
        now,
    )
    .await?;
    tx.commit().await?;
    get(&engine.db, scope, automation_id).await
}

/// Compiled versions, by (automation, version). Versions never change, so entries never
/// go stale; the map is emptied when it grows large.
#[derive(Clone, Debug, Default)]
pub(crate) struct CompiledCache(Arc<Mutex<HashMap<VersionKey, Arc<CompiledAutomation>>>>);

/// (automation id, version number).
type VersionKey = (String, i64);

const CACHE_LIMIT: usize = 2_000;

fn compiled_from(
    engine: &Engine,
    automation_id: &str,
    version: i64,
    program: &str,
) -> Result<Arc<CompiledAutomation>> {
    let key = (automation_id.to_owned(), version);
    if let Some(hit) = engine
        .compiled
        .0
        .lock()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        return Ok(hit);
    }
    let program: AutomationVersion = serde_json::from_str(program)
        .map_err(|e| Error::Internal(format!("stored automation version: {e}")))?;
    let compiled = Arc::new(
        program
            .compile()
            .map_err(|e| Error::Internal(format!("stored automation version: {e}")))?,
    );
    if let Ok(mut map) = engine.compiled.0.lock() {
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(key, compiled.clone());
    }
    Ok(compiled)
}

/// One version, compiled, for a run.
pub(crate) async fn compiled(
    engine: &Engine,
    org_id: &str,
    automation_id: &str,
    version: i64,
) -> Result<Arc<CompiledAutomation>> {
    let key = (automation_id.to_owned(), version);
    if let Some(hit) = engine
        .compiled
        .0
        .lock()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        return Ok(hit);
    }
    let program: Option<String> = db!(&engine.db, c => sqlx::query_scalar(
        "select program from automation_version where org_id = $1 and automation_id = $2 and version = $3")
        .bind(org_id).bind(automation_id).bind(version).fetch_optional(c).await)?;
    let program = program.ok_or(Error::NotFound("automation version"))?;
    compiled_from(engine, automation_id, version, &program)
}

/// The trigger of a parsed trigger name, for callers holding text.
pub fn trigger(name: &str) -> Result<Trigger> {
    name.parse()
        .map_err(|_| Error::invalid("trigger", "is not a known trigger"))
}
