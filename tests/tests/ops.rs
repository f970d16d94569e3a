//! Health, readiness, counters and the OpenAPI description.

use reqwest::StatusCode;
use serde_json::Value;
use tests::{TestApp, demo, get_json};

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_does() {
    let app = TestApp::spawn().await;
    let health = get_json(&app.client, &app.url("/healthz"), StatusCode::OK).await;
    assert_eq!(health, serde_json::json!({ "status": "ok" }));
    let ready = get_json(&app.client, &app.url("/readyz"), StatusCode::OK).await;
    assert_eq!(ready["status"], "ready");
    assert!(ready["database"] == "sqlite" || ready["database"] == "postgres");
}

#[tokio::test]
async fn metrics_count_requests_per_route_template_and_webhooks() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for _ in 0..2 {
        let thread = tests::owner_threads(&app, &owner).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        tests::thread_messages(&app, &owner, &thread).await;
    }
    app.inbound("SMm1", "+15550007001", demo::FRONT_DESK, "hi")
        .await;
    app.inbound("SMm1", "+15550007001", demo::FRONT_DESK, "hi")
        .await;
    app.client
        .post(app.url("/webhooks/twilio/inbound-sms"))
        .form(&[("From", "+15550007001")])
        .send()
        .await
        .unwrap();
    app.drain().await;

    let m = get_json(&app.client, &app.url("/metrics"), StatusCode::OK).await;
    let route = &m["routes"]["/api/messages/threads/{id}/messages"];
    assert_eq!(
        route["requests"], 2,
        "counted by template, not by raw URL: {m}"
    );
    assert_eq!(m["webhooks_received_total"], 2);
    assert_eq!(m["webhooks_duplicate_total"], 1);
    assert_eq!(m["webhooks_rejected_total"], 1);
    assert_eq!(m["inbound_routed_total"], 1);
    assert!(m["total_requests"].as_u64().unwrap() >= 7);

    let text = app
        .client
        .get(app.url("/metrics/prometheus"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("# TYPE switchboard_webhooks_received_total counter"),
        "{text}"
    );
    assert!(
        text.contains("switchboard_webhooks_received_total 2"),
        "{text}"
    );
    assert!(
        text.contains(
            "switchboard_route_requests{route=\"/api/messages/threads/{id}/messages\"} 2"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn the_openapi_description_covers_the_api() {
    let app = TestApp::spawn_empty().await;
    let doc: Value = get_json(&app.client, &app.url("/api/openapi.json"), StatusCode::OK).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/session",
        "/api/messages/threads",
        "/api/messages/threads/{id}/messages",
        "/webhooks/twilio/sms",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
    assert!(
        doc["components"]["schemas"]["ThreadSummary"]["properties"]["ownerUnreadCount"].is_object()
    );
}
