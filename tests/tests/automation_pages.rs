//! The automations pages over plain HTTP: the list, the builder and the Execution Logs
//! for the owner and nobody else, the re-run form with its CSRF token, and the automated
//! texts settings on `/settings`.

use engine::clock::{DAY, HOUR, to_rfc3339};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tests::pages::{get_page, location, logged_in};
use tests::{TestApp, call, client, demo, get_json};

async fn api(app: &TestApp, c: &Client, method: Method, path: &str, body: Value) -> Value {
    let (status, body) = call(c, method, &app.url(path), Some(body)).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn automation_id(app: &TestApp, name: &str) -> String {
    let list = get_json(
        &app.owner().await,
        &app.url("/api/automations"),
        StatusCode::OK,
    )
    .await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .and_then(|a| a["id"].as_str())
        .unwrap_or_else(|| panic!("no automation {name}"))
        .to_owned()
}

/// Tests and activates the stock booking confirmation, and books John a walk: one live run.
async fn confirm_a_booking(app: &TestApp, automation: &str) {
    let owner = app.owner().await;
    let path = |what: &str| format!("/api/automations/{automation}/{what}");
    let test = api(app, &owner, Method::POST, &path("test"), json!({})).await;
    assert_eq!(test["passed"], true, "{test}");
    api(app, &owner, Method::POST, &path("activate"), json!({})).await;
    let clients = get_json(&owner, &app.url("/api/clients?q=john"), StatusCode::OK).await;
    let start = app.engine.clock.now() + DAY;
    let booking = json!({"clientId": clients["clients"][0]["id"], "serviceType": "dog_walk",
                         "startAt": to_rfc3339(start), "endAt": to_rfc3339(start + HOUR)});
    api(app, &owner, Method::POST, "/api/bookings", booking).await;
    app.drain().await;
}

#[tokio::test]
async fn automation_pages_render_for_the_owner_and_send_everyone_else_away() {
    let app = TestApp::spawn().await;
    let (owner, _) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (sitter, _) = logged_in(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    let confirmation = automation_id(&app, "Booking confirmation").await;
    confirm_a_booking(&app, &confirmation).await;
    for (path, shows) in [
        ("/automations".to_owned(), "Booking confirmation"),
        (
            "/automations/new".to_owned(),
            "Step 6: Review, test and activate",
        ),
        (
            format!("/automations/{confirmation}"),
            "Thanks the client as soon as a booking is made.",
        ),
        (
            format!("/automations/{confirmation}/executions"),
            "Execution Logs",
        ),
    ] {
        let (status, page) = get_page(&owner, &app.url(&path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(shows), "{path} shows {shows}");
        let res = sitter.get(app.url(&path)).send().await.unwrap();
        assert_eq!(location(&res), "/sitter/inbox", "{path} for a sitter");
        let res = client().get(app.url(&path)).send().await.unwrap();
        assert_eq!(location(&res), "/login", "{path} for a visitor");
    }

    let (_, list) = get_page(&owner, &app.url("/automations")).await;
    for shows in [
        "href=\"/automations/new\"",
        "appointment.upcoming",
        "Execution Logs",
    ] {
        assert!(list.contains(shows), "the list shows {shows}");
    }
    // The confirmation ran when the booking was made.
    let row = list
        .split("data-testid=\"automation\"")
        .find(|r| r.contains("Booking confirmation"))
        .unwrap();
    assert!(
        row.contains("active") && row.contains("Live: v1") && row.contains("run-success"),
        "{row}"
    );
    let drafts = list.matches("data-testid=\"untested\"").count();
    assert!(drafts >= 1, "stock drafts are untested");

    let (_, logs) = get_page(
        &owner,
        &app.url(&format!("/automations/{confirmation}/executions")),
    )
    .await;
    assert!(logs.contains("data-testid=\"rendered-text\""), "{logs}");
    assert!(logs.contains("Trigger payload"));

    let (_, dashboard) = get_page(&owner, &app.url("/dashboard")).await;
    assert!(
        dashboard.contains("href=\"/automations\""),
        "the nav links it"
    );
    let (_, inbox) = get_page(&sitter, &app.url("/sitter/inbox")).await;
    assert!(!inbox.contains("href=\"/automations\""), "not for sitters");

    let res = owner
        .get(app.url("/automations/not-an-id"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_failed_live_run_is_rerun_from_the_execution_logs_once() {
    let app = TestApp::spawn().await;
    let api_owner = app.owner().await;
    let (owner, csrf) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let created = api(
        &app,
        &api_owner,
        Method::POST,
        "/api/automations",
        json!({"name": "Tell the sitter", "lane": "front_desk", "trigger": {"event": "booking.created"},
               "actions": [{"type": "send_sms", "to": "sitter", "template": "New visit for {{ client.first_name }}"}]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let clients = get_json(&api_owner, &app.url("/api/clients?q=john"), StatusCode::OK).await;
    let john = clients["clients"][0]["id"].as_str().unwrap().to_owned();
    let sitters = get_json(&api_owner, &app.url("/api/sitters"), StatusCode::OK).await;
    // Sarah, who has a mobile on file: a test on a sitter without one fails, as a live run would.
    let sitter = sitters["sitters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Sarah Johnson")
        .and_then(|s| s["id"].as_str())
        .unwrap()
        .to_owned();
    let now = app.engine.clock.now();
    let book = |sitter: Option<&str>, day: i64| {
        json!({"clientId": john, "sitterId": sitter, "serviceType": "dog_walk",
               "startAt": to_rfc3339(now + day * DAY), "endAt": to_rfc3339(now + day * DAY + HOUR)})
    };

    // Tested on a real booking with a sitter, then live: a booking without one fails.
    api(
        &app,
        &api_owner,
        Method::POST,
        "/api/bookings",
        book(Some(&sitter), 2),
    )
    .await;
    app.drain().await;
    let events_url = app.url(&format!("/api/automations/{id}/events"));
    let events = get_json(&api_owner, &events_url, StatusCode::OK).await;
    let test = api(
        &app,
        &api_owner,
        Method::POST,
        &format!("/api/automations/{id}/test"),
        json!({"eventId": events[0]["id"]}),
    )
    .await;
    assert_eq!(test["passed"], true, "{test}");
    api(
        &app,
        &api_owner,
        Method::POST,
        &format!("/api/automations/{id}/activate"),
        json!({}),
    )
    .await;
    api(
        &app,
        &api_owner,
        Method::POST,
        "/api/bookings",
        book(None, 3),
    )
    .await;
    app.drain().await;

    let logs_url = app.url(&format!("/automations/{id}/executions"));
    let (_, logs) = get_page(&owner, &logs_url).await;
    let failed = logs
        .split("data-testid=\"execution\"")
        .find(|r| r.contains("data-status=\"failed\""))
        .unwrap_or_else(|| panic!("a failed run in {logs}"));
    assert!(failed.contains("no sitter"), "{failed}");
    let failed_id = failed
        .split("action=\"/automations/executions/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a re-run form")
        .to_owned();
    let rerun_url = app.url(&format!("/automations/executions/{failed_id}/rerun"));

    let res = owner
        .post(&rerun_url)
        .form(&[("csrf", "wrong"), ("on", "same")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "without the CSRF token"
    );
    let res = owner
        .post(&rerun_url)
        .form(&[("csrf", csrf.as_str()), ("on", "current")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(
        to.starts_with(&format!(
            "/automations/{id}/executions?done=rerun#execution-"
        )),
        "{to}"
    );
    app.drain().await;
    let (_, logs) = get_page(&owner, &app.url(&to)).await;
    assert!(
        logs.contains("Re-run started from the failed step"),
        "the flash"
    );
    assert!(
        logs.contains("re-run of"),
        "the new run points at the old one"
    );
    assert!(
        logs.contains("Re-run already"),
        "the old run offers no second re-run"
    );
}

#[tokio::test]
async fn a_test_run_of_a_stock_automation_shows_in_its_logs_with_condition_results() {
    let app = TestApp::spawn().await;
    let api_owner = app.owner().await;
    let (owner, _) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let reminder = automation_id(&app, "Appointment reminder").await;
    let test = api(
        &app,
        &api_owner,
        Method::POST,
        &format!("/api/automations/{reminder}/test"),
        json!({}),
    )
    .await;
    let text = test["steps"][0]["input"]["text"].as_str().unwrap();
    let (_, logs) = get_page(
        &owner,
        &app.url(&format!("/automations/{reminder}/executions?mode=test")),
    )
    .await;
    let run = logs
        .split("data-testid=\"execution\"")
        .nth(1)
        .expect("the test run");
    assert!(run.contains("data-mode=\"test\""), "{run}");
    assert!(run.contains(text), "the rendered text {text}");
    assert!(
        run.contains("op_in(booking.status") && run.contains("✓ true"),
        "{run}"
    );
    assert!(run.contains("Would text the client"), "{run}");
}

#[tokio::test]
async fn the_settings_page_shows_quiet_hours_and_the_owners_mobile() {
    let app = TestApp::spawn().await;
    let (owner, _) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (_, page) = get_page(&owner, &app.url("/settings")).await;
    assert!(page.contains("id=\"automation-settings\""));
    assert!(page.contains("/static/automations.js"));
    api(
        &app,
        &app.owner().await,
        Method::PUT,
        "/api/settings/automations",
        json!({"quietHours": {"start": "22:30", "end": "07:15"}, "myMobile": "+15550009999"}),
    )
    .await;
    let (_, page) = get_page(&owner, &app.url("/settings")).await;
    for shows in [
        "value=\"22:30\"",
        "value=\"07:15\"",
        "value=\"+15550009999\"",
    ] {
        assert!(page.contains(shows), "{shows}");
    }
    let quiet = page.split("name=\"quiet\"").nth(1).unwrap();
    assert!(
        quiet.split('>').next().unwrap().contains("checked"),
        "quiet hours are on"
    );
    let js = client()
        .get(app.url("/static/automations.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(
        js.text()
            .await
            .unwrap()
            .contains("/api/automations/preview")
    );
}
