//! Realistic sample payloads, drawn from the demo org: what Test Mode runs against when
//! the owner does not pick a real event, and what the template preview renders.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::Trigger;
use super::payload::{
    Booking, Client, Lead, Message, OptOut, Org, Payload, Reminder, ScheduleTick, Sitter,
};

/// The sample payload of `trigger`, as JSON.
pub fn sample(trigger: Trigger) -> Value {
    sample_payload(trigger).to_json()
}

/// The sample payload of `trigger`, typed.
pub fn sample_payload(trigger: Trigger) -> Payload {
    let org = Some(Org {
        name: "Snout Pet Care".to_owned(),
        time_zone: "America/New_York".to_owned(),
    });
    let sarah = Sitter {
        id: "0194a3c2-7d10-7b3e-9a51-5f2c8e4d1a07".to_owned(),
        first_name: "Sarah".to_owned(),
        name: "Sarah Johnson".to_owned(),
    };
    let assigned = booking("confirmed", Some(sarah.clone()));
    let base = Payload {
        org,
        client: Some(client()),
        ..Payload::default()
    };
    match trigger {
        Trigger::ClientCreated => Payload {
            client: Some(Client {
                visits_count: 0,
                last_visit_at: None,
                days_since_last_visit: None,
                tags: vec![],
                created_at: at(2026, 1, 12, 14, 5),
                ..client()
            }),
            ..base
        },
        Trigger::BookingCreated => Payload {
            booking: Some(booking("scheduled", None)),
            ..base
        },
        Trigger::BookingAssigned => Payload {
            booking: Some(assigned),
            sitter: Some(sarah),
            ..base
        },
        Trigger::BookingCompleted => Payload {
            booking: Some(booking("completed", Some(sarah.clone()))),
            sitter: Some(sarah),
            ..base
        },
        Trigger::BookingCancelled => Payload {
            booking: Some(booking("cancelled", Some(sarah))),
            ..base
        },
        Trigger::MessageReceived => Payload {
            message: Some(Message {
                id: "0194a3c9-1e22-7c40-8f3b-2a6d9e0c4b11".to_owned(),
                thread_id: "0194a3c9-1e20-7f12-b4c7-93e1d5a8f602".to_owned(),
                body: "Hi! Can Sarah come a bit earlier on Monday? Ziggy gets antsy by noon."
                    .to_owned(),
                received_at: at(2026, 1, 16, 18, 42),
            }),
            ..base
        },
        Trigger::LeadCreated => Payload {
            client: Some(Client {
                id: "0194a3cf-5b61-7a02-9d84-c1f0e37b2a95".to_owned(),
                name: "Emily Davis".to_owned(),
                first_name: "Emily".to_owned(),
                phone: "+15550100002".to_owned(),
                email: None,
                tags: vec!["lead".to_owned()],
                opted_out: false,
                created_at: at(2026, 1, 16, 20, 15),
                visits_count: 0,
                last_visit_at: None,
                days_since_last_visit: None,
            }),
            lead: Some(Lead {
                source: "website".to_owned(),
                notes: Some("Two beagles, weekday walks from February.".to_owned()),
            }),
            ..base
        },
        Trigger::OptOut => Payload {
            opt_out: Some(OptOut {
                keyword: "STOP".to_owned(),
                opted_out: true,
            }),
            ..base
        },
        Trigger::AppointmentUpcoming => Payload {
            booking: Some(assigned),
            reminder: Some(Reminder {
                offset_minutes: 24 * 60,
            }),
            ..base
        },
        Trigger::Schedule => Payload {
            client: Some(Client {
                last_visit_at: Some(at(2025, 7, 11, 16, 0)),
                days_since_last_visit: Some(191),
                ..client()
            }),
            schedule: Some(ScheduleTick {
                cron: "0 10 * * Mon".to_owned(),
                fired_at: at(2026, 1, 19, 15, 0),
            }),
            ..base
        },
    }
}

