//! Bookings: a visit (or a weekly series of visits) for a client, with the sitter who
//! does it. Every change is audited and, in the same transaction, brings the booking's
//! assignment windows in line (see [`crate::proactive`]).

use serde::Serialize;

use ::automations::triggers::Trigger;

use crate::automations::events::{self, Refs};
use crate::{
    Db, Error, Problems, Result, Tx,
    accounts::OwnerScope,
    audit, clients,
    clock::{Millis, to_rfc3339},
    db,
    fields::{self, Patch},
    ids, paging, proactive, sitters, tx,
};

/// The statuses a request may set.
pub const STATUSES: [&str; 4] = ["scheduled", "confirmed", "completed", "cancelled"];
/// A client asked for another time (by replying to a reminder): the owner's to settle.
/// Set by the reply, never by a request; lists may filter by it.
pub const PENDING_RESCHEDULE: &str = "pending_reschedule";

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub sitter_id: Option<String>,
    pub sitter_name: Option<String>,
    pub service_type: String,
    /// The (first) visit's start and end.
    pub start_at: String,
    pub end_at: String,
    /// `scheduled`, `confirmed`, `completed`, `cancelled` or `pending_reschedule`.
    pub status: String,
    /// `none`, or `weekly`: the visit repeats every week at the same time.
    pub recurrence: String,
    /// The thread the booking's windows are on, once it has any.
    pub thread_id: Option<String>,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct BookingRow {
    booking_id: String,
    client_id: String,
    client_name: String,
    sitter_id: Option<String>,
    sitter_name: Option<String>,
    service_type: String,
    start_at: i64,
    end_at: i64,
    status: String,
    recurring: bool,
    thread_id: Option<String>,
    created_at: i64,
}

impl From<BookingRow> for Booking {
    fn from(r: BookingRow) -> Self {
        Self {
            id: r.booking_id,
            client_id: r.client_id,
            client_name: r.client_name,
            sitter_id: r.sitter_id,
            sitter_name: r.sitter_name,
            service_type: r.service_type,
            start_at: to_rfc3339(r.start_at),
            end_at: to_rfc3339(r.end_at),
            status: r.status,
            recurrence: recurrence_name(r.recurring).to_owned(),
            thread_id: r.thread_id,
            created_at: to_rfc3339(r.created_at),
        }
    }
}

fn recurrence_name(weekly: bool) -> &'static str {
    if weekly { "weekly" } else { "none" }
}

/// `none` or `weekly`, as stored: weekly or not.
pub fn parse_recurrence(raw: &str) -> Result<bool> {
    match raw {
        "none" => Ok(false),
        "weekly" => Ok(true),
        _ => Err(Error::invalid("recurrence", "must be none or weekly")),
    }
}

/// When each visit of a booking starts within `[from, to)`: the one visit, or every
/// weekly one. A cancelled booking has none; a completed one (a finished series, too)
/// none after `now`.
pub fn visit_starts(
    start: Millis,
    weekly: bool,
    status: &str,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Vec<Millis> {
    let to = match status {
        "cancelled" => return Vec::new(),
        "completed" => to.min(now),
        _ => to,
    };
    if !weekly {
        return if (from..to).contains(&start) {
            vec![start]
        } else {
            Vec::new()
        };
    }
    // The first visit at or after `from`: rounded up to a whole number of weeks.
    let first = if start >= from {
        0
    } else {
        (from - start + proactive::WEEK - 1) / proactive::WEEK
    };
    (first..)
        .map(|k| start + k * proactive::WEEK)
        .take_while(|s| *s < to)
        .collect()
}

pub fn parse_status(raw: &str) -> Result<&'static str> {
    STATUSES.into_iter().find(|s| *s == raw).ok_or_else(|| {
        Error::invalid(
            "status",
            "must be scheduled, confirmed, completed or cancelled",
        )
    })
}

