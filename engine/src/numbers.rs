//! Business numbers: the org's phone numbers, each with a class and a status.

use serde::Serialize;

use crate::{Db, Result, Tx, clock::Millis, db, ids, tx};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberClass {
    FrontDesk,
    Sitter,
    Pool,
}

impl NumberClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FrontDesk => "front_desk",
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
