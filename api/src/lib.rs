//! Switchboard's HTTP face: the JSON API, the Twilio-dialect webhooks, the server-rendered
//! admin pages and the `switchboard` command line. Domain rules live in `engine`; this
//! crate authenticates, parses, answers, and wires the process together.
//!
//! [`app`] builds the router and [`serve`] runs it (with the job workers, unless told
//! otherwise) until the shutdown token fires, so tests run the real thing on port 0.

pub mod auth;
pub mod bench;
pub mod config;
pub mod csv;
pub mod error;
pub mod extract;
pub mod loadtest;
pub mod logging;
mod middleware;
pub mod pages;
pub mod routes;
pub mod state;
pub mod templates;

use std::time::Duration;

use anyhow::Context;
use axum::Router;
use engine::{Clock, Db, Engine, jobs::WorkerOptions};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use config::Config;
pub use state::AppState;

/// The whole router: API, webhooks, pages, with request tracking around it.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::router())
        .merge(pages::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::flag_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::track,
        ))
        .with_state(state)
}

/// Connects, migrates and builds the shared state.
pub async fn build_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    engine::install_tls_provider();
    let db = Db::connect(&config.database_url)
        .await
        .context("connecting to DATABASE_URL")?;
    db.migrate().await.context("migrating the database")?;
    let settings = config.engine_settings();
    Ok(AppState {
        engine: Engine::new(db, clock, settings).context("setting up the provider")?,
        config: std::sync::Arc::new(config),
        templates: templates::Templates::new(),
        login_limiter: auth::LoginLimiter::default(),
    })
}

pub fn worker_options(config: &Config) -> WorkerOptions {
    WorkerOptions {
        poll: config.job_poll,
        concurrency: config.job_concurrency,
        ..WorkerOptions::default()
    }
}

/// Serves HTTP on `listener` (and runs the job workers when `workers` is set) until
/// `shutdown` fires: then stops taking requests, lets running jobs finish (bounded), and
/// returns.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: CancellationToken,
    workers: bool,
) -> anyhow::Result<()> {
    let tracker = TaskTracker::new();
    if workers {
        spawn_workers(&tracker, &state, shutdown.clone());
    }
    let token = shutdown.clone();
    axum::serve(listener, app(state.clone()))
        .with_graceful_shutdown(async move { token.cancelled().await })
        .await
        .context("serving HTTP")?;
    tracker.close();
    if tokio::time::timeout(Duration::from_secs(30), tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            "job workers did not stop in time; leaving their jobs to be picked up again"
        );
    }
    state.engine.db.close().await;
    Ok(())
}

/// Runs the job workers alone (`switchboard worker`) until `shutdown` fires.
pub async fn run_workers(state: AppState, shutdown: CancellationToken) -> anyhow::Result<()> {
    let tracker = TaskTracker::new();
    spawn_workers(&tracker, &state, shutdown);
    tracker.close();
    tracker.wait().await;
    state.engine.db.close().await;
    Ok(())
}

fn spawn_workers(tracker: &TaskTracker, state: &AppState, shutdown: CancellationToken) {
    let engine = state.engine.clone();
    let opts = worker_options(&state.config);
    tracker.spawn(async move {
        if let Err(e) = engine::jobs::run_workers(engine, opts, shutdown).await {
            tracing::error!(error = %e, "job workers stopped with an error");
        }
    });
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
