//! Outbound: masked sending by owner and sitter, the anti-poaching policy's outcomes,
//! retries into the dead-letter queue and back out, status callbacks, pacing.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, demo, get_json, thread_messages, thread_on};

const EMILY: &str = "+15550100002";

async fn post(c: &Client, url: &str, body: Value) -> (StatusCode, Value) {
    let res = c.post(url).json(&body).send().await.expect("request");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn mock_messages(app: &TestApp, owner: &Client) -> Vec<Value> {
    get_json(owner, &app.url("/api/dev/mock/messages"), StatusCode::OK).await["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn set_mock(app: &TestApp, owner: &Client, config: Value) {
    let (status, body) = post(owner, &app.url("/api/dev/mock/config"), config).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The id of a demo thread, by client name and business number.
async fn thread_id(app: &TestApp, owner: &Client, name: &str, business: &str) -> String {
    thread_on(app, owner, name, business).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn owner_send(
    app: &TestApp,
    owner: &Client,
    thread: &str,
    body: Value,
) -> (StatusCode, Value) {
    post(
        owner,
        &app.url(&format!("/api/messages/threads/{thread}/messages")),
        body,
    )
    .await
}

async fn message(app: &TestApp, owner: &Client, thread: &str, id: &str) -> Value {
    thread_messages(app, owner, thread)
        .await
        .into_iter()
        .find(|m| m["id"] == id)
        .expect("message in thread")
}

#[tokio::test]
async fn the_owner_sends_from_the_business_number_and_it_is_delivered() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;

    let (status, body) = owner_send(
        &app,
        &owner,
        &thread,
        json!({ "body": "See you Friday at 3pm!" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["delivery"]["status"], "queued");
    assert_eq!(body["delivery"]["attemptNo"], 1);
    assert_eq!(body["message"]["from"], demo::FRONT_DESK);
    assert_eq!(body["message"]["to"], "+15551234567");
    app.drain().await;

    let sent = mock_messages(&app, &owner).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["from"],
        demo::FRONT_DESK,
        "the client sees only the business"
    );
    assert_eq!(sent[0]["to"], "+15551234567");
    assert_eq!(sent[0]["body"], "See you Friday at 3pm!");

    let id = body["message"]["id"].as_str().unwrap();
    let m = message(&app, &owner, &thread, id).await;
    let deliveries = m["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0]["status"], "delivered",
        "sent, then delivered, by status callback"
    );
    assert!(
        deliveries[0]["providerMessageId"]
            .as_str()
            .unwrap()
            .starts_with("SM")
    );
    assert_eq!(m["senderName"], "Olivia Owner");
}

#[tokio::test]
async fn bad_sends_are_refused_naming_the_problem() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;

    let (status, body) = owner_send(&app, &owner, &thread, json!({ "body": "   " })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["body"].as_str().unwrap().contains("empty"));

    let long = "a".repeat(1601);
    let (status, body) = owner_send(&app, &owner, &thread, json!({ "body": long })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["body"]
            .as_str()
            .unwrap()
            .contains("1601 characters")
    );
    let ok = "a".repeat(1600);
    assert_eq!(
        owner_send(&app, &owner, &thread, json!({ "body": ok }))
            .await
            .0,
        StatusCode::CREATED
    );

    let (status, _) =
        owner_send(&app, &owner, "0000-no-such-thread", json!({ "body": "hi" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = owner_send(&app, &owner, &thread, json!({ "text": "hi" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    app.drain().await;
    // An opted-out client gets nothing.
    app.inbound("SMstop", "+15551234567", demo::FRONT_DESK, "STOP")
        .await;
    app.drain().await;
    let (status, body) =
        owner_send(&app, &owner, &thread, json!({ "body": "Are you there?" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["message"].as_str().unwrap().contains("opted out"),
        "{body}"
    );
    app.drain().await;
    assert_eq!(
        mock_messages(&app, &owner).await.len(),
        1,
        "only the 1,600-character text went out"
    );
}

#[tokio::test]
async fn a_sitter_sends_only_during_their_window_and_never_sees_the_client_number() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let sitter = app.sitter().await;
    let active = thread_id(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let past = thread_id(&app, &owner, "Jessica Wilson", demo::SARAH_NUMBER).await;
    let upcoming = thread_id(&app, &owner, "Michael Brown", demo::SARAH_NUMBER).await;

    let url = |t: &str| app.url(&format!("/api/sitter/threads/{t}/messages"));
    let res = sitter
        .post(url(&active))
        .json(&json!({ "body": "On my way!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains(EMILY),
        "the sitter's answer carries no client number: {text}"
    );

    for thread in [&past, &upcoming] {
        let (status, body) = post(&sitter, &url(thread), json!({ "body": "Hello" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            body["message"],
            "You can message during your assignment window. Messages outside the window are blocked."
        );
    }
    let res = sitter.get(url(&past)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["message"],
        "This conversation is only available during your assignment window."
    );

    let conversation = get_json(&sitter, &url(&active), StatusCode::OK).await;
    assert_eq!(conversation["thread"]["messageNumber"], demo::SARAH_NUMBER);
    assert_eq!(conversation["thread"]["windowStatus"], "active");
    assert!(!conversation.to_string().contains(EMILY));

    let diagnostics = get_json(
        &owner,
        &app.url("/api/messages/diagnostics"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(diagnostics["sitterSendBlockedOutsideWindow"], 2);
    app.drain().await;
    let sent = mock_messages(&app, &owner).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0]["from"].as_str(), sent[0]["to"].as_str()),
        (Some(demo::SARAH_NUMBER), Some(EMILY))
    );
    // The owner sees who wrote it.
    let m = thread_messages(&app, &owner, &active).await.pop().unwrap();
    assert_eq!(m["senderName"], "Sarah Johnson");
    assert_eq!(m["body"], "On my way!");

    // Sitters cannot use the owner's composer, nor owners the sitter's.
    let res = sitter
        .post(app.url(&format!("/api/messages/threads/{active}/messages")))
        .json(&json!({ "body": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The count of refused sends is kept in the database, not the process.
    let app = app.restart().await;
    let diagnostics = get_json(
        &app.owner().await,
        &app.url("/api/messages/diagnostics"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(diagnostics["sitterSendBlockedOutsideWindow"], 2);
}

#[tokio::test]
async fn a_sitter_retries_her_own_failed_text_and_only_that() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let sitter = app.sitter().await;
    let active = thread_id(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let conversation = app.url(&format!("/api/sitter/threads/{active}/messages"));
    set_mock(&app, &owner, json!({ "failNext": 1, "errorCode": 21211 })).await;
    let (status, body) = post(&sitter, &conversation, json!({ "body": "At the door" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["message"]["id"].as_str().unwrap().to_owned();
    let (_, owners) = owner_send(&app, &owner, &active, json!({ "body": "From the desk" })).await;
    let owners = owners["message"]["id"].as_str().unwrap().to_owned();
    app.drain().await;

    let seen = |id: String| {
        let (sitter, url) = (sitter.clone(), conversation.clone());
        async move {
            let c = get_json(&sitter, &url, StatusCode::OK).await;
            c["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == json!(id))
                .cloned()
                .unwrap()
        }
    };
    let mine = seen(id.clone()).await;
    assert_eq!(
        (&mine["status"], &mine["attempts"], &mine["mine"]),
        (&json!("failed"), &json!(1), &json!(true))
    );
    let (status, page) =
        tests::pages::get_page(&sitter, &app.url(&format!("/sitter/threads/{active}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("/sitter/threads/{active}/retry/{id}")),
        "a Retry button on her failed text: {page}"
    );

    let retry = |id: &str| app.url(&format!("/api/sitter/messages/{id}/retry"));
    let (status, body) = post(&sitter, &retry(&id), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["attemptNo"], 2);
    app.drain().await;
    let mine = seen(id.clone()).await;
    assert_eq!(
        (&mine["status"], &mine["attempts"]),
        (&json!("delivered"), &json!(2))
    );
    // Not the owner's text, and not once the window is over.
    let (status, _) = post(&sitter, &retry(&owners), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.exec(
        "update assignment_window set start_at = 1, end_at = 2 where thread_id = $1",
        &[&active],
    )
    .await;
    let (status, body) = post(&sitter, &retry(&id), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn a_sitter_passing_a_phone_number_is_blocked_and_the_owner_reviews_it() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let sitter = app.sitter().await;
    let thread = thread_id(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;

    let (status, body) = post(
        &sitter,
        &app.url(&format!("/api/sitter/threads/{thread}/messages")),
        json!({ "body": "Call me at 555-123-4567" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["message"],
        "This message wasn't sent because it includes contact info. Please keep communication in the system."
    );
    assert!(
        body.get("fields").is_none(),
        "no details for the sitter: {body}"
    );
    app.drain().await;
    assert!(
        mock_messages(&app, &owner).await.is_empty(),
        "nothing was sent"
    );

    let list = get_json(
        &owner,
        &app.url("/api/policy/violations?status=open"),
        StatusCode::OK,
    )
    .await;
    let v = &list["violations"][0];
    assert_eq!(v["type"], "phone");
    assert_eq!(v["action"], "blocked");
    assert_eq!(v["status"], "open");
    assert_eq!(v["severity"], "block");
    assert_eq!(v["senderName"], "Sarah Johnson");
    assert_eq!(v["content"], "Call me at 555-123-4567");
    assert!(!v["redactedContent"].as_str().unwrap().contains("4567"));
    assert_eq!(
        thread_on(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await["hasPolicyViolation"],
        true
    );
    let diagnostics = get_json(
        &owner,
        &app.url("/api/messages/diagnostics"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(diagnostics["antiPoachingBlocked"], 1);
    // Sitters cannot read the review.
    let res = sitter
        .get(app.url("/api/policy/violations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let id = v["id"].as_str().unwrap();
    let resolve = app.url(&format!("/api/policy/violations/{id}/resolve"));
    let (status, body) = post(&owner, &resolve, json!({ "action": "resolve" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is required");
    assert!(body["fields"]["reason"].is_string());
    let (status, _) = post(
        &owner,
        &resolve,
        json!({ "action": "resolve", "reason": "Talked to Sarah" }),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = post(&owner, &resolve, json!({ "reason": "again" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let list = get_json(&owner, &app.url("/api/policy/violations"), StatusCode::OK).await;
    assert_eq!(list["violations"][0]["status"], "resolved");
    assert_eq!(list["violations"][0]["resolutionNote"], "Talked to Sarah");
    assert_eq!(
        thread_on(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await["hasPolicyViolation"],
        false
    );
    let audit = get_json(
        &owner,
        &app.url("/api/audit/events?type=policy.violation_resolved"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{audit}");
}

#[tokio::test]
async fn the_owner_is_warned_and_may_force_send_with_a_reason() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let text = "Our new office line is 555-987-6543";

    let (status, body) = owner_send(&app, &owner, &thread, json!({ "body": text })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "policy_warning");
    assert!(body["fields"]["body"].as_str().unwrap().contains("phone"));
    let (status, body) = owner_send(
        &app,
        &owner,
        &thread,
        json!({ "body": text, "force": true }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["reason"].is_string());

    let (status, body) = owner_send(
        &app,
        &owner,
        &thread,
        json!({ "body": text, "force": true, "reason": "Our own number" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.drain().await;
    assert_eq!(mock_messages(&app, &owner).await[0]["body"], text);
    let audit = get_json(
        &owner,
        &app.url("/api/audit/events?type=policy.owner_override"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["events"][0]["payload"]["reason"], "Our own number");
    let v = &get_json(&owner, &app.url("/api/policy/violations"), StatusCode::OK).await["violations"]
        [0];
    assert_eq!(
        (v["action"].as_str(), v["severity"].as_str()),
        (Some("warned"), Some("warning"))
    );
    let m = message(
        &app,
        &owner,
        &thread,
        body["message"]["id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(m["policyViolations"][0]["type"], "phone");
}

#[tokio::test]
async fn a_client_texting_contact_info_reaches_the_owner_as_is_and_the_sitter_redacted() {
    let app = TestApp::spawn().await;
    let text = "My cell is 555-222-3333 if you need me";
    app.inbound("SMcontact", EMILY, demo::SARAH_NUMBER, text)
        .await;
    app.drain().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let m = thread_messages(&app, &owner, &thread).await.pop().unwrap();
    assert_eq!(m["body"], text);
    assert!(m["redactedBody"].is_string());

    let sitter = app.sitter().await;
    let conversation = get_json(
        &sitter,
        &app.url(&format!("/api/sitter/threads/{thread}/messages")),
        StatusCode::OK,
    )
    .await;
    let last = conversation["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["redacted"], true);
    assert!(!last["body"].as_str().unwrap().contains("3333"), "{last}");
    let v = &get_json(&owner, &app.url("/api/policy/violations"), StatusCode::OK).await["violations"]
        [0];
    assert_eq!(
        (v["action"].as_str(), v["direction"].as_str()),
        (Some("flagged"), Some("inbound"))
    );
}

#[tokio::test]
async fn three_failures_end_in_a_critical_alert_and_a_dead_letter_that_replay_sends() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    set_mock(&app, &owner, json!({ "failNext": 3, "errorCode": 30008 })).await;

    let (_, body) = owner_send(
        &app,
        &owner,
        &thread,
        json!({ "body": "Reminder: walk at 3pm" }),
    )
    .await;
    let id = body["message"]["id"].as_str().unwrap().to_owned();
    app.drain().await;

    let m = message(&app, &owner, &thread, &id).await;
    let attempts = m["deliveries"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{m}");
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a["attemptNo"], i + 1);
        assert_eq!(a["status"], "failed");
        assert_eq!(a["errorCode"], 30008);
    }
    assert_eq!(
        thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await["hasDeliveryFailure"],
        true
    );
    let alerts = get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    let alert = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Message Delivery Failed - Max Retries Exceeded")
        .expect("critical alert")
        .clone();
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["entityType"], "message");
    assert_eq!(alert["entityId"], id.as_str());

    let letters = get_json(&owner, &app.url("/api/ops/dead-letters"), StatusCode::OK).await;
    let letter = letters["deadLetters"][0].clone();
    assert_eq!(letter["queue"], "message-retry");
    assert_eq!(letter["name"], "retry-message");
    assert_eq!(letter["attempts"], 3);
    assert_eq!(letter["entityId"], id.as_str());
    assert!(letter["failedReason"].as_str().unwrap().contains("30008"));

    let replay = app.url(&format!(
        "/api/ops/dead-letters/{}/replay",
        letter["deadLetterId"].as_str().unwrap()
    ));
    let (status, _) = post(&owner, &replay, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is required");
    let (status, _) = post(
        &owner,
        &replay,
        json!({ "reason": "Manual retry after fixing provider issue" }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.drain().await;

    let m = message(&app, &owner, &thread, &id).await;
    let last = m["deliveries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["attemptNo"].as_i64(), last["status"].as_str()),
        (Some(4), Some("delivered"))
    );
    let resolved = get_json(
        &owner,
        &app.url("/api/alerts?status=resolved"),
        StatusCode::OK,
    )
    .await;
    assert!(
        resolved["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == alert["id"]),
        "the alert resolves when the replay succeeds"
    );
    assert_eq!(
        thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await["hasDeliveryFailure"],
        false
    );
    let letters = get_json(
        &owner,
        &app.url("/api/ops/dead-letters?status=replayed"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        letters["deadLetters"][0]["resolutionNote"],
        "Manual retry after fixing provider issue"
    );
    assert_eq!(
        mock_messages(&app, &owner).await.len(),
        4,
        "three failed tries and the replay"
    );
}

#[tokio::test]
async fn a_permanent_error_fails_at_once_and_retry_makes_a_new_attempt() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    set_mock(&app, &owner, json!({ "failNext": 1, "errorCode": 21211 })).await;

    let (_, body) = owner_send(&app, &owner, &thread, json!({ "body": "Hello" })).await;
    let id = body["message"]["id"].as_str().unwrap().to_owned();
    app.drain().await;
    let m = message(&app, &owner, &thread, &id).await;
    assert_eq!(
        m["deliveries"].as_array().unwrap().len(),
        1,
        "no retry of a permanent error"
    );
    assert_eq!(m["deliveries"][0]["status"], "failed");
    assert_eq!(m["deliveries"][0]["errorCode"], 21211);
    let alerts = get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    assert!(
        alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"] == "Message Delivery Failed" && a["severity"] == "critical")
    );

    let letters = app.url("/api/ops/dead-letters");
    let open = get_json(&owner, &letters, StatusCode::OK).await;
    let letter = open["deadLetters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["entityId"] == json!(id))
        .cloned()
        .expect("a dead letter for the text");

    let retry = app.url(&format!("/api/messages/{id}/retry"));
    let (status, body) = post(&owner, &retry, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (body["attemptNo"].as_i64(), body["status"].as_str()),
        (Some(2), Some("queued"))
    );
    app.drain().await;
    let m = message(&app, &owner, &thread, &id).await;
    assert_eq!(m["deliveries"][1]["status"], "delivered");
    // Retried from the conversation, the text no longer waits in the dead-letter queue.
    let open = get_json(&owner, &letters, StatusCode::OK).await;
    assert!(
        open["deadLetters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["entityId"] != json!(id)),
        "{open}"
    );
    let all = get_json(&owner, &format!("{letters}?status=all"), StatusCode::OK).await;
    let closed = all["deadLetters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["deadLetterId"] == letter["deadLetterId"])
        .cloned()
        .unwrap();
    assert_eq!(closed["status"], "replayed");
    assert_eq!(closed["resolutionNote"], "retried from the conversation");
    let (status, _) = post(&owner, &retry, json!({})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a delivered text is not retried"
    );
    let (status, _) = post(&owner, &app.url("/api/messages/nope/retry"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_permanent_error_fails_at_once_at_send_time_or_in_a_callback() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    // The mock refuses 2xxxx codes when asked to send and reports 3xxxx ones later, in a
    // `failed` status callback, as Twilio does.
    for code in [21211, 21610, 21614, 30005, 30006, 30007, 30034] {
        set_mock(&app, &owner, json!({ "failNext": 1, "errorCode": code })).await;
        let (_, body) = owner_send(&app, &owner, &thread, json!({ "body": "Hello" })).await;
        let id = body["message"]["id"].as_str().unwrap().to_owned();
        app.drain().await;
        let m = message(&app, &owner, &thread, &id).await;
        let deliveries = m["deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 1, "{code}: no second attempt: {m}");
        assert_eq!(deliveries[0]["status"], "failed", "{code}: {m}");
        assert_eq!(deliveries[0]["errorCode"], code, "{m}");
    }
}

#[tokio::test]
async fn the_mock_s_callbacks_lost_in_a_crash_are_sent_again_when_the_workers_start() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let (_, body) = owner_send(&app, &owner, &thread, json!({ "body": "Hello" })).await;
    let delivered = body["message"]["id"].as_str().unwrap().to_owned();
    app.drain().await;
    set_mock(&app, &owner, json!({ "failNext": 1, "errorCode": 30007 })).await;
    let (_, body) = owner_send(&app, &owner, &thread, json!({ "body": "Filtered" })).await;
    let filtered = body["message"]["id"].as_str().unwrap().to_owned();
    app.drain().await;
    // As a crash right after the provider took them leaves them: `submitted`, with no
    // callback applied.
    for id in [&delivered, &filtered] {
        app.exec(
            "update delivery set status = 'submitted', error_code = null, error_message = null where message_id = $1",
            &[id],
        )
        .await;
        app.exec(
            "delete from delivery_status_event where provider_message_id in (select provider_message_id from delivery where message_id = $1)",
            &[id],
        )
        .await;
    }
    let app = app.restart().await;
    app.drain().await;
    let owner = app.owner().await;
    let m = message(&app, &owner, &thread, &delivered).await;
    assert_eq!(m["deliveries"][0]["status"], "delivered", "{m}");
    let m = message(&app, &owner, &thread, &filtered).await;
    assert_eq!(
        (
            m["deliveries"][0]["status"].as_str(),
            m["deliveries"][0]["errorCode"].as_i64()
        ),
        (Some("failed"), Some(30007)),
        "{m}"
    );
    let mock = get_json(&owner, &app.url("/api/dev/mock/messages"), StatusCode::OK).await;
    assert_eq!(
        mock["messages"].as_array().unwrap().len(),
        2,
        "nothing was sent again"
    );
}

#[tokio::test]
async fn status_callbacks_act_once_and_never_move_backwards() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let (_, body) = owner_send(&app, &owner, &thread, json!({ "body": "Hello" })).await;
    let id = body["message"]["id"].as_str().unwrap().to_owned();
    app.drain().await;
    let sid = message(&app, &owner, &thread, &id).await["deliveries"][0]["providerMessageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let callback = |status: &'static str| {
        let sid = sid.clone();
        let url = app.url("/webhooks/twilio/status");
        async move {
            let res = tests::client()
                .post(url)
                .form(&[
                    ("MessageSid", sid.as_str()),
                    ("MessageStatus", status),
                    ("AccountSid", "ACtest"),
                    ("ApiVersion", "2010-04-01"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    };
    let status =
        || async { message(&app, &owner, &thread, &id).await["deliveries"][0]["status"].clone() };
    callback("sent").await;
    assert_eq!(
        status().await,
        "delivered",
        "a late `sent` never overwrites `delivered`"
    );
    callback("read").await;
    callback("read").await;
    assert_eq!(status().await, "read");
    callback("failed").await;
    assert_eq!(status().await, "read");

    let res = tests::client()
        .post(app.url("/webhooks/twilio/status"))
        .form(&[("MessageSid", sid.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["MessageStatus"].is_string());
}

#[tokio::test]
async fn a_burst_on_one_number_is_paced() {
    let app =
        TestApp::spawn_with(|c| c.send_interval = Some(std::time::Duration::from_secs(1))).await;
    engine::demo::seed(&app.engine).await.unwrap();
    let owner = app.owner().await;
    let thread = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    for i in 0..3 {
        let (status, _) = owner_send(
            &app,
            &owner,
            &thread,
            json!({ "body": format!("Update {i}") }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    app.drain().await;
    let mut times: Vec<chrono::DateTime<chrono::FixedOffset>> = mock_messages(&app, &owner)
        .await
        .iter()
        .map(|m| chrono::DateTime::parse_from_rfc3339(m["createdAt"].as_str().unwrap()).unwrap())
        .collect();
    times.sort();
    assert_eq!(times.len(), 3);
    let spread = times[2] - times[0];
    assert!(
        spread.num_milliseconds() >= 1000,
        "three texts at 1/s cannot leave within a second: {spread}"
    );
}

#[tokio::test]
async fn the_mock_provider_console_is_for_owners_and_validates_its_settings() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (status, body) = post(
        &owner,
        &app.url("/api/dev/mock/config"),
        json!({ "latencyMs": -5 }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["latencyMs"].is_string());
    let (status, body) = post(
        &owner,
        &app.url("/api/dev/mock/config"),
        json!({ "failAll": true, "errorCode": 30003 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["failAll"].as_bool(), body["errorCode"].as_i64()),
        (Some(true), Some(30003))
    );
    let sitter = app.sitter().await;
    let res = sitter
        .get(app.url("/api/dev/mock/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
