//! A day's visits in the org's time zone, with a summary in words an owner can read at a
//! glance (or have read to them): tomorrow's schedule, today's summary, the dashboard.

use std::fmt::Write;

use automations::triggers::Tz;
use chrono::NaiveDate;
use serde::Serialize;

use crate::{
    Db, Result,
    accounts::{self, OwnerScope},
    bookings,
    clock::{self, Millis},
    db,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Day {
    Today,
    Tomorrow,
}

/// One visit: a one-off booking, or one week's visit of a weekly one.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    pub booking_id: String,
    pub client_name: String,
    pub sitter_name: Option<String>,
    pub service_type: String,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub start_at: Millis,
    #[serde(serialize_with = "crate::clock::serialize_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub end_at: Millis,
    /// The booking's status (`scheduled`, `confirmed`, `completed`, `pending_reschedule`).
    pub status: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaySchedule {
    /// The day in the org's time zone, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub time_zone: String,
    /// The day in words: a heading line, then a line per visit.
    pub summary: String,
    /// By start time.
    pub visits: Vec<Visit>,
}

#[derive(sqlx::FromRow)]
struct Row {
    booking_id: String,
    client_name: String,
    sitter_name: Option<String>,
    service_type: String,
    start_at: i64,
    end_at: i64,
    status: String,
    recurring: bool,
}

/// Today's or tomorrow's visits, from the org's local midnight to the next.
pub async fn day(db: &Db, scope: &OwnerScope, day: Day, now: Millis) -> Result<DaySchedule> {
    let org = accounts::org(db, &scope.org_id).await?;
    let zone = clock::zone(&org.time_zone);
    let today = clock::local_date(now, zone);
    let date = match day {
        Day::Today => today,
        Day::Tomorrow => today.succ_opt().unwrap_or(today),
    };
    let from = clock::day_start(date, zone);
    let to = clock::day_start(date.succ_opt().unwrap_or(date), zone);
    let visits = visits(db, scope, from, to, now).await?;
    Ok(DaySchedule {
        date,
        summary: summary(day, date, &visits, zone),
        time_zone: org.time_zone,
        visits,
    })
}

/// Every visit starting in `[from, to)`, by start time; cancelled bookings have none.
pub async fn visits(
    db: &Db,
    scope: &OwnerScope,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Result<Vec<Visit>> {
    // One-off visits by start time; weekly series that began before the end (their own
    // partial index keeps that short).
    let rows: Vec<Row> = db!(db, c => sqlx::query_as(
        "with picked as (
             select booking_id from booking
              where org_id = $1 and not recurring and start_at >= $2 and start_at < $3 and status <> 'cancelled'
             union all
             select booking_id from booking
              where org_id = $1 and recurring and start_at < $3 and status <> 'cancelled')
         select b.booking_id, cl.name as client_name, u.name as sitter_name, b.service_type,
                b.start_at, b.end_at, b.status, b.recurring
           from picked p join booking b on b.booking_id = p.booking_id
           join client cl on cl.client_id = b.client_id
           left join app_user u on u.user_id = b.sitter_id")
        .bind(&scope.org_id).bind(from).bind(to).fetch_all(c).await)?;
    let mut visits: Vec<Visit> = rows
        .into_iter()
        .flat_map(|r| {
            bookings::visit_starts(r.start_at, r.recurring, &r.status, from, to, now)
                .into_iter()
                .map(move |start| Visit {
                    booking_id: r.booking_id.clone(),
                    client_name: r.client_name.clone(),
                    sitter_name: r.sitter_name.clone(),
                    service_type: r.service_type.clone(),
                    start_at: start,
                    end_at: start + (r.end_at - r.start_at),
                    status: r.status.clone(),
                })
        })
        .collect();
    visits.sort_by(|a, b| (a.start_at, &a.booking_id).cmp(&(b.start_at, &b.booking_id)));
    Ok(visits)
}

/// "Tomorrow, Sunday 23 November: 2 visits." and a line per visit, times in `zone`.
/// Plain ASCII apart from names, so it stays one SMS encoding if it is texted.
fn summary(day: Day, date: NaiveDate, visits: &[Visit], zone: Tz) -> String {
    let label = match day {
        Day::Today => "Today",
        Day::Tomorrow => "Tomorrow",
    };
    let heading = format!("{label}, {}", date.format("%A %-d %B"));
    if visits.is_empty() {
        return format!("{heading}: no visits booked.");
    }
    let count = visits.len();
    let mut text = format!(
        "{heading}: {count} visit{}.",
        if count == 1 { "" } else { "s" }
    );
    let at = |ms| {
        clock::to_datetime(ms)
            .with_timezone(&zone)
            .format("%-I:%M %p")
    };
    for v in visits {
        let _ = write!(
            text,
            "\n{} to {}: {} for {}, ",
            at(v.start_at),
            at(v.end_at),
            v.service_type.replace('_', " "),
            v.client_name
        );
        let _ = match &v.sitter_name {
            Some(sitter) => write!(text, "with {sitter}"),
            None => write!(text, "no sitter yet"),
        };
        if v.status != "scheduled" {
            let _ = write!(text, " ({})", v.status.replace('_', " "));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{HOUR, parse_rfc3339};

    fn visit(start: &str, client: &str, sitter: Option<&str>, status: &str) -> Visit {
        let start_at = parse_rfc3339("start", start).unwrap();
        Visit {
            booking_id: client.to_owned(),
            client_name: client.to_owned(),
            sitter_name: sitter.map(str::to_owned),
            service_type: "dog_walk".to_owned(),
            start_at,
            end_at: start_at + HOUR,
            status: status.to_owned(),
        }
    }

    #[test]
    fn the_summary_reads_the_day_in_the_org_zone() {
        let ny = clock::zone("America/New_York");
        let date: NaiveDate = "2026-11-23".parse().unwrap();
        let visits = [
            visit(
                "2026-11-23T14:00:00Z",
                "John Smith",
                Some("Sarah Johnson"),
                "scheduled",
            ),
            visit(
                "2026-11-23T20:30:00Z",
                "Emily Davis",
                None,
                "pending_reschedule",
            ),
        ];
        assert_eq!(
            summary(Day::Tomorrow, date, &visits, ny),
            "Tomorrow, Monday 23 November: 2 visits.\n\
             9:00 AM to 10:00 AM: dog walk for John Smith, with Sarah Johnson\n\
             3:30 PM to 4:30 PM: dog walk for Emily Davis, no sitter yet (pending reschedule)"
        );
        assert_eq!(
            summary(Day::Today, date, &visits[..1], ny).lines().next(),
            Some("Today, Monday 23 November: 1 visit.")
        );
        assert_eq!(
            summary(Day::Today, date, &[], ny),
            "Today, Monday 23 November: no visits booked."
        );
    }
}
