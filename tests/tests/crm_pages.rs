//! The owner's Clients, Bookings and Assignments pages over plain HTTP: who may see them,
//! forms with their CSRF token, and mistakes shown on the page with what was typed.

use engine::clock::{DAY, HOUR, to_rfc3339};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tests::pages::{get_page, location, logged_in, unescaped};

async fn post_form(c: &Client, url: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let res = c.post(url).form(form).send().await.unwrap();
    let status = res.status();
    let to = location(&res);
    (status, to, unescaped(&res.text().await.unwrap()))
}
use tests::{TestApp, client, demo, get_json, thread_on};

async fn owner_page(app: &TestApp) -> (Client, String) {
    logged_in(app, demo::OWNER_EMAIL, demo::OWNER_PASSWORD).await
}

async fn api_json(app: &TestApp, path: &str) -> Value {
    get_json(&app.owner().await, &app.url(path), StatusCode::OK).await
}

fn id_of(list: &Value, key: &str, name_field: &str, name: &str) -> String {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v[name_field] == name)
        .and_then(|v| v["id"].as_str())
        .unwrap_or_else(|| panic!("no {name} in {key}"))
        .to_owned()
}

#[tokio::test]
async fn crm_pages_render_for_the_owner_and_send_everyone_else_away() {
    let app = TestApp::spawn().await;
    let (owner, _) = owner_page(&app).await;
    let (sitter, _) = logged_in(&app, demo::SITTER_EMAIL, demo::SITTER_PASSWORD).await;
    let john = id_of(
        &api_json(&app, "/api/clients?q=john").await,
        "clients",
        "name",
        "John Smith",
    );
    let booking = id_of(
        &api_json(&app, &format!("/api/bookings?clientId={john}")).await,
        "bookings",
        "clientName",
        "John Smith",
    );
    for (path, shows) in [
        ("/clients".to_owned(), "Emily Davis"),
        (format!("/clients/{john}"), "john.smith@example.net"),
        ("/bookings?when=all".to_owned(), "Olivia Clark"),
        (format!("/bookings/{booking}"), "Assignment windows"),
        ("/assignments".to_owned(), "Create Window"),
    ] {
        let (status, page) = get_page(&owner, &app.url(&path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(shows), "{path} shows {shows}");
        let res = sitter.get(app.url(&path)).send().await.unwrap();
        assert_eq!(location(&res), "/sitter/inbox", "{path} for a sitter");
        let res = client().get(app.url(&path)).send().await.unwrap();
        assert_eq!(location(&res), "/login", "{path} for a visitor");
    }
    let (_, dashboard) = get_page(&owner, &app.url("/dashboard")).await;
    for link in [
        "href=\"/clients\"",
        "href=\"/bookings\"",
        "href=\"/assignments\"",
    ] {
        assert!(dashboard.contains(link), "the nav has {link}");
    }
    let (_, inbox) = get_page(&sitter, &app.url("/sitter/inbox")).await;
    assert!(!inbox.contains("href=\"/clients\"") && !inbox.contains("href=\"/assignments\""));
    // The assignments page groups the demo's windows by thread and sitter, with status.
    let (_, page) = get_page(&owner, &app.url("/assignments")).await;
    assert!(page.contains("Emily Davis") && page.contains("Sarah Johnson"));
    for status in ["Active", "Upcoming", "Past"] {
        assert!(
            page.contains(&format!("data-testid=\"window-status\">{status}<")),
            "{status}"
        );
    }
}

#[tokio::test]
async fn the_client_form_adds_a_client_and_a_bad_phone_comes_back_with_the_error() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = owner_page(&app).await;
    let url = app.url("/clients");
    let (status, _, _) = post_form(
        &owner,
        &url,
        &[
            ("csrf", "forged"),
            ("name", "Pat"),
            ("phone", "+15557000001"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let typed = [
        ("csrf", csrf.as_str()),
        ("name", "Pat Parker"),
        ("phone", "555-700-0001"),
        ("tags", "vip, weekly"),
    ];
    let (status, _, page) = post_form(&owner, &url, &typed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Phone must be a phone number in E.164 form, such as +15551234567."),
        "{page}"
    );
    assert!(
        page.contains("value=\"Pat Parker\"") && page.contains("value=\"vip, weekly\""),
        "kept as typed"
    );
    let (status, _, page) = post_form(
        &owner,
        &url,
        &[
            ("csrf", &csrf),
            ("name", "Johnny"),
            ("phone", "+15551234567"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("Another client already has this phone number: John Smith"),
        "{page}"
    );

    let good = [
        ("csrf", csrf.as_str()),
        ("name", "Pat Parker"),
        ("phone", "+15557000001"),
        ("tags", "vip, weekly"),
    ];
    let (status, to, _) = post_form(&owner, &url, &good).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        to.starts_with("/clients/") && to.ends_with("?done=created"),
        "{to}"
    );
    let (_, page) = get_page(&owner, &app.url(&to)).await;
    assert!(
        page.contains("Created.") && page.contains("Pat Parker") && page.contains("+15557000001")
    );
    let (_, list) = get_page(&owner, &app.url("/clients?q=parker")).await;
    assert!(list.contains("Pat Parker") && !list.contains("John Smith"));
}

#[tokio::test]
async fn the_client_page_saves_changes_and_archives_only_without_upcoming_bookings() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = owner_page(&app).await;
    // Olivia Clark's booking is upcoming.
    let olivia = id_of(
        &api_json(&app, "/api/clients?q=olivia").await,
        "clients",
        "name",
        "Olivia Clark",
    );
    let path = format!("/clients/{olivia}");
    let edit = [
        ("csrf", csrf.as_str()),
        ("name", "Olivia Clark-Stone"),
        ("phone", "+15550100012"),
        ("email", ""),
        ("tags", "vip"),
        ("notes", "Two cats"),
    ];
    let (status, to, _) = post_form(&owner, &app.url(&path), &edit).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, format!("{path}?done=saved").as_str())
    );
    let client = api_json(&app, &format!("/api/clients/{olivia}")).await;
    assert_eq!(
        (&client["name"], &client["notes"]),
        (&Value::from("Olivia Clark-Stone"), &Value::from("Two cats"))
    );
    assert!(client["email"].is_null());
    let bad = [
        ("csrf", csrf.as_str()),
        ("name", ""),
        ("phone", "+1555"),
        ("email", "x"),
        ("tags", ""),
        ("notes", ""),
    ];
    let (status, _, page) = post_form(&owner, &app.url(&path), &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Name is required.")
            && page.contains("Phone must be")
            && page.contains("Email must be"),
        "{page}"
    );

    let (status, _, page) = post_form(
        &owner,
        &app.url(&format!("{path}/archive")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("upcoming booking"), "{page}");
}

#[tokio::test]
async fn the_booking_form_books_assigns_and_cancels() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = owner_page(&app).await;
    let api = app.owner().await;
    let john = id_of(
        &api_json(&app, "/api/clients?q=john").await,
        "clients",
        "name",
        "John Smith",
    );
    let sitters = api_json(&app, "/api/sitters").await;
    let sarah = id_of(&sitters, "sitters", "name", "Sarah Johnson");
    let mike = id_of(&sitters, "sitters", "name", "Mike Chen");
    let start = app.engine.clock.now() + 2 * DAY;
    let start = start - start % HOUR;
    let (start_at, end_at) = (to_rfc3339(start), to_rfc3339(start + HOUR));
    // Without the page's script the typed time is read as UTC.
    let typed_start = &start_at[..16];
    let typed_end = &end_at[..16];

    let (_, page) = get_page(&owner, &app.url(&format!("/bookings?client={john}"))).await;
    assert!(page.contains(&format!(
        "<option value=\"{john}\" selected>John Smith</option>"
    )));
    let bad = [
        ("csrf", csrf.as_str()),
        ("client_id", &john),
        ("service_type", "dog_walk"),
        ("start", typed_end),
        ("end", typed_start),
        ("sitter_id", ""),
        ("recurrence", "none"),
    ];
    let (status, _, page) = post_form(&owner, &app.url("/bookings"), &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("End must be after the start."), "{page}");
    assert!(
        page.contains(&format!("value=\"{typed_end}\"")),
        "kept as typed"
    );

    let good = [
        ("csrf", csrf.as_str()),
        ("client_id", &john),
        ("service_type", "dog_walk"),
        ("start", typed_start),
        ("end", typed_end),
        ("sitter_id", &sarah),
        ("recurrence", "none"),
    ];
    let (status, to, _) = post_form(&owner, &app.url("/bookings"), &good).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let booking = to
        .trim_start_matches("/bookings/")
        .trim_end_matches("?done=created")
        .to_owned();
    let (_, page) = get_page(&owner, &app.url(&to)).await;
    assert!(
        page.contains("Created.") && page.contains("Open the conversation"),
        "{page}"
    );
    assert!(
        page.contains(&to_rfc3339(start - HOUR)),
        "the window an hour before"
    );
    let stored = get_json(
        &api,
        &app.url(&format!("/api/bookings/{booking}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&stored["startAt"], &stored["sitterName"]),
        (
            &Value::from(start_at.clone()),
            &Value::from("Sarah Johnson")
        )
    );
    thread_on(&app, &api, "John Smith", demo::SARAH_NUMBER).await;

    // The script's UTC value wins over the typed local time.
    let edit = [
        ("csrf", csrf.as_str()),
        ("service_type", "long walk"),
        ("start", "2000-01-01T00:00"),
        ("start_at", &start_at),
        ("end", "2000-01-01T01:00"),
        ("end_at", &end_at),
        ("sitter_id", &sarah),
        ("status", "confirmed"),
        ("recurrence", "none"),
    ];
    let (status, to, _) = post_form(&owner, &app.url(&format!("/bookings/{booking}")), &edit).await;
    assert_eq!(
        (status, to),
        (
            StatusCode::SEE_OTHER,
            format!("/bookings/{booking}?done=saved")
        )
    );
    let stored = get_json(
        &api,
        &app.url(&format!("/api/bookings/{booking}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&stored["status"], &stored["startAt"]),
        (&Value::from("confirmed"), &Value::from(start_at.clone()))
    );

    let (status, to, _) = post_form(
        &owner,
        &app.url(&format!("/bookings/{booking}/sitter")),
        &[("csrf", &csrf), ("sitter_id", &mike)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/bookings?done=assigned")
    );
    thread_on(&app, &api, "John Smith", "+15552222223").await;
    let (_, list) = get_page(&owner, &app.url("/bookings?done=assigned")).await;
    assert!(list.contains("Sitter assigned."));

    let (status, to, _) = post_form(
        &owner,
        &app.url(&format!("/bookings/{booking}/cancel")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/bookings?done=cancelled")
    );
    let windows = get_json(
        &api,
        &app.url(&format!("/api/assignments/windows?bookingId={booking}")),
        StatusCode::OK,
    )
    .await;
    assert!(windows["windows"].as_array().unwrap().is_empty());
    let (status, _, _) = post_form(
        &owner,
        &app.url(&format!("/bookings/{booking}/cancel")),
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_assignments_page_creates_edits_and_deletes_windows() {
    let app = TestApp::spawn().await;
    let (owner, csrf) = owner_page(&app).await;
    let api = app.owner().await;
    let thread = thread_on(&app, &api, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sarah = id_of(
        &api_json(&app, "/api/sitters").await,
        "sitters",
        "name",
        "Sarah Johnson",
    );
    let now = app.engine.clock.now();
    // The demo's step 3: from an hour ago for a week.
    let (from, to) = (to_rfc3339(now - HOUR), to_rfc3339(now + 7 * DAY));
    let form = [
        ("csrf", csrf.as_str()),
        ("thread_id", &thread),
        ("sitter_id", &sarah),
        ("start", ""),
        ("start_at", &from),
        ("end", ""),
        ("end_at", &to),
    ];
    let (status, location, _) = post_form(&owner, &app.url("/assignments"), &form).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/assignments?done=created")
    );
    let (_, page) = get_page(&owner, &app.url("/assignments?status=active")).await;
    assert!(page.contains("Created.") || page.contains("John Smith"));
    assert!(
        page.contains("John Smith") && page.contains(demo::FRONT_DESK),
        "{page}"
    );
    let windows = get_json(
        &api,
        &app.url(&format!("/api/assignments/windows?threadId={thread}")),
        StatusCode::OK,
    )
    .await;
    let window = windows["windows"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(windows["windows"][0]["status"], "active");

    // An overlapping second window comes back with the window it overlaps.
    let (status, _, page) = post_form(&owner, &app.url("/assignments"), &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(&format!("Start overlaps window {window}")),
        "{page}"
    );
    assert!(
        page.contains(&format!("<option value=\"{thread}\" selected>")),
        "the thread stays chosen"
    );
    let no_times = [
        ("csrf", csrf.as_str()),
        ("thread_id", &thread),
        ("sitter_id", &sarah),
        ("start", ""),
        ("end", ""),
    ];
    let (status, _, page) = post_form(&owner, &app.url("/assignments"), &no_times).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Start is required.") && page.contains("End is required."),
        "{page}"
    );

    // Edit: make it past.
    let (_, page) = get_page(&owner, &app.url(&format!("/assignments?edit={window}"))).await;
    assert!(
        page.contains("Edit window") && page.contains(&format!("action=\"/assignments/{window}\""))
    );
    let past = [
        ("csrf", csrf.as_str()),
        ("thread_id", &thread),
        ("sitter_id", &sarah),
        ("start_at", &to_rfc3339(now - 3 * HOUR)),
        ("start", ""),
        ("end_at", &to_rfc3339(now - HOUR)),
        ("end", ""),
    ];
    let (status, location, _) =
        post_form(&owner, &app.url(&format!("/assignments/{window}")), &past).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/assignments?done=saved")
    );
    let stored = get_json(
        &api,
        &app.url(&format!("/api/assignments/windows/{window}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["status"], "past");

    let (status, location, _) = post_form(
        &owner,
        &app.url(&format!("/assignments/{window}/delete")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/assignments?done=deleted")
    );
    get_json(
        &api,
        &app.url(&format!("/api/assignments/windows/{window}")),
        StatusCode::NOT_FOUND,
    )
    .await;

    // The buffers bookings' windows get.
    let (status, _, page) = post_form(
        &owner,
        &app.url("/assignments/buffers"),
        &[
            ("csrf", &csrf),
            ("before_minutes", "soon"),
            ("after_minutes", "5000"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Buffer before must be a whole number of minutes."),
        "{page}"
    );
    let (status, _, _) = post_form(
        &owner,
        &app.url("/assignments/buffers"),
        &[
            ("csrf", &csrf),
            ("before_minutes", "30"),
            ("after_minutes", "45"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let buffers = get_json(&api, &app.url("/api/settings/windows"), StatusCode::OK).await;
    assert_eq!(
        (&buffers["beforeMinutes"], &buffers["afterMinutes"]),
        (&Value::from(30), &Value::from(45))
    );
}

/// The seeds' demo step 3 in a browser: Create Window on `/assignments` with times typed
/// in the reader's time zone, which the page sends as UTC.
#[tokio::test]
async fn the_owner_creates_a_window_in_local_time_in_a_browser() {
    use serde_json::json;
    let Some(browser) = tests::browser::Browser::start().await else {
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
    browser.goto(&app.url("/assignments")).await;
    browser.click("summary.primary").await;
    // Pick John Smith's thread and Sarah; start an hour ago, end in a week, typed as the
    // reader's local time. The browser says which UTC moments those are.
    let picked = browser
        .execute(
            "const pick = (name, text) => { const s = document.querySelector(`select[name=${name}]`);
                 s.value = Array.from(s.options).find((o) => o.text.startsWith(text)).value; };
             pick('thread_id', 'John Smith'); pick('sitter_id', 'Sarah Johnson');
             const pad = (n) => String(n).padStart(2, '0');
             const local = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
             const start = new Date(Date.now() - 3600e3), end = new Date(Date.now() + 7 * 86400e3);
             document.querySelector('input[name=start]').value = local(start);
             document.querySelector('input[name=end]').value = local(end);
             return [local(start), new Date(local(start)).toISOString(), new Date(local(end)).toISOString()];",
            json!([]),
        )
        .await;
    browser
        .click("[data-testid=window-form] button[type=submit]")
        .await;
    browser.wait_for_text(".flash", "Created.").await;
    let status = browser
        .wait_for_text("[data-testid=window-group]", "John Smith")
        .await;
    assert!(
        status.contains("Sarah Johnson") && status.contains("Active"),
        "{status}"
    );

    let api = app.owner().await;
    let thread = thread_on(&app, &api, "John Smith", demo::FRONT_DESK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let windows = get_json(
        &api,
        &app.url(&format!("/api/assignments/windows?threadId={thread}")),
        StatusCode::OK,
    )
    .await;
    let window = &windows["windows"][0];
    assert_eq!(
        (&window["startAt"], &window["endAt"]),
        (&picked[1], &picked[2])
    );
    // Editing shows the same local time again.
    browser
        .goto(&app.url(&format!(
            "/assignments?edit={}",
            window["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(
        browser.value("input[name=start]").await,
        picked[0].as_str().unwrap()
    );
}
