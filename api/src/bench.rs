//! In-process benchmarks on a fresh database with the demo org.
//!
//! - `switchboard bench outbound`: N texts queued through [`engine::outbound::send`]
//!   (validation, policy, message, attempt and job in one transaction each), then sent by
//!   the job workers through the mock provider, and `delivered` by its status callbacks.
//! - `switchboard bench automations`: N domain events for an active automation with a
//!   ten-row condition, then every `run_automation` job carried out by the workers:
//!   payload built, conditions evaluated, each step done and logged, execution `success`.
//! - `switchboard bench reminders`: 1,000 orgs × 1,000 clients × 5,000 bookings seeded
//!   with bulk inserts, then one reminder scan over all of them, timed.

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

/// A fresh database with the demo org, and the app state over it.
async fn fresh(
    args: &BenchArgs,
    dir: &tempfile::TempDir,
) -> anyhow::Result<(crate::AppState, OwnerScope)> {
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
        user_id: Some(owner.id.clone()),
    };
    Ok((state, scope))
}

/// Runs the job workers until `done` says the work is finished; answers how long it took.
async fn run_until<F, Fut>(
    state: &crate::AppState,
    what: &str,
    mut done: F,
) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(usize, usize)>>,
{
    let engine = &state.engine;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let workers = tokio::spawn(engine::jobs::run_workers(
        engine.clone(),
        crate::worker_options(&state.config),
        shutdown.clone(),
    ));
    let started = Instant::now();
    loop {
        let (n, of) = done().await?;
        if n >= of {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "only {n} of {of} {what} after 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    shutdown.cancel();
    let _ = workers.await;
    Ok(took)
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

pub async fn outbound(args: BenchArgs) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let (state, scope) = fresh(&args, &dir).await?;
    let engine = state.engine.clone();
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

    let (db, org_id, n) = (engine.db.clone(), scope.org_id.clone(), args.messages);
    let sent = run_until(&state, "delivered", || {
        let (db, org_id) = (db.clone(), org_id.clone());
        async move {
            let d = engine::deliveries::count(&db, &org_id, "delivered").await?;
            Ok((d as usize, n))
        }
    })
    .await?;
    let delivered = engine::deliveries::count(&engine.db, &scope.org_id, "delivered").await?;
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

#[derive(clap::Args, Debug)]
pub struct AutomationBenchArgs {
    /// Events, each running the automation once.
    #[arg(long, default_value_t = 5000)]
    pub executions: usize,
    /// A PostgreSQL URL to run against instead of a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Jobs in flight per queue.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

pub async fn automations(args: AutomationBenchArgs) -> anyhow::Result<String> {
    use automations::triggers::Trigger;
    use engine::automations::events::{self, Refs};
    let dir = tempfile::tempdir()?;
    let common = BenchArgs {
        messages: 0,
        database_url: args.database_url.clone(),
        concurrency: args.concurrency,
    };
    let (state, scope) = fresh(&common, &dir).await?;
    let engine = state.engine.clone();
    let rows: Vec<serde_json::Value> = [
        ("client.opted_out", "equals", serde_json::json!(false)),
        ("client.tags", "not_contains", serde_json::json!("do-not-text")),
        ("client.visits_count", "less_than", serde_json::json!(1000)),
        ("client.name", "is_not_empty", serde_json::Value::Null),
        ("client.first_name", "not_equals", serde_json::json!("Nobody")),
        ("client.phone", "contains", serde_json::json!("+1")),
        ("org.name", "equals", serde_json::json!("Snout Pet Care")),
        ("org.time_zone", "in", serde_json::json!(["America/New_York", "UTC"])),
        ("client.tags", "not_contains", serde_json::json!("vip-only")),
        ("client.visits_count", "greater_than", serde_json::json!(-1)),
    ]
    .into_iter()
    .map(|(field, operator, value)| serde_json::json!({"field": field, "operator": operator, "value": value}))
    .collect();
    let new: engine::automations::NewAutomation = serde_json::from_value(serde_json::json!({
        "name": "Bench welcome", "lane": "front_desk",
        "trigger": {"event": "client.created"},
        "conditions": {"type": "builder", "match": "all", "rows": rows},
        "actions": [
            {"type": "add_tag", "tag": "welcomed"},
            {"type": "create_alert", "severity": "info", "title": "Welcomed {{ client.name }}", "template": "{{ client.first_name }} joined {{ org.name }}."}
        ],
    }))?;
    let created = engine::automations::create(&engine, &scope, &new, None).await?;
    let id = created.automation.id;
    let test = engine::automations::executions::test(&engine, &scope, &id, None, None).await?;
    anyhow::ensure!(
        test.passed == Some(true),
        "the bench automation's test failed: {:?}",
        test.error
    );
    engine::automations::activate(&engine, &scope, &id, None).await?;
    let filter = engine::clients::ClientFilter {
        q: String::new(),
        tag: None,
        opted_out: None,
        archived: false,
        cursor: None,
        limit: 200,
    };
    let clients: Vec<String> = engine::clients::list(&engine.db, &scope, &filter)
        .await?
        .clients
        .into_iter()
        .map(|c| c.id)
        .collect();

    let started = Instant::now();
    let now = engine.clock.now();
    for batch in (0..args.executions).collect::<Vec<_>>().chunks(500) {
        let mut tx = engine.db.begin().await?;
        for i in batch {
            let refs = Refs::client(&clients[i % clients.len()]);
            events::emit(
                &mut tx,
                &scope.org_id,
                Trigger::ClientCreated,
                &format!("bench:{i}"),
                &refs,
                now,
            )
            .await?;
        }
        tx.commit().await?;
    }
    let emitted = started.elapsed();
    let n = args.executions;
    let ran = run_until(&state, "executions", || {
        let (engine, id, org_id) = (engine.clone(), id.clone(), scope.org_id.clone());
        async move {
            // Counting the executions in the database costs milliseconds once there are
            // thousands, which would slow what is measured: the count of executions
            // started says when counting is worth it.
            let started = engine.metrics.get("automation_executions", &org_id) as usize;
            if started < n {
                return Ok((started, n));
            }
            let (done, _) = engine::automations::executions::finished(&engine.db, &id).await?;
            Ok((done as usize, n))
        }
    })
    .await?;
    let (_, succeeded) = engine::automations::executions::finished(&engine.db, &id).await?;
    Ok(format!(
        "automations bench on {} ({} events, worker concurrency {})\n\
         events emitted (stored + run jobs queued, 500 per transaction): {:.0} events/s ({:.2} s)\n\
         executions carried out (payload, 10-row condition, 2 logged steps): {:.0} executions/s ({:.2} s, {} success)",
        engine.db.kind(),
        args.executions,
        args.concurrency,
        per_sec(args.executions, emitted),
        emitted.as_secs_f64(),
        per_sec(args.executions, ran),
        ran.as_secs_f64(),
        succeeded,
    ))
}

#[derive(clap::Args, Debug)]
pub struct ReminderBenchArgs {
    /// Organisations to seed.
    #[arg(long, default_value_t = 1000)]
    pub orgs: usize,
    /// Clients per organisation.
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Bookings per organisation, spread over the half-year behind and ahead.
    #[arg(long, default_value_t = 5000)]
    pub bookings: usize,
    /// The reminder window the scan looks at.
    #[arg(long, default_value_t = 24)]
    pub hours_ahead: i64,
    /// A PostgreSQL URL to run against instead of a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep the SQLite file here, and scan it again without seeding when it already
    /// holds the data (seeding takes a while).
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
}

/// `switchboard bench reminders`: seeds orgs × clients × bookings with bulk inserts,
/// then times one reminder scan over every org: the eligibility query the send path
/// pages through ([`engine::campaigns::reminders::DUE`]), org by org, page by page, so
/// memory stays flat whatever the size.
pub async fn reminders(args: ReminderBenchArgs) -> anyhow::Result<String> {
    use engine::campaigns::reminders;
    let dir = tempfile::tempdir()?;
    let url = match (&args.database_url, &args.file) {
        (Some(url), _) => url.clone(),
        (None, Some(file)) => format!("sqlite://{}", file.display()),
        (None, None) => format!("sqlite://{}", dir.path().join("reminders.db").display()),
    };
    let db = engine::Db::connect(&url).await.context("connecting")?;
    db.migrate().await.context("migrating")?;
    let clock = Clock::default();
    let (orgs, _) = engine::scale::size(&db).await?;
    let seeded = if orgs == 0 {
        let started = Instant::now();
        let shape = engine::scale::Shape {
            orgs: args.orgs,
            clients: args.clients,
            bookings: args.bookings,
        };
        engine::scale::seed(&db, &shape, clock.now())
            .await
            .context("seeding")?;
        format!("seeded in {:.1} s", started.elapsed().as_secs_f64())
    } else {
        "reused".to_owned()
    };
    let (orgs, bookings) = engine::scale::size(&db).await?;
    let plan = engine::scale::plan(&db, reminders::DUE).await?;
    let rss_before = rss_kib();
    let mut timings = Vec::new();
    let mut found = (0, 0);
    for _ in 0..3 {
        let started = Instant::now();
        found = reminders::scan_all(&db, clock.now(), args.hours_ahead, 200).await?;
        timings.push(started.elapsed());
    }
    let rss_after = rss_kib();
    let kind = db.kind();
    db.close().await;
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    Ok(format!(
        "reminders bench on {kind} ({orgs} orgs, {bookings} bookings; {seeded})\n\
         one reminder scan over every org (hours_ahead={}): {:.0} ms, then {:.0} ms and {:.0} ms; {} bookings due across {} orgs\n\
         plan: {plan}\n\
         resident memory before and after the scans: {} / {} KiB",
        args.hours_ahead,
        ms(&timings[0]),
        ms(&timings[1]),
        ms(&timings[2]),
        found.1,
        found.0,
        rss_before.map_or("?".to_owned(), |k| k.to_string()),
        rss_after.map_or("?".to_owned(), |k| k.to_string()),
    ))
}

/// This process's resident memory, from `/proc` (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
