//! Inbound texts: the webhook stores the raw event once per provider MessageSid and, in
//! the same transaction, enqueues the `route_inbound` job that files it into its thread
//! (webhooks arriving together share that transaction: [`crate::intake`]). Only then is
//! the webhook acknowledged, so nothing acknowledged can be lost.
//!
//! The job handles carrier keywords (STOP, START, HELP), resolves or creates the thread,
//! decides where the message goes with [`routing::route`], and stores the message, the
//! decision with its inputs, and the alerts and audit events the decision calls for, in
//! one transaction.

use ::automations::triggers::Trigger;
use serde::{Deserialize, Serialize};

use crate::{
    Engine, Result, Tx,
    alerts::{self, NewAlert, Severity},
    audit::{self, Actor},
    automations::events::{self, Refs},
    clock::Millis,
    counters, db,
    group_commit::Batch,
    ids,
    jobs::Job,
    numbers::{self, NumberRow},
    optout::{self, Keyword},
    phone, policy,
    routing::{self, Class, Decision, NumberStatus, RoutingInput, Target},
    threads::{self, NewMessage},
    tx,
    violations::{self, NewViolation},
};

/// An inbound SMS as the provider delivered it.
#[derive(Clone, Debug)]
pub struct InboundSms {
    pub provider_sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// Every parameter the provider sent, kept verbatim (as JSON) with the event.
    pub params: Vec<(String, String)>,
    /// The provider's `I-Twilio-Idempotency-Token` header, when it sent one.
    pub idempotency_token: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Stored and queued for routing; `reply` is what to answer at once (a keyword's
    /// confirmation), if anything.
    New { reply: Option<String> },
    /// This MessageSid (or idempotency token) was stored before; nothing was done.
    Duplicate,
}

pub async fn accept(engine: &Engine, sms: &InboundSms) -> Result<Accepted> {
    let from = phone::parse_e164("From", &sms.from)?;
    let to = phone::parse_e164("To", &sms.to)?;
    let number = numbers::by_e164(&engine.db, &to).await?;
    let org_id = number.as_ref().map(|n| n.org_id.clone());
    let reply = match (&org_id, optout::keyword(&sms.body)) {
        (Some(org_id), Some(keyword)) => {
            let org = crate::accounts::org(&engine.db, org_id).await?;
            Some(optout::confirmation(keyword, &org.name, &org.help_text))
        }
        _ => None,
    };
    let params: serde_json::Map<String, serde_json::Value> = sms
        .params
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let audit = serde_json::json!({ "messageSid": sms.provider_sid, "from": phone::redact(&from), "to": phone::redact(&to) });
    let event = crate::intake::NewEvent {
        org_id,
        provider_sid: sms.provider_sid.clone(),
        idempotency_token: sms.idempotency_token.clone(),
        from,
        to,
        body: sms.body.clone(),
        params: serde_json::Value::Object(params).to_string(),
        audit,
        received_at: engine.clock.now(),
    };
    Ok(match engine.intake.submit(engine, event).await? {
        Some(_) => Accepted::New { reply },
        None => Accepted::Duplicate,
    })
}

/// Files one stored inbound event into its thread.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RouteInbound {
    pub inbound_event_id: String,
    pub org_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    org_id: Option<String>,
    from_e164: String,
    to_e164: String,
    body: String,
    received_at: Millis,
    processed_at: Option<Millis>,
}

impl Job for RouteInbound {
    const QUEUE: &'static str = "route-inbound";
    const NAME: &'static str = "route-inbound-message";

    fn org_id(&self) -> Option<&str> {
        self.org_id.as_deref()
    }

    fn entity(&self) -> Option<(&'static str, &str)> {
        Some(("inbound_event", &self.inbound_event_id))
    }

    /// Many of these wait at once for their group's commit.
    const IN_FLIGHT: usize = 8;

    async fn run(&self, engine: &Engine) -> Result<()> {
        engine.filing.submit(engine, self.clone()).await
    }
}

/// Inbound events filed together: the routing jobs that are due at the same time share
/// one transaction ([`crate::group_commit`]).
#[derive(Debug)]
pub struct Filing;

impl Batch for Filing {
    type Item = RouteInbound;
    type Done = ();
    const NAME: &'static str = "inbound filing";
    const MAX: usize = 16;

