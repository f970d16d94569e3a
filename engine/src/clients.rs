//! Clients: the people who text the business. Each has one phone number (E.164, unique in
//! the org), and is archived rather than deleted, since threads, bookings and the audit
//! trail point at them.

use serde::Serialize;

use ::automations::triggers::Trigger;

use crate::automations::events::{self, Refs};
use crate::{
    Db, Error, Problems, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::{Millis, to_rfc3339},
    db,
    fields::{self, Patch},
    ids, paging, phone, tx,
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub id: String,
    pub name: String,
    /// E.164.
    pub phone: String,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    /// They have a weekly booking that is not cancelled.
    pub recurring: bool,
    /// They texted STOP (and not START since): nothing is sent to them.
    pub opted_out: bool,
    /// The end of their last completed booking.
    pub last_visit: Option<String>,
    pub archived: bool,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    name: String,
    phone_e164: String,
    email: Option<String>,
    tags: String,
    notes: String,
    opted_out: bool,
    recurring: bool,
    last_visit: Option<i64>,
    archived_at: Option<i64>,
    created_at: i64,
}

impl From<ClientRow> for Client {
    fn from(r: ClientRow) -> Self {
        Self {
            id: r.client_id,
            name: r.name,
            phone: r.phone_e164,
            email: r.email,
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            notes: r.notes,
            recurring: r.recurring,
            opted_out: r.opted_out,
            last_visit: r.last_visit.map(to_rfc3339),
            archived: r.archived_at.is_some(),
            created_at: to_rfc3339(r.created_at),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ClientFilter {
    /// Part of the name (any case), or three or more digits of the phone number.
    pub q: String,
    pub tag: Option<String>,
    pub opted_out: Option<bool>,
    /// Archived clients instead of current ones.
    pub archived: bool,
    pub cursor: Option<String>,
    pub limit: u32,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientPage {
    pub clients: Vec<Client>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// One query for lists and single clients: `$2` picks one client, `$7` = -1 lists
/// archived and current alike.
const SELECT: &str = "select c.client_id, c.name, c.phone_e164, c.email, c.tags, c.notes,
        coalesce(o.opted_out, c.opted_out) as opted_out,
        exists (select 1 from booking b where b.client_id = c.client_id and b.recurring
                   and b.status <> 'cancelled') as recurring,
        (select max(b.end_at) from booking b where b.client_id = c.client_id
            and b.status = 'completed') as last_visit,
        c.archived_at, c.created_at
   from client c
   left join opt_out o on o.org_id = c.org_id and o.phone_e164 = c.phone_e164
  where c.org_id = $1
    and ($2 = '' or c.client_id = $2)
    and ($3 = '' or lower(c.name) like $3 escape '\\' or c.phone_e164 like $4)
    and ($5 = '' or c.tags like $5)
    and ($6 < 0 or (case when coalesce(o.opted_out, c.opted_out) then 1 else 0 end) = $6)
    and ($7 < 0 or (case when c.archived_at is null then 0 else 1 end) = $7)
    and (cast($8 as text) is null or lower(c.name) > $8 or (lower(c.name) = $8 and c.client_id > $9))
  order by lower(c.name), c.client_id
  limit $10";

/// Clients by name, paged.
pub async fn list(db: &Db, scope: &OwnerScope, filter: &ClientFilter) -> Result<ClientPage> {
    let q = filter.q.trim().to_lowercase();
    let name_pattern = if q.is_empty() {
        String::new()
    } else {
        fields::contains_pattern(&q)
    };
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    // Fewer than three digits would match nearly every number.
    let phone_pattern = if digits.len() >= 3 {
        format!("%{digits}%")
    } else {
        String::new()
    };
    let tag_pattern = match filter
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(tag) => {
            let tag = fields::tags("tag", &[tag.to_owned()])?;
            format!("%{}%", serde_json::to_string(&tag[0]).unwrap_or_default())
        }
        None => String::new(),
    };
    let (after_name, after_id) = match &filter.cursor {
        Some(id) => {
            let key: Option<String> = db!(db, c => sqlx::query_scalar(
                "select lower(name) from client where org_id = $1 and client_id = $2")
                .bind(&scope.org_id).bind(id).fetch_optional(c).await)?;
            (Some(key.ok_or_else(paging::bad_cursor)?), id.clone())
        }
        None => (None, String::new()),
    };
    let rows: Vec<ClientRow> = db!(db, c => sqlx::query_as(SELECT)
        .bind(&scope.org_id).bind("").bind(&name_pattern).bind(&phone_pattern).bind(&tag_pattern)
        .bind(filter.opted_out.map_or(-1, i32::from)).bind(i32::from(filter.archived))
        .bind(after_name).bind(&after_id).bind(i64::from(filter.limit) + 1)
        .fetch_all(c).await)?;
    let (rows, next_cursor) = paging::page(rows, filter.limit, |r| r.client_id.clone());
    Ok(ClientPage {
        clients: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    })
}

pub async fn get(db: &Db, scope: &OwnerScope, client_id: &str) -> Result<Client> {
    let row: Option<ClientRow> = db!(db, c => sqlx::query_as(SELECT)
        .bind(&scope.org_id).bind(client_id).bind("").bind("").bind("").bind(-1).bind(-1)
        .bind(Option::<String>::None).bind("").bind(1_i64)
        .fetch_optional(c).await)?;
    row.map(Into::into).ok_or(Error::NotFound("client"))
}

#[derive(Clone, Debug, Default)]
pub struct NewClient {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    /// Set for someone who got in touch but has not booked: a lead.
    pub lead: Option<NewLead>,
}

/// How a lead found the business.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewLead {
    /// `website`, `referral`, `phone`, `text`, … (1–40 characters).
    pub source: String,
    pub notes: Option<String>,
}

const MAX_NAME: usize = 100;
const MAX_NOTES: usize = 2000;

fn optional_email(raw: Option<&str>) -> Result<Option<String>> {
    match raw.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => fields::email("email", e).map(Some),
        None => Ok(None),
    }
}

/// Refuses a phone number another client of the org has, naming that client.
async fn check_phone_free(tx: &mut Tx, org_id: &str, phone: &str, except: &str) -> Result<()> {
    let holder: Option<(String, Option<i64>)> = tx!(tx, c => sqlx::query_as(
        "select name, archived_at from client where org_id = $1 and phone_e164 = $2 and client_id <> $3")
        .bind(org_id).bind(phone).bind(except).fetch_optional(c).await)?;
    match holder {
        Some((name, archived)) => Err(Error::Conflict(
            format!(
                "another client already has this phone number: {name}{}",
                if archived.is_some() {
                    " (archived)"
                } else {
                    ""
                }
            )
            .into(),
        )),
        None => Ok(()),
    }
}

fn phone_taken(e: Error) -> Error {
    if e.is_unique_violation() {
        Error::Conflict("another client already has this phone number".into())
    } else {
        e
    }
}

/// Threads with this number and no client yet become the client's.
async fn link_threads(tx: &mut Tx, org_id: &str, client_id: &str, phone: &str) -> Result<u64> {
    Ok(tx!(tx, c => sqlx::query(
        "update thread set client_id = $3 where org_id = $1 and client_e164 = $2 and client_id is null")
        .bind(org_id).bind(phone).bind(client_id).execute(c).await.map(|r| r.rows_affected()))?)
}

/// Adds a client; threads already running with their number become theirs. Audited.
pub async fn create(
    tx: &mut Tx,
    scope: &OwnerScope,
    new: &NewClient,
    now: Millis,
) -> Result<String> {
    let mut p = Problems::default();
    let name = p.check(fields::name("name", &new.name, MAX_NAME))?;
    let phone = p.check(phone::parse_e164("phone", &new.phone))?;
    let email = p.check(optional_email(new.email.as_deref()))?;
    let tags = p.check(fields::tags("tags", &new.tags))?;
    let notes = p.check(fields::text("notes", &new.notes, MAX_NOTES))?;
    let lead = match &new.lead {
        Some(l) => {
            let source = p.check(fields::name("lead.source", &l.source, 40))?;
            let notes = p.check(fields::text(
                "lead.notes",
                l.notes.as_deref().unwrap_or(""),
                MAX_NOTES,
            ))?;
            source.map(|s| (s, notes.filter(|n| !n.is_empty())))
        }
        None => None,
    };
    p.finish()?;
    let (Some(name), Some(phone), Some(email), Some(tags), Some(notes)) =
        (name, phone, email, tags, notes)
    else {
        return Err(Error::Internal("checked fields went missing".into()));
    };
    check_phone_free(tx, &scope.org_id, &phone, "").await?;
    let client_id = ids::new_id();
    tx!(tx, c => sqlx::query(
        "insert into client (client_id, org_id, name, phone_e164, email, notes, tags, opted_out, created_at,
                             lead_source, lead_notes, lead_at)
         values ($1, $2, $3, $4, $5, $6, $7,
                 coalesce((select opted_out from opt_out where org_id = $2 and phone_e164 = $4), false), $8,
                 $9, $10, case when $9 is null then null else $8 end)")
        .bind(&client_id).bind(&scope.org_id).bind(&name).bind(&phone).bind(&email).bind(&notes)
        .bind(serde_json::to_string(&tags).unwrap_or_default()).bind(now)
        .bind(lead.as_ref().map(|l| &l.0)).bind(lead.as_ref().and_then(|l| l.1.as_ref()))
        .execute(c).await.map(|r| r.rows_affected())).map_err(|e| phone_taken(e.into()))?;
    let linked = link_threads(tx, &scope.org_id, &client_id, &phone).await?;
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "client.created",
        Some(("client", &client_id)),
        &serde_json::json!({ "name": name, "tags": tags, "linkedThreads": linked, "leadSource": lead.as_ref().map(|l| &l.0) }),
        now,
    )
    .await?;
    let refs = Refs::client(&client_id);
    let org_id = &scope.org_id;
    events::emit(
        tx,
        org_id,
        Trigger::ClientCreated,
        &format!("client.created:{client_id}"),
        &refs,
        now,
    )
    .await?;
    if lead.is_some() {
        events::emit(
            tx,
            org_id,
            Trigger::LeadCreated,
            &format!("lead.created:{client_id}"),
            &refs,
            now,
        )
        .await?;
    }
    Ok(client_id)
}

/// What a PATCH may change; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Patch<String>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Stored {
    name: String,
    phone_e164: String,
    email: Option<String>,
    tags: String,
    notes: String,
}

