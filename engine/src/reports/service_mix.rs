//! How many visits of each service the org did over recent days (the seed's service mix).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{
    Db, Result,
    accounts::OwnerScope,
    clock::{DAY, Millis},
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMix {
    /// The window: visits that started in the last `days` days, up to now.
    pub days: u32,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub from: Millis,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub to: Millis,
    pub total: i64,
    /// Most visits first.
    pub services: Vec<ServiceCount>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCount {
    pub service_type: String,
    pub visits: i64,
}

/// Visits per service type over the last `days` days (each week of a weekly booking is a
/// visit; cancelled bookings are not).
pub async fn recent(db: &Db, scope: &OwnerScope, days: u32, now: Millis) -> Result<ServiceMix> {
    let from = now - i64::from(days) * DAY;
    let visits = super::schedule::visits(db, scope, from, now, now).await?;
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for v in &visits {
        *counts.entry(v.service_type.clone()).or_default() += 1;
    }
    let mut services: Vec<ServiceCount> = counts
        .into_iter()
        .map(|(service_type, visits)| ServiceCount {
            service_type,
            visits,
        })
        .collect();
    services.sort_by(|a, b| {
        b.visits
            .cmp(&a.visits)
            .then_with(|| a.service_type.cmp(&b.service_type))
    });
    Ok(ServiceMix {
        days,
        from,
        to: now,
        total: visits.len() as i64,
        services,
    })
}