    async fn commit(engine: &Engine, jobs: &[&RouteInbound]) -> Result<Vec<()>> {
        // Reads first, on the pool; the transaction below holds SQLite's write lock and
        // never waits for a second connection while it does.
        let mut due = Vec::with_capacity(jobs.len());
        let mut seen = std::collections::HashSet::new();
        for job in jobs {
            // The same event twice in one group (a repeated delivery): filed once.
            if seen.insert(job.inbound_event_id.as_str())
                && let Some(ready) = prepare(engine, job).await?
            {
                due.push((job, ready));
            }
        }
        if !due.is_empty() {
            let mut tx = engine.db.begin().await?;
            for (job, (event, number)) in &due {
                file(
                    engine,
                    &mut tx,
                    &job.inbound_event_id,
                    event,
                    number.as_ref(),
                )
                .await?;
            }
            tx.commit().await?;
            for _ in &due {
                engine.metrics.incr("inbound_routed_total");
            }
        }
        Ok(vec![(); jobs.len()])
    }
}

/// The event and its business number, if it is still to be filed.
async fn prepare(
    engine: &Engine,
    job: &RouteInbound,
) -> Result<Option<(EventRow, Option<NumberRow>)>> {
    let event: Option<EventRow> = db!(&engine.db, c => sqlx::query_as(
        "select org_id, from_e164, to_e164, body, received_at, processed_at from inbound_event where inbound_event_id = $1")
        .bind(&job.inbound_event_id).fetch_optional(c).await)?;
    // Gone or already filed: a repeated delivery of this job does nothing.
    let Some(event) = event.filter(|e| e.processed_at.is_none()) else {
        return Ok(None);
    };
    // With messaging off the event waits, stored; turning it on files it.
    if let Some(org_id) = &event.org_id
        && !crate::flags::enabled(engine, org_id, crate::flags::MESSAGING_V1).await?
    {
        return Ok(None);
    }
    let number = numbers::by_e164(&engine.db, &event.to_e164).await?;
    Ok(Some((event, number)))
}

