//! Sitters: the org's user accounts with the role `sitter`, each with the business number
//! lent to them (class `sitter`), on which their clients' threads run.

use serde::Serialize;

use crate::{
    Db, Error, Problems, Result, Tx,
    accounts::{self, NewUser, OwnerScope, Role},
    audit,
    clock::{Millis, to_rfc3339},
    db, fields, tx,
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sitter {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Their business number (class `sitter`), if they have one.
    pub sitter_number: Option<String>,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct SitterRow {
    user_id: String,
    name: String,
    email: String,
    sitter_number: Option<String>,
    created_at: i64,
}

impl From<SitterRow> for Sitter {
    fn from(r: SitterRow) -> Self {
        Self {
            id: r.user_id,
            name: r.name,
            email: r.email,
            sitter_number: r.sitter_number,
            created_at: to_rfc3339(r.created_at),
        }
    }
}

/// `$2` = '' for all of them.
const SELECT: &str = "select u.user_id, u.name, u.email, u.created_at,
        (select n.e164 from number n where n.org_id = u.org_id and n.class = 'sitter'
            and n.assigned_user_id = u.user_id and n.status = 'active'
          order by n.created_at, n.number_id limit 1) as sitter_number
   from app_user u
  where u.org_id = $1 and u.role = 'sitter' and ($2 = '' or u.user_id = $2)
  order by u.name, u.user_id";

/// The org's sitters, by name (a handful per business: no paging).
pub async fn list(db: &Db, scope: &OwnerScope) -> Result<Vec<Sitter>> {
    let rows: Vec<SitterRow> = db!(db, c => sqlx::query_as(SELECT)
        .bind(&scope.org_id).bind("").fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(db: &Db, scope: &OwnerScope, sitter_id: &str) -> Result<Sitter> {
    let row: Option<SitterRow> = db!(db, c => sqlx::query_as(SELECT)
        .bind(&scope.org_id).bind(sitter_id).fetch_optional(c).await)?;
    row.map(Into::into).ok_or(Error::NotFound("sitter"))
}

pub struct NewSitter<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

pub const MIN_PASSWORD: usize = 8;

/// Adds a sitter who can log in with `email` and `password`. Runs its own transaction:
/// the password is hashed first, outside it (hashing is slow on purpose). Audited.
pub async fn create(
    db: &Db,
    scope: &OwnerScope,
    new: NewSitter<'_>,
    now: Millis,
) -> Result<String> {
    let mut p = Problems::default();
    let name = p.check(fields::name("name", new.name, 100))?;
    let email = p.check(fields::email("email", new.email))?;
    if new.password.chars().count() < MIN_PASSWORD {
        p.add(
            "password",
            format!("must be at least {MIN_PASSWORD} characters"),
        );
    }
    p.finish()?;
    let (Some(name), Some(email)) = (name, email) else {
        return Err(Error::Internal("checked fields went missing".into()));
    };
    let hash = accounts::hash_password(new.password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let user = NewUser {
        email: &email,
        name: &name,
        role: Role::Sitter,
        password_hash: &hash,
    };
    let sitter_id = accounts::create_user(&mut tx, &scope.org_id, user, now).await?;
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "sitter.created",
        Some(("user", &sitter_id)),
        &serde_json::json!({ "name": name }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(sitter_id)
}

/// Renames a sitter. Audited.
pub async fn rename(
    tx: &mut Tx,
    scope: &OwnerScope,
    sitter_id: &str,
    name: &str,
    now: Millis,
) -> Result<()> {
    let name = fields::name("name", name, 100)?;
    let found = tx!(tx, c => sqlx::query(
        "update app_user set name = $3 where org_id = $1 and user_id = $2 and role = 'sitter'")
        .bind(&scope.org_id).bind(sitter_id).bind(&name).execute(c).await.map(|r| r.rows_affected()))?;
    if found == 0 {
        return Err(Error::NotFound("sitter"));
    }
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "sitter.updated",
        Some(("user", sitter_id)),
        &serde_json::json!({ "name": name }),
        now,
    )
    .await
}

/// A sitter named in a request body: their name. Another org's user is not found; an
/// unknown id, or a user who is not a sitter, is a field error.
pub(crate) async fn reference(
    tx: &mut Tx,
    org_id: &str,
    field: &'static str,
    sitter_id: &str,
) -> Result<String> {
    let row: Option<(String, String, String)> = tx!(tx, c => sqlx::query_as(
        "select org_id, name, role from app_user where user_id = $1")
        .bind(sitter_id).fetch_optional(c).await)?;
    let (name, role) = fields::reference(
        row.map(|(org, n, r)| (org, (n, r))),
        org_id,
        field,
        "sitter",
    )?;
    if role != Role::Sitter.as_str() {
        return Err(Error::invalid(field, "is not a sitter of this business"));
    }
    Ok(name)
}

/// The sitter's active business number (id, E.164), if they have one.
pub(crate) async fn number(
    tx: &mut Tx,
    org_id: &str,
    sitter_id: &str,
) -> Result<Option<(String, String)>> {
    Ok(tx!(tx, c => sqlx::query_as(
        "select number_id, e164 from number where org_id = $1 and class = 'sitter' and assigned_user_id = $2
            and status = 'active' order by created_at, number_id limit 1")
        .bind(org_id).bind(sitter_id).fetch_optional(c).await)?)
}
