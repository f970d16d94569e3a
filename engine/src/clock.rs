//! Time comes from an injected clock so tests can move it (windows, reminders, quiet hours).

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use automations::triggers::Tz;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

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

/// A time zone by its IANA name (an org's `time_zone`); UTC for a name we do not know,
/// so a bad setting shifts days rather than breaking pages.
pub fn zone(name: &str) -> Tz {
    automations::triggers::parse_time_zone(name).unwrap_or_else(|_| {
        tracing::warn!(time_zone = name, "unknown time zone; using UTC");
        Tz::UTC
    })
}

/// The calendar date at `ms` in `zone`.
pub fn local_date(ms: Millis, zone: Tz) -> NaiveDate {
    to_datetime(ms).with_timezone(&zone).date_naive()
}

/// The first instant of `date` in `zone`: midnight, or, where a daylight-saving change
/// skips midnight, the first hour that exists.
pub fn day_start(date: NaiveDate, zone: Tz) -> Millis {
    (0..4)
        .find_map(|h| {
            let t = date.and_hms_opt(h, 0, 0)?;
            zone.from_local_datetime(&t).earliest()
        })
        .map_or_else(
            || date.and_time(NaiveTime::MIN).and_utc().timestamp_millis(),
            |t| t.timestamp_millis(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn days_begin_at_local_midnight() {
        let ny = zone("America/New_York");
        // 05:00 UTC is midnight in New York in winter, 04:00 in summer.
        assert_eq!(
            to_rfc3339(day_start(date("2026-11-22"), ny)),
            "2026-11-22T05:00:00.000Z"
        );
        assert_eq!(
            to_rfc3339(day_start(date("2026-07-04"), ny)),
            "2026-07-04T04:00:00.000Z"
        );
        // 03:30 UTC on the 22nd is still the 21st in New York.
        let t = parse_rfc3339("t", "2026-11-22T03:30:00Z").unwrap();
        assert_eq!(local_date(t, ny), date("2026-11-21"));
        assert_eq!(local_date(t, Tz::UTC), date("2026-11-22"));
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_begins_at_one() {
        // Chile moves its clocks from 00:00 to 01:00 on the first Sunday of September.
        let santiago = zone("America/Santiago");
        assert_eq!(
            to_rfc3339(day_start(date("2026-09-06"), santiago)),
            "2026-09-06T04:00:00.000Z"
        );
    }

    #[test]
    fn an_unknown_zone_is_utc() {
        assert_eq!(zone("Mars/Olympus"), Tz::UTC);
    }
}
