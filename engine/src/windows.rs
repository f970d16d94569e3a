//! Assignment windows: when a sitter is on duty for a thread. Routing sends a client's
//! texts to the sitter whose window is open, so two windows on one thread must never
//! overlap (the half-open ranges `[start, end)` may touch: that is a handover).

use serde::Serialize;

use crate::{
    Db, Error, Problems, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::{Millis, to_rfc3339},
    db, fields, ids, paging, sitters, tx,
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentWindow {
    pub id: String,
    pub thread_id: String,
    pub client_name: Option<String>,
    /// The business number of the thread.
    pub message_number: String,
    pub sitter_id: String,
    pub sitter_name: String,
    /// Set when the window was made for a booking (proactive threads).
    pub booking_id: Option<String>,
    pub start_at: String,
    pub end_at: String,
    /// `active`, `upcoming` or `past`, now.
    pub status: String,
}

#[derive(sqlx::FromRow)]
struct WindowRow {
    window_id: String,
    thread_id: String,
    client_name: Option<String>,
    message_number: String,
    sitter_id: String,
    sitter_name: String,
    booking_id: Option<String>,
    start_at: i64,
    end_at: i64,
}

pub const STATUSES: [&str; 3] = ["active", "upcoming", "past"];

/// Where `[start, end)` stands at `now`.
pub fn status(start: Millis, end: Millis, now: Millis) -> &'static str {
    if end <= now {
        "past"
    } else if start > now {
        "upcoming"
    } else {
        "active"
    }
}

