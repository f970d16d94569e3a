//! Proactive threads (`ENABLE_PROACTIVE_THREAD_CREATION`): a booking with a sitter gets
//! the client's thread on the sitter's number at once, and an assignment window around
//! each visit, from the start minus the org's buffer to the end plus the other buffer.
//!
//! [`sync`] brings a booking's windows in line with the booking after every change, in
//! the change's transaction: windows that already match stay (so assigning twice changes
//! nothing), the rest of the booking's current and future windows go, the missing ones
//! are made. Past windows stay as history. A weekly booking gets a window per visit
//! starting within [`HORIZON`] of now (or of its first visit, if later).

use serde::{Deserialize, Serialize};

use crate::{
    Db, Error, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::{DAY, MINUTE, Millis, to_rfc3339},
    db, sitters, threads, tx,
    windows::{self, WindowInput},
};

pub const WEEK: Millis = 7 * DAY;
/// How far ahead a weekly booking's visits get windows.
pub const HORIZON: Millis = 8 * WEEK;

/// How far a booking's window reaches beyond the visit, per org.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Buffers {
    /// Minutes before the visit starts (default 60).
    pub before_minutes: i32,
    /// Minutes after the visit ends (default 60).
    pub after_minutes: i32,
}

pub const MAX_BUFFER_MINUTES: i32 = 24 * 60;

pub async fn buffers(db: &Db, org_id: &str) -> Result<Buffers> {
    let (before_minutes, after_minutes): (i32, i32) = db!(db, c => sqlx::query_as(
        "select window_buffer_before_min, window_buffer_after_min from org where org_id = $1")
        .bind(org_id).fetch_one(c).await)?;
    Ok(Buffers {
        before_minutes,
        after_minutes,
    })
}

/// Sets the org's buffers (each 0 to 1440 minutes). Existing windows keep theirs until
/// their booking changes. Audited.
pub async fn set_buffers(tx: &mut Tx, scope: &OwnerScope, b: Buffers, now: Millis) -> Result<()> {
    let mut p = crate::Problems::default();
    let range = 0..=MAX_BUFFER_MINUTES;
    let reason = "must be from 0 to 1440 minutes";
    if !range.contains(&b.before_minutes) {
        p.add("beforeMinutes", reason);
    }
    if !range.contains(&b.after_minutes) {
        p.add("afterMinutes", reason);
    }
    p.finish()?;
    tx!(tx, c => sqlx::query(
        "update org set window_buffer_before_min = $2, window_buffer_after_min = $3 where org_id = $1")
        .bind(&scope.org_id).bind(b.before_minutes).bind(b.after_minutes)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "settings.window_buffers_updated",
        None,
        &serde_json::to_value(b).unwrap_or_default(),
        now,
    )
    .await
}

/// The visits of a booking that still need a window at `now`: the one visit, or each
/// weekly visit starting before the horizon, leaving out those whose window (`after`
/// past the visit) has already closed.
pub fn visits(
    start: Millis,
    end: Millis,
    weekly: bool,
    after: Millis,
    now: Millis,
) -> Vec<(Millis, Millis)> {
    if !weekly {
        return if end + after > now {
            vec![(start, end)]
        } else {
            Vec::new()
        };
    }
    let horizon = now.max(start) + HORIZON;
    let first = ((now - end - after) / WEEK).max(0);
    (first..)
        .map(|k| (start + k * WEEK, end + k * WEEK))
        .take_while(|(s, _)| *s < horizon)
        .filter(|(_, e)| e + after > now)
        .collect()
}

/// The window for one visit: the buffers reach as far as the thread's other windows
/// (`taken`) allow; `Err(i)` when the visit itself overlaps `taken[i]`.
pub fn place(
    visit: (Millis, Millis),
    before: Millis,
    after: Millis,
    taken: &[(Millis, Millis)],
) -> Result<(Millis, Millis), usize> {
    let (vs, ve) = visit;
    if let Some(i) = taken.iter().position(|&(ts, te)| ts < ve && vs < te) {
        return Err(i);
    }
    let (mut s, mut e) = (vs - before, ve + after);
    for &(ts, te) in taken {
        if te <= vs && te > s {
            s = te;
        }
        if ts >= ve && ts < e {
            e = ts;
        }
    }
    Ok((s, e))
}

#[derive(sqlx::FromRow)]
struct BookingPlan {
    client_phone: String,
    sitter_id: Option<String>,
    sitter_name: Option<String>,
    status: String,
    start_at: i64,
    end_at: i64,
    recurring: bool,
    before_min: i32,
    after_min: i32,
}

