//! Dead letters: jobs that used up their attempts, kept with their error until a human
//! replays or discards them.

use crate::{Engine, Result, ids, jobs::Job, store::Tx, tx};

pub async fn record<J: Job>(
    engine: &Engine,
    tx: &mut Tx,
    job: &J,
    attempts: u32,
    error: &str,
) -> Result<()> {
    let payload = serde_json::to_string(job).unwrap_or_default();
    let (entity_type, entity_id) = job
        .entity()
        .map_or((None, None), |(t, id)| (Some(t), Some(id)));
    tx!(tx, c => sqlx::query(
        "insert into dead_letter (dead_letter_id, org_id, queue, name, payload, failed_reason, attempts, entity_type, entity_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(ids::new_id())
        .bind(job.org_id())
        .bind(J::QUEUE)
        .bind(J::NAME)
        .bind(payload)
        .bind(error)
        .bind(attempts as i64)
        .bind(entity_type)
        .bind(entity_id)
        .bind(engine.clock.now())
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub dead_letter_id: String,
    pub queue: String,
    pub name: String,
    pub failed_reason: String,
    pub attempts: i32,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub status: String,
    pub created_at: i64,
}

/// Open dead letters, newest first (`org_id` None lists those no org owns).
pub async fn open(db: &crate::Db, org_id: Option<&str>) -> Result<Vec<DeadLetter>> {
    Ok(crate::db!(db, c => sqlx::query_as(
        "select dead_letter_id, queue, name, failed_reason, attempts, entity_type, entity_id, status, created_at
           from dead_letter where status = 'open' and coalesce(org_id, '') = coalesce($1, '') order by created_at desc")
        .bind(org_id).fetch_all(c).await)?)
}
