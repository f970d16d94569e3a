//! The first walking slice: an inbound webhook is stored once, routed by a durable job,
//! and shows up in the owner's thread list.

use reqwest::StatusCode;
use serde_json::Value;
use tests::{TestApp, demo, get_json, owner_threads, thread_messages};

#[tokio::test]
async fn an_inbound_text_shows_up_in_the_owner_thread_list() {
    let app = TestApp::spawn().await;
    let res = app
        .inbound(
            "SM123",
            "+15551234567",
            demo::FRONT_DESK,
            "Hello, I need help with my booking",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    assert!(res.text().await.unwrap().contains("<Response/>"));
    app.drain().await;

    let owner = app.owner().await;
    let threads = owner_threads(&app, &owner).await;
    assert_eq!(
        threads[0]["clientName"], "John Smith",
        "newest activity first"
    );
    assert_eq!(threads[0]["messageNumber"], demo::FRONT_DESK);
    assert!(threads[0]["ownerUnreadCount"].as_i64().unwrap() >= 1);
    let messages = thread_messages(&app, &owner, threads[0]["id"].as_str().unwrap()).await;
    let last = messages.last().unwrap();
    assert_eq!(last["body"], "Hello, I need help with my booking");
    assert_eq!(last["direction"], "inbound");
    assert_eq!(last["from"], "+15551234567");
}

#[tokio::test]
async fn the_same_message_sid_twice_yields_one_message() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        let res = app
            .inbound(
                "SMdup",
                "+15550001111",
                demo::FRONT_DESK,
                "only once please",
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    app.drain().await;
    let owner = app.owner().await;
    let threads = owner_threads(&app, &owner).await;
    let new = threads
        .iter()
        .find(|t| t["clientName"].is_null())
        .expect("a thread for the new sender");
    let messages = thread_messages(&app, &owner, new["id"].as_str().unwrap()).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(app.engine.metrics.get("webhooks_duplicate_total", ""), 2);
}

#[tokio::test]
async fn a_missing_field_answers_400_naming_it_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let full = [
        ("MessageSid", "SMx"),
        ("From", "+15550002222"),
        ("To", demo::FRONT_DESK),
        ("Body", "hi"),
    ];
    for missing in ["MessageSid", "From", "To"] {
        let form: Vec<_> = full.iter().filter(|(k, _)| *k != missing).collect();
        let res = app
            .client
            .post(app.url("/webhooks/twilio/inbound-sms"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "without {missing}");
        let body: Value = res.json().await.unwrap();
        assert!(body["fields"][missing].is_string(), "{missing}: {body}");
    }
    let res = app
        .client
        .post(app.url("/webhooks/twilio/inbound-sms"))
        .form(&[
            ("MessageSid", "SMy"),
            ("From", "not-a-number"),
            ("To", demo::FRONT_DESK),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    app.drain().await;
    let owner = app.owner().await;
    assert!(
        owner_threads(&app, &owner)
            .await
            .iter()
            .all(|t| !t["clientName"].is_null()),
        "no thread for a refused webhook"
    );
}

#[tokio::test]
async fn the_seed_aliases_all_accept_inbound_texts() {
    let app = TestApp::spawn().await;
    for (i, path) in [
        "/webhooks/twilio/sms",
        "/webhooks/twilio/inbound-sms",
        "/api/messages/incoming",
    ]
    .iter()
    .enumerate()
    {
        let sid = format!("SMalias{i}");
        let res = app
            .client
            .post(app.url(path))
            .form(&[
                ("MessageSid", sid.as_str()),
                ("From", "+15550003333"),
                ("To", demo::FRONT_DESK),
                ("Body", path),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    app.drain().await;
    let owner = app.owner().await;
    let threads = owner_threads(&app, &owner).await;
    let thread = threads.iter().find(|t| t["clientName"].is_null()).unwrap();
    let bodies: Vec<_> = thread_messages(&app, &owner, thread["id"].as_str().unwrap())
        .await
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(
        bodies,
        [
            "/webhooks/twilio/sms",
            "/webhooks/twilio/inbound-sms",
            "/api/messages/incoming"
        ],
        "one thread, oldest first"
    );
}

#[tokio::test]
async fn texts_from_one_client_to_two_numbers_make_two_threads() {
    let app = TestApp::spawn().await;
    app.inbound("SMa", "+15551234567", demo::FRONT_DESK, "to the front desk")
        .await;
    app.inbound(
        "SMb",
        "+15551234567",
        demo::POOL_NUMBER,
        "to the pool number",
    )
    .await;
    app.inbound("SMc", "+15551234567", demo::FRONT_DESK, "front desk again")
        .await;
    app.drain().await;
    let owner = app.owner().await;
    let threads = owner_threads(&app, &owner).await;
    let john: Vec<_> = threads
        .iter()
        .filter(|t| t["clientName"] == "John Smith")
        .collect();
    assert_eq!(john.len(), 2);
    let front = john
        .iter()
        .find(|t| t["messageNumber"] == demo::FRONT_DESK)
        .unwrap();
    let bodies: Vec<_> = thread_messages(&app, &owner, front["id"].as_str().unwrap())
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        bodies.ends_with(&[
            "to the front desk".to_owned(),
            "front desk again".to_owned()
        ]),
        "{bodies:?}"
    );
}

#[tokio::test]
async fn opening_a_thread_marks_it_read() {
    let app = TestApp::spawn().await;
    app.inbound("SMread", "+15551234567", demo::FRONT_DESK, "are you there?")
        .await;
    app.drain().await;
    let owner = app.owner().await;
    let john = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    assert!(john["ownerUnreadCount"].as_i64().unwrap() > 0);
    // One thread alone reads as the list shows it, and reading it is not opening it.
    let one = app.url(&format!(
        "/api/messages/threads/{}",
        john["id"].as_str().unwrap()
    ));
    assert_eq!(get_json(&owner, &one, StatusCode::OK).await, john);
    get_json(
        &owner,
        &app.url("/api/messages/threads/nope"),
        StatusCode::NOT_FOUND,
    )
    .await;
    let unread: Value = get_json(
        &owner,
        &app.url("/api/messages/threads?unread=true"),
        StatusCode::OK,
    )
    .await;
    assert!(
        unread["threads"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == john["id"])
    );
    thread_messages(&app, &owner, john["id"].as_str().unwrap()).await;
    let after = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    assert_eq!(after["ownerUnreadCount"], 0);
    let unread: Value = get_json(
        &owner,
        &app.url("/api/messages/threads?unread=true"),
        StatusCode::OK,
    )
    .await;
    assert!(
        unread["threads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != john["id"])
    );
}

#[tokio::test]
async fn pages_of_the_inbox_do_not_shift_when_new_texts_arrive() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let first: Value = get_json(
        &owner,
        &app.url("/api/messages/threads?limit=2"),
        StatusCode::OK,
    )
    .await;
    let cursor = first["nextCursor"].as_str().expect("more pages").to_owned();
    let expected_second: Value = get_json(
        &owner,
        &app.url(&format!("/api/messages/threads?limit=2&cursor={cursor}")),
        StatusCode::OK,
    )
    .await;
    // A new sender arrives and goes to the top.
    app.inbound("SMnew", "+15550004444", demo::FRONT_DESK, "new here")
        .await;
    app.drain().await;
    let second: Value = get_json(
        &owner,
        &app.url(&format!("/api/messages/threads?limit=2&cursor={cursor}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["threads"], expected_second["threads"]);
    // Walking every page visits every thread exactly once.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(c) => app.url(&format!("/api/messages/threads?limit=2&cursor={c}")),
            None => app.url("/api/messages/threads?limit=2"),
        };
        let page: Value = get_json(&owner, &url, StatusCode::OK).await;
        seen.extend(
            page["threads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(c) => next = Some(c.to_owned()),
            None => break,
        }
    }
    let all = owner_threads(&app, &owner).await;
    assert_eq!(seen.len(), all.len());
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
}

#[tokio::test]
async fn bad_list_parameters_answer_400_naming_them() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for (query, field) in [
        ("inbox=sitter", "inbox"),
        ("limit=0", "limit"),
        ("cursor=garbage", "cursor"),
        ("unread=maybe", "unread"),
    ] {
        let res = owner
            .get(app.url(&format!("/api/messages/threads?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains(field),
            "{query}: {body}"
        );
    }
}

/// The alerts titled "Unmapped Inbound Message" that mention `number`.
async fn unmapped_alerts(app: &TestApp, owner: &reqwest::Client, number: &str) -> Vec<Value> {
    let alerts = get_json(owner, &app.url("/api/alerts"), StatusCode::OK).await;
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["title"] == "Unmapped Inbound Message"
                && a["description"].as_str().unwrap().contains(number)
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_text_to_a_number_no_org_owns_is_kept_unfiled_and_the_only_org_is_told() {
    let app = TestApp::spawn().await;
    for sid in ["SMnowhere1", "SMnowhere2"] {
        let res = app
            .inbound(sid, "+15550005555", "+15550009999", "hello?")
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    app.drain().await;
    let owner = app.owner().await;
    assert!(
        owner_threads(&app, &owner)
            .await
            .iter()
            .all(|t| t["messageNumber"] != "+15550009999")
    );
    // The number may be the owner's own, not imported yet: one alert while it is open.
    let alerts = unmapped_alerts(&app, &owner, "+15550009999").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["severity"], "warning");
    let audit = get_json(
        &owner,
        &app.url("/api/audit/events?type=routing.unmapped_inbound"),
        StatusCode::OK,
    )
    .await;
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{audit}");
    let decision = &events[0]["payload"]["decision"];
    assert_eq!(decision["target"]["kind"], "owner_inbox", "{decision}");
    assert_eq!(
        decision["reason"],
        "Unmapped inbound message - routed to Owner Inbox"
    );
    assert!(
        !audit.to_string().contains("+15550005555"),
        "sender redacted"
    );
}

#[tokio::test]
async fn with_several_orgs_a_text_to_a_number_nobody_has_tells_none_of_them() {
    let app = TestApp::spawn().await;
    let other = app.other_org().await;
    app.inbound("SMnowhere", "+15550005555", "+15550009999", "hello?")
        .await;
    app.drain().await;
    let owner = app.owner().await;
    for owner in [&owner, &other.owner] {
        assert!(
            unmapped_alerts(&app, owner, "+15550009999")
                .await
                .is_empty()
        );
    }
}

#[tokio::test]
async fn the_search_finds_clients_by_name() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let page: Value = get_json(
        &owner,
        &app.url("/api/messages/threads?q=emily"),
        StatusCode::OK,
    )
    .await;
    let names: Vec<_> = page["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["clientName"].clone())
        .collect();
    assert_eq!(names, ["Emily Davis"]);
}

/// The client names of the owner's threads at `query` (`policy=true`, say).
async fn names_at(app: &TestApp, owner: &reqwest::Client, query: &str) -> Vec<String> {
    let page = get_json(
        owner,
        &app.url(&format!("/api/messages/threads?{query}")),
        StatusCode::OK,
    )
    .await;
    page["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["clientName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_policy_and_failures_filters_list_only_the_threads_flagged_so() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    assert!(names_at(&app, &owner, "policy=true").await.is_empty());
    assert!(names_at(&app, &owner, "failures=true").await.is_empty());

    // Emily passes her number on; a text to John is refused by the carrier.
    app.inbound(
        "SMemily",
        "+15550100002",
        demo::FRONT_DESK,
        "Text me at 555-867-5309 instead",
    )
    .await;
    let (status, _) = tests::call(
        &owner,
        reqwest::Method::POST,
        &app.url("/api/dev/mock/config"),
        Some(serde_json::json!({ "failNext": 1, "errorCode": 21211 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let john = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let (status, _) = tests::call(
        &owner,
        reqwest::Method::POST,
        &app.url(&format!(
            "/api/messages/threads/{}/messages",
            john["id"].as_str().unwrap()
        )),
        Some(serde_json::json!({ "body": "See you at 3" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    app.drain().await;

    assert_eq!(names_at(&app, &owner, "policy=true").await, ["Emily Davis"]);
    assert_eq!(
        names_at(&app, &owner, "failures=true").await,
        ["John Smith"]
    );
    assert!(
        names_at(&app, &owner, "failures=true&q=emily")
            .await
            .is_empty(),
        "filters and the search combine"
    );

    // The page's tabs keep the search.
    let (status, page) =
        tests::pages::get_page(&owner, &app.url("/inbox?filter=policy&q=emily")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("href=\"/inbox?filter=failures&q=emily\""),
        "{page}"
    );
    assert!(page.contains("Emily Davis"), "{page}");
}
