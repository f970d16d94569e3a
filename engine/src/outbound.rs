//! Sending a text on a thread, as the owner or as a sitter. The text leaves from the
//! thread's business number, so the client sees only the business and a sitter never
//! learns the client's number. Checks, in order: the body, the thread, the sitter's
//! assignment window, the client's opt-out, the number's status, the anti-poaching
//! policy. Then the message, its first delivery attempt and the `send_message` job are
//! written in one transaction; the provider is called by the job, never by the request.

use serde::Serialize;

use crate::{
    Engine, Error, Result,
    accounts::{OwnerScope, SitterScope},
    audit::{self, Actor},
    clock::Millis,
    db,
    deliveries::{self, Delivery, SendMessage},
    policy,
    threads::{self, NewMessage},
    violations::{self, NewViolation},
};

/// What a sitter sees when the policy stops a text: no details of what was found.
pub const BLOCKED_TEXT: &str = "This message wasn't sent because it includes contact info. Please keep communication in the system.";
/// What a sitter sees when sending outside their assignment window.
pub const OUTSIDE_WINDOW_TEXT: &str =
    "You can message during your assignment window. Messages outside the window are blocked.";
/// The longest text we send (ten segments, as Twilio allows).
pub const MAX_BODY_CHARS: usize = 1600;

/// Who is writing.
#[derive(Clone, Copy, Debug)]
pub enum Author<'a> {
    Owner(&'a OwnerScope),
    Sitter(&'a SitterScope),
}

impl Author<'_> {
    fn org_id(&self) -> &str {
        match self {
            Self::Owner(s) => &s.org_id,
            Self::Sitter(s) => &s.org_id,
        }
    }

    fn user_id(&self) -> Option<&str> {
        match self {
            Self::Owner(s) => s.user_id.as_deref(),
            Self::Sitter(s) => Some(&s.sitter_id),
        }
    }

    fn actor(&self) -> Actor<'_> {
        match self {
            Self::Owner(s) => (*s).into(),
            Self::Sitter(s) => Actor::User(&s.sitter_id),
        }
    }
}

/// The new message and its first delivery attempt (`queued`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Queued {
    pub message: threads::Message,
    pub delivery: Delivery,
}

#[derive(sqlx::FromRow)]
struct Target {
    client_e164: String,
    number_id: String,
    number_e164: String,
    number_status: String,
    opted_out: bool,
}

/// Checks the body on its own: not empty, not over the limit.
pub fn check_body(body: &str) -> Result<()> {
    if body.trim().is_empty() {
        return Err(Error::invalid("body", "is empty; write the text to send"));
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(Error::invalid(
            "body",
            format!("is {chars} characters; the limit is {MAX_BODY_CHARS}"),
        ));
    }
    Ok(())
}

