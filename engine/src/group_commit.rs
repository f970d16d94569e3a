//! Group commit: many callers, one transaction.
//!
//! SQLite has one writer, so a transaction per request or per job makes every caller
//! wait its turn for a `begin`/`commit` of its own. Here callers hand their work to one
//! committer task per kind of work and wait; the committer takes whatever has arrived
//! meanwhile (up to [`Batch::MAX`]) and carries it all out in one transaction. Under load
//! the batches grow by themselves; a lone caller is served at once, alone. Callers get
//! their answer only after the commit, so nothing is acknowledged before it is durable.
//! Should a batch fail, each of its items is carried out again alone, so one bad item
//! never fails the others.
//!
//! The committer task is started on first use and holds a clone of the engine, so it
//! lives as long as the runtime that started it.

use std::{
    future::Future,
    sync::{Arc, OnceLock},
};

use tokio::sync::{mpsc, oneshot};

use crate::{Engine, Error, Result};

/// A kind of work done in groups.
pub trait Batch: Send + Sync + 'static {
    type Item: Send + Sync + std::fmt::Debug + 'static;
    type Done: Send + 'static;
    /// Named in logs.
    const NAME: &'static str;
    /// Items carried out in one transaction, at most.
    const MAX: usize;

    /// Carries out `items` in one transaction: one outcome per item, in order.
    fn commit(
        engine: &Engine,
        items: &[&Self::Item],
    ) -> impl Future<Output = Result<Vec<Self::Done>>> + Send;
}

struct Waiting<B: Batch> {
    item: B::Item,
    done: oneshot::Sender<Result<B::Done>>,
}

/// The committer's mailbox for one kind of work.
pub struct Committer<B: Batch>(Arc<OnceLock<mpsc::Sender<Waiting<B>>>>);

impl<B: Batch> Default for Committer<B> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<B: Batch> Clone for Committer<B> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<B: Batch> std::fmt::Debug for Committer<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Committer").field(&B::NAME).finish()
    }
}

impl<B: Batch> Committer<B> {
    /// Carries out `item` in the next group and returns its outcome once committed.
    pub async fn submit(&self, engine: &Engine, item: B::Item) -> Result<B::Done> {
        let mailbox = self.0.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(B::MAX * 8);
            tokio::spawn(commit_groups::<B>(engine.clone(), receiver));
            sender
        });
        let stopped = || Error::Internal(format!("the {} committer has stopped", B::NAME));
        let (done, outcome) = oneshot::channel();
        mailbox
            .send(Waiting { item, done })
            .await
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

async fn commit_groups<B: Batch>(engine: Engine, mut mailbox: mpsc::Receiver<Waiting<B>>) {
    let mut group = Vec::with_capacity(B::MAX);
    while mailbox.recv_many(&mut group, B::MAX).await > 0 {
        let items: Vec<&B::Item> = group.iter().map(|w| &w.item).collect();
        match B::commit(&engine, &items).await {
            Ok(outcomes) => {
                for (waiting, outcome) in group.drain(..).zip(outcomes) {
                    let _ = waiting.done.send(Ok(outcome));
                }
            }
            Err(e) if group.len() == 1 => {
                let _ = group.remove(0).done.send(Err(e));
            }
            Err(e) => {
                tracing::warn!(error = %e, work = B::NAME, items = group.len(), "a group commit failed; carrying its items out one by one");
                for waiting in group.drain(..) {
                    let alone =
                        B::commit(&engine, &[&waiting.item])
                            .await
                            .and_then(|mut outcomes| {
                                outcomes.pop().ok_or_else(|| {
                                    Error::Internal(format!("{} gave no outcome", B::NAME))
                                })
                            });
                    let _ = waiting.done.send(alone);
                }
            }
        }
    }
}
