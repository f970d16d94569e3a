//! Logging in, sessions, roles, API keys and org isolation.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, client, demo, get_json, owner_threads};

#[tokio::test]
async fn owner_login_answers_the_user_with_role_and_org() {
    let app = TestApp::spawn().await;
    let c = client();
    let res = c
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": "owner@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["role"], "owner");
    assert!(user["orgId"].as_str().is_some_and(|s| !s.is_empty()));
    let session = get_json(&c, &app.url("/api/auth/session"), StatusCode::OK).await;
    assert_eq!(session["email"], "owner@example.com");
}

#[tokio::test]
async fn sitter_login_answers_the_sitter_role() {
    let app = TestApp::spawn().await;
    let c = app.sitter().await;
    let session = get_json(&c, &app.url("/api/auth/session"), StatusCode::OK).await;
    assert_eq!(session["role"], "sitter");
    assert_eq!(session["name"], "Sarah Johnson");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = TestApp::spawn().await;
    let mut bodies = Vec::new();
    for (email, password) in [
        ("owner@example.com", "nope"),
        ("nobody@example.com", "password123"),
    ] {
        let res = client()
            .post(app.url("/api/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().get("set-cookie").is_none());
        bodies.push(res.text().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn repeated_failed_logins_are_refused_for_a_while() {
    let app = TestApp::spawn().await;
    let attempt = |password: &'static str| {
        let url = app.url("/api/auth/login");
        async move {
            client()
                .post(url)
                .json(&json!({ "email": "owner@example.com", "password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong").await.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = attempt("password123").await;
    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(locked.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn malformed_login_names_the_missing_field() {
    let app = TestApp::spawn().await;
    let res = client()
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": "owner@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid");
    assert!(body["fields"]["password"].is_string(), "{body}");
}

#[tokio::test]
async fn the_api_needs_a_login() {
    let app = TestApp::spawn().await;
    for path in ["/api/auth/session", "/api/messages/threads?inbox=owner"] {
        let body = get_json(&client(), &app.url(path), StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["error"], "unauthorized");
    }
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let c = app.owner().await;
    let res = c.post(app.url("/api/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    get_json(&c, &app.url("/api/auth/session"), StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_sitter_gets_403_from_owner_apis() {
    let app = TestApp::spawn().await;
    let c = app.sitter().await;
    let body = get_json(
        &c,
        &app.url("/api/messages/threads?inbox=owner"),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(body["error"], "forbidden");
}

#[tokio::test]
async fn an_api_key_acts_as_the_owner_and_a_wrong_key_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let res = owner
        .post(app.url("/api/settings/api-keys"))
        .json(&json!({ "name": "cron" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let key = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let threads = client()
        .get(app.url("/api/messages/threads"))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(threads.status(), StatusCode::OK);
    let wrong = client()
        .get(app.url("/api/messages/threads"))
        .header("X-API-Key", "sb_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_orgs_thread_is_not_found() {
    let app = TestApp::spawn().await;
    // A second org with its own owner and number.
    let now = app.engine.clock.now();
    let hash = engine::accounts::hash_password("secret-pass".to_owned())
        .await
        .unwrap();
    let mut tx = app.engine.db.begin().await.unwrap();
    let org = engine::accounts::create_org(&mut tx, "Other Co", now)
        .await
        .unwrap();
    let other = engine::accounts::NewUser {
        email: "boss@other.test",
        name: "Boss",
        role: engine::accounts::Role::Owner,
        password_hash: &hash,
    };
    engine::accounts::create_user(&mut tx, &org, other, now)
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
    app.inbound(
        "SMother",
        "+15557770000",
        "+15559990000",
        "for the other org",
    )
    .await;
    app.drain().await;

    let other_owner = app.login("boss@other.test", "secret-pass").await;
    let theirs = owner_threads(&app, &other_owner).await;
    assert_eq!(theirs.len(), 1);
    let their_thread = theirs[0]["id"].as_str().unwrap().to_owned();

    let demo_owner = app.owner().await;
    let ours = owner_threads(&app, &demo_owner).await;
    assert!(
        ours.iter().all(|t| t["id"] != their_thread.as_str()),
        "the demo owner must not list another org's thread"
    );
    let body = get_json(
        &demo_owner,
        &app.url(&format!("/api/messages/threads/{their_thread}/messages")),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["error"], "not_found");
    assert_eq!(demo::OWNER_EMAIL, "owner@example.com");
}
