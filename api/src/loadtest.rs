//! `switchboard loadtest`: sends signed inbound webhooks to a running server and reports
//! how fast they are acknowledged and how fast they are routed into their threads.
//!
//! Only loopback or the caller's own hosts are meant as targets; the loop is bounded by
//! `--requests`.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

#[derive(Clone, Debug, clap::Args)]
pub struct LoadtestArgs {
    /// The running server.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Webhooks to send in all.
    #[arg(long, default_value_t = 5000)]
    pub requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Send at this many requests per second instead of as fast as possible.
    #[arg(long)]
    pub rate: Option<u32>,
    /// The business number texted (the demo front desk by default).
    #[arg(long, default_value = "+15551111111")]
    pub to: String,
    /// Sign requests with this auth token (for a server running the Twilio provider)...
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// ...over this public base URL (the server's PUBLIC_BASE_URL).
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_url: Option<String>,
}

pub struct Report {
    pub acknowledged: usize,
    pub errors: usize,
    pub ack_seconds: f64,
    pub latencies_ms: Vec<f64>,
    pub routed: u64,
    pub routed_seconds: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = &self.latencies_ms;
        writeln!(
            f,
            "webhooks acknowledged: {} ({} errors) in {:.2} s = {:.0} requests/s",
            self.acknowledged,
            self.errors,
            self.ack_seconds,
            self.acknowledged as f64 / self.ack_seconds
        )?;
        writeln!(
            f,
            "ack latency: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(l, 50.0),
            percentile(l, 95.0),
            percentile(l, 99.0),
            l.last().copied().unwrap_or(0.0)
        )?;
        write!(
            f,
            "routed end to end: {} messages in {:.2} s = {:.0} messages/s",
            self.routed,
            self.routed_seconds,
            self.routed as f64 / self.routed_seconds
        )
    }
}

async fn routed_total(client: &reqwest::Client, url: &str) -> anyhow::Result<u64> {
    let metrics: serde_json::Value = client
        .get(format!("{url}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(metrics["inbound_routed_total"].as_u64().unwrap_or(0))
}

pub async fn run(args: LoadtestArgs) -> anyhow::Result<Report> {
    engine::install_tls_provider();
    if args.requests == 0 || args.concurrency == 0 {
        bail!("--requests and --concurrency must be at least 1");
    }
    let url = args.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let routed_before = routed_total(&client, &url)
        .await
        .context("reading /metrics (is the server running?)")?;
    let run_id = engine::ids::new_token()[..8].to_owned();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (client, url, next, args, run_id) = (
                client.clone(),
                url.clone(),
                next.clone(),
                args.clone(),
                run_id.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= args.requests {
                        break;
                    }
                    if let Some(rate) = args.rate {
                        tokio::time::sleep_until(
                            (started + Duration::from_secs_f64(i as f64 / f64::from(rate))).into(),
                        )
                        .await;
                    }
                    // Spread senders so threads grow as in real traffic: 500 clients.
                    let from = format!("+1555{:07}", 9_000_000 + i % 500);
                    let params = vec![
                        ("MessageSid".to_owned(), format!("SMload{run_id}{i:08}")),
                        ("AccountSid".to_owned(), "ACloadtest".to_owned()),
                        ("From".to_owned(), from),
                        ("To".to_owned(), args.to.clone()),
                        (
                            "Body".to_owned(),
                            format!("Load test message {i}: is 3pm still good for the walk?"),
                        ),
                    ];
                    let mut req = client
                        .post(format!("{url}/webhooks/twilio/sms"))
                        .form(&params);
                    if let (Some(token), Some(public)) = (&args.auth_token, &args.public_url) {
                        let signed_url =
                            format!("{}/webhooks/twilio/sms", public.trim_end_matches('/'));
                        req = req.header(
                            "X-Twilio-Signature",
                            engine::signature::compute(token, &signed_url, &params),
                        );
                    }
                    let sent = Instant::now();
                    match req.send().await {
                        Ok(res) if res.status().is_success() => {
                            latencies.push(sent.elapsed().as_secs_f64() * 1000.0)
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies_ms = Vec::with_capacity(args.requests);
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        latencies_ms.extend(l);
        errors += e;
    }
    let ack_seconds = started.elapsed().as_secs_f64();
    latencies_ms.sort_by(f64::total_cmp);
    let acknowledged = latencies_ms.len();
    // Wait for routing to catch up; give up when it stops moving (no workers running,
    // say), reporting what was routed by then.
    let (mut last, mut last_change) = (0, Instant::now());
    let routed = loop {
        let routed = routed_total(&client, &url).await? - routed_before;
        if routed != last {
            (last, last_change) = (routed, Instant::now());
        }
        if routed >= acknowledged as u64 || last_change.elapsed() > Duration::from_secs(10) {
            break routed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    Ok(Report {
        acknowledged,
        errors,
        ack_seconds,
        latencies_ms,
        routed,
        routed_seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentiles_pick_by_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(super::percentile(&v, 50.0), 51.0);
        assert_eq!(super::percentile(&v, 99.0), 99.0);
        assert_eq!(super::percentile(&[], 99.0), 0.0);
    }
}
