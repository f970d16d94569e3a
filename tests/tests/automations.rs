//! Automations end to end: the activation gate, every trigger and action, the guards
//! (quiet hours, frequency cap), idempotency, waits that survive a restart, failures
//! with alerts and dead letters, and re-runs from the failed step.

use engine::clock::{DAY, HOUR, MINUTE, to_rfc3339};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, call, get_json};

const JOHN: &str = "+15551234567";
const FRONT_DESK: &str = "+15551111111";
const SARAH_NUMBER: &str = "+15552222222";
const UNTESTED: &str = "You must run a successful test before activating this automation.";

async fn post(app: &TestApp, c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    call(c, Method::POST, &app.url(path), Some(body)).await
}

async fn get(app: &TestApp, c: &Client, path: &str) -> Value {
    get_json(c, &app.url(path), StatusCode::OK).await
}

fn program(name: &str, trigger: Value, actions: Value) -> Value {
    json!({"name": name, "lane": "front_desk", "trigger": trigger, "actions": actions})
}

/// Saves, tests and activates an automation; answers its id.
async fn live(app: &TestApp, owner: &Client, body: Value) -> String {
    let (status, saved) = post(app, owner, "/api/automations", body).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["id"].as_str().unwrap().to_owned();
    let (status, test) = post(
        app,
        owner,
        &format!("/api/automations/{id}/test"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{test}");
    assert_eq!(test["passed"], true, "{test}");
    let (status, active) = post(
        app,
        owner,
        &format!("/api/automations/{id}/activate"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{active}");
    id
}

async fn runs(app: &TestApp, owner: &Client, id: &str) -> Vec<Value> {
    get(
        app,
        owner,
        &format!("/api/automations/{id}/executions?mode=live"),
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

/// The automation's one live run; panics if there is not exactly one.
async fn only_run(app: &TestApp, owner: &Client, id: &str) -> Value {
    let runs = runs(app, owner, id).await;
    assert_eq!(runs.len(), 1, "{runs:#?}");
    runs[0].clone()
}

async fn client_id(app: &TestApp, owner: &Client, name: &str) -> String {
    let page = get(
        app,
        owner,
        &format!("/api/clients?q={}", name.replace(' ', "%20")),
    )
    .await;
    page["clients"][0]["id"].as_str().unwrap().to_owned()
}

async fn sitter_id(app: &TestApp, owner: &Client, name: &str) -> String {
    let list = get(app, owner, "/api/sitters").await;
    let list = list
        .as_array()
        .or(list["sitters"].as_array())
        .unwrap()
        .clone();
    list.iter()
        .find(|s| s["name"] == name)
        .and_then(|s| s["id"].as_str())
        .unwrap()
        .to_owned()
}

async fn book(
    app: &TestApp,
    owner: &Client,
    client: &str,
    sitter: Option<&str>,
    start: i64,
) -> String {
    let mut body = json!({"clientId": client, "serviceType": "dog_walk",
        "startAt": to_rfc3339(start), "endAt": to_rfc3339(start + HOUR)});
    if let Some(s) = sitter {
        body["sitterId"] = json!(s);
    }
    let (status, booking) = post(app, owner, "/api/bookings", body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    booking["id"].as_str().unwrap().to_owned()
}

/// Texts the mock provider carried whose body contains `text`.
async fn sent(app: &TestApp, owner: &Client, text: &str) -> Vec<Value> {
    get(app, owner, "/api/dev/mock/messages").await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"].as_str().unwrap_or_default().contains(text))
        .cloned()
        .collect()
}

async fn tick(app: &TestApp) {
    engine::automations::ticker::tick(&app.engine)
        .await
        .expect("tick");
}

#[tokio::test]
async fn only_a_tested_version_goes_live_and_an_edit_needs_a_new_test() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let body = program(
        "Welcome",
        json!({"event": "client.created"}),
        json!([{"type": "send_sms", "to": "client", "template": "Welcome, {{ client.first_name }}!"}]),
    );
    let (status, saved) = post(&app, &owner, "/api/automations", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["status"], "draft");
    let id = saved["id"].as_str().unwrap().to_owned();
    let activate = format!("/api/automations/{id}/activate");

    let (status, refused) = post(&app, &owner, &activate, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["message"], UNTESTED);

    let (_, test) = post(
        &app,
        &owner,
        &format!("/api/automations/{id}/test"),
        json!({}),
    )
    .await;
    assert_eq!(
        (test["status"].as_str(), test["passed"].as_bool()),
        (Some("test"), Some(true))
    );
    assert_eq!(test["steps"][0]["status"], "simulated");
    assert_eq!(test["steps"][0]["input"]["text"], "Welcome, John!");
    // A test sends nothing.
    assert!(sent(&app, &owner, "Welcome, John!").await.is_empty());

    let (status, active) = post(&app, &owner, &activate, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{active}");
    assert_eq!(
        (active["status"].as_str(), active["liveVersion"].as_i64()),
        (Some("active"), Some(1))
    );

    // Editing makes version 2, untested; version 1 stays live.
    let mut edited = body.clone();
    edited["actions"][0]["template"] = json!("Hello {{ client.first_name }}, welcome aboard!");
    let (status, v2) = call(
        &owner,
        Method::PUT,
        &app.url(&format!("/api/automations/{id}")),
        Some(edited),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(
        (
            v2["latestVersion"].as_i64(),
            v2["liveVersion"].as_i64(),
            v2["latestTested"].as_bool(),
            v2["status"].as_str()
        ),
        (Some(2), Some(1), Some(false), Some("active"))
    );
    let (status, refused) = post(&app, &owner, &activate, json!({})).await;
    assert_eq!(
        (status, refused["message"].as_str()),
        (StatusCode::CONFLICT, Some(UNTESTED))
    );

    // Version 1 still runs on new clients meanwhile.
    post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Nina Novak", "phone": "+15557770001"}),
    )
    .await;
    app.drain().await;
    assert_eq!(sent(&app, &owner, "Welcome, Nina!").await.len(), 1);

    post(
        &app,
        &owner,
        &format!("/api/automations/{id}/test"),
        json!({}),
    )
    .await;
    let (status, active) = post(&app, &owner, &activate, json!({})).await;
    assert_eq!(
        (status, active["liveVersion"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    let versions = get(&app, &owner, &format!("/api/automations/{id}/versions")).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[0]["live"], true);

    // Pause stops new runs.
    post(
        &app,
        &owner,
        &format!("/api/automations/{id}/pause"),
        json!({}),
    )
    .await;
    post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Omar Ortiz", "phone": "+15557770002"}),
    )
    .await;
    app.drain().await;
    assert!(sent(&app, &owner, "Omar").await.is_empty());
}

#[tokio::test]
async fn saving_names_every_problem_with_its_line() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (status, body) = post(
        &app,
        &owner,
        "/api/automations",
        json!({"name": "", "lane": "sitter", "trigger": {"event": "client.created"},
               "conditions": {"type": "script", "source": "let x = 1;\nx +* 2"},
               "actions": [{"type": "send_sms", "to": "client", "template": "Hi {{ client.nickname }}"},
                           {"type": "wait", "minutes": 0}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields = body["fields"].as_object().expect("fields");
    for f in [
        "name",
        "lane",
        "conditions.source",
        "actions[0].template",
        "actions[1].minutes",
    ] {
        assert!(fields.contains_key(f), "{f} missing from {body}");
    }
    assert!(
        fields["conditions.source"]
            .as_str()
            .unwrap()
            .contains("line 2"),
        "{body}"
    );
    assert!(
        fields["actions[0].template"]
            .as_str()
            .unwrap()
            .contains("client.nickname"),
        "{body}"
    );
    // Nothing was saved.
    let list = get(&app, &owner, "/api/automations").await;
    assert!(list.as_array().unwrap().iter().all(|a| a["name"] != ""));
}

#[tokio::test]
async fn every_trigger_starts_its_automations() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let now = app.engine.clock.now();
    tick(&app).await;
    let tag = |t: &str| json!([{"type": "add_tag", "tag": t}]);
    let mut ids = Vec::new();
    for (trigger, name) in [
        (json!({"event": "client.created"}), "created"),
        (json!({"event": "lead.created"}), "lead"),
        (json!({"event": "booking.created"}), "booked"),
        (json!({"event": "booking.assigned"}), "assigned"),
        (json!({"event": "booking.completed"}), "completed"),
        (json!({"event": "booking.cancelled"}), "cancelled"),
        (json!({"event": "message.received"}), "texted"),
        (json!({"event": "opt_out"}), "stopped"),
        (
            json!({"event": "appointment.upcoming", "offset_minutes": 1440}),
            "upcoming",
        ),
    ] {
        let id = live(&app, &owner, program(name, trigger, tag(name))).await;
        ids.push((name, id));
    }
    // A schedule runs once per client; its conditions pick John.
    let mut hourly = program(
        "hourly",
        json!({"event": "schedule", "cron": "0 * * * *"}),
        tag("hourly"),
    );
    hourly["conditions"] = json!({"type": "builder", "match": "all",
        "rows": [{"field": "client.name", "operator": "equals", "value": "John Smith"}]});
    let hourly = live(&app, &owner, hourly).await;

    let (_, created) = post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Paula Price", "phone": "+15557770003"}),
    )
    .await;
    let paula = created["id"].as_str().unwrap().to_owned();
    post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Quinn Lead", "phone": "+15557770004",
        "lead": {"source": "website", "notes": "Two cats"}}),
    )
    .await;
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let visit = book(&app, &owner, &paula, None, now + 25 * HOUR).await;
    call(
        &owner,
        Method::PATCH,
        &app.url(&format!("/api/bookings/{visit}")),
        Some(json!({"sitterId": sarah})),
    )
    .await;
    let past = book(&app, &owner, &paula, Some(&sarah), now - 3 * HOUR).await;
    call(
        &owner,
        Method::PATCH,
        &app.url(&format!("/api/bookings/{past}")),
        Some(json!({"status": "completed"})),
    )
    .await;
    let later = book(&app, &owner, &paula, None, now + 3 * DAY).await;
    post(
        &app,
        &owner,
        &format!("/api/bookings/{later}/cancel"),
        json!({}),
    )
    .await;
    app.inbound(
        "SMauto1",
        "+15557770003",
        FRONT_DESK,
        "Is Tuesday still on?",
    )
    .await;
    app.inbound("SMauto2", "+15557770003", FRONT_DESK, "STOP")
        .await;
    app.drain().await;
    app.engine.clock.advance(HOUR + MINUTE);
    tick(&app).await;
    app.drain().await;

    for (name, id) in &ids {
        let runs = runs(&app, &owner, id).await;
        assert!(
            runs.iter().any(|r| r["status"] == "success"
                && r["steps"][0]["output"]["tags"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!(name)))),
            "{name}: {runs:#?}"
        );
    }
    let hourly_runs = runs(&app, &owner, &hourly).await;
    let john = client_id(&app, &owner, "John Smith").await;
    // Each fire time in the hour the clock moved (one, or two across a boundary) ran
    // once per client, and only John's passed the conditions.
    let fires: std::collections::BTreeSet<&str> = hourly_runs
        .iter()
        .filter_map(|r| r["payload"]["schedule"]["fired_at"].as_str())
        .collect();
    let ran: Vec<&Value> = hourly_runs
        .iter()
        .filter(|r| r["status"] == "success")
        .collect();
    assert!(!fires.is_empty(), "{hourly_runs:#?}");
    assert_eq!(ran.len(), fires.len(), "{hourly_runs:#?}");
    assert!(ran.iter().all(|r| r["clientId"] == json!(john)));
    assert!(
        hourly_runs
            .iter()
            .filter(|r| r["status"] == "skipped")
            .count()
            >= 10
    );
    // The opt-out run saw the keyword; the lead run saw where the lead came from.
    let stop = runs(&app, &owner, &ids[7].1).await;
    assert_eq!(stop[0]["payload"]["opt_out"]["keyword"], "STOP");
    let lead = runs(&app, &owner, &ids[1].1).await;
    assert_eq!(lead[0]["payload"]["lead"]["source"], "website");
}

#[tokio::test]
async fn assigning_the_sitter_already_assigned_announces_nothing_new() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let now = app.engine.clock.now();
    let id = live(
        &app,
        &owner,
        program(
            "assigned",
            json!({"event": "booking.assigned"}),
            json!([{"type": "add_tag", "tag": "assigned"}]),
        ),
    )
    .await;
    let john = client_id(&app, &owner, "John Smith").await;
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    let mike = sitter_id(&app, &owner, "Mike Chen").await;
    let visit = book(&app, &owner, &john, None, now + 2 * DAY).await;
    let assign = |sitter: String| {
        let (owner, url) = (owner.clone(), app.url(&format!("/api/bookings/{visit}")));
        async move {
            let (status, body) = call(
                &owner,
                Method::PATCH,
                &url,
                Some(json!({ "sitterId": sitter })),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    assign(sarah.clone()).await;
    assign(sarah.clone()).await;
    app.drain().await;
    assert_eq!(runs(&app, &owner, &id).await.len(), 1, "Sarah, once");
    assign(mike).await;
    assign(sarah).await;
    app.drain().await;
    let runs = runs(&app, &owner, &id).await;
    assert_eq!(runs.len(), 3, "Mike, then Sarah again: {runs:#?}");
    assert!(runs.iter().all(|r| r["status"] == "success"), "{runs:#?}");
}

#[tokio::test]
async fn actions_text_alert_and_tag_through_the_normal_paths() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let mut body = program(
        "Assigned",
        json!({"event": "booking.assigned"}),
        json!([
            {"type": "send_sms", "to": "client", "template": "{{ sitter.first_name }} will be visiting on {{ booking.start | date }}."},
            {"type": "send_sms", "to": "owner", "template": "FYI: {{ sitter.name }} took {{ client.name }}."},
            {"type": "notify_owner", "title": "Assigned: {{ client.name }}", "template": "{{ sitter.name }} is on it."},
            {"type": "create_alert", "severity": "warning", "title": "Check key for {{ client.first_name }}", "template": "New sitter."},
            {"type": "add_tag", "tag": "has-sitter"},
            {"type": "remove_tag", "tag": "weekly"}
        ]),
    );
    body["lane"] = json!("sitter");
    let id = live(&app, &owner, body).await;
    let john = client_id(&app, &owner, "John Smith").await;
    let sarah = sitter_id(&app, &owner, "Sarah Johnson").await;
    book(
        &app,
        &owner,
        &john,
        Some(&sarah),
        app.engine.clock.now() + DAY,
    )
    .await;
    app.drain().await;

    let run = only_run(&app, &owner, &id).await;
    assert_eq!(run["status"], "success", "{run:#}");
    let statuses: Vec<&str> = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["success"; 6]);
    // The client's text left from Sarah's business number (the sitter lane).
    let to_client = sent(&app, &owner, "Sarah will be visiting on").await;
    assert_eq!(to_client.len(), 1);
    assert_eq!(
        (to_client[0]["to"].as_str(), to_client[0]["from"].as_str()),
        (Some(JOHN), Some(SARAH_NUMBER))
    );
    let to_owner = sent(&app, &owner, "FYI: Sarah Johnson took John Smith.").await;
    assert_eq!(to_owner[0]["to"], engine::demo::OWNER_MOBILE);
    assert!(run["steps"][0]["output"]["messageId"].is_string());
    // The texts are on their threads like any other outbound message.
    let thread = tests::thread_on(&app, &owner, "John Smith", SARAH_NUMBER).await;
    let messages = tests::thread_messages(&app, &owner, thread["id"].as_str().unwrap()).await;
    assert!(messages.iter().any(|m| {
        m["body"]
            .as_str()
            .unwrap()
            .starts_with("Sarah will be visiting")
    }));

    let alerts = get(&app, &owner, "/api/alerts?status=open").await["alerts"].clone();
    let titles: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Assigned: John Smith"), "{titles:?}");
    assert!(titles.contains(&"Check key for John"), "{titles:?}");

    let client = get(&app, &owner, &format!("/api/clients/{john}")).await;
    assert_eq!(client["tags"], json!(["has-sitter"]));
}

#[tokio::test]
async fn an_opted_out_client_is_skipped_not_texted() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(&app, &owner, program("Thanks", json!({"event": "booking.created"}),
        json!([{"type": "send_sms", "to": "client", "template": "Thanks for booking, {{ client.first_name }}."}]))).await;
    app.inbound("SMstop", JOHN, FRONT_DESK, "STOP").await;
    app.drain().await;
    let john = client_id(&app, &owner, "John Smith").await;
    book(&app, &owner, &john, None, app.engine.clock.now() + DAY).await;
    app.drain().await;
    let run = only_run(&app, &owner, &id).await;
    assert_eq!(
        (run["status"].as_str(), run["steps"][0]["status"].as_str()),
        (Some("success"), Some("skipped"))
    );
    assert!(sent(&app, &owner, "Thanks for booking").await.is_empty());
}

#[tokio::test]
async fn a_duplicated_event_runs_once() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(&app, &owner, program("Echo", json!({"event": "message.received"}),
        json!([{"type": "notify_owner", "title": "Text from {{ client.name }}", "template": "{{ message.body }}"}]))).await;
    for _ in 0..2 {
        app.inbound("SMdup", JOHN, FRONT_DESK, "Same webhook twice")
            .await;
    }
    app.drain().await;
    assert_eq!(runs(&app, &owner, &id).await.len(), 1);

    // The same event emitted twice, and its job queued twice, still run once.
    let org: String = engine::db!(&app.engine.db, c => sqlx::query_scalar("select org_id from org").fetch_one(c).await).unwrap();
    let john = client_id(&app, &owner, "John Smith").await;
    let message: String = engine::db!(&app.engine.db, c => sqlx::query_scalar(
        "select message_id from message where body = 'Same webhook twice'").fetch_one(c).await)
    .unwrap();
    for _ in 0..2 {
        let mut tx = app.engine.db.begin().await.unwrap();
        let refs = engine::automations::events::Refs {
            message_id: Some(message.clone()),
            ..engine::automations::events::Refs::client(&john)
        };
        engine::automations::events::emit(
            &mut tx,
            &org,
            automations::triggers::Trigger::MessageReceived,
            "replayed-key",
            &refs,
            app.engine.clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    app.drain().await;
    assert_eq!(runs(&app, &owner, &id).await.len(), 2);
}

#[tokio::test]
async fn the_frequency_cap_skips_a_second_run_for_the_same_client() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let mut body = program(
        "Ack",
        json!({"event": "message.received"}),
        json!([{"type": "add_tag", "tag": "texted"}]),
    );
    body["frequencyCapHours"] = json!(24);
    let id = live(&app, &owner, body).await;
    app.inbound("SMcap1", JOHN, FRONT_DESK, "First").await;
    app.drain().await;
    app.inbound("SMcap2", JOHN, FRONT_DESK, "Second").await;
    app.drain().await;
    let capped = runs(&app, &owner, &id).await;
    let statuses: Vec<&str> = capped
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["skipped", "success"], "{capped:#?}");
    assert!(
        capped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("frequency cap")
    );
    // After the cap, it runs again.
    app.engine.clock.advance(25 * HOUR);
    app.inbound("SMcap3", JOHN, FRONT_DESK, "Third").await;
    app.drain().await;
    let statuses: Vec<String> = runs(&app, &owner, &id)
        .await
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["success", "skipped", "success"]);
}

#[tokio::test]
async fn a_group_of_conditions_saves_as_sent_and_decides_each_run() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    // A walk or a drop-in, and then: John's, or any drop-in.
    let conditions = json!({"type": "builder", "match": "all",
        "rows": [{"field": "booking.service_type", "operator": "in", "value": ["dog_walk", "drop_in"]}],
        "groups": [{"match": "any", "rows": [
            {"field": "client.first_name", "operator": "equals", "value": "John"},
            {"field": "booking.service_type", "operator": "equals", "value": "drop_in"}]}]});
    let mut body = program(
        "Grouped",
        json!({"event": "booking.created"}),
        json!([{"type": "add_tag", "tag": "grouped"}]),
    );
    body["conditions"] = conditions.clone();
    let (status, saved) = post(&app, &owner, "/api/automations", body).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["version"]["program"]["conditions"], conditions);
    assert_eq!(
        saved["version"]["conditionsRhai"],
        r#"op_in(booking.service_type, ["dog_walk", "drop_in"]) && (op_equals(client.first_name, "John") || op_equals(booking.service_type, "drop_in"))"#
    );
    let id = saved["id"].as_str().unwrap().to_owned();

    // The sample is John's walk: each row's result says where the row is.
    let (status, test) = post(
        &app,
        &owner,
        &format!("/api/automations/{id}/test"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{test}");
    assert_eq!(test["passed"], true, "{test}");
    let checks = |run: &Value| -> Vec<(String, bool)> {
        run["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["at"].as_str().unwrap().to_owned(),
                    c["passed"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let at = |s: &str, passed| (s.to_owned(), passed);
    assert_eq!(
        checks(&test),
        [
            at("conditions.rows[0]", true),
            at("conditions.groups[0].rows[0]", true),
            at("conditions.groups[0].rows[1]", false),
        ]
    );
    let (status, active) = post(
        &app,
        &owner,
        &format!("/api/automations/{id}/activate"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{active}");

    let john = client_id(&app, &owner, "John Smith").await;
    let emily = client_id(&app, &owner, "Emily Davis").await;
    let start = app.engine.clock.now() + 2 * DAY;
    for (i, (client, service)) in [
        (&john, "dog_walk"),
        (&emily, "dog_walk"),
        (&emily, "drop_in"),
        (&emily, "overnight"),
    ]
    .into_iter()
    .enumerate()
    {
        let begins = start + i64::try_from(i).unwrap() * DAY;
        let (status, booking) = post(
            &app,
            &owner,
            "/api/bookings",
            json!({"clientId": client, "serviceType": service,
                   "startAt": to_rfc3339(begins), "endAt": to_rfc3339(begins + HOUR)}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{booking}");
        app.drain().await;
    }
    let runs = runs(&app, &owner, &id).await;
    let statuses: Vec<&str> = runs.iter().map(|r| r["status"].as_str().unwrap()).collect();
    // Newest first: Emily's overnight (not a walk or drop-in), her drop-in (the group's
    // second row), her walk (neither of the group's rows), John's walk.
    assert_eq!(
        statuses,
        ["skipped", "success", "skipped", "success"],
        "{runs:#?}"
    );
    assert_eq!(
        checks(&runs[2]),
        [
            at("conditions.rows[0]", true),
            at("conditions.groups[0].rows[0]", false),
            at("conditions.groups[0].rows[1]", false),
        ]
    );
    assert_eq!(
        checks(&runs[0]),
        [
            at("conditions.rows[0]", false),
            at("conditions.groups[0].rows[0]", false),
            at("conditions.groups[0].rows[1]", false),
        ]
    );
    // The Execution Logs page names the group of a group's rows.
    let (status, page) =
        tests::pages::get_page(&owner, &app.url(&format!("/automations/{id}/executions"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page.matches("data-testid=\"condition-group\">Group 1:</span>")
            .count(),
        2 * runs.len() + 2,
        "two group rows per run, the test run's included"
    );
}

/// Quiet hours around the org's (New York) local time now.
fn quiet_hours_around(now: i64) -> Value {
    use chrono::Timelike;
    let tz: automations::triggers::Tz = "America/New_York".parse().unwrap();
    let local = engine::clock::to_datetime(now).with_timezone(&tz);
    let minute = (local.hour() * 60 + local.minute()) as i64;
    let hhmm = |m: i64| {
        format!(
            "{:02}:{:02}",
            m.rem_euclid(1440) / 60,
            m.rem_euclid(1440) % 60
        )
    };
    json!({"quietHours": {"start": hhmm(minute - 60), "end": hhmm(minute + 60)}, "myMobile": null})
}

#[tokio::test]
async fn texts_due_in_quiet_hours_wait_until_they_end() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(&app, &owner, program("Late", json!({"event": "booking.created"}),
        json!([{"type": "send_sms", "to": "client", "template": "Booked, {{ client.first_name }}."}]))).await;
    let (status, settings) = call(
        &owner,
        Method::PUT,
        &app.url("/api/settings/automations"),
        Some(quiet_hours_around(app.engine.clock.now())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let john = client_id(&app, &owner, "John Smith").await;
    book(&app, &owner, &john, None, app.engine.clock.now() + 2 * DAY).await;
    app.drain().await;
    let run = only_run(&app, &owner, &id).await;
    assert_eq!(
        (run["status"].as_str(), run["steps"][0]["status"].as_str()),
        (Some("waiting"), Some("waiting"))
    );
    assert_eq!(run["steps"][0]["output"]["reason"], "quiet hours");
    assert!(sent(&app, &owner, "Booked, John.").await.is_empty());

    app.engine.clock.advance(61 * MINUTE);
    tick(&app).await;
    app.drain().await;
    assert_eq!(only_run(&app, &owner, &id).await["status"], "success");
    assert_eq!(sent(&app, &owner, "Booked, John.").await.len(), 1);

    // Bad times are named.
    let (status, body) = call(
        &owner,
        Method::PUT,
        &app.url("/api/settings/automations"),
        Some(json!({"quietHours": {"start": "9pm", "end": "08:00"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["quietHours.start"].is_string(), "{body}");
}

#[tokio::test]
async fn a_wait_survives_a_restart() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(&app, &owner, program("Later", json!({"event": "booking.created"}), json!([
        {"type": "wait", "minutes": 60},
        {"type": "send_sms", "to": "client", "template": "An hour later, {{ client.first_name }}."}
    ]))).await;
    let john = client_id(&app, &owner, "John Smith").await;
    book(&app, &owner, &john, None, app.engine.clock.now() + 2 * DAY).await;
    app.drain().await;
    let run = only_run(&app, &owner, &id).await;
    assert_eq!(run["status"], "waiting");
    assert!(run["resumeAt"].is_string());
    assert_eq!(
        (
            run["steps"][0]["status"].as_str(),
            run["steps"][1]["status"].as_str()
        ),
        (Some("success"), Some("pending"))
    );

    let app = app.restart().await;
    let owner = app.owner().await;
    app.engine.clock.advance(59 * MINUTE);
    tick(&app).await;
    app.drain().await;
    assert_eq!(only_run(&app, &owner, &id).await["status"], "waiting");
    app.engine.clock.advance(2 * MINUTE);
    tick(&app).await;
    app.drain().await;
    assert_eq!(only_run(&app, &owner, &id).await["status"], "success");
    assert_eq!(sent(&app, &owner, "An hour later, John.").await.len(), 1);
}

#[tokio::test]
async fn a_failed_step_raises_an_alert_and_a_dead_letter_and_reruns_from_where_it_failed() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(&app, &owner, program("Heads-up", json!({"event": "booking.assigned"}), json!([
        {"type": "add_tag", "tag": "assigned"},
        {"type": "send_sms", "to": "sitter", "template": "New visit for you, {{ sitter.first_name }}: {{ client.first_name }}."}
    ]))).await;
    let john = client_id(&app, &owner, "John Smith").await;
    let mike = sitter_id(&app, &owner, "Mike Chen").await;
    book(
        &app,
        &owner,
        &john,
        Some(&mike),
        app.engine.clock.now() + DAY,
    )
    .await;
    app.drain().await;

    let failed = only_run(&app, &owner, &id).await;
    assert_eq!(failed["status"], "failed", "{failed:#}");
    assert_eq!(failed["steps"][0]["status"], "success");
    assert_eq!(failed["steps"][1]["status"], "failed");
    assert!(
        failed["steps"][1]["error"]
            .as_str()
            .unwrap()
            .contains("no mobile number"),
        "{failed:#}"
    );
    let alerts = get(&app, &owner, "/api/alerts?status=open").await["alerts"].clone();
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"] == "Automation Failed - Heads-up"),
        "{alerts:#}"
    );
    let letters = get(&app, &owner, "/api/ops/dead-letters").await["deadLetters"].clone();
    assert!(
        letters
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["queue"] == "automation-run"),
        "{letters:#}"
    );

    // Fix the cause, then re-run from the failed step: the tag is not added again.
    app.exec(
        "update app_user set phone_e164 = '+15550009002' where name = 'Mike Chen'",
        &[],
    )
    .await;
    let failed_id = failed["id"].as_str().unwrap();
    let (status, rerun) = post(
        &app,
        &owner,
        &format!("/api/automations/executions/{failed_id}/rerun"),
        json!({"on": "same"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rerun}");
    // A second click does not run it again.
    let (status, _) = post(
        &app,
        &owner,
        &format!("/api/automations/executions/{failed_id}/rerun"),
        json!({"on": "same"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.drain().await;
    let rerun = get(
        &app,
        &owner,
        &format!(
            "/api/automations/executions/{}",
            rerun["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(rerun["status"], "success", "{rerun:#}");
    assert_eq!(rerun["rerunOf"], failed_id);
    assert_eq!(rerun["steps"][0]["status"], "skipped");
    assert_eq!(rerun["steps"][1]["status"], "success");
    let texts = sent(&app, &owner, "New visit for you, Mike: John.").await;
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0]["to"], "+15550009002");
    // Only a failed live run can be re-run.
    let (status, _) = post(
        &app,
        &owner,
        &format!(
            "/api/automations/executions/{}/rerun",
            rerun["id"].as_str().unwrap()
        ),
        json!({"on": "current"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_runaway_script_fails_its_test_in_bounded_time() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for source in [
        "loop { }",
        "let s = \"x\"; loop { s += s; }",
        "fn f(n) { f(n + 1) } f(0)",
    ] {
        let mut body = program(
            "Runaway",
            json!({"event": "client.created"}),
            json!([{"type": "add_tag", "tag": "x"}]),
        );
        body["conditions"] = json!({"type": "script", "source": source});
        let (status, saved) = post(&app, &owner, "/api/automations", body).await;
        assert_eq!(status, StatusCode::CREATED, "{source}: {saved}");
        let id = saved["id"].as_str().unwrap();
        let started = std::time::Instant::now();
        let (_, test) = post(
            &app,
            &owner,
            &format!("/api/automations/{id}/test"),
            json!({}),
        )
        .await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{source}"
        );
        assert_eq!(test["passed"], false, "{source}: {test}");
        assert!(test["error"].is_string(), "{source}: {test}");
        let (status, _) = post(
            &app,
            &owner,
            &format!("/api/automations/{id}/activate"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn tests_run_on_real_events_and_stock_automations_arrive_as_drafts() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let org: String = engine::db!(&app.engine.db, c => sqlx::query_scalar("select org_id from org").fetch_one(c).await).unwrap();
    engine::demo::activate_automations(&app.engine, &org)
        .await
        .unwrap();
    let list = get(&app, &owner, "/api/automations").await;
    let stock: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["stockKey"].as_str().unwrap_or(""),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(stock.len(), 6, "{stock:?}");
    for (key, status) in &stock {
        let expected = if engine::demo::DEMO_ACTIVE.contains(key) {
            "active"
        } else {
            "draft"
        };
        assert_eq!(status, &expected, "{key}");
    }
    // The demo's bookings ran the booking confirmation.
    let confirmation = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["stockKey"] == "booking-confirmation")
        .unwrap();
    app.drain().await;
    let runs = runs(&app, &owner, confirmation["id"].as_str().unwrap()).await;
    assert!(runs.iter().any(|r| r["status"] == "success"), "{runs:#?}");

    // A test against a real recent event renders with that event's client.
    let winback = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["stockKey"] == "lead-follow-up")
        .unwrap();
    let winback = winback["id"].as_str().unwrap();
    post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Rita Ross", "phone": "+15557770005", "lead": {"source": "referral"}}),
    )
    .await;
    let events = get(&app, &owner, &format!("/api/automations/{winback}/events")).await;
    assert_eq!(
        events[0]["summary"], "lead.created for Rita Ross",
        "{events}"
    );
    let (_, test) = post(
        &app,
        &owner,
        &format!("/api/automations/{winback}/test"),
        json!({"eventId": events[0]["id"]}),
    )
    .await;
    assert_eq!(test["passed"], true, "{test}");
    assert!(
        test["steps"][2]["input"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Hi Rita,"),
        "{test:#}"
    );
    // An event of another trigger is refused, naming the field.
    let booking_event: String = engine::db!(&app.engine.db, c => sqlx::query_scalar(
        "select event_id from domain_event where trigger_event = 'booking.created' limit 1").fetch_one(c).await).unwrap();
    let (status, body) = post(
        &app,
        &owner,
        &format!("/api/automations/{winback}/test"),
        json!({"eventId": booking_event}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["eventId"].is_string(), "{body}");
}

#[tokio::test]
async fn a_draft_that_changes_the_trigger_lists_and_tests_on_its_own_triggers_events() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let body = program(
        "Welcome",
        json!({"event": "client.created"}),
        json!([{"type": "send_sms", "to": "client", "template": "Welcome, {{ client.first_name }}!"}]),
    );
    let id = live(&app, &owner, body.clone()).await;
    post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Nina Novak", "phone": "+15557770001"}),
    )
    .await;
    post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Rita Ross", "phone": "+15557770005", "lead": {"source": "referral"}}),
    )
    .await;
    app.drain().await;
    let events = format!("/api/automations/{id}/events");
    let summaries = |events: &Value| -> Vec<String> {
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["summary"].as_str().unwrap().to_owned())
            .collect()
    };
    // A lead is a new client too.
    let before = get(&app, &owner, &events).await;
    assert_eq!(
        summaries(&before),
        [
            "client.created for Rita Ross",
            "client.created for Nina Novak"
        ]
    );

    // Version 2, a draft, runs on leads; version 1 stays live on new clients.
    let mut draft = body;
    draft["trigger"] = json!({"event": "lead.created"});
    let (status, v2) = call(
        &owner,
        Method::PUT,
        &app.url(&format!("/api/automations/{id}")),
        Some(draft),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(
        (v2["trigger"].as_str(), v2["liveVersion"].as_i64()),
        (Some("client.created"), Some(1))
    );

    // The events to test with are the draft's: leads.
    let leads = get(&app, &owner, &events).await;
    assert_eq!(summaries(&leads), ["lead.created for Rita Ross"]);
    let (status, test) = post(
        &app,
        &owner,
        &format!("/api/automations/{id}/test"),
        json!({"eventId": leads[0]["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{test}");
    assert_eq!(
        (test["version"].as_i64(), test["passed"].as_bool()),
        (Some(2), Some(true)),
        "{test}"
    );
    assert_eq!(test["steps"][0]["input"]["text"], "Welcome, Rita!");

    // A trigger can be asked for (the builder's, before it is saved); it must be one.
    let clients = get(&app, &owner, &format!("{events}?trigger=client.created")).await;
    assert_eq!(summaries(&clients), summaries(&before));
    let (status, body) = call(
        &owner,
        Method::GET,
        &app.url(&format!("{events}?trigger=client.deleted")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["fields"]["trigger"].is_string(), "{body}");
}

#[tokio::test]
async fn another_org_sees_none_of_it() {
    use engine::accounts::{self, NewUser, Role};
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let list = get(&app, &owner, "/api/automations").await;
    let ours = list[0]["id"].as_str().unwrap().to_owned();
    let now = app.engine.clock.now();
    let hash = accounts::hash_password("secret-pass".to_owned())
        .await
        .unwrap();
    let mut tx = app.engine.db.begin().await.unwrap();
    let org = accounts::create_org(&mut tx, "Other Co", now)
        .await
        .unwrap();
    accounts::create_user(
        &mut tx,
        &org,
        NewUser {
            email: "boss@other.test",
            name: "Boss",
            role: Role::Owner,
            password_hash: &hash,
        },
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let boss = app.login("boss@other.test", "secret-pass").await;
    // Their own stock drafts, and none of ours.
    let theirs = get(&app, &boss, "/api/automations").await;
    assert_eq!(theirs.as_array().unwrap().len(), 6);
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != json!(ours) && a["status"] == "draft")
    );
    for path in [
        format!("/api/automations/{ours}"),
        format!("/api/automations/{ours}/executions"),
    ] {
        let (status, _) = call(&boss, Method::GET, &app.url(&path), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = post(
        &app,
        &boss,
        &format!("/api/automations/{ours}/test"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Sitters cannot manage automations.
    let sitter = app.sitter().await;
    let (status, _) = call(&sitter, Method::GET, &app.url("/api/automations"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_step_that_cannot_be_planned_fails_when_reached_after_the_steps_before_it() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(
        &app,
        &owner,
        program(
            "Sitter note",
            json!({"event": "booking.cancelled"}),
            json!([
                {"type": "add_tag", "tag": "booked"},
                {"type": "send_sms", "to": "sitter", "template": "New booking for {{ client.first_name }}."}
            ]),
        ),
    )
    .await;
    let john = client_id(&app, &owner, "John Smith").await;
    // The sample's booking has a sitter, so the test passes; this one has none.
    let booking = book(&app, &owner, &john, None, app.engine.clock.now() + DAY).await;
    post(
        &app,
        &owner,
        &format!("/api/bookings/{booking}/cancel"),
        json!({}),
    )
    .await;
    app.drain().await;
    let run = only_run(&app, &owner, &id).await;
    assert_eq!(run["status"], "failed", "{run:#}");
    assert_eq!(run["steps"][0]["status"], "success");
    assert_eq!(run["steps"][1]["status"], "failed");
    assert_eq!(
        run["steps"][1]["error"],
        "this booking has no sitter assigned"
    );
    let client = get(&app, &owner, &format!("/api/clients/{john}")).await;
    assert!(
        client["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("booked"))
    );
}

/// When each of a booking's runs says its visit starts (and ends), in run order.
async fn reminded_visits(
    app: &TestApp,
    owner: &Client,
    id: &str,
    booking: &str,
) -> Vec<(i64, i64)> {
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let mut visits: Vec<(i64, i64)> = runs(app, owner, id)
        .await
        .iter()
        .filter(|r| r["payload"]["booking"]["id"] == booking)
        .inspect(|r| assert_eq!(r["status"], "success", "{r:#}"))
        .map(|r| {
            (
                at(&r["payload"]["booking"]["start"]),
                at(&r["payload"]["booking"]["end"]),
            )
        })
        .collect();
    visits.sort_unstable();
    visits
}

#[tokio::test]
async fn a_weekly_booking_is_reminded_before_each_of_its_visits() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(
        &app,
        &owner,
        program(
            "Reminder",
            json!({"event": "appointment.upcoming", "offset_minutes": 1440}),
            json!([{"type": "add_tag", "tag": "reminded"}]),
        ),
    )
    .await;
    let john = client_id(&app, &owner, "John Smith").await;
    // The series began six and a half days ago; its next visit is a day and a half away.
    let first = app.engine.clock.now() - 6 * DAY + 12 * HOUR;
    let (status, weekly) = post(
        &app,
        &owner,
        "/api/bookings",
        json!({"clientId": john, "serviceType": "dog_walk", "recurrence": "weekly",
               "startAt": to_rfc3339(first), "endAt": to_rfc3339(first + HOUR)}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{weekly}");
    let weekly = weekly["id"].as_str().unwrap();
    tick(&app).await;
    app.drain().await;
    assert!(reminded_visits(&app, &owner, &id, weekly).await.is_empty());

    // Thirteen hours on, the second visit is within the day ahead: reminded once.
    let week = 7 * DAY;
    app.engine.clock.advance(13 * HOUR);
    tick(&app).await;
    tick(&app).await;
    app.drain().await;
    assert_eq!(
        reminded_visits(&app, &owner, &id, weekly).await,
        [(first + week, first + week + HOUR)]
    );

    // A week later, the third.
    app.engine.clock.advance(week);
    tick(&app).await;
    app.drain().await;
    assert_eq!(
        reminded_visits(&app, &owner, &id, weekly).await,
        [
            (first + week, first + week + HOUR),
            (first + 2 * week, first + 2 * week + HOUR)
        ]
    );
}

/// Runs Test Mode (on `event`, or the sample) and answers the test execution.
async fn test_run(app: &TestApp, owner: &Client, id: &str, event: Option<&Value>) -> Value {
    let body = event.map_or(json!({}), |e| json!({"eventId": e["id"]}));
    let (status, test) = post(app, owner, &format!("/api/automations/{id}/test"), body).await;
    assert_eq!(status, StatusCode::OK, "{test}");
    test
}

/// Asserts a test run failed at its only step with `error`, and that Activate is refused.
async fn assert_test_fails(app: &TestApp, owner: &Client, id: &str, test: &Value, error: &str) {
    assert_eq!(
        (
            test["passed"].as_bool(),
            test["steps"][0]["status"].as_str(),
            test["steps"][0]["error"].as_str(),
            test["error"].as_str()
        ),
        (
            Some(false),
            Some("failed"),
            Some(error),
            Some(format!("step 1: {error}").as_str())
        ),
        "{test:#}"
    );
    let (status, refused) = post(
        app,
        owner,
        &format!("/api/automations/{id}/activate"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, refused["message"].as_str()),
        (StatusCode::CONFLICT, Some(UNTESTED))
    );
}

#[tokio::test]
async fn a_test_fails_where_a_live_run_would_find_no_mobile_or_no_number_to_send_from() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let text = |to: &str| json!([{"type": "send_sms", "to": to, "template": "A note about {{ client.first_name }}."}]);
    let create = |body: Value| {
        let (app, owner) = (&app, &owner);
        async move {
            let (status, saved) = post(app, owner, "/api/automations", body).await;
            assert_eq!(status, StatusCode::CREATED, "{saved}");
            saved["id"].as_str().unwrap().to_owned()
        }
    };

    // The owner without a mobile on file.
    let to_owner = create(program(
        "Tell me",
        json!({"event": "client.created"}),
        text("owner"),
    ))
    .await;
    let (status, _) = call(
        &owner,
        Method::PUT,
        &app.url("/api/settings/automations"),
        Some(json!({"quietHours": null, "myMobile": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let test = test_run(&app, &owner, &to_owner, None).await;
    assert_test_fails(
        &app,
        &owner,
        &to_owner,
        &test,
        "Olivia Owner has no mobile number on file; add one to text them",
    )
    .await;

    // A real booking's sitter without one: Mike has none, Sarah has.
    let to_sitter = create(program(
        "Tell the sitter",
        json!({"event": "booking.assigned"}),
        text("sitter"),
    ))
    .await;
    let john = client_id(&app, &owner, "John Smith").await;
    book(
        &app,
        &owner,
        &john,
        Some(&sitter_id(&app, &owner, "Mike Chen").await),
        app.engine.clock.now() + DAY,
    )
    .await;
    let events = get(
        &app,
        &owner,
        &format!("/api/automations/{to_sitter}/events"),
    )
    .await;
    let test = test_run(&app, &owner, &to_sitter, Some(&events[0])).await;
    assert_test_fails(
        &app,
        &owner,
        &to_sitter,
        &test,
        "Mike Chen has no mobile number on file; add one to text them",
    )
    .await;
    let david = client_id(&app, &owner, "David Martinez").await;
    book(
        &app,
        &owner,
        &david,
        Some(&sitter_id(&app, &owner, "Sarah Johnson").await),
        app.engine.clock.now() + 2 * DAY,
    )
    .await;
    let events = get(
        &app,
        &owner,
        &format!("/api/automations/{to_sitter}/events"),
    )
    .await;
    let sarahs = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"] == "booking.assigned for David Martinez")
        .unwrap();
    assert_eq!(
        test_run(&app, &owner, &to_sitter, Some(sarahs)).await["passed"],
        true
    );

    // The lane without an active number: the front desk quarantined.
    let to_client = create(program(
        "Tell the client",
        json!({"event": "client.created"}),
        text("client"),
    ))
    .await;
    let numbers = get(&app, &owner, "/api/numbers?pageSize=200").await;
    let front_desk = numbers["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["e164"] == FRONT_DESK)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = post(
        &app,
        &owner,
        &format!("/api/numbers/{front_desk}/quarantine"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let test = test_run(&app, &owner, &to_client, None).await;
    assert_test_fails(
        &app,
        &owner,
        &to_client,
        &test,
        "the organisation has no active front-desk number to send from",
    )
    .await;
}

#[tokio::test]
async fn a_rerun_on_a_version_with_a_step_inserted_before_the_failed_one_carries_out_the_new_step()
{
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let tag = |t: &str| json!({"type": "add_tag", "tag": t});
    let to_sitter = json!({"type": "send_sms", "to": "sitter", "template": "New visit for you, {{ sitter.first_name }}: {{ client.first_name }}."});
    let v1 = program(
        "Heads-up",
        json!({"event": "booking.assigned"}),
        json!([tag("assigned"), tag("briefed"), to_sitter]),
    );
    let id = live(&app, &owner, v1.clone()).await;
    let john = client_id(&app, &owner, "John Smith").await;
    let mike = sitter_id(&app, &owner, "Mike Chen").await;
    book(
        &app,
        &owner,
        &john,
        Some(&mike),
        app.engine.clock.now() + DAY,
    )
    .await;
    app.drain().await;
    let failed = only_run(&app, &owner, &id).await;
    assert_eq!(
        (
            failed["status"].as_str(),
            failed["steps"][2]["status"].as_str()
        ),
        (Some("failed"), Some("failed")),
        "{failed:#}"
    );

    // Version 2 tells the owner between the two tags; Mike gets a mobile.
    let mut v2 = v1;
    v2["actions"] = json!([
        tag("assigned"),
        {"type": "notify_owner", "title": "Brief {{ sitter.name }}", "template": "Walk them through {{ client.name }}'s keys."},
        tag("briefed"),
        to_sitter
    ]);
    let (status, saved) = call(
        &owner,
        Method::PUT,
        &app.url(&format!("/api/automations/{id}")),
        Some(v2),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    post(
        &app,
        &owner,
        &format!("/api/automations/{id}/test"),
        json!({}),
    )
    .await;
    let (status, _) = post(
        &app,
        &owner,
        &format!("/api/automations/{id}/activate"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.exec(
        "update app_user set phone_e164 = '+15550009002' where name = 'Mike Chen'",
        &[],
    )
    .await;

    let (status, rerun) = post(
        &app,
        &owner,
        &format!(
            "/api/automations/executions/{}/rerun",
            failed["id"].as_str().unwrap()
        ),
        json!({"on": "current"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rerun}");
    app.drain().await;
    let rerun = get(
        &app,
        &owner,
        &format!(
            "/api/automations/executions/{}",
            rerun["id"].as_str().unwrap()
        ),
    )
    .await;
    // The first tag, the same in both versions, was done; from the new step on, all run.
    let statuses: Vec<&str> = rerun["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        (
            rerun["status"].as_str(),
            rerun["version"].as_i64(),
            statuses
        ),
        (
            Some("success"),
            Some(2),
            vec!["skipped", "success", "success", "success"]
        ),
        "{rerun:#}"
    );
    let alerts = get(&app, &owner, "/api/alerts?status=open").await["alerts"].clone();
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"] == "Brief Mike Chen"),
        "{alerts:#}"
    );
    assert_eq!(
        sent(&app, &owner, "New visit for you, Mike: John.")
            .await
            .len(),
        1
    );
    let client = get(&app, &owner, &format!("/api/clients/{john}")).await;
    // Re-done tags are not doubled (John was `weekly` before any of it).
    assert_eq!(client["tags"], json!(["weekly", "assigned", "briefed"]));
}

#[tokio::test]
async fn an_archived_automation_cannot_be_activated() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(
        &app,
        &owner,
        program(
            "Old",
            json!({"event": "client.created"}),
            json!([{"type": "add_tag", "tag": "old"}]),
        ),
    )
    .await;
    let (status, _) = post(
        &app,
        &owner,
        &format!("/api/automations/{id}/archive"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = post(
        &app,
        &owner,
        &format!("/api/automations/{id}/activate"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("archived"),
        "{refused}"
    );
    assert_eq!(
        get(&app, &owner, &format!("/api/automations/{id}")).await["status"],
        "archived"
    );
    // And it starts nothing.
    post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Nora Newer", "phone": "+15557770006"}),
    )
    .await;
    app.drain().await;
    assert!(runs(&app, &owner, &id).await.is_empty());
}

#[tokio::test]
async fn each_automation_the_demo_turns_on_has_live_runs_in_its_logs() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let org: String = engine::db!(&app.engine.db, c => sqlx::query_scalar("select org_id from org").fetch_one(c).await).unwrap();
    engine::demo::activate_automations(&app.engine, &org)
        .await
        .unwrap();
    app.drain().await;
    let list = get(&app, &owner, "/api/automations").await;
    // The confirmation and the reminder have texted; the thank-you waits its hour.
    for (key, status) in [
        ("booking-confirmation", "success"),
        ("appointment-reminder", "success"),
        ("post-visit-thank-you", "waiting"),
    ] {
        assert!(engine::demo::DEMO_ACTIVE.contains(&key), "{key}");
        let automation = list
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["stockKey"] == key)
            .unwrap();
        let runs = runs(&app, &owner, automation["id"].as_str().unwrap()).await;
        assert!(!runs.is_empty(), "{key} has no live runs");
        assert!(
            runs.iter().all(|r| r["status"] == status),
            "{key}: {runs:#?}"
        );
    }
    assert_eq!(engine::demo::DEMO_ACTIVE.len(), 3);
    assert!(
        !sent(&app, &owner, "a reminder from Snout Pet Care")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_step_that_fails_for_a_moment_is_retried_and_the_run_succeeds() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = live(
        &app,
        &owner,
        program(
            "VIP",
            json!({"event": "client.created"}),
            json!([{"type": "add_tag", "tag": "vip"}]),
        ),
    )
    .await;
    // Tagging a client fails, as a database that hiccups would (a database error is one
    // the job tries again, with backoff), until the run has recorded the step as
    // `retrying`: the first attempt fails, the second goes through.
    if app.engine.db.kind() == "postgres" {
        app.exec(
            "create function tag_hiccup() returns trigger language plpgsql as $$
             begin if new.tags like '%vip%' and not exists
               (select 1 from automation_execution where steps like '%\"status\":\"retrying\"%')
             then raise exception 'the database hiccuped'; end if; return new; end $$",
            &[],
        )
        .await;
        app.exec(
            "create trigger tag_hiccup before update on client for each row execute function tag_hiccup()",
            &[],
        )
        .await;
    } else {
        app.exec(
            "create trigger tag_hiccup before update on client
             when new.tags like '%vip%' and not exists
               (select 1 from automation_execution where steps like '%\"status\":\"retrying\"%')
             begin select raise(abort, 'the database hiccuped'); end",
            &[],
        )
        .await;
    }
    let (status, created) = post(
        &app,
        &owner,
        "/api/clients",
        json!({"name": "Vera Vip", "phone": "+15557770007"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    app.drain().await;

    let run = only_run(&app, &owner, &id).await;
    assert_eq!(
        (
            run["status"].as_str(),
            run["steps"][0]["status"].as_str(),
            run["steps"][0]["attempts"].as_i64(),
            run["steps"][0]["error"].as_str()
        ),
        (Some("success"), Some("success"), Some(2), None),
        "{run:#}"
    );
    let client = get(
        &app,
        &owner,
        &format!("/api/clients/{}", created["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(client["tags"], json!(["vip"]));
    let alerts = get(&app, &owner, "/api/alerts?status=open").await["alerts"].clone();
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["title"] != "Automation Failed - VIP"),
        "{alerts:#}"
    );
}
