//! Inbound texts: the webhook stores the raw event once per provider MessageSid and, in
//! the same transaction, enqueues the `route_inbound` job that files it into its thread.
//! Only then is the webhook acknowledged, so nothing acknowledged can be lost.

use serde::{Deserialize, Serialize};

use crate::{
    Engine, Result,
    clock::Millis,
    db, ids,
    jobs::Job,
    numbers, phone,
    threads::{self, NewMessage},
    tx,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Stored and queued for routing.
    New,
    /// This MessageSid was stored before; nothing was done.
    Duplicate,
}

pub async fn accept(engine: &Engine, sms: &InboundSms) -> Result<Accepted> {
    let from = phone::parse_e164("From", &sms.from)?;
    let to = phone::parse_e164("To", &sms.to)?;
    let org_id = numbers::by_e164(&engine.db, &to).await?.map(|n| n.org_id);
    let params: serde_json::Map<String, serde_json::Value> = sms
        .params
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let inserted: Option<String> = tx!(&mut tx, c => sqlx::query_scalar(
        "insert into inbound_event (inbound_event_id, org_id, provider_sid, from_e164, to_e164, body, params, received_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (provider_sid) do nothing
         returning inbound_event_id")
        .bind(ids::new_id()).bind(&org_id).bind(&sms.provider_sid).bind(&from).bind(&to)
        .bind(&sms.body).bind(serde_json::Value::Object(params).to_string()).bind(now)
        .fetch_optional(c).await)?;
    let Some(inbound_event_id) = inserted else {
        return Ok(Accepted::Duplicate);
    };
    tx.enqueue(&RouteInbound {
        inbound_event_id,
        org_id,
    })
    .await?;
    tx.commit().await?;
    Ok(Accepted::New)
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

    async fn run(&self, engine: &Engine) -> Result<()> {
        // Reads first, on the pool; the transaction below holds SQLite's write lock and
        // never waits for a second connection while it does.
        let event: Option<EventRow> = db!(&engine.db, c => sqlx::query_as(
            "select org_id, from_e164, to_e164, body, received_at, processed_at from inbound_event where inbound_event_id = $1")
            .bind(&self.inbound_event_id).fetch_optional(c).await)?;
        // Gone or already filed: a repeated delivery of this job does nothing.
        let Some(event) = event.filter(|e| e.processed_at.is_none()) else {
            return Ok(());
        };
        let number = numbers::by_e164(&engine.db, &event.to_e164).await?;
        let mut tx = engine.db.begin().await?;
        match (event.org_id.as_deref(), number) {
            (Some(org_id), Some(number)) if number.org_id == org_id => {
                let thread_id = threads::find_or_create(
                    &mut tx,
                    org_id,
                    &number.number_id,
                    &event.from_e164,
                    event.received_at,
                )
                .await?;
                // The message is unique per inbound event: a concurrent second run of
                // this job fails here, retries, and then finds the event processed.
                threads::add_message(
                    &mut tx,
                    org_id,
                    NewMessage {
                        thread_id: &thread_id,
                        direction: "inbound",
                        from: &event.from_e164,
                        to: &event.to_e164,
                        body: &event.body,
                        sender_user_id: None,
                        inbound_event_id: Some(&self.inbound_event_id),
                        at: event.received_at,
                    },
                )
                .await?;
                tracing::info!(org_id, thread_id, from = %event.from_e164, to = %event.to_e164, "inbound message filed");
            }
            _ => {
                tracing::warn!(to = %event.to_e164, "inbound message for a number no org owns; kept unfiled")
            }
        }
        tx!(&mut tx, c => sqlx::query("update inbound_event set processed_at = $2 where inbound_event_id = $1")
            .bind(&self.inbound_event_id).bind(engine.clock.now()).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        engine.metrics.incr("inbound_routed_total");
        Ok(())
    }
}
