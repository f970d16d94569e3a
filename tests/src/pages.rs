//! Server-rendered pages as a browser-like client sees them: a form login, the pages'
//! CSRF token, and page text with minijinja's HTML escapes undone.

use reqwest::{Client, StatusCode};

use crate::{TestApp, client};

/// Where a redirect points.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The page's text with minijinja's HTML escapes undone, to compare with plain strings.
pub fn unescaped(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub async fn get_page(c: &Client, url: &str) -> (StatusCode, String) {
    let res = c.get(url).send().await.unwrap();
    let status = res.status();
    (status, unescaped(&res.text().await.unwrap()))
}

/// Logs in through the form: the client, and the form's answer (a redirect home, or
/// the form again with its error).
pub async fn form_login(app: &TestApp, email: &str, password: &str) -> (Client, reqwest::Response) {
    let c = client();
    let res = c
        .post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    (c, res)
}

/// The CSRF token in a page's forms.
pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_owned()
}

/// A browser-like client logged in through the form, and its pages' CSRF token.
pub async fn logged_in(app: &TestApp, email: &str, password: &str) -> (Client, String) {
    let (c, res) = form_login(app, email, password).await;
    let (_, page) = get_page(&c, &app.url(&location(&res))).await;
    let csrf = csrf_of(&page);
    (c, csrf)
}
