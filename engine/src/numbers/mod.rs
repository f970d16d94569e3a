//! Business numbers: the org's phone numbers, each with a type (front desk, sitter, pool)
//! and a status (active, quarantined, released).
//!
//! This module holds the inventory and its queries; [`acquire`] brings numbers in from
//! the provider (buy, import), [`lifecycle`] changes them (assign, quarantine, release),
//! and [`pool`] keeps the pool lent and free (the daily release job, the low-water alert).

pub mod acquire;
pub mod lifecycle;
pub mod pool;

use serde::{Deserialize, Serialize};

use crate::{Db, Error, Result, Tx, accounts::OwnerScope, clock::Millis, db, ids, tx};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum NumberClass {
    FrontDesk,
    Sitter,
    Pool,
}

impl NumberClass {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FrontDesk => "front_desk",
            Self::Sitter => "sitter",
            Self::Pool => "pool",
        }
    }

    /// The API's value (the seeds' NumberSchema): `frontDesk`, `sitter`, `pool`.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::FrontDesk => "frontDesk",
            Self::Sitter => "sitter",
            Self::Pool => "pool",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "sitter" => Self::Sitter,
            "pool" => Self::Pool,
            _ => Self::FrontDesk,
        }
    }

    /// An API value, checked: a bad one is an error naming `field`.
    pub fn from_api(field: &'static str, s: &str) -> Result<Self> {
        match s.trim() {
            "frontDesk" => Ok(Self::FrontDesk),
            "sitter" => Ok(Self::Sitter),
            "pool" => Ok(Self::Pool),
            _ => Err(Error::invalid(field, "must be frontDesk, sitter or pool")),
        }
    }
}

/// The statuses a number can be in, as stored and as the API shows them.
pub const STATUSES: [&str; 3] = ["active", "quarantined", "released"];

/// A status filter, checked.
pub fn parse_status(field: &'static str, s: &str) -> Result<&'static str> {
    STATUSES
        .iter()
        .copied()
        .find(|st| *st == s.trim())
        .ok_or_else(|| Error::invalid(field, "must be active, quarantined or released"))
}

/// The seeds' NumberSchema, and who the number is assigned to in words.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Number {
    pub id: String,
    pub e164: String,
    #[serde(rename = "type")]
    pub kind: NumberClass,
    /// `active`, `quarantined` or `released`.
    pub status: String,
    /// A sitter number's sitter.
    pub assigned_to_user_id: Option<String>,
    /// A pool number's conversation (the thread it is lent to).
    pub assigned_to_thread_id: Option<String>,
    /// The sitter's name, or the client's name (or redacted number) of the conversation.
    pub assigned_to_name: Option<String>,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct NumberView {
    number_id: String,
    e164: String,
    class: String,
    status: String,
    assigned_user_id: Option<String>,
    assigned_thread_id: Option<String>,
    user_name: Option<String>,
    client_name: Option<String>,
    client_e164: Option<String>,
    created_at: Millis,
}

impl From<NumberView> for Number {
    fn from(r: NumberView) -> Self {
        Self {
            id: r.number_id,
            e164: r.e164,
            kind: NumberClass::parse(&r.class),
            status: r.status,
            assigned_to_user_id: r.assigned_user_id,
            assigned_to_thread_id: r.assigned_thread_id,
            assigned_to_name: r
                .user_name
                .or(r.client_name)
                .or_else(|| r.client_e164.as_deref().map(crate::phone::redact)),
            created_at: crate::clock::to_rfc3339(r.created_at),
        }
    }
}

const VIEW: &str =
    "select n.number_id, n.e164, n.class, n.status, n.assigned_user_id, n.assigned_thread_id,
        u.name as user_name, c.name as client_name, t.client_e164, n.created_at
   from number n
   left join app_user u on u.user_id = n.assigned_user_id
   left join thread t on t.thread_id = n.assigned_thread_id
   left join client c on c.client_id = t.client_id";

#[derive(Clone, Debug, Default)]
pub struct NumberFilter {
    pub kind: Option<NumberClass>,
    pub status: Option<&'static str>,
    /// 1-based.
    pub page: i64,
    pub page_size: i64,
}

pub const MAX_PAGE_SIZE: i64 = 200;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: i64,
    pub page_size: i64,
    pub total: i64,
    pub total_pages: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NumberPage {
    pub numbers: Vec<Number>,
    pub pagination: Pagination,
}

/// The org's numbers, oldest first, filtered and paged.
pub async fn list(db: &Db, scope: &OwnerScope, f: &NumberFilter) -> Result<NumberPage> {
    if f.page < 1 {
        return Err(Error::invalid("page", "must be 1 or more"));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&f.page_size) {
        return Err(Error::invalid("pageSize", "must be from 1 to 200"));
    }
    let kind = f.kind.map_or("", NumberClass::as_str);
    let status = f.status.unwrap_or("");
    let filter = "where n.org_id = $1 and ($2 = '' or n.class = $2) and ($3 = '' or n.status = $3)";
    let total: i64 = db!(db, c => sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from number n {filter}")))
        .bind(&scope.org_id).bind(kind).bind(status).fetch_one(c).await)?;
    let sql = format!("{VIEW} {filter} order by n.created_at, n.e164 limit $4 offset $5");
    let rows: Vec<NumberView> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&scope.org_id).bind(kind).bind(status).bind(f.page_size).bind((f.page - 1) * f.page_size)
        .fetch_all(c).await)?;
    Ok(NumberPage {
        numbers: rows.into_iter().map(Into::into).collect(),
        pagination: Pagination {
            page: f.page,
            page_size: f.page_size,
            total,
            total_pages: (total + f.page_size - 1) / f.page_size,
        },
    })
}

