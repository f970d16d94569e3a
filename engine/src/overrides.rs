//! Owner overrides: the owner pins a thread to the owner inbox or to one sitter until a
//! time, and routing follows the pin instead of the assignment windows.

use serde::{Deserialize, Serialize};

use crate::{
    Error, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::{Millis, to_rfc3339},
    tx,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Override {
    /// `owner_inbox` or `sitter`.
    pub target: String,
    /// The sitter, when `target` is `sitter`.
    pub sitter_id: Option<String>,
    /// RFC 3339; the pin ends then.
    pub until: String,
}

/// Pins the thread; replaces any earlier pin. Audited.
pub async fn set(
    tx: &mut Tx,
    scope: &OwnerScope,
    thread_id: &str,
    target: &str,
    sitter_id: Option<&str>,
    until: Millis,
    now: Millis,
) -> Result<Override> {
    let sitter_id = match (target, sitter_id) {
        ("owner_inbox", _) => None,
        ("sitter", Some(id)) => {
            let role: Option<String> = tx!(tx, c => sqlx::query_scalar("select role from app_user where org_id = $1 and user_id = $2")
                .bind(&scope.org_id).bind(id).fetch_optional(c).await)?;
            if role.as_deref() != Some("sitter") {
                return Err(Error::invalid(
                    "sitterId",
                    "is not a sitter of this business",
                ));
            }
            Some(id)
        }
        ("sitter", None) => {
            return Err(Error::invalid(
                "sitterId",
                "is required when target is sitter",
            ));
        }
        _ => return Err(Error::invalid("target", "must be owner_inbox or sitter")),
    };
    if until <= now {
        return Err(Error::invalid("until", "must be in the future"));
    }
    let changed = tx!(tx, c => sqlx::query(
        "update thread set override_target = $3, override_sitter_id = $4, override_until = $5 where org_id = $1 and thread_id = $2")
        .bind(&scope.org_id).bind(thread_id).bind(target).bind(sitter_id).bind(until)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if changed == 0 {
        return Err(Error::NotFound("thread"));
    }
    let pin = Override {
        target: target.to_owned(),
        sitter_id: sitter_id.map(str::to_owned),
        until: to_rfc3339(until),
    };
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "thread.override_set",
        Some(("thread", thread_id)),
        &serde_json::to_value(&pin).unwrap_or_default(),
        now,
    )
    .await?;
    Ok(pin)
}

/// Removes the pin, if any. Audited.
pub async fn clear(tx: &mut Tx, scope: &OwnerScope, thread_id: &str, now: Millis) -> Result<()> {
    let changed = tx!(tx, c => sqlx::query(
        "update thread set override_target = null, override_sitter_id = null, override_until = null where org_id = $1 and thread_id = $2")
        .bind(&scope.org_id).bind(thread_id).execute(c).await.map(|r| r.rows_affected()))?;
    if changed == 0 {
        return Err(Error::NotFound("thread"));
    }
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        "thread.override_cleared",
        Some(("thread", thread_id)),
        &serde_json::json!({}),
        now,
    )
    .await
}
