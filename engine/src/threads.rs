//! Threads (one conversation between a client and the business over one business number)
//! and their messages, as the owner inbox reads them.

use serde::Serialize;

use crate::{
    Db, Error, Result, Tx,
    accounts::OwnerScope,
    clock::{Millis, to_rfc3339},
    db, ids, tx,
};

/// A row of the inbox list, shaped like the seeds' ThreadSummary.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadSummary {
    pub id: String,
    pub client_name: Option<String>,
    pub owner_unread_count: i32,
    pub has_policy_violation: bool,
    pub has_delivery_failure: bool,
    /// The business number the client texts (never the client's own number).
    pub message_number: String,
    pub number_class: String,
    pub sitter_assigned: bool,
    /// `active`, `upcoming`, `past` or `unassigned`: the thread's assignment windows now.
    pub assignment_status: String,
    /// The sitter of the window open now, else of the next one.
    pub assigned_sitter_name: Option<String>,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub last_activity_at: String,
    /// The owner's pin, while it lasts: `owner_inbox` or `sitter`.
    pub override_target: Option<String>,
    pub override_sitter_name: Option<String>,
    pub override_until: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    thread_id: String,
    client_name: Option<String>,
    owner_unread_count: i32,
    has_policy_violation: bool,
    has_delivery_failure: bool,
    message_number: String,
    number_class: String,
    last_activity_at: i64,
    window_state: Option<i64>,
    window_sitter_name: Option<String>,
    window_start: Option<i64>,
    window_end: Option<i64>,
    override_target: Option<String>,
    override_sitter_name: Option<String>,
    override_until: Option<i64>,
}