/// One of the org's numbers; another org's is not found.
pub async fn get(db: &Db, org_id: &str, number_id: &str) -> Result<Number> {
    let sql = format!("{VIEW} where n.org_id = $1 and n.number_id = $2");
    let row: Option<NumberView> = db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org_id).bind(number_id).fetch_optional(c).await)?;
    row.map(Into::into).ok_or(Error::NotFound("number"))
}

/// A conversation on a number, as a pool number's "lend to" choice shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Conversation {
    pub thread_id: String,
    /// The client's name, or their number redacted.
    pub label: String,
}

/// The most recent conversations on one of the org's numbers.
pub async fn conversations(db: &Db, org_id: &str, number_id: &str) -> Result<Vec<Conversation>> {
    let rows: Vec<(String, Option<String>, String)> = db!(db, c => sqlx::query_as(
        "select t.thread_id, c.name, t.client_e164
           from thread t left join client c on c.client_id = t.client_id
          where t.org_id = $1 and t.number_id = $2
          order by t.last_activity_at desc, t.thread_id limit 20")
        .bind(org_id).bind(number_id).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(thread_id, name, e164)| Conversation {
            thread_id,
            label: name.unwrap_or_else(|| crate::phone::redact(&e164)),
        })
        .collect())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NumberRow {
    pub number_id: String,
    pub org_id: String,
    pub e164: String,
    pub class: String,
    pub status: String,
    /// For a pool number: the thread it is lent to.
    pub assigned_thread_id: Option<String>,
}

/// The number an inbound text was sent to, whatever org owns it.
pub async fn by_e164(db: &Db, e164: &str) -> Result<Option<NumberRow>> {
    Ok(
        db!(db, c => sqlx::query_as("select number_id, org_id, e164, class, status, assigned_thread_id from number where e164 = $1")
        .bind(e164).fetch_optional(c).await)?,
    )
}

pub async fn create(
    tx: &mut Tx,
    org_id: &str,
    e164: &str,
    class: NumberClass,
    assigned_user_id: Option<&str>,
    now: Millis,
) -> Result<String> {
    let number_id = ids::new_id();
    tx!(tx, c => sqlx::query(
        "insert into number (number_id, org_id, e164, class, assigned_user_id, created_at) values ($1, $2, $3, $4, $5, $6)")
        .bind(&number_id).bind(org_id).bind(e164).bind(class.as_str()).bind(assigned_user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(number_id)
}

pub(crate) fn in_use(e164: &str) -> Error {
    Error::Conflict(format!("e164 {e164} is already one of your numbers").into())
}

pub(crate) fn elsewhere(e164: &str) -> Error {
    Error::Conflict(
        format!("e164 {e164} belongs to another organisation on this Switchboard").into(),
    )
}

/// Where an E.164 already is in the install: nowhere, in this org (and its status), or
/// in another org.
pub(crate) enum Held {
    Nowhere,
    Here { number_id: String, status: String },
    Elsewhere,
}

pub(crate) async fn held(tx: &mut Tx, org_id: &str, e164: &str) -> Result<Held> {
    let row: Option<(String, String, String)> = tx!(tx, c => sqlx::query_as(
        "select number_id, org_id, status from number where e164 = $1")
        .bind(e164).fetch_optional(c).await)?;
    Ok(match row {
        None => Held::Nowhere,
        Some((number_id, owner, status)) if owner == org_id => Held::Here { number_id, status },
        Some(_) => Held::Elsewhere,
    })
}

/// Brings `e164` into the org's inventory as `class`, active: a new row, or the org's
/// own row of a number it gave back before. Refuses a number the org already has in use
/// or another org holds.
pub(crate) async fn add(
    tx: &mut Tx,
    org_id: &str,
    e164: &str,
    class: NumberClass,
    provider_sid: Option<&str>,
    now: Millis,
) -> Result<String> {
    match held(tx, org_id, e164).await? {
        Held::Here { status, .. } if status != "released" => Err(in_use(e164)),
        Held::Here { number_id, .. } => {
            tx!(tx, c => sqlx::query(
                "update number set status = 'active', class = $2, provider_sid = $3, assigned_user_id = null, assigned_thread_id = null
                  where number_id = $1")
                .bind(&number_id).bind(class.as_str()).bind(provider_sid).execute(c).await.map(|r| r.rows_affected()))?;
            Ok(number_id)
        }
        Held::Elsewhere => Err(elsewhere(e164)),
        Held::Nowhere => {
            let number_id = create(tx, org_id, e164, class, None, now)
                .await
                .map_err(|e| {
                    if e.is_unique_violation() {
                        Error::Conflict(
                            format!("e164 {e164} was just added by someone else").into(),
                        )
                    } else {
                        e
                    }
                })?;
            tx!(tx, c => sqlx::query("update number set provider_sid = $2 where number_id = $1")
                .bind(&number_id).bind(provider_sid).execute(c).await.map(|r| r.rows_affected()))?;
            Ok(number_id)
        }
    }
}

/// A number's provider id, as stored (None until learned).
pub(crate) async fn stored_sid(db: &Db, number_id: &str) -> Result<Option<String>> {
    Ok(
        db!(db, c => sqlx::query_scalar("select provider_sid from number where number_id = $1")
        .bind(number_id).fetch_optional(c).await)?
        .flatten(),
    )
}

/// Remembers a number's provider id once learned.
pub(crate) async fn store_sid(db: &Db, number_id: &str, sid: &str) -> Result<()> {
    let turn = db.write_turn().await;
    db!(db, c => sqlx::query("update number set provider_sid = $2 where number_id = $1")
        .bind(number_id).bind(sid).execute(c).await.map(|r| r.rows_affected()))?;
    drop(turn);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_types_and_statuses_are_checked() {
        for class in [
            NumberClass::FrontDesk,
            NumberClass::Sitter,
            NumberClass::Pool,
        ] {
            assert_eq!(
                NumberClass::from_api("type", class.api_name()).unwrap(),
                class
            );
            assert_eq!(NumberClass::parse(class.as_str()), class);
            assert_eq!(
                serde_json::to_value(class).unwrap(),
                serde_json::json!(class.api_name())
            );
        }
        assert!(NumberClass::from_api("type", "front_desk").is_err());
        assert_eq!(
            parse_status("status", "quarantined").unwrap(),
            "quarantined"
        );
        assert!(parse_status("status", "gone").is_err());
    }
}
