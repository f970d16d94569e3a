//! The `/campaigns` page: over plain HTTP (who may see it, the segment preview, saving
//! with its checks and CSRF token, Run now and the run history), and in headless
//! Chromium (the live template preview as it is typed, saving, Run now, phone width).

use reqwest::StatusCode;
use serde_json::Value;
use tests::pages::{get_page, location, logged_in, unescaped};
use tests::{TestApp, browser::Browser, client, demo, get_json};

async fn campaign(app: &TestApp, kind: &str) -> Value {
    let list = get_json(
        &app.owner().await,
        &app.url("/api/campaigns"),
        StatusCode::OK,
    )
    .await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .cloned()
        .unwrap()
}

/// The part of the page about one campaign.
fn card<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"campaign-{id}\""))
        .unwrap_or_else(|| panic!("no card for {id}"));
    let rest = &page[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_campaigns_page_shows_each_campaign_with_who_it_would_text_for_the_owner_only() {
    let app = TestApp::spawn().await;
    let (owner, _) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let (sitter, _) = logged_in(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    let (status, page) = get_page(&owner, &app.url("/campaigns")).await;
    assert_eq!(status, StatusCode::OK);
    for shows in [
        "Appointment reminders",
        "Lead follow-ups",
        "Win-back",
        "href=\"/campaigns\" aria-current=\"page\"",
        "Reply 1 to confirm, 2 to cancel or 3 to reschedule.",
        "0 10 * * 1",
    ] {
        assert!(page.contains(shows), "the page shows {shows}");
    }
    // The demo's David Martinez has the one visit in the next 24 hours.
    let reminders = campaign(&app, "reminders").await;
    let id = reminders["id"].as_str().unwrap();
    let card = card(&page, id);
    assert!(
        card.contains("1</strong> client would receive this now: David."),
        "{card}"
    );
    assert!(card.contains("David would get:"), "{card}");
    // The template's preview against the sample comes with the page.
    assert!(
        card.contains("data-testid=\"preview-text\">Hi John, a reminder from Snout Pet Care"),
        "{card}"
    );
    assert!(card.contains("No runs yet."), "{card}");

    let res = sitter.get(app.url("/campaigns")).send().await.unwrap();
    assert_eq!(location(&res), "/sitter/inbox");
    let res = client().get(app.url("/campaigns")).send().await.unwrap();
    assert_eq!(location(&res), "/login");
}

#[tokio::test]
async fn saving_a_campaign_checks_it_and_run_now_adds_a_run_to_its_history() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = logged_in(&app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await;
    let reminders = campaign(&app, "reminders").await;
    let id = reminders["id"].as_str().unwrap().to_owned();
    let template = reminders["template"].as_str().unwrap().to_owned();
    let save = |fields: Vec<(&'static str, String)>| {
        let (owner, url) = (owner.clone(), app.url(&format!("/campaigns/{id}")));
        async move { owner.post(url).form(&fields).send().await.unwrap() }
    };

    let res = save(vec![
        ("csrf", csrf.clone()),
        ("cron", "*/5 * * * *".into()),
        ("template", template.clone()),
        ("hours_ahead", "500".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = unescaped(&res.text().await.unwrap());
    let shown = card(&page, &id);
    assert!(
        shown.contains("Hours ahead must be a whole number from 1 to 168."),
        "{shown}"
    );
    let res = save(vec![
        ("csrf", csrf.clone()),
        ("cron", "*/5 * * * *".into()),
        ("template", template.clone()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = unescaped(&res.text().await.unwrap());
    assert!(
        card(&page, &id)
            .contains("The schedule does not work: a schedule may fire at most once an hour."),
        "{page}"
    );
    let res = save(vec![
        ("csrf", "forged".into()),
        ("cron", "0 9 * * *".into()),
        ("template", template.clone()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = save(vec![
        ("csrf", csrf.clone()),
        ("cron", "0 9 * * *".into()),
        ("template", template.clone()),
        ("enabled", "on".into()),
        ("hours_ahead", "48".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        format!("/campaigns?done=saved#campaign-{id}")
    );
    let saved = campaign(&app, "reminders").await;
    assert_eq!(
        (saved["cron"].as_str(), saved["enabled"].as_bool()),
        (Some("0 9 * * *"), Some(true))
    );
    assert_eq!(saved["settings"]["hours_ahead"], 48);
    let (_, page) = get_page(&owner, &app.url("/campaigns?done=saved")).await;
    assert!(page.contains("Saved."));
    // Forty-eight hours take in Ashley Taylor's visit too.
    assert!(
        card(&page, &id).contains("2</strong> clients would receive this now: David, Ashley."),
        "{page}"
    );

    let res = owner
        .post(app.url(&format!("/campaigns/{id}/run")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        format!("/campaigns?done=campaign_run#campaign-{id}")
    );
    app.drain().await;
    let (_, page) = get_page(&owner, &app.url("/campaigns")).await;
    let shown = card(&page, &id);
    assert!(shown.contains("Run now</td>"), "{shown}");
    assert!(
        shown.contains("data-testid=\"run-status\">done<"),
        "{shown}"
    );
    assert!(shown.contains("data-testid=\"run-sent\">2<"), "{shown}");
    assert!(
        shown.contains("0</strong> clients would receive this now."),
        "both reminded: {shown}"
    );
}

#[tokio::test]
async fn the_owner_edits_a_campaign_with_a_live_preview_runs_it_and_reads_it_at_phone_width() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    browser.goto(&app.url("/login")).await;
    browser.fill("input[name=email]", demo::OWNER_EMAIL).await;
    browser
        .fill("input[name=password]", demo::OWNER_PASSWORD)
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path("/dashboard").await;
    browser.click("nav a[href='/campaigns']").await;
    browser.wait_for_path("/campaigns").await;

    let card = "[data-testid=campaign][data-kind=reminders]";
    browser
        .wait_for_text(
            &format!("{card} [data-testid=segment]"),
            "1 client would receive this now: David.",
        )
        .await;
    // The preview renders the template against the sample as it is typed.
    let preview = format!("{card} [data-testid=preview-text]");
    browser
        .wait_for_text(&preview, "Hi John, a reminder from Snout Pet Care")
        .await;
    let area = format!("{card} textarea[name=template]");
    browser
        .fill(
            &area,
            "{{ client.first_name }}, see you {{ booking.start | date }}! Reply 1 to confirm.",
        )
        .await;
    browser.wait_for_text(&preview, "John, see you ").await;
    browser.type_keys(&area, " {{ client.nickname }}").await;
    browser
        .wait_for_text(
            &format!("{card} [data-testid=preview-error]"),
            "client.nickname",
        )
        .await;
    browser
        .fill(
            &area,
            "{{ client.first_name }}, see you {{ booking.start | date }}! Reply 1 to confirm.",
        )
        .await;
    // Mended: the error goes (and the form below it moves back up) before Save.
    browser
        .wait_for_hidden(&format!("{card} [data-testid=preview-error]"))
        .await;
    browser
        .fill(&format!("{card} input[name=hours_ahead]"), "48")
        .await;
    browser
        .click(&format!("{card} button[type=submit].primary"))
        .await;
    browser.wait_for_text("p.flash", "Saved.").await;
    browser
        .wait_for_text(
            &format!("{card} [data-testid=segment]"),
            "2 clients would receive this now: David, Ashley.",
        )
        .await;

    browser
        .click(&format!("{card} [data-testid=run-now]"))
        .await;
    browser.wait_for_text("p.flash", "Run started").await;
    app.drain().await;
    let run = browser
        .wait_for_text(&format!("{card} [data-testid=run]"), "done")
        .await;
    assert!(run.contains("Run now") && run.contains('2'), "{run}");
    let owner = app.owner().await;
    let texts = get_json(&owner, &app.url("/api/dev/mock/messages"), StatusCode::OK).await;
    let ours: Vec<&str> = texts["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .filter(|b| b.contains("see you"))
        .collect();
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert!(
        ours.iter().any(|b| b.starts_with("David, see you ")),
        "{ours:?}"
    );

    browser.resize(390, 844).await;
    let fits = browser
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(
        fits,
        Value::Bool(true),
        "nothing runs off the side at phone width"
    );
    if let Some(dir) = std::env::var_os("SCREENSHOT_DIR") {
        let dir = std::path::PathBuf::from(dir);
        browser.screenshot(&dir.join("campaigns-phone.png")).await;
        browser.resize(1200, 900).await;
        browser.screenshot(&dir.join("campaigns.png")).await;
    }
}
