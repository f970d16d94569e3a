//! Stored routing decisions: a thread's history, recent decisions across threads, and
//! replay (re-running the stored inputs, which must give the same decision).

use serde::Serialize;

use crate::{
    Db, Error, Result,
    accounts::OwnerScope,
    clock::Millis,
    db, phone,
    routing::{self, RoutingInput, TraceStep},
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoutingDecision {
    pub id: String,
    pub thread_id: String,
    pub message_id: Option<String>,
    /// `owner_inbox` or `sitter`.
    pub routing_target: String,
    pub sitter_id: Option<String>,
    pub routing_reason: String,
    /// Sent to the owner inbox for an operational reason (no window, overlap, pool
    /// mismatch, unmapped).
    pub operational: bool,
    #[schema(value_type = Vec<Object>)]
    pub trace: Vec<TraceStep>,
    /// The client's number, redacted.
    pub from: String,
    /// The business number, redacted too (diagnostics are pasted into tickets).
    pub to: String,
    pub client_name: Option<String>,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    routing_decision_id: String,
    thread_id: String,
    message_id: Option<String>,
    target: String,
    sitter_id: Option<String>,
    reason: String,
    operational: bool,
    trace: String,
    input: String,
    client_e164: String,
    business_e164: String,
    client_name: Option<String>,
    created_at: Millis,
}

impl From<Row> for RoutingDecision {
    fn from(r: Row) -> Self {
        Self {
            id: r.routing_decision_id,
            thread_id: r.thread_id,
            message_id: r.message_id,
            routing_target: r.target,
            sitter_id: r.sitter_id,
            routing_reason: r.reason,
            operational: r.operational,
            trace: serde_json::from_str(&r.trace).unwrap_or_default(),
            from: phone::redact(&r.client_e164),
            to: phone::redact(&r.business_e164),
            client_name: r.client_name,
            created_at: crate::clock::to_rfc3339(r.created_at),
        }
    }
}

const SELECT: &str = "select d.routing_decision_id, d.thread_id, d.message_id, d.target, d.sitter_id, d.reason, d.operational,
        d.trace, d.input, t.client_e164, n.e164 as business_e164, cl.name as client_name, d.created_at
   from routing_decision d
   join thread t on t.thread_id = d.thread_id
   join number n on n.number_id = t.number_id
   left join client cl on cl.client_id = t.client_id";

async fn rows_for_thread(db: &Db, scope: &OwnerScope, thread_id: &str) -> Result<Vec<Row>> {
    let exists: Option<String> = db!(db, c => sqlx::query_scalar("select thread_id from thread where org_id = $1 and thread_id = $2")
        .bind(&scope.org_id).bind(thread_id).fetch_optional(c).await)?;
    if exists.is_none() {
        return Err(Error::NotFound("thread"));
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} where d.org_id = $1 and d.thread_id = $2 order by d.created_at desc, d.routing_decision_id desc"
    ));
    Ok(db!(db, c => sqlx::query_as(sql).bind(&scope.org_id).bind(thread_id).fetch_all(c).await)?)
}

/// A thread's decisions, newest first.
pub async fn history(db: &Db, scope: &OwnerScope, thread_id: &str) -> Result<Vec<RoutingDecision>> {
    Ok(rows_for_thread(db, scope, thread_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

#[derive(Clone, Debug, Default)]
pub struct DecisionFilter {
    /// `owner_inbox` or `sitter`; empty for both.
    pub target: String,
    /// Text the reason contains, any case.
    pub reason: String,
    pub limit: i64,
}

/// Recent decisions across the org's threads, newest first.
pub async fn recent(
    db: &Db,
    scope: &OwnerScope,
    f: &DecisionFilter,
) -> Result<Vec<RoutingDecision>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} where d.org_id = $1 and ($2 = '' or d.target = $2) and ($3 = '' or lower(d.reason) like $3)
          order by d.created_at desc, d.routing_decision_id desc limit $4"
    ));
    let reason = if f.reason.trim().is_empty() {
        String::new()
    } else {
        format!("%{}%", f.reason.trim().to_lowercase())
    };
    let rows: Vec<Row> = db!(db, c => sqlx::query_as(sql)
        .bind(&scope.org_id).bind(&f.target).bind(&reason).bind(f.limit.clamp(1, 500)).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplayReport {
    pub replayed: usize,
    /// Decisions whose stored inputs now route differently (empty: routing is stable).
    pub differences: Vec<ReplayDifference>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplayDifference {
    pub routing_decision_id: String,
    pub stored_reason: String,
    pub replayed_reason: String,
    pub stored_target: String,
    pub replayed_target: String,
    pub trace_differs: bool,
}

/// Re-runs every stored decision of the thread from its stored inputs.
pub async fn replay(db: &Db, scope: &OwnerScope, thread_id: &str) -> Result<ReplayReport> {
    let rows = rows_for_thread(db, scope, thread_id).await?;
    let mut differences = Vec::new();
    for row in &rows {
        let input: RoutingInput = serde_json::from_str(&row.input)
            .map_err(|e| Error::Internal(format!("stored routing input: {e}")))?;
        let stored_trace: Vec<TraceStep> = serde_json::from_str(&row.trace).unwrap_or_default();
        let again = routing::route(&input);
        let replayed_target = match &again.target {
            routing::Target::OwnerInbox => "owner_inbox",
            routing::Target::Sitter { .. } => "sitter",
        };
        let trace_differs = again.trace != stored_trace;
        if trace_differs || again.reason != row.reason || replayed_target != row.target {
            differences.push(ReplayDifference {
                routing_decision_id: row.routing_decision_id.clone(),
                stored_reason: row.reason.clone(),
                replayed_reason: again.reason.clone(),
                stored_target: row.target.clone(),
                replayed_target: replayed_target.to_owned(),
                trace_differs,
            });
        }
    }
    Ok(ReplayReport {
        replayed: rows.len(),
        differences,
    })
}
