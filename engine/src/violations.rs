//! Policy violations: what [`policy`](crate::policy) found in a message, kept for the
//! owner's review (`/audit` → Policy Violations). A sitter's text with contact details is
//! blocked and recorded here; an owner's forced send and a client's inbound text are
//! recorded too, so the owner sees every case in one place.

use serde::Serialize;

use crate::{
    Db, Error, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::Millis,
    db, ids,
    policy::{self, Finding, ViolationType},
    tx,
};

pub struct NewViolation<'a> {
    pub thread_id: &'a str,
    pub message_id: Option<&'a str>,
    pub sender_user_id: Option<&'a str>,
    pub direction: &'a str,
    pub content: &'a str,
    pub findings: &'a [Finding],
    /// `blocked` (a sitter's text, not sent), `warned` (the owner sent it anyway) or
    /// `flagged` (a client's text, delivered to the owner as written).
    pub action: &'a str,
}

/// The distinct kinds found, in the order they appear.
pub fn kinds(findings: &[Finding]) -> Vec<ViolationType> {
    let mut kinds: Vec<ViolationType> = Vec::new();
    for f in findings {
        if !kinds.contains(&f.kind) {
            kinds.push(f.kind);
        }
    }
    kinds
}

fn type_name(kind: ViolationType) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Stores a violation and flags its thread. Returns the violation's id.
pub async fn record(tx: &mut Tx, org_id: &str, v: NewViolation<'_>, now: Millis) -> Result<String> {
    let kinds = kinds(v.findings);
    let Some(first) = kinds.first() else {
        return Err(Error::Internal("a violation needs a finding".into()));
    };
    let id = ids::new_id();
    let severity = if v.action == "blocked" {
        "block"
    } else {
        "warning"
    };
    let names: Vec<String> = kinds.iter().map(|k| type_name(*k)).collect();
    tx!(tx, c => sqlx::query(
        "insert into policy_violation (policy_violation_id, org_id, thread_id, message_id, sender_user_id, direction, type, types,
                                       severity, action, content, redacted_content, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(&id).bind(org_id).bind(v.thread_id).bind(v.message_id).bind(v.sender_user_id).bind(v.direction)
        .bind(type_name(*first)).bind(serde_json::to_string(&names).unwrap_or_default()).bind(severity).bind(v.action)
        .bind(v.content).bind(policy::redact(v.content, v.findings)).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    tx!(tx, c => sqlx::query("update thread set has_policy_violation = true where org_id = $1 and thread_id = $2")
        .bind(org_id).bind(v.thread_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// A violation as the owner reviews it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    #[sqlx(rename = "policy_violation_id")]
    pub id: String,
    pub thread_id: String,
    pub message_id: Option<String>,
    pub client_name: Option<String>,
    pub sender_name: Option<String>,
    pub direction: String,
    /// The first kind found: `phone`, `email`, `url`, `social` or `payment`.
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// Every kind found, as a JSON array.
    #[serde(serialize_with = "crate::audit::serialize_json_text")]
    #[schema(value_type = Vec<String>)]
    pub types: String,
    /// `block` or `warning`.
    pub severity: String,
    /// `blocked`, `warned` or `flagged`.
    pub action: String,
    /// `open`, `resolved` or `overridden`.
    pub status: String,
    /// The text as written: for owners only.
    pub content: String,
    pub redacted_content: String,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    pub created_at: Millis,
    #[serde(serialize_with = "crate::clock::serialize_opt_millis")]
    pub resolved_at: Option<Millis>,
    pub resolution_note: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ViolationFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub thread_id: Option<String>,
    pub limit: i64,
}

pub async fn list(db: &Db, scope: &OwnerScope, f: &ViolationFilter) -> Result<Vec<Violation>> {
    if let Some(s) = f
        .status
        .as_deref()
        .filter(|s| !["open", "resolved", "overridden"].contains(s))
    {
        return Err(Error::invalid(
            "status",
            format!("`{s}` is not open, resolved or overridden"),
        ));
    }
    if let Some(k) = f
        .kind
        .as_deref()
        .filter(|k| !["phone", "email", "url", "social", "payment"].contains(k))
    {
        return Err(Error::invalid(
            "type",
            format!("`{k}` is not phone, email, url, social or payment"),
        ));
    }
    Ok(db!(db, c => sqlx::query_as(
        "select v.policy_violation_id, v.thread_id, v.message_id, cl.name as client_name, u.name as sender_name, v.direction,
                v.type, v.types, v.severity, v.action, v.status, v.content, v.redacted_content, v.created_at, v.resolved_at,
                v.resolution_note
           from policy_violation v
           join thread t on t.thread_id = v.thread_id
           left join client cl on cl.client_id = t.client_id
           left join app_user u on u.user_id = v.sender_user_id
          where v.org_id = $1 and ($2 = '' or v.status = $2) and ($3 = '' or v.type = $3) and ($4 = '' or v.thread_id = $4)
          order by v.created_at desc, v.policy_violation_id desc limit $5")
        .bind(&scope.org_id).bind(f.status.as_deref().unwrap_or("")).bind(f.kind.as_deref().unwrap_or(""))
        .bind(f.thread_id.as_deref().unwrap_or("")).bind(f.limit.clamp(1, 500))
        .fetch_all(c).await)?)
}

/// The owner's verdict: `resolve` (dealt with) or `override` (not a problem), with a
/// reason, audited. The thread's flag clears when none of its violations is open.
pub async fn resolve(
    tx: &mut Tx,
    scope: &OwnerScope,
    id: &str,
    action: &str,
    reason: &str,
    now: Millis,
) -> Result<()> {
    let status = match action {
        "resolve" => "resolved",
        "override" => "overridden",
        _ => return Err(Error::invalid("action", "must be `resolve` or `override`")),
    };
    if reason.trim().is_empty() {
        return Err(Error::invalid("reason", "is required"));
    }
    let thread: Option<String> = tx!(tx, c => sqlx::query_scalar(
        "update policy_violation set status = $3, resolved_at = $4, resolved_by = $5, resolution_note = $6
          where org_id = $1 and policy_violation_id = $2 and status = 'open' returning thread_id")
        .bind(&scope.org_id).bind(id).bind(status).bind(now).bind(&scope.user_id).bind(reason.trim())
        .fetch_optional(c).await)?;
    let Some(thread_id) = thread else {
        let exists: Option<String> = tx!(tx, c => sqlx::query_scalar(
            "select status from policy_violation where org_id = $1 and policy_violation_id = $2")
            .bind(&scope.org_id).bind(id).fetch_optional(c).await)?;
        return Err(match exists {
            Some(s) => Error::Conflict(format!("the violation is already {s}").into()),
            None => Error::NotFound("policy violation"),
        });
    };
    tx!(tx, c => sqlx::query(
        "update thread set has_policy_violation = exists (select 1 from policy_violation v where v.thread_id = thread.thread_id and v.status = 'open')
          where thread_id = $1")
        .bind(&thread_id).execute(c).await.map(|r| r.rows_affected()))?;
    let payload = serde_json::json!({ "action": action, "reason": reason.trim() });
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        &format!("policy.violation_{status}"),
        Some(("policy_violation", id)),
        &payload,
        now,
    )
    .await
}

/// Texts the policy blocked, for diagnostics.
pub async fn blocked_count(db: &Db, org_id: &str) -> Result<i64> {
    Ok(db!(db, c => sqlx::query_scalar(
        "select count(*) from policy_violation where org_id = $1 and action = 'blocked'")
        .bind(org_id).fetch_one(c).await)?)
}
