//! The seeds' demo step 7 in a real browser (headless Chromium): the owner builds an
//! automation in the six steps, Activate is refused until Test Mode has passed, and a
//! real booking then makes a `success` execution in its Execution Logs.

use engine::clock::{DAY, HOUR, to_rfc3339};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::{TestApp, browser::Browser, call, demo, get_json};

const TEMPLATE: &str = "Hi {{ client.first_name }}, thanks for booking with {{ org.name }}!";
/// The template rendered for John Smith, the sample's client and the booking's.
const RENDERED: &str = "Hi John, thanks for booking with Snout Pet Care!";
const REFUSED: &str = "You must run a successful test before activating this automation.";

fn screenshot_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("SCREENSHOT_DIR").map(std::path::PathBuf::from)
}

async fn shot(browser: &Browser, name: &str) {
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join(name)).await;
    }
}

#[tokio::test]
async fn the_owner_builds_an_automation_tests_it_activates_it_and_a_booking_runs_it() {
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

    browser.click("nav a[href='/automations']").await;
    browser.wait_for_path("/automations").await;
    browser.click("[data-testid=new-automation]").await;
    browser.wait_for_path("/automations/new").await;

    // 1. Name, description, lane (the front desk is chosen already).
    browser.fill("#f-name", "Booking thank-you").await;
    browser
        .fill(
            "#f-description",
            "Thanks clients for a dog walk or drop-in.",
        )
        .await;
    assert_eq!(browser.value("#f-lane").await, "front_desk");
    browser.click("#step-1 [data-goto='2']").await;

    // 2. The trigger, with its description.
    browser
        .click("#f-trigger option[value='booking.created']")
        .await;
    browser
        .wait_for_text("[data-testid=trigger-description]", "A booking was made")
        .await;
    browser.click("#step-2 [data-goto='3']").await;

    // 3. One condition row: the service is a walk or a drop-in.
    browser.click("#add-condition").await;
    let row = "#condition-rows li:first-child";
    browser
        .click(&format!(
            "{row} select[data-field$='.field'] option[value='booking.service_type']"
        ))
        .await;
    browser
        .click(&format!(
            "{row} select[data-field$='.operator'] option[value='in']"
        ))
        .await;
    browser
        .fill(
            &format!("{row} input[data-field$='.value']"),
            "dog_walk, drop_in",
        )
        .await;
    shot(&browser, "automation-conditions.png").await;
    browser.click("#step-3 [data-goto='4']").await;

    // 4. A new automation starts with a text to the client.
    let action = browser.text("[data-testid=action]").await;
    assert!(action.contains("1. Send a text"), "{action}");
    assert_eq!(
        browser.value("[data-field='actions[0].to']").await,
        "client"
    );
    browser.click("#step-4 [data-goto='5']").await;

    // 5. The template, previewed against the sample as it is typed.
    browser
        .fill("[data-field='actions[0].template']", TEMPLATE)
        .await;
    browser
        .wait_for_text("[data-testid=preview-text]", RENDERED)
        .await;
    browser
        .wait_for_text(
            "[data-testid=preview-count]",
            "48 characters · 1 segment · GSM-7",
        )
        .await;
    shot(&browser, "automation-templates.png").await;
    browser.click("#step-5 [data-goto='6']").await;

    // 6. Review, Save Draft, Activate (refused), Test Mode, Activate.
    let review = browser
        .wait_for_text("[data-testid=review]", "Booking thank-you")
        .await;
    assert!(
        review.contains("booking.service_type is one of “dog_walk, drop_in”"),
        "{review}"
    );
    assert!(review.contains("Text the client"), "{review}");
    let message = "[data-testid=builder-message]";
    browser.click("#save").await;
    browser.wait_for_text(message, "Saved: version 1.").await;
    let url = browser.current_url().await;
    let id = url
        .rsplit('/')
        .next()
        .filter(|id| *id != "new")
        .unwrap_or_else(|| panic!("the saved automation's page, not {url}"))
        .to_owned();
    assert_eq!(
        browser.text("[data-testid=automation-status]").await,
        "draft"
    );
    // Saving again without a change makes no new version.
    browser.click("#save").await;
    browser
        .wait_for_text(message, "No changes to save since version 1.")
        .await;

    browser.click("#activate").await;
    assert_eq!(browser.wait_for_text(message, REFUSED).await, REFUSED);
    assert_eq!(
        browser.text("[data-testid=automation-status]").await,
        "draft"
    );

    browser.click("#test").await;
    let result = "[data-testid=test-result]";
    browser.wait_for_text(result, "Test passed").await;
    assert_eq!(browser.text("[data-testid=test-status]").await, "test");
    let condition = browser
        .wait_for_text("[data-testid=condition-result]", "booking.service_type")
        .await;
    assert!(condition.contains("✓ true"), "{condition}");
    assert_eq!(browser.text("[data-testid=rendered-text]").await, RENDERED);
    let step = browser.text("[data-testid=simulated-step]").await;
    assert!(
        step.contains("simulated") && step.contains("nothing was sent"),
        "{step}"
    );
    shot(&browser, "automation-test-mode.png").await;

    browser.click("#activate").await;
    browser
        .wait_for_text(
            message,
            "Active: version 1 runs on every booking.created event.",
        )
        .await;
    browser
        .wait_for_text("[data-testid=automation-status]", "active")
        .await;
    if let Some(dir) = screenshot_dir() {
        browser.screenshot(&dir.join("automation-active.png")).await;
        browser.resize(390, 844).await;
        browser
            .screenshot(&dir.join("automation-active-phone.png"))
            .await;
        browser.resize(1200, 900).await;
    }

    // A real booking for John: the automation runs and texts him.
    let owner = app.owner().await;
    let clients = get_json(&owner, &app.url("/api/clients?q=john"), StatusCode::OK).await;
    let john = clients["clients"][0]["id"].as_str().unwrap();
    let start = app.engine.clock.now() + 2 * DAY;
    let (status, booking) = call(
        &owner,
        Method::POST,
        &app.url("/api/bookings"),
        Some(json!({"clientId": john, "serviceType": "dog_walk",
                    "startAt": to_rfc3339(start), "endAt": to_rfc3339(start + HOUR)})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    app.drain().await;

    browser.click("#logs-link").await;
    browser
        .wait_for_path(&format!("/automations/{id}/executions"))
        .await;
    let live = browser
        .wait_for_text("[data-testid=execution][data-mode=live]", "success")
        .await;
    assert!(live.contains(RENDERED), "{live}");
    assert!(live.contains("John Smith"), "{live}");
    assert!(live.contains("Message"), "the message it sent: {live}");
    let test = browser
        .wait_for_text("[data-testid=execution][data-mode=test]", "test")
        .await;
    assert!(test.contains("passed") && test.contains(RENDERED), "{test}");
    shot(&browser, "automation-execution-logs.png").await;

    browser.click(".crumbs a[href='/automations']").await;
    browser.wait_for_path("/automations").await;
    let row = browser
        .wait_for_text("[data-testid=automation]", "Booking thank-you")
        .await;
    assert!(row.contains("active") && row.contains("success"), "{row}");

    // Pause, then Archive (confirmed): it leaves the list for the archived one.
    browser.goto(&app.url(&format!("/automations/{id}"))).await;
    browser.click("#pause").await;
    browser.wait_for_text(message, "Paused").await;
    browser
        .wait_for_text("[data-testid=automation-status]", "paused")
        .await;
    browser
        .execute("window.confirm = () => true;", json!([]))
        .await;
    browser.click("#archive").await;
    browser
        .wait_for_text(".flash", "The automation is archived")
        .await;
    let list = browser.text("main").await;
    assert!(!list.contains("Booking thank-you"), "{list}");
    browser.goto(&app.url("/automations?archived=true")).await;
    browser
        .wait_for_text("[data-testid=automation]", "Booking thank-you")
        .await;
}

async fn log_in_as_owner(browser: &Browser, app: &TestApp) {
    browser.goto(&app.url("/login")).await;
    browser.fill("input[name=email]", demo::OWNER_EMAIL).await;
    browser
        .fill("input[name=password]", demo::OWNER_PASSWORD)
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path("/dashboard").await;
}

/// The text of the error shown for the input `data-field=field`.
async fn error_for(browser: &Browser, field: &str) -> String {
    let text = browser
        .execute(
            "const input = document.querySelector(`[data-field=\"${arguments[0]}\"]`);
             const ids = (input.getAttribute('aria-describedby') || '').split(' ');
             return ids.map((id) => document.getElementById(id)).filter((e) => e && !e.hidden
               && e.classList.contains('field-error')).map((e) => e.innerText).join(' ');",
            json!([field]),
        )
        .await;
    text.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_builder_shows_each_problem_next_to_its_field() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    log_in_as_owner(&browser, &app).await;
    browser.goto(&app.url("/automations/new")).await;

    // No name, a script that does not compile, an empty tag, a misspelt variable.
    browser.click("[data-goto='3']").await;
    browser.click("input[name=cond-mode][value=script]").await;
    browser
        .fill("#f-source", "let visits = client.visits_count;\nvisits >")
        .await;
    browser.click("[data-goto='4']").await;
    browser
        .click("#new-action-type option[value='add_tag']")
        .await;
    browser.click("#add-action").await;
    browser.click("[data-goto='5']").await;
    browser
        .fill(
            "[data-field='actions[0].template']",
            "Hi {{ client.frist_name }}",
        )
        .await;
    browser
        .wait_for_text(
            "[data-testid=preview-error]",
            "Line 1: unknown variable `client.frist_name`",
        )
        .await;
    browser.click("[data-goto='6']").await;
    browser.click("#save").await;
    let message = browser
        .wait_for_text(
            "[data-testid=builder-message]",
            "Not saved: 4 problems to fix.",
        )
        .await;
    assert!(
        message.contains("Step 4 Action 2, its tag: a tag cannot be empty"),
        "{message}"
    );
    assert_eq!(
        browser.text("[data-testid=automation-status]").await,
        "not saved yet"
    );

    // Each problem is next to its input, on its step.
    browser.click(".problems li:first-child button").await;
    assert_eq!(
        error_for(&browser, "name").await,
        "is empty; name the automation"
    );
    let script = error_for(&browser, "conditions.source").await;
    assert!(script.starts_with("line 2, column"), "{script}");
    assert_eq!(
        error_for(&browser, "actions[0].template").await,
        "line 1: unknown variable `client.frist_name`"
    );
    assert_eq!(
        error_for(&browser, "actions[1].tag").await,
        "a tag cannot be empty"
    );
    let marked = browser
        .execute(
            "return Array.from(document.querySelectorAll('[data-step-tab].has-error'), (li) => li.dataset.stepTab);",
            json!([]),
        )
        .await;
    assert_eq!(marked, json!(["1", "3", "4", "5"]));
    shot(&browser, "automation-problems.png").await;

    // Fixed, it saves.
    browser.click("[data-goto='1']").await;
    browser.fill("#f-name", "Returning clients").await;
    browser.click("[data-goto='3']").await;
    browser
        .fill("#f-source", "let visits = client.visits_count;\nvisits > 3")
        .await;
    browser.click("[data-goto='4']").await;
    browser
        .fill("[data-field='actions[1].tag']", "regular")
        .await;
    browser.click("[data-goto='5']").await;
    browser
        .fill(
            "[data-field='actions[0].template']",
            "Hi {{ client.first_name }}",
        )
        .await;
    browser.click("[data-goto='6']").await;
    browser.click("#save").await;
    browser
        .wait_for_text("[data-testid=builder-message]", "Saved: version 1.")
        .await;
    assert_eq!(error_for(&browser, "name").await, "");
}

#[tokio::test]
async fn the_owner_sets_quiet_hours_and_her_mobile_on_the_settings_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    log_in_as_owner(&browser, &app).await;
    browser.goto(&app.url("/settings")).await;
    let form = "[data-testid=automation-settings]";
    browser.click(&format!("{form} input[name=quiet]")).await;
    browser
        .fill(&format!("{form} input[name=my_mobile]"), "555-0100")
        .await;
    browser.click(&format!("{form} button[type=submit]")).await;
    browser.wait_for_text("#my-mobile-error", "E.164").await;
    browser
        .fill(&format!("{form} input[name=my_mobile]"), "+15550009999")
        .await;
    browser.click(&format!("{form} button[type=submit]")).await;
    browser
        .wait_for_text("[data-testid=automation-settings-result]", "Saved.")
        .await;
    let saved = get_json(
        &app.owner().await,
        &app.url("/api/settings/automations"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        saved,
        json!({"quietHours": {"start": "21:00", "end": "08:00"}, "myMobile": "+15550009999"})
    );
}

/// Picks `value` in the select `data-field=field`, as a click on its option.
async fn choose(browser: &Browser, field: &str, value: &str) {
    browser
        .click(&format!("[data-field='{field}'] option[value='{value}']"))
        .await;
}

async fn count(browser: &Browser, css: &str) -> u64 {
    browser
        .execute(
            "return document.querySelectorAll(arguments[0]).length;",
            json!([css]),
        )
        .await
        .as_u64()
        .unwrap_or_default()
}

/// Each condition result in Test Mode: where its row is, and the row's text.
async fn condition_results(browser: &Browser) -> Vec<(String, String)> {
    let found = browser
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=condition-result]'),
               (tr) => [tr.dataset.at, tr.innerText]);",
            json!([]),
        )
        .await;
    serde_json::from_value(found).expect("pairs")
}

