//! The pages in a real browser (headless Chromium): logging in as an owner and as a
//! sitter, a new text appearing in an open conversation, and the seeds' demo steps 5 (a sitter's text with a phone number is blocked,
//! the owner reviews it) and 6 (a text fails three times, alerts, and is replayed from
//! the dead letter queue), the composer's live segment count, and the dashboard at phone
//! width.

use serde_json::json;
use tests::{TestApp, browser::Browser, demo};

#[tokio::test]
async fn the_owner_logs_in_and_finds_a_new_text_in_the_inbox() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.inbound(
        "SMbrowser",
        "+15551234567",
        demo::FRONT_DESK,
        "Hello, I need help with my booking",
    )
    .await;
    app.drain().await;

    browser.goto(&app.url("/inbox")).await;
    browser.wait_for_path("/login").await;
    browser.fill("input[name=email]", demo::OWNER_EMAIL).await;
    browser
        .fill("input[name=password]", demo::OWNER_PASSWORD)
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path("/dashboard").await;
    assert_eq!(
        browser.text("[data-testid=user-name]").await,
        "Olivia Owner"
    );

    browser.click("summary").await;
    browser.click("a[href='/inbox']").await;
    browser.wait_for_path("/inbox").await;
    let first = browser.text(".thread-row:first-child .name").await;
    assert_eq!(first, "John Smith");
    browser.click(".thread-row:first-child a").await;
    let last = browser.text(".messages li:last-child p").await;
    assert_eq!(last, "Hello, I need help with my booking");

    // A text that arrives while the conversation is open shows up without a reload,
    // with the reason it went to the owner.
    app.inbound(
        "SMbrowser2",
        "+15551234567",
        demo::FRONT_DESK,
        "Also, can you feed the cat?",
    )
    .await;
    app.drain().await;
    let arrived = browser
        .wait_for_text(".messages li:last-child", "Also, can you feed the cat?")
        .await;
    assert!(arrived.contains("No active assignment window"), "{arrived}");

    browser.resize(390, 844).await;
    let fits = browser
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
            json!([]),
        )
        .await;
    assert_eq!(
        fits,
        json!(true),
        "nothing runs off the side at phone width"
    );
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        browser
            .screenshot(&std::path::Path::new(&dir).join("owner-inbox-phone.png"))
            .await;
        browser.resize(1280, 800).await;
        browser
            .screenshot(&std::path::Path::new(&dir).join("owner-inbox.png"))
            .await;
    }
}

#[tokio::test]
async fn the_sitter_logs_in_to_her_conversations_only() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    browser.goto(&app.url("/login")).await;
    browser.fill("input[name=email]", demo::SITTER_EMAIL).await;
    browser
        .fill("input[name=password]", demo::SITTER_PASSWORD)
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path("/sitter/inbox").await;
    let list = browser.text(".thread-list").await;
    assert!(list.contains("Emily Davis"), "{list}");
    assert!(!list.contains("John Smith"), "{list}");
    // An owner page sends her back to her inbox.
    browser.goto(&app.url("/dashboard")).await;
    browser.wait_for_path("/sitter/inbox").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path("/login").await;
}

#[tokio::test]
async fn a_wrong_password_shows_a_message_on_the_login_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    browser.goto(&app.url("/login")).await;
    browser.fill("input[name=email]", demo::OWNER_EMAIL).await;
    browser.fill("input[name=password]", "not-it").await;
    browser.click("button[type=submit]").await;
    assert_eq!(
        browser.text("[role=alert]").await,
        "Wrong email or password."
    );
}

/// Logs in through the form and waits for the role's home page.
async fn log_in(browser: &Browser, app: &TestApp, email: &str, password: &str, home: &str) {
    browser.goto(&app.url("/login")).await;
    browser.fill("input[name=email]", email).await;
    browser.fill("input[name=password]", password).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path(home).await;
}

async fn thread_id(app: &TestApp, name: &str, number: &str) -> String {
    let owner = app.owner().await;
    tests::thread_on(app, &owner, name, number).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn screenshot_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("SCREENSHOT_DIR").map(std::path::PathBuf::from)
}