impl From<SummaryRow> for ThreadSummary {
    fn from(r: SummaryRow) -> Self {
        let assignment_status = match r.window_state {
            Some(2) => "active",
            Some(1) => "upcoming",
            Some(_) => "past",
            None => "unassigned",
        };
        Self {
            id: r.thread_id,
            client_name: r.client_name,
            owner_unread_count: r.owner_unread_count,
            has_policy_violation: r.has_policy_violation,
            has_delivery_failure: r.has_delivery_failure,
            message_number: r.message_number,
            number_class: r.number_class,
            sitter_assigned: matches!(r.window_state, Some(1 | 2)),
            assignment_status: assignment_status.to_owned(),
            assigned_sitter_name: r.window_sitter_name,
            window_start: r.window_start.map(to_rfc3339),
            window_end: r.window_end.map(to_rfc3339),
            last_activity_at: to_rfc3339(r.last_activity_at),
            override_target: r.override_target,
            override_sitter_name: r.override_sitter_name,
            override_until: r.override_until.map(to_rfc3339),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ThreadFilter {
    pub unread: bool,
    pub policy: bool,
    pub failures: bool,
    /// Matches anywhere in the client's name, any case.
    pub search: String,
    /// Where the previous page ended, as handed out in [`ThreadPage::next_cursor`].
    pub cursor: Option<String>,
    pub limit: u32,
    /// Only this thread (for a thread header).
    pub thread_id: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadPage {
    pub threads: Vec<ThreadSummary>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn parse_cursor(cursor: &str) -> Result<(i64, String)> {
    let bad = || Error::invalid("cursor", "is not a cursor this API handed out");
    let (at, id) = cursor.split_once('_').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
}

/// The owner's inbox: newest activity first, paged by a cursor on (activity, id) so that
/// new arrivals never shift the pages after the first.
pub async fn list(
    db: &Db,
    scope: &OwnerScope,
    filter: &ThreadFilter,
    now: Millis,
) -> Result<ThreadPage> {
    let limit = filter.limit.clamp(1, 200);
    let (cursor_at, cursor_id) = match &filter.cursor {
        Some(c) => {
            let (at, id) = parse_cursor(c)?;
            (Some(at), id)
        }
        None => (None, String::new()),
    };
    let search = if filter.search.trim().is_empty() {
        String::new()
    } else {
        format!("%{}%", filter.search.trim().to_lowercase())
    };
    let mut rows: Vec<SummaryRow> = db!(db, c => sqlx::query_as(
        "select t.thread_id, cl.name as client_name, t.owner_unread_count, t.has_policy_violation,
                t.has_delivery_failure, n.e164 as message_number, n.class as number_class, t.last_activity_at,
                (select cast(max(case when w.start_at <= $2 and w.end_at > $2 then 2
                                      when w.start_at > $2 then 1 else 0 end) as bigint)
                   from assignment_window w where w.thread_id = t.thread_id) as window_state,
                (select u.name from assignment_window w join app_user u on u.user_id = w.sitter_id
                  where w.thread_id = t.thread_id and w.end_at > $2 order by w.start_at limit 1) as window_sitter_name,
                (select w.start_at from assignment_window w
                  where w.thread_id = t.thread_id and w.end_at > $2 order by w.start_at limit 1) as window_start,
                (select w.end_at from assignment_window w
                  where w.thread_id = t.thread_id and w.end_at > $2 order by w.start_at limit 1) as window_end,
                case when t.override_until > $2 then t.override_target end as override_target,
                case when t.override_until > $2 then ou.name end as override_sitter_name,
                case when t.override_until > $2 then t.override_until end as override_until
           from thread t
           left join app_user ou on ou.user_id = t.override_sitter_id
           join number n on n.number_id = t.number_id
           left join client cl on cl.client_id = t.client_id
          where t.org_id = $1
            and ($3 = false or t.owner_unread_count > 0)
            and ($4 = false or t.has_policy_violation)
            and ($5 = false or t.has_delivery_failure)
            and ($6 = '' or lower(coalesce(cl.name, '')) like $6)
            and (cast($7 as bigint) is null or t.last_activity_at < $7
                 or (t.last_activity_at = $7 and t.thread_id < $8))
            and ($10 = '' or t.thread_id = $10)
          order by t.last_activity_at desc, t.thread_id desc
          limit $9")
        .bind(&scope.org_id).bind(now).bind(filter.unread).bind(filter.policy).bind(filter.failures)
        .bind(&search).bind(cursor_at).bind(&cursor_id).bind(i64::from(limit) + 1)
        .bind(filter.thread_id.as_deref().unwrap_or(""))
        .fetch_all(c).await)?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| format!("{}_{}", r.last_activity_at, r.thread_id))
    } else {
        None
    };
    let threads: Vec<ThreadSummary> = rows.into_iter().map(Into::into).collect();
    Ok(ThreadPage {
        threads,
        next_cursor,
    })
}

/// One thread's summary, if it is the org's.
pub async fn summary(
    db: &Db,
    scope: &OwnerScope,
    thread_id: &str,
    now: Millis,
) -> Result<Option<ThreadSummary>> {
    let filter = ThreadFilter {
        thread_id: Some(thread_id.to_owned()),
        limit: 1,
        ..ThreadFilter::default()
    };
    Ok(list(db, scope, &filter, now)
        .await?
        .threads
        .into_iter()
        .next())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub direction: String,
    /// `sms`, or `system` for events such as an opt-out.
    pub kind: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub redacted_body: Option<String>,
    pub created_at: String,
    /// Who wrote an outbound text (the owner or a sitter); none for automated texts.
    pub sender_name: Option<String>,
    /// For an inbound text: where routing sent it (`owner_inbox` or `sitter`) and why.
    pub routing_target: Option<String>,
    pub routing_reason: Option<String>,
    /// For an outbound text: every delivery attempt, oldest first.
    pub deliveries: Vec<crate::deliveries::Delivery>,
    /// What the anti-poaching policy found in this text.
    pub policy_violations: Vec<MessageViolation>,
}

/// A policy finding on one message, shaped like the seeds' MessageSchema.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageViolation {
    #[serde(rename = "type")]
    pub kind: String,
    /// `warning` or `block`.
    pub severity: String,
    pub is_redacted: bool,
    pub details: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    message_id: String,
    direction: String,
    kind: String,
    routing_target: Option<String>,
    routing_reason: Option<String>,
    sender_name: Option<String>,
    from_e164: String,
    to_e164: String,
    body: String,
    redacted_body: Option<String>,
    created_at: i64,
}

/// A thread's messages, oldest first. Opening a thread as the owner marks it read.
pub async fn messages(db: &Db, scope: &OwnerScope, thread_id: &str) -> Result<Vec<Message>> {
    let found = db!(db, c => sqlx::query("update thread set owner_unread_count = 0 where org_id = $1 and thread_id = $2")
        .bind(&scope.org_id).bind(thread_id).execute(c).await.map(|r| r.rows_affected()))?;
    if found == 0 {
        return Err(Error::NotFound("thread"));
    }
    let rows: Vec<MessageRow> = db!(db, c => sqlx::query_as(
        "select m.message_id, m.direction, m.kind, m.from_e164, m.to_e164, m.body, m.redacted_body, m.created_at,
                rd.target as routing_target, rd.reason as routing_reason, u.name as sender_name
           from message m left join routing_decision rd on rd.message_id = m.message_id
           left join app_user u on u.user_id = m.sender_user_id
          where m.org_id = $1 and m.thread_id = $2
          -- Arrival order: texts that arrive in the same millisecond keep the order their
          -- webhooks were stored in (UUIDv7 ids), whatever order their jobs ran in.
          order by m.created_at, coalesce(m.inbound_event_id, m.message_id)")
        .bind(&scope.org_id).bind(thread_id).fetch_all(c).await)?;
    let mut deliveries = crate::deliveries::for_thread(db, &scope.org_id, thread_id).await?;
    let violations: Vec<(String, String, String, String)> = db!(db, c => sqlx::query_as(
        "select message_id, type, severity, action from policy_violation
          where org_id = $1 and thread_id = $2 and message_id is not null order by created_at")
        .bind(&scope.org_id).bind(thread_id).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Message {
            deliveries: {
                let (mine, rest) = deliveries
                    .drain(..)
                    .partition(|d| d.message_id == r.message_id);
                deliveries = rest;
                mine
            },
            policy_violations: violations
                .iter()
                .filter(|v| v.0 == r.message_id)
                .map(|(_, kind, severity, action)| MessageViolation {
                    kind: kind.clone(),
                    severity: severity.clone(),
                    is_redacted: r.redacted_body.is_some(),
                    details: Some(format!("{kind} ({action})")),
                })
                .collect(),
            sender_name: r.sender_name,
            id: r.message_id,
            direction: r.direction,
            kind: r.kind,
            routing_target: r.routing_target,
            routing_reason: r.routing_reason,
            from: r.from_e164,
            to: r.to_e164,
            body: r.body,
            redacted_body: r.redacted_body,
            created_at: to_rfc3339(r.created_at),
        })
        .collect())
}

/// The one thread for (client number, business number), created if it does not exist.
/// Safe under concurrent callers: the unique index decides, and everyone reads the winner.
pub async fn find_or_create(
    tx: &mut Tx,
    org_id: &str,
    number_id: &str,
    client_e164: &str,
    now: Millis,
) -> Result<String> {
    tx!(tx, c => sqlx::query(
        "insert into thread (thread_id, org_id, number_id, client_e164, client_id, last_activity_at, created_at)
         values ($1, $2, $3, $4, (select client_id from client where org_id = $2 and phone_e164 = $4), $5, $5)
         on conflict (org_id, client_e164, number_id) do nothing")
        .bind(ids::new_id()).bind(org_id).bind(number_id).bind(client_e164).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    let id: String = tx!(tx, c => sqlx::query_scalar(
        "select thread_id from thread where org_id = $1 and client_e164 = $2 and number_id = $3")
        .bind(org_id).bind(client_e164).bind(number_id).fetch_one(c).await)?;
    Ok(id)
}

pub struct NewMessage<'a> {
    pub thread_id: &'a str,
    pub direction: &'a str,
    /// `sms`, or `system` for an event shown in the thread (such as an opt-out).
    pub kind: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    /// The body with contact details removed, for sitters, when the policy found any.
    pub redacted_body: Option<&'a str>,
    pub sender_user_id: Option<&'a str>,
    pub inbound_event_id: Option<&'a str>,
    pub at: Millis,
}

/// Adds a message and moves the thread's activity (never backwards); an inbound message
/// also counts as unread for the owner.
pub async fn add_message(tx: &mut Tx, org_id: &str, m: NewMessage<'_>) -> Result<String> {
    let message_id = ids::new_id();
    tx!(tx, c => sqlx::query(
        "insert into message (message_id, org_id, thread_id, direction, kind, from_e164, to_e164, body, redacted_body, sender_user_id, inbound_event_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(&message_id).bind(org_id).bind(m.thread_id).bind(m.direction).bind(m.kind).bind(m.from).bind(m.to)
        .bind(m.body).bind(m.redacted_body).bind(m.sender_user_id).bind(m.inbound_event_id).bind(m.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    let unread = i32::from(m.direction == "inbound" && m.kind == "sms");
    tx!(tx, c => sqlx::query(
        "update thread set owner_unread_count = owner_unread_count + $3,
                last_activity_at = case when last_activity_at < $4 then $4 else last_activity_at end
          where org_id = $1 and thread_id = $2")
        .bind(org_id).bind(m.thread_id).bind(unread).bind(m.at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(message_id)
}

/// A thread as a sitter sees it: no client number, only the name and the window.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SitterThread {
    pub id: String,
    pub client_name: String,
    /// `active` or `upcoming`.
    pub status: String,
}

/// The sitter's threads with an active or upcoming window of theirs.
pub async fn for_sitter(
    db: &Db,
    scope: &crate::accounts::SitterScope,
    now: Millis,
) -> Result<Vec<SitterThread>> {
    let rows: Vec<(String, Option<String>, i64)> = db!(db, c => sqlx::query_as(
        "select t.thread_id, cl.name, min(w.start_at)
           from assignment_window w
           join thread t on t.thread_id = w.thread_id
           left join client cl on cl.client_id = t.client_id
          where w.org_id = $1 and w.sitter_id = $2 and w.end_at > $3
          group by t.thread_id, cl.name
          order by min(w.start_at)")
        .bind(&scope.org_id).bind(&scope.sitter_id).bind(now).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, start)| SitterThread {
            id,
            client_name: name.unwrap_or_else(|| "Client".to_owned()),
            status: if start <= now { "active" } else { "upcoming" }.to_owned(),
        })
        .collect())
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct OrgStats {
    pub threads: i64,
    pub unread: i64,
    pub clients: i64,
    pub bookings_next_day: i64,
}

pub async fn stats(db: &Db, scope: &OwnerScope, now: Millis) -> Result<OrgStats> {
    let (threads, unread): (i64, Option<i64>) = db!(db, c => sqlx::query_as(
        "select count(*), cast(sum(owner_unread_count) as bigint) from thread where org_id = $1")
        .bind(&scope.org_id).fetch_one(c).await)?;
    let clients: i64 = db!(db, c => sqlx::query_scalar("select count(*) from client where org_id = $1")
        .bind(&scope.org_id).fetch_one(c).await)?;
    let bookings: i64 = db!(db, c => sqlx::query_scalar(
        "select count(*) from booking where org_id = $1 and start_at >= $2 and start_at < $3 and status <> 'cancelled'")
        .bind(&scope.org_id).bind(now).bind(now + crate::clock::DAY).fetch_one(c).await)?;
    Ok(OrgStats {
        threads,
        unread: unread.unwrap_or(0),
        clients,
        bookings_next_day: bookings,
    })
}

/// The thread header a sitter sees: the business number, never the client's.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SitterThreadHeader {
    pub id: String,
    pub client_name: String,
    /// The business number the conversation runs on (masked: the client's own number is
    /// never shown to a sitter).
    pub message_number: String,
    /// `active`, `upcoming` or `past`.
    pub window_status: String,
    #[serde(serialize_with = "crate::clock::serialize_opt_millis")]
    pub window_start: Option<Millis>,
    #[serde(serialize_with = "crate::clock::serialize_opt_millis")]
    pub window_end: Option<Millis>,
}

/// A message as a sitter sees it: the redacted body where the policy found contact info,
/// and no phone numbers at all.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SitterMessage {
    pub id: String,
    pub direction: String,
    pub kind: String,
    pub body: String,
    /// Whether `body` had contact details removed.
    pub redacted: bool,
    pub sender_name: Option<String>,
    /// For an outbound text: its latest delivery status.
    pub status: Option<String>,
    /// For an outbound text: how many attempts it took so far.
    pub attempts: i64,
    /// Whether the sitter wrote it (and so may Retry it).
    pub mine: bool,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct SitterRow {
    message_id: String,
    direction: String,
    kind: String,
    body: String,
    redacted_body: Option<String>,
    sender_name: Option<String>,
    status: Option<String>,
    attempts: i64,
    mine: bool,
    created_at: i64,
}

pub const OUTSIDE_WINDOW_VIEW: &str =
    "This conversation is only available during your assignment window.";

/// The sitter's view of one of their threads: its header (the current window, else the
/// next, else the last) — or not found when the sitter has never had a window on it.
pub async fn sitter_header(
    db: &Db,
    scope: &crate::accounts::SitterScope,
    thread_id: &str,
    now: Millis,
) -> Result<SitterThreadHeader> {
    let row: Option<(String, Option<String>, String, i64, i64)> = db!(db, c => sqlx::query_as(
        "select t.thread_id, cl.name, n.e164, w.start_at, w.end_at
           from assignment_window w
           join thread t on t.thread_id = w.thread_id
           join number n on n.number_id = t.number_id
           left join client cl on cl.client_id = t.client_id
          where w.org_id = $1 and w.sitter_id = $2 and w.thread_id = $3
          order by case when w.start_at <= $4 and w.end_at > $4 then 0 when w.start_at > $4 then 1 else 2 end,
                   case when w.start_at > $4 then w.start_at else -w.end_at end
          limit 1")
        .bind(&scope.org_id).bind(&scope.sitter_id).bind(thread_id).bind(now).fetch_optional(c).await)?;
    let Some((id, name, number, start, end)) = row else {
        return Err(Error::NotFound("thread"));
    };
    let status = if start <= now && end > now {
        "active"
    } else if start > now {
        "upcoming"
    } else {
        "past"
    };
    Ok(SitterThreadHeader {
        id,
        client_name: name.unwrap_or_else(|| "Client".to_owned()),
        message_number: number,
        window_status: status.to_owned(),
        window_start: Some(start),
        window_end: Some(end),
    })
}

/// A thread's messages for a sitter, only while their window is active.
pub async fn sitter_messages(
    db: &Db,
    scope: &crate::accounts::SitterScope,
    thread_id: &str,
    now: Millis,
) -> Result<(SitterThreadHeader, Vec<SitterMessage>)> {
    let header = sitter_header(db, scope, thread_id, now).await?;
    if header.window_status != "active" {
        return Err(Error::Forbidden(OUTSIDE_WINDOW_VIEW.into()));
    }
    let rows: Vec<SitterRow> = db!(db, c => sqlx::query_as(
        "select m.message_id, m.direction, m.kind, m.body, m.redacted_body, u.name as sender_name,
                (select d.status from delivery d where d.message_id = m.message_id order by d.attempt_no desc limit 1) as status,
                (select count(*) from delivery d where d.message_id = m.message_id) as attempts,
                coalesce(m.sender_user_id = $3, false) as mine,
                m.created_at
           from message m left join app_user u on u.user_id = m.sender_user_id
          where m.org_id = $1 and m.thread_id = $2
          order by m.created_at, coalesce(m.inbound_event_id, m.message_id)")
        .bind(&scope.org_id).bind(thread_id).bind(&scope.sitter_id).fetch_all(c).await)?;
    let messages = rows
        .into_iter()
        .map(|r| SitterMessage {
            id: r.message_id,
            direction: r.direction,
            kind: r.kind,
            redacted: r.redacted_body.is_some(),
            body: r.redacted_body.unwrap_or(r.body),
            sender_name: r.sender_name,
            status: r.status,
            attempts: r.attempts,
            mine: r.mine,
            created_at: to_rfc3339(r.created_at),
        })
        .collect();
    Ok((header, messages))
}

/// The thread a message of the org is in.
pub async fn of_message(db: &Db, scope: &OwnerScope, message_id: &str) -> Result<String> {
    let thread: Option<String> = db!(db, c => sqlx::query_scalar(
        "select thread_id from message where org_id = $1 and message_id = $2")
        .bind(&scope.org_id).bind(message_id).fetch_optional(c).await)?;
    thread.ok_or(Error::NotFound("message"))
}
