//! A client's reply to a reminder: `1`, `C` or `CONFIRM` confirms the booking, `2`, `X`
//! or `CANCEL VISIT` cancels it (and alerts the owner), `3`, `R` or `RESCHEDULE` marks it
//! `pending_reschedule` for the owner to settle. The reminder's text says so.
//!
//! None of these is a carrier keyword: those (STOP, CANCEL, END, QUIT, START, YES, HELP,
//! …) are handled before a text gets here and keep their meaning, so a bare `CANCEL`
//! still opts the client out. A reply is a text to a front-desk number (where reminders
//! come from) that is exactly one of the words, and it acts on the client's most
//! recently reminded booking that has not ended. The text is filed and routed as usual,
//! so the owner sees it, with a note in the thread saying what it did; the change, the
//! counter, the note and the audit commit with the message.

use chrono::TimeZone;
use serde::Serialize;

use crate::{
    Result, Tx,
    accounts::OwnerScope,
    alerts::{self, NewAlert, Severity},
    audit::{self, Actor},
    bookings::{self, BookingChanges},
    clock::{self, Millis},
    counters,
    threads::{self, NewMessage},
    tx,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Confirm,
    Cancel,
    Reschedule,
}

/// The reply a text is, if it is one: the whole text, any case, spaces and a final `.`
/// or `!` ignored.
pub fn parse(body: &str) -> Option<Reply> {
    let words: Vec<&str> = body
        .trim()
        .trim_end_matches(['.', '!'])
        .split_whitespace()
        .collect();
    match words.join(" ").to_ascii_uppercase().as_str() {
        "1" | "C" | "CONFIRM" | "CONFIRMED" => Some(Reply::Confirm),
        "2" | "X" | "CANCEL VISIT" | "CANCEL BOOKING" | "CANCEL APPOINTMENT" => Some(Reply::Cancel),
        "3" | "R" | "RESCHEDULE" => Some(Reply::Reschedule),
        _ => None,
    }
}

#[derive(sqlx::FromRow)]
struct Reminded {
    booking_id: String,
    client_name: String,
    status: String,
    service_type: String,
    start_at: i64,
    time_zone: String,
}

/// An inbound text, as filed.
pub(crate) struct Inbound<'a> {
    pub thread_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub received_at: Millis,
}

