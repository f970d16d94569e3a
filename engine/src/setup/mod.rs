//! The setup wizard: from no account to ready in seven steps, each backed by an API and
//! worded for a business owner.
//!
//! 1. Connect a provider ([`crate::provider::connection::connect`]): the test provider, or
//!    the org's Twilio account.
//! 2. Test the connection ([`test_connection`]).
//! 3. Choose which of the account's numbers do what ([`choose`]).
//! 4. Buy or import numbers (optional; [`crate::numbers::acquire`]).
//! 5. Point the numbers' texts at Switchboard ([`webhooks`]; the test provider needs none).
//! 6. Check readiness ([`readiness`]).
//! 7. Finish ([`finish`]).
//!
//! The step the owner reached is stored per org, so the wizard resumes there.

pub mod choose;
pub mod readiness;
pub mod webhooks;

use serde::Serialize;

use crate::{
    Db, Engine, Error, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::{Millis, to_rfc3339},
    db, provider, tx,
};

pub use choose::{AccountNumber, Choice, account_numbers, choose};
pub use readiness::{Check, Readiness, readiness};
pub use webhooks::{NumberWebhook, WebhookStatus};

pub const STEPS: i32 = 7;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The step to show: where the owner left off (1 to 7).
    pub step: i32,
    pub finished_at: Option<String>,
}

pub async fn progress(db: &Db, org_id: &str) -> Result<Progress> {
    let row: Option<(i32, Option<Millis>)> = db!(db, c => sqlx::query_as(
        "select step, finished_at from setup_progress where org_id = $1")
        .bind(org_id).fetch_optional(c).await)?;
    let (step, finished_at) = row.unwrap_or((1, None));
    Ok(Progress {
        step,
        finished_at: finished_at.map(to_rfc3339),
    })
}

/// The owner got as far as `step` (the wizard never moves back by itself).
pub async fn reached(tx: &mut Tx, org_id: &str, step: i32, now: Millis) -> Result<()> {
    tx!(tx, c => sqlx::query(
        "insert into setup_progress (org_id, step, updated_at) values ($1, $2, $3)
         on conflict (org_id) do update set step = case when setup_progress.step < excluded.step then excluded.step else setup_progress.step end,
             updated_at = excluded.updated_at")
        .bind(org_id).bind(step.clamp(1, STEPS)).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Step 6 as the owner runs it: the checks, and when all pass the wizard moves on to
/// Finish. (`GET /api/setup/readiness` only reads.)
pub async fn check_readiness(engine: &Engine, scope: &OwnerScope) -> Result<Readiness> {
    let result = readiness(engine, scope).await?;
    if result.ready {
        let mut tx = engine.db.begin().await?;
        reached(&mut tx, &scope.org_id, STEPS, engine.clock.now()).await?;
        tx.commit().await?;
    }
    Ok(result)
}

/// Moves the wizard to `step` (back to look again, or on past an optional step).
pub async fn go_to(engine: &Engine, scope: &OwnerScope, step: i32) -> Result<Progress> {
    if !(1..=STEPS).contains(&step) {
        return Err(Error::invalid("step", "must be from 1 to 7"));
    }
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    tx!(&mut tx, c => sqlx::query(
        "insert into setup_progress (org_id, step, updated_at) values ($1, $2, $3)
         on conflict (org_id) do update set step = excluded.step, updated_at = excluded.updated_at")
        .bind(&scope.org_id).bind(step).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    progress(&engine.db, &scope.org_id).await
}

/// What "Test connection" found, in plain words.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTest {
    pub ok: bool,
    /// "Connection successful", or the provider's reason.
    pub message: String,
    /// The account's name at the provider, when it answered.
    pub account_name: Option<String>,
}

pub const CONNECTION_OK: &str = "Connection successful";

/// Step 2: asks the org's provider for its account. Audited; success moves the wizard on.
pub async fn test_connection(engine: &Engine, scope: &OwnerScope) -> Result<ConnectionTest> {
    // Stored credentials this instance cannot open fail the test, in words.
    let provider = match provider::for_org(engine, &scope.org_id).await {
        Ok(provider) => provider,
        Err(Error::Provider(message)) => {
            return Ok(ConnectionTest {
                ok: false,
                message,
                account_name: None,
            });
        }
        Err(e) => return Err(e),
    };
    let result = match provider.account().await {
        Ok(account) if account.status == "active" => ConnectionTest {
            ok: true,
            message: CONNECTION_OK.to_owned(),
            account_name: Some(account.friendly_name),
        },
        Ok(account) => ConnectionTest {
            ok: false,
            message: format!(
                "The account answered, but it is {}: texts cannot be sent from it",
                account.status
            ),
            account_name: Some(account.friendly_name),
        },
        Err(e) => ConnectionTest {
            ok: false,
            message: e.message,
            account_name: None,
        },
    };
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let payload = serde_json::json!({ "provider": provider.kind(), "ok": result.ok, "message": result.message });
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "provider.tested",
        Some(("org", &scope.org_id)),
        &payload,
        now,
    )
    .await?;
    if result.ok {
        reached(&mut tx, &scope.org_id, 3, now).await?;
    }
    tx.commit().await?;
    Ok(result)
}

/// Step 7: records that setup is done, once every readiness check passes.
pub async fn finish(engine: &Engine, scope: &OwnerScope) -> Result<Progress> {
    let ready = readiness(engine, scope).await?;
    if let Some(check) = ready.checks.iter().find(|c| !c.ok) {
        return Err(Error::Conflict(
            format!("Not ready yet: {}", check.detail).into(),
        ));
    }
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    tx!(&mut tx, c => sqlx::query(
        "insert into setup_progress (org_id, step, finished_at, updated_at) values ($1, $2, $3, $3)
         on conflict (org_id) do update set step = excluded.step, finished_at = excluded.finished_at, updated_at = excluded.updated_at")
        .bind(&scope.org_id).bind(STEPS).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "setup.finished",
        Some(("org", &scope.org_id)),
        &serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    progress(&engine.db, &scope.org_id).await
}
