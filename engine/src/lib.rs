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
pub mod clock;
pub mod dead_letters;
pub mod decisions;
pub mod demo;
pub mod diagnostics;
mod error;
pub mod ids;
pub mod inbound;
pub mod jobs;
pub mod metrics;
pub mod numbers;
pub mod optout;
pub mod overrides;
pub mod phone;
pub mod policy;
pub mod provider;
pub mod routing;
pub mod segments;
pub mod signature;
pub mod store;
pub mod threads;

use std::{sync::Arc, time::Duration};

pub use clock::Clock;
pub use error::{Error, Result};
pub use store::{Db, Tx};

/// Knobs the engine needs at run time, filled from the app's configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Delay before the second attempt of a failed job; later attempts grow ×4.
    pub retry_base: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(2),
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
}

impl Engine {
    pub fn new(db: Db, clock: Clock, settings: Settings) -> Self {
        Self {
            db,
            clock,
            settings: Arc::new(settings),
            metrics: metrics::Metrics::default(),
        }
    }
}

/// Installs the TLS crypto provider (ring, the one sqlx already uses) once per process,
/// before any HTTPS client is built.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
