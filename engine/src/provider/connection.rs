//! Which provider carries an org's texts: the one the org connected in the setup wizard
//! (`org_provider`), else the install-wide one from the environment.
//!
//! An org's Twilio auth token is sealed at rest (see [`crate::secrets`]) and opened only
//! to build the provider, which each process keeps for a few seconds; connecting again
//! drops it at once in the process that did it. The token never leaves this module in
//! anything that is serialized or logged: [`Twilio`]'s token is a `SecretString`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use secrecy::SecretString;
use serde::Serialize;

use super::{Provider, mock::Mock, twilio::Twilio};
use crate::{
    Engine, Error, Result, Tx,
    accounts::OwnerScope,
    audit,
    clock::{Millis, to_rfc3339},
    db,
    secrets::SECRET_KEY_VAR,
    tx,
};

const CACHE_FOR: Duration = Duration::from_secs(10);

/// Each org's provider, briefly remembered (building one opens its sealed token).
#[derive(Clone, Debug, Default)]
pub struct ProviderCache(Arc<Mutex<HashMap<String, (Provider, Instant)>>>);

impl ProviderCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Provider, Instant)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn forget(&self, org_id: &str) {
        self.lock().remove(org_id);
    }
}

#[derive(sqlx::FromRow)]
struct Stored {
    kind: String,
    account_sid: Option<String>,
    auth_token_sealed: Option<String>,
    connected_at: Millis,
}

async fn stored(engine: &Engine, org_id: &str) -> Result<Option<Stored>> {
    Ok(db!(&engine.db, c => sqlx::query_as(
        "select kind, account_sid, auth_token_sealed, connected_at from org_provider where org_id = $1")
        .bind(org_id).fetch_optional(c).await)?)
}

/// What a sealed token of the org is bound to.
fn purpose(org_id: &str) -> String {
    format!("twilio_auth_token:{org_id}")
}

/// The provider that carries `org_id`'s texts.
pub async fn for_org(engine: &Engine, org_id: &str) -> Result<Provider> {
    if let Some((provider, at)) = engine.providers.lock().get(org_id)
        && at.elapsed() < CACHE_FOR
    {
        return Ok(provider.clone());
    }
    let provider = match stored(engine, org_id).await? {
        None => engine.provider.clone(),
        Some(s) => build(engine, org_id, &s)?,
    };
    engine
        .providers
        .lock()
        .insert(org_id.to_owned(), (provider.clone(), Instant::now()));
    Ok(provider)
}

fn build(engine: &Engine, org_id: &str, s: &Stored) -> Result<Provider> {
    let (Some(sid), Some(sealed)) = (&s.account_sid, &s.auth_token_sealed) else {
        return Ok(match &engine.provider {
            Provider::Mock(m) => Provider::Mock(m.clone()),
            Provider::Twilio(_) => {
                Provider::Mock(Mock::new(engine.db.clone(), engine.clock.clone()))
            }
        });
    };
    let sealer = engine.sealer.as_ref().ok_or_else(|| {
        Error::Provider(format!(
            "the org's Twilio credentials are sealed, but {SECRET_KEY_VAR} is not set"
        ))
    })?;
    let token = sealer.open(&purpose(org_id), sealed)?;
    let twilio = Twilio::new(&engine.settings.twilio_api_base, sid.as_str(), token)
        .map_err(|e| Error::Provider(e.message))?;
    Ok(Provider::Twilio(twilio))
}

/// The kind of provider carrying the org's texts (`mock` or `twilio`), read inside a
/// transaction: what a new delivery attempt records.
pub async fn kind_in(engine: &Engine, tx: &mut Tx, org_id: &str) -> Result<&'static str> {
    let kind: Option<String> = tx!(tx, c => sqlx::query_scalar("select kind from org_provider where org_id = $1")
        .bind(org_id).fetch_optional(c).await)?;
    Ok(match kind.as_deref() {
        Some("twilio") => "twilio",
        Some(_) => "mock",
        None => engine.provider.kind(),
    })
}

/// The auth token webhooks for this org must be signed with: its own Twilio's, or the
/// install's Twilio's for a number no org owns; `None` when the mock carries its texts
/// (signatures are then optional).
pub async fn signing_token(engine: &Engine, org_id: Option<&str>) -> Result<Option<SecretString>> {
    let provider = match org_id {
        Some(org_id) => for_org(engine, org_id).await?,
        None => engine.provider.clone(),
    };
    Ok(match provider {
        Provider::Twilio(t) => Some(t.auth_token),
        Provider::Mock(_) => None,
    })
}

/// What the owner asks to connect.
pub enum Connect {
    Mock,
    Twilio {
        account_sid: String,
        auth_token: SecretString,
    },
}

/// The org's provider as the setup wizard shows it. Never carries the token.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderStatus {
    /// `mock` or `twilio`.
    pub provider: String,
    /// `org` when the org connected its own, `install` for the install-wide default.
    pub source: String,
    /// The org connected a provider, or the install runs on Twilio for everyone.
    pub connected: bool,
    /// In business words, for the page.
    pub label: String,
    /// The Twilio account, shortened (`AC…1659`).
    pub account_sid: Option<String>,
    pub connected_at: Option<String>,
}

