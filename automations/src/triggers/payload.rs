//! Typed payload objects. The engine fills these from its rows and serializes a
//! [`Payload`] to the JSON that scripts and templates see; a test checks that they match
//! the field catalogue key for key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Org {
    pub name: String,
    pub time_zone: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub first_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub opted_out: bool,
    pub created_at: DateTime<Utc>,
    pub visits_count: i64,
    pub last_visit_at: Option<DateTime<Utc>>,
    pub days_since_last_visit: Option<i64>,
}

/// A sitter as the payload names one: at top level (`sitter`) and as `booking.sitter`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sitter {
    pub id: String,
    pub first_name: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub id: String,
    pub service_type: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: String,
    pub recurring: bool,
    pub sitter: Option<Sitter>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub thread_id: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub source: String,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptOut {
    pub keyword: String,
    pub opted_out: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reminder {
    pub offset_minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleTick {
    pub cron: String,
    pub fired_at: DateTime<Utc>,
}

/// A whole payload: the objects a trigger lists are `Some`, the rest `None` (and left
/// out of the JSON). [`super::check_payload`] says whether it fits a trigger.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Org>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<Booking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sitter: Option<Sitter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<Lead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_out: Option<OptOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<Reminder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleTick>,
}

impl Payload {
    pub fn to_json(&self) -> serde_json::Value {
        // A struct of strings, numbers and times always serializes.
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The first word of a name: "Sarah Johnson" → "Sarah".
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or("")
}
