//! The delivery pipeline with the Twilio provider, against the fake Twilio: the send job
//! posts Twilio's form with our status callback, Twilio's signed status callbacks move
//! the attempt, rate limits are retried and refusals fail at once, whether Twilio refuses
//! at once or in a callback, and a send whose answer was lost is never resent by itself.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use tests::{
    TestApp, demo,
    fake_twilio::{ACCOUNT_SID, AUTH_TOKEN, FakeTwilio},
    thread_messages, thread_on,
};

const BASE: &str = "https://switchboard.example.com";

async fn app_on(fake: &FakeTwilio) -> TestApp {
    let api_base = fake.base_url();
    let app = TestApp::spawn_with(|c| {
        c.provider = "twilio".to_owned();
        c.twilio_account_sid = Some(ACCOUNT_SID.to_owned());
        c.twilio_auth_token = Some(SecretString::from(AUTH_TOKEN.to_owned()));
        c.twilio_api_base = api_base;
        c.public_base_url = Some(BASE.to_owned());
        // No pacing in tests: the point here is the protocol.
        c.send_interval = Some(std::time::Duration::ZERO);
    })
    .await;
    engine::demo::seed(&app.engine).await.unwrap();
    fake.add_number(demo::FRONT_DESK);
    app
}

/// Sends a text to John Smith as the owner; returns (thread id, message id).
async fn send(app: &TestApp, body: &str) -> (String, String) {
    let owner = app.owner().await;
    let thread = thread_on(app, &owner, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = owner
        .post(app.url(&format!("/api/messages/threads/{thread}/messages")))
        .json(&json!({ "body": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let sent: Value = res.json().await.unwrap();
    (thread, sent["message"]["id"].as_str().unwrap().to_owned())
}

async fn deliveries(app: &TestApp, thread: &str, message: &str) -> Vec<Value> {
    let owner = app.owner().await;
    let m = thread_messages(app, &owner, thread)
        .await
        .into_iter()
        .find(|m| m["id"] == message)
        .unwrap();
    m["deliveries"].as_array().unwrap().clone()
}

async fn status_callback(app: &TestApp, sid: &str, status: &str, signed: bool) -> StatusCode {
    callback_with(app, sid, status, &[], signed).await
}

/// A status callback with more of Twilio's parameters (`ErrorCode`, say).
async fn callback_with(
    app: &TestApp,
    sid: &str,
    status: &str,
    extra: &[(&str, &str)],
    signed: bool,
) -> StatusCode {
    let params: Vec<(String, String)> = [
        ("AccountSid", ACCOUNT_SID),
        ("MessageSid", sid),
        ("MessageStatus", status),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let signature = engine::signature::compute(
        if signed { AUTH_TOKEN } else { "wrong" },
        &format!("{BASE}/webhooks/twilio/status"),
        &params,
    );
    tests::client()
        .post(app.url("/webhooks/twilio/status"))
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_text_goes_out_through_twilio_and_its_signed_callbacks_move_it() {
    let fake = FakeTwilio::start().await;
    let app = app_on(&fake).await;
    let (thread, message) = send(&app, "Walk confirmed for 3pm").await;
    app.drain().await;

    let sends: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/Messages.json"))
        .collect();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].param("From"), Some(demo::FRONT_DESK));
    assert_eq!(sends[0].param("To"), Some("+15551234567"));
    assert_eq!(sends[0].param("Body"), Some("Walk confirmed for 3pm"));
    assert_eq!(
        sends[0].param("StatusCallback"),
        Some(format!("{BASE}/webhooks/twilio/status").as_str())
    );
    fake.assert_matches_twilio_spec();

    let attempt = deliveries(&app, &thread, &message).await[0].clone();
    assert_eq!(attempt["status"], "submitted");
    assert_eq!(attempt["provider"], "twilio");
    let sid = attempt["providerMessageId"].as_str().unwrap().to_owned();
    assert_eq!(
        Some(sid.as_str()),
        sends[0].response.as_ref().and_then(|r| r["sid"].as_str())
    );

    assert_eq!(
        status_callback(&app, &sid, "delivered", false).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        deliveries(&app, &thread, &message).await[0]["status"],
        "submitted",
        "an unsigned callback changes nothing"
    );
    assert_eq!(
        status_callback(&app, &sid, "delivered", true).await,
        StatusCode::OK
    );
    assert_eq!(
        status_callback(&app, &sid, "sent", true).await,
        StatusCode::OK
    );
    assert_eq!(
        deliveries(&app, &thread, &message).await[0]["status"],
        "delivered"
    );
}

#[tokio::test]
async fn a_rate_limit_is_retried_and_a_refusal_fails_at_once() {
    let fake = FakeTwilio::start().await;
    let app = app_on(&fake).await;
    fake.fail_next(1, 20429, 429);
    fake.ask_to_wait(1);
    let (thread, message) = send(&app, "First").await;
    app.drain().await;
    let attempts = deliveries(&app, &thread, &message).await;
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    // Twilio asked for a second's pause, longer than the test's backoff: it was given.
    let at = |a: &Value| {
        chrono::DateTime::parse_from_rfc3339(a["updatedAt"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    assert!(at(&attempts[1]) - at(&attempts[0]) >= 1_000, "{attempts:?}");
    assert_eq!(
        (
            attempts[0]["status"].as_str(),
            attempts[0]["errorCode"].as_i64()
        ),
        (Some("failed"), Some(20429))
    );
    assert_eq!(attempts[1]["status"], "submitted");

    fake.fail_next(1, 21610, 400);
    let (thread, message) = send(&app, "Second").await;
    app.drain().await;
    let attempts = deliveries(&app, &thread, &message).await;
    assert_eq!(attempts.len(), 1, "21610 is never retried");
    assert_eq!(attempts[0]["errorCode"], 21610);
    let owner = app.owner().await;
    let letters = tests::get_json(&owner, &app.url("/api/ops/dead-letters"), StatusCode::OK).await;
    assert!(
        letters["deadLetters"][0]["failedReason"]
            .as_str()
            .unwrap()
            .starts_with("21610")
    );
    fake.assert_matches_twilio_spec();
}

/// Sends `body`, then has the carrier report `status` with `ErrorCode` `code` in a signed
/// callback; answers the message id and its attempts once the pipeline has acted.
async fn carrier_reports(
    app: &TestApp,
    body: &str,
    status: &str,
    code: &str,
) -> (String, Vec<Value>) {
    let (thread, message) = send(app, body).await;
    app.drain().await;
    let first = deliveries(app, &thread, &message).await[0]["providerMessageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = [("ErrorCode", code)];
    assert_eq!(
        callback_with(app, &first, status, &code, true).await,
        StatusCode::OK
    );
    app.drain().await;
    let attempts = deliveries(app, &thread, &message).await;
    (message, attempts)
}

#[tokio::test]
async fn a_carrier_failure_in_a_callback_retries_if_it_may_pass_and_ends_the_run_if_not() {
    let fake = FakeTwilio::start().await;
    let app = app_on(&fake).await;
    let outcome = |a: &Value| (a["status"].clone(), a["errorCode"].clone());

    // 30003 (unreachable handset) may pass later: a second attempt goes out.
    let (_, attempts) = carrier_reports(&app, "Running late", "undelivered", "30003").await;
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(outcome(&attempts[0]), (json!("undelivered"), json!(30003)));
    assert_eq!(attempts[1]["status"], "submitted");

    // 30007 (carrier filtering) will fail the same way again: the run ends there.
    let (message, attempts) = carrier_reports(&app, "See you at 3", "failed", "30007").await;
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(outcome(&attempts[0]), (json!("failed"), json!(30007)));
    let owner = app.owner().await;
    let alerts = tests::get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    assert!(
        alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"] == "Message Delivery Failed" && a["entityId"] == json!(message)),
        "{alerts}"
    );
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_is_uncertain_and_only_retry_sends_it_again() {
    let fake = FakeTwilio::start().await;
    let app = app_on(&fake).await;
    fake.lose_next_answers(1);
    let (thread, message) = send(&app, "Key is under the mat").await;
    app.drain().await;

    let sends = || {
        fake.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/Messages.json"))
            .count()
    };
    // Twilio took the text; we could not tell. It is surfaced, not sent again.
    assert_eq!(sends(), 1);
    let attempts = deliveries(&app, &thread, &message).await;
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0]["status"], "uncertain");
    assert!(
        attempts[0]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("may or may not have been sent"),
        "{attempts:?}"
    );
    let owner = app.owner().await;
    let alerts = tests::get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    assert!(
        alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"] == "Message Delivery Uncertain" && a["entityId"] == json!(message)),
        "{alerts}"
    );

    let res = owner
        .post(app.url(&format!("/api/messages/{message}/retry")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    app.drain().await;
    assert_eq!(sends(), 2, "the owner's Retry sends it again");
    let attempts = deliveries(&app, &thread, &message).await;
    assert_eq!(attempts[1]["status"], "submitted");
}
