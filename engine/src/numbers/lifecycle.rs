//! What an owner does to a number: assign it (a sitter number to a sitter, a pool number
//! to a conversation), quarantine it, and release it.
//!
//! Release has two meanings, as in the seeds ("re-enables or deletes"): a quarantined
//! number is released *back to active*; with `give_back` a number is released *to the
//! provider*: it leaves the account and its row stays `released`, for the history of its
//! threads.
//!
//! Each change is one transaction, audited. The provider is told afterwards (webhooks
//! removed on quarantine, installed again on restore): stopping outbound use must not
//! wait on the provider, and inbound to a quarantined number is routed to the owner as
//! unmapped whatever the provider does. If the provider cannot be told, a warning alert
//! says so. Giving a number back is the exception: the provider goes first, so a number
//! is never marked released while the account still pays for it.

use super::{Number, NumberClass, get, pool};
use crate::{
    Engine, Error, Result, Tx,
    accounts::OwnerScope,
    alerts::{self, NewAlert, Severity},
    audit,
    numbers::acquire::refused,
    phone::redact,
    provider::{self, Provider, ProviderError},
    tx,
};

#[derive(sqlx::FromRow)]
struct Current {
    e164: String,
    class: String,
    status: String,
    assigned_user_id: Option<String>,
    assigned_thread_id: Option<String>,
}

async fn current(tx: &mut Tx, org_id: &str, number_id: &str) -> Result<Current> {
    let row: Option<Current> = tx!(tx, c => sqlx::query_as(
        "select e164, class, status, assigned_user_id, assigned_thread_id from number where org_id = $1 and number_id = $2")
        .bind(org_id).bind(number_id).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound("number"))
}

/// Who a number is assigned to; `None` inside clears the assignment.
pub enum Assignee {
    User(Option<String>),
    Thread(Option<String>),
}

/// Assigns a sitter number to a sitter, or lends a pool number to one of its own
/// conversations (a thread on that number: a client who texted it).
pub async fn assign(
    engine: &Engine,
    scope: &OwnerScope,
    number_id: &str,
    to: Assignee,
) -> Result<Number> {
    let org_id = &scope.org_id;
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let number = current(&mut tx, org_id, number_id).await?;
    if number.status == "released" {
        return Err(Error::Conflict(
            "the number was given back to the provider; import it again first".into(),
        ));
    }
    let class = NumberClass::parse(&number.class);
    let payload = match (class, &to) {
        (NumberClass::Sitter, Assignee::User(user)) => {
            if let Some(user_id) = user {
                check_sitter(&mut tx, org_id, user_id).await?;
            }
            tx!(&mut tx, c => sqlx::query("update number set assigned_user_id = $2 where number_id = $1")
                .bind(number_id).bind(user).execute(c).await.map(|r| r.rows_affected()))?;
            serde_json::json!({ "userId": user, "previousUserId": number.assigned_user_id })
        }
        (NumberClass::Pool, Assignee::Thread(thread)) => {
            if let Some(thread_id) = thread {
                lend(&mut tx, org_id, number_id, &number, thread_id).await?;
            }
            tx!(&mut tx, c => sqlx::query("update number set assigned_thread_id = $2 where number_id = $1")
                .bind(number_id).bind(thread).execute(c).await.map(|r| r.rows_affected()))?;
            serde_json::json!({ "threadId": thread, "previousThreadId": number.assigned_thread_id })
        }
        (NumberClass::Pool, Assignee::User(_)) => {
            return Err(Error::invalid(
                "userId",
                "only sitter numbers are assigned to a sitter; a pool number is lent to a conversation (threadId)",
            ));
        }
        (_, Assignee::Thread(_)) => {
            return Err(Error::invalid(
                "threadId",
                "only pool numbers are lent to a conversation",
            ));
        }
        (NumberClass::FrontDesk, Assignee::User(_)) => {
            return Err(Error::invalid(
                "userId",
                "a front desk number is shared by the business, not assigned to a sitter",
            ));
        }
    };
    audit::record(
        &mut tx,
        org_id,
        scope.into(),
        "number.assigned",
        Some(("number", number_id)),
        &payload,
        now,
    )
    .await?;
    if class == NumberClass::Pool {
        pool::check_low_water(&mut tx, org_id, now).await?;
    }
    tx.commit().await?;
    get(&engine.db, org_id, number_id).await
}

