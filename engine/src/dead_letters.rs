//! Dead letters: jobs that used up their attempts, kept with their error until a human
//! replays or discards them. An org's owners see its own; the install-wide ones (the
//! daily pool release, the minute tick, a text to a number nobody has) are shown to the
//! owners of an install with a single org, the only people who can act on them there.

use crate::{
    Engine, Error, Result,
    accounts::OwnerScope,
    audit, ids,
    jobs::{self, Job},
    store::Tx,
    tx,
};

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
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::clock::serialize_opt_millis")]
    pub resolved_at: Option<i64>,
    pub resolution_note: Option<String>,
}

/// Whose dead letters an owner sees: the org's, and the install's when it is the only org.
const VISIBLE: &str = "(org_id = $1 or (org_id is null and (select count(*) from org) = 1))";

/// An org's dead letters, newest first: `open` ones, or every one with `all`.
pub async fn list(db: &crate::Db, scope: &OwnerScope, status: &str) -> Result<Vec<DeadLetter>> {
    if !["open", "replayed", "discarded", "all"].contains(&status) {
        return Err(Error::invalid(
            "status",
            "must be open, replayed, discarded or all",
        ));
    }
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "select dead_letter_id, queue, name, failed_reason, attempts, entity_type, entity_id, status, created_at,
                    resolved_at, resolution_note
               from dead_letter where {VISIBLE} and ($2 = 'all' or status = $2) order by created_at desc limit 500"
        )
    });
    Ok(
        crate::db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(&scope.org_id).bind(status).fetch_all(c).await)?,
    )
}

/// Closes an open dead letter as `replayed` or `discarded`, with the reason, audited.
/// Returns its queue and payload.
async fn close(
    tx: &mut Tx,
    scope: &OwnerScope,
    id: &str,
    status: &str,
    reason: &str,
    now: i64,
) -> Result<(String, String)> {
    if reason.trim().is_empty() {
        return Err(Error::invalid("reason", "is required"));
    }
    static SQL: std::sync::LazyLock<[String; 2]> = std::sync::LazyLock::new(|| {
        [
            format!(
                "update dead_letter set status = $3, resolved_at = $4, resolution_note = $5
                  where {VISIBLE} and dead_letter_id = $2 and status = 'open' returning queue, payload"
            ),
            format!("select status from dead_letter where {VISIBLE} and dead_letter_id = $2"),
        ]
    });
    let row: Option<(String, String)> = tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(SQL[0].as_str()))
        .bind(&scope.org_id).bind(id).bind(status).bind(now).bind(reason.trim()).fetch_optional(c).await)?;
    let Some(row) = row else {
        let exists: Option<String> = tx!(tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(SQL[1].as_str()))
            .bind(&scope.org_id).bind(id).fetch_optional(c).await)?;
        return Err(match exists {
            Some(s) => Error::Conflict(format!("the dead letter is already {s}").into()),
            None => Error::NotFound("dead letter"),
        });
    };
    let payload = serde_json::json!({ "reason": reason.trim(), "queue": row.0 });
    audit::record(
        tx,
        &scope.org_id,
        scope.into(),
        &format!("dead_letter.{status}"),
        Some(("dead_letter", id)),
        &payload,
        now,
    )
    .await?;
    Ok(row)
}

/// Queues the dead letter's job again (a send starts a new run of attempts).
pub async fn replay(engine: &Engine, scope: &OwnerScope, id: &str, reason: &str) -> Result<()> {
    let mut tx = engine.db.begin().await?;
    let (queue, payload) =
        close(&mut tx, scope, id, "replayed", reason, engine.clock.now()).await?;
    jobs::replay(engine, &mut tx, &queue, &payload).await?;
    tx.commit().await
}

/// Gives up on the dead letter's job for good.
pub async fn discard(engine: &Engine, scope: &OwnerScope, id: &str, reason: &str) -> Result<()> {
    let mut tx = engine.db.begin().await?;
    close(&mut tx, scope, id, "discarded", reason, engine.clock.now()).await?;
    tx.commit().await
}

/// Closes the open dead letters of an entity that is being tried again another way (a
/// text retried from its conversation): the queue shows what still needs a human.
pub(crate) async fn close_for(
    tx: &mut Tx,
    org_id: &str,
    entity: (&str, &str),
    note: &str,
    now: i64,
) -> Result<()> {
    tx!(tx, c => sqlx::query(
        "update dead_letter set status = 'replayed', resolved_at = $4, resolution_note = $5
          where org_id = $1 and entity_type = $2 and entity_id = $3 and status = 'open'")
        .bind(org_id).bind(entity.0).bind(entity.1).bind(now).bind(note)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Open dead letters of one org, or (`None`) those no org owns, such as inbound events
/// for numbers nobody has.
pub async fn open(db: &crate::Db, org_id: Option<&str>) -> Result<Vec<DeadLetter>> {
    Ok(crate::db!(db, c => sqlx::query_as(
        "select dead_letter_id, queue, name, failed_reason, attempts, entity_type, entity_id, status, created_at,
                resolved_at, resolution_note
           from dead_letter where status = 'open' and coalesce(org_id, '') = coalesce($1, '') order by created_at desc")
        .bind(org_id).fetch_all(c).await)?)
}
