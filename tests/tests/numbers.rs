//! The numbers inventory through `/api/numbers` with the mock provider: listing and
//! filters, search, buy, import, assign, quarantine, release, their bad inputs, the other
//! org's numbers, and what quarantine and release do to routing and sending; the pool's
//! daily release job and its low-water alert; the Numbers page.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tests::{
    TestApp, demo, get_json,
    pages::{csrf_of, form_login},
};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const ASHLEY: &str = "+15550100006";

async fn send(
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
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn post(c: &Client, url: &str, body: Value) -> (StatusCode, Value) {
    send(c, reqwest::Method::POST, url, Some(body)).await
}

/// `GET /api/numbers` with a query string.
async fn list(app: &TestApp, c: &Client, query: &str) -> Value {
    get_json(c, &app.url(&format!("/api/numbers{query}")), StatusCode::OK).await
}

/// The org's number `e164`, as the API lists it.
async fn number(app: &TestApp, c: &Client, e164: &str) -> Value {
    list(app, c, "?pageSize=200").await["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["e164"] == e164)
        .unwrap_or_else(|| panic!("{e164} is not listed"))
        .clone()
}

async fn id_of(app: &TestApp, c: &Client, e164: &str) -> String {
    number(app, c, e164).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn action(
    app: &TestApp,
    c: &Client,
    e164: &str,
    what: &str,
    body: Value,
) -> (StatusCode, Value) {
    let id = id_of(app, c, e164).await;
    post(c, &app.url(&format!("/api/numbers/{id}/{what}")), body).await
}

/// The audit events of one type, newest first.
async fn audit(app: &TestApp, c: &Client, kind: &str) -> Vec<Value> {
    get_json(
        c,
        &app.url(&format!("/api/audit/events?type={kind}")),
        StatusCode::OK,
    )
    .await["events"]
        .as_array()
        .unwrap()
        .clone()
}

async fn open_alerts(app: &TestApp, c: &Client, kind: &str) -> Vec<Value> {
    get_json(c, &app.url("/api/alerts?status=open"), StatusCode::OK).await["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == kind)
        .cloned()
        .collect()
}

/// Texts "Hello?" from `from` to `to` and returns its routing decision.
async fn route(app: &TestApp, c: &Client, sid: &str, from: &str, to: &str) -> Value {
    assert_eq!(
        app.inbound(sid, from, to, "Hello?").await.status(),
        StatusCode::OK
    );
    app.drain().await;
    let recent = get_json(c, &app.url("/api/routing/decisions"), StatusCode::OK).await;
    let newest = recent["decisions"][0].clone();
    assert_eq!(newest["from"], engine::phone::redact(from), "{newest}");
    assert_eq!(newest["to"], engine::phone::redact(to), "{newest}");
    newest
}

fn field(body: &Value) -> Vec<String> {
    body["fields"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_inventory_lists_the_orgs_numbers_with_filters_and_pages() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let all = list(&app, &owner, "").await;
    assert_eq!(
        all["pagination"],
        json!({"page": 1, "pageSize": 50, "total": 6, "totalPages": 1})
    );
    let front = number(&app, &owner, demo::FRONT_DESK).await;
    assert_eq!(front["type"], "frontDesk");
    assert_eq!(front["status"], "active");
    assert!(front["id"].as_str().unwrap().len() == 36, "a UUID: {front}");
    let sarah = number(&app, &owner, demo::SARAH_NUMBER).await;
    assert_eq!(
        (sarah["type"].as_str(), sarah["assignedToName"].as_str()),
        (Some("sitter"), Some("Sarah Johnson"))
    );
    assert!(sarah["assignedToUserId"].is_string() && sarah["assignedToThreadId"].is_null());
    let lent = number(&app, &owner, demo::LENT_POOL_NUMBER).await;
    assert_eq!(
        (lent["type"].as_str(), lent["assignedToName"].as_str()),
        (Some("pool"), Some("Ashley Taylor"))
    );
    assert!(lent["assignedToThreadId"].is_string());

    let pool = list(&app, &owner, "?type=pool").await;
    let pool: Vec<&str> = pool["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["e164"].as_str().unwrap())
        .collect();
    assert_eq!(pool, [demo::POOL_NUMBER, demo::LENT_POOL_NUMBER]);
    assert_eq!(
        list(&app, &owner, "?status=quarantined").await["numbers"],
        json!([])
    );
    let page = list(&app, &owner, "?pageSize=4&page=2").await;
    assert_eq!(page["numbers"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["pagination"],
        json!({"page": 2, "pageSize": 4, "total": 6, "totalPages": 2})
    );

    for (query, named) in [
        ("?type=boss", "type"),
        ("?status=gone", "status"),
        ("?pageSize=0", "pageSize"),
        ("?page=0", "page"),
    ] {
        let body = get_json(
            &owner,
            &app.url(&format!("/api/numbers{query}")),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(field(&body), [named], "{query}: {body}");
    }
    get_json(
        &app.sitter().await,
        &app.url("/api/numbers"),
        StatusCode::FORBIDDEN,
    )
    .await;
    get_json(
        &tests::client(),
        &app.url("/api/numbers"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// A second org with its own owner and front desk number.
async fn other_org(app: &TestApp) -> Client {
    let now = app.engine.clock.now();
    let hash = engine::accounts::hash_password("secret-pass".to_owned())
        .await
        .unwrap();
    let mut tx = app.engine.db.begin().await.unwrap();
    let org = engine::accounts::create_org(&mut tx, "Other Co", now)
        .await
        .unwrap();
    let boss = engine::accounts::NewUser {
        email: "boss@other.test",
        name: "Boss",
        role: engine::accounts::Role::Owner,
        password_hash: &hash,
    };
    engine::accounts::create_user(&mut tx, &org, boss, now)
        .await
        .unwrap();
    engine::numbers::create(
        &mut tx,
        &org,
        "+15559990000",
        engine::numbers::NumberClass::FrontDesk,
        None,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.login("boss@other.test", "secret-pass").await
}

#[tokio::test]
async fn tenants_never_see_or_touch_each_others_numbers() {
    let app = TestApp::spawn().await;
    let boss = other_org(&app).await;
    let theirs = list(&app, &boss, "").await;
    assert_eq!(theirs["pagination"]["total"], 1);
    let their_id = theirs["numbers"][0]["id"].as_str().unwrap().to_owned();
    let owner = app.owner().await;
    assert!(
        list(&app, &owner, "?pageSize=200").await["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["id"] != their_id.as_str())
    );
    for what in ["quarantine", "release", "assign"] {
        let (status, body) = post(
            &owner,
            &app.url(&format!("/api/numbers/{their_id}/{what}")),
            json!({"userId": null}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {body}");
    }
    // Their number cannot be brought into the demo org, nor ours into theirs.
    let (status, body) = post(
        &owner,
        &app.url("/api/numbers/buy"),
        json!({"e164": "+15559990000"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("another organisation"),
        "{body}"
    );
    let (status, body) = post(
        &boss,
        &app.url("/api/numbers/import"),
        json!({"e164": demo::FRONT_DESK}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with("e164 "),
        "{body}"
    );
    // A sitter of another org is not ours to assign.
    let sarah = get_json(
        &app.sitter().await,
        &app.url("/api/auth/session"),
        StatusCode::OK,
    )
    .await;
    let (status, body) = post(
        &boss,
        &app.url(&format!("/api/numbers/{their_id}/assign")),
        json!({"userId": sarah["id"]}),
    )
    .await;
    assert_eq!(
        (status, field(&body)),
        (StatusCode::BAD_REQUEST, vec!["userId".to_owned()]),
        "{body}"
    );
}

#[tokio::test]
async fn search_offers_the_providers_numbers_and_checks_the_region() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let found = get_json(
        &owner,
        &app.url("/api/numbers/search?region=415"),
        StatusCode::OK,
    )
    .await;
    let numbers: Vec<&str> = found["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["e164"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [
            "+14155550100",
            "+14155550101",
            "+14155550102",
            "+14155550103",
            "+14155550104"
        ]
    );
    let by_state = get_json(
        &owner,
        &app.url("/api/numbers/search?region=ca"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_state["numbers"][0]["region"], "CA");
    for bad in ["4155", "123", "Narnia", ""] {
        let body = get_json(
            &owner,
            &app.url(&format!("/api/numbers/search?region={bad}")),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(field(&body), ["region"], "{bad}: {body}");
    }
    let body = get_json(
        &owner,
        &app.url("/api/numbers/search"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(field(&body), ["region"], "{body}");
}

#[tokio::test]
async fn buying_adds_a_number_and_refuses_bad_or_taken_ones() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let url = app.url("/api/numbers/buy");
    let buy = |body: Value| post(&owner, &url, body);
    let (status, bought) = buy(json!({"e164": "+14155550101", "type": "sitter"})).await;
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    assert_eq!(
        (
            bought["e164"].as_str(),
            bought["type"].as_str(),
            bought["status"].as_str()
        ),
        (Some("+14155550101"), Some("sitter"), Some("active"))
    );
    assert_eq!(
        number(&app, &owner, "+14155550101").await["id"],
        bought["id"]
    );
    let (status, pooled) = buy(json!({"e164": "+14155550102"})).await;
    assert_eq!(
        (status, pooled["type"].as_str()),
        (StatusCode::CREATED, Some("pool")),
        "pool unless told"
    );
    // Sold: the search no longer offers them.
    let found = get_json(
        &owner,
        &app.url("/api/numbers/search?region=415"),
        StatusCode::OK,
    )
    .await;
    assert!(!found.to_string().contains("+14155550101"));
    let events = audit(&app, &owner, "number.bought").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["entityId"], bought["id"]);
    assert_eq!(events[1]["payload"]["e164"], "+1415****0101");

    for (body, status, named) in [
        (
            json!({"e164": "555"}),
            StatusCode::BAD_REQUEST,
            Some("e164"),
        ),
        (
            json!({"e164": "+14155550103", "type": "boss"}),
            StatusCode::BAD_REQUEST,
            Some("type"),
        ),
        (
            json!({"type": "pool"}),
            StatusCode::BAD_REQUEST,
            Some("e164"),
        ),
        (json!({"e164": "+14155550101"}), StatusCode::CONFLICT, None),
        (
            json!({"e164": demo::FRONT_DESK}),
            StatusCode::CONFLICT,
            None,
        ),
        (json!({"e164": "+14155559999"}), StatusCode::CONFLICT, None),
    ] {
        let (got, answer) = buy(body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        match named {
            Some(f) => assert_eq!(field(&answer), [f], "{body}: {answer}"),
            None => assert!(
                answer["message"].as_str().unwrap().contains("e164")
                    || answer["message"]
                        .as_str()
                        .unwrap()
                        .contains("not available"),
                "{answer}"
            ),
        }
    }
    let (_, answer) = buy(json!({"e164": demo::FRONT_DESK})).await;
    assert_eq!(
        answer["message"],
        "e164 +15551111111 is already one of your numbers"
    );
}

#[tokio::test]
async fn importing_takes_a_number_already_on_the_account_by_number_or_id() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let org: String = demo_org(&app).await;
    // On the mock account but not in the inventory (as after buying at the carrier's site).
    for (sid, e164) in [
        ("PN00000000000000000000000000000001", "+15557770001"),
        ("PN00000000000000000000000000000002", "+15557770002"),
    ] {
        app.exec(
            "insert into mock_number (sid, org_id, e164, created_at) values ($1, $2, $3, 0)",
            &[sid, &org, e164],
        )
        .await;
    }
    let url = app.url("/api/numbers/import");
    let import = |body: Value| post(&owner, &url, body);
    let (status, by_number) = import(json!({"e164": "+15557770001", "type": "frontDesk"})).await;
    assert_eq!(
        (status, by_number["type"].as_str()),
        (StatusCode::CREATED, Some("frontDesk")),
        "{by_number}"
    );
    let (status, by_sid) = import(json!({"sid": "PN00000000000000000000000000000002"})).await;
    assert_eq!(
        (status, by_sid["e164"].as_str()),
        (StatusCode::CREATED, Some("+15557770002")),
        "{by_sid}"
    );
    assert_eq!(audit(&app, &owner, "number.imported").await.len(), 2);
    for (body, status, named) in [
        (
            json!({"e164": "+15557770009"}),
            StatusCode::BAD_REQUEST,
            "e164",
        ),
        (
            json!({"sid": "PN99999999999999999999999999999999"}),
            StatusCode::BAD_REQUEST,
            "sid",
        ),
        (json!({"sid": "PN/../x"}), StatusCode::BAD_REQUEST, "sid"),
        (
            json!({"e164": "+15557770001", "sid": "PN00000000000000000000000000000002"}),
            StatusCode::BAD_REQUEST,
            "sid",
        ),
        (json!({}), StatusCode::BAD_REQUEST, "e164"),
        (
            json!({"e164": "not a number"}),
            StatusCode::BAD_REQUEST,
            "e164",
        ),
    ] {
        let (got, answer) = import(body.clone()).await;
        assert_eq!(
            (got, field(&answer)),
            (status, vec![named.to_owned()]),
            "{body}: {answer}"
        );
    }
    let (status, answer) = import(json!({"e164": "+15557770001"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(
        answer["message"],
        "e164 +15557770001 is already one of your numbers"
    );
}

async fn demo_org(app: &TestApp) -> String {
    let owner = app.owner().await;
    get_json(&owner, &app.url("/api/auth/session"), StatusCode::OK).await["orgId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn user_id(app: &TestApp, email: &str, password: &str) -> String {
    let c = app.login(email, password).await;
    get_json(&c, &app.url("/api/auth/session"), StatusCode::OK).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_sitter_number_is_assigned_to_a_sitter_and_a_pool_number_lent_to_a_conversation() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let mike = user_id(&app, "mike@example.com", demo::SITTER_PASSWORD).await;
    let olivia = user_id(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (status, n) = action(
        &app,
        &owner,
        demo::SARAH_NUMBER,
        "assign",
        json!({"userId": mike}),
    )
    .await;
    assert_eq!(
        (status, n["assignedToName"].as_str()),
        (StatusCode::OK, Some("Mike Chen")),
        "{n}"
    );
    let (status, n) = action(
        &app,
        &owner,
        demo::SARAH_NUMBER,
        "assign",
        json!({"userId": null}),
    )
    .await;
    assert_eq!(
        (status, &n["assignedToUserId"]),
        (StatusCode::OK, &Value::Null),
        "{n}"
    );
    let events = audit(&app, &owner, "number.assigned").await;
    assert_eq!(events[1]["payload"]["userId"], mike.as_str());

    // A stranger texts the free pool number: a conversation on it the owner can lend it to.
    route(&app, &owner, "SMpool1", "+15550007777", demo::POOL_NUMBER).await;
    let thread = tests::thread_on(&app, &owner, "", demo::POOL_NUMBER).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let john = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, n) = action(
        &app,
        &owner,
        demo::POOL_NUMBER,
        "assign",
        json!({"threadId": thread}),
    )
    .await;
    assert_eq!(
        (status, n["assignedToThreadId"].as_str()),
        (StatusCode::OK, Some(thread.as_str())),
        "{n}"
    );
    let d = route(&app, &owner, "SMpool2", "+15550007777", demo::POOL_NUMBER).await;
    assert_eq!(
        d["routingReason"], "No active assignment window",
        "now mapped: {d}"
    );
    let lent = id_of(&app, &owner, demo::LENT_POOL_NUMBER).await;

    for (e164, body, status, named) in [
        (
            demo::SARAH_NUMBER,
            json!({"userId": olivia}),
            StatusCode::BAD_REQUEST,
            Some("userId"),
        ),
        (
            demo::SARAH_NUMBER,
            json!({"userId": "no-such-user"}),
            StatusCode::BAD_REQUEST,
            Some("userId"),
        ),
        (
            demo::SARAH_NUMBER,
            json!({"threadId": thread}),
            StatusCode::BAD_REQUEST,
            Some("threadId"),
        ),
        (
            demo::FRONT_DESK,
            json!({"userId": mike}),
            StatusCode::BAD_REQUEST,
            Some("userId"),
        ),
        (
            demo::POOL_NUMBER,
            json!({"userId": mike}),
            StatusCode::BAD_REQUEST,
            Some("userId"),
        ),
        (
            demo::POOL_NUMBER,
            json!({"threadId": john}),
            StatusCode::BAD_REQUEST,
            Some("threadId"),
        ),
        (
            demo::POOL_NUMBER,
            json!({"userId": mike, "threadId": thread}),
            StatusCode::BAD_REQUEST,
            Some("threadId"),
        ),
        (
            demo::POOL_NUMBER,
            json!({}),
            StatusCode::BAD_REQUEST,
            Some("userId"),
        ),
        (
            demo::LENT_POOL_NUMBER,
            json!({"threadId": thread}),
            StatusCode::BAD_REQUEST,
            Some("threadId"),
        ),
    ] {
        let (got, answer) = action(&app, &owner, e164, "assign", body.clone()).await;
        assert_eq!(got, status, "{e164} {body}: {answer}");
        if let Some(f) = named {
            assert_eq!(field(&answer), [f], "{e164} {body}: {answer}");
        }
    }
    let (status, _) = post(
        &owner,
        &app.url(&format!("/api/numbers/{lent}/assign")),
        json!({"threadId": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(
        &owner,
        &app.url("/api/numbers/no-such-number/assign"),
        json!({"userId": null}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_quarantined_number_sends_nothing_and_its_texts_reach_the_owner_as_unmapped() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (status, n) = action(&app, &owner, demo::FRONT_DESK, "quarantine", json!({})).await;
    assert_eq!(
        (status, n["status"].as_str()),
        (StatusCode::OK, Some("quarantined")),
        "{n}"
    );
    let (status, again) = action(&app, &owner, demo::FRONT_DESK, "quarantine", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(
        list(&app, &owner, "?status=quarantined").await["pagination"]["total"],
        1
    );
    let event = &audit(&app, &owner, "number.quarantined").await[0];
    assert_eq!(
        event["payload"],
        json!({"e164": "+1555****1111", "from": "active", "to": "quarantined"})
    );

    // The owner cannot send from it…
    let john = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = post(
        &owner,
        &app.url(&format!("/api/messages/threads/{john}/messages")),
        json!({"body": "Hi"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("quarantined"),
        "{body}"
    );
    // …and a text queued before (as an automation or a retry would) is refused by the
    // send job, which checks the number again.
    let number_id = id_of(&app, &owner, demo::FRONT_DESK).await;
    let org = demo_org(&app).await;
    let mut tx = app.engine.db.begin().await.unwrap();
    let text = engine::outbound::Text {
        thread_id: &john,
        number_id: &number_id,
        from: demo::FRONT_DESK,
        to: "+15551234567",
        body: "Queued before the quarantine",
        sender_user_id: None,
    };
    engine::outbound::queue(&app.engine, &mut tx, &org, text)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.drain().await;
    let sent = get_json(&owner, &app.url("/api/dev/mock/messages"), StatusCode::OK).await;
    assert_eq!(
        sent["messages"],
        json!([]),
        "nothing left the quarantined number"
    );
    let messages = tests::thread_messages(&app, &owner, &john).await;
    let queued = messages
        .iter()
        .find(|m| m["body"] == "Queued before the quarantine")
        .unwrap();
    let last = queued["deliveries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "failed");
    assert!(
        last["errorMessage"]
            .as_str()
            .unwrap()
            .contains("quarantined"),
        "{last}"
    );

    // A client's text to it reaches the owner as unmapped, with the alert.
    let d = route(&app, &owner, "SMq1", "+15551234567", demo::FRONT_DESK).await;
    assert_eq!(
        d["routingReason"],
        "Unmapped inbound message - routed to Owner Inbox"
    );
    assert_eq!(d["routingTarget"], "owner_inbox");
    assert_eq!(
        open_alerts(&app, &owner, "routing.unmapped_inbound")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn release_restores_a_quarantined_number_or_gives_it_back_to_the_provider() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = id_of(&app, &owner, demo::SARAH_NUMBER).await;
    let release = |body: &'static str| {
        owner
            .post(app.url(&format!("/api/numbers/{id}/release")))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = release("").await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "an active number is not restored"
    );
    action(&app, &owner, demo::SARAH_NUMBER, "quarantine", json!({})).await;
    let res = release("").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "active");
    assert_eq!(audit(&app, &owner, "number.restored").await.len(), 1);
    let d = route(&app, &owner, "SMr1", "+15550100002", demo::SARAH_NUMBER).await;
    assert_eq!(d["routingTarget"], "sitter", "routed as before: {d}");

    let res = release(r#"{"giveBack": "yes"}"#).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(field(&res.json().await.unwrap()), ["giveBack"]);
    // The mock account holds it (connecting the mock stocks the demo numbers).
    post(
        &owner,
        &app.url("/api/setup/provider/connect"),
        json!({"provider": "mock"}),
    )
    .await;
    let account = get_json(&owner, &app.url("/api/setup/numbers"), StatusCode::OK).await;
    assert!(account.to_string().contains(demo::SARAH_NUMBER));
    let res = release(r#"{"giveBack": true}"#).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let given = res.json::<Value>().await.unwrap();
    assert_eq!(
        (given["status"].as_str(), &given["assignedToUserId"]),
        (Some("released"), &Value::Null)
    );
    let account = get_json(&owner, &app.url("/api/setup/numbers"), StatusCode::OK).await;
    assert!(
        !account.to_string().contains(demo::SARAH_NUMBER),
        "it left the account: {account}"
    );
    assert_eq!(
        audit(&app, &owner, "number.released").await[0]["payload"]["givenBack"],
        true
    );
    let res = release(r#"{"giveBack": true}"#).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = release("").await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let d = route(&app, &owner, "SMr2", "+15550100002", demo::SARAH_NUMBER).await;
    assert_eq!(
        d["routingReason"],
        "Unmapped inbound message - routed to Owner Inbox"
    );
}

#[tokio::test]
async fn an_idle_pool_number_goes_back_to_the_pool_and_its_old_client_reaches_the_owner() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let org = demo_org(&app).await;
    let sarah = user_id(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    let ashley =
        tests::thread_on(&app, &owner, "Ashley Taylor", demo::LENT_POOL_NUMBER).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
    // Sarah looks after Ashley's pets for the next two months.
    let (start, end) = (
        app.engine.clock.now() - HOUR,
        app.engine.clock.now() + 60 * DAY,
    );
    engine::db!(&app.engine.db, c => sqlx::query(
        "insert into assignment_window (window_id, org_id, thread_id, sitter_id, start_at, end_at, created_at) values ($1, $2, $3, $4, $5, $6, $5)")
        .bind(engine::ids::new_id()).bind(&org).bind(&ashley).bind(&sarah).bind(start).bind(end)
        .execute(c).await.map(|r| r.rows_affected()))
    .unwrap();
    let d = route(&app, &owner, "SMa1", ASHLEY, demo::LENT_POOL_NUMBER).await;
    assert_eq!(
        (d["routingTarget"].as_str(), d["sitterId"].as_str()),
        (Some("sitter"), Some(sarah.as_str())),
        "{d}"
    );

    // 29 quiet days: still lent.
    app.engine.clock.advance(29 * DAY);
    engine::numbers::pool::run_today(&app.engine).await.unwrap();
    app.drain().await;
    let owner = app.owner().await;
    assert_eq!(
        number(&app, &owner, demo::LENT_POOL_NUMBER).await["assignedToThreadId"],
        ashley.as_str()
    );

    // Past 30: the daily run takes it back, once, and says so in the audit trail.
    app.engine.clock.advance(2 * DAY);
    engine::numbers::pool::run_today(&app.engine).await.unwrap();
    engine::numbers::pool::run_today(&app.engine).await.unwrap();
    app.drain().await;
    let owner = app.owner().await;
    assert_eq!(
        number(&app, &owner, demo::LENT_POOL_NUMBER).await["assignedToThreadId"],
        Value::Null
    );
    let events = audit(&app, &owner, "number.pool_released").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actorType"], "system");
    assert_eq!(events[0]["payload"]["threadId"], ashley.as_str());
    assert_eq!(events[0]["payload"]["idleDays"], 31);

    // Ashley texts again: not to Sarah, though her window is open, but to the owner.
    let d = route(&app, &owner, "SMa2", ASHLEY, demo::LENT_POOL_NUMBER).await;
    assert_eq!(d["routingTarget"], "owner_inbox", "{d}");
    assert_eq!(
        d["routingReason"],
        "Unmapped inbound message - routed to Owner Inbox"
    );
    assert_eq!(d["sitterId"], Value::Null);
    assert_eq!(
        open_alerts(&app, &owner, "routing.unmapped_inbound")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_pool_running_low_raises_a_warning_until_numbers_are_free_again() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let pool = get_json(&owner, &app.url("/api/numbers/pool"), StatusCode::OK).await;
    assert_eq!(
        pool,
        json!({"releaseAfterDays": 30, "lowWater": 1, "active": 2, "free": 1, "lent": 1, "low": false})
    );
    assert!(
        open_alerts(&app, &owner, "numbers.pool_low")
            .await
            .is_empty()
    );

    let (status, pool) = send(
        &owner,
        reqwest::Method::PUT,
        &app.url("/api/numbers/pool"),
        Some(json!({"releaseAfterDays": 14, "lowWater": 2})),
    )
    .await;
    assert_eq!(
        (status, &pool["low"]),
        (StatusCode::OK, &json!(true)),
        "{pool}"
    );
    let alerts = open_alerts(&app, &owner, "numbers.pool_low").await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0]["severity"].as_str(), alerts[0]["title"].as_str()),
        (Some("warning"), Some("Pool Numbers Running Low"))
    );
    assert!(
        alerts[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("1 pool number is free; the low-water mark is 2.")
    );
    assert_eq!(
        audit(&app, &owner, "numbers.pool_settings_changed").await[0]["payload"],
        json!({"releaseAfterDays": 14, "lowWater": 2})
    );

    let (status, _) = post(
        &owner,
        &app.url("/api/numbers/buy"),
        json!({"e164": "+12125550100", "type": "pool"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        open_alerts(&app, &owner, "numbers.pool_low")
            .await
            .is_empty(),
        "two free now"
    );
    action(&app, &owner, "+12125550100", "quarantine", json!({})).await;
    assert_eq!(
        open_alerts(&app, &owner, "numbers.pool_low").await.len(),
        1,
        "a quarantined number is not free"
    );

    for (body, named) in [
        (
            json!({"releaseAfterDays": 0, "lowWater": 1}),
            "releaseAfterDays",
        ),
        (
            json!({"releaseAfterDays": 400, "lowWater": 1}),
            "releaseAfterDays",
        ),
        (json!({"releaseAfterDays": 30, "lowWater": -1}), "lowWater"),
        (json!({"releaseAfterDays": 30}), "lowWater"),
    ] {
        let (status, answer) = send(
            &owner,
            reqwest::Method::PUT,
            &app.url("/api/numbers/pool"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, field(&answer)),
            (StatusCode::BAD_REQUEST, vec![named.to_owned()]),
            "{body}: {answer}"
        );
    }
}

// --- The Numbers page. ---

/// A browser-like client logged in through the form, with the Numbers page's CSRF token.
async fn page_owner(app: &TestApp) -> (Client, String) {
    let (c, res) = form_login(app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url("/numbers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    (c, csrf)
}

async fn form(c: &Client, url: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
    let res = c.post(url).form(fields).send().await.unwrap();
    let status = res.status();
    let to = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, to, res.text().await.unwrap())
}

#[tokio::test]
async fn the_numbers_page_lists_filters_buys_imports_and_quarantines() {
    let app = TestApp::spawn().await;
    let (c, csrf) = page_owner(&app).await;
    let page = c
        .get(app.url("/numbers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for text in [
        "<th scope=\"col\">E.164</th>",
        "<th scope=\"col\">Type</th>",
        "<th scope=\"col\">Status</th>",
        "<th scope=\"col\">Assigned</th>",
        "<th scope=\"col\">Actions</th>",
        "Buy a number",
        "Import a number",
        "Sarah Johnson",
        "Ashley Taylor",
        "href=\"/numbers\" aria-current=\"page\"",
    ] {
        assert!(page.contains(text), "{text}");
    }
    assert_eq!(page.matches("data-testid=\"number\"").count(), 6);
    let pool = c
        .get(app.url("/numbers?type=pool"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(pool.matches("data-testid=\"number\"").count(), 2);

    let found = c
        .get(app.url("/numbers?region=212"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        found.contains("+12125550100")
            && found.contains("<details class=\"card section dialog\" id=\"buy\" open>")
    );
    let (status, to, _) = form(
        &c,
        &app.url("/numbers/buy"),
        &[("csrf", &csrf), ("e164", "+12125550100"), ("type", "pool")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/numbers?done=bought")
    );
    let page = c
        .get(app.url("/numbers?done=bought"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Bought: the number is yours.") && page.contains("+12125550100"));

    let (status, _, page) = form(
        &c,
        &app.url("/numbers/import"),
        &[
            ("csrf", &csrf),
            ("number", "+15557770009"),
            ("type", "pool"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("The number is not a number on your provider account"),
        "{page}"
    );

    let owner = app.owner().await;
    let id = id_of(&app, &owner, demo::POOL_NUMBER).await;
    let (status, to, _) = form(
        &c,
        &app.url(&format!("/numbers/{id}/quarantine")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/numbers?done=quarantined")
    );
    let quarantined = c
        .get(app.url("/numbers?status=quarantined"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        quarantined.contains(demo::POOL_NUMBER) && quarantined.contains("data-testid=\"restore\"")
    );
    let (status, to, _) = form(
        &c,
        &app.url(&format!("/numbers/{id}/release")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/numbers?done=number_restored")
    );
    let (status, _, page) = form(
        &c,
        &app.url(&format!("/numbers/{id}/release")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("only quarantined numbers can become active"),
        "{page}"
    );
    let (status, _, _) = form(
        &c,
        &app.url(&format!("/numbers/{id}/quarantine")),
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, to, _) = form(
        &c,
        &app.url("/numbers/pool"),
        &[
            ("csrf", &csrf),
            ("release_after_days", "45"),
            ("low_water", "0"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/numbers?done=pool_saved")
    );
    let (status, _, page) = form(
        &c,
        &app.url("/numbers/pool"),
        &[
            ("csrf", &csrf),
            ("release_after_days", "soon"),
            ("low_water", "0"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("The release period must be a whole number."),
        "{page}"
    );
    let sitter = app.sitter().await;
    let res = sitter.get(app.url("/numbers")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/sitter/inbox");
}
