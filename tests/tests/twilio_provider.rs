//! The Twilio provider against a fake Twilio through the real HTTP stack. Every test
//! ends by holding what was sent and answered to Twilio's OpenAPI description.

use std::time::Duration;

use engine::provider::{
    ErrorKind, OutboundSms, ProviderError,
    twilio::{REJECTED_CREDENTIALS, Twilio},
};
use tests::{
    fake_twilio::{ACCOUNT_SID, AUTH_TOKEN, Exchange, FakeTwilio},
    twilio_openapi,
};

const BUSINESS: &str = "+14155550100";
const CLIENT: &str = "+15105550199";

fn sms(status_callback: Option<&str>) -> OutboundSms {
    OutboundSms {
        from: BUSINESS.to_owned(),
        to: CLIENT.to_owned(),
        body: "Walk at 3pm today?".to_owned(),
        status_callback: status_callback.map(str::to_owned),
    }
}

/// A fake with the business number on it.
async fn fake() -> FakeTwilio {
    let fake = FakeTwilio::start().await;
    fake.add_number(BUSINESS);
    fake
}

fn form(x: &Exchange) -> Vec<(&str, &str)> {
    x.form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn query(x: &Exchange) -> Vec<(&str, &str)> {
    x.query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

async fn send_failing_with(code: i64, status: u16) -> ProviderError {
    let fake = fake().await;
    fake.fail_next(1, code, status);
    let err = fake.provider().send(&sms(None)).await.unwrap_err();
    assert_eq!(fake.requests()[0].status, status);
    fake.assert_matches_twilio_spec();
    err
}

#[tokio::test]
async fn send_posts_to_from_body_and_status_callback_and_returns_the_sid() {
    let fake = fake().await;
    let callback = "https://switchboard.example/webhooks/twilio/status";

    let sent = fake.provider().send(&sms(Some(callback))).await.unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let x = &requests[0];
    assert_eq!(x.method, "POST");
    assert_eq!(
        x.path,
        format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    );
    assert_eq!(
        form(x),
        [
            ("To", CLIENT),
            ("From", BUSINESS),
            ("Body", "Walk at 3pm today?"),
            ("StatusCallback", callback),
        ]
    );
    let answer = x.response.as_ref().unwrap();
    assert_eq!(sent.provider_message_id, answer["sid"]);
    assert!(sent.provider_message_id.starts_with("SM"));
    assert_eq!(sent.status, "queued");
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn send_without_a_status_callback_leaves_the_parameter_out() {
    let fake = fake().await;

    fake.provider().send(&sms(None)).await.unwrap();

    let x = &fake.requests()[0];
    assert_eq!(x.param("StatusCallback"), None);
    assert_eq!(x.param("To"), Some(CLIENT));
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn opted_out_recipient_is_a_permanent_error_with_its_code() {
    let err = send_failing_with(21610, 400).await;
    assert_eq!(err.kind, ErrorKind::Permanent);
    assert_eq!(err.code, Some(21610));
    assert_eq!(err.message, "Attempt to send to unsubscribed recipient");
}

#[tokio::test]
async fn invalid_recipient_is_a_permanent_error_with_its_code() {
    let err = send_failing_with(21211, 400).await;
    assert_eq!((err.kind, err.code), (ErrorKind::Permanent, Some(21211)));
}

#[tokio::test]
async fn rate_limit_is_transient_and_the_next_attempt_goes_through() {
    let fake = fake().await;
    fake.fail_next(1, 20429, 429);
    let twilio = fake.provider();

    let err = twilio.send(&sms(None)).await.unwrap_err();
    let retry = twilio.send(&sms(None)).await;

    assert_eq!((err.kind, err.code), (ErrorKind::Transient, Some(20429)));
    assert_eq!(err.retry_after, None, "Twilio said nothing of when");
    assert!(retry.is_ok(), "{retry:?}");
    let statuses: Vec<u16> = fake.requests().iter().map(|x| x.status).collect();
    assert_eq!(statuses, [429, 201]);
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn a_rate_limit_that_says_when_to_come_back_is_read() {
    let fake = fake().await;
    fake.fail_next(1, 20429, 429);
    fake.ask_to_wait(7);

    let err = fake.provider().send(&sms(None)).await.unwrap_err();

    assert_eq!(
        (err.kind, err.retry_after),
        (ErrorKind::Transient, Some(Duration::from_secs(7)))
    );
}

#[tokio::test]
async fn twilio_server_error_is_transient() {
    let err = send_failing_with(30500, 500).await;
    assert_eq!((err.kind, err.code), (ErrorKind::Transient, Some(30500)));
}

#[tokio::test]
async fn a_refusal_from_twilio_itself_is_read_from_its_error_body() {
    // Not injected: the fake refuses a sender that is not on the account, as Twilio does.
    let fake = FakeTwilio::start().await;

    let err = fake.provider().send(&sms(None)).await.unwrap_err();

    assert_eq!((err.kind, err.code), (ErrorKind::Permanent, Some(21212)));
    assert!(err.message.contains("+1415****0100"), "{}", err.message);
    assert!(!err.message.contains(BUSINESS), "{}", err.message);
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn wrong_credentials_are_permanent_and_said_in_plain_words() {
    let fake = fake().await;
    let twilio = Twilio::new(&fake.base_url(), ACCOUNT_SID, "not-the-token".into()).unwrap();

    let err = twilio.account().await.unwrap_err();

    assert_eq!(err.kind, ErrorKind::Permanent);
    assert_eq!(err.code, Some(20003));
    assert_eq!(err.message, REJECTED_CREDENTIALS);
    assert_eq!(fake.requests()[0].status, 401);
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn the_auth_token_shows_neither_in_debug_output_nor_in_errors() {
    let fake = fake().await;
    fake.fail_next(1, 21610, 400);
    let twilio = fake.provider();

    let err = twilio.send(&sms(None)).await.unwrap_err();

    assert!(!format!("{twilio:?}").contains(AUTH_TOKEN));
    assert!(!format!("{err:?}").contains(AUTH_TOKEN));
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn account_reports_its_name_and_status() {
    let fake = fake().await;

    let account = fake.provider().account().await.unwrap();

    assert_eq!(account.friendly_name, "Switchboard test account");
    assert_eq!(account.status, "active");
    let x = &fake.requests()[0];
    assert_eq!(
        (x.method.as_str(), x.path.clone()),
        ("GET", format!("/2010-04-01/Accounts/{ACCOUNT_SID}.json"))
    );
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn search_by_area_code_lists_sms_capable_local_numbers() {
    let fake = fake().await;

    let found = fake.provider().search_numbers("415").await.unwrap();

    let numbers: Vec<&str> = found.iter().map(|n| n.e164.as_str()).collect();
    // +14155550109 is for sale too, but cannot take texts.
    assert_eq!(numbers, ["+14155550101", "+14155550102"]);
    assert_eq!(found[0].locality.as_deref(), Some("San Francisco"));
    assert_eq!(found[0].region.as_deref(), Some("CA"));
    let x = &fake.requests()[0];
    assert!(x.path.ends_with("/AvailablePhoneNumbers/US/Local.json"));
    assert_eq!(query(x), [("AreaCode", "415"), ("SmsEnabled", "true")]);
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn search_by_state_asks_for_the_region() {
    let fake = fake().await;

    let found = fake.provider().search_numbers("ny").await.unwrap();

    let numbers: Vec<&str> = found.iter().map(|n| n.e164.as_str()).collect();
    assert_eq!(numbers, ["+12125550104"]);
    assert_eq!(
        query(&fake.requests()[0]),
        [("InRegion", "NY"), ("SmsEnabled", "true")]
    );
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn buying_a_number_points_its_webhooks_at_us() {
    let fake = fake().await;
    let (sms_url, status) = (
        "https://switchboard.example/webhooks/twilio/inbound-sms",
        "https://switchboard.example/webhooks/twilio/status",
    );

    let bought = fake
        .provider()
        .buy_number("+15105550103", Some(sms_url), Some(status))
        .await
        .unwrap();

    assert_eq!(bought.e164, "+15105550103");
    assert!(bought.sid.starts_with("PN"));
    assert_eq!(bought.sms_url.as_deref(), Some(sms_url));
    assert_eq!(bought.status_callback.as_deref(), Some(status));
    let x = &fake.requests()[0];
    assert_eq!(
        form(x),
        [
            ("PhoneNumber", "+15105550103"),
            ("SmsUrl", sms_url),
            ("SmsMethod", "POST"),
            ("StatusCallback", status),
        ]
    );
    let on_account = fake.numbers();
    assert!(
        on_account
            .iter()
            .any(|n| n.sid == bought.sid && n.sms_url == sms_url)
    );
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn buying_a_number_no_longer_for_sale_is_permanent() {
    let fake = fake().await;
    let twilio = fake.provider();
    twilio.buy_number("+12125550104", None, None).await.unwrap();

    let err = twilio
        .buy_number("+12125550104", None, None)
        .await
        .unwrap_err();

    assert_eq!((err.kind, err.code), (ErrorKind::Permanent, Some(21422)));
    assert_eq!(form(&fake.requests()[0]), [("PhoneNumber", "+12125550104")]);
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn listing_numbers_follows_the_next_page() {
    let fake = FakeTwilio::start().await;
    let added: Vec<String> = (0..60)
        .map(|i| fake.add_number(&format!("+1415555{i:04}")))
        .collect();

    let listed = fake.provider().list_numbers().await.unwrap();

    let sids: Vec<String> = listed.into_iter().map(|n| n.sid).collect();
    assert_eq!(sids, added);
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "Twilio pages 50 at a time");
    assert_eq!(query(&requests[0]), []);
    assert_eq!(requests[1].param("Page"), Some("1"));
    assert!(requests[1].param("PageToken").is_some());
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn find_number_filters_by_the_number() {
    let fake = fake().await;
    let sid = fake.add_number("+15105550177");
    let twilio = fake.provider();

    let found = twilio.find_number("+15105550177").await.unwrap();
    let missing = twilio.find_number("+15105550178").await.unwrap();

    assert_eq!(found.map(|n| n.sid), Some(sid));
    assert!(missing.is_none());
    assert_eq!(
        fake.requests()[0].param("PhoneNumber"),
        Some("+15105550177")
    );
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn install_webhooks_sets_the_sms_url_and_status_callback() {
    let fake = fake().await;
    let sid = fake.numbers()[0].sid.clone();
    let (sms_url, status) = ("https://a.example/in", "https://a.example/status");

    let number = fake
        .provider()
        .install_webhooks(&sid, sms_url, status)
        .await
        .unwrap();

    assert_eq!(number.sms_url.as_deref(), Some(sms_url));
    assert_eq!(number.status_callback.as_deref(), Some(status));
    let x = &fake.requests()[0];
    assert_eq!(
        x.path,
        format!("/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json")
    );
    assert_eq!(
        form(x),
        [
            ("SmsUrl", sms_url),
            ("SmsMethod", "POST"),
            ("StatusCallback", status)
        ]
    );
    let on_account = &fake.numbers()[0];
    assert_eq!(
        (
            on_account.sms_url.as_str(),
            on_account.status_callback.as_str()
        ),
        (sms_url, status)
    );
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn remove_webhooks_clears_them() {
    let fake = fake().await;
    let sid = fake.numbers()[0].sid.clone();
    let twilio = fake.provider();
    twilio
        .install_webhooks(&sid, "https://a.example/in", "https://a.example/status")
        .await
        .unwrap();

    let number = twilio.remove_webhooks(&sid).await.unwrap();

    assert_eq!((number.sms_url, number.status_callback), (None, None));
    let on_account = &fake.numbers()[0];
    assert_eq!(
        (
            on_account.sms_url.as_str(),
            on_account.status_callback.as_str()
        ),
        ("", "")
    );
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn releasing_a_number_deletes_it_and_a_second_release_is_permanent() {
    let fake = fake().await;
    let sid = fake.numbers()[0].sid.clone();
    let twilio = fake.provider();

    twilio.release_number(&sid).await.unwrap();
    let again = twilio.release_number(&sid).await.unwrap_err();

    assert!(fake.numbers().is_empty());
    let x = &fake.requests()[0];
    assert_eq!((x.method.as_str(), x.status), ("DELETE", 204));
    assert_eq!(
        (again.kind, again.code),
        (ErrorKind::Permanent, Some(20404))
    );
    fake.assert_matches_twilio_spec();
}

#[tokio::test]
async fn a_closed_port_is_transient() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let twilio = Twilio::new(&format!("http://{closed}"), ACCOUNT_SID, AUTH_TOKEN.into()).unwrap();

    let err = twilio.send(&sms(None)).await.unwrap_err();

    assert_eq!((err.kind, err.code), (ErrorKind::Transient, None));
    assert!(
        err.message.starts_with("could not connect to Twilio"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_as_uncertain() {
    let fake = fake().await;
    fake.respond_slowly(Duration::from_secs(5));
    let provider = fake.provider();
    let twilio = Twilio {
        http: reqwest::Client::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap(),
        ..provider
    };

    let err = twilio.send(&sms(None)).await.unwrap_err();

    // The request reached Twilio: the text may be on its way, so it is not "transient".
    assert_eq!((err.kind, err.code), (ErrorKind::Uncertain, None));
    assert!(
        err.message.starts_with("Twilio did not answer in time"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn the_spec_check_catches_shapes_twilio_would_not_send_or_accept() {
    let x = Exchange {
        method: "POST".to_owned(),
        path: "/2010-04-01/Accounts/ACnothex/Messages.json".to_owned(),
        route: Some("/2010-04-01/Accounts/{AccountSid}/Messages.json"),
        query: vec![],
        form: vec![("Frum".to_owned(), BUSINESS.to_owned())],
        content_type: Some("application/json".to_owned()),
        status: 200,
        response: Some(serde_json::json!({ "sid": "SM1", "num_segments": 1 })),
    };

    let problems = twilio_openapi::exchange_problems(&x).join("\n");

    for expected in [
        "path AccountSid = \"ACnothex\"",
        "form parameter Frum is not declared",
        "required form parameter To is missing",
        "content type \"application/json\"",
        "answered 200, the operation declares [\"201\"]",
    ] {
        assert!(
            problems.contains(expected),
            "{expected:?} not in:\n{problems}"
        );
    }

    let created = Exchange {
        status: 201,
        ..x.clone()
    };
    let problems = twilio_openapi::exchange_problems(&created).join("\n");
    for expected in [
        "response.sid = \"SM1\" does not match",
        "response.num_segments should be \"string\", is 1",
        "response.status is missing",
    ] {
        assert!(
            problems.contains(expected),
            "{expected:?} not in:\n{problems}"
        );
    }
}
