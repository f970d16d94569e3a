//! Lead follow-ups: a client who got in touch as a lead in the last `days` days and has
//! never booked gets one text. The send's transaction inserts the lead's `campaign_send`
//! row (`send_key = 'lead'`) with `on conflict do nothing`; a runner that inserts
//! nothing sends nothing. Counted as `lead_followups_sent`.

use super::{
    Settings,
    run::{Candidate, Cursor},
};
use crate::{
    Db, Result, Tx,
    clock::{DAY, Millis},
    db, phone, tx,
};

const LEADS: &str = "select c.client_id, c.name, c.phone_e164, c.lead_at,
        coalesce(o.opted_out, c.opted_out) as opted_out,
        exists (select 1 from booking b where b.client_id = c.client_id) as booked,
        exists (select 1 from campaign_send s where s.org_id = c.org_id and s.kind = 'follow_ups'
                   and s.client_id = c.client_id and s.send_key = 'lead') as followed_up
   from client c
   left join opt_out o on o.org_id = c.org_id and o.phone_e164 = c.phone_e164
  where c.org_id = $1 and c.lead_at is not null and c.lead_at > $2 and c.lead_at <= $3
    and c.archived_at is null
    and (c.lead_at > $4 or (c.lead_at = $4 and c.client_id > $5))
  order by c.lead_at, c.client_id
  limit $6";

#[derive(sqlx::FromRow)]
struct Lead {
    client_id: String,
    name: String,
    phone_e164: String,
    lead_at: i64,
    opted_out: bool,
    booked: bool,
    followed_up: bool,
}

pub(crate) async fn page(
    db: &Db,
    org_id: &str,
    params: &Settings,
    now: Millis,
    after: &Cursor,
    limit: i64,
) -> Result<Vec<Candidate>> {
    let since = now - params.days() * DAY;
    let rows: Vec<Lead> = db!(db, c => sqlx::query_as(LEADS)
        .bind(org_id).bind(since).bind(now).bind(after.at.unwrap_or(since)).bind(&after.id).bind(limit)
        .fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let skip = if r.followed_up {
                Some("already_followed_up")
            } else if r.booked {
                Some("booked")
            } else if phone::parse_e164("phone", &r.phone_e164).is_err() {
                Some("no_phone")
            } else if r.opted_out {
                Some("opted_out")
            } else {
                None
            };
            Candidate {
                cursor: Cursor {
                    at: Some(r.lead_at),
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

/// Records the lead's follow-up, in the send's transaction: false if it already has one.
pub(crate) async fn claim(
    tx: &mut Tx,
    org_id: &str,
    client_id: &str,
    run_id: &str,
    now: Millis,
) -> Result<bool> {
    let n = tx!(tx, c => sqlx::query(
        "insert into campaign_send (org_id, kind, client_id, send_key, run_id, sent_at)
         values ($1, 'follow_ups', $2, 'lead', $3, $4) on conflict do nothing")
        .bind(org_id).bind(client_id).bind(run_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