fn client() -> Client {
    Client {
        id: "0194a3c2-6f01-7e55-8c12-4b9d0a7e3f28".to_owned(),
        name: "John Smith".to_owned(),
        first_name: "John".to_owned(),
        phone: "+15551234567".to_owned(),
        email: Some("john.smith@example.com".to_owned()),
        tags: vec!["vip".to_owned(), "dog".to_owned()],
        opted_out: false,
        created_at: at(2025, 3, 2, 17, 30),
        visits_count: 14,
        last_visit_at: Some(at(2026, 1, 12, 16, 0)),
        days_since_last_visit: Some(4),
    }
}

fn booking(status: &str, sitter: Option<Sitter>) -> Booking {
    Booking {
        id: "0194a3c4-2a90-7d31-a6e8-0f5b7c9d2e14".to_owned(),
        service_type: "dog_walk".to_owned(),
        // Monday 10:00–11:00 in New York.
        start: at(2026, 1, 19, 15, 0),
        end: at(2026, 1, 19, 16, 0),
        status: status.to_owned(),
        recurring: true,
        sitter,
    }
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::fields::{FieldKind, paths};
    use super::*;

    /// The typed structs and the field catalogue describe the same payload.
    #[test]
    fn every_sample_has_exactly_the_catalogued_fields() {
        for trigger in Trigger::ALL {
            let json = sample(trigger);
            super::super::check_payload(trigger, &json).unwrap();
            for object in trigger.objects() {
                let value = &json[object.key()];
                let catalogued: Vec<String> =
                    paths(*object).into_iter().map(|(path, _)| path).collect();
                let mut present = Vec::new();
                keys(object.key(), value, &mut present);
                for path in &present {
                    assert!(
                        catalogued.contains(path),
                        "{trigger}: {path} not catalogued"
                    );
                }
                for (path, field) in paths(*object) {
                    let Some(v) = pointer(&json, &path) else {
                        let parent_is_null = path
                            .rsplit_once('.')
                            .and_then(|(parent, _)| pointer(&json, parent))
                            .is_some_and(Value::is_null);
                        assert!(parent_is_null, "{trigger}: {path} missing from the struct");
                        continue;
                    };
                    if v.is_null() {
                        assert!(field.nullable, "{trigger}: {path} is null");
                        continue;
                    }
                    let fits = match field.kind {
                        FieldKind::Text => v.is_string(),
                        FieldKind::Number => v.is_i64(),
                        FieldKind::Bool => v.is_boolean(),
                        FieldKind::DateTime => v
                            .as_str()
                            .is_some_and(|s| DateTime::parse_from_rfc3339(s).is_ok()),
                        FieldKind::TextList => {
                            v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                        }
                        FieldKind::Object(_) => v.is_object(),
                    };
                    assert!(fits, "{trigger}: {path} = {v} is not {:?}", field.kind);
                }
            }
        }
    }

    fn keys(prefix: &str, value: &Value, out: &mut Vec<String>) {
        if let Some(map) = value.as_object() {
            for (k, v) in map {
                let path = format!("{prefix}.{k}");
                keys(&path, v, out);
                out.push(path);
            }
        }
    }

    fn pointer<'a>(json: &'a Value, path: &str) -> Option<&'a Value> {
        json.pointer(&format!("/{}", path.replace('.', "/")))
    }

    #[test]
    fn samples_are_deterministic_and_realistic() {
        assert_eq!(
            sample(Trigger::BookingAssigned),
            sample(Trigger::BookingAssigned)
        );
        let s = sample(Trigger::BookingAssigned);
        assert_eq!(s["client"]["first_name"], "John");
        assert_eq!(s["sitter"]["first_name"], "Sarah");
        assert_eq!(s["booking"]["start"], "2026-01-19T15:00:00Z");
        assert_eq!(s["org"]["time_zone"], "America/New_York");
        assert!(sample(Trigger::BookingCreated)["booking"]["sitter"].is_null());
    }
}