/// Whether `css` stays inside the builder's card, and the page does not scroll sideways,
/// at phone width (390 px).
async fn fits_at_phone_width(browser: &Browser, css: &str) -> bool {
    browser.resize(390, 844).await;
    let fits = browser
        .execute(
            "const inner = document.querySelector(arguments[0]).getBoundingClientRect();
             const card = document.querySelector('#builder').getBoundingClientRect();
             const page = document.documentElement;
             return inner.right <= card.right && page.scrollWidth <= page.clientWidth;",
            json!([css]),
        )
        .await;
    browser.resize(1200, 900).await;
    fits == json!(true)
}

#[tokio::test]
async fn the_owner_builds_a_group_of_conditions_and_test_mode_shows_each_rows_result() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    log_in_as_owner(&browser, &app).await;
    browser.goto(&app.url("/automations/new")).await;
    browser.fill("#f-name", "VIP walks").await;
    browser.click("[data-goto='2']").await;
    browser
        .click("#f-trigger option[value='booking.created']")
        .await;
    browser.click("[data-goto='3']").await;

    // A row at the top: the client has the tag vip.
    browser.click("#add-condition").await;
    choose(&browser, "conditions.rows[0].field", "client.tags").await;
    choose(&browser, "conditions.rows[0].operator", "has_tag").await;
    browser
        .fill("[data-field='conditions.rows[0].value']", "vip")
        .await;

    // A group, "any" under the rows' "all", of two rows (a third added, then removed).
    browser.click("#add-group").await;
    let group = "conditions.groups[0]";
    assert_eq!(
        browser
            .value(&format!("[data-field='{group}.match']"))
            .await,
        "any"
    );
    choose(
        &browser,
        &format!("{group}.rows[0].field"),
        "booking.service_type",
    )
    .await;
    browser
        .fill(&format!("[data-field='{group}.rows[0].value']"), "drop_in")
        .await;
    browser
        .click("[aria-label='Add condition to group 1']")
        .await;
    choose(
        &browser,
        &format!("{group}.rows[1].field"),
        "client.visits_count",
    )
    .await;
    choose(
        &browser,
        &format!("{group}.rows[1].operator"),
        "greater_than",
    )
    .await;
    browser
        .fill(&format!("[data-field='{group}.rows[1].value']"), "lots")
        .await;
    browser
        .click("[aria-label='Add condition to group 1']")
        .await;
    assert_eq!(
        count(
            &browser,
            "[data-testid=condition-group] [data-testid=condition-row]"
        )
        .await,
        3
    );
    browser
        .click("[aria-label='Remove group 1, condition 3']")
        .await;
    assert_eq!(
        count(
            &browser,
            "[data-testid=condition-group] [data-testid=condition-row]"
        )
        .await,
        2
    );
    assert_eq!(count(&browser, "[data-testid=condition-row]").await, 3);

    assert!(fits_at_phone_width(&browser, "[data-testid=condition-group]").await);
    shot(&browser, "automation-condition-group.png").await;

    // A group row's problem is shown next to it, and named in the summary.
    browser.click("[data-goto='4']").await;
    browser.click("[data-goto='5']").await;
    browser
        .fill("[data-field='actions[0].template']", TEMPLATE)
        .await;
    browser.click("[data-goto='6']").await;
    let message = "[data-testid=builder-message]";
    browser.click("#save").await;
    let problems = browser
        .wait_for_text(message, "Not saved: 1 problem to fix.")
        .await;
    assert!(
        problems.contains("Step 3 Group 1, condition 2, its value: `lots` is not a number"),
        "{problems}"
    );
    browser.click(".problems li:first-child button").await;
    assert_eq!(
        error_for(&browser, &format!("{group}.rows[1].value")).await,
        "`lots` is not a number"
    );
    browser
        .fill(&format!("[data-field='{group}.rows[1].value']"), "10")
        .await;
    browser.click("[data-goto='6']").await;
    let review = browser
        .wait_for_text("[data-testid=review]", "Any of:")
        .await;
    assert!(
        review.contains("booking.service_type equals “drop_in”")
            && review.contains("client.visits_count is more than “10”"),
        "{review}"
    );
    browser.click("#save").await;
    browser.wait_for_text(message, "Saved: version 1.").await;
    let url = browser.current_url().await;

    // Reloaded, step 3 shows the group as saved.
    browser.goto(&url).await;
    browser.click("[data-goto='3']").await;
    browser
        .wait_for_text("[data-testid=condition-group] legend", "Group 1")
        .await;
    assert_eq!(
        browser
            .value(&format!("[data-field='{group}.match']"))
            .await,
        "any"
    );
    for (field, expected) in [
        ("conditions.rows[0].field", "client.tags"),
        ("conditions.rows[0].value", "vip"),
        ("conditions.groups[0].rows[0].field", "booking.service_type"),
        ("conditions.groups[0].rows[0].operator", "equals"),
        ("conditions.groups[0].rows[0].value", "drop_in"),
        ("conditions.groups[0].rows[1].field", "client.visits_count"),
        ("conditions.groups[0].rows[1].operator", "greater_than"),
        ("conditions.groups[0].rows[1].value", "10"),
    ] {
        assert_eq!(
            browser.value(&format!("[data-field='{field}']")).await,
            expected,
            "{field}"
        );
    }
    assert!(
        browser.text("#no-conditions").await.is_empty(),
        "the 'no conditions' note is hidden"
    );

    // Test Mode: the sample (John, a walk, 14 visits) passes, and every row shows its result.
    browser.click("[data-goto='6']").await;
    browser.click("#test").await;
    browser
        .wait_for_text("[data-testid=test-result]", "Test passed")
        .await;
    browser
        .wait_for_text(".condition-results .group-head", "Group 1: any of these")
        .await;
    let results = condition_results(&browser).await;
    let expected = [
        (
            "conditions.rows[0]",
            "client.tags has the tag “vip”",
            "✓ true",
        ),
        (
            "conditions.groups[0].rows[0]",
            "booking.service_type equals “drop_in”",
            "✗ false",
        ),
        (
            "conditions.groups[0].rows[1]",
            "client.visits_count is more than “10”",
            "✓ true",
        ),
    ];
    assert_eq!(results.len(), expected.len(), "{results:?}");
    for ((at, text), (want_at, row, result)) in results.iter().zip(expected) {
        assert_eq!(at, want_at);
        assert!(text.contains(row) && text.contains(result), "{text}");
    }
    assert!(fits_at_phone_width(&browser, ".condition-results").await);
    shot(&browser, "automation-condition-group-test.png").await;

    // Removing the group saves a version without it.
    browser.click("[data-goto='3']").await;
    browser.click("[aria-label='Remove group 1']").await;
    assert_eq!(count(&browser, "[data-testid=condition-group]").await, 0);
    browser.click("[data-goto='6']").await;
    browser.click("#save").await;
    browser.wait_for_text(message, "Saved: version 2.").await;
    let id = url.rsplit('/').next().unwrap();
    let saved = get_json(
        &app.owner().await,
        &app.url(&format!("/api/automations/{id}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        saved["version"]["program"]["conditions"],
        json!({"type": "builder", "match": "all",
               "rows": [{"field": "client.tags", "operator": "has_tag", "value": "vip"}]})
    );
}

#[tokio::test]
async fn groups_deeper_than_the_builder_shows_are_kept_when_it_saves() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let inner = json!({"match": "all", "rows": [
        {"field": "client.tags", "operator": "has_tag", "value": "vip"},
        {"field": "client.visits_count", "operator": "greater_than", "value": 10}]});
    let (status, saved) = call(
        &owner,
        Method::POST,
        &app.url("/api/automations"),
        Some(json!({"name": "Written by hand", "lane": "front_desk",
            "trigger": {"event": "booking.created"},
            "conditions": {"type": "builder", "match": "all", "rows": [],
                "groups": [{"match": "any",
                    "rows": [{"field": "booking.service_type", "operator": "equals", "value": "drop_in"}],
                    "groups": [inner.clone()]}]},
            "actions": [{"type": "add_tag", "tag": "regular"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["id"].as_str().unwrap();

    log_in_as_owner(&browser, &app).await;
    browser.goto(&app.url(&format!("/automations/{id}"))).await;
    browser.click("[data-goto='3']").await;
    let group = browser
        .wait_for_text("[data-testid=condition-group]", "Group 1")
        .await;
    assert!(
        group.contains("It also has 1 group inside it, written elsewhere and kept as saved."),
        "{group}"
    );
    browser
        .fill(
            "[data-field='conditions.groups[0].rows[0].value']",
            "dog_walk",
        )
        .await;
    browser.click("[data-goto='6']").await;
    browser.click("#test").await;
    browser
        .wait_for_text("[data-testid=test-result]", "Test passed")
        .await;
    browser
        .wait_for_text(".condition-results .group-head", "Group 1.1: all of these")
        .await;
    let results = condition_results(&browser).await;
    let at: Vec<&str> = results.iter().map(|(at, _)| at.as_str()).collect();
    assert_eq!(
        at,
        [
            "conditions.groups[0].rows[0]",
            "conditions.groups[0].groups[0].rows[0]",
            "conditions.groups[0].groups[0].rows[1]",
        ]
    );

    // Version 2 has the edit, and the inner group as it was.
    let saved = get_json(
        &owner,
        &app.url(&format!("/api/automations/{id}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(saved["latestVersion"], 2);
    let group = &saved["version"]["program"]["conditions"]["groups"][0];
    assert_eq!(group["rows"][0]["value"], "dog_walk");
    assert_eq!(group["groups"], json!([inner]));
}
