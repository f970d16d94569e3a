//! The audit trail: an append-only record of who did what to which entity, and when.

use serde::Serialize;

use crate::{Db, Error, Result, Tx, accounts::OwnerScope, clock::Millis, db, ids, tx};

/// Who did it.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    User(&'a str),
    ApiKey,
    System,
    Provider,
}

impl Actor<'_> {
    fn parts(&self) -> (&'static str, Option<&str>) {
        match self {
            Self::User(id) => ("user", Some(id)),
            Self::ApiKey => ("api_key", None),
            Self::System => ("system", None),
            Self::Provider => ("provider", None),
        }
    }
}

impl<'a> From<&'a OwnerScope> for Actor<'a> {
    fn from(scope: &'a OwnerScope) -> Self {
        scope.user_id.as_deref().map_or(Self::ApiKey, Self::User)
    }
}

pub async fn record(
    tx: &mut Tx,
    org_id: &str,
    actor: Actor<'_>,
    kind: &str,
    entity: Option<(&str, &str)>,
    payload: &serde_json::Value,
    now: Millis,
) -> Result<()> {
    let (actor_type, actor_id) = actor.parts();
    let (entity_type, entity_id) = entity.map_or((None, None), |(t, id)| (Some(t), Some(id)));
    tx!(tx, c => sqlx::query(
        "insert into audit_event (audit_event_id, org_id, actor_type, actor_id, type, entity_type, entity_id, payload, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(ids::new_id()).bind(org_id).bind(actor_type).bind(actor_id).bind(kind)
        .bind(entity_type).bind(entity_id).bind(payload.to_string()).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    #[sqlx(rename = "audit_event_id")]
    pub id: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    #[serde(serialize_with = "serialize_json_text")]
    #[schema(value_type = Object)]
    pub payload: String,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    pub created_at: Millis,
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub kind: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    pub limit: i64,
}

/// Newest first.
pub async fn list(db: &Db, scope: &OwnerScope, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
    if let (Some(since), Some(until)) = (f.since, f.until)
        && since > until
    {
        return Err(Error::invalid("since", "must not be after until"));
    }
    Ok(db!(db, c => sqlx::query_as(
        "select audit_event_id, actor_type, actor_id, type, entity_type, entity_id, payload, created_at
           from audit_event
          where org_id = $1
            and ($2 = '' or type = $2)
            and ($3 = '' or entity_type = $3)
            and ($4 = '' or entity_id = $4)
            and created_at >= $5 and created_at <= $6
          order by created_at desc, audit_event_id desc
          limit $7")
        .bind(&scope.org_id)
        .bind(f.kind.as_deref().unwrap_or(""))
        .bind(f.entity_type.as_deref().unwrap_or(""))
        .bind(f.entity_id.as_deref().unwrap_or(""))
        .bind(f.since.unwrap_or(0))
        .bind(f.until.unwrap_or(i64::MAX))
        .bind(f.limit.clamp(1, 500))
        .fetch_all(c).await)?)
}

/// Serializes a TEXT column holding JSON as the JSON itself.
pub fn serialize_json_text<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    serde_json::from_str::<serde_json::Value>(text)
        .unwrap_or(serde_json::Value::Null)
        .serialize(s)
}
