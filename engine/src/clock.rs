//! Time comes from an injected clock so tests can move it (windows, reminders, quiet hours).

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch, UTC: the one time type stored in the database.
pub type Millis = i64;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Offset added to the system time; tests move it forward, production leaves it at 0.
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Millis {
        Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

pub fn to_datetime(ms: Millis) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// RFC 3339 with milliseconds and a `Z`, the format of every time in the JSON API.
pub fn to_rfc3339(ms: Millis) -> String {
    to_datetime(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn parse_rfc3339(field: &'static str, s: &str) -> crate::Result<Millis> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            crate::Error::invalid(
                field,
                "must be an RFC 3339 time such as 2026-01-19T15:00:00Z",
            )
        })
}

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// Serializes stored milliseconds as the API's RFC 3339 text.
pub fn serialize_millis<S: serde::Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(*ms))
}

pub fn serialize_opt_millis<S: serde::Serializer>(
    ms: &Option<Millis>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&to_rfc3339(*ms)),
        None => s.serialize_none(),
    }
}
