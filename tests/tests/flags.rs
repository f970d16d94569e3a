//! Feature flags: install defaults, per-org overrides, what each one turns off, and that
//! flipping one loses nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, demo, get_json, owner_threads, thread_on};

async fn set_flags(app: &TestApp, owner: &reqwest::Client, changes: Value) -> (StatusCode, Value) {
    let res = owner
        .put(app.url("/api/settings/flags"))
        .json(&changes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn flag<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap()
}

#[tokio::test]
async fn messaging_off_hides_the_inbox_and_holds_inbound_texts_until_it_is_back_on() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (status, list) = set_flags(&app, &owner, json!({ "ENABLE_MESSAGING_V1": false })).await;
    assert_eq!(status, StatusCode::OK);
    let f = flag(&list, "ENABLE_MESSAGING_V1");
    assert_eq!(
        (
            f["enabled"].as_bool(),
            f["default"].as_bool(),
            f["overridden"].as_bool()
        ),
        (Some(false), Some(true), Some(true))
    );

    let res = owner
        .get(app.url("/api/messages/threads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = owner.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let dashboard = owner
        .get(app.url("/dashboard"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !dashboard.contains("href=\"/inbox\""),
        "the inbox link is hidden"
    );
    let sitter = app.sitter().await;
    let res = sitter
        .get(app.url("/api/sitter/threads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Webhooks are still taken and stored, and wait.
    let res = app
        .inbound("SMheld", "+15551234567", demo::FRONT_DESK, "Held while off")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.drain().await;
    let diagnostics = get_json(
        &owner,
        &app.url("/api/messages/diagnostics"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(diagnostics["featureFlags"]["ENABLE_MESSAGING_V1"], false);

    let (status, _) = set_flags(&app, &owner, json!({ "ENABLE_MESSAGING_V1": null })).await;
    assert_eq!(status, StatusCode::OK);
    app.drain().await;
    let thread = thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let messages = tests::thread_messages(&app, &owner, thread["id"].as_str().unwrap()).await;
    assert_eq!(
        messages.last().unwrap()["body"],
        "Held while off",
        "filed once messaging is back on"
    );
    let audit = get_json(
        &owner,
        &app.url("/api/audit/events?type=settings.flag_changed"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["events"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn sitter_messages_off_closes_only_the_sitters_side() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    set_flags(&app, &owner, json!({ "ENABLE_SITTER_MESSAGES_V1": false })).await;
    let sitter = app.sitter().await;
    let res = sitter
        .get(app.url("/api/sitter/threads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = sitter.get(app.url("/sitter/inbox")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        !owner_threads(&app, &owner).await.is_empty(),
        "owners keep working"
    );

    set_flags(&app, &owner, json!({ "ENABLE_SITTER_MESSAGES_V1": true })).await;
    let res = sitter
        .get(app.url("/api/sitter/threads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_install_default_applies_until_an_org_overrides_it_and_bad_names_are_refused() {
    let app = TestApp::spawn_with(|c| {
        c.flags
            .insert("ENABLE_SITTER_MESSAGES_V1".to_owned(), false);
    })
    .await;
    engine::demo::seed(&app.engine).await.unwrap();
    let owner = app.owner().await;
    let list = get_json(&owner, &app.url("/api/settings/flags"), StatusCode::OK).await;
    let f = flag(&list, "ENABLE_SITTER_MESSAGES_V1");
    assert_eq!(
        (f["enabled"].as_bool(), f["overridden"].as_bool()),
        (Some(false), Some(false))
    );
    let sitter = app.sitter().await;
    let res = sitter
        .get(app.url("/api/sitter/threads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, list) = set_flags(&app, &owner, json!({ "ENABLE_SITTER_MESSAGES_V1": true })).await;
    assert_eq!(flag(&list, "ENABLE_SITTER_MESSAGES_V1")["enabled"], true);
    let res = sitter
        .get(app.url("/api/sitter/threads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let (status, body) = set_flags(&app, &owner, json!({ "ENABLE_EVERYTHING": true })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["name"]
            .as_str()
            .unwrap()
            .contains("ENABLE_EVERYTHING")
    );
    let res = sitter
        .put(app.url("/api/settings/flags"))
        .json(&json!({ "ENABLE_MESSAGING_V1": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = owner.get(app.url("/settings")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("ENABLE_PROACTIVE_THREAD_CREATION")
    );
}