/// Changes a client. A new phone number takes over threads with that number that have no
/// client; threads on the old number stay theirs (that is their history). Audited.
pub async fn update(
    tx: &mut Tx,
    scope: &OwnerScope,
    client_id: &str,
    changes: &ClientChanges,
    now: Millis,
) -> Result<()> {
    let stored: Option<Stored> = tx!(tx, c => sqlx::query_as(
        "select name, phone_e164, email, tags, notes from client where org_id = $1 and client_id = $2")
        .bind(&scope.org_id).bind(client_id).fetch_optional(c).await)?;
    let stored = stored.ok_or(Error::NotFound("client"))?;
    let mut p = Problems::default();
    let mut changed: Vec<&str> = Vec::new();
    let mut pick = |field: &'static str, checked: Option<String>, old: &str| match checked {
        Some(v) if v != old => {
            changed.push(field);
            v
        }
        _ => old.to_owned(),
    };
    let name = p.check(
        changes
            .name
            .as_deref()
            .map(|n| fields::name("name", n, MAX_NAME))
            .transpose(),
    )?;
    let name = pick("name", name.flatten(), &stored.name);
    let phone = p.check(
        changes
            .phone
            .as_deref()
            .map(|n| phone::parse_e164("phone", n))
            .transpose(),
    )?;
    let phone = pick("phone", phone.flatten(), &stored.phone_e164);
    let notes = p.check(
        changes
            .notes
            .as_deref()
            .map(|n| fields::text("notes", n, MAX_NOTES))
            .transpose(),
    )?;
    let notes = pick("notes", notes.flatten(), &stored.notes);
    let email = match &changes.email {
        Patch::Keep => stored.email.clone(),
        Patch::Clear => None,
        Patch::Set(e) => p.check(optional_email(Some(e)))?.flatten(),
    };
    if email != stored.email {
        changed.push("email");
    }
    let tags = match &changes.tags {
        Some(t) => p
            .check(fields::tags("tags", t))?
            .map(|t| serde_json::to_string(&t).unwrap_or_default()),
        None => None,
    };
    let tags = tags.unwrap_or_else(|| stored.tags.clone());
    if tags != stored.tags {
        changed.push("tags");
    }
    p.finish()?;
    if changed.is_empty() {
        return Ok(());
    }
    if phone != stored.phone_e164 {
        check_phone_free(tx, &scope.org_id, &phone, client_id).await?;
    }
    tx!(tx, c => sqlx::query(
        "update client set name = $3, phone_e164 = $4, email = $5, tags = $6, notes = $7,
                opted_out = coalesce((select opted_out from opt_out where org_id = $1 and phone_e164 = $4), false)
          where org_id = $1 and client_id = $2")
        .bind(&scope.org_id).bind(client_id).bind(&name).bind(&phone).bind(&email).bind(&tags).bind(&notes)
        .execute(c).await.map(|r| r.rows_affected())).map_err(|e| phone_taken(e.into()))?;
    if phone != stored.phone_e164 {
        link_threads(tx, &scope.org_id, client_id, &phone).await?;
    }
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "client.updated",
        Some(("client", client_id)),
        &serde_json::json!({ "changed": changed }),
        now,
    )
    .await
}

