//! The trigger catalogue: which domain events can start an automation, what each one's
//! payload holds, and a realistic sample of it.
//!
//! A payload is a JSON object whose top-level keys are the [`Object`]s the trigger lists
//! (`org`, `client`, `booking`, …). Every key of every object is always present, `null`
//! when it has no value, so a condition or template that names a field never meets a
//! missing key. The engine builds payloads from the typed structs in [`payload`]; the
//! field catalogue in [`fields`] is what conditions and templates are checked against, and
//! a test keeps the two in step.

pub mod fields;
pub mod payload;
mod sample;
pub mod schedule;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The time zone type schedules are read in, so callers need not depend on chrono-tz.
pub use chrono_tz::Tz;
pub use fields::{Field, FieldKind, Object};
pub use sample::{sample, sample_payload};
pub use schedule::{Schedule, ScheduleError, parse_time_zone};

/// A domain event an automation can start on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Trigger {
    #[serde(rename = "client.created")]
    ClientCreated,
    #[serde(rename = "booking.created")]
    BookingCreated,
    #[serde(rename = "booking.assigned")]
    BookingAssigned,
    #[serde(rename = "booking.completed")]
    BookingCompleted,
    #[serde(rename = "booking.cancelled")]
    BookingCancelled,
    #[serde(rename = "message.received")]
    MessageReceived,
    #[serde(rename = "lead.created")]
    LeadCreated,
    #[serde(rename = "opt_out")]
    OptOut,
    /// Fires a configured time before each visit starts (every visit of a weekly booking).
    #[serde(rename = "appointment.upcoming")]
    AppointmentUpcoming,
    /// Fires on a cron schedule in the org's time zone, once per client of the org, so
    /// the conditions pick the segment (win-back, retention).
    #[serde(rename = "schedule")]
    Schedule,
}

impl Trigger {
    pub const ALL: [Trigger; 10] = [
        Self::ClientCreated,
        Self::BookingCreated,
        Self::BookingAssigned,
        Self::BookingCompleted,
        Self::BookingCancelled,
        Self::MessageReceived,
        Self::LeadCreated,
        Self::OptOut,
        Self::AppointmentUpcoming,
        Self::Schedule,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientCreated => "client.created",
            Self::BookingCreated => "booking.created",
            Self::BookingAssigned => "booking.assigned",
            Self::BookingCompleted => "booking.completed",
            Self::BookingCancelled => "booking.cancelled",
            Self::MessageReceived => "message.received",
            Self::LeadCreated => "lead.created",
            Self::OptOut => "opt_out",
            Self::AppointmentUpcoming => "appointment.upcoming",
            Self::Schedule => "schedule",
        }
    }

    /// What the builder shows next to the trigger's name.
    pub fn description(self) -> &'static str {
        match self {
            Self::ClientCreated => "A client was added.",
            Self::BookingCreated => "A booking was made (it may not have a sitter yet).",
            Self::BookingAssigned => "A sitter was assigned to a booking.",
            Self::BookingCompleted => "A visit with a sitter was marked completed.",
            Self::BookingCancelled => "A booking was cancelled.",
            Self::MessageReceived => "A client texted the business.",
            Self::LeadCreated => "A prospective client got in touch.",
            Self::OptOut => "A client texted STOP (or START to opt back in).",
            Self::AppointmentUpcoming => "Each visit (weekly ones too) starts within the set time.",
            Self::Schedule => "A cron schedule fired; runs once per client of the org.",
        }
    }

    /// The top-level keys of this trigger's payload. `sitter` is only listed where a
    /// sitter is certain to be assigned; elsewhere `booking.sitter` may be null.
    pub fn objects(self) -> &'static [Object] {
        use Object::*;
        match self {
            Self::ClientCreated => &[Org, Client],
            Self::BookingCreated | Self::BookingCancelled => &[Org, Client, Booking],
            Self::BookingAssigned | Self::BookingCompleted => &[Org, Client, Booking, Sitter],
            Self::MessageReceived => &[Org, Client, Message],
            Self::LeadCreated => &[Org, Client, Lead],
            Self::OptOut => &[Org, Client, OptOut],
            Self::AppointmentUpcoming => &[Org, Client, Booking, Reminder],
            Self::Schedule => &[Org, Client, Schedule],
        }
    }

    pub fn has(self, object: Object) -> bool {
        self.objects().contains(&object)
    }

    /// Looks up a dotted field path (`client.first_name`, `booking.sitter.name`).
    pub fn field(self, path: &str) -> Option<&'static Field> {
        let (root, rest) = path.split_once('.')?;
        let object = self.objects().iter().find(|o| o.key() == root)?;
        fields::find(object.fields(), rest)
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown trigger `{0}`")]
pub struct UnknownTrigger(pub String);

impl FromStr for Trigger {
    type Err = UnknownTrigger;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTrigger(s.to_owned()))
    }
}

/// Shortest and longest `appointment.upcoming` offset: one minute to thirty days.
pub const OFFSET_MINUTES: std::ops::RangeInclusive<i64> = 1..=30 * 24 * 60;

