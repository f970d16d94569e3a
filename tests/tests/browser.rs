//! Logging in through a real browser (headless Chromium), as an owner and as a sitter.

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
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        browser
            .screenshot(&std::path::Path::new(&dir).join("owner-inbox.png"))
            .await;
        browser.resize(390, 844).await;
        browser
            .screenshot(&std::path::Path::new(&dir).join("owner-inbox-phone.png"))
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
