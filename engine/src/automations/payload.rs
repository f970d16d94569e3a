//! Builds a trigger's payload from an event's refs: the rows as they are now, shaped as
//! the `automations` crate's typed payload, with only the objects the trigger lists.

use automations::triggers::{
    Object, Trigger,
    payload::{self, Payload},
};
use serde_json::Value;

use super::events::Refs;
use crate::{
    Db, Error, Result,
    clock::{DAY, Millis, to_datetime},
    db,
};

#[derive(sqlx::FromRow)]
struct ClientRow {
    org_name: String,
    time_zone: String,
    client_id: String,
    name: String,
    phone_e164: String,
    email: Option<String>,
    tags: String,
    opted_out: bool,
    created_at: i64,
    lead_source: Option<String>,
    lead_notes: Option<String>,
    visits_count: i64,
    last_visit_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct BookingRow {
    booking_id: String,
    service_type: String,
    start_at: i64,
    end_at: i64,
    status: String,
    recurring: bool,
    sitter_id: Option<String>,
    sitter_name: Option<String>,
}

/// The payload of `trigger` for an event with `refs`, as of `now`.
pub(crate) async fn build(
    db: &Db,
    org_id: &str,
    trigger: Trigger,
    refs: &Refs,
    now: Millis,
) -> Result<Value> {
    let client_id = refs.client_id.as_deref().ok_or(Error::NotFound("client"))?;
    let client: ClientRow = db!(db, c => sqlx::query_as(
        "select o.name as org_name, o.time_zone, c.client_id, c.name, c.phone_e164, c.email, c.tags,
                c.opted_out, c.created_at, c.lead_source, c.lead_notes,
                (select count(*) from booking b where b.client_id = c.client_id and b.status = 'completed') as visits_count,
                (select max(b.end_at) from booking b where b.client_id = c.client_id and b.status = 'completed') as last_visit_at
           from client c join org o on o.org_id = c.org_id where c.org_id = $1 and c.client_id = $2")
        .bind(org_id).bind(client_id).fetch_optional(c).await)?
    .ok_or(Error::NotFound("client"))?;
    let mut p = Payload {
        org: Some(payload::Org {
            name: client.org_name.clone(),
            time_zone: client.time_zone.clone(),
        }),
        ..Payload::default()
    };
    if trigger.has(Object::Lead) {
        p.lead = Some(payload::Lead {
            source: client
                .lead_source
                .clone()
                .unwrap_or_else(|| "other".to_owned()),
            notes: client.lead_notes.clone(),
        });
    }
    p.client = Some(payload::Client {
        first_name: payload::first_name(&client.name).to_owned(),
        id: client.client_id,
        name: client.name,
        phone: client.phone_e164,
        email: client.email,
        tags: serde_json::from_str(&client.tags).unwrap_or_default(),
        opted_out: client.opted_out,
        created_at: to_datetime(client.created_at),
        visits_count: client.visits_count,
        last_visit_at: client.last_visit_at.map(to_datetime),
        days_since_last_visit: client.last_visit_at.map(|t| (now - t).max(0) / DAY),
    });
    if trigger.has(Object::Booking) {
        let booking_id = refs
            .booking_id
            .as_deref()
            .ok_or(Error::NotFound("booking"))?;
        let b: BookingRow = db!(db, c => sqlx::query_as(
            "select b.booking_id, b.service_type, b.start_at, b.end_at, b.status, b.recurring,
                    b.sitter_id, u.name as sitter_name
               from booking b left join app_user u on u.user_id = b.sitter_id
              where b.org_id = $1 and b.booking_id = $2")
            .bind(org_id).bind(booking_id).fetch_optional(c).await)?
        .ok_or(Error::NotFound("booking"))?;
        let sitter = b
            .sitter_id
            .zip(b.sitter_name)
            .map(|(id, name)| payload::Sitter {
                first_name: payload::first_name(&name).to_owned(),
                id,
                name,
            });
        if trigger.has(Object::Sitter) {
            p.sitter = Some(
                sitter
                    .clone()
                    .ok_or(Error::Conflict("the booking has no sitter assigned".into()))?,
            );
        }
        // One visit of a weekly series: its own times, the series' length.
        let start = refs.visit_start.unwrap_or(b.start_at);
        p.booking = Some(payload::Booking {
            id: b.booking_id,
            service_type: b.service_type,
            start: to_datetime(start),
            end: to_datetime(start + (b.end_at - b.start_at)),
            status: b.status,
            recurring: b.recurring,
            sitter,
        });
    }
    if trigger.has(Object::Message) {
        let message_id = refs
            .message_id
            .as_deref()
            .ok_or(Error::NotFound("message"))?;
        let (id, thread_id, body, at): (String, String, String, i64) = db!(db, c => sqlx::query_as(
            "select message_id, thread_id, body, created_at from message where org_id = $1 and message_id = $2")
            .bind(org_id).bind(message_id).fetch_optional(c).await)?
        .ok_or(Error::NotFound("message"))?;
        p.message = Some(payload::Message {
            id,
            thread_id,
            body,
            received_at: to_datetime(at),
        });
    }
    if trigger.has(Object::OptOut) {
        p.opt_out = Some(payload::OptOut {
            keyword: refs.keyword.clone().unwrap_or_default(),
            opted_out: refs.opted_out.unwrap_or(true),
        });
    }
    if trigger.has(Object::Reminder) {
        p.reminder = Some(payload::Reminder {
            offset_minutes: refs.offset_minutes.unwrap_or_default(),
        });
    }
    if trigger.has(Object::Schedule) {
        p.schedule = Some(payload::ScheduleTick {
            cron: refs.cron.clone().unwrap_or_default(),
            fired_at: to_datetime(refs.fired_at.unwrap_or(now)),
        });
    }
    Ok(p.to_json())
}