/// A trigger with its settings, as an automation version stores it:
/// `{"event": "appointment.upcoming", "offset_minutes": 1440}`,
/// `{"event": "schedule", "cron": "0 9 * * Mon-Fri"}`, `{"event": "client.created"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum TriggerSpec {
    #[serde(rename = "client.created")]
    ClientCreated,
    #[serde(rename = "booking.created")]
    BookingCreated,
    #[serde(rename = "booking.assigned")]
    BookingAssigned,
    #[serde(rename = "booking.completed")]
    BookingCompleted,
    #[serde(rename = "booking.cancelled")]
    BookingCancelled,
    #[serde(rename = "message.received")]
    MessageReceived,
    #[serde(rename = "lead.created")]
    LeadCreated,
    #[serde(rename = "opt_out")]
    OptOut,
    #[serde(rename = "appointment.upcoming")]
    AppointmentUpcoming { offset_minutes: i64 },
    /// A five-field crontab (`minute hour day-of-month month day-of-week`) or `@daily`
    /// and friends, read in the org's time zone.
    #[serde(rename = "schedule")]
    Schedule { cron: String },
}

impl TriggerSpec {
    pub fn trigger(&self) -> Trigger {
        match self {
            Self::ClientCreated => Trigger::ClientCreated,
            Self::BookingCreated => Trigger::BookingCreated,
            Self::BookingAssigned => Trigger::BookingAssigned,
            Self::BookingCompleted => Trigger::BookingCompleted,
            Self::BookingCancelled => Trigger::BookingCancelled,
            Self::MessageReceived => Trigger::MessageReceived,
            Self::LeadCreated => Trigger::LeadCreated,
            Self::OptOut => Trigger::OptOut,
            Self::AppointmentUpcoming { .. } => Trigger::AppointmentUpcoming,
            Self::Schedule { .. } => Trigger::Schedule,
        }
    }

    /// Checks the settings; `Err` names what is wrong in words an owner can act on.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::AppointmentUpcoming { offset_minutes } => {
                if OFFSET_MINUTES.contains(offset_minutes) {
                    Ok(())
                } else {
                    Err("the reminder offset must be between 1 minute and 30 days".to_owned())
                }
            }
            Self::Schedule { cron } => Schedule::parse(cron).map(drop).map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    }
}

/// Checks that a payload has exactly the trigger's top-level objects, each an object (or
/// `null` for none). The engine calls this before storing an event it built.
pub fn check_payload(trigger: Trigger, payload: &serde_json::Value) -> Result<(), String> {
    let map = payload
        .as_object()
        .ok_or_else(|| "the payload must be a JSON object".to_owned())?;
    for object in trigger.objects() {
        match map.get(object.key()) {
            Some(serde_json::Value::Object(_)) => {}
            Some(_) => return Err(format!("`{}` must be an object", object.key())),
            None => return Err(format!("`{}` is missing", object.key())),
        }
    }
    if let Some(extra) = map
        .keys()
        .find(|k| !trigger.objects().iter().any(|o| o.key() == k.as_str()))
    {
        return Err(format!("`{extra}` is not part of a {trigger} payload"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_names_round_trip_through_str_and_serde() {
        for t in Trigger::ALL {
            assert_eq!(t.as_str().parse::<Trigger>().unwrap(), t);
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert!("booking.deleted".parse::<Trigger>().is_err());
    }

    #[test]
    fn trigger_spec_serializes_with_its_settings() {
        let spec: TriggerSpec =
            serde_json::from_str(r#"{"event":"appointment.upcoming","offset_minutes":1440}"#)
                .unwrap();
        assert_eq!(
            spec,
            TriggerSpec::AppointmentUpcoming {
                offset_minutes: 1440
            }
        );
        assert_eq!(spec.trigger(), Trigger::AppointmentUpcoming);
        let plain: TriggerSpec = serde_json::from_str(r#"{"event":"client.created"}"#).unwrap();
        assert_eq!(plain.trigger(), Trigger::ClientCreated);
    }

    #[test]
    fn trigger_settings_are_validated() {
        let offset = |offset_minutes| TriggerSpec::AppointmentUpcoming { offset_minutes };
        assert!(offset(1).validate().is_ok());
        assert!(offset(43_200).validate().is_ok());
        assert!(offset(0).validate().is_err());
        assert!(offset(43_201).validate().is_err());
        let cron = |c: &str| TriggerSpec::Schedule { cron: c.to_owned() };
        assert!(cron("0 9 * * Mon").validate().is_ok());
        assert!(cron("every day").validate().is_err());
    }

    #[test]
    fn fields_are_found_by_dotted_path() {
        let t = Trigger::BookingCreated;
        assert_eq!(t.field("client.first_name").unwrap().kind, FieldKind::Text);
        assert_eq!(
            t.field("booking.sitter.name").unwrap().kind,
            FieldKind::Text
        );
        assert!(t.field("sitter.name").is_none(), "no top-level sitter yet");
        assert!(
            Trigger::BookingAssigned
                .field("sitter.first_name")
                .is_some()
        );
        assert!(t.field("client").is_none());
        assert!(t.field("client.nope").is_none());
    }

    #[test]
    fn payload_shape_is_checked() {
        let t = Trigger::ClientCreated;
        assert!(check_payload(t, &sample(t)).is_ok());
        let mut extra = sample(t);
        extra["booking"] = serde_json::json!({});
        assert!(check_payload(t, &extra).unwrap_err().contains("booking"));
        let mut missing = sample(t);
        missing.as_object_mut().unwrap().remove("org");
        assert!(check_payload(t, &missing).unwrap_err().contains("org"));
    }
}