#[tokio::test]
async fn a_sitter_passing_a_phone_number_is_blocked_and_the_owner_resolves_it() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let emily = thread_id(&app, "Emily Davis", demo::SARAH_NUMBER).await;

    log_in(
        &browser,
        &app,
        demo::SITTER_EMAIL,
        demo::SITTER_PASSWORD,
        "/sitter/inbox",
    )
    .await;
    browser
        .click(&format!("a[href='/sitter/threads/{emily}']"))
        .await;
    browser
        .wait_for_path(&format!("/sitter/threads/{emily}"))
        .await;
    let header = browser.text("[data-testid=window]").await;
    assert!(header.contains("Active Window:"), "{header}");
    browser
        .fill("textarea[name=body]", "Call me at 555-123-4567")
        .await;
    browser
        .wait_for_text(
            "[data-testid=segment-count]",
            "23 characters · 1 segment · GSM-7",
        )
        .await;
    browser.click(".composer button[type=submit]").await;
    browser
        .wait_for_text(
            "[data-testid=composer-error]",
            "This message wasn't sent because it includes contact info. Please keep communication in the system.",
        )
        .await;
    assert_eq!(
        browser.value("textarea[name=body]").await,
        "Call me at 555-123-4567",
        "the typed text is kept"
    );
    let html = browser
        .execute("return document.documentElement.outerHTML;", json!([]))
        .await;
    assert!(
        !html.as_str().unwrap().contains("+15550100002"),
        "never the client's number"
    );
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("sitter-blocked.png")).await;
        browser.resize(390, 844).await;
        browser
            .screenshot(&dir.join("sitter-blocked-phone.png"))
            .await;
        browser.resize(1200, 900).await;
    }
    browser.click(".logout button").await;
    browser.wait_for_path("/login").await;

    log_in(
        &browser,
        &app,
        demo::OWNER_EMAIL,
        demo::OWNER_PASSWORD,
        "/dashboard",
    )
    .await;
    browser.goto(&app.url("/audit")).await;
    browser.click("a[href='/audit/violations']").await;
    browser.wait_for_path("/audit/violations").await;
    let row = browser
        .wait_for_text("[data-testid=violation]", "Call me at 555-123-4567")
        .await;
    for cell in ["phone", "blocked", "open", "Sarah Johnson", "Emily Davis"] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("policy-violations.png")).await;
    }
    browser
        .fill(
            "[data-testid=violation] input[name=reason]",
            "Talked to Sarah",
        )
        .await;
    browser
        .click("[data-testid=violation] button[value=resolve]")
        .await;
    browser
        .wait_for_text(".flash", "The violation is resolved.")
        .await;
    let row = browser
        .wait_for_text("[data-testid=violation]", "Talked to Sarah")
        .await;
    assert!(row.contains("resolved"), "{row}");
}