/// Acts on a reply to a reminder, in the filing transaction. Answers what it did, if
/// the text was a reply that changed a booking.
pub(crate) async fn handle(
    tx: &mut Tx,
    org_id: &str,
    text: &Inbound<'_>,
    now: Millis,
) -> Result<Option<Reply>> {
    let Some(reply) = parse(text.body) else {
        return Ok(None);
    };
    let found: Option<Reminded> = tx!(tx, c => sqlx::query_as(
        "select b.booking_id, c.name as client_name, b.status, b.service_type, b.start_at, o.time_zone
           from client c
           join booking b on b.client_id = c.client_id
           join org o on o.org_id = c.org_id
          where c.org_id = $1 and c.phone_e164 = $2 and c.archived_at is null
            and b.reminder_sent_at is not null and b.reminder_sent_at <= $3 and b.end_at > $3
          order by b.reminder_sent_at desc, b.start_at
          limit 1")
        .bind(org_id).bind(text.from).bind(text.received_at).fetch_optional(c).await)?;
    let Some(b) = found else {
        return Ok(None);
    };
    let to = match (reply, b.status.as_str()) {
        (Reply::Confirm, "scheduled" | "pending_reschedule") => "confirmed",
        (Reply::Cancel, "scheduled" | "confirmed" | "pending_reschedule") => "cancelled",
        (Reply::Reschedule, "scheduled" | "confirmed") => bookings::PENDING_RESCHEDULE,
        // Already so, or cancelled or completed: nothing to change.
        _ => return Ok(None),
    };
    // The client acts through the provider; the scope only names the org.
    let scope = OwnerScope {
        org_id: org_id.to_owned(),
        user_id: None,
    };
    let by = Actor::Provider;
    let (counter, note) = match reply {
        Reply::Confirm => {
            let changes = BookingChanges {
                status: Some(to.to_owned()),
                ..BookingChanges::default()
            };
            bookings::update_by(tx, &scope, by, &b.booking_id, &changes, false, now).await?;
            (
                counters::SMS_CONFIRMATIONS_VIA_SMS,
                "The client confirmed this booking by replying to its reminder.",
            )
        }
        Reply::Cancel => {
            bookings::cancel_by(tx, &scope, by, &b.booking_id, now).await?;
            (
                counters::SMS_CANCELLATIONS_VIA_SMS,
                "The client cancelled this booking by replying to its reminder; you have an alert.",
            )
        }
        Reply::Reschedule => {
            tx!(tx, c => sqlx::query(
                "update booking set status = $3 where org_id = $1 and booking_id = $2")
                .bind(org_id).bind(&b.booking_id).bind(to).execute(c).await.map(|r| r.rows_affected()))?;
            (
                counters::SMS_RESCHEDULES_VIA_SMS,
                "The client asked for another time by replying to its reminder: the booking waits in Reschedules.",
            )
        }
    };
    counters::bump(tx, org_id, counter, 1).await?;
    threads::add_message(
        tx,
        org_id,
        NewMessage {
            thread_id: text.thread_id,
            direction: "inbound",
            kind: "system",
            from: text.from,
            to: text.to,
            body: note,
            redacted_body: None,
            sender_user_id: None,
            inbound_event_id: None,
            at: text.received_at,
        },
    )
    .await?;
    audit::record(
        tx,
        org_id,
        by,
        "reminder.replied",
        Some(("booking", &b.booking_id)),
        &serde_json::json!({ "reply": reply, "body": text.body.trim(), "from": b.status, "to": to }),
        now,
    )
    .await?;
    if reply == Reply::Cancel {
        let zone = clock::zone(&b.time_zone);
        let when = zone
            .timestamp_millis_opt(b.start_at)
            .single()
            .map(|t| t.format("%a, %b %-d at %-I:%M %p").to_string())
            .unwrap_or_default();
        let service = b.service_type.replace('_', " ");
        alerts::raise(
            tx,
            org_id,
            NewAlert {
                severity: Severity::Warning,
                kind: "booking.cancelled_by_client",
                title: "Booking Cancelled by Client",
                description: &format!(
                    "{} replied to the reminder to cancel their {service} on {when}.",
                    b.client_name
                ),
                entity: Some(("booking", &b.booking_id)),
                dedupe_key: format!("booking.cancelled_by_client:{}", b.booking_id),
            },
            now,
        )
        .await?;
    }
    Ok(Some(reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optout;

    #[test]
    fn replies_are_whole_texts_in_any_case() {
        let cases = [
            ("1", Some(Reply::Confirm)),
            (" c ", Some(Reply::Confirm)),
            ("Confirm!", Some(Reply::Confirm)),
            ("confirmed.", Some(Reply::Confirm)),
            ("2", Some(Reply::Cancel)),
            ("x", Some(Reply::Cancel)),
            ("cancel  visit", Some(Reply::Cancel)),
            ("Cancel booking", Some(Reply::Cancel)),
            ("3", Some(Reply::Reschedule)),
            ("R", Some(Reply::Reschedule)),
            ("reschedule please", None),
            ("1 and 2", None),
            ("12", None),
            ("", None),
        ];
        for (body, want) in cases {
            assert_eq!(parse(body), want, "{body:?}");
        }
    }

    #[test]
    fn no_reply_is_a_carrier_keyword_and_no_carrier_keyword_is_a_reply() {
        let carrier = [
            "STOP",
            "STOPALL",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
            "REVOKE",
            "OPTOUT",
            "START",
            "YES",
            "UNSTOP",
            "HELP",
            "INFO",
        ];
        for word in carrier {
            assert!(optout::keyword(word).is_some(), "{word}");
            assert_eq!(parse(word), None, "{word}");
            assert_eq!(parse(&word.to_lowercase()), None, "{word}");
        }
        for reply in [
            "1",
            "C",
            "CONFIRM",
            "2",
            "X",
            "CANCEL VISIT",
            "3",
            "R",
            "RESCHEDULE",
        ] {
            assert!(parse(reply).is_some(), "{reply}");
            assert_eq!(optout::keyword(reply), None, "{reply}");
        }
    }
}
