//! The black-box test harness: [`TestApp`] starts the real server (router, job workers,
//! migrations) on a random port with a fresh database, a temporary SQLite file, or, when
//! `TEST_DATABASE_URL` is set, a new PostgreSQL database, and drives it over HTTP.

pub mod browser;
pub mod fake_twilio;
pub mod pages;
pub mod twilio_openapi;

use std::{net::SocketAddr, time::Duration};

use api::{AppState, Config};
use engine::{Clock, Engine};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use engine::demo;

pub struct TestApp {
    pub addr: SocketAddr,
    pub engine: Engine,
    pub state: AppState,
    /// A client with no cookies; see [`TestApp::login`] for a logged-in one.
    pub client: Client,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<()>>,
    config: Config,
    _dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database next to
/// `TEST_DATABASE_URL` (returned with its admin URL so it can be dropped afterwards).
pub async fn fresh_database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("sb_test_{}", uuid::Uuid::new_v4().simple());
            let pool = sqlx_admin(&admin).await;
            sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        }
        _ => (format!("sqlite://{}/switchboard.db", dir.display()), None),
    }
}

async fn sqlx_admin(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect to TEST_DATABASE_URL")
}

pub fn drop_database(admin: String, name: String) {
    // Drop runs outside any runtime we may block on: use a thread with its own.
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let pool = sqlx_admin(&admin).await;
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "drop database if exists {name} with (force)"
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        });
    })
    .join();
}

async fn start(
    config: Config,
    clock: Clock,
) -> (
    AppState,
    SocketAddr,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let state = api::build_state(config, clock).await.expect("build state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn({
        let (state, shutdown) = (state.clone(), shutdown.clone());
        async move {
            api::serve(state, listener, shutdown, true)
                .await
                .expect("serve")
        }
    });
    (state, addr, shutdown, server)
}

impl TestApp {
    /// A running app with the demo org seeded.
    pub async fn spawn() -> Self {
        let app = Self::spawn_empty().await;
        engine::demo::seed(&app.engine)
            .await
            .expect("seed demo org");
        app
    }