#[tokio::test]
async fn a_text_that_fails_three_times_alerts_and_is_replayed_from_the_dead_letter_queue() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let john = thread_id(&app, "John Smith", demo::FRONT_DESK).await;
    log_in(
        &browser,
        &app,
        demo::OWNER_EMAIL,
        demo::OWNER_PASSWORD,
        "/dashboard",
    )
    .await;

    // The mock fails the next three sends. Setup is under the Messaging menu.
    browser.click("details.menu summary").await;
    browser.click("a[href='/setup']").await;
    browser.wait_for_path("/setup").await;
    browser.fill("input[name=fail_next]", "3").await;
    browser.fill("input[name=error_code]", "30008").await;
    browser
        .click("[data-testid=mock-config] button[type=submit]")
        .await;
    browser.wait_for_text(".flash", "Saved.").await;
    assert_eq!(browser.value("input[name=fail_next]").await, "3");
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("setup.png")).await;
    }

    browser
        .goto(&app.url(&format!("/inbox?thread={john}")))
        .await;
    browser
        .fill("textarea[name=body]", "Reminder: walk at 3pm")
        .await;
    browser.click(".composer button.primary").await;
    let last = ".messages li:last-child";
    browser
        .wait_for_text(&format!("{last} p"), "Reminder: walk at 3pm")
        .await;
    let status = browser
        .wait_for_text(
            &format!("{last} [data-testid=delivery]"),
            "Failed · 3 attempts",
        )
        .await;
    assert_eq!(status, "Failed · 3 attempts");
    browser
        .click(&format!("{last} [data-testid=delivery]"))
        .await;
    let attempts = browser
        .wait_for_text(&format!("{last} .attempts"), "Attempt 3")
        .await;
    assert_eq!(
        attempts.matches("error 30008: Unknown error").count(),
        3,
        "{attempts}"
    );
    assert!(browser.is_enabled(&format!("{last} .retry button")).await);
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("inbox-failed.png")).await;
        browser.resize(390, 844).await;
        browser
            .screenshot(&dir.join("inbox-failed-phone.png"))
            .await;
        browser.resize(1200, 900).await;
    }

    browser.click("a[href='/alerts']").await;
    let alert = browser
        .wait_for_text(
            "[data-testid=alert]",
            "Message Delivery Failed - Max Retries Exceeded",
        )
        .await;
    assert!(alert.contains("critical"), "{alert}");

    browser.click("a[href='/ops']").await;
    browser.wait_for_path("/ops").await;
    let letter = browser
        .wait_for_text("[data-testid=dead-letter]", "message-retry")
        .await;
    for cell in [
        "retry-message",
        "30008: Unknown error",
        "3",
        "Open the message",
    ] {
        assert!(letter.contains(cell), "{cell} in {letter}");
    }
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("ops-dead-letters.png")).await;
    }
    browser
        .fill(
            "[data-testid=dead-letter] input[name=reason]",
            "Manual retry after fixing provider issue",
        )
        .await;
    browser
        .click("[data-testid=dead-letter] button[type=submit]")
        .await;
    browser
        .wait_for_text(".flash", "Replayed: the job is queued again.")
        .await;

    // The entity link opens the conversation; the replay goes through.
    browser.goto(&app.url("/ops?status=all")).await;
    browser.click("[data-testid=entity-link]").await;
    browser.wait_for_path("/inbox").await;
    let status = browser
        .wait_for_text(&format!("{last} [data-testid=delivery]"), "Delivered")
        .await;
    assert_eq!(status, "Delivered · 4 attempts");
    if let Some(dir) = screenshot_dir() {
        browser.goto(&app.url("/ops/health")).await;
        browser.screenshot(&dir.join("ops-health.png")).await;
    }
    browser.goto(&app.url("/alerts?status=resolved")).await;
    browser
        .wait_for_text(
            "[data-testid=alert]",
            "Message Delivery Failed - Max Retries Exceeded",
        )
        .await;
}

#[tokio::test]
async fn the_composer_counts_characters_and_segments_while_typing() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let john = thread_id(&app, "John Smith", demo::FRONT_DESK).await;
    log_in(
        &browser,
        &app,
        demo::OWNER_EMAIL,
        demo::OWNER_PASSWORD,
        "/dashboard",
    )
    .await;
    browser
        .goto(&app.url(&format!("/inbox?thread={john}")))
        .await;
    let count = "[data-testid=segment-count]";
    browser
        .wait_for_text(count, "0 characters · 0 segments · GSM-7")
        .await;

    browser.fill("textarea[name=body]", &"a".repeat(160)).await;
    browser
        .wait_for_text(count, "160 characters · 1 segment · GSM-7")
        .await;
    browser.type_keys("textarea[name=body]", "a").await;
    browser
        .wait_for_text(count, "161 characters · 2 segments · GSM-7")
        .await;
    // Split texts carry 153 characters a part.
    browser.fill("textarea[name=body]", &"a".repeat(306)).await;
    browser
        .wait_for_text(count, "306 characters · 2 segments · GSM-7")
        .await;
    browser.type_keys("textarea[name=body]", "a").await;
    browser
        .wait_for_text(count, "307 characters · 3 segments · GSM-7")
        .await;
    browser.fill("textarea[name=body]", &"a".repeat(161)).await;
    // One character outside GSM-7 makes the whole text UCS-2: 162 units, 67 a part.
    browser.type_keys("textarea[name=body]", "☺").await;
    browser
        .wait_for_text(count, "162 characters · 3 segments · Unicode (UCS-2)")
        .await;
    // The extension characters take two.
    browser.fill("textarea[name=body]", "{€}").await;
    browser
        .wait_for_text(count, "6 characters · 1 segment · GSM-7")
        .await;
    // An emoji is two UTF-16 units (set by script: chromedriver types only the BMP).
    let set = "const t = document.querySelector('textarea[name=body]');
               t.value = arguments[0]; t.dispatchEvent(new Event('input'));";
    browser.execute(set, json!(["🐶".repeat(35)])).await;
    browser
        .wait_for_text(count, "70 characters · 1 segment · Unicode (UCS-2)")
        .await;
    browser.execute(set, json!(["🐶".repeat(36)])).await;
    browser
        .wait_for_text(count, "72 characters · 2 segments · Unicode (UCS-2)")
        .await;
}

