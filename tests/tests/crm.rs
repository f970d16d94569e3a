//! The small CRM under the messaging: clients, sitters, bookings, assignment windows, and
//! proactive threads (a booking's sitter gets the client's thread and windows at once).

use engine::clock::{DAY, HOUR, MINUTE, to_rfc3339};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, call, demo, get_json, owner_threads, thread_on};

const JOHN: &str = "+15551234567";
const EMILY: &str = "+15550100002";
const MIKE_NUMBER: &str = "+15552222223";

async fn post(app: &TestApp, c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    call(c, Method::POST, &app.url(path), Some(body)).await
}

async fn patch(app: &TestApp, c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    call(c, Method::PATCH, &app.url(path), Some(body)).await
}

async fn put(app: &TestApp, c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    call(c, Method::PUT, &app.url(path), Some(body)).await
}

async fn get(app: &TestApp, c: &Client, path: &str) -> Value {
    get_json(c, &app.url(path), StatusCode::OK).await
}

fn at(ms: i64) -> String {
    to_rfc3339(ms)
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn new_client(app: &TestApp, c: &Client, name: &str, phone: &str) -> Value {
    let (status, body) = post(
        app,
        c,
        "/api/clients",
        json!({ "name": name, "phone": phone }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn sitter_id(app: &TestApp, c: &Client, name: &str) -> String {
    let list = get(app, c, "/api/sitters").await;
    list["sitters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .map(id)
        .unwrap_or_else(|| panic!("no sitter {name}"))
}

async fn client_id(app: &TestApp, c: &Client, name: &str) -> String {
    let page = get(
        app,
        c,
        &format!("/api/clients?q={}", name.replace(' ', "+")),
    )
    .await;
    id(&page["clients"][0])
}

async fn book(app: &TestApp, c: &Client, body: Value) -> Value {
    let (status, booking) = post(app, c, "/api/bookings", body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    booking
}

async fn windows_where(app: &TestApp, c: &Client, query: &str) -> Vec<Value> {
    let page = get(
        app,
        c,
        &format!("/api/assignments/windows?limit=200&{query}"),
    )
    .await;
    page["windows"].as_array().cloned().unwrap_or_default()
}

async fn all_windows(app: &TestApp, c: &Client) -> usize {
    windows_where(app, c, "").await.len()
}

/// A second org with its own owner, sitter, client, number and thread.
struct OtherOrg {
    owner: Client,
    sitter_id: String,
    client_id: String,
    thread_id: String,
}

async fn other_org(app: &TestApp) -> OtherOrg {
    let other = app.other_org().await;
    let client = new_client(app, &other.owner, "Their Client", tests::OTHER_CLIENT).await;
    OtherOrg {
        owner: other.owner,
        sitter_id: other.sitter_id,
        client_id: id(&client),
        thread_id: other.thread_id,
    }
}

// --- Clients ---

#[tokio::test]
async fn a_client_phone_must_be_e164_and_every_bad_field_is_named() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for phone in [
        "555-123-4567",
        "5551234567",
        "+0555123456",
        "+1 555 123 4567",
        "",
    ] {
        let (status, body) = post(
            &app,
            &owner,
            "/api/clients",
            json!({ "name": "Pat", "phone": phone }),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{phone}");
        assert_eq!(body["error"], "invalid");
        let reason = body["fields"]["phone"].as_str().unwrap_or_default();
        assert!(
            reason.contains("E.164") && reason.contains("+15551234567"),
            "{body}"
        );
    }
    let (status, body) = post(
        &app,
        &owner,
        "/api/clients",
        json!({ "name": " ", "phone": "call me", "email": "pat@", "tags": ["50%"] }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for field in ["name", "phone", "email", "tags"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
}

#[tokio::test]
async fn a_phone_another_client_has_is_a_conflict_naming_them() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (status, body) = post(
        &app,
        &owner,
        "/api/clients",
        json!({ "name": "Johnny", "phone": JOHN }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("John Smith"),
        "{body}"
    );
    let emily = client_id(&app, &owner, "Emily Davis").await;
    let (status, _) = patch(
        &app,
        &owner,
        &format!("/api/clients/{emily}"),
        json!({ "phone": JOHN }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Another org may have a client with the same number.
    let other = other_org(&app).await;
    let (status, _) = post(
        &app,
        &other.owner,
        "/api/clients",
        json!({ "name": "Their John", "phone": JOHN }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_new_client_takes_over_the_threads_with_their_number() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let stranger = "+15557654321";
    app.inbound("SMnew", stranger, demo::FRONT_DESK, "Hi, do you walk dogs?")
        .await;
    app.drain().await;
    thread_on(&app, &owner, "", demo::FRONT_DESK).await;
    let client = new_client(&app, &owner, "Nora Newcomer", stranger).await;
    assert_eq!(client["phone"], stranger);
    assert_eq!(client["optedOut"], false);
    assert_eq!(client["recurring"], false);
    assert!(client["lastVisit"].is_null());
    thread_on(&app, &owner, "Nora Newcomer", demo::FRONT_DESK).await;
    let audit = get(
        &app,
        &owner,
        &format!("/api/audit/events?entityId={}", id(&client)),
    )
    .await;
    assert_eq!(audit["events"][0]["type"], "client.created");
    assert_eq!(audit["events"][0]["payload"]["linkedThreads"], 1);
}

#[tokio::test]
async fn clients_filter_by_name_phone_tag_and_opt_out_and_page_by_cursor() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let found = get(&app, &owner, "/api/clients?q=SMITH").await;
    assert_eq!(names(&found["clients"]), ["John Smith"]);
    let by_phone = get(&app, &owner, "/api/clients?q=0100005").await;
    assert_eq!(names(&by_phone["clients"]), ["David Martinez"]);
    let weekly = get(&app, &owner, "/api/clients?tag=Weekly").await;
    assert_eq!(
        names(&weekly["clients"]),
        [
            "Chris Anderson",
            "Jessica Wilson",
            "John Smith",
            "Sophia Lee"
        ]
    );
    app.inbound("SMstop", EMILY, demo::SARAH_NUMBER, "STOP")
        .await;
    app.drain().await;
    let out = get(&app, &owner, "/api/clients?optedOut=true").await;
    assert_eq!(names(&out["clients"]), ["Emily Davis"]);
    assert_eq!(out["clients"][0]["optedOut"], true);
    let reachable = get(&app, &owner, "/api/clients?optedOut=false&limit=200").await;
    assert_eq!(reachable["clients"].as_array().unwrap().len(), 11);
    let (status, body) = call(
        &owner,
        Method::GET,
        &app.url("/api/clients?optedOut=maybe"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["fields"]["optedOut"].is_string()),
        (StatusCode::BAD_REQUEST, true)
    );

    let everyone = names(&get(&app, &owner, "/api/clients?limit=200").await["clients"]);
    assert_eq!(everyone.len(), 12);
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/clients?limit=5&cursor={c}"),
            None => "/api/clients?limit=5".to_owned(),
        };
        let page = get(&app, &owner, &path).await;
        paged.extend(names(&page["clients"]));
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!((pages, paged), (3, everyone));
    let (status, _) = call(
        &owner,
        Method::GET,
        &app.url("/api/clients?cursor=nope"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn patching_a_client_changes_only_what_is_sent() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let john = client_id(&app, &owner, "John Smith").await;
    let path = format!("/api/clients/{john}");
    let before = get(&app, &owner, &path).await;
    assert_eq!(before["email"], "john.smith@example.net");
    let (status, after) = patch(
        &app,
        &owner,
        &path,
        json!({ "name": "John A. Smith", "tags": ["VIP", "weekly"], "notes": "Key under the mat", "email": null }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["name"], "John A. Smith");
    assert_eq!(after["tags"], json!(["vip", "weekly"]));
    assert_eq!(after["notes"], "Key under the mat");
    assert!(after["email"].is_null());
    assert_eq!(after["phone"], JOHN, "an absent field stays");
    let (status, body) = patch(&app, &owner, &path, json!({ "phone": "555 1234" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["phone"].as_str().unwrap().contains("E.164"));
    assert_eq!(
        get(&app, &owner, &path).await["phone"],
        JOHN,
        "nothing half-written"
    );
    let audit = get(&app, &owner, &format!("/api/audit/events?entityId={john}")).await;
    assert_eq!(audit["events"][0]["type"], "client.updated");
    assert_eq!(
        audit["events"][0]["payload"]["changed"],
        json!(["name", "notes", "email", "tags"])
    );
    let other = other_org(&app).await;
    let (status, _) = patch(
        &app,
        &owner,
        &format!("/api/clients/{}", other.client_id),
        json!({ "name": "x" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn recurring_and_last_visit_follow_the_bookings() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let client = new_client(&app, &owner, "Rita Regular", "+15557000001").await;
    let now = app.engine.clock.now();
    let weekly = book(
        &app,
        &owner,
        json!({ "clientId": id(&client), "serviceType": "dog_walk", "startAt": at(now + DAY),
                "endAt": at(now + DAY + HOUR), "recurrence": "weekly" }),
    )
    .await;
    assert_eq!(weekly["recurrence"], "weekly");
    let path = format!("/api/clients/{}", id(&client));
    assert_eq!(get(&app, &owner, &path).await["recurring"], true);
    let (status, _) = post(
        &app,
        &owner,
        &format!("/api/bookings/{}/cancel", id(&weekly)),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get(&app, &owner, &path).await["recurring"], false);

    let visit = book(
        &app,
        &owner,
        json!({ "clientId": id(&client), "serviceType": "drop_in", "startAt": at(now - 2 * DAY),
                "endAt": at(now - 2 * DAY + HOUR) }),
    )
    .await;
    assert!(
        get(&app, &owner, &path).await["lastVisit"].is_null(),
        "not completed yet"
    );
    let (status, _) = patch(
        &app,
        &owner,
        &format!("/api/bookings/{}", id(&visit)),
        json!({ "status": "completed" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get(&app, &owner, &path).await["lastVisit"], visit["endAt"]);
}

#[tokio::test]
async fn archived_clients_leave_the_list_and_cannot_be_booked() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let client = new_client(&app, &owner, "Archie Gone", "+15557000002").await;
    let now = app.engine.clock.now();
    let booking = book(
        &app,
        &owner,
        json!({ "clientId": id(&client), "serviceType": "dog_walk", "startAt": at(now + DAY), "endAt": at(now + DAY + HOUR) }),
    )
    .await;
    let archive = format!("/api/clients/{}/archive", id(&client));
    let (status, body) = post(&app, &owner, &archive, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "an upcoming booking: {body}");
    post(
        &app,
        &owner,
        &format!("/api/bookings/{}/cancel", id(&booking)),
        json!({}),
    )
    .await;
    let (status, archived) = post(&app, &owner, &archive, json!({})).await;
    assert_eq!(
        (status, &archived["archived"]),
        (StatusCode::OK, &json!(true))
    );
    assert!(
        get(&app, &owner, "/api/clients?q=archie").await["clients"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        names(&get(&app, &owner, "/api/clients?archived=true").await["clients"]),
        ["Archie Gone"]
    );
    let (status, body) = post(
        &app,
        &owner,
        "/api/bookings",
        json!({ "clientId": id(&client), "serviceType": "dog_walk", "startAt": at(now + DAY), "endAt": at(now + DAY + HOUR) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["clientId"]
            .as_str()
            .unwrap()
            .contains("archived")
    );
    let (status, _) = post(
        &app,
        &owner,
        &format!("/api/clients/{}/restore", id(&client)),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&get(&app, &owner, "/api/clients?q=archie").await["clients"]),
        ["Archie Gone"]
    );
}

// --- Sitters ---

#[tokio::test]
async fn owners_add_and_rename_sitters_who_carry_their_numbers() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let list = get(&app, &owner, "/api/sitters").await;
    let sarah = list["sitters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Sarah Johnson")
        .unwrap()
        .clone();
    assert_eq!(sarah["sitterNumber"], demo::SARAH_NUMBER);
    assert_eq!(
        get(&app, &owner, &format!("/api/sitters/{}", id(&sarah))).await["email"],
        demo::SITTER_EMAIL
    );

    let (status, body) = post(
        &app,
        &owner,
        "/api/sitters",
        json!({ "name": "", "email": "x", "password": "short" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for field in ["name", "email", "password"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    let (status, _) = post(
        &app,
        &owner,
        "/api/sitters",
        json!({ "name": "Copy Cat", "email": demo::SITTER_EMAIL, "password": "long enough" }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, nina) = post(
        &app,
        &owner,
        "/api/sitters",
        json!({ "name": "Nina Novak", "email": "Nina@Example.com", "password": "long enough" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{nina}");
    assert_eq!(nina["email"], "nina@example.com");
    assert!(nina["sitterNumber"].is_null());
    let (status, renamed) = patch(
        &app,
        &owner,
        &format!("/api/sitters/{}", id(&nina)),
        json!({ "name": "Nina Novak-Lee" }),
    )
    .await;
    assert_eq!(
        (status, &renamed["name"]),
        (StatusCode::OK, &json!("Nina Novak-Lee"))
    );
    let nina_login = app.login("nina@example.com", "long enough").await;
    let session = get(&app, &nina_login, "/api/auth/session").await;
    assert_eq!(session["role"], "sitter");
    let body = get_json(&nina_login, &app.url("/api/sitters"), StatusCode::FORBIDDEN).await;
    assert_eq!(body["error"], "forbidden");
    let (status, _) = patch(&app, &owner, "/api/sitters/nobody", json!({ "name": "x" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// --- Bookings ---

#[tokio::test]
async fn booking_fields_are_checked_together_and_foreign_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let john = client_id(&app, &owner, "John Smith").await;
    let now = app.engine.clock.now();
    let (status, body) = post(
        &app,
        &owner,
        "/api/bookings",
        json!({ "clientId": john, "serviceType": "dog_walk", "startAt": at(now + 2 * HOUR), "endAt": at(now + HOUR) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["fields"]["endAt"], "must be after the start");
    let (status, body) = post(
        &app,
        &owner,
        "/api/bookings",
        json!({ "clientId": "nope", "sitterId": "nobody", "serviceType": "", "startAt": at(now),
                "endAt": at(now + HOUR), "recurrence": "daily" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for field in ["clientId", "sitterId", "serviceType", "recurrence"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    let (status, body) = post(
        &app,
        &owner,
        "/api/bookings",
        json!({ "clientId": john, "serviceType": "walk", "startAt": "tomorrow", "endAt": at(now) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["startAt"]
            .as_str()
            .unwrap()
            .contains("RFC 3339")
    );
    let (status, body) = post(
        &app,
        &owner,
        "/api/bookings",
        json!({ "clientId": john, "serviceType": "week away", "startAt": at(now),
                "endAt": at(now + 8 * DAY), "recurrence": "weekly" }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a weekly visit ends before the next: {body}"
    );

    let other = other_org(&app).await;
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    for body in [
        json!({ "clientId": other.client_id, "serviceType": "walk", "startAt": at(now), "endAt": at(now + HOUR) }),
        json!({ "clientId": john, "sitterId": other.sitter_id, "serviceType": "walk", "startAt": at(now), "endAt": at(now + HOUR) }),
    ] {
        let (status, _) = post(&app, &owner, "/api/bookings", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = post(
        &app,
        &other.owner,
        "/api/bookings",
        json!({ "clientId": other.client_id, "sitterId": sarah, "serviceType": "walk", "startAt": at(now), "endAt": at(now + HOUR) }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the demo's sitter is not theirs"
    );
    let bookings = get(&app, &owner, "/api/bookings?limit=200").await;
    let (status, _) = patch(
        &app,
        &other.owner,
        &format!("/api/bookings/{}", id(&bookings["bookings"][0])),
        json!({ "status": "confirmed" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bookings_filter_by_time_status_client_and_sitter_and_page_by_cursor() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let now = app.engine.clock.now();
    let count = |v: &Value| v["bookings"].as_array().unwrap().len();
    let all = get(&app, &owner, "/api/bookings?limit=200").await;
    assert_eq!(count(&all), 12);
    assert_eq!(
        count(&get(&app, &owner, "/api/bookings?status=completed").await),
        4
    );
    assert_eq!(
        count(&get(&app, &owner, "/api/bookings?status=scheduled").await),
        8
    );
    let from = format!("/api/bookings?from={}", at(now).replace('+', "%2B"));
    assert_eq!(count(&get(&app, &owner, &from).await), 8);
    let window = format!("/api/bookings?from={}&to={}", at(now), at(now + 2 * DAY));
    assert_eq!(count(&get(&app, &owner, &window).await), 2);
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let hers = get(&app, &owner, &format!("/api/bookings?sitterId={sarah}")).await;
    assert_eq!(count(&hers), 4);
    assert!(
        hers["bookings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["sitterName"] == "Sarah Johnson")
    );
    let john = client_id(&app, &owner, "John Smith").await;
    let his = get(&app, &owner, &format!("/api/bookings?clientId={john}")).await;
    assert_eq!(
        (count(&his), &his["bookings"][0]["clientName"]),
        (1, &json!("John Smith"))
    );
    let (status, body) = call(
        &owner,
        Method::GET,
        &app.url("/api/bookings?status=lost&from=soon"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["from"].is_string(), "{body}");

    let first = get(&app, &owner, "/api/bookings?limit=5").await;
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = get(
        &app,
        &owner,
        &format!("/api/bookings?limit=5&cursor={cursor}"),
    )
    .await;
    let third = get(
        &app,
        &owner,
        &format!(
            "/api/bookings?limit=5&cursor={}",
            second["nextCursor"].as_str().unwrap()
        ),
    )
    .await;
    assert!(third["nextCursor"].is_null());
    let paged: Vec<Value> = [first, second, third]
        .iter()
        .flat_map(|p| p["bookings"].as_array().unwrap().clone())
        .collect();
    assert_eq!(paged, *all["bookings"].as_array().unwrap());
    let starts: Vec<&str> = paged
        .iter()
        .map(|b| b["startAt"].as_str().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "by start time");
}

#[tokio::test]
async fn patching_and_cancelling_a_booking_is_audited() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let john = client_id(&app, &owner, "John Smith").await;
    let now = app.engine.clock.now();
    let booking = book(
        &app,
        &owner,
        json!({ "clientId": john, "serviceType": "dog_walk", "startAt": at(now + DAY), "endAt": at(now + DAY + HOUR) }),
    )
    .await;
    assert_eq!(booking["status"], "scheduled");
    let path = format!("/api/bookings/{}", id(&booking));
    let (status, changed) = patch(
        &app,
        &owner,
        &path,
        json!({ "status": "confirmed", "serviceType": "long walk", "endAt": at(now + DAY + 2 * HOUR) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (&changed["status"], &changed["serviceType"]),
        (&json!("confirmed"), &json!("long walk"))
    );
    assert_eq!(changed["endAt"], at(now + DAY + 2 * HOUR));
    let (status, body) = patch(
        &app,
        &owner,
        &path,
        json!({ "status": "lost", "startAt": at(now + 3 * DAY) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["status"].is_string() && body["fields"]["endAt"].is_string(),
        "{body}"
    );
    let (status, cancelled) = post(&app, &owner, &format!("{path}/cancel"), json!({})).await;
    assert_eq!(
        (status, &cancelled["status"]),
        (StatusCode::OK, &json!("cancelled"))
    );
    let (status, _) = post(&app, &owner, &format!("{path}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "cancelling twice is harmless");
    let audit = get(
        &app,
        &owner,
        &format!(
            "/api/audit/events?entityType=booking&entityId={}",
            id(&booking)
        ),
    )
    .await;
    let kinds: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["booking.cancelled", "booking.updated", "booking.created"]
    );
    assert_eq!(
        audit["events"][1]["payload"]["status"],
        json!({ "from": "scheduled", "to": "confirmed" })
    );

    let done = get(&app, &owner, "/api/bookings?status=completed").await;
    let (status, _) = post(
        &app,
        &owner,
        &format!("/api/bookings/{}/cancel", id(&done["bookings"][0])),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = post(&app, &owner, "/api/bookings/nope/cancel", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// --- Assignment windows ---

#[tokio::test]
async fn window_fields_are_checked_and_foreign_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = id(&thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await);
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let now = app.engine.clock.now();
    let window = |thread: &str, sitter: &str, start: i64, end: i64| json!({ "threadId": thread, "sitterId": sitter, "startAt": at(start), "endAt": at(end) });
    let path = "/api/assignments/windows";
    let (status, body) = post(&app, &owner, path, window(&thread, &sarah, now + HOUR, now)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["fields"]["endAt"], "must be after the start");
    let (status, _) = post(&app, &owner, path, window(&thread, &sarah, now, now)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an empty window");
    let (status, body) = post(
        &app,
        &owner,
        path,
        window("no-thread", "no-sitter", now, now + HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["threadId"].is_string() && body["fields"]["sitterId"].is_string(),
        "{body}"
    );
    let owner_id = get(&app, &owner, "/api/auth/session").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = post(
        &app,
        &owner,
        path,
        window(&thread, &owner_id, now, now + HOUR),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the owner is not a sitter: {body}"
    );
    let (status, body) = post(
        &app,
        &owner,
        path,
        json!({ "threadId": thread, "sitterId": sarah, "startAt": "9am", "endAt": at(now) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["startAt"].is_string());

    let other = other_org(&app).await;
    let (status, _) = post(
        &app,
        &owner,
        path,
        window(&other.thread_id, &sarah, now, now + HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(
        &app,
        &owner,
        path,
        window(&thread, &other.sitter_id, now, now + HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, theirs) = post(
        &app,
        &other.owner,
        path,
        window(&other.thread_id, &other.sitter_id, now, now + HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    let theirs = format!("{path}/{}", id(&theirs));
    let (status, _) = put(
        &app,
        &owner,
        &theirs,
        window(&thread, &sarah, now, now + HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&owner, Method::DELETE, &app.url(&theirs), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        windows_where(&app, &other.owner, "").await.len(),
        1,
        "theirs is untouched"
    );
}

#[tokio::test]
async fn a_window_overlapping_another_on_its_thread_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = id(&thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await);
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let mike = sitter_id(&app, &owner, "Mike Chen").await;
    let now = app.engine.clock.now();
    let path = "/api/assignments/windows";
    let window = |sitter: &str, start: i64, end: i64| json!({ "threadId": thread, "sitterId": sitter, "startAt": at(start), "endAt": at(end) });
    let (status, first) = post(
        &app,
        &owner,
        path,
        window(&sarah, now + HOUR, now + 3 * HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        (&first["sitterName"], &first["status"]),
        (&json!("Sarah Johnson"), &json!("upcoming"))
    );
    let (status, body) = post(
        &app,
        &owner,
        path,
        window(&mike, now + 2 * HOUR, now + 4 * HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&id(&first))
            && message.contains(&at(now + HOUR))
            && message.contains(&at(now + 3 * HOUR)),
        "{message}"
    );
    // Back to back is a handover, not an overlap.
    let (status, second) = post(
        &app,
        &owner,
        path,
        window(&mike, now + 3 * HOUR, now + 4 * HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second_path = format!("{path}/{}", id(&second));
    let (status, body) = put(
        &app,
        &owner,
        &second_path,
        window(&mike, now + 2 * HOUR, now + 4 * HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains(&id(&first)));
    let (status, moved) = put(
        &app,
        &owner,
        &second_path,
        window(&sarah, now + 5 * HOUR, now + 6 * HOUR),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (&moved["sitterName"], &moved["startAt"]),
        (&json!("Sarah Johnson"), &json!(at(now + 5 * HOUR)))
    );
    // Windows on another thread do not count.
    let emily = id(&thread_on(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await);
    let (status, _) = post(
        &app,
        &owner,
        path,
        json!({ "threadId": emily, "sitterId": mike, "startAt": at(now + 5 * HOUR), "endAt": at(now + 6 * HOUR) }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "Emily's thread has Sarah's week-long window"
    );
    let (status, _) = call(&owner, Method::DELETE, &app.url(&second_path), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&owner, Method::DELETE, &app.url(&second_path), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let audit = get(
        &app,
        &owner,
        &format!("/api/audit/events?entityId={}", id(&second)),
    )
    .await;
    let kinds: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "assignment_window.deleted",
            "assignment_window.updated",
            "assignment_window.created"
        ]
    );
}

#[tokio::test]
async fn window_status_follows_the_clock_and_filters_the_list() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let thread = id(&thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await);
    let mike = sitter_id(&app, &owner, "Mike Chen").await;
    let now = app.engine.clock.now();
    let (status, window) = post(
        &app,
        &owner,
        "/api/assignments/windows",
        json!({ "threadId": thread, "sitterId": mike, "startAt": at(now + HOUR), "endAt": at(now + 2 * HOUR) }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let status_now = |list: Vec<Value>| {
        list.iter()
            .find(|w| w["id"] == window["id"])
            .map(|w| w["status"].as_str().unwrap().to_owned())
    };
    let query = format!("threadId={thread}&sitterId={mike}");
    assert_eq!(
        status_now(windows_where(&app, &owner, &query).await).as_deref(),
        Some("upcoming")
    );
    assert_eq!(
        windows_where(&app, &owner, &format!("{query}&status=active"))
            .await
            .len(),
        0
    );
    app.engine.clock.advance(90 * MINUTE);
    assert_eq!(
        status_now(windows_where(&app, &owner, &format!("{query}&status=active")).await).as_deref(),
        Some("active")
    );
    app.engine.clock.advance(HOUR);
    assert_eq!(
        status_now(windows_where(&app, &owner, &format!("{query}&status=past")).await).as_deref(),
        Some("past")
    );
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let hers = windows_where(&app, &owner, &format!("sitterId={sarah}")).await;
    assert_eq!(hers.len(), 3, "the demo's three windows of Sarah's");
    let (status, body) = call(
        &owner,
        Method::GET,
        &app.url("/api/assignments/windows?status=soon"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["fields"]["status"].is_string()),
        (StatusCode::BAD_REQUEST, true)
    );
}

// --- Proactive threads ---

/// A client of their own (no demo thread yet) and a booking tomorrow 10:00–11:00 UTC.
async fn unassigned_booking(app: &TestApp, owner: &Client, recurrence: &str) -> (String, Value) {
    let client = new_client(app, owner, "Polly Proactive", "+15557000009").await;
    let now = app.engine.clock.now();
    let start = now - now % DAY + DAY + 10 * HOUR;
    let booking = book(
        app,
        owner,
        json!({ "clientId": id(&client), "serviceType": "dog_walk", "startAt": at(start),
                "endAt": at(start + HOUR), "recurrence": recurrence }),
    )
    .await;
    (id(&client), booking)
}

#[tokio::test]
async fn assigning_a_sitter_opens_the_thread_with_a_buffered_window_once() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (_, booking) = unassigned_booking(&app, &owner, "none").await;
    assert!(booking["threadId"].is_null());
    let threads_before = owner_threads(&app, &owner).await.len();
    let windows_before = all_windows(&app, &owner).await;
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let path = format!("/api/bookings/{}", id(&booking));

    let (status, assigned) = patch(&app, &owner, &path, json!({ "sitterId": sarah })).await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    assert_eq!(assigned["sitterName"], "Sarah Johnson");
    let thread = thread_on(&app, &owner, "Polly Proactive", demo::SARAH_NUMBER).await;
    assert_eq!(assigned["threadId"], thread["id"]);
    assert_eq!(thread["assignmentStatus"], "upcoming");
    let windows = windows_where(&app, &owner, &format!("bookingId={}", id(&booking))).await;
    assert_eq!(windows.len(), 1);
    let start =
        engine::clock::parse_rfc3339("startAt", booking["startAt"].as_str().unwrap()).unwrap();
    assert_eq!(windows[0]["startAt"], at(start - HOUR), "60 minutes before");
    assert_eq!(
        windows[0]["endAt"],
        at(start + 2 * HOUR),
        "60 minutes after"
    );
    assert_eq!(
        (&windows[0]["threadId"], &windows[0]["sitterId"]),
        (&thread["id"], &json!(sarah))
    );
    assert_eq!(owner_threads(&app, &owner).await.len(), threads_before + 1);
    assert_eq!(all_windows(&app, &owner).await, windows_before + 1);

    let (status, again) = patch(&app, &owner, &path, json!({ "sitterId": sarah })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["threadId"], thread["id"]);
    assert_eq!(
        owner_threads(&app, &owner).await.len(),
        threads_before + 1,
        "no second thread"
    );
    assert_eq!(
        all_windows(&app, &owner).await,
        windows_before + 1,
        "no second window"
    );
    let same = windows_where(&app, &owner, &format!("bookingId={}", id(&booking))).await;
    assert_eq!(
        same[0]["id"], windows[0]["id"],
        "the window is kept as it was"
    );
    let audit = get(&app, &owner, "/api/audit/events?type=thread.created").await;
    assert_eq!(audit["events"].as_array().unwrap().len(), 1);
    assert_eq!(audit["events"][0]["payload"]["bookingId"], booking["id"]);
}

#[tokio::test]
async fn reassigning_moves_the_window_and_cancelling_removes_it() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (_, booking) = unassigned_booking(&app, &owner, "none").await;
    let path = format!("/api/bookings/{}", id(&booking));
    let by_booking = format!("bookingId={}", id(&booking));
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let mike = sitter_id(&app, &owner, "Mike Chen").await;
    patch(&app, &owner, &path, json!({ "sitterId": sarah })).await;
    let sarahs_thread = id(&thread_on(&app, &owner, "Polly Proactive", demo::SARAH_NUMBER).await);

    let (status, moved) = patch(&app, &owner, &path, json!({ "sitterId": mike })).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let mikes_thread = id(&thread_on(&app, &owner, "Polly Proactive", MIKE_NUMBER).await);
    assert_eq!(moved["threadId"], mikes_thread.as_str());
    let windows = windows_where(&app, &owner, &by_booking).await;
    assert_eq!(windows.len(), 1);
    assert_eq!(
        (&windows[0]["threadId"], &windows[0]["sitterName"]),
        (&json!(mikes_thread), &json!("Mike Chen"))
    );
    assert!(
        windows_where(&app, &owner, &format!("threadId={sarahs_thread}"))
            .await
            .is_empty(),
        "Sarah's access ended"
    );

    // New times move the window with the visit.
    let start =
        engine::clock::parse_rfc3339("startAt", booking["startAt"].as_str().unwrap()).unwrap();
    let (status, _) = patch(
        &app,
        &owner,
        &path,
        json!({ "startAt": at(start + DAY), "endAt": at(start + DAY + HOUR) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let windows = windows_where(&app, &owner, &by_booking).await;
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["startAt"], at(start + DAY - HOUR));

    let (status, _) = post(&app, &owner, &format!("{path}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(windows_where(&app, &owner, &by_booking).await.is_empty());
    thread_on(&app, &owner, "Polly Proactive", MIKE_NUMBER).await;
    let audit = get(
        &app,
        &owner,
        "/api/audit/events?type=assignment_window.deleted",
    )
    .await;
    assert_eq!(audit["events"][0]["payload"]["reason"], "booking cancelled");
}

#[tokio::test]
async fn a_weekly_booking_gets_a_window_per_visit_for_eight_weeks() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let client = new_client(&app, &owner, "Wendy Weekly", "+15557000010").await;
    let priya = sitter_id(&app, &owner, "Priya Patel").await;
    let now = app.engine.clock.now();
    let start = now + 3 * HOUR;
    let booking = book(
        &app,
        &owner,
        json!({ "clientId": id(&client), "sitterId": priya, "serviceType": "dog_walk",
                "startAt": at(start), "endAt": at(start + HOUR), "recurrence": "weekly" }),
    )
    .await;
    assert_eq!(booking["sitterName"], "Priya Patel");
    let windows = windows_where(&app, &owner, &format!("bookingId={}", id(&booking))).await;
    assert_eq!(windows.len(), 8);
    for (k, w) in windows.iter().enumerate() {
        let week = k as i64 * 7 * DAY;
        assert_eq!(
            (&w["startAt"], &w["endAt"]),
            (
                &json!(at(start + week - HOUR)),
                &json!(at(start + week + 2 * HOUR))
            )
        );
    }
    let client_now = get(&app, &owner, &format!("/api/clients/{}", id(&client))).await;
    assert_eq!(client_now["recurring"], true);
    let (status, _) = patch(
        &app,
        &owner,
        &format!("/api/bookings/{}", id(&booking)),
        json!({ "sitterId": priya }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        windows_where(&app, &owner, &format!("bookingId={}", id(&booking))).await,
        windows,
        "assigning again keeps them"
    );
}

#[tokio::test]
async fn a_sitter_without_a_number_cannot_take_a_booking_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (status, nina) = post(
        &app,
        &owner,
        "/api/sitters",
        json!({ "name": "Nina Novak", "email": "nina@example.com", "password": "long enough" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, booking) = unassigned_booking(&app, &owner, "none").await;
    let threads_before = owner_threads(&app, &owner).await.len();
    let path = format!("/api/bookings/{}", id(&booking));
    let (status, body) = patch(
        &app,
        &owner,
        &path,
        json!({ "sitterId": id(&nina), "status": "confirmed" }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Nina Novak has no sitter number"),
        "{body}"
    );
    let unchanged = get(&app, &owner, &path).await;
    assert!(unchanged["sitterId"].is_null());
    assert_eq!(unchanged["status"], "scheduled");
    assert_eq!(owner_threads(&app, &owner).await.len(), threads_before);
}

#[tokio::test]
async fn a_visit_clashing_with_a_window_on_the_thread_is_refused_and_buffers_give_way() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    // Emily's thread on Sarah's number has Sarah's window from an hour ago for a week.
    let emily = client_id(&app, &owner, "Emily Davis").await;
    let emily_thread = id(&thread_on(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await);
    let demo_window =
        windows_where(&app, &owner, &format!("threadId={emily_thread}")).await[0].clone();
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let now = app.engine.clock.now();
    let (status, body) = post(
        &app,
        &owner,
        "/api/bookings",
        json!({ "clientId": emily, "sitterId": sarah, "serviceType": "drop_in",
                "startAt": at(now + DAY), "endAt": at(now + DAY + HOUR) }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&id(&demo_window)),
        "{body}"
    );
    assert_eq!(
        get(&app, &owner, &format!("/api/bookings?clientId={emily}")).await["bookings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A visit 30 minutes after the window ends: the before-buffer stops at its end.
    let end =
        engine::clock::parse_rfc3339("endAt", demo_window["endAt"].as_str().unwrap()).unwrap();
    let booking = book(
        &app,
        &owner,
        json!({ "clientId": emily, "sitterId": sarah, "serviceType": "drop_in",
                "startAt": at(end + 30 * MINUTE), "endAt": at(end + 90 * MINUTE) }),
    )
    .await;
    let windows = windows_where(&app, &owner, &format!("bookingId={}", id(&booking))).await;
    assert_eq!(
        (&windows[0]["startAt"], &windows[0]["endAt"]),
        (&json!(at(end)), &json!(at(end + 150 * MINUTE)))
    );
}

#[tokio::test]
async fn buffers_come_from_the_org_settings() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    assert_eq!(
        get(&app, &owner, "/api/settings/windows").await,
        json!({ "beforeMinutes": 60, "afterMinutes": 60 })
    );
    let (status, body) = put(
        &app,
        &owner,
        "/api/settings/windows",
        json!({ "beforeMinutes": -1, "afterMinutes": 2000 }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["beforeMinutes"].is_string() && body["fields"]["afterMinutes"].is_string()
    );
    let (status, _) = put(
        &app,
        &owner,
        "/api/settings/windows",
        json!({ "beforeMinutes": 30, "afterMinutes": 15 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, booking) = unassigned_booking(&app, &owner, "none").await;
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    patch(
        &app,
        &owner,
        &format!("/api/bookings/{}", id(&booking)),
        json!({ "sitterId": sarah }),
    )
    .await;
    let start =
        engine::clock::parse_rfc3339("startAt", booking["startAt"].as_str().unwrap()).unwrap();
    let windows = windows_where(&app, &owner, &format!("bookingId={}", id(&booking))).await;
    assert_eq!(
        (&windows[0]["startAt"], &windows[0]["endAt"]),
        (
            &json!(at(start - 30 * MINUTE)),
            &json!(at(start + HOUR + 15 * MINUTE))
        )
    );
}

#[tokio::test]
async fn with_proactive_threads_off_assigning_a_sitter_creates_no_thread() {
    let app = TestApp::spawn_with(|c| {
        c.flags
            .insert("ENABLE_PROACTIVE_THREAD_CREATION".to_owned(), false);
    })
    .await;
    demo::seed(&app.engine).await.unwrap();
    let owner = app.owner().await;
    let (_, booking) = unassigned_booking(&app, &owner, "weekly").await;
    let threads_before = owner_threads(&app, &owner).await.len();
    let windows_before = all_windows(&app, &owner).await;
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let (status, assigned) = patch(
        &app,
        &owner,
        &format!("/api/bookings/{}", id(&booking)),
        json!({ "sitterId": sarah }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    assert_eq!(assigned["sitterName"], "Sarah Johnson");
    assert!(assigned["threadId"].is_null());
    assert_eq!(owner_threads(&app, &owner).await.len(), threads_before);
    assert_eq!(all_windows(&app, &owner).await, windows_before);
}

#[tokio::test]
async fn a_completed_booking_gets_no_new_windows() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (_, booking) = unassigned_booking(&app, &owner, "weekly").await;
    let path = format!("/api/bookings/{}", id(&booking));
    let (status, _) = patch(&app, &owner, &path, json!({ "status": "completed" })).await;
    assert_eq!(status, StatusCode::OK);
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let (status, body) = patch(&app, &owner, &path, json!({ "sitterId": sarah })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["threadId"].is_null());
    assert!(
        windows_where(&app, &owner, &format!("bookingId={}", id(&booking)))
            .await
            .is_empty()
    );
}
