//! The owner's reports: tomorrow's schedule and today's summary in the org's time zone,
//! the service mix, the durable SMS counters, pending reschedules, the CSV exports, the
//! seed's `/v1/owner/` paths, and one org never seeing another's data.

use chrono::{Days, NaiveDate};
use engine::clock::{self, DAY, HOUR, MINUTE, to_rfc3339};
use reqwest::{Client, Method, StatusCode, header};
use serde_json::{Value, json};
use tests::{OTHER_CLIENT, OTHER_FRONT_DESK, TestApp, call, demo, get_json, thread_on};

const JOHN: &str = "+15551234567";
/// The demo org's zone (the default for every org).
const ZONE: &str = "America/New_York";

async fn post(c: &Client, url: &str, body: Value) -> (StatusCode, Value) {
    call(c, Method::POST, url, Some(body)).await
}

async fn get(app: &TestApp, c: &Client, path: &str) -> Value {
    get_json(c, &app.url(path), StatusCode::OK).await
}

/// The org's local date `days` from today, and when it begins.
fn local_day(app: &TestApp, days: u64) -> (NaiveDate, i64) {
    let zone = clock::zone(ZONE);
    let date = clock::local_date(app.engine.clock.now(), zone) + Days::new(days);
    (date, clock::day_start(date, zone))
}

