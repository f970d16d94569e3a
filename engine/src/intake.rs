//! Storing inbound webhooks, grouped ([`crate::group_commit`]): the events that arrived
//! together, their audit records and their routing jobs, in one transaction. A webhook is
//! acknowledged only after that commit, so a crash still loses nothing acknowledged.

use crate::{
    Engine, Result,
    audit::{self, Actor},
    clock::Millis,
    group_commit::Batch,
    ids,
    inbound::RouteInbound,
    tx,
};

/// An inbound event to store, as the webhook received it.
#[derive(Debug)]
pub struct NewEvent {
    pub org_id: Option<String>,
    pub provider_sid: String,
    pub idempotency_token: Option<String>,
    pub from: String,
    pub to: String,
    pub body: String,
    /// Every parameter the provider sent, as a JSON object.
    pub params: String,
    /// What the audit record of its arrival says (numbers redacted).
    pub audit: serde_json::Value,
    pub received_at: Millis,
}

/// Inbound events stored together.
#[derive(Debug)]
pub struct Intake;

impl Batch for Intake {
    type Item = NewEvent;
    /// The stored event's id, or `None` for a MessageSid (or token) seen before.
    type Done = Option<String>;
    const NAME: &'static str = "inbound intake";
    const MAX: usize = 128;

    async fn commit(engine: &Engine, events: &[&NewEvent]) -> Result<Vec<Option<String>>> {
        store_all(engine, events).await
    }
}

/// Stores `events` and queues their routing jobs in one transaction; a duplicate gets
/// `None` in its place.
async fn store_all(engine: &Engine, events: &[&NewEvent]) -> Result<Vec<Option<String>>> {
    let mut tx = engine.db.begin_urgent().await?;
    let mut ids = Vec::with_capacity(events.len());
    let mut jobs = Vec::with_capacity(events.len());
    for e in events {
        let inserted: Option<String> = tx!(&mut tx, c => sqlx::query_scalar(
            "insert into inbound_event (inbound_event_id, org_id, provider_sid, idempotency_token, from_e164, to_e164, body, params, received_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             on conflict do nothing
             returning inbound_event_id")
            .bind(ids::new_id()).bind(&e.org_id).bind(&e.provider_sid).bind(&e.idempotency_token).bind(&e.from).bind(&e.to)
            .bind(&e.body).bind(&e.params).bind(e.received_at)
            .fetch_optional(c).await)?;
        if let Some(id) = &inserted {
            if let Some(org_id) = &e.org_id {
                audit::record(
                    &mut tx,
                    org_id,
                    Actor::Provider,
                    "webhook.inbound.received",
                    Some(("inbound_event", id)),
                    &e.audit,
                    e.received_at,
                )
                .await?;
            }
            jobs.push(RouteInbound {
                inbound_event_id: id.clone(),
                org_id: e.org_id.clone(),
            });
        }
        ids.push(inserted);
    }
    tx.enqueue_all(&jobs).await?;
    tx.commit().await?;
    Ok(ids)
}
