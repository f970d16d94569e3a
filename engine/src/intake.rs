//! Group commit of inbound webhooks.
//!
//! A webhook is acknowledged only once its event and routing job are committed. One
//! transaction per webhook makes SQLite's single writer the limit: every request waits
//! its turn for a `begin`/`commit` of its own. Instead, handlers hand their event to one
//! committer task and wait; the committer takes whatever has arrived meanwhile (up to
//! [`MAX_BATCH`]) and stores it all in one transaction: the events, their audit records
//! and their routing jobs. Under load the batches grow by themselves; a lone webhook is
//! committed at once, alone. Nothing is acknowledged before its commit, so a crash still
//! loses nothing acknowledged. Should a batch fail, each of its webhooks is stored again
//! in a transaction of its own, so one bad event never fails the others.

use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::{
    Db, Error, Result,
    audit::{self, Actor},
    clock::Millis,
    ids,
    inbound::RouteInbound,
    tx,
};

/// Webhooks stored in one transaction, at most.
pub const MAX_BATCH: usize = 128;

/// An inbound event to store, as the webhook received it.
#[derive(Debug)]
pub(crate) struct NewEvent {
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

struct Waiting {
    event: NewEvent,
    /// The stored event's id, or `None` for a MessageSid (or token) seen before.
    done: oneshot::Sender<Result<Option<String>>>,
}

/// The committer's mailbox, started on first use.
#[derive(Clone, Debug, Default)]
pub struct Intake(Arc<OnceLock<mpsc::Sender<Waiting>>>);

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiting")
            .field("event", &self.event)
            .finish()
    }
}

impl Intake {
    /// Stores `event` with its routing job and returns its id once committed, or `None`
    /// when it was stored before.
    pub(crate) async fn store(&self, db: &Db, event: NewEvent) -> Result<Option<String>> {
        let mailbox = self.0.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(MAX_BATCH * 8);
            tokio::spawn(commit_batches(db.clone(), receiver));
            sender
        });
        let (done, outcome) = oneshot::channel();
        mailbox
            .send(Waiting { event, done })
            .await
            .map_err(|_| Error::Internal("the inbound committer has stopped".to_owned()))?;
        outcome
            .await
            .map_err(|_| Error::Internal("the inbound committer has stopped".to_owned()))?
    }
}

async fn commit_batches(db: Db, mut mailbox: mpsc::Receiver<Waiting>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while mailbox.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let events: Vec<&NewEvent> = batch.iter().map(|w| &w.event).collect();
        match store_all(&db, &events).await {
            Ok(ids) => {
                for (waiting, id) in batch.drain(..).zip(ids) {
                    let _ = waiting.done.send(Ok(id));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch.remove(0).done.send(Err(e));
            }
            Err(e) => {
                tracing::warn!(error = %e, webhooks = batch.len(), "a batch of inbound webhooks failed; storing them one by one");
                for waiting in batch.drain(..) {
                    let alone = store_all(&db, &[&waiting.event])
                        .await
                        .map(|mut ids| ids.pop().flatten());
                    let _ = waiting.done.send(alone);
                }
            }
        }
    }
}

/// Stores `events` and queues their routing jobs in one transaction; a duplicate gets
/// `None` in its place.
async fn store_all(db: &Db, events: &[&NewEvent]) -> Result<Vec<Option<String>>> {
    let mut tx = db.begin().await?;
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
