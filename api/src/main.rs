//! `switchboard`: serve, work, migrate, seed.

use std::path::PathBuf;

use anyhow::Context;
use api::Config;
use clap::{Parser, Subcommand};
use engine::{Clock, demo};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Text-message routing, masking and automations for small service businesses."
)]
struct Cli {
    /// A TOML file of settings (keys are the environment variables in lower case);
    /// environment variables override it.
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, webhooks and admin pages, and run the job workers, in one process.
    Serve {
        /// Seed the demo org first (owner@example.com / password123; idempotent).
        #[arg(long)]
        demo: bool,
        /// Do not run job workers here (run `switchboard worker` elsewhere).
        #[arg(long)]
        no_workers: bool,
    },
    /// Run only the job workers, for scale-out beside `serve` on a shared PostgreSQL.
    Worker,
    /// Apply database migrations and exit (serve and worker also migrate on start).
    Migrate,
    /// Send N signed inbound webhooks to a running server and report acknowledged
    /// requests/s, ack latency and routed messages/s end to end.
    Loadtest(api::loadtest::LoadtestArgs),
    /// Measure in-process on a fresh database: outbound texts, automation executions, or
    /// the reminder scan at scale.
    Bench {
        #[command(subcommand)]
        what: BenchKind,
    },
    /// Load data into the database and exit.
    Seed {
        /// The demo org of the seeds (idempotent).
        #[arg(long, required = true)]
        demo: bool,
    },
}

#[derive(Subcommand, Debug)]
enum BenchKind {
    /// End-to-end outbound texts per second.
    Outbound(api::bench::BenchArgs),
    /// Automation executions per second, end to end through the job workers.
    Automations(api::bench::AutomationBenchArgs),
    /// One reminder scan over 1,000 orgs × 1,000 clients × 5,000 bookings (seeded first).
    Reminders(api::bench::ReminderBenchArgs),
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Command::Loadtest(args) = cli.command {
        match api::loadtest::run(args).await {
            Ok(report) => println!("{report}"),
            Err(e) => {
                eprintln!("switchboard loadtest: {e:#}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Command::Bench { what } = cli.command {
        // Quiet by default, so the report is all it prints; RUST_LOG opts in to logs.
        if std::env::var_os("RUST_LOG").is_some() {
            api::logging::init("text");
        }
        let report = match what {
            BenchKind::Outbound(args) => api::bench::outbound(args).await,
            BenchKind::Automations(args) => api::bench::automations(args).await,
            BenchKind::Reminders(args) => api::bench::reminders(args).await,
        };
        match report {
            Ok(report) => println!("{report}"),
            Err(e) => {
                eprintln!("switchboard bench: {e:#}");
                std::process::exit(1);
            }
        }
        return;
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("switchboard: configuration error: {e}");
            std::process::exit(2);
        }
    };
    api::logging::init(&config.log_format);
    if let Err(e) = run(cli.command, config).await {
        tracing::error!("{e:#}");
        eprintln!("switchboard: {e:#}");
        std::process::exit(1);
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let addr = config.addr;
    let state = api::build_state(config, Clock::default()).await?;
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        api::shutdown_signal().await;
        tracing::info!("shutting down: finishing requests and running jobs");
        on_signal.cancel();
    });
    match command {
        Command::Migrate => {
            println!("switchboard: database is up to date");
            Ok(())
        }
        Command::Seed { .. } => seed_demo(&state).await,
        // Handled before any database is opened.
        Command::Loadtest(_) | Command::Bench { .. } => Ok(()),
        Command::Worker => {
            tracing::info!(database = state.engine.db.kind(), "job workers running");
            api::run_workers(state, shutdown).await
        }
        Command::Serve { demo, no_workers } => {
            if demo {
                seed_demo(&state).await?;
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr}"))?;
            let local = listener.local_addr()?;
            println!("switchboard listening on http://{local}");
            tracing::info!(%local, database = state.engine.db.kind(), provider = %state.config.provider, "serving");
            api::serve(state, listener, shutdown, !no_workers).await
        }
    }
}

async fn seed_demo(state: &api::AppState) -> anyhow::Result<()> {
    match demo::seed(&state.engine)
        .await
        .context("seeding the demo org")?
    {
        demo::Seeded::Created { org_id } => {
            demo::activate_automations(&state.engine, &org_id)
                .await
                .context("turning on the demo org's automations")?;
            println!(
                "switchboard: demo org seeded. Log in as {} / {} (owner) or {} / {} (sitter).",
                demo::OWNER_EMAIL,
                demo::OWNER_PASSWORD,
                demo::SITTER_EMAIL,
                demo::SITTER_PASSWORD
            )
        }
        demo::Seeded::AlreadyThere => {
            println!("switchboard: demo org already present; left as it is.")
        }
    }
    Ok(())
}
