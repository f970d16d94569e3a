//! Step 5: pointing each active number's texts (and status callbacks) at this
//! instance's `PUBLIC_BASE_URL`, and checking at the provider that they are. The test
//! provider delivers inside Switchboard and needs none of it.

use serde::Serialize;

use crate::{
    Engine, Error, Result,
    accounts::OwnerScope,
    audit, db,
    numbers::acquire::refused,
    provider::{self, Webhooks},
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    /// False with the test provider: it needs no webhooks.
    pub needed: bool,
    /// Every active number's texts reach Switchboard (or none are needed).
    pub verified: bool,
    pub message: String,
    pub sms_url: Option<String>,
    pub status_callback: Option<String>,
    pub numbers: Vec<NumberWebhook>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NumberWebhook {
    pub e164: String,
    pub verified: bool,
    /// What is wrong, in words, when not verified.
    pub problem: Option<String>,
}

pub const NOT_NEEDED: &str =
    "The test provider delivers texts inside Switchboard, so there is nothing to install.";

fn not_needed() -> WebhookStatus {
    WebhookStatus {
        needed: false,
        verified: true,
        message: NOT_NEEDED.to_owned(),
        sms_url: None,
        status_callback: None,
        numbers: Vec::new(),
    }
}

pub const NO_PUBLIC_URL: &str = "Set PUBLIC_BASE_URL to the address your provider can reach Switchboard at (such as https://texts.example.com), then restart Switchboard";

async fn active_numbers(engine: &Engine, org_id: &str) -> Result<Vec<(String, String)>> {
    Ok(db!(&engine.db, c => sqlx::query_as(
        "select number_id, e164 from number where org_id = $1 and status = 'active' order by created_at, e164")
        .bind(org_id).fetch_all(c).await)?)
}

/// What the provider says about each active number's webhooks.
pub async fn status(engine: &Engine, scope: &OwnerScope) -> Result<WebhookStatus> {
    let provider = provider::for_org(engine, &scope.org_id).await?;
    if !provider.needs_webhooks() {
        return Ok(not_needed());
    }
    let numbers = active_numbers(engine, &scope.org_id).await?;
    let Some(webhooks) = engine.webhooks() else {
        return Ok(WebhookStatus {
            needed: true,
            verified: false,
            message: NO_PUBLIC_URL.to_owned(),
            sms_url: None,
            status_callback: None,
            numbers: numbers
                .into_iter()
                .map(|(_, e164)| NumberWebhook {
                    e164,
                    verified: false,
                    problem: Some("Switchboard does not know its public address".to_owned()),
                })
                .collect(),
        });
    };
    let account = provider
        .list_numbers(&scope.org_id)
        .await
        .map_err(|e| refused("the provider account could not be read", e))?;
    let checked: Vec<NumberWebhook> = numbers
        .into_iter()
        .map(|(_, e164)| {
            let problem = match account.iter().find(|n| n.e164 == e164) {
                None => Some("it is not on your provider account".to_owned()),
                Some(n) if !webhooks.installed_on(n) => {
                    Some("its texts are not sent to Switchboard yet".to_owned())
                }
                Some(_) => None,
            };
            NumberWebhook {
                e164,
                verified: problem.is_none(),
                problem,
            }
        })
        .collect();
    let verified = checked.iter().all(|n| n.verified);
    let message = if verified {
        format!(
            "Texts to all {} of your numbers reach Switchboard.",
            checked.len()
        )
    } else {
        let n = checked.iter().filter(|n| !n.verified).count();
        format!("{n} of your numbers do not send their texts to Switchboard yet.")
    };
    Ok(WebhookStatus {
        needed: true,
        verified,
        message,
        sms_url: Some(webhooks.sms_url),
        status_callback: Some(webhooks.status_callback),
        numbers: checked,
    })
}

/// Sets every active number's SMS URL and status callback at the provider, then reports
/// what the provider has. Audited; all verified moves the wizard on.
pub async fn install(engine: &Engine, scope: &OwnerScope) -> Result<WebhookStatus> {
    let provider = provider::for_org(engine, &scope.org_id).await?;
    if !provider.needs_webhooks() {
        return Ok(not_needed());
    }
    let webhooks: Webhooks = engine
        .webhooks()
        .ok_or_else(|| Error::Conflict(NO_PUBLIC_URL.into()))?;
    let account = provider
        .list_numbers(&scope.org_id)
        .await
        .map_err(|e| refused("the provider account could not be read", e))?;
    let mut installed = 0;
    let mut failed = Vec::new();
    for (number_id, e164) in active_numbers(engine, &scope.org_id).await? {
        let Some(found) = account.iter().find(|n| n.e164 == e164) else {
            continue;
        };
        crate::numbers::store_sid(&engine.db, &number_id, &found.sid).await?;
        match provider.install_webhooks(&found.sid, &webhooks).await {
            Ok(()) => installed += 1,
            Err(e) => {
                tracing::warn!(org_id = %scope.org_id, error = %e, "could not install a number's webhooks");
                failed.push(e.message);
            }
        }
    }
    let result = status(engine, scope).await?;
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let payload = serde_json::json!({ "installed": installed, "failed": failed, "verified": result.verified });
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        "setup.webhooks_installed",
        Some(("org", &scope.org_id)),
        &payload,
        now,
    )
    .await?;
    if result.verified {
        super::reached(&mut tx, &scope.org_id, 6, now).await?;
    }
    tx.commit().await?;
    Ok(result)
}