pub(crate) async fn check_sitter(tx: &mut Tx, org_id: &str, user_id: &str) -> Result<()> {
    let role: Option<String> = tx!(tx, c => sqlx::query_scalar(
        "select role from app_user where org_id = $1 and user_id = $2")
        .bind(org_id).bind(user_id).fetch_optional(c).await)?;
    match role.as_deref() {
        Some("sitter") => Ok(()),
        _ => Err(Error::invalid(
            "userId",
            "is not a sitter in this organisation",
        )),
    }
}

/// A pool number can be lent only to a conversation on it, and to one at a time.
async fn lend(
    tx: &mut Tx,
    org_id: &str,
    number_id: &str,
    number: &Current,
    thread_id: &str,
) -> Result<()> {
    let on: Option<String> = tx!(tx, c => sqlx::query_scalar(
        "select number_id from thread where org_id = $1 and thread_id = $2")
        .bind(org_id).bind(thread_id).fetch_optional(c).await)?;
    if on.as_deref() != Some(number_id) {
        return Err(Error::invalid(
            "threadId",
            "is not a conversation on this pool number",
        ));
    }
    if number.status != "active" {
        return Err(Error::Conflict(
            format!(
                "the number is {}; restore it before lending it",
                number.status
            )
            .into(),
        ));
    }
    match &number.assigned_thread_id {
        Some(lent) if lent != thread_id => Err(Error::Conflict(
            "the pool number is lent to another conversation; unassign it first".into(),
        )),
        _ => Ok(()),
    }
}

/// Stops all use of a number: no text leaves it, texts to it reach the owner inbox as
/// unmapped, and its webhooks are removed at the provider.
pub async fn quarantine(engine: &Engine, scope: &OwnerScope, number_id: &str) -> Result<Number> {
    let number = change_status(
        engine,
        scope,
        number_id,
        "active",
        "quarantined",
        "number.quarantined",
    )
    .await?;
    let provider = provider::for_org(engine, &scope.org_id).await?;
    if provider.needs_webhooks() {
        let result = match sid(engine, &provider, &scope.org_id, number_id, &number.e164).await {
            Ok(Some(sid)) => provider.remove_webhooks(&sid).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            provider_trouble(engine, &scope.org_id, number_id, &number.e164, &e).await?;
        }
    }
    Ok(number)
}

/// A quarantined number back to active (its webhooks installed again), or, with
/// `give_back`, any number given back to the provider.
pub async fn release(
    engine: &Engine,
    scope: &OwnerScope,
    number_id: &str,
    give_back: bool,
) -> Result<Number> {
    if give_back {
        return give_back_number(engine, scope, number_id).await;
    }
    let number = change_status(
        engine,
        scope,
        number_id,
        "quarantined",
        "active",
        "number.restored",
    )
    .await?;
    let provider = provider::for_org(engine, &scope.org_id).await?;
    if let Some(webhooks) = engine.webhooks().filter(|_| provider.needs_webhooks()) {
        let result = match sid(engine, &provider, &scope.org_id, number_id, &number.e164).await {
            Ok(Some(sid)) => provider.install_webhooks(&sid, &webhooks).await,
            Ok(None) => Err(ProviderError::from_code(
                None,
                Some(404),
                "the number is not on the provider account",
            )),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            provider_trouble(engine, &scope.org_id, number_id, &number.e164, &e).await?;
        }
    }
    Ok(number)
}

async fn change_status(
    engine: &Engine,
    scope: &OwnerScope,
    number_id: &str,
    from: &str,
    to: &str,
    event: &str,
) -> Result<Number> {
    let org_id = &scope.org_id;
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let number = current(&mut tx, org_id, number_id).await?;
    if number.status != from {
        return Err(Error::Conflict(
            format!(
                "the number is {}; only {from} numbers can become {to}",
                number.status
            )
            .into(),
        ));
    }
    tx!(&mut tx, c => sqlx::query("update number set status = $2 where number_id = $1")
        .bind(number_id).bind(to).execute(c).await.map(|r| r.rows_affected()))?;
    let payload = serde_json::json!({ "e164": redact(&number.e164), "from": from, "to": to });
    audit::record(
        &mut tx,
        org_id,
        scope.into(),
        event,
        Some(("number", number_id)),
        &payload,
        now,
    )
    .await?;
    if number.class == "pool" {
        pool::check_low_water(&mut tx, org_id, now).await?;
    }
    tx.commit().await?;
    tracing::info!(%org_id, number = %redact(&number.e164), status = to, "number status changed");
    get(&engine.db, org_id, number_id).await
}

