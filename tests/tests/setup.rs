//! The setup wizard through `/api/setup/*`: with the test provider (the seeds' demo step
//! 1), and with an org's own Twilio account against the fake Twilio server, whose auth
//! token is stored encrypted and never shown; then that org's texts go out through its
//! Twilio and its webhooks are checked with its token.

use reqwest::{Client, Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use tests::{
    TestApp, demo,
    fake_twilio::{ACCOUNT_SID, AUTH_TOKEN, FakeTwilio},
    get_json,
};

const BASE: &str = "https://switchboard.example.com";
const SECRET: &str = "a long random instance secret";

/// Every answer the tests read, so they can check none carries the token.
#[derive(Default)]
struct Seen(std::sync::Mutex<String>);

impl Seen {
    async fn call(
        &self,
        c: &Client,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = c.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        self.0.lock().unwrap().push_str(&text);
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn assert_never_showed(&self, secret: &str) {
        assert!(
            !self.0.lock().unwrap().contains(secret),
            "an API answer showed the secret"
        );
    }
}

struct Wizard<'a> {
    app: &'a TestApp,
    owner: Client,
    seen: Seen,
}

impl<'a> Wizard<'a> {
    async fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            owner: app.owner().await,
            seen: Seen::default(),
        }
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self
            .seen
            .call(&self.owner, Method::GET, &self.app.url(path), None)
            .await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.seen
            .call(&self.owner, Method::POST, &self.app.url(path), Some(body))
            .await
    }

    async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.post(path, body).await;
        assert_eq!(status, StatusCode::OK, "POST {path}: {answer}");
        answer
    }

    async fn step(&self) -> i64 {
        self.get("/api/setup/progress").await["step"]
            .as_i64()
            .unwrap()
    }

    async fn sitter_id(&self, email: &str) -> String {
        let c = self.app.login(email, demo::SITTER_PASSWORD).await;
        get_json(&c, &self.app.url("/api/auth/session"), StatusCode::OK).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn audit(&self, kind: &str) -> Vec<Value> {
        self.get(&format!("/api/audit/events?type={kind}")).await["events"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn field(body: &Value) -> Vec<String> {
    body["fields"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

fn check<'a>(readiness: &'a Value, id: &str) -> &'a Value {
    readiness["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn the_wizard_with_the_test_provider_gets_to_ready_in_seven_steps() {
    let app = TestApp::spawn().await;
    let w = Wizard::new(&app).await;
    assert_eq!(w.step().await, 1);
    let status = w.get("/api/setup/provider/status").await;
    assert_eq!(status["provider"], "mock");
    assert_eq!(
        (status["source"].as_str(), status["connected"].as_bool()),
        (Some("install"), Some(false))
    );
    let before = w.get("/api/setup/readiness").await;
    assert_eq!(before["ready"], false);
    assert_eq!(check(&before, "provider")["ok"], false);

    // 1. Connect: the test provider (the default).
    let status = w
        .ok("/api/setup/provider/connect", json!({"provider": "mock"}))
        .await;
    assert_eq!(
        (status["source"].as_str(), status["connected"].as_bool()),
        (Some("org"), Some(true))
    );
    assert_eq!(
        status["label"],
        "Test provider (texts stay inside Switchboard)"
    );
    assert_eq!(w.step().await, 2);
    // 2. Test.
    let test = w.ok("/api/setup/provider/test", json!({})).await;
    assert_eq!(
        (test["ok"].as_bool(), test["message"].as_str()),
        (Some(true), Some("Connection successful"))
    );
    assert_eq!(w.step().await, 3);
    // 3. Choose: the mock account holds the seeds' numbers, already in use here.
    let account = w.get("/api/setup/numbers").await;
    let listed: Vec<(&str, &str)> = account["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["e164"].as_str().unwrap(), n["type"].as_str().unwrap()))
        .collect();
    assert!(
        listed.contains(&(demo::FRONT_DESK, "frontDesk"))
            && listed.contains(&(demo::POOL_NUMBER, "pool")),
        "{listed:?}"
    );
    let sarah = w.sitter_id(demo::SITTER_EMAIL).await;
    let chosen = w
        .ok(
            "/api/setup/numbers",
            json!({"numbers": [
                {"e164": demo::FRONT_DESK, "type": "frontDesk"},
                {"e164": demo::SARAH_NUMBER, "type": "sitter", "userId": sarah},
                {"e164": demo::POOL_NUMBER, "type": "pool"},
            ]}),
        )
        .await;
    assert_eq!(chosen["numbers"].as_array().unwrap().len(), 3);
    assert!(
        w.audit("number.type_changed").await.is_empty(),
        "nothing changed"
    );
    assert_eq!(w.step().await, 4);
    // 4. Skip buying.
    let (status, progress) = w
        .seen
        .call(
            &w.owner,
            Method::PUT,
            &app.url("/api/setup/progress"),
            Some(json!({"step": 5})),
        )
        .await;
    assert_eq!(
        (status, progress["step"].as_i64()),
        (StatusCode::OK, Some(5))
    );
    // 5. Webhooks: none needed.
    let hooks = w.get("/api/setup/webhooks/status").await;
    assert_eq!(
        (hooks["needed"].as_bool(), hooks["verified"].as_bool()),
        (Some(false), Some(true))
    );
    assert!(
        hooks["message"]
            .as_str()
            .unwrap()
            .contains("nothing to install")
    );
    let installed = w.ok("/api/setup/webhooks/install", json!({})).await;
    assert_eq!(installed["needed"], false);
    // 6. Ready.
    let ready = w.get("/api/setup/readiness").await;
    assert_eq!(ready["ready"], true, "{ready}");
    let ids: Vec<&str> = ready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "provider",
            "frontDesk",
            "sitters",
            "webhooks",
            "publicUrl",
            "owner"
        ]
    );
    assert_eq!(
        check(&ready, "publicUrl")["detail"],
        "Not needed with the test provider"
    );
    // 7. Finish.
    let done = w.ok("/api/setup/finish", json!({})).await;
    assert!(done["finishedAt"].is_string());
    for kind in ["provider.connected", "provider.tested", "setup.finished"] {
        assert_eq!(w.audit(kind).await.len(), 1, "{kind}");
    }
    // The test provider still carries the org's texts.
    let john = tests::thread_on(&app, &w.owner, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.post(
        &format!("/api/messages/threads/{john}/messages"),
        json!({"body": "Still the mock"}),
    )
    .await;
    app.drain().await;
    assert_eq!(
        w.get("/api/dev/mock/messages").await["messages"][0]["body"],
        "Still the mock"
    );
}

#[tokio::test]
async fn readiness_says_what_is_missing_and_finish_waits_for_it() {
    let app = TestApp::spawn().await;
    let w = Wizard::new(&app).await;
    w.ok("/api/setup/provider/connect", json!({"provider": "mock"}))
        .await;
    let owner = &w.owner;
    for e164 in [
        demo::FRONT_DESK,
        "+15552222223",
        demo::POOL_NUMBER,
        demo::LENT_POOL_NUMBER,
    ] {
        let id = tests::get_json(owner, &app.url("/api/numbers?pageSize=200"), StatusCode::OK)
            .await["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["e164"] == e164)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        w.ok(&format!("/api/numbers/{id}/quarantine"), json!({}))
            .await;
    }
    let ready = w.get("/api/setup/readiness").await;
    assert_eq!(ready["ready"], false);
    assert_eq!(
        check(&ready, "frontDesk")["detail"],
        "Choose a front desk number in step 3, or buy one in step 4"
    );
    assert_eq!(
        check(&ready, "sitters")["detail"],
        "Give Mike Chen a sitter number in step 3, or add pool numbers"
    );
    let (status, body) = w.post("/api/setup/finish", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Not ready yet: Choose a front desk number"),
        "{body}"
    );
    for (body, named) in [
        (json!({"step": 0}), "step"),
        (json!({"step": 8}), "step"),
        (json!({}), "step"),
    ] {
        let (status, answer) = w
            .seen
            .call(
                owner,
                Method::PUT,
                &app.url("/api/setup/progress"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (status, field(&answer)),
            (StatusCode::BAD_REQUEST, vec![named.to_owned()]),
            "{body}: {answer}"
        );
    }
    get_json(
        &app.sitter().await,
        &app.url("/api/setup/readiness"),
        StatusCode::FORBIDDEN,
    )
    .await;
}

/// An app on the install-wide mock, with a secret key, our public URL and Twilio's API
/// at the fake; the demo org's numbers are on the fake account.
async fn app_for(fake: &FakeTwilio, secret: Option<&str>) -> TestApp {
    let api_base = fake.base_url();
    let app = TestApp::spawn_with(|c| {
        c.secret_key = secret.map(|s| SecretString::from(s.to_owned()));
        c.twilio_api_base = api_base;
        c.public_base_url = Some(BASE.to_owned());
        c.send_interval = Some(std::time::Duration::ZERO);
    })
    .await;
    engine::demo::seed(&app.engine).await.unwrap();
    for e164 in engine::provider::mock_account::STARTER_NUMBERS {
        fake.add_number(e164);
    }
    app
}

fn twilio(token: &str) -> Value {
    json!({"provider": "twilio", "accountSid": ACCOUNT_SID, "authToken": token})
}

#[tokio::test]
async fn the_wizard_against_twilio_seals_the_token_and_the_org_then_texts_through_it() {
    let fake = FakeTwilio::start().await;
    let app = app_for(&fake, Some(SECRET)).await;
    let w = Wizard::new(&app).await;

    let status = w
        .ok("/api/setup/provider/connect", twilio(AUTH_TOKEN))
        .await;
    assert_eq!(status["provider"], "twilio");
    assert_eq!(
        (status["accountSid"].as_str(), status["label"].as_str()),
        (Some("AC…1659"), Some("Your Twilio account"))
    );
    let (sid, sealed): (Option<String>, Option<String>) =
        engine::db!(&app.engine.db, c => sqlx::query_as(
        "select account_sid, auth_token_sealed from org_provider")
        .fetch_one(c).await)
        .unwrap();
    assert_eq!(sid.as_deref(), Some(ACCOUNT_SID));
    let sealed = sealed.unwrap();
    assert!(
        !sealed.contains(AUTH_TOKEN) && !sealed.contains(&AUTH_TOKEN[..8]),
        "not in clear: {sealed}"
    );
    assert!(sealed.len() > AUTH_TOKEN.len(), "nonce, ciphertext and tag");

    let test = w.ok("/api/setup/provider/test", json!({})).await;
    assert_eq!(test["message"], "Connection successful", "{test}");

    // Choose: the fake account's numbers, with what they do here.
    let account = w.get("/api/setup/numbers").await;
    assert_eq!(account["numbers"].as_array().unwrap().len(), 6);
    assert!(
        account["numbers"][0]["sid"]
            .as_str()
            .unwrap()
            .starts_with("PN")
    );
    let sarah = w.sitter_id(demo::SITTER_EMAIL).await;
    let mike = w.sitter_id("mike@example.com").await;
    w.ok(
        "/api/setup/numbers",
        json!({"numbers": [
            {"e164": demo::FRONT_DESK, "type": "frontDesk"},
            {"e164": demo::SARAH_NUMBER, "type": "sitter", "userId": sarah},
            {"e164": "+15552222223", "type": "sitter", "userId": mike},
            {"e164": demo::POOL_NUMBER, "type": "pool"},
        ]}),
    )
    .await;
    for (body, status, named) in [
        (json!({"numbers": []}), StatusCode::BAD_REQUEST, "numbers"),
        (
            json!({"numbers": [{"e164": "+15557770001", "type": "pool"}]}),
            StatusCode::BAD_REQUEST,
            "e164",
        ),
        (
            json!({"numbers": [{"e164": demo::FRONT_DESK, "type": "desk"}]}),
            StatusCode::BAD_REQUEST,
            "type",
        ),
        (
            json!({"numbers": [{"e164": demo::FRONT_DESK, "type": "frontDesk", "userId": sarah}]}),
            StatusCode::BAD_REQUEST,
            "userId",
        ),
        (
            json!({"numbers": [{"e164": demo::POOL_NUMBER, "type": "pool"}, {"e164": demo::POOL_NUMBER, "type": "pool"}]}),
            StatusCode::BAD_REQUEST,
            "e164",
        ),
    ] {
        let (got, answer) = w.post("/api/setup/numbers", body.clone()).await;
        assert_eq!(
            (got, field(&answer)),
            (status, vec![named.to_owned()]),
            "{body}: {answer}"
        );
    }

    // Buy and import through the org's Twilio.
    let found = w.get("/api/numbers/search?region=415").await;
    let offered: Vec<&str> = found["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["e164"].as_str().unwrap())
        .collect();
    assert_eq!(offered, ["+14155550101", "+14155550102"]);
    let (status, bought) = w
        .post(
            "/api/numbers/buy",
            json!({"e164": "+14155550101", "type": "pool"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    let on_fake = fake
        .numbers()
        .into_iter()
        .find(|n| n.e164 == "+14155550101")
        .unwrap();
    assert_eq!(
        on_fake.sms_url,
        format!("{BASE}/webhooks/twilio/sms"),
        "bought pointing at us"
    );
    let extra = fake.add_number("+15557770001");
    let (status, imported) = w
        .post("/api/numbers/import", json!({"sid": extra, "type": "pool"}))
        .await;
    assert_eq!(
        (status, imported["e164"].as_str()),
        (StatusCode::CREATED, Some("+15557770001")),
        "{imported}"
    );

    // Webhooks: none yet on the seeds' numbers; install them all.
    let hooks = w.get("/api/setup/webhooks/status").await;
    assert_eq!(
        (hooks["needed"].as_bool(), hooks["verified"].as_bool()),
        (Some(true), Some(false)),
        "{hooks}"
    );
    let not_yet = w.get("/api/setup/readiness").await;
    assert_eq!(check(&not_yet, "webhooks")["ok"], false);
    let installed = w.ok("/api/setup/webhooks/install", json!({})).await;
    assert_eq!(installed["verified"], true, "{installed}");
    assert_eq!(installed["numbers"].as_array().unwrap().len(), 8);
    for n in fake.numbers() {
        assert_eq!(
            (n.sms_url.as_str(), n.status_callback.as_str()),
            (
                format!("{BASE}/webhooks/twilio/sms").as_str(),
                format!("{BASE}/webhooks/twilio/status").as_str()
            ),
            "{}",
            n.e164
        );
    }
    assert_eq!(w.step().await, 6);
    let ready = w.get("/api/setup/readiness").await;
    assert_eq!(ready["ready"], true, "{ready}");
    assert_eq!(
        check(&ready, "publicUrl")["detail"],
        format!("Your provider reaches Switchboard at {BASE}")
    );
    w.ok("/api/setup/finish", json!({})).await;

    // The org's texts now leave through its Twilio account, though the install's is the mock.
    let john = tests::thread_on(&app, &w.owner, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, sent) = w
        .post(
            &format!("/api/messages/threads/{john}/messages"),
            json!({"body": "Through Twilio"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(sent["delivery"]["provider"], "twilio", "{sent}");
    app.drain().await;
    let sends: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/Messages.json"))
        .collect();
    assert_eq!(sends.len(), 1);
    assert_eq!(
        (sends[0].param("From"), sends[0].param("Body")),
        (Some(demo::FRONT_DESK), Some("Through Twilio"))
    );
    let (status, _) = w
        .seen
        .call(
            &w.owner,
            Method::GET,
            &app.url("/api/dev/mock/messages"),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the mock does not carry this org's texts"
    );

    // Its webhooks must be signed with its own token.
    let params = [
        ("MessageSid", "SMorg1"),
        ("From", "+15551234567"),
        ("To", demo::FRONT_DESK),
        ("Body", "Signed?"),
    ];
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let url = format!("{BASE}/webhooks/twilio/sms");
    for (token, want) in [
        (None, StatusCode::FORBIDDEN),
        (Some("wrong"), StatusCode::FORBIDDEN),
        (Some(AUTH_TOKEN), StatusCode::OK),
    ] {
        let mut req = tests::client()
            .post(app.url("/webhooks/twilio/sms"))
            .form(&params);
        if let Some(token) = token {
            req = req.header(
                "X-Twilio-Signature",
                engine::signature::compute(token, &url, &owned),
            );
        }
        assert_eq!(req.send().await.unwrap().status(), want, "{token:?}");
    }
    let sid = sends[0].response.as_ref().unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let status_params: Vec<(String, String)> = [
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "delivered"),
        ("From", demo::FRONT_DESK),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let signature = engine::signature::compute(
        AUTH_TOKEN,
        &format!("{BASE}/webhooks/twilio/status"),
        &status_params,
    );
    let res = tests::client()
        .post(app.url("/webhooks/twilio/status"))
        .header("X-Twilio-Signature", signature)
        .form(&status_params)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    fake.assert_matches_twilio_spec();
    w.get("/api/setup/provider/status").await;
    w.get("/api/audit/events?limit=500").await;
    w.seen.assert_never_showed(AUTH_TOKEN);
}

#[tokio::test]
async fn quarantine_and_release_change_the_numbers_webhooks_at_twilio() {
    let fake = FakeTwilio::start().await;
    let app = app_for(&fake, Some(SECRET)).await;
    let w = Wizard::new(&app).await;
    w.ok("/api/setup/provider/connect", twilio(AUTH_TOKEN))
        .await;
    w.ok("/api/setup/webhooks/install", json!({})).await;
    let on_fake = |e164: &str| fake.numbers().into_iter().find(|n| n.e164 == e164);
    let id = w.get("/api/numbers?type=pool").await["numbers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        w.get("/api/numbers?type=pool").await["numbers"][0]["e164"],
        demo::POOL_NUMBER
    );

    w.ok(&format!("/api/numbers/{id}/quarantine"), json!({}))
        .await;
    assert_eq!(
        on_fake(demo::POOL_NUMBER).unwrap().sms_url,
        "",
        "texts no longer sent to us"
    );
    w.ok(&format!("/api/numbers/{id}/release"), json!({})).await;
    assert_eq!(
        on_fake(demo::POOL_NUMBER).unwrap().sms_url,
        format!("{BASE}/webhooks/twilio/sms")
    );
    let given = w
        .ok(
            &format!("/api/numbers/{id}/release"),
            json!({"giveBack": true}),
        )
        .await;
    assert_eq!(given["status"], "released");
    assert!(on_fake(demo::POOL_NUMBER).is_none(), "given back to Twilio");
    let releases = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(releases, 1);

    // A number the provider cannot update is quarantined all the same, with a warning.
    let front = w.get("/api/numbers?type=frontDesk").await["numbers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.exec(
        "update number set provider_sid = 'PN00000000000000000000000000000000' where number_id = $1",
        &[&front],
    )
    .await;
    let quarantined = w
        .ok(&format!("/api/numbers/{front}/quarantine"), json!({}))
        .await;
    assert_eq!(quarantined["status"], "quarantined");
    let alerts = w.get("/api/alerts").await;
    let alert = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["type"] == "numbers.provider_update_failed")
        .unwrap();
    assert_eq!(alert["title"], "Number Not Updated at the Provider");
    assert!(
        alert["description"]
            .as_str()
            .unwrap()
            .contains("+1555****1111"),
        "{alert}"
    );
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn twilio_credentials_are_refused_without_a_secret_key() {
    let fake = FakeTwilio::start().await;
    let app = app_for(&fake, None).await;
    let w = Wizard::new(&app).await;
    let (status, body) = w
        .post("/api/setup/provider/connect", twilio(AUTH_TOKEN))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("set SWITCHBOARD_SECRET_KEY"),
        "{body}"
    );
    let status = w.get("/api/setup/provider/status").await;
    assert_eq!(
        (status["provider"].as_str(), status["connected"].as_bool()),
        (Some("mock"), Some(false))
    );
    let rows: i64 = engine::db!(&app.engine.db, c => sqlx::query_scalar("select count(*) from org_provider").fetch_one(c).await).unwrap();
    assert_eq!(rows, 0);
    w.seen.assert_never_showed(AUTH_TOKEN);
}

#[tokio::test]
async fn bad_credentials_name_the_field_and_a_wrong_token_fails_the_test_in_plain_words() {
    let fake = FakeTwilio::start().await;
    let app = app_for(&fake, Some(SECRET)).await;
    let w = Wizard::new(&app).await;
    for (body, named) in [
        (json!({"provider": "carrier-pigeon"}), "provider"),
        (
            json!({"provider": "twilio", "authToken": AUTH_TOKEN}),
            "accountSid",
        ),
        (
            json!({"provider": "twilio", "accountSid": "AC123", "authToken": AUTH_TOKEN}),
            "accountSid",
        ),
        (
            json!({"provider": "twilio", "accountSid": ACCOUNT_SID}),
            "authToken",
        ),
        (
            json!({"provider": "twilio", "accountSid": ACCOUNT_SID, "authToken": ""}),
            "authToken",
        ),
        (json!({}), "provider"),
    ] {
        let (status, answer) = w.post("/api/setup/provider/connect", body.clone()).await;
        assert_eq!(
            (status, field(&answer)),
            (StatusCode::BAD_REQUEST, vec![named.to_owned()]),
            "{body}: {answer}"
        );
    }
    let wrong = "0123456789abcdef0123456789abcdef";
    w.ok("/api/setup/provider/connect", twilio(wrong)).await;
    let test = w.ok("/api/setup/provider/test", json!({})).await;
    assert_eq!(
        (test["ok"].as_bool(), test["message"].as_str()),
        (
            Some(false),
            Some("Twilio rejected the Account SID or Auth Token")
        )
    );
    assert_eq!(
        w.step().await,
        2,
        "a failed test does not move the wizard on"
    );
    assert_eq!(w.audit("provider.tested").await[0]["payload"]["ok"], false);
    // Connecting again with the right token takes effect at once.
    w.ok("/api/setup/provider/connect", twilio(AUTH_TOKEN))
        .await;
    let test = w.ok("/api/setup/provider/test", json!({})).await;
    assert_eq!(test["ok"], true);
    // A sealed token this instance cannot open (another secret key) fails the test and
    // the readiness check in words, not with an error page.
    // (Connecting drops the provider this process keeps; the row is then changed behind
    // its back.)
    w.ok("/api/setup/provider/connect", json!({"provider": "mock"}))
        .await;
    app.exec(
        "update org_provider set kind = 'twilio', account_sid = $1, auth_token_sealed = $2",
        &[
            ACCOUNT_SID,
            "c2VhbGVkIHdpdGggYW5vdGhlciBrZXkgYW5kIGxvbmcgZW5vdWdo",
        ],
    )
    .await;
    let test = w.ok("/api/setup/provider/test", json!({})).await;
    assert_eq!(test["ok"], false);
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .contains("cannot be read with this SWITCHBOARD_SECRET_KEY"),
        "{test}"
    );
    let ready = w.get("/api/setup/readiness").await;
    assert_eq!(check(&ready, "provider")["ok"], false, "{ready}");
    w.seen.assert_never_showed(wrong);
    w.seen.assert_never_showed(AUTH_TOKEN);
}

#[tokio::test]
async fn without_a_public_url_twilio_webhooks_cannot_be_installed_and_readiness_says_so() {
    let fake = FakeTwilio::start().await;
    let api_base = fake.base_url();
    let app = TestApp::spawn_with(|c| {
        c.secret_key = Some(SecretString::from(SECRET.to_owned()));
        c.twilio_api_base = api_base;
    })
    .await;
    engine::demo::seed(&app.engine).await.unwrap();
    let w = Wizard::new(&app).await;
    w.ok("/api/setup/provider/connect", twilio(AUTH_TOKEN))
        .await;
    let (status, body) = w.post("/api/setup/webhooks/install", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Set PUBLIC_BASE_URL"),
        "{body}"
    );
    let ready = w.get("/api/setup/readiness").await;
    assert_eq!(check(&ready, "publicUrl")["ok"], false);
    assert_eq!(check(&ready, "webhooks")["ok"], false);
    // Its inbound webhooks cannot be checked, so they are refused.
    let res = tests::client()
        .post(app.url("/webhooks/twilio/sms"))
        .form(&[
            ("MessageSid", "SMx"),
            ("From", "+15551234567"),
            ("To", demo::FRONT_DESK),
            ("Body", "hi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_org_on_its_own_twilio_is_paced_at_one_text_a_second_and_the_mock_is_not() {
    let fake = FakeTwilio::start().await;
    for e164 in engine::provider::mock_account::STARTER_NUMBERS {
        fake.add_number(e164);
    }
    let api_base = fake.base_url();
    let app = TestApp::spawn_with(|c| {
        c.secret_key = Some(SecretString::from(SECRET.to_owned()));
        c.twilio_api_base = api_base;
        c.public_base_url = Some(BASE.to_owned());
    })
    .await;
    engine::demo::seed(&app.engine).await.unwrap();
    let w = Wizard::new(&app).await;
    let john = tests::thread_on(&app, &w.owner, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let next_send_at = || async {
        let at: i64 = engine::db!(&app.engine.db, c => sqlx::query_scalar(
            "select next_send_at from number where e164 = $1")
            .bind(demo::FRONT_DESK).fetch_one(c).await)
        .unwrap();
        at
    };
    let path = format!("/api/messages/threads/{john}/messages");
    w.post(&path, json!({"body": "Mock, unpaced"})).await;
    assert_eq!(next_send_at().await, 0, "the mock reserves no slots");
    app.drain().await;
    w.ok("/api/setup/provider/connect", twilio(AUTH_TOKEN))
        .await;
    for body in ["First", "Second"] {
        let (status, _) = w.post(&path, json!({ "body": body })).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let ahead = next_send_at().await - app.engine.clock.now();
    assert!(
        (1_500..=2_000).contains(&ahead),
        "two Twilio slots reserved a second apart: {ahead} ms"
    );
    app.drain().await;
    let sends = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/Messages.json"))
        .count();
    assert_eq!(sends, 2);
}
