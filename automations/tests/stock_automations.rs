//! The stock automations shipped in `scripts/` save and test cleanly against their
//! triggers' samples, and say what the product promises.

use automations::plan::{AutomationVersion, evaluate};
use automations::triggers::{Trigger, sample};
use serde_json::{Value, json};

/// A stock automation as the engine loads it: the JSON file, with the `.rhai` beside it
/// (if any) as its conditions.
fn version(file: &str, script: Option<&str>) -> AutomationVersion {
    let mut json: Value = serde_json::from_str(file).unwrap();
    if let Some(source) = script {
        json["conditions"] = json!({"type": "script", "source": source.trim()});
    }
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
    let v = version(
        include_str!("../../scripts/appointment-reminder.json"),
        None,
    );
    assert_eq!(
        texts(&v, &sample(Trigger::AppointmentUpcoming)),
        ["Hi John, a reminder from Snout Pet Care: your dog walk is Mon, Jan 19 at 10:00 AM."]
    );
}

#[test]
fn booking_confirmation() {
    let v = version(
        include_str!("../../scripts/booking-confirmation.json"),
        None,
    );
    assert_eq!(
        texts(&v, &sample(Trigger::BookingCreated)),
        [
            "Thanks John! Your booking for Mon, Jan 19 at 10:00 AM is in. We'll confirm your sitter soon."
        ]
    );
}

#[test]
fn sitter_assigned() {
    let v = version(include_str!("../../scripts/sitter-assigned.json"), None);
    assert_eq!(
        texts(&v, &sample(Trigger::BookingAssigned)),
        ["Sarah will be visiting on Mon, Jan 19 at 10:00 AM."]
    );
}

#[test]
fn post_visit_thank_you_an_hour_later() {
    let v = version(
        include_str!("../../scripts/post-visit-thank-you.json"),
        None,
    );
    assert_eq!(
        texts(&v, &sample(Trigger::BookingCompleted)),
        ["Thanks for having Sarah today, John! Reply any time to book again."]
    );
}

#[test]
fn lead_follow_up_next_day() {
    let v = version(include_str!("../../scripts/lead-follow-up.json"), None);
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
    let v = version(
        include_str!("../../scripts/win-back.json"),
        Some(include_str!("../../scripts/win-back.rhai")),
    );
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
