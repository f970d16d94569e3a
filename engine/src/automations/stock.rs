//! The stock automations of `scripts/`, compiled into the binary and loaded into every
//! new org as drafts: the owner reads them, tests them and turns on the ones they want.

use crate::{Error, Result, Tx, accounts::OwnerScope, audit::Actor, clock::Millis, ids};

use super::NewAutomation;

/// (key, the automation as `POST /api/automations` takes it, its Rhai conditions if any).
pub const STOCK: [(&str, &str, Option<&str>); 6] = [
    (
        "appointment-reminder",
        include_str!("../../../scripts/appointment-reminder.json"),
        None,
    ),
    (
        "booking-confirmation",
        include_str!("../../../scripts/booking-confirmation.json"),
        None,
    ),
    (
        "sitter-assigned",
        include_str!("../../../scripts/sitter-assigned.json"),
        None,
    ),
    (
        "post-visit-thank-you",
        include_str!("../../../scripts/post-visit-thank-you.json"),
        None,
    ),
    (
        "lead-follow-up",
        include_str!("../../../scripts/lead-follow-up.json"),
        None,
    ),
    (
        "win-back",
        include_str!("../../../scripts/win-back.json"),
        Some(include_str!("../../../scripts/win-back.rhai")),
    ),
];

/// One stock automation, parsed.
pub fn parse(json: &str, script: Option<&str>) -> Result<NewAutomation> {
    let mut new: NewAutomation = serde_json::from_str(json)
        .map_err(|e| Error::Internal(format!("stock automation: {e}")))?;
    if let Some(source) = script {
        new.conditions = Some(serde_json::json!({"type": "script", "source": source.trim()}));
    }
    Ok(new)
}

/// Loads every stock automation the org does not have yet, as drafts, in `tx`.
pub async fn load(tx: &mut Tx, org_id: &str, now: Millis) -> Result<usize> {
    let scope = OwnerScope {
        org_id: org_id.to_owned(),
        user_id: None,
    };
    let mut loaded = 0;
    for (key, json, script) in STOCK {
        let have: Option<String> = crate::tx!(tx, c => sqlx::query_scalar(
            "select automation_id from automation where org_id = $1 and stock_key = $2")
            .bind(org_id).bind(key).fetch_optional(c).await)?;
        if have.is_some() {
            continue;
        }
        let new = parse(json, script)?;
        let compiled = super::check(&new)?;
        super::insert(
            tx,
            &scope,
            Actor::System,
            &ids::new_id(),
            &new,
            &compiled,
            Some(key),
            now,
        )
        .await?;
        loaded += 1;
    }
    Ok(loaded)
}
