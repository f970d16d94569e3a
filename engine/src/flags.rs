//! Feature flags from the rollout plan: install-wide defaults from the environment, which
//! an owner may override for their org. Flipping a flag loses nothing: with messaging off,
//! inbound webhooks are still accepted and stored, and their routing waits; turning it
//! back on files them.
//!
//! Flags are read on every routed text, so each process keeps an org's flags for a second
//! (a change made through the same process applies at once).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::Serialize;

use crate::{Engine, Error, Result, accounts::OwnerScope, audit, db, inbound::RouteInbound, tx};

/// Core messaging: the inbox, sending, routing, the sitter's conversations.
pub const MESSAGING_V1: &str = "ENABLE_MESSAGING_V1";
/// Assigning a sitter to a booking creates the thread and its window at once.
pub const PROACTIVE_THREAD_CREATION: &str = "ENABLE_PROACTIVE_THREAD_CREATION";
/// Sitters' conversations (their API and pages).
pub const SITTER_MESSAGES_V1: &str = "ENABLE_SITTER_MESSAGES_V1";

pub const ALL: [&str; 3] = [MESSAGING_V1, PROACTIVE_THREAD_CREATION, SITTER_MESSAGES_V1];

const CACHE_FOR: Duration = Duration::from_secs(1);

type Flags = BTreeMap<String, bool>;

/// Each org's effective flags, briefly remembered.
#[derive(Clone, Debug, Default)]
pub struct FlagCache(Arc<Mutex<HashMap<String, (Flags, Instant)>>>);

impl FlagCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Flags, Instant)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One flag as the settings page shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    pub name: String,
    pub enabled: bool,
    /// The install-wide default (from the environment).
    pub default: bool,
    /// Whether this org overrides the default.
    pub overridden: bool,
}

async fn overrides(engine: &Engine, org_id: &str) -> Result<Vec<(String, bool)>> {
    Ok(
        db!(&engine.db, c => sqlx::query_as("select name, enabled from org_flag where org_id = $1")
        .bind(org_id).fetch_all(c).await)?,
    )
}

fn default_of(engine: &Engine, name: &str) -> bool {
    engine
        .settings
        .flag_defaults
        .get(name)
        .copied()
        .unwrap_or(true)
}

/// The org's effective flags: its overrides over the defaults.
pub async fn for_org(engine: &Engine, org_id: &str) -> Result<BTreeMap<String, bool>> {
    if let Some((flags, at)) = engine.flags.lock().get(org_id)
        && at.elapsed() < CACHE_FOR
    {
        return Ok(flags.clone());
    }
    let mut flags: BTreeMap<String, bool> = ALL
        .iter()
        .map(|n| ((*n).to_owned(), default_of(engine, n)))
        .collect();
    flags.extend(overrides(engine, org_id).await?);
    engine
        .flags
        .lock()
        .insert(org_id.to_owned(), (flags.clone(), Instant::now()));
    Ok(flags)
}

pub async fn enabled(engine: &Engine, org_id: &str, name: &str) -> Result<bool> {
    Ok(for_org(engine, org_id)
        .await?
        .get(name)
        .copied()
        .unwrap_or(true))
}

pub async fn list(engine: &Engine, org_id: &str) -> Result<Vec<Flag>> {
    let overrides = overrides(engine, org_id).await?;
    Ok(ALL
        .iter()
        .map(|name| {
            let own = overrides.iter().find(|(n, _)| n == name).map(|(_, on)| *on);
            Flag {
                name: (*name).to_owned(),
                default: default_of(engine, name),
                enabled: own.unwrap_or_else(|| default_of(engine, name)),
                overridden: own.is_some(),
            }
        })
        .collect())
}

/// Sets the org's value of a flag (`None`: back to the default), audited. Turning
/// messaging on files the inbound texts stored while it was off.
pub async fn set(
    engine: &Engine,
    scope: &OwnerScope,
    name: &str,
    value: Option<bool>,
) -> Result<Vec<Flag>> {
    let Some(name) = ALL.iter().copied().find(|n| *n == name) else {
        return Err(Error::invalid(
            "name",
            format!("`{name}` is not a flag; the flags are {}", ALL.join(", ")),
        ));
    };
    let org_id = &scope.org_id;
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    match value {
        Some(on) => tx!(&mut tx, c => sqlx::query(
            "insert into org_flag (org_id, name, enabled, updated_at) values ($1, $2, $3, $4)
             on conflict (org_id, name) do update set enabled = excluded.enabled, updated_at = excluded.updated_at")
            .bind(org_id).bind(name).bind(on).bind(now).execute(c).await.map(|r| r.rows_affected()))?,
        None => {
            tx!(&mut tx, c => sqlx::query("delete from org_flag where org_id = $1 and name = $2")
            .bind(org_id).bind(name).execute(c).await.map(|r| r.rows_affected()))?
        }
    };
    let effective = value.unwrap_or_else(|| default_of(engine, name));
    if name == MESSAGING_V1 && effective {
        let waiting: Vec<String> = tx!(&mut tx, c => sqlx::query_scalar(
            "select inbound_event_id from inbound_event where org_id = $1 and processed_at is null order by received_at")
            .bind(org_id).fetch_all(c).await)?;
        for inbound_event_id in waiting {
            tx.enqueue(&RouteInbound {
                inbound_event_id,
                org_id: Some(org_id.clone()),
            })
            .await?;
        }
    }
    let payload = serde_json::json!({ "flag": name, "value": value, "enabled": effective });
    audit::record(
        &mut tx,
        org_id,
        scope.into(),
        "settings.flag_changed",
        Some(("org", org_id)),
        &payload,
        now,
    )
    .await?;
    tx.commit().await?;
    engine.flags.lock().remove(org_id.as_str());
    list(engine, org_id).await
}
