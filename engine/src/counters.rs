//! Per-org counters kept in the database (`org_counter`, and `org_daily_counter` by the
//! org's local day), not in process memory: they survive restarts and agree across
//! processes. A counter is bumped inside the transaction that commits what it counts, so
//! a job that runs twice, or a callback that arrives twice, counts once.
//!
//! The in-process [`crate::metrics`] are for `/metrics`; these are the owner's figures.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::{Db, Result, Tx, db, tx};

/// Texts the provider accepted, to anyone.
pub const SMS_SENT_TOTAL: &str = "sms_sent_total";
/// Texts to an owner's own mobile (`app_user.phone_e164`: automations notifying them).
pub const SMS_SENT_OWNER: &str = "sms_sent_owner";
/// Texts to anyone else: clients (and a sitter's own mobile, which the seed's two-way
/// split has no name for).
pub const SMS_SENT_CUSTOMER: &str = "sms_sent_customer";
pub const SMS_CONFIRMATIONS_VIA_SMS: &str = "sms_confirmations_via_sms";
pub const SMS_CANCELLATIONS_VIA_SMS: &str = "sms_cancellations_via_sms";
pub const SMS_RESCHEDULES_VIA_SMS: &str = "sms_reschedules_via_sms";
pub const SMS_OPT_OUT_EVENTS: &str = "sms_opt_out_events";
pub const SMS_OPT_IN_EVENTS: &str = "sms_opt_in_events";
pub const SMS_HELP_EVENTS: &str = "sms_help_events";
pub const LEAD_FOLLOWUPS_SENT: &str = "lead_followups_sent";
/// Sends a sitter tried outside their assignment window (refused), for diagnostics.
pub const SITTER_SEND_BLOCKED_NO_WINDOW: &str = "sitter_send_blocked_no_window";
/// `retention_sent:<campaign type>`, one counter per win-back campaign.
pub const RETENTION_SENT_PREFIX: &str = "retention_sent:";

pub fn retention_sent(campaign_type: &str) -> String {
    format!("{RETENTION_SENT_PREFIX}{campaign_type}")
}

/// Adds `n` to the org's counter `name`.
pub async fn bump(tx: &mut Tx, org_id: &str, name: &str, n: i64) -> Result<()> {
    tx!(tx, c => sqlx::query(
        "insert into org_counter (org_id, name, value) values ($1, $2, $3)
         on conflict (org_id, name) do update set value = org_counter.value + excluded.value")
        .bind(org_id).bind(name).bind(n).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One text the provider accepted: `sms_sent_total` and `audience` (`sms_sent_owner` or
/// `sms_sent_customer`), all-time and on `day` (the org's local date). Two statements,
/// because it runs once per text on the sending path.
pub async fn sent(tx: &mut Tx, org_id: &str, audience: &str, day: NaiveDate) -> Result<()> {
    tx!(tx, c => sqlx::query(
        "insert into org_counter (org_id, name, value) values ($1, 'sms_sent_total', 1), ($1, $2, 1)
         on conflict (org_id, name) do update set value = org_counter.value + excluded.value")
        .bind(org_id).bind(audience).execute(c).await.map(|r| r.rows_affected()))?;
    tx!(tx, c => sqlx::query(
        "insert into org_daily_counter (org_id, day, name, value) values ($1, $3, 'sms_sent_total', 1), ($1, $3, $2, 1)
         on conflict (org_id, name, day) do update set value = org_daily_counter.value + excluded.value")
        .bind(org_id).bind(audience).bind(day.to_string()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One counter of an org, 0 if never bumped.
pub async fn value(db: &Db, org_id: &str, name: &str) -> Result<i64> {
    let value: Option<i64> = db!(db, c => sqlx::query_scalar(
        "select value from org_counter where org_id = $1 and name = $2")
        .bind(org_id).bind(name).fetch_optional(c).await)?;
    Ok(value.unwrap_or(0))
}

/// Every counter of an org, those never bumped at 0: the seed's SMS metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counters {
    pub sms_sent_total: i64,
    pub sms_sent_owner: i64,
    pub sms_sent_customer: i64,
    pub sms_confirmations_via_sms: i64,
    pub sms_cancellations_via_sms: i64,
    pub sms_reschedules_via_sms: i64,
    pub sms_opt_out_events: i64,
    pub sms_opt_in_events: i64,
    pub sms_help_events: i64,
    pub lead_followups_sent: i64,
    /// Win-back texts sent, per campaign type.
    pub retention_sent: BTreeMap<String, i64>,
}

pub async fn read(db: &Db, org_id: &str) -> Result<Counters> {
    let rows: Vec<(String, i64)> = db!(db, c => sqlx::query_as(
        "select name, value from org_counter where org_id = $1")
        .bind(org_id).fetch_all(c).await)?;
    let mut counters = Counters::default();
    for (name, value) in rows {
        let slot = match name.as_str() {
            SMS_SENT_TOTAL => &mut counters.sms_sent_total,
            SMS_SENT_OWNER => &mut counters.sms_sent_owner,
            SMS_SENT_CUSTOMER => &mut counters.sms_sent_customer,
            SMS_CONFIRMATIONS_VIA_SMS => &mut counters.sms_confirmations_via_sms,
            SMS_CANCELLATIONS_VIA_SMS => &mut counters.sms_cancellations_via_sms,
            SMS_RESCHEDULES_VIA_SMS => &mut counters.sms_reschedules_via_sms,
            SMS_OPT_OUT_EVENTS => &mut counters.sms_opt_out_events,
            SMS_OPT_IN_EVENTS => &mut counters.sms_opt_in_events,
            SMS_HELP_EVENTS => &mut counters.sms_help_events,
            LEAD_FOLLOWUPS_SENT => &mut counters.lead_followups_sent,
            other => match other.strip_prefix(RETENTION_SENT_PREFIX) {
                Some(campaign) => counters
                    .retention_sent
                    .entry(campaign.to_owned())
                    .or_default(),
                None => continue,
            },
        };
        *slot = value;
    }
    Ok(counters)
}

/// Counter `name` on each of the `days` days ending with `last` (oldest first), 0 for
/// days it was not bumped.
pub async fn daily(
    db: &Db,
    org_id: &str,
    name: &str,
    last: NaiveDate,
    days: u32,
) -> Result<Vec<(NaiveDate, i64)>> {
    let dates: Vec<NaiveDate> = (0..days)
        .rev()
        .filter_map(|back| last.checked_sub_days(chrono::Days::new(back.into())))
        .collect();
    let Some(first) = dates.first() else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, i64)> = db!(db, c => sqlx::query_as(
        "select day, value from org_daily_counter where org_id = $1 and name = $2 and day >= $3 and day <= $4")
        .bind(org_id).bind(name).bind(first.to_string()).bind(last.to_string()).fetch_all(c).await)?;
    let by_day: BTreeMap<String, i64> = rows.into_iter().collect();
    Ok(dates
        .into_iter()
        .map(|d| (d, by_day.get(&d.to_string()).copied().unwrap_or(0)))
        .collect())
}
