//! A small WebDriver client for browser tests: Debian's `chromium` driven headless by
//! `chromedriver`, spoken to over its W3C HTTP protocol.
//!
//! Without Chromium the tests say so and skip, unless `REQUIRE_BROWSER=1` (as in CI),
//! where a missing browser fails them.

use std::{
    io::{Read, Write},
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::Client;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    http: Client,
    base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn find(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .into_iter()
        .chain(candidates.iter().map(PathBuf::from))
        .find(|p| p.exists())
}

impl Browser {
    /// Starts headless Chromium, or returns `None` (after saying why) when it is not
    /// installed and `REQUIRE_BROWSER` is not set.
    pub async fn start() -> Option<Self> {
        let chromium = find(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let driver = find("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            assert!(
                std::env::var("REQUIRE_BROWSER").as_deref() != Ok("1"),
                "REQUIRE_BROWSER=1 but chromium/chromedriver are not installed"
            );
            eprintln!(
                "skipping browser test: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        // A process group of its own, which the Chromium it starts joins: dropping the
        // browser can then end them all.
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut browser = Self {
            http: crate::client(),
            base: format!("http://127.0.0.1:{port}"),
            driver: child,
            _profile: profile,
        };
        browser.wait_ready().await;
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1200,900", format!("--user-data-dir={}", browser._profile.path().display())]
        }}}});
        let session = browser.call("POST", "/session", Some(caps)).await;
        let id = session["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        Some(browser)
    }

    async fn wait_ready(&mut self) {
        for _ in 0..200 {
            if let Ok(res) = self.http.get(format!("{}/status", self.base)).send().await
                && res.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not start");
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .json(&body.unwrap_or_else(|| json!({}))),
        };
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        let status = res.status();
        let value: Value = res.json().await.expect("webdriver json");
        assert!(
            status.is_success(),
            "webdriver {method} {path}: {status} {value}"
        );
        value["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn current_url(&self) -> String {
        self.call("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn try_find(&self, css: &str) -> Option<String> {
        let res = self
            .http
            .post(format!("{}/element", self.base))
            .json(&json!({ "using": "css selector", "value": css }))
            .send()
            .await
            .ok()?;
        if !res.status().is_success() {
            return None;
        }
        let v: Value = res.json().await.ok()?;
        v["value"][ELEMENT].as_str().map(str::to_owned)
    }

    /// The element matching `css`, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> String {
        for _ in 0..200 {
            if let Some(id) = self.try_find(css).await {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no element matches {css} on {}", self.current_url().await);
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/clear"), None)
            .await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/click"), None)
            .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call("GET", &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Types `text` at the end of the field's value, as keystrokes.
    pub async fn type_keys(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// A field's current value (its `value` property).
    pub async fn value(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call("GET", &format!("/element/{id}/property/value"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn is_enabled(&self, css: &str) -> bool {
        let id = self.find(css).await;
        self.call("GET", &format!("/element/{id}/enabled"), None)
            .await
            .as_bool()
            .unwrap_or(false)
    }

    /// Runs `script` in the page (its `arguments` are `args`) and returns its result.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    async fn try_execute(&self, script: &str, args: Value) -> Option<Value> {
        let res = self
            .http
            .post(format!("{}/execute/sync", self.base))
            .json(&json!({ "script": script, "args": args }))
            .send()
            .await
            .ok()?;
        if !res.status().is_success() {
            return None;
        }
        let v: Value = res.json().await.ok()?;
        Some(v["value"].clone())
    }

    /// Waits up to 20 s for an element matching `css` whose text contains `needle`, and
    /// returns that text. Background jobs and the page's polling take their time: this
    /// watches the page instead of sleeping.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut last = String::new();
        while tokio::time::Instant::now() < deadline {
            // Mid-navigation a script can fail: that is one more try, not an error.
            let found = self
                .try_execute(
                    "return Array.from(document.querySelectorAll(arguments[0]), (e) => e.innerText);",
                    json!([css]),
                )
                .await
                .unwrap_or_default();
            let texts: Vec<String> = found
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(t) = texts.iter().find(|t| t.contains(needle)) {
                return t.clone();
            }
            last = texts.join(" | ");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no {css} with {needle:?} on {} (last seen: {last:?})",
            self.current_url().await
        );
    }

    /// Waits up to 20 s until no element matching `css` is shown (none left, or every
    /// one `hidden`): a message the page takes back once the input is right again.
    pub async fn wait_for_hidden(&self, css: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::time::Instant::now() < deadline {
            let shown = self
                .try_execute(
                    "return Array.from(document.querySelectorAll(arguments[0])).some((e) => !e.closest('[hidden]'));",
                    json!([css]),
                )
                .await;
            if shown == Some(Value::Bool(false)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} still shown on {}", self.current_url().await);
    }

    /// Waits up to 10 s for the URL's path to become `path`.
    pub async fn wait_for_path(&self, path: &str) {
        for _ in 0..200 {
            let url = self.current_url().await;
            if url
                .split_once("//")
                .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                .is_some_and(|p| p.split('?').next() == Some(path))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected to reach {path}, still at {}",
            self.current_url().await
        );
    }

    /// Saves a PNG of the page (for looking at by hand).
    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine as _;
        let data = self.call("GET", "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("png");
        std::fs::write(path, bytes).expect("write screenshot");
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Close the session so Chromium quits. The test's runtime is blocked in this drop,
        // so not through `self.http`, whose pooled connection that runtime drives: a plain
        // request on a connection of its own.
        let _ = close_session(&self.base);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Whatever Chromium left running in the driver's group goes too.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
    }
}

/// `DELETE` of the WebDriver session at `url` (`http://127.0.0.1:port/session/id`).
fn close_session(url: &str) -> std::io::Result<()> {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "DELETE {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    // Chromedriver answers once Chromium has quit (and may keep the connection open).
    let mut answer = Vec::new();
    let mut chunk = [0; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk)? {
            0 => break,
            n => answer.extend_from_slice(&chunk[..n]),
        }
    }
    Ok(())
}