/// Archives a client with no upcoming bookings (cancel those first): they leave the
/// client list and cannot be booked, and keep their threads and history. Audited.
pub async fn archive(tx: &mut Tx, scope: &OwnerScope, client_id: &str, now: Millis) -> Result<()> {
    let upcoming: i64 = tx!(tx, c => sqlx::query_scalar(
        "select count(*) from booking where org_id = $1 and client_id = $2 and end_at > $3
            and status not in ('cancelled', 'completed')")
        .bind(&scope.org_id).bind(client_id).bind(now).fetch_one(c).await)?;
    if upcoming > 0 {
        return Err(Error::Conflict(
            format!("the client has {upcoming} upcoming booking(s); cancel them before archiving")
                .into(),
        ));
    }
    set_archived(tx, scope, client_id, Some(now), "client.archived", now).await
}

/// Brings an archived client back. Audited.
pub async fn restore(tx: &mut Tx, scope: &OwnerScope, client_id: &str, now: Millis) -> Result<()> {
    set_archived(tx, scope, client_id, None, "client.restored", now).await
}

async fn set_archived(
    tx: &mut Tx,
    scope: &OwnerScope,
    client_id: &str,
    at: Option<Millis>,
    event: &str,
    now: Millis,
) -> Result<()> {
    let found = tx!(tx, c => sqlx::query(
        "update client set archived_at = $3 where org_id = $1 and client_id = $2")
        .bind(&scope.org_id).bind(client_id).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    if found == 0 {
        return Err(Error::NotFound("client"));
    }
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        event,
        Some(("client", client_id)),
        &serde_json::json!({}),
        now,
    )
    .await
}

/// Checks a client named in a request body (a booking's `clientId`): another org's is
/// not found; an unknown or archived one is a field error.
pub(crate) async fn reference(
    tx: &mut Tx,
    org_id: &str,
    field: &'static str,
    client_id: &str,
) -> Result<()> {
    let row: Option<(String, Option<i64>)> = tx!(tx, c => sqlx::query_as(
        "select org_id, archived_at from client where client_id = $1")
        .bind(client_id).fetch_optional(c).await)?;
    if fields::reference(row, org_id, field, "client")?.is_some() {
        return Err(Error::invalid(
            field,
            "is an archived client; restore them first",
        ));
    }
    Ok(())
}
