//! The domain of Switchboard: accounts, numbers, threads, messages, inbound handling,
//! durable jobs and the SQL store behind them, for SQLite and PostgreSQL alike.
//!
//! Nothing here knows HTTP (that is `api`), and owner-programmable logic lives in
//! `automations`. Pure rules (phone redaction, E.164 checks, routing, the anti-poaching
//! policy, SMS segment counting) are plain functions over plain values with their tests
//! beside them; everything that touches the database goes through [`store::Db`] and
//! [`store::Tx`].

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod automations;
pub mod bookings;
pub mod campaigns;
pub mod clients;
pub mod clock;
pub mod counters;
pub mod dead_letters;
pub mod decisions;
pub mod deliveries;
pub mod demo;
pub mod diagnostics;
mod error;
pub mod fields;
pub mod flags;
pub mod group_commit;
pub mod ids;
pub mod inbound;
pub mod intake;
pub mod jobs;
pub mod metrics;
pub mod numbers;
pub mod optout;
pub mod outbound;
pub mod overrides;
pub mod paging;
pub mod phone;
pub mod policy;
pub mod proactive;
pub mod provider;
pub mod quiet_hours;
pub mod reports;
pub mod routing;
pub mod scale;
pub mod secrets;
pub mod setup;
pub mod signature;
pub mod sitters;
pub mod store;
pub mod threads;
pub mod violations;
pub mod windows;

use std::{sync::Arc, time::Duration};

/// SMS segment counting lives with the templates that preview it.
pub use ::automations::templates::segments;
pub use clock::Clock;
pub use error::{Error, Problems, Result};
pub use store::{Db, Tx};

/// Knobs the engine needs at run time, filled from the app's configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Delay before the second attempt of a failed job; later attempts grow ×4.
    pub retry_base: Duration,
    /// Which provider carries the install's texts (an org may connect its own).
    pub provider: ProviderSettings,
    /// Twilio's REST base URL, for orgs that connect their own Twilio account.
    pub twilio_api_base: String,
    /// The instance's secret key: what orgs' provider credentials are sealed with.
    pub secret_key: Option<secrecy::SecretString>,
    /// Our public URL, for the status callbacks we ask the provider to post.
    pub public_base_url: Option<String>,
    /// Pacing: the least time between two texts leaving one business number (zero:
    /// none). `None`: the org's provider's own pace, 1 s for Twilio, none for the mock.
    pub send_interval: Option<Duration>,
    /// How long a send may be in flight before, with no outcome recorded, it is `uncertain`.
    pub send_lease: Duration,
    /// How long a campaign run's runner holds it without showing progress before, taken
    /// to have died, the run is queued again.
    pub run_lease: Duration,
    /// Feature flags' install-wide values (an org may override them).
    pub flag_defaults: std::collections::BTreeMap<String, bool>,
}

#[derive(Clone, Debug, Default)]
pub enum ProviderSettings {
    #[default]
    Mock,
    Twilio {
        api_base: String,
        account_sid: String,
        auth_token: secrecy::SecretString,
    },
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(2),
            provider: ProviderSettings::Mock,
            twilio_api_base: provider::twilio::API_BASE.to_owned(),
            secret_key: None,
            public_base_url: None,
            send_interval: None,
            send_lease: Duration::from_secs(60),
            run_lease: Duration::from_secs(60),
            flag_defaults: flags::ALL.iter().map(|f| ((*f).to_owned(), true)).collect(),
        }
    }
}

/// The engine's shared state: cheap to clone, handed to every job and request.
#[derive(Clone, Debug)]
pub struct Engine {
    pub db: Db,
    pub clock: Clock,
    pub settings: Arc<Settings>,
    pub metrics: metrics::Metrics,
    /// The install-wide provider; [`provider::for_org`] says which one carries an org's
    /// texts.
    pub provider: provider::Provider,
    /// Status callbacks the mock provider reports, applied by the workers.
    pub status_feed: deliveries::StatusFeed,
    pub(crate) flags: flags::FlagCache,
    pub(crate) providers: provider::connection::ProviderCache,
    /// Automation versions, compiled once.
    pub(crate) compiled: automations::CompiledCache,
    /// Inbound webhooks waiting for their group commit.
    pub(crate) intake: group_commit::Committer<intake::Intake>,
    /// Inbound events waiting to be filed together.
    pub(crate) filing: group_commit::Committer<inbound::Filing>,
    /// Send attempts waiting to be claimed, and recorded `submitted`, together.
    pub(crate) claims: group_commit::Committer<deliveries::Claims>,
    pub(crate) submissions: group_commit::Committer<deliveries::Submissions>,
    /// Live automation executions waiting to be started together.
    pub(crate) starts: group_commit::Committer<automations::run::Starts>,
    /// Seals and opens orgs' provider credentials; `None` without a secret key.
    pub(crate) sealer: Option<secrets::Sealer>,
}

impl Engine {
    /// Fails only when the provider's HTTP client cannot be built.
    pub fn new(db: Db, clock: Clock, settings: Settings) -> Result<Self> {
        let status_feed = deliveries::StatusFeed::default();
        let provider = match &settings.provider {
            ProviderSettings::Mock => {
                provider::Provider::Mock(provider::mock::Mock::new(db.clone(), clock.clone()))
            }
            ProviderSettings::Twilio {
                api_base,
                account_sid,
                auth_token,
            } => provider::Provider::Twilio(
                provider::twilio::Twilio::new(api_base, account_sid.as_str(), auth_token.clone())
                    .map_err(|e| Error::Provider(e.message))?,
            ),
        };
        Ok(Self {
            db,
            clock,
            sealer: secrets::Sealer::new(settings.secret_key.as_ref()),
            settings: Arc::new(settings),
            metrics: metrics::Metrics::default(),
            provider,
            status_feed,
            flags: flags::FlagCache::default(),
            providers: provider::connection::ProviderCache::default(),
            compiled: automations::CompiledCache::default(),
            intake: group_commit::Committer::default(),
            filing: group_commit::Committer::default(),
            claims: group_commit::Committer::default(),
            submissions: group_commit::Committer::default(),
            starts: group_commit::Committer::default(),
        })
    }

    /// The URL status callbacks should be posted to, when we know our public address.
    pub fn status_callback_url(&self) -> Option<String> {
        self.webhooks().map(|w| w.status_callback)
    }

    /// Our webhook URLs, when we know our public address.
    pub fn webhooks(&self) -> Option<provider::Webhooks> {
        self.settings
            .public_base_url
            .as_deref()
            .map(provider::Webhooks::at)
    }
}

/// Installs the TLS crypto provider (ring, the one sqlx already uses) once per process,
/// before any HTTPS client is built.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