    /// A running app with an empty database.
    pub async fn spawn_empty() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A running app with an empty database and settings changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        init_test_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg_database) = fresh_database(dir.path()).await;
        let mut config = Config {
            database_url: url,
            job_poll: Duration::from_millis(20),
            retry_base: Duration::from_millis(1),
            ..Config::default()
        };
        configure(&mut config);
        let (state, addr, shutdown, server) = start(config.clone(), Clock::default()).await;
        Self {
            addr,
            engine: state.engine.clone(),
            state,
            client: client(),
            shutdown,
            server: Some(server),
            config,
            _dir: dir,
            pg_database,
        }
    }

    /// Stops the app the way a SIGTERM does and starts a new process's worth of it (new
    /// engine, workers and listener) on the same database and clock: what survives is
    /// what was durable.
    pub async fn restart(mut self) -> Self {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
        let (state, addr, shutdown, server) =
            start(self.config.clone(), self.engine.clock.clone()).await;
        self.addr = addr;
        self.engine = state.engine.clone();
        self.state = state;
        self.shutdown = shutdown;
        self.server = Some(server);
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Runs one statement against the app's database (for arranging what the API cannot
    /// yet set up).
    pub async fn exec(&self, sql: &'static str, binds: &[&str]) {
        engine::db!(&self.engine.db, c => {
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })
        .expect(sql);
    }

    /// A client logged in as `email`; panics if the login fails.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        let c = client();
        let res = c
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::OK, "login as {email}");
        c
    }

    pub async fn owner(&self) -> Client {
        self.login(demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await
    }

    pub async fn sitter(&self) -> Client {
        self.login(demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await
    }

    /// Posts an inbound SMS webhook, form-encoded as Twilio does.
    pub async fn inbound(&self, sid: &str, from: &str, to: &str, body: &str) -> Response {
        self.client
            .post(self.url("/webhooks/twilio/inbound-sms"))
            .form(&[
                ("MessageSid", sid),
                ("From", from),
                ("To", to),
                ("Body", body),
                ("AccountSid", "ACtest"),
            ])
            .send()
            .await
            .expect("webhook")
    }

    /// Waits until every queued job has run (including retries due soon). Never sleeps
    /// a fixed time: it watches the queue and returns as soon as it is empty.
    pub async fn drain(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        // Quiet three polls in a row: a job can hand the mock's status callbacks to the
        // feed as it finishes, and a callback can queue a retry as it is applied.
        let mut quiet = 0;
        loop {
            let callbacks = self.engine.status_feed.pending();
            let n = engine::jobs::unfinished(&self.engine.db)
                .await
                .expect("count jobs");
            quiet = if n == 0 && callbacks == 0 {
                quiet + 1
            } else {
                0
            };
            if quiet == 3 {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "{n} jobs and {callbacks} status callbacks still unfinished after 30 s:\n{}",
                    self.unfinished_jobs().await
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The queue's unfinished jobs, a line each, for a drain that timed out.
    async fn unfinished_jobs(&self) -> String {
        let sql = if self.engine.db.kind() == "postgres" {
            "select job_type || ' ' || status || ' attempts=' || attempts || ' run_at=' || run_at
                 || ' lock_by=' || coalesce(lock_by, '-') || ' ' || coalesce(last_result::text, '')
               from apalis.jobs where status in ('Pending', 'Queued', 'Running')"
        } else {
            "select job_type || ' ' || status || ' attempts=' || attempts || ' run_at=' || run_at
                 || ' now=' || strftime('%s', 'now') || ' lock_by=' || coalesce(lock_by, '-')
                 || ' ' || coalesce(last_result, '')
               from Jobs where status in ('Pending', 'Queued', 'Running')"
        };
        let rows: Vec<String> = engine::db!(&self.engine.db, c => {
            sqlx::query_scalar(sql).fetch_all(c).await
        })
        .unwrap_or_else(|e| vec![e.to_string()]);
        rows.join("\n")
    }

    /// Stops the server and workers the way a SIGTERM does, and waits for them.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some((admin, name)) = self.pg_database.take() {
            if let Some(server) = self.server.take() {
                server.abort();
            }
            drop_database(admin, name);
        }
    }
}

pub fn client() -> Client {
    engine::install_tls_provider();
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// GETs JSON, asserting the status.
/// Sends a JSON request and answers its status and JSON body (`null` if none).
pub async fn call(
    c: &Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = c.request(method, url);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn get_json(c: &Client, url: &str, status: StatusCode) -> Value {
    let res = c.get(url).send().await.expect("request");
    assert_eq!(res.status(), status, "GET {url}");
    res.json().await.expect("json body")
}

/// The owner inbox's threads as JSON values.
pub async fn owner_threads(app: &TestApp, c: &Client) -> Vec<Value> {
    let page = get_json(
        c,
        &app.url("/api/messages/threads?inbox=owner&limit=200"),
        StatusCode::OK,
    )
    .await;
    page["threads"].as_array().cloned().unwrap_or_default()
}

/// The owner-inbox summary of the thread of the client called `name` (empty: an unknown
/// sender) on the business number `business`; panics if there is none.
pub async fn thread_on(app: &TestApp, c: &Client, name: &str, business: &str) -> Value {
    owner_threads(app, c)
        .await
        .into_iter()
        .find(|t| {
            t["messageNumber"] == business
                && (t["clientName"] == name || name.is_empty() && t["clientName"].is_null())
        })
        .unwrap_or_else(|| panic!("no thread for {name:?} on {business}"))
}

/// The messages of one thread as JSON values.
pub async fn thread_messages(app: &TestApp, c: &Client, thread_id: &str) -> Vec<Value> {
    let body = get_json(
        c,
        &app.url(&format!("/api/messages/threads/{thread_id}/messages")),
        StatusCode::OK,
    )
    .await;
    body["messages"].as_array().cloned().unwrap_or_default()
}

/// A second org, "Other Co", for tests that one org never sees another's data: its
/// owner (logged in), a sitter, a front-desk number, and a thread with a client number.
pub struct OtherOrg {
    pub org_id: String,
    pub owner: Client,
    pub sitter_id: String,
    pub thread_id: String,
}

/// Other Co's front-desk number, and the number of its thread's client.
pub const OTHER_FRONT_DESK: &str = "+15559990000";
pub const OTHER_CLIENT: &str = "+15557770000";

impl TestApp {
    pub async fn other_org(&self) -> OtherOrg {
        use engine::accounts::{self, NewUser, Role};
        let now = self.engine.clock.now();
        let hash = accounts::hash_password("secret-pass".to_owned())
            .await
            .unwrap();
        let mut tx = self.engine.db.begin().await.unwrap();
        let org_id = accounts::create_org(&mut tx, "Other Co", now)
            .await
            .unwrap();
        let boss = NewUser {
            email: "boss@other.test",
            name: "Boss",
            role: Role::Owner,
            password_hash: &hash,
        };
        accounts::create_user(&mut tx, &org_id, boss, now)
            .await
            .unwrap();
        let walker = NewUser {
            email: "walker@other.test",
            name: "Walker",
            role: Role::Sitter,
            password_hash: &hash,
        };
        let sitter_id = accounts::create_user(&mut tx, &org_id, walker, now)
            .await
            .unwrap();
        let number = engine::numbers::create(
            &mut tx,
            &org_id,
            OTHER_FRONT_DESK,
            engine::numbers::NumberClass::FrontDesk,
            None,
            now,
        )
        .await
        .unwrap();
        let thread_id =
            engine::threads::find_or_create(&mut tx, &org_id, &number, OTHER_CLIENT, now)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        OtherOrg {
            org_id,
            owner: self.login("boss@other.test", "secret-pass").await,
            sitter_id,
            thread_id,
        }
    }
}

/// Logs of the app under test, on when `TEST_LOG` is set (e.g. `TEST_LOG=debug`).
pub fn init_test_logs() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}