fn label(kind: &str) -> &'static str {
    match kind {
        "twilio" => "Your Twilio account",
        _ => "Test provider (texts stay inside Switchboard)",
    }
}

/// `AC5ef8…1659` → `AC…1659`: enough to recognise, nothing to copy.
fn short_sid(sid: &str) -> String {
    let tail = sid.len().saturating_sub(4);
    format!(
        "{}…{}",
        sid.get(..2).unwrap_or(""),
        sid.get(tail..).unwrap_or("")
    )
}

pub async fn status(engine: &Engine, org_id: &str) -> Result<ProviderStatus> {
    Ok(match stored(engine, org_id).await? {
        Some(s) => ProviderStatus {
            label: label(&s.kind).to_owned(),
            source: "org".to_owned(),
            connected: true,
            account_sid: s.account_sid.as_deref().map(short_sid),
            connected_at: Some(to_rfc3339(s.connected_at)),
            provider: s.kind,
        },
        None => {
            let kind = engine.provider.kind();
            let account_sid = match &engine.provider {
                Provider::Twilio(t) => Some(short_sid(&t.account_sid)),
                Provider::Mock(_) => None,
            };
            ProviderStatus {
                provider: kind.to_owned(),
                source: "install".to_owned(),
                connected: kind == "twilio",
                label: label(kind).to_owned(),
                account_sid,
                connected_at: None,
            }
        }
    })
}

/// Twilio account SIDs are `AC` and 32 hex digits.
fn check_account_sid(sid: &str) -> Result<()> {
    let ok =
        sid.len() == 34 && sid.starts_with("AC") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "accountSid",
            "must be a Twilio Account SID: AC followed by 32 letters and digits (find it in the Twilio Console)",
        ))
    }
}

fn check_auth_token(token: &str) -> Result<()> {
    if token.is_empty() {
        return Err(Error::invalid("authToken", "is required"));
    }
    if token.len() > 200 || token.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            "authToken",
            "must be the Auth Token exactly as the Twilio Console shows it",
        ));
    }
    Ok(())
}

/// Stores the org's provider (a Twilio token sealed), audited, and moves the wizard on.
/// Connecting the mock stocks its account with the starter numbers.
pub async fn connect(
    engine: &Engine,
    scope: &OwnerScope,
    wanted: Connect,
) -> Result<ProviderStatus> {
    use secrecy::ExposeSecret;
    let org_id = &scope.org_id;
    let now = engine.clock.now();
    let (kind, account_sid, sealed) = match &wanted {
        Connect::Mock => ("mock", None, None),
        Connect::Twilio {
            account_sid,
            auth_token,
        } => {
            let account_sid = account_sid.trim();
            check_account_sid(account_sid)?;
            check_auth_token(auth_token.expose_secret())?;
            let Some(sealer) = &engine.sealer else {
                return Err(Error::Conflict(
                    format!(
                        "Twilio credentials are stored encrypted, and this install has no secret key: set {SECRET_KEY_VAR} and restart Switchboard"
                    )
                    .into(),
                ));
            };
            let sealed = sealer.seal(&purpose(org_id), auth_token)?;
            ("twilio", Some(account_sid.to_owned()), Some(sealed))
        }
    };
    let mut tx = engine.db.begin().await?;
    tx!(&mut tx, c => sqlx::query(
        "insert into org_provider (org_id, kind, account_sid, auth_token_sealed, connected_at) values ($1, $2, $3, $4, $5)
         on conflict (org_id) do update set kind = excluded.kind, account_sid = excluded.account_sid,
             auth_token_sealed = excluded.auth_token_sealed, connected_at = excluded.connected_at")
        .bind(org_id).bind(kind).bind(&account_sid).bind(&sealed).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if kind == "mock" {
        super::mock_account::stock(&mut tx, org_id, now).await?;
    }
    let payload = serde_json::json!({
        "provider": kind,
        "accountSid": account_sid.as_deref().map(short_sid),
    });
    audit::record(
        &mut tx,
        org_id,
        scope.into(),
        "provider.connected",
        Some(("org", org_id)),
        &payload,
        now,
    )
    .await?;
    crate::setup::reached(&mut tx, org_id, 2, now).await?;
    tx.commit().await?;
    engine.providers.forget(org_id);
    tracing::info!(%org_id, provider = kind, "provider connected");
    status(engine, org_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_sids_are_checked_and_shortened() {
        let sid = "AC5ef8732a3c49700934481addd5ce1659";
        assert!(check_account_sid(sid).is_ok());
        assert_eq!(short_sid(sid), "AC…1659");
        for bad in [
            "",
            "AC123",
            "PN5ef8732a3c49700934481addd5ce1659",
            "AC5ef8732a3c49700934481addd5ce165z",
        ] {
            assert!(check_account_sid(bad).is_err(), "{bad}");
        }
        assert!(check_auth_token("").is_err());
        assert!(check_auth_token("has space").is_err());
        assert!(check_auth_token("6c6d5f0e1b2a4d3c9e8f7a6b5c4d3e2f").is_ok());
    }
}
