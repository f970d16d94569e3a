//! The Twilio-facing side of inbound texts: signatures, carrier keywords, repeats and
//! out-of-order delivery.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::Value;
use tests::{TestApp, demo, get_json, thread_messages};

const TOKEN: &str = "12345";
const BASE: &str = "https://switchboard.example.com";

async fn twilio_app() -> TestApp {
    let app = TestApp::spawn_with(|c| {
        c.provider = "twilio".to_owned();
        c.twilio_account_sid = Some("ACtest".to_owned());
        c.twilio_auth_token = Some(SecretString::from(TOKEN.to_owned()));
        c.public_base_url = Some(BASE.to_owned());
    })
    .await;
    engine::demo::seed(&app.engine).await.unwrap();
    app
}

fn form(sid: &str) -> Vec<(String, String)> {
    [
        ("MessageSid", sid),
        ("From", "+15551234567"),
        ("To", demo::FRONT_DESK),
        ("Body", "signed hello"),
        ("AccountSid", "ACtest"),
        ("NumMedia", "0"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

async fn post_signed(
    app: &TestApp,
    params: &[(String, String)],
    signature: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/webhooks/twilio/sms"))
        .form(params);
    if let Some(sig) = signature {
        req = req.header("X-Twilio-Signature", sig);
    }
    req.send().await.unwrap()
}

async fn john_bodies(app: &TestApp) -> Vec<String> {
    let owner = app.owner().await;
    let thread = tests::thread_on(app, &owner, "John Smith", demo::FRONT_DESK).await;
    thread_messages(app, &owner, thread["id"].as_str().unwrap())
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_correctly_signed_webhook_is_accepted() {
    let app = twilio_app().await;
    let params = form("SMsigned");
    let signature =
        engine::signature::compute(TOKEN, &format!("{BASE}/webhooks/twilio/sms"), &params);
    let res = post_signed(&app, &params, Some(&signature)).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.drain().await;
    assert!(john_bodies(&app).await.contains(&"signed hello".to_owned()));
}

#[tokio::test]
async fn a_bad_or_missing_signature_is_refused_and_nothing_is_stored() {
    let app = twilio_app().await;
    let params = form("SMforged");
    let wrong_token = engine::signature::compute(
        "not-the-token",
        &format!("{BASE}/webhooks/twilio/sms"),
        &params,
    );
    let mut tampered = params.clone();
    tampered[3].1 = "tampered".to_owned();
    let signed_for_original =
        engine::signature::compute(TOKEN, &format!("{BASE}/webhooks/twilio/sms"), &params);
    for (body, sig) in [
        (&params, None),
        (&params, Some(wrong_token.as_str())),
        (&tampered, Some(signed_for_original.as_str())),
    ] {
        let res = post_signed(&app, body, sig).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    app.drain().await;
    assert!(
        !john_bodies(&app)
            .await
            .iter()
            .any(|b| b == "signed hello" || b == "tampered")
    );
    assert_eq!(app.engine.metrics.get("webhooks_rejected_total", ""), 3);
}

#[tokio::test]
async fn with_the_mock_provider_signatures_are_optional() {
    let app = TestApp::spawn().await;
    let res = post_signed(&app, &form("SMmock"), None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn stop_and_start_round_trip_with_confirmations_and_system_events() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let stop = app
        .inbound("SMstop", "+15551234567", demo::FRONT_DESK, " Quit ")
        .await;
    assert_eq!(stop.status(), StatusCode::OK);
    let twiml = stop.text().await.unwrap();
    assert!(
        twiml.contains("<Message>You have been unsubscribed from Snout Pet Care"),
        "{twiml}"
    );
    app.drain().await;
    let opted_out: bool = engine::db!(&app.engine.db, c => sqlx::query_scalar("select opted_out from client where phone_e164 = '+15551234567'").fetch_one(c).await).unwrap();
    assert!(opted_out);

    let start = app
        .inbound("SMstart", "+15551234567", demo::FRONT_DESK, "START")
        .await
        .text()
        .await
        .unwrap();
    assert!(start.contains("resubscribed"), "{start}");
    let help = app
        .inbound("SMhelp", "+15551234567", demo::FRONT_DESK, "help")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        help.contains("<Message>Snout Pet Care: Reply STOP to unsubscribe."),
        "{help}"
    );
    app.drain().await;
    let opted_out: bool = engine::db!(&app.engine.db, c => sqlx::query_scalar("select opted_out from client where phone_e164 = '+15551234567'").fetch_one(c).await).unwrap();
    assert!(!opted_out);

    let thread = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let messages = thread_messages(&app, &owner, thread["id"].as_str().unwrap()).await;
    let system: Vec<_> = messages
        .iter()
        .filter(|m| m["kind"] == "system")
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(system.len(), 3);
    assert_eq!(
        system,
        [
            "Client opted out of text messages (QUIT).",
            "Client opted back in to text messages (START).",
            "Client asked for help (HELP); the help text was sent.",
        ]
    );
    assert!(
        messages
            .iter()
            .filter(|m| m["kind"] == "system")
            .all(|m| m["routingReason"].is_null()),
        "keywords are not routed"
    );
    for kind in ["sms.opt_out", "sms.opt_in", "sms.help"] {
        let audit = get_json(
            &owner,
            &app.url(&format!("/api/audit/events?type={kind}")),
            StatusCode::OK,
        )
        .await;
        assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{kind}");
    }
    // Counted per org, in both metrics formats.
    let org = get_json(&owner, &app.url("/api/auth/session"), StatusCode::OK).await["orgId"]
        .as_str()
        .unwrap()
        .to_owned();
    let metrics = get_json(&app.client, &app.url("/metrics"), StatusCode::OK).await;
    assert_eq!(metrics["sms_opt_out_events"][&org], 1);
    assert_eq!(metrics["sms_opt_in_events"][&org], 1);
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
        text.contains(&format!(
            "switchboard_sms_opt_out_events{{org=\"{org}\"}} 1"
        )),
        "{text}"
    );
    // A sentence that merely contains a keyword is an ordinary message.
    let plain = app
        .inbound(
            "SMplain",
            "+15551234567",
            demo::FRONT_DESK,
            "please stop by at 5",
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!plain.contains("<Message>"));
}

#[tokio::test]
async fn the_idempotency_token_deduplicates_a_retried_delivery() {
    let app = TestApp::spawn().await;
    for sid in ["SMa1", "SMa2"] {
        let res = app
            .client
            .post(app.url("/webhooks/twilio/sms"))
            .header("I-Twilio-Idempotency-Token", "retry-1")
            .form(&[
                ("MessageSid", sid),
                ("From", "+15551234567"),
                ("To", demo::FRONT_DESK),
                ("Body", "once"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    app.drain().await;
    assert_eq!(
        john_bodies(&app)
            .await
            .iter()
            .filter(|b| *b == "once")
            .count(),
        1
    );
}

#[tokio::test]
async fn out_of_order_texts_keep_activity_moving_forward() {
    let app = TestApp::spawn().await;
    app.inbound("SMlater", "+15551234567", demo::FRONT_DESK, "second")
        .await;
    app.drain().await;
    let owner = app.owner().await;
    let before = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    app.inbound("SMearlier", "+15551234567", demo::FRONT_DESK, "first")
        .await;
    app.drain().await;
    let after = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    assert!(after["lastActivityAt"].as_str() >= before["lastActivityAt"].as_str());
    let bodies = john_bodies(&app).await;
    assert!(
        bodies.ends_with(&["second".to_owned(), "first".to_owned()]),
        "{bodies:?}"
    );
}

#[tokio::test]
async fn alerts_are_resolved_once_with_an_audited_note() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    app.inbound("SMu", "+15559876543", demo::POOL_NUMBER, "Hello?")
        .await;
    app.drain().await;
    let alerts = get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    let id = alerts["alerts"][0]["id"].as_str().unwrap().to_owned();
    let res = owner
        .post(app.url(&format!("/api/alerts/{id}/resolve")))
        .json(&serde_json::json!({ "note": "called the sender" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let again = owner
        .post(app.url(&format!("/api/alerts/{id}/resolve")))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let missing = owner
        .post(app.url("/api/alerts/nope/resolve"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let open = get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    assert!(open["alerts"].as_array().unwrap().is_empty());
    let resolved = get_json(
        &owner,
        &app.url("/api/alerts?status=resolved"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(resolved["alerts"][0]["resolutionNote"], "called the sender");
    let audit: Value = get_json(
        &owner,
        &app.url(&format!(
            "/api/audit/events?type=alert.resolved&entityId={id}"
        )),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["events"][0]["payload"]["note"], "called the sender");
    get_json(
        &owner,
        &app.url("/api/alerts?status=maybe"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    get_json(
        &owner,
        &app.url("/api/audit/events?since=yesterday"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    // A time range keeps what happened inside it.
    let at = |ms: i64| engine::clock::to_rfc3339(ms).replace('+', "%2B");
    let now = app.engine.clock.now();
    let in_range = |since: i64, until: i64| {
        let url = app.url(&format!(
            "/api/audit/events?type=alert.resolved&since={}&until={}",
            at(since),
            at(until)
        ));
        let owner = owner.clone();
        async move {
            get_json(&owner, &url, StatusCode::OK).await["events"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(in_range(now - 60_000, now + 60_000).await, 1);
    assert_eq!(in_range(now - 120_000, now - 60_000).await, 0);
    assert_eq!(in_range(now + 60_000, now + 120_000).await, 0);
    // A new text about the same problem opens a new alert.
    app.inbound("SMu2", "+15559876543", demo::POOL_NUMBER, "Anyone?")
        .await;
    app.drain().await;
    let open = get_json(&owner, &app.url("/api/alerts"), StatusCode::OK).await;
    assert_eq!(open["alerts"].as_array().unwrap().len(), 1);
}

/// Makes storing any inbound text whose body says BOOM fail, as a full disk would.
async fn break_boom_texts(app: &TestApp) {
    if app.engine.db.kind() == "postgres" {
        app.exec(
            "create function boom_fails() returns trigger language plpgsql as $$
             begin if new.body like '%BOOM%' then raise exception 'the disk is full'; end if; return new; end $$",
            &[],
        )
        .await;
        app.exec(
            "create trigger boom_fails before insert on inbound_event for each row execute function boom_fails()",
            &[],
        )
        .await;
    } else {
        app.exec(
            "create trigger boom_fails before insert on inbound_event when new.body like '%BOOM%'
             begin select raise(abort, 'the disk is full'); end",
            &[],
        )
        .await;
    }
}

#[tokio::test]
async fn webhooks_arriving_together_are_each_stored_once_and_one_failure_fails_only_itself() {
    let app = TestApp::spawn().await;
    break_boom_texts(&app).await;
    // Thirty texts, ten of them delivered twice, and one the database refuses, all at once.
    let mut sends = tokio::task::JoinSet::new();
    let texts = (0..30)
        .chain(0..10)
        .map(|i| (format!("SMburst{i}"), format!("burst {i}")))
        .chain([("SMboom".to_owned(), "BOOM".to_owned())]);
    for (sid, body) in texts {
        let (client, url) = (app.client.clone(), app.url("/webhooks/twilio/sms"));
        sends.spawn(async move {
            let res = client
                .post(url)
                .form(&[
                    ("MessageSid", sid.as_str()),
                    ("From", "+15551234567"),
                    ("To", demo::FRONT_DESK),
                    ("Body", body.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (body, res.status())
        });
    }
    let mut refused = Vec::new();
    while let Some(sent) = sends.join_next().await {
        let (body, status) = sent.unwrap();
        if status != StatusCode::OK {
            refused.push((body, status));
        }
    }
    assert_eq!(
        refused,
        [("BOOM".to_owned(), StatusCode::INTERNAL_SERVER_ERROR)]
    );
    app.drain().await;
    let bodies = john_bodies(&app).await;
    for i in 0..30 {
        let body = format!("burst {i}");
        assert_eq!(bodies.iter().filter(|b| **b == body).count(), 1, "{body}");
    }
    assert!(!bodies.iter().any(|b| b == "BOOM"));
}