#[derive(sqlx::FromRow)]
struct Current {
    window_id: String,
    thread_id: String,
    sitter_id: String,
    start_at: i64,
    end_at: i64,
}

/// Brings the booking's windows in line with it (see the module's notes). With the flag
/// off (`enabled` false), or for a completed booking, nothing is created, but a cancelled
/// or reassigned booking still loses its windows: access that should have ended must not
/// linger.
pub(crate) async fn sync(
    tx: &mut Tx,
    scope: &OwnerScope,
    booking_id: &str,
    enabled: bool,
    now: Millis,
) -> Result<()> {
    let org_id = scope.org_id.as_str();
    let b: BookingPlan = tx!(tx, c => sqlx::query_as(
        "select cl.phone_e164 as client_phone, b.sitter_id, u.name as sitter_name, b.status, b.start_at,
                b.end_at, b.recurring, o.window_buffer_before_min as before_min,
                o.window_buffer_after_min as after_min
           from booking b join client cl on cl.client_id = b.client_id
           join org o on o.org_id = b.org_id
           left join app_user u on u.user_id = b.sitter_id
          where b.org_id = $1 and b.booking_id = $2")
        .bind(org_id).bind(booking_id).fetch_one(c).await)?;
    let current: Vec<Current> = tx!(tx, c => sqlx::query_as(
        "select window_id, thread_id, sitter_id, start_at, end_at from assignment_window
          where org_id = $1 and booking_id = $2 and end_at > $3 order by start_at")
        .bind(org_id).bind(booking_id).bind(now).fetch_all(c).await)?;
    let live = b.status != "cancelled";
    // A completed booking (a finished series, too) keeps what it has but gets no more.
    let planned = live && b.status != "completed";
    let (keep, wanted): (Vec<&str>, Vec<WindowInput>) = match &b.sitter_id {
        Some(sitter) if planned && enabled => {
            let wanted = plan(tx, scope, booking_id, &b, sitter, &current, now).await?;
            let mut keep = Vec::new();
            let mut create = Vec::new();
            for w in wanted {
                match current.iter().find(|c| {
                    c.thread_id == w.thread_id
                        && c.sitter_id == w.sitter_id
                        && c.start_at == w.start_at
                        && c.end_at == w.end_at
                }) {
                    Some(c) => keep.push(c.window_id.as_str()),
                    None => create.push(w),
                }
            }
            (keep, create)
        }
        Some(sitter) if live => {
            let mine = current.iter().filter(|c| &c.sitter_id == sitter);
            (mine.map(|c| c.window_id.as_str()).collect(), Vec::new())
        }
        _ => (Vec::new(), Vec::new()),
    };
    let reason = match (&b.sitter_id, live) {
        (_, false) => "booking cancelled",
        (None, true) => "sitter unassigned",
        (Some(_), true) => "booking changed",
    };
    for c in current
        .iter()
        .filter(|c| !keep.contains(&c.window_id.as_str()))
    {
        windows::delete(tx, scope, &c.window_id, reason, now).await?;
    }
    for w in &wanted {
        windows::insert(tx, scope, w, Some(booking_id), now).await?;
    }
    Ok(())
}

/// The windows the booking should have: on the client's thread on the sitter's number
/// (created now if need be), one per visit, clear of the thread's other windows.
async fn plan(
    tx: &mut Tx,
    scope: &OwnerScope,
    booking_id: &str,
    b: &BookingPlan,
    sitter_id: &str,
    current: &[Current],
    now: Millis,
) -> Result<Vec<WindowInput>> {
    let org_id = scope.org_id.as_str();
    let (before, after) = (
        i64::from(b.before_min) * MINUTE,
        i64::from(b.after_min) * MINUTE,
    );
    let visits = visits(b.start_at, b.end_at, b.recurring, after, now);
    if visits.is_empty() {
        return Ok(Vec::new());
    }
    let sitter_name = b.sitter_name.as_deref().unwrap_or("The sitter");
    let Some((number_id, _)) = sitters::number(tx, org_id, sitter_id).await? else {
        return Err(Error::Conflict(
            format!(
                "{sitter_name} has no sitter number, so their client's thread cannot be created; \
                 give them a number, or turn off proactive threads"
            )
            .into(),
        ));
    };
    let existed: Option<String> = tx!(tx, c => sqlx::query_scalar(
        "select thread_id from thread where org_id = $1 and client_e164 = $2 and number_id = $3")
        .bind(org_id).bind(&b.client_phone).bind(&number_id).fetch_optional(c).await)?;
    let thread_id = threads::find_or_create(tx, org_id, &number_id, &b.client_phone, now).await?;
    if existed.is_none() {
        audit::record(
            tx,
            org_id,
            scope.into(),
            "thread.created",
            Some(("thread", &thread_id)),
            &serde_json::json!({ "reason": "proactive", "bookingId": booking_id, "numberId": number_id }),
            now,
        )
        .await?;
    }
    windows::lock_thread(tx, org_id, &thread_id).await?;
    let others: Vec<windows::Neighbour> = windows::on_thread(tx, &thread_id, "")
        .await?
        .into_iter()
        .filter(|o| !current.iter().any(|c| c.window_id == o.window_id))
        .collect();
    let mut taken: Vec<(Millis, Millis)> = others.iter().map(|o| (o.start_at, o.end_at)).collect();
    let mut wanted = Vec::new();
    for visit in visits {
        let (start_at, end_at) = place(visit, before, after, &taken).map_err(|i| {
            let what = others.get(i).map_or_else(
                || "another visit of this booking".to_owned(),
                windows::Neighbour::describe,
            );
            Error::Conflict(
                format!(
                    "the visit {} – {} overlaps {what} on the client's thread with {sitter_name}; \
                     change or delete that window first",
                    to_rfc3339(visit.0),
                    to_rfc3339(visit.1)
                )
                .into(),
            )
        })?;
        if end_at <= now {
            continue;
        }
        taken.push((start_at, end_at));
        wanted.push(WindowInput {
            thread_id: thread_id.clone(),
            sitter_id: sitter_id.to_owned(),
            start_at,
            end_at,
        });
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::HOUR;

    const NOW: Millis = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    #[test]
    fn a_one_off_visit_needs_a_window_until_its_after_buffer_ends() {
        let visit = (NOW + DAY, NOW + DAY + HOUR);
        assert_eq!(visits(visit.0, visit.1, false, HOUR, NOW), vec![visit]);
        // Ended 30 minutes ago: the window (an hour after) is still open.
        let ended = (NOW - 2 * HOUR, NOW - HOUR / 2);
        assert_eq!(visits(ended.0, ended.1, false, HOUR, NOW), vec![ended]);
        assert!(visits(NOW - 3 * HOUR, NOW - 2 * HOUR, false, HOUR, NOW).is_empty());
    }

    #[test]
    fn weekly_visits_run_eight_weeks_ahead() {
        let v = visits(NOW + HOUR, NOW + 2 * HOUR, true, HOUR, NOW);
        assert_eq!(v.len(), 8);
        assert_eq!(v[7], (NOW + HOUR + 7 * WEEK, NOW + 2 * HOUR + 7 * WEEK));
        // A series that began long ago: only the visits from now on.
        let old = visits(
            NOW - 52 * WEEK + HOUR,
            NOW - 52 * WEEK + 2 * HOUR,
            true,
            HOUR,
            NOW,
        );
        assert_eq!(old.first(), Some(&(NOW + HOUR, NOW + 2 * HOUR)));
        assert_eq!(old.len(), 8);
        // A series starting later: eight weeks from its first visit.
        let later = visits(NOW + 20 * WEEK, NOW + 20 * WEEK + HOUR, true, HOUR, NOW);
        assert_eq!(later.len(), 8);
    }

    #[test]
    fn buffers_stop_at_neighbouring_windows_and_a_clash_names_the_window() {
        let visit = (NOW, NOW + HOUR);
        assert_eq!(
            place(visit, HOUR, HOUR, &[]),
            Ok((NOW - HOUR, NOW + 2 * HOUR))
        );
        let before = (NOW - 3 * HOUR, NOW - HOUR / 2);
        let after = (NOW + HOUR + HOUR / 4, NOW + 5 * HOUR);
        assert_eq!(
            place(visit, HOUR, HOUR, &[before, after]),
            Ok((NOW - HOUR / 2, NOW + HOUR + HOUR / 4))
        );
        // Touching is a handover, not an overlap.
        assert_eq!(place(visit, 0, 0, &[(NOW - HOUR, NOW)]), Ok(visit));
        assert_eq!(
            place(
                visit,
                HOUR,
                HOUR,
                &[before, (NOW + HOUR / 2, NOW + 3 * HOUR)]
            ),
            Err(1)
        );
    }
}
