//! Appointment reminders: every booking starting within `hours_ahead` whose client can
//! be texted gets one reminder. A booking is reminded once: the send's transaction sets
//! `reminder_sent_at` with `where reminder_sent_at is null`, and a runner whose update
//! touches no row sends nothing. The scan reads the partial index `booking_reminder_due`
//! (bookings not yet reminded, scheduled or confirmed), one range per org.

use super::{
    Settings,
    run::{Candidate, Cursor},
};
use crate::{
    Db, Result, Tx,
    clock::{HOUR, Millis},
    db, phone, tx,
};

/// The eligibility query: the org's bookings in the window that are still to be
/// reminded, after the cursor, in start order. The send path and the benchmark both
/// page through it.
pub const DUE: &str = "select b.booking_id, b.client_id, b.start_at, c.name, c.phone_e164,
        coalesce(o.opted_out, c.opted_out) as opted_out
   from booking b
   join client c on c.client_id = b.client_id
   left join opt_out o on o.org_id = b.org_id and o.phone_e164 = c.phone_e164
  where b.org_id = $1 and b.reminder_sent_at is null and b.status in ('scheduled', 'confirmed')
    and b.start_at > $2 and b.start_at <= $3
    and (b.start_at > $4 or (b.start_at = $4 and b.booking_id > $5))
  order by b.start_at, b.booking_id
  limit $6";

#[derive(sqlx::FromRow)]
pub struct Due {
    pub booking_id: String,
    pub client_id: String,
    pub start_at: i64,
    pub name: String,
    pub phone_e164: String,
    pub opted_out: bool,
}

/// The window a run looks at: `(now, now + hours_ahead]`.
pub fn window(params: &Settings, now: Millis) -> (Millis, Millis) {
    (now, now + params.hours_ahead() * HOUR)
}

/// One page of the eligibility query.
pub async fn due(
    db: &Db,
    org_id: &str,
    (from, to): (Millis, Millis),
    after: &Cursor,
    limit: i64,
) -> Result<Vec<Due>> {
    let (at, id) = (after.at.unwrap_or(from), after.id.as_str());
    Ok(db!(db, c => sqlx::query_as(DUE)
        .bind(org_id).bind(from).bind(to).bind(at).bind(id).bind(limit)
        .fetch_all(c).await)?)
}

pub(crate) async fn page(
    db: &Db,
    org_id: &str,
    params: &Settings,
    now: Millis,
    after: &Cursor,
    limit: i64,
) -> Result<Vec<Candidate>> {
    let rows = due(db, org_id, window(params, now), after, limit).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let skip = if phone::parse_e164("phone", &r.phone_e164).is_err() {
                Some("no_phone")
            } else if r.opted_out {
                Some("opted_out")
            } else {
                None
            };
            Candidate {
                cursor: Cursor {
                    at: Some(r.start_at),
                    id: r.booking_id.clone(),
                },
                client_id: r.client_id,
                name: r.name,
                phone: r.phone_e164,
                booking: Some((r.booking_id, r.start_at)),
                skip,
            }
        })
        .collect())
}

/// The bookings in the window the eligibility query leaves out, by reason: cancelled,
/// already reminded (before `since`, when this run began; those it reminded itself are
/// in its `sent`), waiting for a new time, completed.
pub(crate) async fn left_out(
    db: &Db,
    org_id: &str,
    params: &Settings,
    now: Millis,
    since: Millis,
) -> Result<Vec<(&'static str, i64)>> {
    let (from, to) = window(params, now);
    let rows: Vec<(String, i64, i64)> = db!(db, c => sqlx::query_as(
        "select b.status,
                cast(case when b.reminder_sent_at is null then 0 when b.reminder_sent_at < $4 then 1 else 2 end as bigint),
                count(*)
           from booking b
          where b.org_id = $1 and b.start_at > $2 and b.start_at <= $3
          group by 1, 2")
        .bind(org_id).bind(from).bind(to).bind(since).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(status, reminded, n)| {
            let reason = match (status.as_str(), reminded) {
                ("cancelled", _) => "cancelled",
                ("completed", _) => "completed",
                ("pending_reschedule", _) => "pending_reschedule",
                (_, 1) => "already_reminded",
                _ => return None,
            };
            Some((reason, n))
        })
        .collect())
}

/// Marks the booking reminded, in the send's transaction: false if another runner did
/// first (or it was cancelled meanwhile).
pub(crate) async fn claim(
    tx: &mut Tx,
    org_id: &str,
    booking_id: &str,
    now: Millis,
) -> Result<bool> {
    let n = tx!(tx, c => sqlx::query(
        "update booking set reminder_sent_at = $3
          where org_id = $1 and booking_id = $2 and reminder_sent_at is null
            and status in ('scheduled', 'confirmed')")
        .bind(org_id).bind(booking_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The benchmark's question: how many bookings across every org the send path would
/// remind now, paging through [`DUE`] org by org as a run does.
pub async fn scan_all(db: &Db, now: Millis, hours_ahead: i64, page: i64) -> Result<(usize, usize)> {
    let params = Settings {
        hours_ahead: Some(hours_ahead),
        ..Settings::default()
    };
    let window = window(&params, now);
    let orgs: Vec<String> = db!(db, c => sqlx::query_scalar("select org_id from org order by org_id")
        .fetch_all(c).await)?;
    let mut found = 0;
    for org_id in &orgs {
        let mut cursor = Cursor::default();
        loop {
            let rows = due(db, org_id, window, &cursor, page).await?;
            found += rows.len();
            match rows.last() {
                Some(last) if rows.len() as i64 == page => {
                    cursor = Cursor {
                        at: Some(last.start_at),
                        id: last.booking_id.clone(),
                    }
                }
                _ => break,
            }
        }
    }
    Ok((orgs.len(), found))
}