#[tokio::test]
async fn the_sitter_can_write_only_while_her_window_is_open() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    // Michael Brown's window with Sarah opens in two days and closes in five.
    let michael = thread_id(&app, "Michael Brown", demo::SARAH_NUMBER).await;
    log_in(
        &browser,
        &app,
        demo::SITTER_EMAIL,
        demo::SITTER_PASSWORD,
        "/sitter/inbox",
    )
    .await;
    let url = app.url(&format!("/sitter/threads/{michael}"));
    browser.goto(&url).await;
    assert!(
        browser
            .text("[data-testid=window]")
            .await
            .contains("Next window:")
    );
    assert!(
        !browser.is_enabled("textarea[name=body]").await,
        "closed before the window"
    );
    assert!(browser.text(".composer").await.contains(
        "You can message during your assignment window. Messages outside the window are blocked."
    ));

    app.engine.clock.advance(3 * 24 * 3_600_000);
    browser.goto(&url).await;
    assert!(
        browser
            .text("[data-testid=window]")
            .await
            .contains("Active Window:")
    );
    assert!(
        browser.is_enabled("textarea[name=body]").await,
        "open inside the window"
    );

    app.engine.clock.advance(3 * 24 * 3_600_000);
    browser.goto(&url).await;
    assert!(
        browser
            .text("[data-testid=window]")
            .await
            .contains("No active window – messaging disabled")
    );
    assert!(
        !browser.is_enabled("textarea[name=body]").await,
        "closed after the window"
    );
    assert!(
        browser
            .text("[data-testid=outside-window]")
            .await
            .contains("This conversation is only available during your assignment window.")
    );
}

/// The seeds' demo step 1: the setup wizard, clicked through with the test provider.
#[tokio::test]
async fn the_owner_sets_up_messaging_with_the_test_provider_in_seven_steps() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    log_in(
        &browser,
        &app,
        demo::OWNER_EMAIL,
        demo::OWNER_PASSWORD,
        "/dashboard",
    )
    .await;
    browser.click("details.menu summary").await;
    browser.click("a[href='/setup']").await;
    browser.wait_for_path("/setup").await;
    let title = "[data-testid=step-title]";

    // 1. Connect: the test provider is chosen already.
    browser
        .wait_for_text(title, "Step 1: How texts are sent")
        .await;
    let chosen = browser
        .execute(
            "return document.querySelector('input[name=provider][value=mock]').checked;",
            json!([]),
        )
        .await;
    assert_eq!(chosen, json!(true));
    browser
        .click("[data-testid=connect] button[type=submit]")
        .await;
    browser.wait_for_text(title, "Step 2").await;
    browser
        .wait_for_text("[data-testid=provider-status]", "Connected: Test provider")
        .await;

    // 2. Test the connection.
    browser.click("form[action='/setup/test'] button").await;
    browser
        .wait_for_text(title, "Step 3: Choose your numbers")
        .await;
    browser
        .wait_for_text(".flash", "Connection successful")
        .await;

    // 3. Choose numbers: the front desk, Sarah's number, a pool number.
    for (e164, want) in [(demo::FRONT_DESK, "frontDesk"), (demo::POOL_NUMBER, "pool")] {
        browser
            .execute(
                "document.querySelector(`select[name='number:${arguments[0]}']`).value = arguments[1];",
                json!([e164, want]),
            )
            .await;
    }
    let sarah = browser
        .value(&format!("select[name='number:{}']", demo::SARAH_NUMBER))
        .await;
    assert!(sarah.starts_with("sitter:") && sarah.len() > 7, "{sarah}");
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("setup-numbers.png")).await;
    }
    browser
        .click("[data-testid=choose] button[type=submit]")
        .await;
    browser.wait_for_text(title, "Step 4").await;
    browser
        .wait_for_text(".flash", "Your numbers are saved.")
        .await;

    // 4. Nothing to buy: skip. 5. The test provider needs no webhooks.
    browser.click("form[action='/setup/step'] button").await;
    browser.wait_for_text(title, "Step 5").await;
    browser
        .wait_for_text("[data-testid=webhooks-status]", "nothing to install")
        .await;
    browser.click("form[action='/setup/step'] button").await;

    // 6. Every check passes.
    browser.wait_for_text(title, "Step 6").await;
    browser
        .click("form[action='/setup/readiness'] button")
        .await;
    browser.wait_for_text(title, "Step 7").await;
    browser
        .wait_for_text(".flash", "Everything is ready.")
        .await;
    browser.goto(&app.url("/setup?step=6")).await;
    let checks = browser
        .wait_for_text("[data-testid=readiness]", "An owner")
        .await;
    assert_eq!(checks.matches('✓').count(), 6, "{checks}");
    assert!(!checks.contains('✗'), "{checks}");
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("setup-ready.png")).await;
    }

    // 7. Finish: to the dashboard; the wizard remembers it was finished.
    browser.goto(&app.url("/setup")).await;
    browser
        .wait_for_text("[data-testid=ready]", "Everything is ready")
        .await;
    browser.click("form[action='/setup/finish'] button").await;
    browser.wait_for_path("/dashboard").await;
    browser.goto(&app.url("/setup")).await;
    browser
        .wait_for_text("[data-testid=setup-finished]", "Setup was finished")
        .await;
}

