//! Inbound routing: every rule and reason, its stored trace, alerts, audit, replay and
//! diagnostics, as the owner sees them through the API.

use reqwest::StatusCode;
use serde_json::Value;
use tests::{TestApp, demo, get_json, owner_threads};

async fn history(app: &TestApp, c: &reqwest::Client, thread_id: &str) -> Vec<Value> {
    let body = get_json(
        c,
        &app.url(&format!("/api/routing/threads/{thread_id}/history")),
        StatusCode::OK,
    )
    .await;
    body["decisions"].as_array().cloned().unwrap()
}

async fn thread_for(app: &TestApp, c: &reqwest::Client, name: &str, business: &str) -> String {
    tests::thread_on(app, c, name, business).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sends one text, waits for routing, and returns the thread's newest decision.
async fn route(
    app: &TestApp,
    owner: &reqwest::Client,
    sid: &str,
    from: &str,
    to: &str,
    name: &str,
) -> (String, Value) {
    assert_eq!(
        app.inbound(sid, from, to, "Hello, I need help with my booking")
            .await
            .status(),
        StatusCode::OK
    );
    app.drain().await;
    let thread = thread_for(app, owner, name, to).await;
    let decisions = history(app, owner, &thread).await;
    (thread, decisions[0].clone())
}

#[tokio::test]
async fn no_active_window_routes_to_the_owner_inbox_with_the_demo_trace() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (thread, d) = route(
        &app,
        &owner,
        "SM123",
        "+15551234567",
        demo::FRONT_DESK,
        "John Smith",
    )
    .await;
    assert_eq!(d["routingTarget"], "owner_inbox");
    assert_eq!(d["routingReason"], "No active assignment window");
    assert_eq!(d["operational"], true);
    let steps: Vec<String> = d["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("Step {}: {}", s["step"], s["explanation"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            "Step 1: Thread validation",
            "Step 2: No active override",
            "Step 3: No active assignment window → Route to Owner Inbox"
        ]
    );
    let messages = tests::thread_messages(&app, &owner, &thread).await;
    assert_eq!(
        messages.last().unwrap()["routingReason"],
        "No active assignment window"
    );
    let audit = get_json(
        &owner,
        &app.url("/api/audit/events?type=webhook.inbound.received"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["events"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_active_window_routes_to_that_sitter() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (_, d) = route(
        &app,
        &owner,
        "SMe",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    assert_eq!(d["routingTarget"], "sitter");
    assert_eq!(d["routingReason"], "Active assignment window");
    assert_eq!(d["operational"], false);
    let sarah = get_json(
        &app.sitter().await,
        &app.url("/api/auth/session"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(d["sitterId"], sarah["id"]);
}

#[tokio::test]
async fn a_window_not_yet_started_or_already_over_routes_to_the_owner() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for (sid, from, name) in [
        ("SMf", "+15550100003", "Michael Brown"),
        ("SMp", "+15550100004", "Jessica Wilson"),
    ] {
        let (_, d) = route(&app, &owner, sid, from, demo::SARAH_NUMBER, name).await;
        assert_eq!(d["routingReason"], "No active assignment window", "{name}");
    }
}

#[tokio::test]
async fn an_unmapped_pool_number_goes_to_the_owner_with_an_alert_and_audit() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (thread, d) = route(&app, &owner, "SM999", "+15559876543", demo::POOL_NUMBER, "").await;
    assert_eq!(
        d["routingReason"],
        "Unmapped inbound message - routed to Owner Inbox"
    );
    assert_eq!(d["routingTarget"], "owner_inbox");
    let alerts = get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    let alert = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["type"] == "routing.unmapped_inbound")
        .expect("alert")
        .clone();
    assert_eq!(alert["severity"], "warning");
    assert_eq!(alert["title"], "Unmapped Inbound Message");
    assert_eq!(
        alert["description"],
        "Inbound message received for number that doesn't map to any active thread"
    );
    assert_eq!(alert["entityId"], thread.as_str());
    let audit = get_json(
        &owner,
        &app.url(&format!(
            "/api/audit/events?type=routing.unmapped_inbound&entityId={thread}"
        )),
        StatusCode::OK,
    )
    .await;
    let event = &audit["events"][0];
    assert_eq!(event["entityType"], "thread");
    assert_eq!(
        event["payload"]["decision"]["reason"],
        "Unmapped inbound message - routed to Owner Inbox"
    );

    // The same problem again bumps the open alert instead of adding one.
    app.inbound("SM1000", "+15559876543", demo::POOL_NUMBER, "Hello??")
        .await;
    app.drain().await;
    let alerts = get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    let same: Vec<_> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "routing.unmapped_inbound")
        .collect();
    assert_eq!(same.len(), 1);
    assert_eq!(same[0]["occurrences"], 2);
}

#[tokio::test]
async fn a_quarantined_or_released_number_is_unmapped_even_inside_a_window() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for (sid, status) in [("SMq", "quarantined"), ("SMr", "released")] {
        app.exec(
            "update number set status = $1 where e164 = $2",
            &[status, demo::SARAH_NUMBER],
        )
        .await;
        let (_, d) = route(
            &app,
            &owner,
            sid,
            "+15550100002",
            demo::SARAH_NUMBER,
            "Emily Davis",
        )
        .await;
        assert_eq!(
            d["routingReason"], "Unmapped inbound message - routed to Owner Inbox",
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_stranger_on_a_lent_pool_number_is_a_pool_mismatch() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (_, d) = route(
        &app,
        &owner,
        "SMpm",
        "+15550009911",
        demo::LENT_POOL_NUMBER,
        "",
    )
    .await;
    assert_eq!(d["routingReason"], "Pool number mismatch");
    assert_eq!(d["operational"], true);
    // The stranger is told, from the number they texted, where to reach the business.
    app.drain().await;
    let sent: Value = get_json(&owner, &app.url("/api/dev/mock/messages"), StatusCode::OK).await;
    let reply = &sent["messages"][0];
    assert_eq!(reply["to"], "+15550009911");
    assert_eq!(reply["from"], demo::LENT_POOL_NUMBER);
    assert!(
        reply["body"].as_str().unwrap().contains(demo::FRONT_DESK),
        "{reply}"
    );
    // The client the pool number is lent to gets ordinary routing.
    let (_, d) = route(
        &app,
        &owner,
        "SMpc",
        "+15550100006",
        demo::LENT_POOL_NUMBER,
        "Ashley Taylor",
    )
    .await;
    assert_eq!(d["routingReason"], "No active assignment window");
    app.drain().await;
    let sent: Value = get_json(&owner, &app.url("/api/dev/mock/messages"), StatusCode::OK).await;
    assert_eq!(
        sent["messages"].as_array().unwrap().len(),
        1,
        "no auto-reply to the client"
    );
}

fn in_hours(app: &TestApp, hours: i64) -> String {
    engine::clock::to_rfc3339(app.engine.clock.now() + hours * 3_600_000)
}

#[tokio::test]
async fn an_owner_pin_wins_until_it_expires() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_for(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let url = app.url(&format!("/api/messages/threads/{thread}/override"));
    let res = owner
        .put(&url)
        .json(&serde_json::json!({ "target": "owner_inbox", "until": in_hours(&app, 1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, d) = route(
        &app,
        &owner,
        "SMo1",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    assert_eq!(
        (d["routingTarget"].as_str(), d["routingReason"].as_str()),
        (Some("owner_inbox"), Some("Active override"))
    );
    let summary = owner_threads(&app, &owner)
        .await
        .into_iter()
        .find(|t| t["id"] == thread.as_str())
        .unwrap();
    assert_eq!(summary["overrideTarget"], "owner_inbox");

    // Two hours later the pin has lapsed and the window decides again.
    app.engine.clock.advance(2 * 3_600_000);
    let (_, d) = route(
        &app,
        &owner,
        "SMo2",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    assert_eq!(d["routingReason"], "Active assignment window");
    assert_eq!(d["trace"][1]["explanation"], "No active override");
    let summary = owner_threads(&app, &owner)
        .await
        .into_iter()
        .find(|t| t["id"] == thread.as_str())
        .unwrap();
    assert!(summary["overrideTarget"].is_null());
}

#[tokio::test]
async fn a_pin_to_another_sitter_routes_to_them_and_can_be_removed() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_for(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let mike: String = engine::db!(&app.engine.db, c => sqlx::query_scalar("select user_id from app_user where email = 'mike@example.com'").fetch_one(c).await).unwrap();
    let url = app.url(&format!("/api/messages/threads/{thread}/override"));
    let res = owner.put(&url).json(&serde_json::json!({ "target": "sitter", "sitterId": mike, "until": in_hours(&app, 4) })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, d) = route(
        &app,
        &owner,
        "SMm1",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    assert_eq!(
        (d["routingTarget"].as_str(), d["sitterId"].as_str()),
        (Some("sitter"), Some(mike.as_str()))
    );
    let page = owner
        .get(app.url(&format!("/inbox?thread={thread}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Pinned to <strong>Mike Chen</strong>"),
        "the thread header shows the pin"
    );

    assert_eq!(
        owner.delete(&url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let (_, d) = route(
        &app,
        &owner,
        "SMm2",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    assert_eq!(d["routingReason"], "Active assignment window");
    for kind in ["thread.override_set", "thread.override_cleared"] {
        let audit = get_json(
            &owner,
            &app.url(&format!("/api/audit/events?type={kind}&entityId={thread}")),
            StatusCode::OK,
        )
        .await;
        assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{kind}");
    }
}

#[tokio::test]
async fn a_bad_pin_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_for(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let url = app.url(&format!("/api/messages/threads/{thread}/override"));
    let owner_id = get_json(&owner, &app.url("/api/auth/session"), StatusCode::OK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        (
            serde_json::json!({ "target": "nobody", "until": in_hours(&app, 1) }),
            "target",
        ),
        (
            serde_json::json!({ "target": "sitter", "until": in_hours(&app, 1) }),
            "sitterId",
        ),
        (
            serde_json::json!({ "target": "sitter", "sitterId": owner_id, "until": in_hours(&app, 1) }),
            "sitterId",
        ),
        (
            serde_json::json!({ "target": "owner_inbox", "until": in_hours(&app, -1) }),
            "until",
        ),
        (
            serde_json::json!({ "target": "owner_inbox", "until": "tomorrow" }),
            "until",
        ),
        (serde_json::json!({ "target": "owner_inbox" }), "until"),
    ];
    for (body, field) in cases {
        let res = owner.put(&url).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(err["fields"][field].is_string(), "{body} → {err}");
    }
    let missing = owner
        .put(app.url("/api/messages/threads/nope/override"))
        .json(&serde_json::json!({ "target": "owner_inbox", "until": in_hours(&app, 1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let sitter = app.sitter().await;
    let res = sitter
        .put(&url)
        .json(&serde_json::json!({ "target": "owner_inbox", "until": in_hours(&app, 1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn overlapping_windows_go_to_the_owner_with_a_warning() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_for(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let (start, end) = (
        (app.engine.clock.now() - 60_000).to_string(),
        (app.engine.clock.now() + 60_000).to_string(),
    );
    app.exec(
        "insert into assignment_window (window_id, org_id, thread_id, sitter_id, start_at, end_at, created_at)
         select 'w-overlap', org_id, thread_id, (select user_id from app_user where email = 'mike@example.com'), cast($2 as bigint), cast($3 as bigint), 0
           from thread where thread_id = $1",
        &[&thread, &start, &end],
    )
    .await;
    let (_, d) = route(
        &app,
        &owner,
        "SMov",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    assert_eq!(d["routingReason"], "Overlapping assignment windows");
    // A second text while the overlap lasts: the same open alert, counted again.
    let (_, d) = route(
        &app,
        &owner,
        "SMov2",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    assert_eq!(d["routingReason"], "Overlapping assignment windows");
    let alerts = get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    let overlaps: Vec<&Value> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "routing.overlapping_windows")
        .collect();
    assert_eq!(overlaps.len(), 1, "{alerts}");
    assert_eq!(overlaps[0]["severity"], "warning");
    assert_eq!(overlaps[0]["occurrences"], 2);
}

/// What replaying the thread's stored decisions reports.
async fn replay(app: &TestApp, owner: &reqwest::Client, thread: &str) -> Value {
    owner
        .post(app.url(&format!("/api/routing/threads/{thread}/replay")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn replaying_stored_inputs_gives_the_same_decisions() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (thread, _) = route(
        &app,
        &owner,
        "SMr1",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    // Time and windows move on; the stored inputs still replay to the same decision.
    app.exec(
        "delete from assignment_window where thread_id = $1",
        &[&thread],
    )
    .await;
    route(
        &app,
        &owner,
        "SMr2",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    let report = replay(&app, &owner, &thread).await;
    assert_eq!(report["replayed"], 2);
    assert_eq!(report["differences"], serde_json::json!([]));
    let reasons: Vec<_> = history(&app, &owner, &thread)
        .await
        .iter()
        .map(|d| d["routingReason"].clone())
        .collect();
    assert_eq!(
        reasons,
        ["No active assignment window", "Active assignment window"]
    );

    // A decision stored by other rules (an older release, a hand edit) is reported.
    app.exec(
        "update routing_decision set reason = 'Active override', target = 'sitter'
          where thread_id = $1 and reason = 'No active assignment window'",
        &[&thread],
    )
    .await;
    let report = replay(&app, &owner, &thread).await;
    assert_eq!(report["replayed"], 2);
    let differences = report["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 1, "{report}");
    let d = &differences[0];
    assert_eq!(
        (
            &d["storedReason"],
            &d["replayedReason"],
            &d["storedTarget"],
            &d["replayedTarget"],
            &d["traceDiffers"],
        ),
        (
            &Value::from("Active override"),
            &Value::from("No active assignment window"),
            &Value::from("sitter"),
            &Value::from("owner_inbox"),
            &Value::from(false),
        )
    );
}

#[tokio::test]
async fn the_routing_history_filters_by_target_and_reason() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    route(
        &app,
        &owner,
        "SMh1",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    route(
        &app,
        &owner,
        "SMh2",
        "+15551234567",
        demo::FRONT_DESK,
        "John Smith",
    )
    .await;
    let sitters = get_json(
        &owner,
        &app.url("/api/routing/decisions?target=sitter"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(sitters["decisions"].as_array().unwrap().len(), 1);
    let windows = get_json(
        &owner,
        &app.url("/api/routing/decisions?reason=no%20active"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(windows["decisions"][0]["clientName"], "John Smith");
    get_json(
        &owner,
        &app.url("/api/routing/decisions?target=elsewhere"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    let page = owner
        .get(app.url("/routing?target=owner_inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Step 3: No active assignment window → Route to Owner Inbox"));
    assert!(
        !page.contains("+15551234567"),
        "numbers on the routing page are redacted"
    );
}

#[tokio::test]
async fn diagnostics_count_operational_owner_routing_and_redact_numbers() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    route(
        &app,
        &owner,
        "SMd1",
        "+15551234567",
        demo::FRONT_DESK,
        "John Smith",
    )
    .await;
    route(
        &app,
        &owner,
        "SMd2",
        "+15550100002",
        demo::SARAH_NUMBER,
        "Emily Davis",
    )
    .await;
    route(
        &app,
        &owner,
        "SMd3",
        "+15550009911",
        demo::LENT_POOL_NUMBER,
        "",
    )
    .await;
    let d = get_json(
        &owner,
        &app.url("/api/messages/diagnostics"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(d["ownerInboxRouted"], 2);
    assert_eq!(d["ownerInboxRoutedOperational"], 2);
    assert_eq!(d["threadsByNumberClass"]["sitter"], 3);
    assert_eq!(d["featureFlags"]["ENABLE_MESSAGING_V1"], true);
    assert_eq!(d["routingDecisions"].as_array().unwrap().len(), 3);
    assert_eq!(
        d["routingDecisions"][0]["routingReason"],
        "Pool number mismatch"
    );
    assert_eq!(
        d["sitterNoActiveWindow"], 2,
        "Michael Brown's upcoming and Jessica Wilson's past window"
    );
    assert!(!engine::phone::contains_unredacted(&d.to_string()), "{d}");
    get_json(
        &app.sitter().await,
        &app.url("/api/messages/diagnostics"),
        StatusCode::FORBIDDEN,
    )
    .await;
}