async fn give_back_number(engine: &Engine, scope: &OwnerScope, number_id: &str) -> Result<Number> {
    let org_id = &scope.org_id;
    let number = get(&engine.db, org_id, number_id).await?;
    if number.status == "released" {
        return Err(Error::Conflict(
            "the number was already given back to the provider".into(),
        ));
    }
    let provider = provider::for_org(engine, org_id).await?;
    let found = sid(engine, &provider, org_id, number_id, &number.e164)
        .await
        .map_err(|e| refused("the provider account could not be read", e))?;
    // Not on the account (any more): there is nothing to give back, only our record.
    if let Some(sid) = found {
        provider
            .release_number(org_id, &sid)
            .await
            .map_err(|e| refused("the provider would not take it back", e))?;
    }
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    tx!(&mut tx, c => sqlx::query(
        "update number set status = 'released', assigned_user_id = null, assigned_thread_id = null where number_id = $1")
        .bind(number_id).execute(c).await.map(|r| r.rows_affected()))?;
    let payload = serde_json::json!({
        "e164": redact(&number.e164),
        "from": number.status,
        "to": "released",
        "givenBack": true,
    });
    audit::record(
        &mut tx,
        org_id,
        scope.into(),
        "number.released",
        Some(("number", number_id)),
        &payload,
        now,
    )
    .await?;
    pool::check_low_water(&mut tx, org_id, now).await?;
    tx.commit().await?;
    tracing::info!(%org_id, number = %redact(&number.e164), "number given back to the provider");
    get(&engine.db, org_id, number_id).await
}

/// The number's id at the provider: stored, or looked up by E.164 and remembered.
/// `None` when the account does not have it.
pub(crate) async fn sid(
    engine: &Engine,
    provider: &Provider,
    org_id: &str,
    number_id: &str,
    e164: &str,
) -> Result<Option<String>, ProviderError> {
    let unavailable = |e: Error| ProviderError::from_code(None, Some(503), e.to_string());
    if let Some(sid) = super::stored_sid(&engine.db, number_id)
        .await
        .map_err(unavailable)?
    {
        return Ok(Some(sid));
    }
    let Some(found) = provider.find_number(org_id, e164).await? else {
        return Ok(None);
    };
    super::store_sid(&engine.db, number_id, &found.sid)
        .await
        .map_err(unavailable)?;
    Ok(Some(found.sid))
}

/// The provider could not be told about a change: a warning for the owner.
async fn provider_trouble(
    engine: &Engine,
    org_id: &str,
    number_id: &str,
    e164: &str,
    e: &ProviderError,
) -> Result<()> {
    tracing::warn!(%org_id, number = %redact(e164), error = %e, "could not update the number at the provider");
    let description = format!(
        "Switchboard could not update where {} sends its texts at your provider: {}. Check the number at your provider, then try again.",
        redact(e164),
        e.message
    );
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    alerts::raise(
        &mut tx,
        org_id,
        NewAlert {
            severity: Severity::Warning,
            kind: "numbers.provider_update_failed",
            title: "Number Not Updated at the Provider",
            description: &description,
            entity: Some(("number", number_id)),
            dedupe_key: format!("numbers.provider_update_failed:{number_id}"),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// Changes a number's type (the setup wizard's choice), clearing what no longer fits: a
/// sitter only on a sitter number, a conversation only on a pool number.
pub(crate) async fn set_type(
    tx: &mut Tx,
    scope: &OwnerScope,
    number_id: &str,
    class: NumberClass,
    user_id: Option<&str>,
    now: crate::clock::Millis,
) -> Result<bool> {
    let org_id = &scope.org_id;
    let number = current(tx, org_id, number_id).await?;
    let user = if class == NumberClass::Sitter {
        user_id
            .map(str::to_owned)
            .or(number.assigned_user_id.clone())
    } else {
        None
    };
    let thread = if class == NumberClass::Pool {
        number.assigned_thread_id.clone()
    } else {
        None
    };
    let same = number.class == class.as_str()
        && user == number.assigned_user_id
        && thread == number.assigned_thread_id;
    if same {
        return Ok(false);
    }
    tx!(tx, c => sqlx::query(
        "update number set class = $2, assigned_user_id = $3, assigned_thread_id = $4 where number_id = $1")
        .bind(number_id).bind(class.as_str()).bind(&user).bind(&thread)
        .execute(c).await.map(|r| r.rows_affected()))?;
    let payload = serde_json::json!({
        "e164": redact(&number.e164),
        "from": NumberClass::parse(&number.class).api_name(),
        "type": class.api_name(),
        "userId": user,
    });
    audit::record(
        tx,
        org_id,
        scope.into(),
        "number.type_changed",
        Some(("number", number_id)),
        &payload,
        now,
    )
    .await?;
    Ok(true)
}