#[tokio::test]
async fn the_dashboard_draws_the_week_s_sends_and_fits_a_phone() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    // A visit early today (the org's day) and a text sent now.
    let zone = engine::clock::zone("America/New_York");
    let today = engine::clock::local_date(app.engine.clock.now(), zone);
    let start = engine::clock::day_start(today, zone) + engine::clock::MINUTE;
    let clients = tests::get_json(
        &owner,
        &app.url("/api/clients?q=John+Smith"),
        reqwest::StatusCode::OK,
    )
    .await;
    let (status, _) = tests::call(
        &owner,
        reqwest::Method::POST,
        &app.url("/api/bookings"),
        Some(json!({
            "clientId": clients["clients"][0]["id"], "serviceType": "dog_walk",
            "startAt": engine::clock::to_rfc3339(start),
            "endAt": engine::clock::to_rfc3339(start + engine::clock::HOUR),
        })),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let thread = thread_id(&app, "John Smith", demo::FRONT_DESK).await;
    let (status, _) = tests::call(
        &owner,
        reqwest::Method::POST,
        &app.url(&format!("/api/messages/threads/{thread}/messages")),
        Some(json!({ "body": "On our way" })),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    app.drain().await;

    log_in(
        &browser,
        &app,
        demo::OWNER_EMAIL,
        demo::OWNER_PASSWORD,
        "/dashboard",
    )
    .await;
    assert_eq!(
        browser.text("[data-testid=week-total]").await,
        "1 in 7 days"
    );
    let visit = browser.text("[data-testid=today] li").await;
    assert!(
        visit.starts_with("12:01"),
        "a time of day, in the org's zone: {visit}"
    );
    assert!(visit.contains("John Smith"), "{visit}");

    browser.resize(390, 844).await;
    let fit = browser
        .execute(
            "const chart = document.querySelector('[data-testid=week-chart]').getBoundingClientRect();
             return [document.documentElement.scrollWidth, window.innerWidth, chart.right, chart.height];",
            json!([]),
        )
        .await;
    let [page, screen, right, height] = [0, 1, 2, 3].map(|i| fit[i].as_f64().unwrap());
    assert!(page <= screen, "nothing wider than the phone: {fit}");
    assert!(
        right <= screen && height > 50.0,
        "the chart fits and is drawn: {fit}"
    );
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("dashboard-phone.png")).await;
        browser.resize(1200, 900).await;
        browser.screenshot(&dir.join("dashboard.png")).await;
    }
}
