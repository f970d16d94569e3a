//! Server-rendered pages: forms POST and answer 303; a little JS polls lists and counts
//! SMS segments. The automation builder is the exception: a shell its own script
//! (`automations.js`) drives through the JSON API.

mod alerts;
mod assignments;
mod audit;
mod automation_logs;
mod automations;
mod bookings;
mod campaigns;
mod clients;
mod composer;
mod dashboard;
mod forms;
mod inbox;
mod messages;
mod numbers;
mod ops;
mod routing;
mod session;
mod settings;
mod setup;
mod setup_steps;
mod sitter;
mod violations;

use axum::{
    Router,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect},
    routing::get,
};

use crate::{auth::PageUser, state::AppState, templates};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    templates::APP_CSS,
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    templates::APP_JS,
                )
            }),
        )
        .route(
            "/static/automations.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    templates::AUTOMATIONS_JS,
                )
            }),
        )
        .merge(alerts::router())
        .merge(assignments::router())
        .merge(bookings::router())
        .merge(campaigns::router())
        .merge(clients::router())
        .merge(audit::router())
        .merge(automations::router())
        .merge(automation_logs::router())
        .merge(session::router())
        .merge(dashboard::router())
        .merge(inbox::router())
        .merge(messages::router())
        .merge(numbers::router())
        .merge(ops::router())
        .merge(routing::router())
        .merge(settings::router())
        .merge(setup::router())
        .merge(setup_steps::router())
        .merge(sitter::router())
        .merge(violations::router())
}

/// Everyone starts at their own home page.
async fn root(PageUser(caller): PageUser) -> impl IntoResponse {
    Redirect::to(crate::auth::home(caller.role))
}

/// What a page says once a form has done its work. The redirect carries a code
/// (`?done=replayed`), never the words, so a link cannot put text on our pages.
fn flash(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "retried" => "Retrying: a new attempt is queued.",
        "resolved" => "The violation is resolved.",
        "overridden" => "The violation is overridden.",
        "replayed" => "Replayed: the job is queued again.",
        "discarded" => "Discarded: the job will not run again.",
        "saved" => "Saved.",
        "created" => "Created.",
        "deleted" => "Deleted.",
        "assigned" => "Sitter assigned.",
        "cancelled" => "The booking is cancelled.",
        "archived" => "The client is archived.",
        "restored" => "The client is restored.",
        "bought" => "Bought: the number is yours.",
        "imported" => "Imported: the number is in your list.",
        "number_assigned" => "Assigned.",
        "quarantined" => {
            "Quarantined: nothing is sent from it, and texts to it go to the owner inbox."
        }
        "number_restored" => "Restored: the number is active again.",
        "given_back" => "Given back to the provider.",
        "pool_saved" => "The pool settings are saved.",
        "connected" => "Connected.",
        "tested" => "Connection successful",
        "numbers_saved" => "Your numbers are saved.",
        "webhooks_installed" => "Your numbers now send their texts to Switchboard.",
        "ready" => "Everything is ready.",
        "not_ready" => "Not ready yet: see what to do below.",
        "automation_archived" => "The automation is archived: it no longer runs.",
        "rerun" => "Re-run started from the failed step: the new execution is at the top.",
        "campaign_run" => "Run started: it shows in the campaign's runs below.",
        _ => return None,
    })
}

/// `/inbox?thread=…`, with the id encoded: ids come from paths and forms.
fn thread_url(thread_id: &str) -> String {
    let query = serde_urlencoded::to_string([("thread", thread_id)]).unwrap_or_default();
    format!("/inbox?{query}")
}

/// A form's failure the person can fix (a missing reason, something already done), as
/// the status and the words to show on the page again; anything else stays an error.
fn fixable(e: engine::Error) -> Result<(StatusCode, String), engine::Error> {
    use engine::Error;
    match e {
        Error::Invalid { .. } | Error::InvalidFields(_) => {
            let sentences: Vec<String> = e
                .fields()
                .iter()
                .map(|(field, reason)| format!("{} {reason}.", label(field)))
                .collect();
            Ok((StatusCode::BAD_REQUEST, sentences.join(" ")))
        }
        Error::Conflict(m) => Ok((StatusCode::CONFLICT, capitalized(&m))),
        Error::Forbidden(m) => Ok((StatusCode::FORBIDDEN, m.into_owned())),
        other => Err(other),
    }
}

/// How a form names a field the API calls `field`.
fn label(field: &str) -> &str {
    match field {
        "body" => "The text",
        "reason" => "A reason",
        "failNext" => "Fail next",
        "errorCode" => "Error code",
        "latencyMs" => "Latency",
        "name" => "Name",
        "phone" => "Phone",
        "email" => "Email",
        "tags" => "Tags",
        "notes" => "Notes",
        "password" => "Password",
        "clientId" => "Client",
        "sitterId" => "Sitter",
        "threadId" => "Thread",
        "serviceType" => "Service",
        "startAt" => "Start",
        "endAt" => "End",
        "recurrence" => "Repeat",
        "status" => "Status",
        "beforeMinutes" => "Buffer before",
        "afterMinutes" => "Buffer after",
        "e164" => "The number",
        "sid" => "The number's id",
        "region" => "The area code or state",
        "type" => "The type",
        "userId" => "The sitter",
        "accountSid" => "The Account SID",
        "authToken" => "The Auth Token",
        "releaseAfterDays" => "The release period",
        "lowWater" => "The low-water mark",
        "numbers" => "The selection",
        "cron" => "The schedule",
        "template" => "The text",
        "hours_ahead" => "Hours ahead",
        "days" => "Days back",
        "min_days_since_last_visit" => "Days since the last visit",
        "max_messages" => "Texts per run",
        "campaign_type" => "The campaign type",
        "service_type" => "The service type",
        "tag" => "The tag",
        "cooldown_days" => "The cool-down",
        other => other,
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect::<String>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_knows_only_its_own_codes() {
        assert_eq!(
            flash(Some("replayed")),
            Some("Replayed: the job is queued again.")
        );
        assert_eq!(flash(Some("<script>")), None);
        assert_eq!(flash(None), None);
    }

    #[test]
    fn thread_urls_encode_the_id() {
        assert_eq!(thread_url("0193-ab"), "/inbox?thread=0193-ab");
        assert_eq!(thread_url("a&b\nc"), "/inbox?thread=a%26b%0Ac");
    }

    #[test]
    fn fixable_errors_read_as_sentences() {
        let (status, text) = fixable(engine::Error::invalid("reason", "is required")).unwrap();
        assert_eq!(
            (status, text.as_str()),
            (StatusCode::BAD_REQUEST, "A reason is required.")
        );
        let (status, text) = fixable(engine::Error::Conflict(
            "the dead letter is already replayed".into(),
        ))
        .unwrap();
        assert_eq!(
            (status, text.as_str()),
            (StatusCode::CONFLICT, "The dead letter is already replayed")
        );
        assert!(fixable(engine::Error::Internal("boom".into())).is_err());
    }
}
