//! Domain events that start automations. The code where something happens (a client
//! added, a booking assigned, a text received) calls [`emit`] in its own transaction: the
//! event is stored once per key, and one `run_automation` job is queued per active
//! automation of the org on that trigger. So the runs exist if and only if what they
//! react to was committed, and an event emitted twice runs nothing twice.

use automations::triggers::Trigger;
use serde::{Deserialize, Serialize};

use super::run::RunAutomation;
use crate::{
    Db, Result, Tx,
    clock::{Millis, serialize_millis},
    db, ids, tx,
};

/// What an event is about: ids of the rows, and the few facts that have no row. The
/// payload is built from these when a run or a test needs it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Refs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// `opt_out`: the keyword, and whether the client is now opted out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opted_out: Option<bool>,
    /// `appointment.upcoming`: how long before the start it fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_minutes: Option<i64>,
    /// `appointment.upcoming`: the visit it is about, which for a weekly booking is not
    /// the series' first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit_start: Option<Millis>,
    /// `schedule`: the crontab and the fire time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fired_at: Option<Millis>,
}

impl Refs {
    pub fn client(client_id: &str) -> Self {
        Self {
            client_id: Some(client_id.to_owned()),
            ..Self::default()
        }
    }

    pub fn booking(client_id: &str, booking_id: &str) -> Self {
        Self {
            booking_id: Some(booking_id.to_owned()),
            ..Self::client(client_id)
        }
    }
}

/// Stores the event (once per `key` in the org) and queues a run for each active
/// automation of the org on `trigger`. Returns the event's id, or `None` if the key was
/// seen before.
pub async fn emit(
    tx: &mut Tx,
    org_id: &str,
    trigger: Trigger,
    key: &str,
    refs: &Refs,
    now: Millis,
) -> Result<Option<String>> {
    let Some(event_id) = store(tx, org_id, trigger, key, refs, now).await? else {
        return Ok(None);
    };
    let live: Vec<(String, i64)> = tx!(tx, c => sqlx::query_as(
        "select automation_id, cast(live_version as bigint) from automation
          where org_id = $1 and trigger_event = $2 and status = 'active' and live_version is not null")
        .bind(org_id).bind(trigger.as_str()).fetch_all(c).await)?;
    for (automation_id, version) in live {
        RunAutomation::start(org_id, &automation_id, version, &event_id)
            .enqueue(tx)
            .await?;
    }
    Ok(Some(event_id))
}

/// Emits an event about whoever has `phone` in the org, if they are a client (a text
/// from a number no client has starts nothing: there is no one to act on).
pub async fn emit_for_phone(
    tx: &mut Tx,
    org_id: &str,
    trigger: Trigger,
    key: &str,
    phone: &str,
    refs: Refs,
    now: Millis,
) -> Result<Option<String>> {
    let client_id: Option<String> = tx!(tx, c => sqlx::query_scalar(
        "select client_id from client where org_id = $1 and phone_e164 = $2 and archived_at is null")
        .bind(org_id).bind(phone).fetch_optional(c).await)?;
    match client_id {
        Some(client_id) => {
            let refs = Refs {
                client_id: Some(client_id),
                ..refs
            };
            emit(tx, org_id, trigger, key, &refs, now).await
        }
        None => Ok(None),
    }
}

/// Stores an event without starting anything (the ticker starts its own runs).
pub(crate) async fn store(
    tx: &mut Tx,
    org_id: &str,
    trigger: Trigger,
    key: &str,
    refs: &Refs,
    now: Millis,
) -> Result<Option<String>> {
    let event_id = ids::new_id();
    let client_id = refs.client_id.as_deref();
    let refs_json = serde_json::to_string(refs).unwrap_or_else(|_| "{}".to_owned());
    let inserted = tx!(tx, c => sqlx::query(
        "insert into domain_event (event_id, org_id, event_key, trigger_event, client_id, refs, created_at)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing")
        .bind(&event_id).bind(org_id).bind(key).bind(trigger.as_str()).bind(client_id)
        .bind(refs_json).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok((inserted == 1).then_some(event_id))
}

/// A stored event, as the test-run picker lists it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    pub trigger: String,
    /// What it is about, in a few words ("Sarah assigned to John Smith's dog walk").
    pub summary: String,
    #[serde(serialize_with = "serialize_millis")]
    #[schema(value_type = String)]
    pub at: Millis,
    #[serde(skip)]
    pub(crate) refs: Refs,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    event_id: String,
    trigger_event: String,
    refs: String,
    created_at: i64,
    client_name: Option<String>,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        let refs: Refs = serde_json::from_str(&r.refs).unwrap_or_default();
        let who = r.client_name.unwrap_or_else(|| "a client".to_owned());
        let summary = match (r.trigger_event.as_str(), &refs.keyword) {
            ("opt_out", Some(k)) => format!("{who} texted {k}"),
            (t, _) => format!("{t} for {who}"),
        };
        Self {
            id: r.event_id,
            trigger: r.trigger_event,
            summary,
            at: r.created_at,
            refs,
        }
    }
}

const EVENT_SELECT: &str =
    "select e.event_id, e.trigger_event, e.refs, e.created_at, c.name as client_name
   from domain_event e left join client c on c.client_id = e.client_id
  where e.org_id = $1";

/// The org's latest events of one trigger, newest first: what a test run may use.
pub async fn recent(db: &Db, org_id: &str, trigger: Trigger, limit: i64) -> Result<Vec<Event>> {
    let sql =
        format!("{EVENT_SELECT} and e.trigger_event = $2 order by e.created_at desc limit $3");
    let rows: Vec<EventRow> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org_id).bind(trigger.as_str())
        .bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(db: &Db, org_id: &str, event_id: &str) -> Result<Option<Event>> {
    let sql = format!("{EVENT_SELECT} and e.event_id = $2");
    let row: Option<EventRow> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org_id).bind(event_id)
        .fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}
