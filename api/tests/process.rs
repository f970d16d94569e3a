//! End-to-end tests of the real `switchboard` binary: its logs, its shutdown, and a
//! second process running the jobs the first one enqueued.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::Value;

struct Process {
    child: Child,
    url: String,
    output: std::sync::Arc<std::sync::Mutex<String>>,
}

/// Starts `switchboard <args>` on a free port and waits for it to say where it listens.
fn start(database_url: &str, args: &[&str]) -> Process {
    start_with(database_url, args, &[])
}

/// [`start`] with extra environment variables.
fn start_with(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .envs(env.iter().copied())
        .env("DATABASE_URL", database_url)
        .env("SWITCHBOARD_ADDR", "127.0.0.1:0")
        .env("SWITCHBOARD_JOB_POLL_MS", "20")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard");
    let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    let out = output.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("switchboard listening on ") {
                let _ = tx.send(url.to_owned());
            }
            out.lock().unwrap().push_str(&line);
            out.lock().unwrap().push('\n');
        }
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let err = output.clone();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        err.lock().unwrap().push_str(&s);
    });
    let url = if args.first() == Some(&"serve") {
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("switchboard did not start:\n{}", output.lock().unwrap()))
    } else {
        String::new()
    };
    Process { child, url, output }
}

impl Process {
    /// Sends SIGTERM and waits for the exit code.
    fn terminate(mut self) -> (i32, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(40);
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("switchboard did not stop within 40 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        let output = self.output.lock().unwrap().clone();
        (code, output)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn database() -> (tempfile::TempDir, String, Option<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = tests::fresh_database(dir.path()).await;
    (dir, url, pg)
}

async fn owner_threads(url: &str) -> Vec<Value> {
    let c = login(url).await;
    let page: Value = c
        .get(format!("{url}/api/messages/threads?limit=200"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["threads"].as_array().cloned().unwrap()
}

/// Waits until a thread from `client_number` is listed (the routing job ran).
async fn wait_for_thread(url: &str, business_number: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = owner_threads(url)
            .await
            .iter()
            .filter(|t| t["clientName"].is_null() && t["messageNumber"] == business_number)
            .count();
        if n >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the inbound texts were not routed within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post_inbound(url: &str, sid: &str, from: &str) {
    let res = tests::client()
        .post(format!("{url}/webhooks/twilio/inbound-sms"))
        .form(&[
            ("MessageSid", sid),
            ("From", from),
            ("To", "+15551111111"),
            ("Body", &format!("call me back on {from}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn logs_never_show_a_whole_phone_number() {
    let (_dir, db, pg) = database().await;
    let app = start(&db, &["serve", "--demo"]);
    post_inbound(&app.url, "SMlog1", "+15557654321").await;
    post_inbound(&app.url, "SMlog1", "+15557654321").await;
    let bad = tests::client()
        .post(format!("{}/webhooks/twilio/inbound-sms", app.url))
        .form(&[
            ("MessageSid", "SMlog2"),
            ("From", "+15557654321"),
            ("To", "12345"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    wait_for_thread(&app.url, "+15551111111", 1).await;
    let (code, logs) = app.terminate();
    assert_eq!(code, 0, "clean exit on SIGTERM:\n{logs}");
    assert!(
        logs.contains("inbound message routed"),
        "the flow was logged:\n{logs}"
    );
    assert!(
        logs.contains("+1555****4321"),
        "numbers appear redacted:\n{logs}"
    );
    let leaks: Vec<&str> = logs
        .lines()
        .filter(|l| engine::phone::contains_unredacted(l))
        .collect();
    assert!(
        leaks.is_empty(),
        "unredacted phone numbers in the logs:\n{}",
        leaks.join("\n")
    );
    if let Some((admin, name)) = pg {
        tests::drop_database(admin, name);
    }
}

#[tokio::test]
async fn a_worker_process_runs_jobs_that_serve_enqueued() {
    let (_dir, db, pg) = database().await;
    let web = start(&db, &["serve", "--demo", "--no-workers"]);
    post_inbound(&web.url, "SMw1", "+15550006001").await;
    post_inbound(&web.url, "SMw2", "+15550006002").await;
    // Nothing routes them while no worker runs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        owner_threads(&web.url)
            .await
            .iter()
            .filter(|t| t["clientName"].is_null())
            .count(),
        0
    );
    let worker = start(&db, &["worker"]);
    wait_for_thread(&web.url, "+15551111111", 2).await;
    let (code, _) = worker.terminate();
    assert_eq!(code, 0);
    let (code, _) = web.terminate();
    assert_eq!(code, 0);
    if let Some((admin, name)) = pg {
        tests::drop_database(admin, name);
    }
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["migrate"])
        .env("SWITCHBOARD_ADDR", "not-an-address")
        .output()
        .expect("run switchboard");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("SWITCHBOARD_ADDR"), "{stderr}");
}

async fn login(url: &str) -> reqwest::Client {
    let c = tests::client();
    let res = c
        .post(format!("{url}/api/auth/login"))
        .json(&serde_json::json!({ "email": "owner@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    c
}

async fn mock_sent(c: &reqwest::Client, url: &str, body: &str) -> usize {
    let list: Value = c
        .get(format!("{url}/api/dev/mock/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"] == body)
        .count()
}

/// The statuses of the message's delivery attempts, oldest first.
async fn attempts(c: &reqwest::Client, url: &str, thread: &str, message: &str) -> Vec<String> {
    let list: Value = c
        .get(format!("{url}/api/messages/threads/{thread}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message)
        .cloned()
        .unwrap();
    m["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(45);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_send_cut_off_by_a_crash_is_marked_uncertain_and_never_resent() {
    let (_dir, db, _pg) = database().await;
    let env = [("SWITCHBOARD_SEND_LEASE_MS", "500")];
    let first = start_with(&db, &["serve", "--demo"], &env);
    let url = first.url.clone();
    let c = login(&url).await;
    let threads = owner_threads(&url).await;
    let thread = threads
        .iter()
        .find(|t| t["clientName"] == "John Smith")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The carrier takes the text, then the answer is slow: the crash comes in between.
    let res = c
        .post(format!("{url}/api/dev/mock/config"))
        .json(&serde_json::json!({ "latencyMs": 30000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = "Crash test: see you at 3pm";
    let sent: Value = c
        .post(format!("{url}/api/messages/threads/{thread}/messages"))
        .json(&serde_json::json!({ "body": body }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message = sent["message"]["id"].as_str().unwrap().to_owned();
    wait_until("the carrier has the text", || async {
        mock_sent(&c, &url, body).await == 1
    })
    .await;
    drop(first); // SIGKILL: no chance to record the provider's answer

    let second = start_with(&db, &["serve"], &env);
    let url = second.url.clone();
    let c = login(&url).await;
    let res = c
        .post(format!("{url}/api/dev/mock/config"))
        .json(&serde_json::json!({ "latencyMs": 0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    wait_until("the cut-off attempt is marked uncertain", || async {
        attempts(&c, &url, &thread, &message).await == ["uncertain"]
    })
    .await;
    assert_eq!(
        mock_sent(&c, &url, body).await,
        1,
        "not resent after the restart"
    );
    let alerts: Value = c
        .get(format!("{url}/api/alerts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |a| a["title"] == "Message Delivery Uncertain" && a["entityId"] == message.as_str()
            ),
        "{alerts}"
    );

    // Resending is the owner's decision.
    let res = c
        .post(format!("{url}/api/messages/{message}/retry"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    wait_until("the retry is delivered", || async {
        attempts(&c, &url, &thread, &message).await == ["uncertain", "delivered"]
    })
    .await;
    assert_eq!(mock_sent(&c, &url, body).await, 2);
    let (code, _) = second.terminate();
    assert_eq!(code, 0);
}

/// An org connects its own Twilio account (the fake), tests it, points its numbers at
/// us and texts through it, with debug logs on: the auth token, in clear or inside the
/// Basic credentials, appears in no log line.
#[tokio::test]
async fn the_twilio_auth_token_never_reaches_the_logs() {
    use base64::Engine as _;
    use tests::fake_twilio::{ACCOUNT_SID, AUTH_TOKEN, FakeTwilio};
    let fake = FakeTwilio::start().await;
    for e164 in engine::provider::mock_account::STARTER_NUMBERS {
        fake.add_number(e164);
    }
    let (_dir, db, pg) = database().await;
    let api_base = fake.base_url();
    let env = [
        ("SWITCHBOARD_SECRET_KEY", "an instance secret for this test"),
        ("TWILIO_API_BASE", api_base.as_str()),
        ("PUBLIC_BASE_URL", "https://switchboard.example.com"),
        ("SWITCHBOARD_SEND_INTERVAL_MS", "0"),
    ];
    let app = start_with(&db, &["serve", "--demo"], &env);
    let c = login(&app.url).await;
    let post = |path: &str, body: Value| c.post(format!("{}{path}", app.url)).json(&body).send();
    let connect = serde_json::json!({"provider": "twilio", "accountSid": ACCOUNT_SID, "authToken": AUTH_TOKEN});
    assert_eq!(
        post("/api/setup/provider/connect", connect)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let test: Value = post("/api/setup/provider/test", Value::Null)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], true, "{test}");
    let hooks: Value = post("/api/setup/webhooks/install", Value::Null)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hooks["verified"], true, "{hooks}");
    let threads = owner_threads(&app.url).await;
    let john = threads
        .iter()
        .find(|t| t["clientName"] == "John Smith")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = post(
        &format!("/api/messages/threads/{john}/messages"),
        serde_json::json!({"body": "Via the org's Twilio"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    wait_until("the text reached Twilio", || async {
        fake.requests()
            .iter()
            .any(|r| r.path.ends_with("/Messages.json"))
    })
    .await;
    let (code, logs) = app.terminate();
    assert_eq!(code, 0, "clean exit:\n{logs}");
    assert!(
        logs.contains("provider connected"),
        "the flow was logged:\n{logs}"
    );
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"));
    for secret in [AUTH_TOKEN, &AUTH_TOKEN[..12], basic.as_str()] {
        assert!(
            !logs.contains(secret),
            "the logs show the token ({secret}):\n{logs}"
        );
    }
    if let Some((admin, name)) = pg {
        tests::drop_database(admin, name);
    }
}

/// A campaign run killed partway (SIGKILL: no chance to finish or give back its lease)
/// is taken up by the next process when its lease has run out, and finishes: every
/// booking is reminded exactly once.
#[tokio::test]
async fn a_campaign_run_killed_partway_finishes_in_the_next_process_reminding_each_booking_once() {
    const N: usize = 300;
    let (_dir, db, _pg) = database().await;
    let env = [("SWITCHBOARD_RUN_LEASE_MS", "500")];
    let first = start_with(&db, &["serve", "--demo"], &env);
    let url = first.url.clone();
    let c = login(&url).await;
    // The demo's active automations would text every new booking too: quiet them.
    let automations: Value = c
        .get(format!("{url}/api/automations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for a in automations.as_array().unwrap() {
        if a["status"] == "active" {
            let res = c
                .post(format!(
                    "{url}/api/automations/{}/pause",
                    a["id"].as_str().unwrap()
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for i in 0..N {
        let client: Value = c
            .post(format!("{url}/api/clients"))
            .json(&serde_json::json!({"name": format!("Kim K{i:04}"), "phone": format!("+1555880{i:04}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let start = now + 2 * 3_600_000 + i as i64 * 60_000;
        let iso = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let res = c
            .post(format!("{url}/api/bookings"))
            .json(
                &serde_json::json!({"clientId": client["id"], "serviceType": "dog_walk",
                "startAt": iso(start), "endAt": iso(start + 3_600_000)}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let campaigns: Value = c
        .get(format!("{url}/api/campaigns"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reminders = campaigns[0]["id"].as_str().unwrap().to_owned();
    let run: Value = c
        .post(format!("{url}/api/campaigns/{reminders}/run"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run_id = run["id"].as_str().unwrap().to_owned();
    let run_url = format!("{url}/api/campaigns/runs/{run_id}");
    loop {
        let r: Value = c.get(&run_url).send().await.unwrap().json().await.unwrap();
        assert_ne!(r["status"], "done", "the run finished before the kill: {r}");
        if r["sent"].as_i64().unwrap_or(0) >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(first); // SIGKILL mid-run

    let second = start_with(&db, &["serve"], &env);
    let url = second.url.clone();
    let c = login(&url).await;
    let run_url = format!("{url}/api/campaigns/runs/{run_id}");
    wait_until("the run is finished by the second process", || {
        let (c, run_url) = (c.clone(), run_url.clone());
        async move {
            let r: Value = c.get(&run_url).send().await.unwrap().json().await.unwrap();
            r["status"] == "done"
        }
    })
    .await;
    let last: Value = c.get(&run_url).send().await.unwrap().json().await.unwrap();
    // The demo's own visit in the next day (David's) and ours.
    assert_eq!(last["sent"], N as i64 + 1, "{last}");
    let csv = c
        .get(format!(
            "{url}/api/owner/export/conversations.csv?days=1&include_phone=true"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Ours only: the demo's own reminder automation texts David too.
    let reminders: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains("a reminder from Snout Pet Care") && l.contains(",Kim K"))
        .collect();
    assert_eq!(reminders.len(), N);
    for i in 0..N {
        let name = format!(",Kim K{i:04},");
        let n = reminders.iter().filter(|l| l.contains(&name)).count();
        assert_eq!(n, 1, "Kim K{i:04} was reminded {n} times");
    }
    let (code, _) = second.terminate();
    assert_eq!(code, 0);
}
