//! Win-back: clients whose last completed visit ended at least
//! `min_days_since_last_visit` days ago, with no upcoming booking (scheduled, confirmed,
//! waiting for a new time, or a weekly series still running), optionally only those
//! with a tag or a completed visit of a service type, most recently lapsed first, at most
//! `max_messages` per run.
//!
//! The cool-down is the `campaign_send` row of (client, campaign type): the send's
//! transaction upserts it only where its `sent_at` is older than `cooldown_days`, so a
//! runner that changes no row sends nothing. Counted as `retention_sent:<campaign type>`.

use super::{
    Settings,
    run::{Candidate, Cursor},
};
use crate::{
    Db, Result, Tx,
    clock::{DAY, Millis},
    db, phone, tx,
};

const LAPSED: &str = "select x.client_id, x.name, x.phone_e164, x.opted_out, x.last_visit, x.upcoming, x.last_sent
   from (select c.client_id, c.name, c.phone_e164,
                coalesce(o.opted_out, c.opted_out) as opted_out,
                (select max(b.end_at) from booking b
                  where b.client_id = c.client_id and b.status = 'completed') as last_visit,
                exists (select 1 from booking f where f.client_id = c.client_id
                           and f.status in ('scheduled', 'confirmed', 'pending_reschedule')
                           and (f.start_at > $3 or f.recurring)) as upcoming,
                (select s.sent_at from campaign_send s where s.org_id = c.org_id and s.kind = 'retention'
                    and s.client_id = c.client_id and s.send_key = $4) as last_sent
           from client c
           left join opt_out o on o.org_id = c.org_id and o.phone_e164 = c.phone_e164
          where c.org_id = $1 and c.archived_at is null
            and ($5 = '' or c.tags like $5)
            and ($6 = '' or exists (select 1 from booking v where v.client_id = c.client_id
                                       and v.status = 'completed' and v.service_type = $6))) x
  where x.last_visit is not null and x.last_visit <= $2
    and (cast($7 as bigint) is null or x.last_visit < $7 or (x.last_visit = $7 and x.client_id > $8))
  order by x.last_visit desc, x.client_id
  limit $9";

#[derive(sqlx::FromRow)]
struct Lapsed {
    client_id: String,
    name: String,
    phone_e164: String,
    opted_out: bool,
    last_visit: i64,
    upcoming: bool,
    last_sent: Option<i64>,
}

pub(crate) async fn page(
    db: &Db,
    org_id: &str,
    params: &Settings,
    now: Millis,
    after: &Cursor,
    limit: i64,
) -> Result<Vec<Candidate>> {
    let cutoff = now - params.min_days() * DAY;
    let cooled = now - params.cooldown_days() * DAY;
    let tag = match &params.tag {
        // Tags are letters, digits, spaces and hyphens: nothing `like` would read.
        Some(t) => format!("%{}%", serde_json::to_string(t).unwrap_or_default()),
        None => String::new(),
    };
    let service = params.service_type.clone().unwrap_or_default();
    let rows: Vec<Lapsed> = db!(db, c => sqlx::query_as(LAPSED)
        .bind(org_id).bind(cutoff).bind(now).bind(params.campaign_type()).bind(&tag).bind(&service)
        .bind(after.at).bind(&after.id).bind(limit)
        .fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let skip = if r.upcoming {
                Some("upcoming_booking")
            } else if r.last_sent.is_some_and(|t| t > cooled) {
                Some("cooldown")
            } else if phone::parse_e164("phone", &r.phone_e164).is_err() {
                Some("no_phone")
            } else if r.opted_out {
                Some("opted_out")
            } else {
                None
            };
            Candidate {
                cursor: Cursor {
                    at: Some(r.last_visit),
                    id: r.client_id.clone(),
                },
                client_id: r.client_id,
                name: r.name,
                phone: r.phone_e164,
                booking: None,
                skip,
            }
        })
        .collect())
}

/// Starts the client's cool-down for the campaign type, in the send's transaction:
/// false if a text of that type went to them within it.
pub(crate) async fn claim(
    tx: &mut Tx,
    org_id: &str,
    client_id: &str,
    params: &Settings,
    run_id: &str,
    now: Millis,
) -> Result<bool> {
    let cooled = now - params.cooldown_days() * DAY;
    let n = tx!(tx, c => sqlx::query(
        "insert into campaign_send (org_id, kind, client_id, send_key, run_id, sent_at)
         values ($1, 'retention', $2, $3, $4, $5)
         on conflict (org_id, kind, client_id, send_key)
         do update set run_id = excluded.run_id, sent_at = excluded.sent_at, sends = campaign_send.sends + 1
         where campaign_send.sent_at <= $6")
        .bind(org_id).bind(client_id).bind(params.campaign_type()).bind(run_id).bind(now).bind(cooled)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Win-back texts per campaign type, for the owner (`GET /api/owner/retention`).
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Win-back texts sent, every type together.
    pub total_sent: i64,
    pub campaigns: Vec<CampaignSends>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignSends {
    pub campaign_type: String,
    /// Texts sent (the durable counter `retention_sent:<type>`).
    pub sent: i64,
    /// Clients this type has texted.
    pub clients: i64,
    #[serde(serialize_with = "crate::clock::serialize_opt_millis")]
    #[schema(value_type = Option<String>)]
    pub last_sent_at: Option<Millis>,
}

pub async fn summary(db: &Db, scope: &crate::accounts::OwnerScope) -> Result<Summary> {
    let counters = crate::counters::read(db, &scope.org_id).await?;
    let sends: Vec<(String, i64, i64)> = db!(db, c => sqlx::query_as(
        "select send_key, count(*), max(sent_at) from campaign_send
          where org_id = $1 and kind = 'retention' group by send_key")
        .bind(&scope.org_id).fetch_all(c).await)?;
    let mut campaigns: Vec<CampaignSends> = counters
        .retention_sent
        .iter()
        .map(|(campaign_type, sent)| CampaignSends {
            campaign_type: campaign_type.clone(),
            sent: *sent,
            clients: 0,
            last_sent_at: None,
        })
        .collect();
    for (campaign_type, clients, last) in sends {
        match campaigns
            .iter_mut()
            .find(|c| c.campaign_type == campaign_type)
        {
            Some(c) => {
                c.clients = clients;
                c.last_sent_at = Some(last);
            }
            None => campaigns.push(CampaignSends {
                campaign_type,
                sent: 0,
                clients,
                last_sent_at: Some(last),
            }),
        }
    }
    campaigns.sort_by(|a, b| a.campaign_type.cmp(&b.campaign_type));
    Ok(Summary {
        total_sent: campaigns.iter().map(|c| c.sent).sum(),
        campaigns,
    })
}