impl WindowRow {
    fn into_window(self, now: Millis) -> AssignmentWindow {
        AssignmentWindow {
            status: status(self.start_at, self.end_at, now).to_owned(),
            id: self.window_id,
            thread_id: self.thread_id,
            client_name: self.client_name,
            message_number: self.message_number,
            sitter_id: self.sitter_id,
            sitter_name: self.sitter_name,
            booking_id: self.booking_id,
            start_at: to_rfc3339(self.start_at),
            end_at: to_rfc3339(self.end_at),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct WindowFilter {
    pub thread_id: Option<String>,
    pub sitter_id: Option<String>,
    pub booking_id: Option<String>,
    /// `active`, `upcoming` or `past`.
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: u32,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowPage {
    pub windows: Vec<AssignmentWindow>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

const SELECT: &str =
    "select w.window_id, w.thread_id, cl.name as client_name, n.e164 as message_number,
        w.sitter_id, u.name as sitter_name, w.booking_id, w.start_at, w.end_at
   from assignment_window w
   join thread t on t.thread_id = w.thread_id
   join number n on n.number_id = t.number_id
   join app_user u on u.user_id = w.sitter_id
   left join client cl on cl.client_id = t.client_id
  where w.org_id = $1
    and ($2 = '' or w.window_id = $2)
    and ($3 = '' or w.thread_id = $3)
    and ($4 = '' or w.sitter_id = $4)
    and ($5 = '' or w.booking_id = $5)
    and ($6 = '' or ($6 = 'active' and w.start_at <= $7 and w.end_at > $7)
                 or ($6 = 'upcoming' and w.start_at > $7)
                 or ($6 = 'past' and w.end_at <= $7))
    and (cast($8 as bigint) is null or w.start_at > $8 or (w.start_at = $8 and w.window_id > $9))
  order by w.start_at, w.window_id
  limit $10";

/// Windows by start time, paged.
pub async fn list(
    db: &Db,
    scope: &OwnerScope,
    filter: &WindowFilter,
    now: Millis,
) -> Result<WindowPage> {
    let status = filter.status.as_deref().unwrap_or("");
    if !status.is_empty() && !STATUSES.contains(&status) {
        return Err(Error::invalid("status", "must be active, upcoming or past"));
    }
    let (after_start, after_id) = match &filter.cursor {
        Some(id) => {
            let start: Option<i64> = db!(db, c => sqlx::query_scalar(
                "select start_at from assignment_window where org_id = $1 and window_id = $2")
                .bind(&scope.org_id).bind(id).fetch_optional(c).await)?;
            (Some(start.ok_or_else(paging::bad_cursor)?), id.clone())
        }
        None => (None, String::new()),
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let rows: Vec<WindowRow> = db!(db, c => sqlx::query_as(SELECT)
        .bind(&scope.org_id).bind("").bind(opt(&filter.thread_id)).bind(opt(&filter.sitter_id))
        .bind(opt(&filter.booking_id)).bind(status).bind(now).bind(after_start).bind(&after_id)
        .bind(i64::from(filter.limit) + 1)
        .fetch_all(c).await)?;
    let (rows, next_cursor) = paging::page(rows, filter.limit, |r| r.window_id.clone());
    Ok(WindowPage {
        windows: rows.into_iter().map(|r| r.into_window(now)).collect(),
        next_cursor,
    })
}

pub async fn get(
    db: &Db,
    scope: &OwnerScope,
    window_id: &str,
    now: Millis,
) -> Result<AssignmentWindow> {
    let row: Option<WindowRow> = db!(db, c => sqlx::query_as(SELECT)
        .bind(&scope.org_id).bind(window_id).bind("").bind("").bind("").bind("").bind(now)
        .bind(Option::<i64>::None).bind("").bind(1_i64)
        .fetch_optional(c).await)?;
    row.map(|r| r.into_window(now))
        .ok_or(Error::NotFound("window"))
}

/// What a window is made of, in a create or a replace.
#[derive(Clone, Debug)]
pub struct WindowInput {
    pub thread_id: String,
    pub sitter_id: String,
    pub start_at: Millis,
    pub end_at: Millis,
}

/// Checks every field of `input` at once: the range, and that the thread and sitter are
/// the org's (another org's is not found; an unknown id is a field error).
async fn check(tx: &mut Tx, org_id: &str, input: &WindowInput) -> Result<()> {
    let mut p = Problems::default();
    if input.start_at >= input.end_at {
        p.add("endAt", "must be after the start");
    }
    let thread: Option<(String, String)> = tx!(tx, c => sqlx::query_as(
        "select org_id, thread_id from thread where thread_id = $1")
        .bind(&input.thread_id).fetch_optional(c).await)?;
    p.check(fields::reference(thread, org_id, "threadId", "thread"))?;
    p.check(sitters::reference(tx, org_id, "sitterId", &input.sitter_id).await)?;
    p.finish()
}

/// Makes this transaction the only writer of the thread's windows until it ends (a row
/// lock on PostgreSQL; SQLite has one writer anyway), so two overlapping windows cannot
/// both pass the overlap check. False when the org has no such thread.
pub(crate) async fn lock_thread(tx: &mut Tx, org_id: &str, thread_id: &str) -> Result<bool> {
    let n = tx!(tx, c => sqlx::query(
        "update thread set last_activity_at = last_activity_at where org_id = $1 and thread_id = $2")
        .bind(org_id).bind(thread_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Another window of the thread that shares time with `[start, end)`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct Neighbour {
    pub window_id: String,
    pub start_at: i64,
    pub end_at: i64,
}

impl Neighbour {
    pub fn describe(&self) -> String {
        format!(
            "window {} ({} – {})",
            self.window_id,
            to_rfc3339(self.start_at),
            to_rfc3339(self.end_at)
        )
    }
}

/// The thread's windows, except `except`, sorted by start.
pub(crate) async fn on_thread(
    tx: &mut Tx,
    thread_id: &str,
    except: &str,
) -> Result<Vec<Neighbour>> {
    Ok(tx!(tx, c => sqlx::query_as(
        "select window_id, start_at, end_at from assignment_window
          where thread_id = $1 and window_id <> $2 order by start_at, window_id")
        .bind(thread_id).bind(except).fetch_all(c).await)?)
}

async fn refuse_overlap(tx: &mut Tx, input: &WindowInput, except: &str) -> Result<()> {
    let others = on_thread(tx, &input.thread_id, except).await?;
    match others
        .iter()
        .find(|o| o.start_at < input.end_at && input.start_at < o.end_at)
    {
        Some(o) => Err(Error::invalid(
            "startAt",
            format!("overlaps {} on this thread", o.describe()),
        )),
        None => Ok(()),
    }
}

fn payload(input: &WindowInput, booking_id: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "threadId": input.thread_id,
        "sitterId": input.sitter_id,
        "startAt": to_rfc3339(input.start_at),
        "endAt": to_rfc3339(input.end_at),
        "bookingId": booking_id,
    })
}

/// Adds a window (checked, locked, no overlap) and audits it. `booking_id` is set for the
/// windows a booking makes.
pub(crate) async fn insert(
    tx: &mut Tx,
    scope: &OwnerScope,
    input: &WindowInput,
    booking_id: Option<&str>,
    now: Millis,
) -> Result<String> {
    let window_id = ids::new_id();
    tx!(tx, c => sqlx::query(
        "insert into assignment_window (window_id, org_id, thread_id, sitter_id, booking_id, start_at, end_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&window_id).bind(&scope.org_id).bind(&input.thread_id).bind(&input.sitter_id)
        .bind(booking_id).bind(input.start_at).bind(input.end_at).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "assignment_window.created",
        Some(("assignment_window", &window_id)),
        &payload(input, booking_id),
        now,
    )
    .await?;
    Ok(window_id)
}

/// Creates a window by hand. Audited.
pub async fn create(
    tx: &mut Tx,
    scope: &OwnerScope,
    input: &WindowInput,
    now: Millis,
) -> Result<String> {
    check(tx, &scope.org_id, input).await?;
    lock_thread(tx, &scope.org_id, &input.thread_id).await?;
    refuse_overlap(tx, input, "").await?;
    insert(tx, scope, input, None, now).await
}

/// Replaces a window's thread, sitter and times (a booking's window stays the
/// booking's, and is replanned when the booking changes). Audited.
pub async fn update(
    tx: &mut Tx,
    scope: &OwnerScope,
    window_id: &str,
    input: &WindowInput,
    now: Millis,
) -> Result<()> {
    let booking_id: Option<Option<String>> = tx!(tx, c => sqlx::query_scalar(
        "select booking_id from assignment_window where org_id = $1 and window_id = $2")
        .bind(&scope.org_id).bind(window_id).fetch_optional(c).await)?;
    let booking_id = booking_id.ok_or(Error::NotFound("window"))?;
    check(tx, &scope.org_id, input).await?;
    lock_thread(tx, &scope.org_id, &input.thread_id).await?;
    refuse_overlap(tx, input, window_id).await?;
    tx!(tx, c => sqlx::query(
        "update assignment_window set thread_id = $3, sitter_id = $4, start_at = $5, end_at = $6
          where org_id = $1 and window_id = $2")
        .bind(&scope.org_id).bind(window_id).bind(&input.thread_id).bind(&input.sitter_id)
        .bind(input.start_at).bind(input.end_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "assignment_window.updated",
        Some(("assignment_window", window_id)),
        &payload(input, booking_id.as_deref()),
        now,
    )
    .await
}

/// Deletes a window. Audited.
pub async fn delete(
    tx: &mut Tx,
    scope: &OwnerScope,
    window_id: &str,
    reason: &str,
    now: Millis,
) -> Result<()> {
    let row: Option<(String, String, Option<String>, i64, i64)> = tx!(tx, c => sqlx::query_as(
        "delete from assignment_window where org_id = $1 and window_id = $2
         returning thread_id, sitter_id, booking_id, start_at, end_at")
        .bind(&scope.org_id).bind(window_id).fetch_optional(c).await)?;
    let (thread_id, sitter_id, booking_id, start_at, end_at) =
        row.ok_or(Error::NotFound("window"))?;
    let input = WindowInput {
        thread_id,
        sitter_id,
        start_at,
        end_at,
    };
    let mut details = payload(&input, booking_id.as_deref());
    details["reason"] = reason.into();
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "assignment_window.deleted",
        Some(("assignment_window", window_id)),
        &details,
        now,
    )
    .await
}