/// The sitter's standing on a thread: `None` if they have never had a window on it (to
/// them it does not exist), else whether one is open now.
pub async fn sitter_window_open(
    engine: &Engine,
    scope: &SitterScope,
    thread_id: &str,
    now: Millis,
) -> Result<Option<bool>> {
    let open: Option<i64> = db!(&engine.db, c => sqlx::query_scalar(
        "select cast(max(case when start_at <= $4 and end_at > $4 then 1 else 0 end) as bigint)
           from assignment_window where org_id = $1 and thread_id = $2 and sitter_id = $3")
        .bind(&scope.org_id).bind(thread_id).bind(&scope.sitter_id).bind(now).fetch_one(c).await)?;
    Ok(open.map(|o| o == 1))
}

/// A new attempt at a text whose last attempt failed or is uncertain (`attemptNo + 1`),
/// audited. An owner may retry any text of the org; a sitter only their own, during
/// their window on its conversation.
pub async fn retry(engine: &Engine, author: Author<'_>, message_id: &str) -> Result<Delivery> {
    let org_id = author.org_id();
    if let Author::Sitter(scope) = author {
        let thread: Option<String> = db!(&engine.db, c => sqlx::query_scalar(
            "select thread_id from message where org_id = $1 and message_id = $2 and sender_user_id = $3")
            .bind(org_id).bind(message_id).bind(&scope.sitter_id).fetch_optional(c).await)?;
        let Some(thread) = thread else {
            return Err(Error::NotFound("message"));
        };
        match sitter_window_open(engine, scope, &thread, engine.clock.now()).await? {
            Some(true) => {}
            Some(false) => return Err(Error::Forbidden(OUTSIDE_WINDOW_TEXT.into())),
            None => return Err(Error::NotFound("message")),
        }
    }
    let mut tx = engine.db.begin().await?;
    let delivery = deliveries::retry_in(engine, &mut tx, org_id, message_id).await?;
    let payload = serde_json::json!({ "attemptNo": delivery.attempt_no });
    audit::record(
        &mut tx,
        org_id,
        author.actor(),
        "message.retry",
        Some(("message", message_id)),
        &payload,
        engine.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(delivery)
}

/// Sends `body` on the thread. `force_reason` is the owner's reason for sending a text the
/// policy warned about (ignored for sitters, who cannot override).
pub async fn send(
    engine: &Engine,
    author: Author<'_>,
    thread_id: &str,
    body: &str,
    force_reason: Option<&str>,
) -> Result<Queued> {
    check_body(body)?;
    let org_id = author.org_id();
    let now = engine.clock.now();
    let target: Option<Target> = db!(&engine.db, c => sqlx::query_as(
        "select t.client_e164, n.number_id, n.e164 as number_e164, n.status as number_status,
                coalesce(o.opted_out, false) as opted_out
           from thread t join number n on n.number_id = t.number_id
           left join opt_out o on o.org_id = t.org_id and o.phone_e164 = t.client_e164
          where t.org_id = $1 and t.thread_id = $2")
        .bind(org_id).bind(thread_id).fetch_optional(c).await)?;
    let Some(target) = target else {
        return Err(Error::NotFound("thread"));
    };
    if let Author::Sitter(scope) = author {
        match sitter_window_open(engine, scope, thread_id, now).await? {
            Some(true) => {}
            Some(false) => {
                let name = crate::counters::SITTER_SEND_BLOCKED_NO_WINDOW;
                let mut tx = engine.db.begin().await?;
                crate::counters::bump(&mut tx, org_id, name, 1).await?;
                tx.commit().await?;
                engine.metrics.add(name, org_id, 1);
                return Err(Error::Forbidden(OUTSIDE_WINDOW_TEXT.into()));
            }
            None => return Err(Error::NotFound("thread")),
        }
    }
    if target.opted_out {
        return Err(Error::Conflict(
            "This client has opted out (they replied STOP), so nothing can be sent to them until they reply START.".into(),
        ));
    }
    if target.number_status != "active" {
        return Err(Error::Conflict(
            format!(
                "This conversation's business number is {}; texts cannot leave it.",
                target.number_status
            )
            .into(),
        ));
    }
    let findings = policy::scan(body);
    let forced = match (&author, findings.is_empty()) {
        (_, true) => None,
        (Author::Sitter(_), false) => {
            let mut tx = engine.db.begin().await?;
            let id = violations::record(
                &mut tx,
                org_id,
                NewViolation {
                    thread_id,
                    message_id: None,
                    sender_user_id: author.user_id(),
                    direction: "outbound",
                    content: body,
                    findings: &findings,
                    action: "blocked",
                },
                now,
            )
            .await?;
            let payload = serde_json::json!({ "types": violations::kinds(&findings) });
            audit::record(
                &mut tx,
                org_id,
                author.actor(),
                "policy.blocked",
                Some(("policy_violation", &id)),
                &payload,
                now,
            )
            .await?;
            tx.commit().await?;
            engine.metrics.add("anti_poaching_blocked", org_id, 1);
            return Err(Error::Policy {
                message: BLOCKED_TEXT.into(),
                types: Vec::new(),
                blocked: true,
            });
        }
        (Author::Owner(_), false) => match force_reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(reason) => Some(reason),
            None => {
                let kinds = violations::kinds(&findings);
                let names: Vec<String> = kinds
                    .iter()
                    .filter_map(|k| serde_json::to_value(k).ok()?.as_str().map(str::to_owned))
                    .collect();
                return Err(Error::Policy {
                    message: format!(
                        "This text includes contact info ({}). Edit it, or send it anyway with a reason.",
                        names.join(", ")
                    )
                    .into(),
                    types: kinds,
                    blocked: false,
                });
            }
        },
    };
    let mut tx = engine.db.begin().await?;
    let (message_id, delivery) = queue(
        engine,
        &mut tx,
        org_id,
        Text {
            thread_id,
            number_id: &target.number_id,
            from: &target.number_e164,
            to: &target.client_e164,
            body,
            sender_user_id: author.user_id(),
        },
    )
    .await?;
    if let Some(reason) = forced {
        let id = violations::record(
            &mut tx,
            org_id,
            NewViolation {
                thread_id,
                message_id: Some(&message_id),
                sender_user_id: author.user_id(),
                direction: "outbound",
                content: body,
                findings: &findings,
                action: "warned",
            },
            now,
        )
        .await?;
        let payload = serde_json::json!({ "reason": reason, "messageId": message_id, "types": violations::kinds(&findings) });
        audit::record(
            &mut tx,
            org_id,
            author.actor(),
            "policy.owner_override",
            Some(("policy_violation", &id)),
            &payload,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    let message = threads::Message {
        id: message_id,
        direction: "outbound".to_owned(),
        kind: "sms".to_owned(),
        from: target.number_e164,
        to: target.client_e164,
        body: body.to_owned(),
        redacted_body: None,
        created_at: crate::clock::to_rfc3339(now),
        sender_name: None,
        routing_target: None,
        routing_reason: None,
        deliveries: vec![delivery.clone()],
        policy_violations: Vec::new(),
    };
    Ok(Queued { message, delivery })
}

/// A text to queue on a thread, already checked.
pub struct Text<'a> {
    pub thread_id: &'a str,
    pub number_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    /// None for texts the system writes (auto-replies, automations).
    pub sender_user_id: Option<&'a str>,
}

/// Writes the message, its first attempt and its paced `send_message` job, in `tx`.
pub async fn queue(
    engine: &Engine,
    tx: &mut crate::Tx,
    org_id: &str,
    text: Text<'_>,
) -> Result<(String, Delivery)> {
    let now = engine.clock.now();
    let message_id = threads::add_message(
        tx,
        org_id,
        NewMessage {
            thread_id: text.thread_id,
            direction: "outbound",
            kind: "sms",
            from: text.from,
            to: text.to,
            body: text.body,
            redacted_body: None,
            sender_user_id: text.sender_user_id,
            inbound_event_id: None,
            at: now,
        },
    )
    .await?;
    let provider = crate::provider::connection::kind_in(engine, tx, org_id).await?;
    let delivery = deliveries::new_attempt(tx, org_id, &message_id, 1, provider, now).await?;
    let job = SendMessage {
        org_id: org_id.to_owned(),
        message_id: message_id.clone(),
        delivery_id: delivery.id.clone(),
    };
    deliveries::schedule(engine, tx, &job, text.number_id, std::time::Duration::ZERO).await?;
    engine.metrics.add("outbound_queued", org_id, 1);
    Ok((message_id, delivery))
}

/// The org's first active front-desk number (`$1`: the org), as a [`FromNumber`]: where
/// automations on the front-desk lane and campaigns send from.
pub const FRONT_DESK_SQL: &str = "select number_id, e164 from number
  where org_id = $1 and class = 'front_desk' and status = 'active'
  order by created_at, number_id limit 1";

/// A business number a system text leaves from.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FromNumber {
    pub number_id: String,
    pub e164: String,
}

/// What became of a text the system wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Automated {
    Queued {
        message_id: String,
        thread_id: String,
    },
    /// The reader opted out (STOP); nothing was written.
    OptedOut,
}

/// Queues a text the system writes (an automation's, a campaign's) to `to` from `from`,
/// in `tx`, on the conversation of that pair (made if new). An opted-out reader gets
/// nothing; a text with contact info is not sent (nobody is there to take the owner's
/// warning), as a sitter's would not be.
pub async fn send_automated(
    engine: &Engine,
    tx: &mut crate::Tx,
    org_id: &str,
    from: &FromNumber,
    to: &str,
    body: &str,
) -> Result<Automated> {
    check_body(body)?;
    let opted_out: Option<bool> = crate::tx!(tx, c => sqlx::query_scalar(
        "select opted_out from opt_out where org_id = $1 and phone_e164 = $2")
        .bind(org_id).bind(to).fetch_optional(c).await)?;
    if opted_out == Some(true) {
        return Ok(Automated::OptedOut);
    }
    let findings = policy::scan(body);
    if !findings.is_empty() {
        let names: Vec<String> = violations::kinds(&findings)
            .iter()
            .filter_map(|k| serde_json::to_value(k).ok()?.as_str().map(str::to_owned))
            .collect();
        return Err(Error::Policy {
            message: format!(
                "the text includes contact info ({}), so it was not sent",
                names.join(", ")
            )
            .into(),
            types: violations::kinds(&findings),
            blocked: true,
        });
    }
    let now = engine.clock.now();
    let thread_id = threads::find_or_create(tx, org_id, &from.number_id, to, now).await?;
    let (message_id, _) = queue(
        engine,
        tx,
        org_id,
        Text {
            thread_id: &thread_id,
            number_id: &from.number_id,
            from: &from.e164,
            to,
            body,
            sender_user_id: None,
        },
    )
    .await?;
    Ok(Automated::Queued {
        message_id,
        thread_id,
    })
}
