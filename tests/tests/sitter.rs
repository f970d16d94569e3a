//! Sitter access: which conversations a sitter sees, reads and writes in, before, during
//! and after her window, and that no client number ever reaches her.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, demo, get_json, thread_on};

async fn id_of(app: &TestApp, owner: &Client, name: &str, number: &str) -> String {
    thread_on(app, owner, name, number).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn read(app: &TestApp, sitter: &Client, thread: &str) -> (StatusCode, String) {
    let res = sitter
        .get(app.url(&format!("/api/sitter/threads/{thread}/messages")))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn send(app: &TestApp, sitter: &Client, thread: &str) -> StatusCode {
    sitter
        .post(app.url(&format!("/api/sitter/threads/{thread}/messages")))
        .json(&json!({ "body": "On my way" }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_sitter_lists_only_her_active_and_upcoming_conversations_without_numbers() {
    let app = TestApp::spawn().await;
    let sitter = app.sitter().await;
    let res = sitter
        .get(app.url("/api/sitter/threads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<(&str, &str)> = list["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["clientName"].as_str().unwrap(),
                t["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(names.contains(&("Emily Davis", "active")), "{names:?}");
    assert!(names.contains(&("Michael Brown", "upcoming")), "{names:?}");
    assert!(
        !names.iter().any(|(n, _)| *n == "Jessica Wilson"),
        "a past window is not listed"
    );
    assert!(
        !names.iter().any(|(n, _)| *n == "John Smith"),
        "an owner-inbox thread is not listed"
    );
    assert!(!text.contains("+1555"), "no phone number at all: {text}");
    let page = sitter
        .get(app.url("/sitter/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("+1555010"), "no client number on the page");
}

#[tokio::test]
async fn before_during_and_after_her_window() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let sitter = app.sitter().await;
    // Michael Brown: Sarah's window opens in two days and closes in five.
    let michael = id_of(&app, &owner, "Michael Brown", demo::SARAH_NUMBER).await;
    let (status, body) = read(&app, &sitter, &michael).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "before: {body}");
    assert!(body.contains("This conversation is only available during your assignment window."));
    assert_eq!(send(&app, &sitter, &michael).await, StatusCode::FORBIDDEN);

    app.engine.clock.advance(3 * 24 * 3_600_000);
    let (status, body) = read(&app, &sitter, &michael).await;
    assert_eq!(status, StatusCode::OK, "during");
    assert!(!body.contains("+15550100003"), "masked: {body}");
    assert!(
        body.contains(demo::SARAH_NUMBER),
        "the business number stands in"
    );
    assert_eq!(send(&app, &sitter, &michael).await, StatusCode::CREATED);

    app.engine.clock.advance(3 * 24 * 3_600_000);
    let (status, _) = read(&app, &sitter, &michael).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "after");
    assert_eq!(send(&app, &sitter, &michael).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_sitters_or_another_orgs_conversation_does_not_exist_for_her() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let sitter = app.sitter().await;
    // John Smith's conversation has a window, but Mike Chen's.
    let john = id_of(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let sitters = get_json(&owner, &app.url("/api/sitters"), StatusCode::OK).await;
    let mike = sitters["sitters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Mike Chen")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = app.engine.clock.now();
    let window = json!({
        "threadId": john,
        "sitterId": mike,
        "startAt": engine::clock::to_rfc3339(now - 3_600_000),
        "endAt": engine::clock::to_rfc3339(now + 3_600_000),
    });
    let res = owner
        .post(app.url("/api/assignments/windows"))
        .json(&window)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(read(&app, &sitter, &john).await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, &sitter, &john).await, StatusCode::NOT_FOUND);

    // Another org's thread.
    let now = app.engine.clock.now();
    let mut tx = app.engine.db.begin().await.unwrap();
    let org = engine::accounts::create_org(&mut tx, "Other Co", now)
        .await
        .unwrap();
    let number = engine::numbers::create(
        &mut tx,
        &org,
        "+15559990001",
        engine::numbers::NumberClass::FrontDesk,
        None,
        now,
    )
    .await
    .unwrap();
    let theirs = engine::threads::find_or_create(&mut tx, &org, &number, "+15557770001", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(read(&app, &sitter, &theirs).await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, &sitter, &theirs).await, StatusCode::NOT_FOUND);
}
