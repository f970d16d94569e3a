//! `GET /api/messages/diagnostics`: the rollout checklist's counters for one org.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{
    Result,
    accounts::OwnerScope,
    clock::Millis,
    db,
    decisions::{self, DecisionFilter, RoutingDecision},
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics {
    /// Threads per business-number class (`front_desk`, `sitter`, `pool`).
    pub threads_by_number_class: BTreeMap<String, i64>,
    /// Messages the anti-poaching policy blocked.
    pub anti_poaching_blocked: i64,
    /// Inbound messages routed to the owner inbox, for any reason.
    pub owner_inbox_routed: i64,
    /// Of those, routed there for an operational reason: no window, overlapping windows,
    /// pool mismatch, unmapped. The real signal.
    pub owner_inbox_routed_operational: i64,
    /// Sends a sitter tried outside their assignment window.
    pub sitter_send_blocked_outside_window: i64,
    /// Threads with assignment windows of which none is active now.
    pub sitter_no_active_window: i64,
    pub feature_flags: BTreeMap<String, bool>,
    /// The last 50 decisions, phone numbers redacted.
    pub routing_decisions: Vec<RoutingDecision>,
}

pub async fn collect(
    engine: &crate::Engine,
    scope: &OwnerScope,
    now: Millis,
    feature_flags: BTreeMap<String, bool>,
) -> Result<Diagnostics> {
    let db = &engine.db;
    let org = &scope.org_id;
    let by_class: Vec<(String, i64)> = db!(db, c => sqlx::query_as(
        "select n.class, count(*) from thread t join number n on n.number_id = t.number_id where t.org_id = $1 group by n.class")
        .bind(org).fetch_all(c).await)?;
    let mut threads_by_number_class: BTreeMap<String, i64> = ["front_desk", "sitter", "pool"]
        .iter()
        .map(|c| ((*c).to_owned(), 0))
        .collect();
    threads_by_number_class.extend(by_class);
    let (routed, operational): (i64, Option<i64>) = db!(db, c => sqlx::query_as(
        "select count(*), cast(sum(case when operational then 1 else 0 end) as bigint)
           from routing_decision where org_id = $1 and target = 'owner_inbox'")
        .bind(org).fetch_one(c).await)?;
    let sitter_no_active_window: i64 = db!(db, c => sqlx::query_scalar(
        "select count(distinct w.thread_id) from assignment_window w
          where w.org_id = $1
            and not exists (select 1 from assignment_window a where a.thread_id = w.thread_id and a.start_at <= $2 and a.end_at > $2)")
        .bind(org).bind(now).fetch_one(c).await)?;
    let routing_decisions = decisions::recent(
        db,
        scope,
        &DecisionFilter {
            limit: 50,
            ..DecisionFilter::default()
        },
    )
    .await?;
    Ok(Diagnostics {
        threads_by_number_class,
        anti_poaching_blocked: crate::violations::blocked_count(db, org).await?,
        owner_inbox_routed: routed,
        owner_inbox_routed_operational: operational.unwrap_or(0),
        sitter_send_blocked_outside_window: crate::counters::value(
            db,
            org,
            crate::counters::SITTER_SEND_BLOCKED_NO_WINDOW,
        )
        .await?,
        sitter_no_active_window,
        feature_flags,
        routing_decisions,
    })
}
