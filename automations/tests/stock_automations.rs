//! The stock automations, written as the engine will store them, save and test
//! cleanly against their triggers' samples: the model covers what the product ships.

use automations::plan::{AutomationVersion, evaluate};
use automations::triggers::{Trigger, sample};
use serde_json::{Value, json};

fn version(json: Value) -> AutomationVersion {
    serde_json::from_value(json).unwrap()
}

fn texts(v: &AutomationVersion, payload: &Value) -> Vec<String> {
    let compiled = v.compile().unwrap_or_else(|e| panic!("{e}"));
    let e = evaluate(&compiled, payload).unwrap();
    assert!(e.is_ok(), "{:?}", e.steps);
    e.steps
        .into_iter()
        .filter_map(|s| s.rendered_text)
        .collect()
}

#[test]
fn appointment_reminder_24_hours_before() {
    let v = version(json!({
        "trigger": {"event": "appointment.upcoming", "offset_minutes": 1440},
        "conditions": {"type": "builder", "match": "all", "rows": [
            {"field": "booking.status", "operator": "in", "value": ["scheduled", "confirmed"]}
        ]},
        "actions": [{"type": "send_sms", "to": "client", "template":
            "Hi {{ client.first_name }}, a reminder from {{ org.name }}: your {{ booking.service_type | replace('_', ' ') }} is {{ booking.start | datetime }}."}]
    }));
    assert_eq!(
        texts(&v, &sample(Trigger::AppointmentUpcoming)),
        ["Hi John, a reminder from Snout Pet Care: your dog walk is Mon, Jan 19 at 10:00 AM."]
    );
}

#[test]
fn booking_confirmation() {
    let v = version(json!({
        "trigger": {"event": "booking.created"},
        "actions": [{"type": "send_sms", "to": "client", "template":
            "Thanks {{ client.first_name }}! Your booking for {{ booking.start | date }} at {{ booking.start | time }} is in. We'll confirm your sitter soon."}]
    }));
    assert_eq!(
        texts(&v, &sample(Trigger::BookingCreated)),
        [
            "Thanks John! Your booking for Mon, Jan 19 at 10:00 AM is in. We'll confirm your sitter soon."
        ]
    );
}

#[test]
fn sitter_assigned() {
    let v = version(json!({
        "trigger": {"event": "booking.assigned"},
        "actions": [{"type": "send_sms", "to": "client", "template":
            "{{ sitter.first_name }} will be visiting on {{ booking.start | datetime }}."}]
    }));
    assert_eq!(
        texts(&v, &sample(Trigger::BookingAssigned)),
        ["Sarah will be visiting on Mon, Jan 19 at 10:00 AM."]
    );
}

#[test]
fn post_visit_thank_you_an_hour_later() {
    let v = version(json!({
        "trigger": {"event": "booking.completed"},
        "actions": [
            {"type": "wait", "minutes": 60},
            {"type": "send_sms", "to": "client", "template":
                "Thanks for having {{ sitter.first_name }} today, {{ client.first_name }}! Reply any time to book again."}
        ]
    }));
    assert_eq!(
        texts(&v, &sample(Trigger::BookingCompleted)),
        ["Thanks for having Sarah today, John! Reply any time to book again."]
    );
}

#[test]
fn lead_follow_up_next_day() {
    let v = version(json!({
        "trigger": {"event": "lead.created"},
        "actions": [
            {"type": "add_tag", "tag": "lead"},
            {"type": "wait", "minutes": 1440},
            {"type": "send_sms", "to": "client", "template":
                "Hi {{ client.first_name }}, it's {{ org.name }}. Still looking for help with your pets? Reply with a day that suits you."},
            {"type": "notify_owner", "title": "Lead followed up: {{ client.name }}",
             "template": "Source: {{ lead.source }}. {{ lead.notes or '' }}"}
        ]
    }));
    assert_eq!(
        texts(&v, &sample(Trigger::LeadCreated)),
        [
            "Hi Emily, it's Snout Pet Care. Still looking for help with your pets? Reply with a day that suits you.",
            "Source: website. Two beagles, weekday walks from February."
        ]
    );
}

#[test]
fn win_back_after_180_days() {
    let v = version(json!({
        "trigger": {"event": "schedule", "cron": "0 10 * * 1"},
        "conditions": {"type": "script", "source":
            "let days = client.days_since_last_visit;\ndays != () && days >= 180 && !client.opted_out"},
        "actions": [
            {"type": "send_sms", "to": "client", "template":
                "We miss you, {{ client.first_name }}! It's been a while since our last visit. Want to book a walk this week?"},
            {"type": "add_tag", "tag": "win-back"}
        ]
    }));
    let payload = sample(Trigger::Schedule);
    assert_eq!(
        texts(&v, &payload),
        [
            "We miss you, John! It's been a while since our last visit. Want to book a walk this week?"
        ]
    );
    // A client seen last week is not texted.
    let mut recent = payload.clone();
    recent["client"]["days_since_last_visit"] = json!(4);
    let compiled = v.compile().unwrap();
    assert!(!evaluate(&compiled, &recent).unwrap().conditions_passed);
    // Nor is one never seen.
    recent["client"]["days_since_last_visit"] = Value::Null;
    assert!(!evaluate(&compiled, &recent).unwrap().conditions_passed);
}