/// Files one event into its thread, in `tx`, and marks it filed.
async fn file(
    engine: &Engine,
    tx: &mut Tx,
    inbound_event_id: &str,
    event: &EventRow,
    number: Option<&NumberRow>,
) -> Result<()> {
    match (event.org_id.as_deref(), number) {
        (Some(org_id), Some(number)) if number.org_id == org_id => {
            let thread_id = threads::find_or_create(
                tx,
                org_id,
                &number.number_id,
                &event.from_e164,
                event.received_at,
            )
            .await?;
            match optout::keyword(&event.body) {
                Some(keyword) => {
                    file_keyword(
                        engine,
                        tx,
                        org_id,
                        &thread_id,
                        event,
                        inbound_event_id,
                        keyword,
                    )
                    .await?
                }
                None => {
                    file_message(
                        engine,
                        tx,
                        org_id,
                        number,
                        &thread_id,
                        event,
                        inbound_event_id,
                    )
                    .await?
                }
            }
        }
        _ => file_unknown(tx, event, engine.clock.now()).await?,
    }
    tx!(tx, c => sqlx::query("update inbound_event set processed_at = $2 where inbound_event_id = $1")
        .bind(inbound_event_id).bind(engine.clock.now()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A text to a number no org has. It stays unfiled (a conversation is on one of the org's
/// numbers), and the owners of an install with a single org are told, since the number
/// may be theirs and not imported yet; with several orgs nobody can say whose it is.
async fn file_unknown(tx: &mut Tx, event: &EventRow, now: Millis) -> Result<()> {
    let orgs: Vec<String> = tx!(tx, c => sqlx::query_scalar("select org_id from org order by org_id limit 2").fetch_all(c).await)?;
    let [org_id] = orgs.as_slice() else {
        tracing::warn!(to = %event.to_e164, "inbound message for a number no org owns; kept unfiled");
        return Ok(());
    };
    let decision = routing::route(&RoutingInput {
        now: event.received_at,
        from: event.from_e164.clone(),
        number: None,
        thread: None,
        pool_client: None,
        active_override: None,
        windows: Vec::new(),
    });
    let description = format!(
        "A text came in on {}, which is not one of your numbers, so it could not be filed in a conversation. If the number is yours, import it on Numbers: its texts then reach the inbox.",
        event.to_e164
    );
    alerts::raise(
        tx,
        org_id,
        NewAlert {
            severity: Severity::Warning,
            kind: "routing.unmapped_inbound",
            title: "Unmapped Inbound Message",
            description: &description,
            entity: None,
            dedupe_key: format!("routing.unmapped_inbound:{}", event.to_e164),
        },
        now,
    )
    .await?;
    let payload = serde_json::json!({
        "to": event.to_e164,
        "from": phone::redact(&event.from_e164),
        "decision": decision,
    });
    audit::record(
        tx,
        org_id,
        Actor::System,
        "routing.unmapped_inbound",
        None,
        &payload,
        now,
    )
    .await
}

/// STOP, START or HELP: record the state change as a system event in the thread. It is
/// not a message for routing or automations.
async fn file_keyword(
    engine: &Engine,
    tx: &mut Tx,
    org_id: &str,
    thread_id: &str,
    event: &EventRow,
    inbound_event_id: &str,
    keyword: Keyword,
) -> Result<()> {
    let now = engine.clock.now();
    if keyword != Keyword::Help {
        // Keyword jobs can finish out of order (STOP, then START a second later): the
        // text that arrived last wins, whichever job runs last.
        let opted_out = keyword == Keyword::OptOut;
        tx!(tx, c => sqlx::query(
            "insert into opt_out (org_id, phone_e164, opted_out, updated_at) values ($1, $2, $3, $4)
             on conflict (org_id, phone_e164) do update set opted_out = excluded.opted_out, updated_at = excluded.updated_at
             where opt_out.updated_at <= excluded.updated_at")
            .bind(org_id).bind(&event.from_e164).bind(opted_out).bind(event.received_at).execute(c).await.map(|r| r.rows_affected()))?;
        tx!(tx, c => sqlx::query(
            "update client set opted_out = (select o.opted_out from opt_out o where o.org_id = $1 and o.phone_e164 = $2)
              where org_id = $1 and phone_e164 = $2")
            .bind(org_id).bind(&event.from_e164).execute(c).await.map(|r| r.rows_affected()))?;
    }
    counters::bump(tx, org_id, keyword.counter(), 1).await?;
    threads::add_message(
        tx,
        org_id,
        NewMessage {
            thread_id,
            direction: "inbound",
            kind: "system",
            from: &event.from_e164,
            to: &event.to_e164,
            body: &keyword.system_text(&event.body),
            redacted_body: None,
            sender_user_id: None,
            inbound_event_id: Some(inbound_event_id),
            at: event.received_at,
        },
    )
    .await?;
    let payload = serde_json::json!({ "keyword": event.body.trim().to_uppercase(), "from": phone::redact(&event.from_e164) });
    audit::record(
        tx,
        org_id,
        Actor::Provider,
        keyword.audit_type(),
        Some(("thread", thread_id)),
        &payload,
        now,
    )
    .await?;
    if keyword != Keyword::Help {
        let refs = Refs {
            keyword: Some(event.body.trim().to_uppercase()),
            opted_out: Some(keyword == Keyword::OptOut),
            ..Refs::default()
        };
        let key = format!("opt_out:{inbound_event_id}");
        events::emit_for_phone(
            tx,
            org_id,
            Trigger::OptOut,
            &key,
            &event.from_e164,
            refs,
            now,
        )
        .await?;
    }
    engine.metrics.add(keyword.counter(), org_id, 1);
    tracing::info!(org_id, thread_id, keyword = ?keyword, "carrier keyword handled");
    Ok(())
}

/// An ordinary text: route it, store it with its decision, raise what the decision asks.
async fn file_message(
    engine: &Engine,
    tx: &mut Tx,
    org_id: &str,
    number: &NumberRow,
    thread_id: &str,
    event: &EventRow,
    inbound_event_id: &str,
) -> Result<()> {
    let input = routing_input(tx, number, thread_id, event).await?;
    let decision = routing::route(&input);
    // A client may send contact details: the owner gets the text as written, sitters the
    // redacted body, and the owner a violation to review.
    let findings = policy::scan(&event.body);
    let redacted = (!findings.is_empty()).then(|| policy::redact(&event.body, &findings));
    let message_id = threads::add_message(
        tx,
        org_id,
        NewMessage {
            thread_id,
            direction: "inbound",
            kind: "sms",
            from: &event.from_e164,
            to: &event.to_e164,
            body: &event.body,
            redacted_body: redacted.as_deref(),
            sender_user_id: None,
            inbound_event_id: Some(inbound_event_id),
            at: event.received_at,
        },
    )
    .await?;
    if !findings.is_empty() {
        violations::record(
            tx,
            org_id,
            NewViolation {
                thread_id,
                message_id: Some(&message_id),
                sender_user_id: None,
                direction: "inbound",
                content: &event.body,
                findings: &findings,
                action: "flagged",
            },
            event.received_at,
        )
        .await?;
    }
    let decision_id = store_decision(
        tx,
        org_id,
        thread_id,
        &message_id,
        inbound_event_id,
        &input,
        &decision,
        event.received_at,
    )
    .await?;
    let now = engine.clock.now();
    match decision.alert {
        Some(routing::Alert::UnmappedInbound) => {
            alerts::raise(tx, org_id, NewAlert {
                severity: Severity::Warning,
                kind: "routing.unmapped_inbound",
                title: "Unmapped Inbound Message",
                description: "Inbound message received for number that doesn't map to any active thread",
                entity: Some(("thread", thread_id)),
                dedupe_key: format!("routing.unmapped_inbound:{thread_id}"),
            }, now).await?;
            let payload =
                serde_json::json!({ "routingDecisionId": decision_id, "decision": decision });
            audit::record(
                tx,
                org_id,
                Actor::System,
                "routing.unmapped_inbound",
                Some(("thread", thread_id)),
                &payload,
                now,
            )
            .await?;
        }
        Some(routing::Alert::OverlappingWindows) => {
            alerts::raise(tx, org_id, NewAlert {
                severity: Severity::Warning,
                kind: "routing.overlapping_windows",
                title: "Overlapping Assignment Windows",
                description: "A client texted while more than one sitter's window was active; the message went to the Owner Inbox",
                entity: Some(("thread", thread_id)),
                dedupe_key: format!("routing.overlapping_windows:{thread_id}"),
            }, now).await?;
        }
        None => {}
    }
    if decision.operational {
        engine
            .metrics
            .add("owner_inbox_routed_operational", org_id, 1);
    }
    if decision.auto_reply {
        reply_pool_mismatch(engine, tx, org_id, number, thread_id, &event.from_e164).await?;
    }
    if number.class == "front_desk" {
        // A reply to a reminder (1, 2, 3…) changes its booking; the text stays filed.
        let text = crate::campaigns::replies::Inbound {
            thread_id,
            from: &event.from_e164,
            to: &event.to_e164,
            body: &event.body,
            received_at: event.received_at,
        };
        crate::campaigns::replies::handle(tx, org_id, &text, now).await?;
    }
    let refs = Refs {
        message_id: Some(message_id.clone()),
        ..Refs::default()
    };
    let key = format!("message.received:{message_id}");
    events::emit_for_phone(
        tx,
        org_id,
        Trigger::MessageReceived,
        &key,
        &event.from_e164,
        refs,
        now,
    )
    .await?;
    tracing::info!(org_id, thread_id, from = %event.from_e164, to = %event.to_e164, reason = %decision.reason, "inbound message routed");
    Ok(())
}

/// Someone other than the pool number's client texted it: point them at the front desk,
/// from the number they texted (unless they opted out, or there is no front desk).
async fn reply_pool_mismatch(
    engine: &Engine,
    tx: &mut Tx,
    org_id: &str,
    number: &NumberRow,
    thread_id: &str,
    sender: &str,
) -> Result<()> {
    let front_desk: Option<String> = tx!(tx, c => sqlx::query_scalar(
        "select n.e164 from number n
          where n.org_id = $1 and n.class = 'front_desk' and n.status = 'active'
            and not exists (select 1 from opt_out o where o.org_id = $1 and o.phone_e164 = $2 and o.opted_out)
          order by n.created_at limit 1")
        .bind(org_id).bind(sender).fetch_optional(c).await)?;
    let Some(front_desk) = front_desk else {
        return Ok(());
    };
    let body = pool_mismatch_reply(&front_desk);
    let text = crate::outbound::Text {
        thread_id,
        number_id: &number.number_id,
        from: &number.e164,
        to: sender,
        body: &body,
        sender_user_id: None,
    };
    crate::outbound::queue(engine, tx, org_id, text).await?;
    Ok(())
}

/// The auto-reply to a pool-number mismatch.
pub fn pool_mismatch_reply(front_desk: &str) -> String {
    format!(
        "This number is no longer in use for your conversation. Please text us at {front_desk} and we'll help you right away."
    )
}

#[derive(sqlx::FromRow)]
struct ThreadRouting {
    override_target: Option<String>,
    override_sitter_id: Option<String>,
    override_until: Option<Millis>,
}

/// Everything routing looks at, read inside the filing transaction.
async fn routing_input(
    tx: &mut Tx,
    number: &NumberRow,
    thread_id: &str,
    event: &EventRow,
) -> Result<RoutingInput> {
    let thread: ThreadRouting = tx!(tx, c => sqlx::query_as(
        "select override_target, override_sitter_id, override_until from thread where thread_id = $1")
        .bind(thread_id).fetch_one(c).await)?;
    let windows: Vec<(String, String, Millis, Millis)> = tx!(tx, c => sqlx::query_as(
        "select window_id, sitter_id, start_at, end_at from assignment_window where thread_id = $1 order by start_at, window_id")
        .bind(thread_id).fetch_all(c).await)?;
    // A pool number is mapped to the client of the thread it is lent to.
    let pool_client: Option<String> = match &number.assigned_thread_id {
        Some(mapped) if number.class == "pool" => {
            tx!(tx, c => sqlx::query_scalar("select client_e164 from thread where thread_id = $1")
            .bind(mapped).fetch_optional(c).await)?
        }
        _ => None,
    };
    let active_override = match (thread.override_target.as_deref(), thread.override_until) {
        (Some("owner_inbox"), Some(until)) => Some(routing::Override {
            target: Target::OwnerInbox,
            until,
        }),
        (Some("sitter"), Some(until)) => thread.override_sitter_id.map(|id| routing::Override {
            target: Target::sitter(&id),
            until,
        }),
        _ => None,
    };
    Ok(RoutingInput {
        now: event.received_at,
        from: event.from_e164.clone(),
        number: Some(routing::BusinessNumber {
            number_id: number.number_id.clone(),
            class: match number.class.as_str() {
                "pool" => Class::Pool,
                "sitter" => Class::Sitter,
                _ => Class::FrontDesk,
            },
            status: match number.status.as_str() {
                "quarantined" => NumberStatus::Quarantined,
                "released" => NumberStatus::Released,
                _ => NumberStatus::Active,
            },
        }),
        thread: Some(routing::ThreadInfo {
            thread_id: thread_id.to_owned(),
            closed: false,
        }),
        pool_client,
        active_override,
        windows: windows
            .into_iter()
            .map(|(window_id, sitter_id, start_at, end_at)| routing::Window {
                window_id,
                sitter_id,
                start_at,
                end_at,
            })
            .collect(),
    })
}

#[allow(clippy::too_many_arguments)]
async fn store_decision(
    tx: &mut Tx,
    org_id: &str,
    thread_id: &str,
    message_id: &str,
    inbound_event_id: &str,
    input: &RoutingInput,
    decision: &Decision,
    at: Millis,
) -> Result<String> {
    let id = ids::new_id();
    let (target, sitter_id) = match &decision.target {
        Target::OwnerInbox => ("owner_inbox", None),
        Target::Sitter { sitter_id } => ("sitter", Some(sitter_id.as_str())),
    };
    tx!(tx, c => sqlx::query(
        "insert into routing_decision (routing_decision_id, org_id, thread_id, message_id, inbound_event_id, target, sitter_id, reason, operational, input, trace, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(&id).bind(org_id).bind(thread_id).bind(message_id).bind(inbound_event_id).bind(target).bind(sitter_id)
        .bind(&decision.reason).bind(decision.operational).bind(serde_json::to_string(input).unwrap_or_default()).bind(serde_json::to_string(&decision.trace).unwrap_or_default()).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// When the org's last inbound webhook arrived, if ever.
pub async fn last_received(db: &crate::Db, org_id: &str) -> Result<Option<Millis>> {
    Ok(
        db!(db, c => sqlx::query_scalar("select max(received_at) from inbound_event where org_id = $1")
        .bind(org_id).fetch_one(c).await)?,
    )
}
