//! The server-rendered pages over plain HTTP: who lands where, forms and redirects.

use reqwest::StatusCode;
use tests::{TestApp, client, demo};

fn location(res: &reqwest::Response) -> &str {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn form_login(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (reqwest::Client, reqwest::Response) {
    let c = client();
    let res = c
        .post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    (c, res)
}

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
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_owned();
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