async fn new_client(app: &TestApp, c: &Client, name: &str, phone: &str) -> String {
    let (status, body) = post(
        c,
        &app.url("/api/clients"),
        json!({ "name": name, "phone": phone }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Books a visit of an hour; returns the booking's id.
async fn book(
    app: &TestApp,
    c: &Client,
    client: &str,
    service: &str,
    start: i64,
    weekly: bool,
) -> String {
    let (status, body) = post(
        c,
        &app.url("/api/bookings"),
        json!({
            "clientId": client, "serviceType": service, "startAt": to_rfc3339(start),
            "endAt": to_rfc3339(start + HOUR), "recurrence": if weekly { "weekly" } else { "none" },
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// The visits of one day's schedule that belong to `client_name`, as (booking, start).
fn visits_of(day: &Value, client_name: &str) -> Vec<(String, String)> {
    day["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["clientName"] == client_name)
        .map(|v| {
            (
                v["bookingId"].as_str().unwrap().to_owned(),
                v["startAt"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn visits_of_service(mix: &Value, service: &str) -> Option<i64> {
    mix["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["serviceType"] == service)
        .map(|s| s["visits"].as_i64().unwrap())
}

/// RFC 4180, read back independently of the writer: quoted fields, doubled quotes,
/// CRLF line ends, line breaks inside quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "the file ends with a full line"
    );
    rows
}

/// A CSV export: its headers, its text, and its rows as header name → value.
struct Export {
    headers: header::HeaderMap,
    text: String,
    rows: Vec<std::collections::BTreeMap<String, String>>,
}

async fn export(app: &TestApp, c: &Client, path: &str) -> Export {
    let res = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let mut lines = parse_csv(&text).into_iter();
    let names = lines.next().expect("a header line");
    let rows = lines
        .map(|fields| {
            assert_eq!(fields.len(), names.len(), "{fields:?}");
            names.iter().cloned().zip(fields).collect()
        })
        .collect();
    Export {
        headers,
        text,
        rows,
    }
}

async fn org_of(app: &TestApp, email: &str) -> String {
    engine::db!(&app.engine.db, c => sqlx::query_scalar::<_, String>("select org_id from app_user where email = $1")
        .bind(email).fetch_one(c).await)
    .unwrap()
}

// --- Schedule and summary ---

#[tokio::test]
async fn tomorrows_schedule_lists_the_visits_of_the_org_s_tomorrow_with_a_summary() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let zoe = new_client(&app, &owner, "Zoe Tomorrow", "+15550200001").await;
    let (date, tomorrow) = local_day(&app, 1);
    let (_, after) = local_day(&app, 2);
    let (_, today_start) = local_day(&app, 0);

    let morning = book(&app, &owner, &zoe, "dog_walk", tomorrow + 9 * HOUR, false).await;
    let late = book(&app, &owner, &zoe, "drop_in", after - 30 * MINUTE, false).await;
    book(&app, &owner, &zoe, "drop_in", after + 30 * MINUTE, false).await;
    let cancelled = book(&app, &owner, &zoe, "dog_walk", tomorrow + 12 * HOUR, false).await;
    let (status, _) = post(
        &owner,
        &app.url(&format!("/api/bookings/{cancelled}/cancel")),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // A weekly series that began two weeks before tomorrow has a visit tomorrow.
    let weekly = book(
        &app,
        &owner,
        &zoe,
        "overnight",
        tomorrow - 14 * DAY + 15 * HOUR,
        true,
    )
    .await;
    let earlier_today = book(&app, &owner, &zoe, "dog_walk", today_start + MINUTE, false).await;

    let day = get(&app, &owner, "/api/owner/schedule/tomorrow").await;
    assert_eq!(day["date"], date.to_string());
    assert_eq!(day["timeZone"], ZONE);
    assert_eq!(
        visits_of(&day, "Zoe Tomorrow"),
        vec![
            (morning, to_rfc3339(tomorrow + 9 * HOUR)),
            (weekly, to_rfc3339(tomorrow + 15 * HOUR)),
            (late, to_rfc3339(after - 30 * MINUTE)),
        ],
        "tomorrow from local midnight to the next, by start; not the cancelled one"
    );
    let summary = day["summary"].as_str().unwrap();
    let heading = format!("Tomorrow, {}: ", date.format("%A %-d %B"));
    assert!(summary.starts_with(&heading), "{summary}");
    assert!(
        summary.contains("\n9:00 AM to 10:00 AM: dog walk for Zoe Tomorrow, no sitter yet"),
        "{summary}"
    );
    assert!(
        summary.contains("\n11:30 PM to 12:30 AM: drop in for Zoe Tomorrow"),
        "{summary}"
    );

    let today = get(&app, &owner, "/api/owner/summary/today").await;
    assert_eq!(
        visits_of(&today, "Zoe Tomorrow"),
        vec![(earlier_today, to_rfc3339(today_start + MINUTE))]
    );
    assert!(today["summary"].as_str().unwrap().starts_with("Today, "));
}

#[tokio::test]
async fn a_day_without_visits_says_so() {
    let app = TestApp::spawn_empty().await;
    let other = app.other_org().await;
    let day = get(&app, &other.owner, "/api/owner/schedule/tomorrow").await;
    assert_eq!(day["visits"], json!([]));
    assert!(
        day["summary"]
            .as_str()
            .unwrap()
            .ends_with(": no visits booked.")
    );
}

// --- Service mix ---

#[tokio::test]
async fn the_service_mix_counts_visits_per_service_over_the_days_asked() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let zoe = new_client(&app, &owner, "Zoe Mix", "+15550200002").await;
    let now = app.engine.clock.now();
    book(&app, &owner, &zoe, "emergency", now - 2 * DAY, false).await;
    book(&app, &owner, &zoe, "emergency", now - 10 * DAY, false).await;
    book(&app, &owner, &zoe, "deep_clean", now - 40 * DAY, false).await;
    book(&app, &owner, &zoe, "emergency", now + DAY, false).await;
    let cancelled = book(&app, &owner, &zoe, "emergency", now - 3 * DAY, false).await;
    post(
        &owner,
        &app.url(&format!("/api/bookings/{cancelled}/cancel")),
        json!({}),
    )
    .await;
    // Weekly from 20 days ago: visits 20, 13 and 6 days ago.
    book(
        &app,
        &owner,
        &zoe,
        "deep_clean",
        now - 20 * DAY + HOUR,
        true,
    )
    .await;

    let mix = get(&app, &owner, "/api/owner/service-mix").await;
    assert_eq!(mix["days"], 30, "30 days unless asked");
    assert_eq!(visits_of_service(&mix, "emergency"), Some(2));
    assert_eq!(visits_of_service(&mix, "deep_clean"), Some(3));
    let sum: i64 = mix["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["visits"].as_i64().unwrap())
        .sum();
    assert_eq!(mix["total"], sum);

    let week = get(&app, &owner, "/api/owner/service-mix?days=7").await;
    assert_eq!(visits_of_service(&week, "emergency"), Some(1));
    assert_eq!(visits_of_service(&week, "deep_clean"), Some(1));
    let longer = get(&app, &owner, "/api/owner/service-mix?days=45").await;
    assert_eq!(visits_of_service(&longer, "deep_clean"), Some(4));
    let ninety = get(&app, &owner, "/api/owner/service-mix?days=90").await;
    assert_eq!(ninety["days"], 90);

    let csv = export(&app, &owner, "/api/owner/export/service-mix.csv?days=45").await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"service-mix-45-days.csv\""
    );
    let from_csv: Vec<(String, i64)> = csv
        .rows
        .iter()
        .map(|r| (r["service_type"].clone(), r["visits"].parse().unwrap()))
        .collect();
    let from_json: Vec<(String, i64)> = longer["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["serviceType"].as_str().unwrap().to_owned(),
                s["visits"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(from_csv, from_json, "the file says what the API says");
}

#[tokio::test]
async fn days_outside_1_to_90_or_not_a_number_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for path in [
        "/api/owner/service-mix",
        "/api/owner/export/service-mix.csv",
        "/api/owner/export/conversations.csv",
        "/v1/owner/service-mix",
    ] {
        for days in ["0", "91", "abc", "-1", "2.5"] {
            let res = owner
                .get(app.url(&format!("{path}?days={days}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}?days={days}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "invalid");
            assert!(
                body["fields"]["days"].is_string(),
                "{path}?days={days}: {body}"
            );
        }
    }
    let res = owner
        .get(app.url("/api/owner/export/conversations.csv?include_phone=yes"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["include_phone"].is_string(), "{body}");
}

// --- Counters ---

#[tokio::test]
async fn sms_metrics_start_at_zero_for_every_counter() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    assert_eq!(
        get(&app, &owner, "/api/owner/sms-metrics").await,
        json!({
            "sms_sent_total": 0, "sms_sent_owner": 0, "sms_sent_customer": 0,
            "sms_confirmations_via_sms": 0, "sms_cancellations_via_sms": 0,
            "sms_reschedules_via_sms": 0, "sms_opt_out_events": 0, "sms_opt_in_events": 0,
            "sms_help_events": 0,
            "lead_followups_sent": 0, "retention_sent": {},
        })
    );
}

#[tokio::test]
async fn a_delivered_text_counts_once_however_often_its_job_and_callbacks_come() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, sent) = post(
        &owner,
        &app.url(&format!("/api/messages/threads/{thread}/messages")),
        json!({ "body": "See you Friday!" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    app.drain().await;

    // The carrier reports `delivered` twice more.
    let messages = tests::thread_messages(&app, &owner, &thread).await;
    let delivery = &messages
        .iter()
        .find(|m| m["id"] == sent["message"]["id"])
        .unwrap()["deliveries"][0];
    assert_eq!(delivery["status"], "delivered");
    let sid = delivery["providerMessageId"].as_str().unwrap();
    for _ in 0..2 {
        let res = tests::client()
            .post(app.url("/webhooks/twilio/status"))
            .form(&[
                ("MessageSid", sid),
                ("MessageStatus", "delivered"),
                ("AccountSid", "ACtest"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // And the send job is delivered again.
    let job = engine::deliveries::SendMessage {
        org_id: org_of(&app, demo::OWNER_EMAIL).await,
        message_id: sent["message"]["id"].as_str().unwrap().to_owned(),
        delivery_id: sent["delivery"]["id"].as_str().unwrap().to_owned(),
    };
    let mut tx = app.engine.db.begin().await.unwrap();
    tx.enqueue(&job).await.unwrap();
    tx.commit().await.unwrap();
    app.drain().await;

    let mock = get(&app, &owner, "/api/dev/mock/messages").await;
    assert_eq!(mock["messages"].as_array().unwrap().len(), 1, "sent once");
    let counted = json!({
        "sms_sent_total": 1, "sms_sent_owner": 0, "sms_sent_customer": 1,
        "sms_confirmations_via_sms": 0, "sms_cancellations_via_sms": 0,
        "sms_reschedules_via_sms": 0, "sms_opt_out_events": 0, "sms_opt_in_events": 0,
            "sms_help_events": 0,
        "lead_followups_sent": 0, "retention_sent": {},
    });
    assert_eq!(get(&app, &owner, "/api/owner/sms-metrics").await, counted);

    // The counts are rows in the database, not the process's memory: a restarted app
    // reads the same, today's bucket included.
    let app = app.restart().await;
    let owner = app.owner().await;
    assert_eq!(get(&app, &owner, "/api/owner/sms-metrics").await, counted);
    let (today, _) = local_day(&app, 0);
    let days = engine::counters::daily(&app.engine.db, &job.org_id, "sms_sent_total", today, 7)
        .await
        .unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[6], (today, 1));
    assert_eq!(days.iter().map(|(_, n)| n).sum::<i64>(), 1);
}

#[tokio::test]
async fn a_text_to_the_owner_s_mobile_counts_as_owner_and_one_to_a_client_as_customer() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    // An automation texts the new client and the owner (at the owner's own mobile).
    let (status, saved) = post(
        &owner,
        &app.url("/api/automations"),
        json!({
            "name": "New client", "lane": "front_desk", "trigger": {"event": "client.created"},
            "actions": [
                {"type": "send_sms", "to": "client", "template": "Welcome, {{ client.first_name }}!"},
                {"type": "send_sms", "to": "owner", "template": "New client: {{ client.name }}."},
            ],
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["id"].as_str().unwrap();
    for step in ["test", "activate"] {
        let (status, body) = post(
            &owner,
            &app.url(&format!("/api/automations/{id}/{step}")),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{step}: {body}");
    }
    new_client(&app, &owner, "Zoe Welcome", "+15550200005").await;
    app.drain().await;

    let mock = get(&app, &owner, "/api/dev/mock/messages").await;
    let to: Vec<&str> = mock["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"].as_str().unwrap())
        .collect();
    assert!(
        to.contains(&demo::OWNER_MOBILE) && to.contains(&"+15550200005"),
        "{to:?}"
    );
    let metrics = get(&app, &owner, "/api/owner/sms-metrics").await;
    assert_eq!(
        (
            &metrics["sms_sent_total"],
            &metrics["sms_sent_owner"],
            &metrics["sms_sent_customer"]
        ),
        (&json!(2), &json!(1), &json!(1)),
        "{metrics}"
    );
}

#[tokio::test]
async fn stop_start_and_help_are_counted_once_per_text() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for (sid, body) in [
        ("SMstop1", "STOP"),
        ("SMstop1", "STOP"),
        ("SMstart1", "START"),
        ("SMhelp1", "help"),
        ("SMhelp1", "help"),
    ] {
        assert_eq!(
            app.inbound(sid, JOHN, demo::FRONT_DESK, body)
                .await
                .status(),
            StatusCode::OK
        );
        app.drain().await;
    }
    let metrics = get(&app, &owner, "/api/owner/sms-metrics").await;
    assert_eq!(
        metrics["sms_opt_out_events"], 1,
        "a webhook delivered twice is one STOP"
    );
    assert_eq!(metrics["sms_opt_in_events"], 1);
    assert_eq!(metrics["sms_help_events"], 1);
    assert_eq!(
        metrics["sms_sent_total"], 0,
        "the keyword's own answer is TwiML, not a send"
    );
    let process = get(&app, &owner, "/metrics").await;
    assert!(
        process["sms_opt_out_events"].is_object(),
        "/metrics keeps its own count"
    );
}

// --- Reschedules ---

#[tokio::test]
async fn bookings_waiting_for_a_new_time_are_listed_for_the_owner() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let zoe = new_client(&app, &owner, "Zoe Later", "+15550200003").await;
    let now = app.engine.clock.now();
    let waiting = book(&app, &owner, &zoe, "dog_walk", now + 2 * DAY, false).await;
    book(&app, &owner, &zoe, "dog_walk", now + 3 * DAY, false).await;
    assert_eq!(
        get(&app, &owner, "/api/owner/reschedules").await["bookings"],
        json!([])
    );
    // A client's reply to a reminder sets this; no request may.
    app.exec(
        "update booking set status = 'pending_reschedule' where booking_id = $1",
        &[&waiting],
    )
    .await;
    let list = get(&app, &owner, "/api/owner/reschedules").await;
    let bookings = list["bookings"].as_array().unwrap();
    assert_eq!(bookings.len(), 1);
    assert_eq!(bookings[0]["id"], waiting.as_str());
    assert_eq!(bookings[0]["status"], "pending_reschedule");
    assert_eq!(bookings[0]["clientName"], "Zoe Later");
    let filtered = get(&app, &owner, "/api/bookings?status=pending_reschedule").await;
    assert_eq!(
        filtered["bookings"], list["bookings"],
        "the bookings list filters by it too"
    );
    let res = tests::client()
        .get(app.url("/api/owner/reschedules"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let sitter = app.sitter().await;
    for path in [
        "/api/owner/reschedules",
        "/api/owner/sms-metrics",
        "/v1/owner/export/conversations.csv",
    ] {
        let res = sitter.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

// --- Exports ---

#[tokio::test]
async fn the_conversations_export_survives_quotes_commas_and_line_breaks_and_redacts_numbers() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let john = &get(&app, &owner, "/api/clients?q=John+Smith").await["clients"][0]["id"];
    let tricky_name = "Smith, John \"JJ\"";
    let res = owner
        .patch(app.url(&format!("/api/clients/{}", john.as_str().unwrap())))
        .json(&json!({ "name": tricky_name }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let inbound = "Call me at +15559876543, \"please\"\nany time";
    app.inbound("SMcsv1", JOHN, demo::FRONT_DESK, inbound).await;
    app.inbound("SMcsv2", JOHN, demo::FRONT_DESK, "=1+1").await;
    app.drain().await;
    let thread = thread_on(&app, &owner, tricky_name, demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outbound = "Hi John, \"Friday\" works,\nsee you then";
    let (status, body) = post(
        &owner,
        &app.url(&format!("/api/messages/threads/{thread}/messages")),
        json!({ "body": outbound }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.drain().await;

    let csv = export(&app, &owner, "/api/owner/export/conversations.csv").await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"conversations-30-days.csv\""
    );
    assert_eq!(csv.headers[header::CACHE_CONTROL], "no-store");
    let row = |body: &str| {
        csv.rows
            .iter()
            .find(|r| r["body"] == body)
            .unwrap_or_else(|| panic!("no row with body {body:?} in\n{}", csv.text))
    };
    let sent = row(outbound);
    assert_eq!(sent["client_name"], tricky_name);
    assert_eq!(sent["direction"], "outbound");
    assert_eq!(sent["sender"], "Olivia Owner");
    assert_eq!(sent["status"], "delivered");
    assert_eq!(sent["client_phone"], "+1555****4567");
    assert_eq!(sent["business_number"], demo::FRONT_DESK);
    assert_eq!(sent["thread_id"], thread.as_str());
    let received = row("Call me at +1555****6543, \"please\"\nany time");
    assert_eq!(received["direction"], "inbound");
    assert_eq!(row("'=1+1")["kind"], "sms", "a formula is made inert");
    assert!(
        !csv.text.contains(JOHN) && !csv.text.contains("+15559876543"),
        "no number in full"
    );
    let times: Vec<&String> = csv.rows.iter().map(|r| &r["time"]).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    let audited = get(
        &app,
        &owner,
        "/api/audit/events?type=export.phone_numbers_included",
    )
    .await;
    assert_eq!(audited["events"], json!([]));

    let full = export(
        &app,
        &owner,
        "/api/owner/export/conversations.csv?include_phone=true",
    )
    .await;
    assert!(
        full.rows.iter().any(|r| r["body"] == inbound),
        "the text as written"
    );
    assert!(
        full.rows
            .iter()
            .filter(|r| r["thread_id"] == thread.as_str())
            .all(|r| r["client_phone"] == JOHN)
    );
    let audited = get(
        &app,
        &owner,
        "/api/audit/events?type=export.phone_numbers_included",
    )
    .await;
    let events = audited["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "showing numbers is on the record");
    assert_eq!(
        events[0]["payload"],
        json!({ "export": "conversations", "days": 30 })
    );
    assert_eq!(events[0]["actorType"], "user");

    // Ten days on, a week's export is empty and a month's is not.
    app.engine.clock.advance(10 * DAY);
    let week = export(&app, &owner, "/api/owner/export/conversations.csv?days=7").await;
    assert!(week.rows.is_empty(), "{}", week.text);
    let month = export(&app, &owner, "/api/owner/export/conversations.csv?days=30").await;
    assert_eq!(month.rows.len(), csv.rows.len());
}

// --- The seed's paths ---

#[tokio::test]
async fn the_seed_s_v1_owner_paths_answer_like_ours() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for path in [
        "/schedule/tomorrow",
        "/summary/today",
        "/service-mix?days=14",
        "/sms-metrics",
        "/reschedules",
    ] {
        // The service mix's window ends at the moment of asking.
        let same = |mut v: Value| {
            if let Some(o) = v.as_object_mut() {
                o.remove("from");
                o.remove("to");
            }
            v
        };
        assert_eq!(
            same(get(&app, &owner, &format!("/v1/owner{path}")).await),
            same(get(&app, &owner, &format!("/api/owner{path}")).await),
            "{path}"
        );
    }
    for path in [
        "/export/service-mix.csv?days=14",
        "/export/conversations.csv",
    ] {
        let ours = export(&app, &owner, &format!("/api/owner{path}")).await;
        let theirs = export(&app, &owner, &format!("/v1/owner{path}")).await;
        assert_eq!(theirs.text, ours.text, "{path}");
        assert!(!ours.rows.is_empty(), "{path}: the demo org has data");
    }
    let doc = get(&app, &owner, "/api/openapi.json").await;
    for path in [
        "/api/owner/schedule/tomorrow",
        "/api/owner/summary/today",
        "/api/owner/service-mix",
        "/api/owner/sms-metrics",
        "/api/owner/reschedules",
        "/api/owner/export/service-mix.csv",
        "/api/owner/export/conversations.csv",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}

// --- One org, its own data ---

#[tokio::test]
async fn an_owner_never_sees_another_org_s_bookings_texts_or_counts() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let other = app.other_org().await;
    let theirs = new_client(&app, &other.owner, "Their Client", OTHER_CLIENT).await;
    let (_, tomorrow) = local_day(&app, 1);
    let now = app.engine.clock.now();
    let mut booked = Vec::new();
    for (service, start, weekly) in [
        ("their_service", tomorrow + 10 * HOUR, false),
        ("their_service", now - DAY, false),
        ("their_weekly", tomorrow - 7 * DAY + 8 * HOUR, true),
        ("their_service", now + 3 * DAY, false),
    ] {
        booked.push(book(&app, &other.owner, &theirs, service, start, weekly).await);
    }
    let waiting = booked.pop().unwrap();
    app.exec(
        "update booking set status = 'pending_reschedule' where booking_id = $1",
        &[&waiting],
    )
    .await;
    app.inbound(
        "SMother1",
        OTHER_CLIENT,
        OTHER_FRONT_DESK,
        "their secret text",
    )
    .await;
    app.drain().await;
    let (status, body) = post(
        &other.owner,
        &app.url(&format!(
            "/api/messages/threads/{}/messages",
            other.thread_id
        )),
        json!({ "body": "their reply" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.drain().await;

    let day = get(&app, &owner, "/api/owner/schedule/tomorrow").await;
    assert!(visits_of(&day, "Their Client").is_empty());
    assert!(!day["summary"].as_str().unwrap().contains("Their Client"));
    let mix = get(&app, &owner, "/api/owner/service-mix?days=90").await;
    assert_eq!(visits_of_service(&mix, "their_service"), None);
    assert_eq!(visits_of_service(&mix, "their_weekly"), None);
    assert_eq!(
        get(&app, &owner, "/api/owner/reschedules").await["bookings"],
        json!([])
    );
    let csv = export(
        &app,
        &owner,
        "/api/owner/export/conversations.csv?include_phone=true",
    )
    .await;
    for theirs in [
        "their secret text",
        "their reply",
        "Their Client",
        OTHER_CLIENT,
    ] {
        assert!(!csv.text.contains(theirs), "{theirs} in\n{}", csv.text);
    }
    let mix_csv = export(&app, &owner, "/api/owner/export/service-mix.csv?days=90").await;
    assert!(!mix_csv.text.contains("their_service"));
    assert_eq!(
        get(&app, &owner, "/api/owner/sms-metrics").await["sms_sent_total"],
        0
    );

    // And the other owner sees exactly their own.
    let day = get(&app, &other.owner, "/api/owner/schedule/tomorrow").await;
    assert_eq!(visits_of(&day, "Their Client").len(), 2);
    assert_eq!(day["visits"].as_array().unwrap().len(), 2);
    let mix = get(&app, &other.owner, "/api/owner/service-mix").await;
    assert_eq!(
        mix["services"],
        json!([
            { "serviceType": "their_service", "visits": 1 },
            { "serviceType": "their_weekly", "visits": 1 },
        ])
    );
    let list = get(&app, &other.owner, "/api/owner/reschedules").await;
    assert_eq!(list["bookings"][0]["id"], waiting.as_str());
    let csv = export(&app, &other.owner, "/api/owner/export/conversations.csv").await;
    let bodies: Vec<&str> = csv.rows.iter().map(|r| r["body"].as_str()).collect();
    assert_eq!(bodies, ["their secret text", "their reply"]);
    assert_eq!(
        get(&app, &other.owner, "/api/owner/sms-metrics").await["sms_sent_customer"],
        1
    );
}

// --- The dashboard ---

/// The part of a page from the element marked `testid` up to `end`.
fn marked<'a>(page: &'a str, testid: &str, end: &str) -> &'a str {
    let start = page
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("no {testid} on the page"));
    let rest = &page[start..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_dashboard_shows_the_days_the_reschedules_the_alerts_and_the_week_s_sends() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (_, today_start) = local_day(&app, 0);
    let (_, tomorrow_start) = local_day(&app, 1);
    let zoe = new_client(&app, &owner, "Zoe Dashboard", "+15550200004").await;
    book(&app, &owner, &zoe, "dog_walk", today_start + MINUTE, false).await;
    book(
        &app,
        &owner,
        &zoe,
        "drop_in",
        tomorrow_start + 8 * HOUR,
        false,
    )
    .await;
    let waiting = book(
        &app,
        &owner,
        &zoe,
        "overnight",
        tomorrow_start + 3 * DAY,
        false,
    )
    .await;
    app.exec(
        "update booking set status = 'pending_reschedule' where booking_id = $1",
        &[&waiting],
    )
    .await;
    // An unmapped text raises an alert; a reply is a text sent today.
    app.inbound("SMdash1", "+15550300001", demo::POOL_NUMBER, "Hello?")
        .await;
    let thread = thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        &owner,
        &app.url(&format!("/api/messages/threads/{thread}/messages")),
        json!({ "body": "On our way" }),
    )
    .await;
    app.drain().await;

    let res = owner.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("data-testid=\"thread-count\""),
        "the figures it had stay"
    );
    assert!(marked(&page, "today", "</ul>").contains("Zoe Dashboard"));
    assert!(
        marked(&page, "tomorrow", "</ul>").contains("drop in for <strong>Zoe Dashboard</strong>")
    );
    assert!(!marked(&page, "tomorrow", "</ul>").contains("overnight"));
    assert!(marked(&page, "reschedules", "</ul>").contains(&format!("/bookings/{waiting}")));
    assert!(marked(&page, "alerts", "</ul>").contains("Unmapped Inbound Message"));
    assert!(marked(&page, "open-alerts", "</span>").ends_with(">1"));
    assert!(marked(&page, "week-total", "</span>").ends_with(">1 in 7 days"));
    let chart = marked(&page, "week-chart", "</svg>");
    let (today, _) = local_day(&app, 0);
    assert_eq!(chart.matches("<rect").count(), 7, "a bar a day");
    assert!(
        chart.contains(&format!("data-date=\"{today}\" data-value=\"1\"")),
        "{chart}"
    );
    assert_eq!(chart.matches("data-value=\"0\"").count(), 6);
}
