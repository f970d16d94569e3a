//! `switchboard bench outbound`: end-to-end outbound throughput in one process, on a
//! fresh database: N texts queued through [`engine::outbound::send`] (validation, policy,
//! message, attempt and job in one transaction each), then sent by the job workers
//! through the mock provider, and `delivered` by its status callbacks.

use std::time::{Duration, Instant};

use anyhow::Context;
use engine::{
    Clock,
    accounts::OwnerScope,
    outbound::{self, Author},
};

use crate::Config;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Texts to send.
    #[arg(long, default_value_t = 3000)]
    pub messages: usize,
    /// A PostgreSQL URL to run against instead of a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Jobs in flight per queue.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

pub async fn outbound(args: BenchArgs) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let mut config = Config {
        database_url: args
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display())),
        job_concurrency: args.concurrency,
        job_poll: Duration::from_millis(20),
        ..Config::default()
    };
    config.provider = "mock".to_owned();
    let state = crate::build_state(config, Clock::default()).await?;
    let engine = state.engine.clone();
    engine::demo::seed(&engine)
        .await
        .context("seeding the demo org")?;
    let owner = engine::accounts::authenticate(
        &engine.db,
        engine::demo::OWNER_EMAIL,
        engine::demo::OWNER_PASSWORD,
    )
    .await?;
    let scope = OwnerScope {
        org_id: owner.org_id.clone(),
        user_id: None,
    };
    let filter = engine::threads::ThreadFilter {
        limit: 200,
        ..Default::default()
    };
    let page = engine::threads::list(&engine.db, &scope, &filter, engine.clock.now()).await?;
    let thread_id = page
        .threads
        .iter()
        .find(|t| t.number_class == "front_desk")
        .map(|t| t.id.clone())
        .context("the demo org has a front-desk thread")?;
    let body = "Hi! Just confirming Biscuit's walk tomorrow at 3:30pm. Reply here if anything changes. Thanks, Snout Pet Care";

    let started = Instant::now();
    for _ in 0..args.messages {
        outbound::send(&engine, Author::Owner(&scope), &thread_id, body, None).await?;
    }
    let queued = started.elapsed();

    let shutdown = tokio_util::sync::CancellationToken::new();
    let workers = tokio::spawn(engine::jobs::run_workers(
        engine.clone(),
        crate::worker_options(&state.config),
        shutdown.clone(),
    ));
    let sending = Instant::now();
    let delivered = loop {
        let n = engine::deliveries::count(&engine.db, &scope.org_id, "delivered").await?;
        if n as usize >= args.messages {
            break n;
        }
        anyhow::ensure!(
            sending.elapsed() < Duration::from_secs(600),
            "only {n} of {} delivered after 10 minutes",
            args.messages
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let sent = sending.elapsed();
    shutdown.cancel();
    let _ = workers.await;
    let per_sec = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    Ok(format!(
        "outbound bench on {} ({} texts, worker concurrency {})\n\
         queued (API path, one transaction each): {:.0} texts/s ({:.2} s)\n\
         sent and delivered (job, mock provider, status callbacks): {:.0} texts/s ({:.2} s, {} delivered)\n\
         end to end: {:.0} texts/s",
        engine.db.kind(),
        args.messages,
        args.concurrency,
        per_sec(args.messages, queued),
        queued.as_secs_f64(),
        per_sec(args.messages, sent),
        sent.as_secs_f64(),
        delivered,
        per_sec(args.messages, queued + sent),
    ))
}
