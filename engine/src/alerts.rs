//! Alerts: things a human must look at, `info`, `warning` or `critical`, open until
//! resolved. Raising an alert that is already open bumps it instead of repeating it.

use serde::{Deserialize, Serialize};

use crate::{Db, Error, Result, Tx, accounts::OwnerScope, clock::Millis, db, ids, tx};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// An alert to raise. `dedupe_key` names "the same problem": while an alert with it is
/// open, raising it again only counts another occurrence.
pub struct NewAlert<'a> {
    pub severity: Severity,
    pub kind: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub entity: Option<(&'a str, &'a str)>,
    pub dedupe_key: String,
}

pub async fn raise(tx: &mut Tx, org_id: &str, alert: NewAlert<'_>, now: Millis) -> Result<()> {
    let (entity_type, entity_id) = alert
        .entity
        .map_or((None, None), |(t, id)| (Some(t), Some(id)));
    tx!(tx, c => sqlx::query(
        "insert into alert (alert_id, org_id, severity, type, title, description, entity_type, entity_id, dedupe_key, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         on conflict (org_id, dedupe_key) where status = 'open'
         do update set occurrences = alert.occurrences + 1, updated_at = excluded.updated_at")
        .bind(ids::new_id()).bind(org_id).bind(alert.severity.as_str()).bind(alert.kind).bind(alert.title)
        .bind(alert.description).bind(entity_type).bind(entity_id).bind(&alert.dedupe_key).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    #[sqlx(rename = "alert_id")]
    pub id: String,
    pub severity: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub description: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub status: String,
    pub occurrences: i32,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    pub created_at: Millis,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    pub updated_at: Millis,
    #[serde(serialize_with = "crate::clock::serialize_opt_millis")]
    pub resolved_at: Option<Millis>,
    pub resolution_note: Option<String>,
}

/// `status` is `open`, `resolved` or `all`.
pub async fn list(db: &Db, scope: &OwnerScope, status: &str, limit: i64) -> Result<Vec<Alert>> {
    if !matches!(status, "open" | "resolved" | "all") {
        return Err(Error::invalid("status", "must be open, resolved or all"));
    }
    Ok(db!(db, c => sqlx::query_as(
        "select alert_id, severity, type, title, description, entity_type, entity_id, status, occurrences,
                created_at, updated_at, resolved_at, resolution_note
           from alert where org_id = $1 and ($2 = 'all' or status = $2)
          order by case severity when 'critical' then 0 when 'warning' then 1 else 2 end, updated_at desc
          limit $3")
        .bind(&scope.org_id).bind(status).bind(limit).fetch_all(c).await)?)
}

pub async fn open_count(db: &Db, org_id: &str) -> Result<i64> {
    Ok(
        db!(db, c => sqlx::query_scalar("select count(*) from alert where org_id = $1 and status = 'open'")
        .bind(org_id).fetch_one(c).await)?,
    )
}

/// Resolves an open alert, recording who did it and why in the alert and the audit trail.
pub async fn resolve(
    tx: &mut Tx,
    scope: &OwnerScope,
    alert_id: &str,
    note: &str,
    now: Millis,
) -> Result<()> {
    let changed = tx!(tx, c => sqlx::query(
        "update alert set status = 'resolved', resolved_at = $3, resolved_by = $4, resolution_note = $5
          where org_id = $1 and alert_id = $2 and status = 'open'")
        .bind(&scope.org_id).bind(alert_id).bind(now).bind(&scope.user_id).bind(note)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if changed == 1 {
        let payload = serde_json::json!({ "note": note });
        return crate::audit::record(
            tx,
            &scope.org_id,
            scope.into(),
            "alert.resolved",
            Some(("alert", alert_id)),
            &payload,
            now,
        )
        .await;
    }
    let exists: Option<String> = tx!(tx, c => sqlx::query_scalar("select status from alert where org_id = $1 and alert_id = $2")
        .bind(&scope.org_id).bind(alert_id).fetch_optional(c).await)?;
    match exists {
        Some(_) => Err(Error::Conflict("the alert is already resolved".into())),
        None => Err(Error::NotFound("alert")),
    }
}

/// Resolves the open alert with this dedupe key, if there is one: the system saw the
/// problem end (a later attempt went through). Audited as the system's doing.
pub async fn resolve_key(
    tx: &mut Tx,
    org_id: &str,
    dedupe_key: &str,
    note: &str,
    now: Millis,
) -> Result<()> {
    let resolved: Option<String> = tx!(tx, c => sqlx::query_scalar(
        "update alert set status = 'resolved', resolved_at = $3, resolution_note = $4, updated_at = $3
          where org_id = $1 and dedupe_key = $2 and status = 'open' returning alert_id")
        .bind(org_id).bind(dedupe_key).bind(now).bind(note).fetch_optional(c).await)?;
    if let Some(alert_id) = resolved {
        let payload = serde_json::json!({ "note": note });
        crate::audit::record(
            tx,
            org_id,
            crate::audit::Actor::System,
            "alert.resolved",
            Some(("alert", &alert_id)),
            &payload,
            now,
        )
        .await?;
    }
    Ok(())
}
