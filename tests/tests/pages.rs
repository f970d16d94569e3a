//! The server-rendered pages over plain HTTP: who lands where, forms and redirects.

use reqwest::StatusCode;
use tests::{
    TestApp, client, demo,
    pages::{csrf_of, form_login, get_page, location, logged_in, unescaped},
};

#[tokio::test]
async fn the_login_form_sends_each_role_home() {
    let app = TestApp::spawn().await;
    let (_, owner) = form_login(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    assert_eq!(owner.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&owner), "/dashboard");
    let (_, sitter) = form_login(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    assert_eq!(location(&sitter), "/sitter/inbox");
    let (_, wrong) = form_login(&app, demo::OWNER_EMAIL, "nope").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong email or password.")
    );
}

#[tokio::test]
async fn pages_send_visitors_to_login_and_sitters_to_their_inbox() {
    let app = TestApp::spawn().await;
    for path in ["/dashboard", "/inbox", "/sitter/inbox", "/"] {
        let res = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(location(&res), "/login", "{path}");
    }
    let (sitter, _) = form_login(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    for path in ["/dashboard", "/inbox"] {
        let res = sitter.get(app.url(path)).send().await.unwrap();
        assert_eq!(location(&res), "/sitter/inbox", "{path}");
    }
    let page = sitter
        .get(app.url("/sitter/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Emily Davis"),
        "the active window's thread is listed"
    );
    assert!(
        !page.contains("John Smith"),
        "a thread without a window of hers is not"
    );
    assert!(
        !page.contains("+1555"),
        "no phone number on the sitter's page"
    );
}

#[tokio::test]
async fn the_owner_inbox_page_shows_an_inbound_text() {
    let app = TestApp::spawn().await;
    app.inbound(
        "SMpage",
        "+15551234567",
        demo::FRONT_DESK,
        "Hello from the page test",
    )
    .await;
    app.drain().await;
    let (owner, _) = form_login(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let list = owner
        .get(app.url("/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("John Smith"));
    let thread = tests::owner_threads(&app, &app.owner().await).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = owner
        .get(app.url(&format!("/inbox?thread={thread}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Hello from the page test"));
    let unread = owner
        .get(app.url("/inbox?filter=unread"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !unread.contains(&format!("thread={thread}")),
        "opening it marked it read"
    );
}

#[tokio::test]
async fn logout_needs_the_forms_csrf_token() {
    let app = TestApp::spawn().await;
    let (owner, _) = form_login(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let forged = owner
        .post(app.url("/logout"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let page = owner
        .get(app.url("/dashboard"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&page);
    let res = owner
        .post(app.url("/logout"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login");
    let after = owner.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&after), "/login");
}

// --- Outbound pages: composers, delivery status, policy review, ops, setup. ---

const EMILY: &str = "+15550100002";
const JESSICA: &str = "+15550100004";

/// POSTs a form: its status, where it redirects, and the page it answers with.
async fn post_form(
    c: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let res = c.post(url).form(form).send().await.unwrap();
    let status = res.status();
    let to = location(&res);
    (status, to, unescaped(&res.text().await.unwrap()))
}

async fn thread_id(app: &TestApp, owner: &reqwest::Client, name: &str, number: &str) -> String {
    tests::thread_on(app, owner, name, number).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn owner_pages_render_for_the_owner_and_send_others_away() {
    let app = TestApp::spawn().await;
    let (owner, _) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (sitter, _) = logged_in(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    for (path, heading) in [
        ("/ops", "Dead Letter Queue"),
        ("/ops/health", "Job queues"),
        ("/setup", "Test provider (mock)"),
        ("/audit/violations", "Policy Violations"),
    ] {
        let (status, page) = get_page(&owner, &app.url(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(heading), "{path} shows {heading}");
        let res = sitter.get(app.url(path)).send().await.unwrap();
        assert_eq!(location(&res), "/sitter/inbox", "{path} for a sitter");
        let res = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(location(&res), "/login", "{path} for a visitor");
    }
    let (_, dashboard) = get_page(&owner, &app.url("/dashboard")).await;
    assert!(dashboard.contains("href=\"/ops\"") && dashboard.contains("href=\"/setup\""));
    let (_, inbox) = get_page(&sitter, &app.url("/sitter/inbox")).await;
    assert!(!inbox.contains("href=\"/ops\"") && !inbox.contains("href=\"/setup\""));
}

#[tokio::test]
async fn the_sitter_reads_a_conversation_in_its_window_and_never_sees_the_client_number() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let emily = thread_id(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let jessica = thread_id(&app, &owner, "Jessica Wilson", demo::SARAH_NUMBER).await;
    let michael = thread_id(&app, &owner, "Michael Brown", demo::SARAH_NUMBER).await;
    let john = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    // A client's text with contact details reaches the sitter redacted.
    app.inbound(
        "SMcell",
        EMILY,
        demo::SARAH_NUMBER,
        "My cell is 555-222-3333",
    )
    .await;
    app.drain().await;
    let (sitter, _) = logged_in(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;

    let (_, list) = get_page(&sitter, &app.url("/sitter/inbox")).await;
    assert!(list.contains(&format!("href=\"/sitter/threads/{emily}\"")));
    assert!(list.contains("Active now") && list.contains("Upcoming"));

    let (status, page) = get_page(&sitter, &app.url(&format!("/sitter/threads/{emily}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Active Window:"), "{page}");
    assert!(page.contains("The spare key is under the mat."));
    assert!(page.contains("Contact info removed"));
    assert!(
        !page.contains("555-222-3333"),
        "the client's details are redacted"
    );
    assert!(!page.contains(EMILY), "never the client's number");
    assert!(!page.contains("disabled"), "the composer is open");

    let (status, page) = get_page(&sitter, &app.url(&format!("/sitter/threads/{jessica}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No active window – messaging disabled"));
    assert!(page.contains("This conversation is only available during your assignment window."));
    assert!(page.contains(
        "You can message during your assignment window. Messages outside the window are blocked."
    ));
    assert!(
        page.contains("disabled></textarea>"),
        "the composer is closed"
    );
    assert!(
        !page.contains("Thank you so much!"),
        "no messages outside the window"
    );
    assert!(!page.contains(JESSICA));

    let (_, page) = get_page(&sitter, &app.url(&format!("/sitter/threads/{michael}"))).await;
    assert!(page.contains("Next window:"));
    assert!(!page.contains("+1555010"), "no client number at all");

    let (status, _) = get_page(&sitter, &app.url(&format!("/sitter/threads/{john}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "never a window on it");
    let (owner_page, _) = form_login(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let res = owner_page
        .get(app.url(&format!("/sitter/threads/{emily}")))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/dashboard");
    // The owner reads the client's text as written, flagged.
    let (_, page) = get_page(&owner_page, &app.url(&format!("/inbox?thread={emily}"))).await;
    assert!(page.contains("My cell is 555-222-3333"));
    assert!(page.contains("Contact info: phone"), "{page}");
}

#[tokio::test]
async fn a_sitter_passing_a_phone_number_gets_the_servers_words_and_keeps_the_text() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let emily = thread_id(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    let jessica = thread_id(&app, &owner, "Jessica Wilson", demo::SARAH_NUMBER).await;
    let (sitter, csrf) = logged_in(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    let send = |t: &str| app.url(&format!("/sitter/threads/{t}/send"));

    let (status, _, page) = post_form(
        &sitter,
        &send(&emily),
        &[("csrf", &csrf), ("body", "Call me at 555-123-4567")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains(
        "This message wasn't sent because it includes contact info. Please keep communication in the system."
    ));
    assert!(
        page.contains(">Call me at 555-123-4567</textarea>"),
        "the text is kept"
    );
    assert!(!page.contains(EMILY));

    let (status, to, _) = post_form(
        &sitter,
        &send(&emily),
        &[("csrf", &csrf), ("body", "On my way!")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("/sitter/threads/{emily}").as_str()
        )
    );
    app.drain().await;
    let (_, page) = get_page(&sitter, &app.url(&format!("/sitter/threads/{emily}"))).await;
    assert!(
        page.contains("On my way!") && page.contains("Delivered"),
        "{page}"
    );
    assert!(!page.contains(EMILY));

    let (status, _, page) = post_form(
        &sitter,
        &send(&jessica),
        &[("csrf", &csrf), ("body", "Hello")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains(
        "You can message during your assignment window. Messages outside the window are blocked."
    ));
    let (status, _, _) = post_form(
        &sitter,
        &send(&emily),
        &[("csrf", "forged"), ("body", "Hi")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let sent = tests::get_json(&owner, &app.url("/api/dev/mock/messages"), StatusCode::OK).await;
    assert_eq!(
        sent["messages"].as_array().unwrap().len(),
        1,
        "only On my way! went out"
    );
}

#[tokio::test]
async fn the_owner_is_warned_in_the_inbox_and_sends_anyway_with_a_reason() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let john = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let send = app.url(&format!("/inbox/{john}/send"));
    let text = "Our new office line is 555-987-6543";

    let (status, _, page) = post_form(&owner, &send, &[("csrf", &csrf), ("body", text)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("This text includes contact info (phone)."),
        "{page}"
    );
    assert!(page.contains("Send anyway"));
    assert!(page.contains(&format!(">{text}</textarea>")));

    let (status, _, page) = post_form(
        &owner,
        &send,
        &[
            ("csrf", &csrf),
            ("body", text),
            ("force", "true"),
            ("reason", " "),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "no reason, no sending");
    assert!(page.contains("Say why you are sending it anyway."));

    let (status, to, _) = post_form(
        &owner,
        &send,
        &[
            ("csrf", &csrf),
            ("body", text),
            ("force", "true"),
            ("reason", "Our own number"),
        ],
    )
    .await;
    assert_eq!(
        (status, to),
        (StatusCode::SEE_OTHER, format!("/inbox?thread={john}"))
    );
    app.drain().await;
    let (_, page) = get_page(&owner, &app.url(&format!("/inbox?thread={john}"))).await;
    assert!(page.contains(text) && page.contains("Contact info: phone"));
    assert!(page.contains(">Delivered</span>"), "{page}");

    let (status, _, page) = post_form(&owner, &send, &[("csrf", &csrf), ("body", "  ")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("The text is empty"));
    let (status, _, _) = post_form(&owner, &send, &[("csrf", "forged"), ("body", "hello")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_failed_text_shows_its_attempts_and_retry_queues_another() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let john = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    // A refusal is not retried: one attempt, failed.
    let (status, to, _) = post_form(
        &owner,
        &app.url("/setup/mock"),
        &[
            ("csrf", &csrf),
            ("fail_next", "1"),
            ("error_code", "21211"),
            ("latency_ms", "0"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/setup?done=saved")
    );
    post_form(
        &owner,
        &app.url(&format!("/inbox/{john}/send")),
        &[("csrf", &csrf), ("body", "Walk at 3pm")],
    )
    .await;
    app.drain().await;
    let (_, page) = get_page(&owner, &app.url(&format!("/inbox?thread={john}"))).await;
    assert!(
        page.contains(">Failed</span> · 1 attempt</summary>"),
        "{page}"
    );
    assert!(page.contains("error 21211: Invalid 'To' phone number"));
    let message = tests::thread_messages(&app, &owner, &john)
        .await
        .pop()
        .unwrap();
    let id = message["id"].as_str().unwrap();
    assert!(page.contains(&format!("action=\"/inbox/messages/{id}/retry\"")));

    let (status, to, _) = post_form(
        &owner,
        &app.url(&format!("/inbox/messages/{id}/retry")),
        &[("csrf", &csrf), ("thread", &john)],
    )
    .await;
    assert_eq!(
        (status, to),
        (
            StatusCode::SEE_OTHER,
            format!("/inbox?thread={john}&done=retried")
        )
    );
    app.drain().await;
    let (_, page) = get_page(
        &owner,
        &app.url(&format!("/inbox?thread={john}&done=retried")),
    )
    .await;
    assert!(page.contains("Retrying: a new attempt is queued."));
    assert!(
        page.contains(">Delivered</span> · 2 attempts</summary>"),
        "{page}"
    );
    assert!(
        !page.contains(&format!("/inbox/messages/{id}/retry")),
        "nothing to retry"
    );

    // Retrying a delivered text says why not, on the page.
    let (status, _, page) = post_form(
        &owner,
        &app.url(&format!("/inbox/messages/{id}/retry")),
        &[("csrf", &csrf), ("thread", &john)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("only a failed or uncertain text can be retried"),
        "{page}"
    );
}

#[tokio::test]
async fn the_owner_resolves_policy_violations_on_the_audit_tab_with_a_reason() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (sitter, sitter_csrf) = logged_in(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    let emily = thread_id(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    post_form(
        &sitter,
        &app.url(&format!("/sitter/threads/{emily}/send")),
        &[("csrf", &sitter_csrf), ("body", "Call me at 555-123-4567")],
    )
    .await;
    let (_, audit) = get_page(&owner, &app.url("/audit")).await;
    assert!(
        audit.contains("href=\"/audit/violations\""),
        "the tab is there"
    );

    let (_, page) = get_page(&owner, &app.url("/audit/violations")).await;
    assert!(
        page.contains("Call me at 555-123-4567"),
        "owners see what was written"
    );
    for cell in [
        "data-testid=\"violation-type\">phone<",
        "data-testid=\"violation-action\">blocked<",
        "data-testid=\"violation-status\">open<",
        "Sarah Johnson",
        "Emily Davis",
    ] {
        assert!(page.contains(cell), "{cell}");
    }
    let (_, none) = get_page(&owner, &app.url("/audit/violations?status=resolved")).await;
    assert!(!none.contains("data-testid=\"violation\""));
    let (_, none) = get_page(&owner, &app.url("/audit/violations?type=email")).await;
    assert!(!none.contains("data-testid=\"violation\""));

    let id = tests::get_json(&owner, &app.url("/api/policy/violations"), StatusCode::OK).await
        ["violations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resolve = app.url(&format!("/audit/violations/{id}/resolve"));
    let (status, _, page) = post_form(
        &owner,
        &resolve,
        &[("csrf", &csrf), ("action", "resolve"), ("reason", "")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("A reason is required."));
    let (status, to, _) = post_form(
        &owner,
        &resolve,
        &[
            ("csrf", &csrf),
            ("action", "override"),
            ("reason", "Her own business line"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/audit/violations?done=overridden")
    );
    let (_, page) = get_page(
        &owner,
        &app.url("/audit/violations?status=overridden&done=overridden"),
    )
    .await;
    assert!(page.contains("The violation is overridden."));
    assert!(page.contains("Her own business line"));
    let (status, _, page) = post_form(
        &owner,
        &resolve,
        &[("csrf", &csrf), ("action", "resolve"), ("reason", "again")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("The violation is already overridden"));
    let (status, _, _) = post_form(
        &owner,
        &resolve,
        &[("csrf", "forged"), ("action", "resolve"), ("reason", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn dead_letters_are_replayed_and_discarded_from_ops_with_a_reason() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let john = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    let (_, page) = get_page(&owner, &app.url("/ops")).await;
    assert!(page.contains("No failed jobs."));
    post_form(
        &owner,
        &app.url("/setup/mock"),
        &[("csrf", &csrf), ("fail_next", "6"), ("error_code", "30008")],
    )
    .await;
    for body in ["First try", "Second try"] {
        post_form(
            &owner,
            &app.url(&format!("/inbox/{john}/send")),
            &[("csrf", &csrf), ("body", body)],
        )
        .await;
        app.drain().await;
    }
    let (_, page) = get_page(&owner, &app.url("/ops")).await;
    assert_eq!(page.matches("data-testid=\"dead-letter\"").count(), 2);
    for cell in [
        "message-retry",
        "retry-message",
        "30008: Unknown error",
        "<td>3</td>",
    ] {
        assert!(page.contains(cell), "{cell}");
    }
    let letters = tests::get_json(&owner, &app.url("/api/ops/dead-letters"), StatusCode::OK).await;
    let letters = letters["deadLetters"].as_array().unwrap().clone();
    let (first, second) = (&letters[1], &letters[0]);
    let message = first["entityId"].as_str().unwrap();
    // The entity link opens the conversation at the message.
    let link = format!("/inbox/messages/{message}");
    assert!(page.contains(&format!("href=\"{link}\"")));
    let res = owner.get(app.url(&link)).send().await.unwrap();
    assert_eq!(
        location(&res),
        format!("/inbox?thread={john}#message-{message}")
    );

    let replay = app.url(&format!(
        "/ops/dead-letters/{}/replay",
        first["deadLetterId"].as_str().unwrap()
    ));
    let (status, _, page) = post_form(&owner, &replay, &[("csrf", &csrf), ("reason", "")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("A reason is required."));
    let (status, to, _) = post_form(
        &owner,
        &replay,
        &[
            ("csrf", &csrf),
            ("reason", "Manual retry after fixing provider issue"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/ops?done=replayed")
    );
    let discard = app.url(&format!(
        "/ops/dead-letters/{}/discard",
        second["deadLetterId"].as_str().unwrap()
    ));
    let (status, to, _) = post_form(
        &owner,
        &discard,
        &[("csrf", &csrf), ("reason", "Sent by phone instead")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/ops?done=discarded")
    );
    app.drain().await;

    let (_, page) = get_page(&owner, &app.url("/ops?done=discarded")).await;
    assert!(page.contains("Discarded: the job will not run again."));
    assert!(!page.contains("data-testid=\"dead-letter\""), "none open");
    let (_, page) = get_page(&owner, &app.url("/ops?status=all")).await;
    assert!(page.contains("Replayed") && page.contains("Manual retry after fixing provider issue"));
    assert!(page.contains("Discarded") && page.contains("Sent by phone instead"));
    let (_, inbox) = get_page(&owner, &app.url(&format!("/inbox?thread={john}"))).await;
    assert!(
        inbox.contains(">Delivered</span> · 4 attempts</summary>"),
        "{inbox}"
    );
    let (status, _, _) = post_form(&owner, &replay, &[("csrf", &csrf), ("reason", "again")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "already replayed");
}

#[tokio::test]
async fn ops_health_shows_the_database_the_queues_and_the_last_webhook() {
    let app = TestApp::spawn().await;
    let (owner, _) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (_, page) = get_page(&owner, &app.url("/ops/health")).await;
    assert!(page.contains("Never"), "no webhook yet");
    for text in [
        "route-inbound",
        "message-retry",
        "Mock",
        "class=\"big good\">OK<",
    ] {
        assert!(page.contains(text), "{text}");
    }
    app.inbound("SMhealth", "+15551234567", demo::FRONT_DESK, "Hi")
        .await;
    app.drain().await;
    let (_, page) = get_page(&owner, &app.url("/ops/health")).await;
    assert!(!page.contains("Never"), "the webhook's time is shown");
}

#[tokio::test]
async fn setup_sets_the_mock_provider_and_lists_what_it_sent() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (status, to, _) = post_form(
        &owner,
        &app.url("/setup/mock"),
        &[
            ("csrf", &csrf),
            ("fail_next", "2"),
            ("error_code", "30003"),
            ("fail_all", "on"),
            ("latency_ms", "5"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/setup?done=saved")
    );
    let config = tests::get_json(&owner, &app.url("/api/dev/mock/config"), StatusCode::OK).await;
    assert_eq!(
        config,
        serde_json::json!({ "failNext": 2, "errorCode": 30003, "failAll": true, "latencyMs": 5 })
    );
    let (_, page) = get_page(&owner, &app.url("/setup?done=saved")).await;
    assert!(page.contains("Saved."));
    assert!(page.contains("name=\"fail_next\" min=\"0\" step=\"1\" value=\"2\""));
    assert!(page.contains("name=\"fail_all\" checked"));

    let (status, _, page) = post_form(
        &owner,
        &app.url("/setup/mock"),
        &[("csrf", &csrf), ("fail_next", "two"), ("latency_ms", "5")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Fail next must be a whole number."));
    assert!(
        page.contains("value=\"two\""),
        "the form comes back as typed"
    );
    let (status, _, page) = post_form(
        &owner,
        &app.url("/setup/mock"),
        &[("csrf", &csrf), ("latency_ms", "70000")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Latency must be from 0 to 60000."), "{page}");

    // Unticked and emptied: back to normal; a text goes out and is listed.
    post_form(&owner, &app.url("/setup/mock"), &[("csrf", &csrf)]).await;
    let john = thread_id(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    post_form(
        &owner,
        &app.url(&format!("/inbox/{john}/send")),
        &[("csrf", &csrf), ("body", "Listed by the mock")],
    )
    .await;
    app.drain().await;
    let (_, page) = get_page(&owner, &app.url("/setup")).await;
    assert!(page.contains("Listed by the mock"));
    assert!(page.contains("<td>+15551234567</td>") && page.contains("delivered"));
}

#[tokio::test]
async fn setup_says_the_mock_is_not_in_use_with_twilio() {
    let app = TestApp::spawn_with(|c| {
        c.provider = "twilio".to_owned();
        c.twilio_account_sid = Some("AC00000000000000000000000000000000".to_owned());
        c.twilio_auth_token = Some(secrecy::SecretString::from("token".to_owned()));
        c.public_base_url = Some("https://switchboard.example.com".to_owned());
    })
    .await;
    engine::demo::seed(&app.engine).await.unwrap();
    let (owner, csrf) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (status, page) = get_page(&owner, &app.url("/setup")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("the test provider (mock) is not in use"),
        "{page}"
    );
    assert!(!page.contains("name=\"fail_next\""));
    let (status, _, _) = post_form(
        &owner,
        &app.url("/setup/mock"),
        &[("csrf", &csrf), ("fail_all", "on")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_owner_thread_header_names_the_sitter_and_the_window() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let summary = tests::thread_on(&app, &owner, "Emily Davis", demo::SARAH_NUMBER).await;
    assert_eq!(summary["assignedSitterName"], "Sarah Johnson");
    assert_eq!(summary["assignmentStatus"], "active");
    let id = summary["id"].as_str().unwrap();
    let page = owner
        .get(app.url(&format!("/inbox?thread={id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-testid=\"assigned-sitter\">Sarah Johnson"),
        "{page}"
    );
    assert!(page.contains("Active Window:"));
    let upcoming = tests::thread_on(&app, &owner, "Michael Brown", demo::SARAH_NUMBER).await;
    assert_eq!(upcoming["assignmentStatus"], "upcoming");
    assert!(upcoming["windowStart"].is_string());
    let john = tests::thread_on(&app, &owner, "John Smith", demo::FRONT_DESK).await;
    assert!(john["assignedSitterName"].is_null());
}