#[derive(Clone, Debug, Default)]
pub struct BookingFilter {
    /// Bookings starting at or after this time.
    pub from: Option<Millis>,
    /// Bookings starting before this time.
    pub to: Option<Millis>,
    pub status: Option<String>,
    pub client_id: Option<String>,
    pub sitter_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: u32,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingPage {
    pub bookings: Vec<Booking>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

const SELECT: &str = "select b.booking_id, b.client_id, cl.name as client_name, b.sitter_id,
        u.name as sitter_name, b.service_type, b.start_at, b.end_at, b.status, b.recurring, b.created_at,
        (select w.thread_id from assignment_window w where w.booking_id = b.booking_id
          order by w.end_at desc, w.window_id limit 1) as thread_id
   from booking b
   join client cl on cl.client_id = b.client_id
   left join app_user u on u.user_id = b.sitter_id
  where b.org_id = $1
    and ($2 = '' or b.booking_id = $2)
    and (cast($3 as bigint) is null or b.start_at >= $3)
    and (cast($4 as bigint) is null or b.start_at < $4)
    and ($5 = '' or b.status = $5)
    and ($6 = '' or b.client_id = $6)
    and ($7 = '' or b.sitter_id = $7)
    and (cast($8 as bigint) is null or b.start_at > $8 or (b.start_at = $8 and b.booking_id > $9))
  order by b.start_at, b.booking_id
  limit $10";

/// Bookings by start time, paged.
pub async fn list(db: &Db, scope: &OwnerScope, filter: &BookingFilter) -> Result<BookingPage> {
    let status = match filter.status.as_deref().filter(|s| !s.is_empty()) {
        Some(PENDING_RESCHEDULE) => PENDING_RESCHEDULE,
        Some(s) => parse_status(s)?,
        None => "",
    };
    let (after_start, after_id) = match &filter.cursor {
        Some(id) => {
            let start: Option<i64> = db!(db, c => sqlx::query_scalar(
                "select start_at from booking where org_id = $1 and booking_id = $2")
                .bind(&scope.org_id).bind(id).fetch_optional(c).await)?;
            (Some(start.ok_or_else(paging::bad_cursor)?), id.clone())
        }
        None => (None, String::new()),
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let rows: Vec<BookingRow> = db!(db, c => sqlx::query_as(SELECT)
        .bind(&scope.org_id).bind("").bind(filter.from).bind(filter.to).bind(status)
        .bind(opt(&filter.client_id)).bind(opt(&filter.sitter_id)).bind(after_start).bind(&after_id)
        .bind(i64::from(filter.limit) + 1)
        .fetch_all(c).await)?;
    let (rows, next_cursor) = paging::page(rows, filter.limit, |r| r.booking_id.clone());
    Ok(BookingPage {
        bookings: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    })
}

pub async fn get(db: &Db, scope: &OwnerScope, booking_id: &str) -> Result<Booking> {
    let none = Option::<i64>::None;
    let row: Option<BookingRow> = db!(db, c => sqlx::query_as(SELECT)
        .bind(&scope.org_id).bind(booking_id).bind(none).bind(none).bind("").bind("").bind("")
        .bind(none).bind("").bind(1_i64)
        .fetch_optional(c).await)?;
    row.map(Into::into).ok_or(Error::NotFound("booking"))
}

#[derive(Clone, Debug)]
pub struct NewBooking {
    pub client_id: String,
    pub sitter_id: Option<String>,
    pub service_type: String,
    pub start_at: Millis,
    pub end_at: Millis,
    /// `none` or `weekly`.
    pub recurrence: String,
}

/// The range of a visit; a weekly one must end before the next begins.
fn check_times(p: &mut Problems, start: Millis, end: Millis, weekly: bool) {
    if start >= end {
        p.add("endAt", "must be after the start");
    } else if weekly && end - start >= proactive::WEEK {
        p.add(
            "endAt",
            "must be less than a week after the start for a weekly booking",
        );
    }
}

/// Books a visit. With a sitter and proactive threads on, the client's thread on the
/// sitter's number and the windows are made in the same transaction. Audited.
pub async fn create(
    tx: &mut Tx,
    scope: &OwnerScope,
    new: &NewBooking,
    proactive_threads: bool,
    now: Millis,
) -> Result<String> {
    let org_id = scope.org_id.as_str();
    let mut p = Problems::default();
    let service = p.check(fields::name("serviceType", &new.service_type, 60))?;
    let weekly = p.check(parse_recurrence(&new.recurrence))?;
    check_times(&mut p, new.start_at, new.end_at, weekly.unwrap_or(false));
    p.check(clients::reference(tx, org_id, "clientId", &new.client_id).await)?;
    if let Some(sitter) = &new.sitter_id {
        p.check(sitters::reference(tx, org_id, "sitterId", sitter).await)?;
    }
    p.finish()?;
    let booking_id = ids::new_id();
    tx!(tx, c => sqlx::query(
        "insert into booking (booking_id, org_id, client_id, sitter_id, service_type, start_at, end_at, status, recurring, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8, $9)")
        .bind(&booking_id).bind(org_id).bind(&new.client_id).bind(&new.sitter_id).bind(&service)
        .bind(new.start_at).bind(new.end_at).bind(weekly.unwrap_or(false)).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        org_id,
        scope.into(),
        "booking.created",
        Some(("booking", &booking_id)),
        &serde_json::json!({
            "clientId": new.client_id, "sitterId": new.sitter_id, "serviceType": service,
            "startAt": to_rfc3339(new.start_at), "endAt": to_rfc3339(new.end_at),
            "recurrence": new.recurrence,
        }),
        now,
    )
    .await?;
    proactive::sync(tx, scope, &booking_id, proactive_threads, now).await?;
    let refs = Refs::booking(&new.client_id, &booking_id);
    let key = format!("booking.created:{booking_id}");
    events::emit(tx, org_id, Trigger::BookingCreated, &key, &refs, now).await?;
    if let Some(sitter) = &new.sitter_id {
        let key = format!("booking.assigned:{booking_id}:{sitter}:{now}");
        events::emit(tx, org_id, Trigger::BookingAssigned, &key, &refs, now).await?;
    }
    Ok(booking_id)
}

/// What a PATCH may change; absent fields stay as they are. `sitter_id` null unassigns.
#[derive(Clone, Debug, Default)]
pub struct BookingChanges {
    pub service_type: Option<String>,
    pub start_at: Option<Millis>,
    pub end_at: Option<Millis>,
    pub sitter_id: Patch<String>,
    pub status: Option<String>,
    pub recurrence: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Stored {
    client_id: String,
    sitter_id: Option<String>,
    service_type: String,
    start_at: i64,
    end_at: i64,
    status: String,
    recurring: bool,
}

async fn stored(tx: &mut Tx, org_id: &str, booking_id: &str) -> Result<Stored> {
    let row: Option<Stored> = tx!(tx, c => sqlx::query_as(
        "select client_id, sitter_id, service_type, start_at, end_at, status, recurring from booking
          where org_id = $1 and booking_id = $2")
        .bind(org_id).bind(booking_id).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound("booking"))
}

/// Changes a booking. Naming a sitter (even the same one again), new times or a new
/// recurrence, or a move into or out of `cancelled`, replans its windows. Audited.
pub async fn update(
    tx: &mut Tx,
    scope: &OwnerScope,
    booking_id: &str,
    changes: &BookingChanges,
    proactive_threads: bool,
    now: Millis,
) -> Result<()> {
    update_by(
        tx,
        scope,
        scope.into(),
        booking_id,
        changes,
        proactive_threads,
        now,
    )
    .await
}

/// [`update`], audited as done by `actor` (a client's reply, say) rather than the scope.
pub(crate) async fn update_by(
    tx: &mut Tx,
    scope: &OwnerScope,
    actor: audit::Actor<'_>,
    booking_id: &str,
    changes: &BookingChanges,
    proactive_threads: bool,
    now: Millis,
) -> Result<()> {
    let org_id = scope.org_id.as_str();
    let old = stored(tx, org_id, booking_id).await?;
    let mut p = Problems::default();
    let service = match &changes.service_type {
        Some(s) => p.check(fields::name("serviceType", s, 60))?,
        None => Some(old.service_type.clone()),
    };
    let status = match &changes.status {
        Some(s) => p.check(parse_status(s))?.map(str::to_owned),
        None => Some(old.status.clone()),
    };
    let weekly = match &changes.recurrence {
        Some(r) => p.check(parse_recurrence(r))?,
        None => Some(old.recurring),
    };
    let start = changes.start_at.unwrap_or(old.start_at);
    let end = changes.end_at.unwrap_or(old.end_at);
    check_times(&mut p, start, end, weekly.unwrap_or(false));
    let sitter = match &changes.sitter_id {
        Patch::Keep => old.sitter_id.clone(),
        Patch::Clear => None,
        Patch::Set(id) => p
            .check(sitters::reference(tx, org_id, "sitterId", id).await)?
            .map(|_| id.clone()),
    };
    p.finish()?;
    let (Some(service), Some(status), Some(weekly)) = (service, status, weekly) else {
        return Err(Error::Internal("checked fields went missing".into()));
    };
    tx!(tx, c => sqlx::query(
        "update booking set sitter_id = $3, service_type = $4, start_at = $5, end_at = $6, status = $7, recurring = $8
          where org_id = $1 and booking_id = $2")
        .bind(org_id).bind(booking_id).bind(&sitter).bind(&service).bind(start).bind(end)
        .bind(&status).bind(weekly).execute(c).await.map(|r| r.rows_affected()))?;
    let mut changed = serde_json::Map::new();
    let mut note = |field: &str, from: serde_json::Value, to: serde_json::Value| {
        if from != to {
            changed.insert(
                field.to_owned(),
                serde_json::json!({ "from": from, "to": to }),
            );
        }
    };
    note(
        "sitterId",
        old.sitter_id.clone().into(),
        sitter.clone().into(),
    );
    note("serviceType", old.service_type.into(), service.into());
    note(
        "startAt",
        to_rfc3339(old.start_at).into(),
        to_rfc3339(start).into(),
    );
    note(
        "endAt",
        to_rfc3339(old.end_at).into(),
        to_rfc3339(end).into(),
    );
    note("status", old.status.clone().into(), status.clone().into());
    note(
        "recurrence",
        recurrence_name(old.recurring).into(),
        recurrence_name(weekly).into(),
    );
    if !changed.is_empty() {
        audit::record(
            tx,
            org_id,
            actor,
            if status == "cancelled" && old.status != "cancelled" {
                "booking.cancelled"
            } else {
                "booking.updated"
            },
            Some(("booking", booking_id)),
            &serde_json::Value::Object(changed),
            now,
        )
        .await?;
    }
    let replan = !changes.sitter_id.is_keep()
        || changes.start_at.is_some()
        || changes.end_at.is_some()
        || changes.recurrence.is_some()
        || ((status == "cancelled") != (old.status == "cancelled"));
    if replan {
        proactive::sync(tx, scope, booking_id, proactive_threads, now).await?;
    }
    let refs = Refs::booking(&old.client_id, booking_id);
    // Assigning the sitter already assigned changes nothing, and announces nothing.
    if let (Patch::Set(id), false) = (&changes.sitter_id, status == "cancelled")
        && old.sitter_id.as_ref() != Some(id)
    {
        let key = format!("booking.assigned:{booking_id}:{id}:{now}");
        events::emit(tx, org_id, Trigger::BookingAssigned, &key, &refs, now).await?;
    }
    if status != old.status {
        let (trigger, ready) = match status.as_str() {
            "completed" => (Trigger::BookingCompleted, sitter.is_some()),
            "cancelled" => (Trigger::BookingCancelled, true),
            _ => (Trigger::BookingCreated, false),
        };
        if ready {
            let key = format!("{trigger}:{booking_id}");
            events::emit(tx, org_id, trigger, &key, &refs, now).await?;
        }
    }
    Ok(())
}

/// Cancels a booking and removes its current and future windows. Cancelling twice is
/// harmless; a completed booking cannot be cancelled. Audited.
pub async fn cancel(tx: &mut Tx, scope: &OwnerScope, booking_id: &str, now: Millis) -> Result<()> {
    cancel_by(tx, scope, scope.into(), booking_id, now).await
}

/// [`cancel`], audited as done by `actor`.
pub(crate) async fn cancel_by(
    tx: &mut Tx,
    scope: &OwnerScope,
    actor: audit::Actor<'_>,
    booking_id: &str,
    now: Millis,
) -> Result<()> {
    let old = stored(tx, &scope.org_id, booking_id).await?;
    match old.status.as_str() {
        "cancelled" => Ok(()),
        "completed" => Err(Error::Conflict(
            "the booking is completed and cannot be cancelled".into(),
        )),
        _ => {
            let changes = BookingChanges {
                status: Some("cancelled".to_owned()),
                ..BookingChanges::default()
            };
            update_by(tx, scope, actor, booking_id, &changes, false, now).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{clock::DAY, proactive::WEEK};

    const NOW: Millis = 1_800_000_000_000;

    #[test]
    fn a_one_off_visit_is_in_a_range_or_not() {
        let v = |start, status| visit_starts(start, false, status, NOW, NOW + DAY, NOW);
        assert_eq!(v(NOW, "scheduled"), vec![NOW]);
        assert_eq!(v(NOW + DAY - 1, "confirmed"), vec![NOW + DAY - 1]);
        assert!(v(NOW + DAY, "scheduled").is_empty(), "the end is excluded");
        assert!(v(NOW - 1, "scheduled").is_empty());
        assert!(v(NOW + 1, "cancelled").is_empty());
        assert_eq!(v(NOW + 1, "pending_reschedule"), vec![NOW + 1]);
    }

    #[test]
    fn a_weekly_booking_has_a_visit_each_week_from_its_first() {
        let start = NOW - 10 * WEEK + 3 * DAY;
        // Tomorrow-sized ranges: one visit a week lands in the range that holds it.
        assert_eq!(
            visit_starts(start, true, "scheduled", NOW + 3 * DAY, NOW + 4 * DAY, NOW),
            vec![NOW + 3 * DAY]
        );
        assert!(visit_starts(start, true, "scheduled", NOW, NOW + DAY, NOW).is_empty());
        // Thirty days back: the visits of the last four weeks and a bit.
        let month = visit_starts(start, true, "scheduled", NOW - 30 * DAY, NOW, NOW);
        assert_eq!(
            month,
            vec![
                NOW - 4 * WEEK + 3 * DAY,
                NOW - 3 * WEEK + 3 * DAY,
                NOW - 2 * WEEK + 3 * DAY,
                NOW - WEEK + 3 * DAY
            ]
        );
        // Nothing before the first visit.
        assert_eq!(
            visit_starts(NOW + DAY, true, "scheduled", NOW - WEEK, NOW + 2 * DAY, NOW),
            vec![NOW + DAY]
        );
    }

    #[test]
    fn a_completed_series_has_no_visits_after_now() {
        let start = NOW - 2 * WEEK;
        assert_eq!(
            visit_starts(
                start,
                true,
                "completed",
                NOW - 3 * WEEK,
                NOW + 3 * WEEK,
                NOW
            ),
            vec![NOW - 2 * WEEK, NOW - WEEK]
        );
    }
}
