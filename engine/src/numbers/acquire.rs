//! Bringing numbers in from the org's provider: searching what is for sale, buying one,
//! and importing one the account already holds.
//!
//! Everything that can be checked here is checked before the provider is asked (the
//! E.164, whether the number is already in some inventory), so a refused request costs
//! nothing at the provider. A bought number is pointed at our webhooks when we know our
//! public address.

use super::{Number, NumberClass, add, elsewhere, get, in_use, pool};
use crate::{
    Engine, Error, Result,
    accounts::OwnerScope,
    audit, db,
    phone::{self, redact},
    provider::{self, AvailableNumber, ErrorKind, ProviderError, ProviderNumber, Region},
};

/// A provider's refusal of something asked about `what`: its own words, as a conflict
/// when retrying cannot help, else as the provider being unavailable.
pub(crate) fn refused(what: &str, e: ProviderError) -> Error {
    match e.kind {
        ErrorKind::Permanent => Error::Conflict(format!("{what}: {}", e.message).into()),
        ErrorKind::Transient | ErrorKind::Uncertain => Error::Provider(e.message),
    }
}

/// Numbers the org's provider has for sale in `region` (an area code or a US state).
pub async fn search(
    engine: &Engine,
    scope: &OwnerScope,
    region: &str,
) -> Result<Vec<AvailableNumber>> {
    let region = Region::parse(region)?;
    let provider = provider::for_org(engine, &scope.org_id).await?;
    provider
        .search_numbers(&scope.org_id, &region)
        .await
        .map_err(|e| refused("the search", e))
}

/// Refuses a number some inventory already holds (this org's, unless given back).
async fn check_free(engine: &Engine, org_id: &str, e164: &str) -> Result<()> {
    let row: Option<(String, String)> = db!(&engine.db, c => sqlx::query_as(
        "select org_id, status from number where e164 = $1")
        .bind(e164).fetch_optional(c).await)?;
    match row {
        Some((owner, status)) if owner == org_id && status != "released" => Err(in_use(e164)),
        Some((owner, _)) if owner != org_id => Err(elsewhere(e164)),
        _ => Ok(()),
    }
}

/// Buys `e164` from the org's provider and adds it to the inventory as `class`.
pub async fn buy(
    engine: &Engine,
    scope: &OwnerScope,
    e164: &str,
    class: NumberClass,
) -> Result<Number> {
    let e164 = phone::parse_e164("e164", e164)?;
    check_free(engine, &scope.org_id, &e164).await?;
    let provider = provider::for_org(engine, &scope.org_id).await?;
    let webhooks = engine.webhooks().filter(|_| provider.needs_webhooks());
    let bought = provider
        .buy_number(&scope.org_id, &e164, webhooks.as_ref())
        .await
        .map_err(|e| refused("the provider would not sell it", e))?;
    tracing::info!(org_id = %scope.org_id, number = %redact(&e164), "number bought");
    record(engine, scope, &bought, class, "number.bought").await
}

/// How the owner names a number already on the provider account.
pub enum ImportBy {
    E164(String),
    Sid(String),
}

/// Adds a number the org's provider account already holds to the inventory as `class`.
pub async fn import(
    engine: &Engine,
    scope: &OwnerScope,
    by: ImportBy,
    class: NumberClass,
) -> Result<Number> {
    let provider = provider::for_org(engine, &scope.org_id).await?;
    let not_on_account = |field| {
        Error::invalid(
            field,
            "is not a number on your provider account (buy it first, or check the spelling)",
        )
    };
    let found = match &by {
        ImportBy::E164(raw) => {
            let e164 = phone::parse_e164("e164", raw)?;
            check_free(engine, &scope.org_id, &e164).await?;
            provider
                .find_number(&scope.org_id, &e164)
                .await
                .map_err(|e| refused("the provider account could not be read", e))?
                .ok_or_else(|| not_on_account("e164"))?
        }
        ImportBy::Sid(raw) => {
            let sid = raw.trim();
            if sid.is_empty() || !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::invalid(
                    "sid",
                    "must be the provider's number id, such as PN…",
                ));
            }
            let found = provider
                .list_numbers(&scope.org_id)
                .await
                .map_err(|e| refused("the provider account could not be read", e))?
                .into_iter()
                .find(|n| n.sid == sid)
                .ok_or_else(|| not_on_account("sid"))?;
            check_free(engine, &scope.org_id, &found.e164).await?;
            found
        }
    };
    record(engine, scope, &found, class, "number.imported").await
}

/// Adds what the provider has for the org to the inventory, audited, in one transaction.
async fn record(
    engine: &Engine,
    scope: &OwnerScope,
    number: &ProviderNumber,
    class: NumberClass,
    event: &str,
) -> Result<Number> {
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let number_id = add(
        &mut tx,
        &scope.org_id,
        &number.e164,
        class,
        Some(&number.sid),
        now,
    )
    .await?;
    let payload = serde_json::json!({
        "e164": redact(&number.e164),
        "type": class.api_name(),
        "providerSid": number.sid,
    });
    audit::record(
        &mut tx,
        &scope.org_id,
        scope.into(),
        event,
        Some(("number", &number_id)),
        &payload,
        now,
    )
    .await?;
    pool::check_low_water(&mut tx, &scope.org_id, now).await?;
    tx.commit().await?;
    get(&engine.db, &scope.org_id, &number_id).await
}
