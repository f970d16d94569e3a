//! Orgs, users, sessions and API keys, and the capabilities a request carries.
//!
//! A request's [`Caller`] is turned into an [`OwnerScope`] or [`SitterScope`] before it
//! may read or write anything: functions that need one take it as an argument, so a
//! forgotten permission check does not compile.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use serde::Serialize;

use crate::{
    Db, Error, Result, Tx,
    clock::{DAY, Millis},
    db, ids, tx,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Sitter,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Sitter => "sitter",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "sitter" {
            Self::Sitter
        } else {
            Self::Owner
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    user_id: String,
    org_id: String,
    email: String,
    name: String,
    role: String,
    password_hash: String,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.user_id,
            org_id: r.org_id,
            email: r.email,
            name: r.name,
            role: Role::parse(&r.role),
        }
    }
}

/// Who is calling: a logged-in user, or an org's API key (which acts as the owner).
#[derive(Clone, Debug)]
pub struct Caller {
    pub org_id: String,
    pub user_id: Option<String>,
    pub role: Role,
    /// The session this caller came in on (None for an API key).
    pub session_id: Option<String>,
}

/// The right to read and change everything in one org.
#[derive(Clone, Debug)]
pub struct OwnerScope {
    pub org_id: String,
    pub user_id: Option<String>,
}

/// The right to act as one sitter of one org.
#[derive(Clone, Debug)]
pub struct SitterScope {
    pub org_id: String,
    pub sitter_id: String,
}

impl Caller {
    pub fn owner(&self) -> Result<OwnerScope> {
        match self.role {
            Role::Owner => Ok(OwnerScope {
                org_id: self.org_id.clone(),
                user_id: self.user_id.clone(),
            }),
            Role::Sitter => Err(Error::Forbidden("this needs an owner".into())),
        }
    }

    pub fn sitter(&self) -> Result<SitterScope> {
        match (self.role, &self.user_id) {
            (Role::Sitter, Some(id)) => Ok(SitterScope {
                org_id: self.org_id.clone(),
                sitter_id: id.clone(),
            }),
            _ => Err(Error::Forbidden("this is for sitters".into())),
        }
    }
}

pub const SESSION_TTL: Millis = 14 * DAY;

pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Verifies against `hash`, or, when the email is unknown, against the hash of a password
/// nobody has: an unknown email takes as long to refuse as a wrong password.
async fn verify_password(password: String, hash: Option<String>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let argon = Argon2::default();
        let hash = hash.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    argon
                        .hash_password(ids::new_token().as_bytes())
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        argon
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// Checks an email and password; the same error for an unknown email and a wrong password.
pub async fn authenticate(db: &Db, email: &str, password: &str) -> Result<User> {
    let email = email.trim().to_lowercase();
    let row: Option<UserRow> = db!(db, c => sqlx::query_as(
        "select user_id, org_id, email, name, role, password_hash from app_user where email = $1")
        .bind(&email).fetch_optional(c).await)?;
    let hash = row.as_ref().map(|r| r.password_hash.clone());
    let ok = verify_password(password.to_owned(), hash).await;
    match row {
        Some(r) if ok => Ok(r.into()),
        _ => Err(Error::BadCredentials),
    }
}

pub async fn user(db: &Db, org_id: &str, user_id: &str) -> Result<User> {
    let row: Option<UserRow> = db!(db, c => sqlx::query_as(
        "select user_id, org_id, email, name, role, password_hash from app_user where org_id = $1 and user_id = $2")
        .bind(org_id).bind(user_id).fetch_optional(c).await)?;
    row.map(Into::into).ok_or(Error::NotFound("user"))
}

/// Starts a session and returns the token for the cookie (only its hash is stored).
pub async fn create_session(db: &Db, user: &User, now: Millis) -> Result<String> {
    let token = ids::new_token();
    // Logins are rare enough to sweep expired sessions here instead of in a job.
    db!(db, c => sqlx::query("delete from session where expires_at <= $1").bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    db!(db, c => sqlx::query(
        "insert into session (session_id, org_id, user_id, created_at, expires_at) values ($1, $2, $3, $4, $5)")
        .bind(ids::token_hash(&token)).bind(&user.org_id).bind(&user.id).bind(now).bind(now + SESSION_TTL)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(token)
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: String,
    org_id: String,
    user_id: String,
    role: String,
}

pub async fn session_caller(db: &Db, token: &str, now: Millis) -> Result<Option<Caller>> {
    let row: Option<SessionRow> = db!(db, c => sqlx::query_as(
        "select s.session_id, s.org_id, s.user_id, u.role from session s join app_user u on u.user_id = s.user_id
         where s.session_id = $1 and s.expires_at > $2")
        .bind(ids::token_hash(token)).bind(now).fetch_optional(c).await)?;
    Ok(row.map(|r| Caller {
        org_id: r.org_id,
        user_id: Some(r.user_id),
        role: Role::parse(&r.role),
        session_id: Some(r.session_id),
    }))
}

pub async fn end_session(db: &Db, session_id: &str) -> Result<()> {
    db!(db, c => sqlx::query("delete from session where session_id = $1").bind(session_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn api_key_caller(db: &Db, key: &str, now: Millis) -> Result<Option<Caller>> {
    let org: Option<String> = db!(db, c => sqlx::query_scalar(
        "update api_key set last_used_at = $2 where key_hash = $1 returning org_id")
        .bind(ids::token_hash(key)).bind(now).fetch_optional(c).await)?;
    Ok(org.map(|org_id| Caller {
        org_id,
        user_id: None,
        role: Role::Owner,
        session_id: None,
    }))
}

/// Creates an API key for the org and returns it; it is not retrievable afterwards.
pub async fn create_api_key(
    db: &Db,
    scope: &OwnerScope,
    name: &str,
    now: Millis,
) -> Result<String> {
    let key = format!("sb_{}", ids::new_token());
    db!(db, c => sqlx::query(
        "insert into api_key (api_key_id, org_id, name, key_hash, created_at) values ($1, $2, $3, $4, $5)")
        .bind(ids::new_id()).bind(&scope.org_id).bind(name).bind(ids::token_hash(&key)).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(key)
}

pub async fn create_org(tx: &mut Tx, name: &str, now: Millis) -> Result<String> {
    let org_id = ids::new_id();
    tx!(tx, c => sqlx::query("insert into org (org_id, name, created_at) values ($1, $2, $3)")
        .bind(&org_id).bind(name).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    crate::automations::stock::load(tx, &org_id, now).await?;
    crate::campaigns::load_defaults(tx, &org_id, now).await?;
    Ok(org_id)
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    /// From [`hash_password`], computed before the transaction: hashing is slow on
    /// purpose and must not hold the database's write lock.
    pub password_hash: &'a str,
}

pub async fn create_user(
    tx: &mut Tx,
    org_id: &str,
    user: NewUser<'_>,
    now: Millis,
) -> Result<String> {
    let user_id = ids::new_id();
    let hash = user.password_hash;
    let result = tx!(tx, c => sqlx::query(
        "insert into app_user (user_id, org_id, email, name, role, password_hash, created_at) values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&user_id).bind(org_id).bind(user.email.trim().to_lowercase()).bind(user.name)
        .bind(user.role.as_str()).bind(hash).bind(now).execute(c).await.map(|r| r.rows_affected()));
    match result.map_err(Error::from) {
        Err(e) if e.is_unique_violation() => Err(Error::Conflict(
            "a user with that email already exists".into(),
        )),
        other => other.map(|_| user_id),
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Org {
    pub org_id: String,
    pub name: String,
    pub time_zone: String,
    pub help_text: String,
}

pub async fn org(db: &Db, org_id: &str) -> Result<Org> {
    let row: Option<Org> = db!(db, c => sqlx::query_as("select org_id, name, time_zone, help_text from org where org_id = $1")
        .bind(org_id).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound("org"))
}

/// The org's sitters, by name.
pub async fn sitters(db: &Db, org_id: &str) -> Result<Vec<User>> {
    let rows: Vec<UserRow> = db!(db, c => sqlx::query_as(
        "select user_id, org_id, email, name, role, password_hash from app_user where org_id = $1 and role = 'sitter' order by name")
        .bind(org_id).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// A user's own mobile number, if they gave one.
pub async fn mobile(db: &Db, org_id: &str, user_id: &str) -> Result<Option<String>> {
    let phone: Option<Option<String>> = db!(db, c => sqlx::query_scalar(
        "select phone_e164 from app_user where org_id = $1 and user_id = $2")
        .bind(org_id).bind(user_id).fetch_optional(c).await)?;
    Ok(phone.flatten())
}

/// Sets (or clears) a user's own mobile number, already checked as E.164.
pub async fn set_mobile(db: &Db, org_id: &str, user_id: &str, phone: Option<&str>) -> Result<()> {
    let _turn = db.write_turn().await;
    db!(db, c => sqlx::query("update app_user set phone_e164 = $3 where org_id = $1 and user_id = $2")
        .bind(org_id).bind(user_id).bind(phone).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
