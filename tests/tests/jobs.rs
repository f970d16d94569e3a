//! Durable jobs: a failed attempt queues the next one with backoff; when attempts run
//! out the job is kept as a dead letter with its error.

use engine::{
    Engine, Error, Result, dead_letters,
    jobs::{self, Envelope, Job, Outcome},
};
use serde::{Deserialize, Serialize};
use tests::TestApp;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Flaky {
    permanent: bool,
}

impl Job for Flaky {
    const QUEUE: &'static str = "test-flaky";
    const NAME: &'static str = "flaky";

    fn org_id(&self) -> Option<&str> {
        None
    }

    fn entity(&self) -> Option<(&'static str, &str)> {
        Some(("widget", "w-1"))
    }

    async fn run(&self, _engine: &Engine) -> Result<()> {
        if self.permanent {
            Err(Error::invalid("widget", "is broken for good"))
        } else {
            Err(Error::Provider("carrier timed out".into()))
        }
    }
}

async fn attempt(engine: &Engine, attempt: u32, permanent: bool) -> Outcome {
    jobs::attempt(
        engine,
        Envelope {
            attempt,
            job: Flaky { permanent },
        },
    )
    .await
    .expect("attempt")
}

#[tokio::test]
async fn a_failed_attempt_queues_the_next_one_and_no_dead_letter() {
    let app = TestApp::spawn_empty().await;
    let before = jobs::unfinished(&app.engine.db).await.unwrap();
    assert!(matches!(
        attempt(&app.engine, 1, false).await,
        Outcome::Retrying(_)
    ));
    assert_eq!(
        jobs::unfinished(&app.engine.db).await.unwrap(),
        before + 1,
        "the next attempt waits in the queue"
    );
    assert!(
        dead_letters::open(&app.engine.db, None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_last_failed_attempt_leaves_a_dead_letter_with_its_error() {
    let app = TestApp::spawn_empty().await;
    let before = jobs::unfinished(&app.engine.db).await.unwrap();
    assert!(matches!(
        attempt(&app.engine, 3, false).await,
        Outcome::DeadLettered(_)
    ));
    assert_eq!(
        jobs::unfinished(&app.engine.db).await.unwrap(),
        before,
        "nothing more is queued"
    );
    let letters = dead_letters::open(&app.engine.db, None).await.unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(
        (letter.queue.as_str(), letter.name.as_str(), letter.attempts),
        ("test-flaky", "flaky", 3)
    );
    assert!(letter.failed_reason.contains("carrier timed out"));
    assert_eq!(
        (letter.entity_type.as_deref(), letter.entity_id.as_deref()),
        (Some("widget"), Some("w-1"))
    );
}

#[tokio::test]
async fn a_permanent_error_is_dead_lettered_at_once() {
    let app = TestApp::spawn_empty().await;
    assert!(
        matches!(attempt(&app.engine, 1, true).await, Outcome::DeadLettered(m) if m.contains("is broken for good"))
    );
    assert_eq!(
        dead_letters::open(&app.engine.db, None)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn backoff_grows_fourfold_with_jitter() {
    let base = std::time::Duration::from_secs(2);
    for _ in 0..100 {
        let second = jobs::backoff(base, 2);
        let third = jobs::backoff(base, 3);
        assert!(
            second >= base.mul_f64(0.8) && second <= base.mul_f64(1.2),
            "{second:?}"
        );
        assert!(
            third >= base.mul_f64(3.2) && third <= base.mul_f64(4.8),
            "{third:?}"
        );
    }
}

/// The dead letters `owner` sees through the API.
async fn listed(app: &TestApp, owner: &reqwest::Client) -> Vec<serde_json::Value> {
    tests::get_json(
        owner,
        &app.url("/api/ops/dead-letters"),
        reqwest::StatusCode::OK,
    )
    .await["deadLetters"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_install_wide_job_s_dead_letter_reaches_the_owner_of_the_only_org() {
    let app = TestApp::spawn().await;
    attempt(&app.engine, 1, true).await;
    let owner = app.owner().await;
    let letters = listed(&app, &owner).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["queue"], "test-flaky");
    let id = letters[0]["deadLetterId"].as_str().unwrap();
    let (status, _) = tests::call(
        &owner,
        reqwest::Method::POST,
        &app.url(&format!("/api/ops/dead-letters/{id}/discard")),
        Some(serde_json::json!({ "reason": "the widget was retired" })),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    assert!(listed(&app, &owner).await.is_empty());
}

#[tokio::test]
async fn with_several_orgs_no_owner_sees_an_install_wide_dead_letter() {
    let app = TestApp::spawn().await;
    let other = app.other_org().await;
    attempt(&app.engine, 1, true).await;
    let owner = app.owner().await;
    assert!(listed(&app, &owner).await.is_empty());
    assert!(listed(&app, &other.owner).await.is_empty());
    assert_eq!(
        dead_letters::open(&app.engine.db, None)
            .await
            .unwrap()
            .len(),
        1,
        "kept all the same"
    );
}
