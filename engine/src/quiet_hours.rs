//! An org's quiet hours: a daily stretch of local time (22:00–08:00, say) in which no
//! automated text goes out. A text due inside them waits until they end. Texts a person
//! writes by hand are theirs to time and are not held.

use automations::triggers::Tz;
use chrono::{Duration, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::{
    Db, Error, Result,
    clock::{self, Millis},
    db,
};

/// Start and end as minutes after local midnight; `start > end` spans midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start_min: i32,
    pub end_min: i32,
}

impl QuietHours {
    /// From `"HH:MM"` texts, naming the field that is wrong.
    pub fn parse(start: &str, end: &str) -> Result<Self> {
        let start_min = parse_hhmm("quietHours.start", start)?;
        let end_min = parse_hhmm("quietHours.end", end)?;
        if start_min == end_min {
            return Err(Error::invalid(
                "quietHours.end",
                "must differ from the start",
            ));
        }
        Ok(Self { start_min, end_min })
    }

    pub fn start(&self) -> String {
        hhmm(self.start_min)
    }

    pub fn end(&self) -> String {
        hhmm(self.end_min)
    }

    fn contains(&self, minute: i32) -> bool {
        if self.start_min < self.end_min {
            (self.start_min..self.end_min).contains(&minute)
        } else {
            minute >= self.start_min || minute < self.end_min
        }
    }

    /// When a text due at `now` may go out: `None` if now, else the end of the quiet
    /// hours in `zone` (the first instant at or after the local end time).
    pub fn hold_until(&self, zone: Tz, now: Millis) -> Option<Millis> {
        let local = clock::to_datetime(now).with_timezone(&zone);
        let minute = local
            .time()
            .signed_duration_since(NaiveTime::MIN)
            .num_minutes() as i32;
        if !self.contains(minute) {
            return None;
        }
        let end = NaiveTime::MIN + Duration::minutes(i64::from(self.end_min));
        let mut day = local.date_naive();
        if minute >= self.end_min {
            day = day.succ_opt()?;
        }
        // A local end time that falls in a spring-forward gap: an hour later exists.
        let at = day.and_time(end);
        let resolved = zone.from_local_datetime(&at).earliest().or_else(|| {
            zone.from_local_datetime(&(at + Duration::hours(1)))
                .earliest()
        })?;
        Some(resolved.timestamp_millis())
    }
}

fn parse_hhmm(field: &'static str, s: &str) -> Result<i32> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map(|t| t.signed_duration_since(NaiveTime::MIN).num_minutes() as i32)
        .map_err(|_| Error::invalid(field, "must be a time such as 21:30"))
}

fn hhmm(min: i32) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// The org's quiet hours (if any) and time zone.
pub async fn of_org(db: &Db, org_id: &str) -> Result<(Option<QuietHours>, Tz)> {
    let row: Option<(Option<i32>, Option<i32>, String)> = db!(db, c => sqlx::query_as(
        "select quiet_start_min, quiet_end_min, time_zone from org where org_id = $1")
        .bind(org_id).fetch_optional(c).await)?;
    let (start, end, zone) = row.ok_or(Error::NotFound("org"))?;
    let zone = clock::zone(&zone);
    let quiet = start
        .zip(end)
        .map(|(start_min, end_min)| QuietHours { start_min, end_min });
    Ok((quiet, zone))
}

/// Sets or clears the org's quiet hours.
pub async fn set(db: &Db, org_id: &str, quiet: Option<QuietHours>) -> Result<()> {
    let _turn = db.write_turn().await;
    db!(db, c => sqlx::query(
        "update org set quiet_start_min = $2, quiet_end_min = $3 where org_id = $1")
        .bind(org_id).bind(quiet.map(|q| q.start_min)).bind(quiet.map(|q| q.end_min))
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Millis {
        zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn overnight_quiet_hours_hold_until_the_morning() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let q = QuietHours::parse("21:00", "08:00").unwrap();
        assert_eq!(q.hold_until(ny, at(ny, 2026, 1, 19, 12, 0)), None);
        assert_eq!(q.hold_until(ny, at(ny, 2026, 1, 19, 20, 59)), None);
        assert_eq!(
            q.hold_until(ny, at(ny, 2026, 1, 19, 21, 0)),
            Some(at(ny, 2026, 1, 20, 8, 0))
        );
        assert_eq!(
            q.hold_until(ny, at(ny, 2026, 1, 20, 3, 30)),
            Some(at(ny, 2026, 1, 20, 8, 0))
        );
        assert_eq!(q.hold_until(ny, at(ny, 2026, 1, 20, 8, 0)), None);
    }

    #[test]
    fn daytime_quiet_hours_end_the_same_day() {
        let q = QuietHours::parse("12:00", "13:30").unwrap();
        let utc = Tz::UTC;
        assert_eq!(
            q.hold_until(utc, at(utc, 2026, 3, 1, 12, 15)),
            Some(at(utc, 2026, 3, 1, 13, 30))
        );
        assert_eq!(q.hold_until(utc, at(utc, 2026, 3, 1, 13, 30)), None);
    }

    #[test]
    fn bad_times_name_their_field() {
        let err = QuietHours::parse("25:00", "08:00").unwrap_err().to_string();
        assert!(err.starts_with("quietHours.start"), "{err}");
        let err = QuietHours::parse("08:00", "08:00").unwrap_err().to_string();
        assert!(err.starts_with("quietHours.end"), "{err}");
        assert_eq!(QuietHours::parse("7:05", "23:59").unwrap().start(), "07:05");
    }
}
