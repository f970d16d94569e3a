//! `schedule` triggers: a five-field crontab read in the org's time zone.
//!
//! The `cron` crate wants a seconds field first, so `0 ` is prepended; and it numbers days
//! of the week 1 = Sunday … 7 = Saturday where crontab says 0 (or 7) = Sunday … 6 =
//! Saturday, so the day-of-week field is rewritten into day names before it is handed
//! over (`1-5` becomes `Mon,Tue,Wed,Thu,Fri`). `@hourly`, `@daily`, `@weekly` (Sunday
//! midnight), `@monthly` and `@yearly` are accepted as they are.
//!
//! When both day of month and day of week are restricted, a day must match both (the
//! `cron` crate's rule; Vixie cron fires on either): `0 9 1 * Mon` is "9:00 on a Monday
//! that is the 1st".
//!
//! A schedule may fire at most once an hour: it runs once per client of the org, and a
//! text to every client every minute is never what an owner meant.
//!
//! Daylight saving time, as the `cron` crate does it: a time in the skipped spring-forward
//! hour does not fire that day; a time in the repeated fall-back hour fires twice (the
//! engine dedupes by schedule and fire time in UTC, which differ).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a schedule has five fields: minute hour day-of-month month day-of-week")]
    FieldCount,
    #[error("day of week `{0}` is not 0–7 or a day name (Sun, Mon, …)")]
    DayOfWeek(String),
    #[error("not a valid schedule: {0}")]
    Invalid(String),
    #[error("this schedule never fires")]
    Never,
    #[error("a schedule may fire at most once an hour")]
    TooFrequent,
    #[error("unknown time zone `{0}`")]
    TimeZone(String),
}

/// A parsed, validated schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    expression: String,
    cron: cron::Schedule,
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

impl Schedule {
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let expression = expression.trim();
        let translated = if expression.starts_with('@') {
            expression.to_owned()
        } else {
            let fields: Vec<&str> = expression.split_whitespace().collect();
            let [minute, hour, day, month, weekday] = fields[..] else {
                return Err(ScheduleError::FieldCount);
            };
            format!("0 {minute} {hour} {day} {month} {}", days_of_week(weekday)?)
        };
        let cron: cron::Schedule = translated
            .parse()
            .map_err(|e: cron::error::Error| ScheduleError::Invalid(e.to_string()))?;
        let schedule = Self {
            expression: expression.to_owned(),
            cron,
        };
        schedule.check_frequency()?;
        Ok(schedule)
    }

    /// The expression as the owner wrote it.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first fire time strictly after `after`, reading the schedule in `zone`.
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        self.upcoming(after, zone).next()
    }

    /// Fire times strictly after `after`, in order, reading the schedule in `zone`.
    pub fn upcoming(
        &self,
        after: DateTime<Utc>,
        zone: Tz,
    ) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.cron
            .after(&after.with_timezone(&zone))
            .map(|t| t.with_timezone(&Utc))
    }

    fn check_frequency(&self) -> Result<(), ScheduleError> {
        let start = Utc.timestamp_opt(1_767_225_600, 0).single(); // 2026-01-01
        let mut times = self.upcoming(start.unwrap_or_default(), Tz::UTC).take(50);
        let mut last = times.next().ok_or(ScheduleError::Never)?;
        for t in times {
            if t - last < TimeDelta::hours(1) {
                return Err(ScheduleError::TooFrequent);
            }
            last = t;
        }
        Ok(())
    }
}

/// An org's time zone by its IANA name.
pub fn parse_time_zone(name: &str) -> Result<Tz, ScheduleError> {
    name.parse()
        .map_err(|_| ScheduleError::TimeZone(name.to_owned()))
}

/// Rewrites a crontab day-of-week field (`1-5`, `0,6`, `*/2`, `Mon-Fri`) as day names.
fn days_of_week(field: &str) -> Result<String, ScheduleError> {
    if field == "*" || field == "?" {
        return Ok("*".to_owned());
    }
    let bad = || ScheduleError::DayOfWeek(field.to_owned());
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<usize>().map_err(|_| bad())?),
            None => (part, 1),
        };
        if step == 0 {
            return Err(bad());
        }
        let (from, to) = match range.split_once('-') {
            _ if range == "*" => (0, 6),
            Some((a, b)) => (day(a).ok_or_else(bad)?, day(b).ok_or_else(bad)?),
            // `5/2` means from Friday to the end of the week, every other day.
            None if part.contains('/') => (day(range).ok_or_else(bad)?, 6),
            None => {
                let d = day(range).ok_or_else(bad)?;
                (d, d)
            }
        };
        // 7 is Sunday again, so `5-7` is Fri, Sat, Sun.
        if from > to {
            return Err(bad());
        }
        for d in (from..=to).step_by(step) {
            days[d % 7] = true;
        }
    }
    let names: Vec<&str> = (0..7).filter(|&d| days[d]).map(|d| DAYS[d]).collect();
    Ok(names.join(","))
}

/// 0–7 (0 and 7 are Sunday) or a three-letter day name.
fn day(s: &str) -> Option<usize> {
    if let Ok(n) = s.parse::<usize>() {
        return (n <= 7).then_some(n);
    }
    DAYS.iter().position(|d| d.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn next(expr: &str, after: &str, zone: &str) -> String {
        let schedule = Schedule::parse(expr).unwrap();
        let zone = parse_time_zone(zone).unwrap();
        schedule
            .next_after(utc(after), zone)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    #[test]
    fn day_of_week_numbers_follow_crontab() {
        assert_eq!(days_of_week("1-5").unwrap(), "Mon,Tue,Wed,Thu,Fri");
        assert_eq!(days_of_week("0").unwrap(), "Sun");
        assert_eq!(days_of_week("7").unwrap(), "Sun");
        assert_eq!(days_of_week("5-7").unwrap(), "Sun,Fri,Sat");
        assert_eq!(days_of_week("*/2").unwrap(), "Sun,Tue,Thu,Sat");
        assert_eq!(days_of_week("mon,WED").unwrap(), "Mon,Wed");
        assert_eq!(days_of_week("Mon-Fri").unwrap(), "Mon,Tue,Wed,Thu,Fri");
        assert_eq!(days_of_week("*").unwrap(), "*");
        for bad in ["8", "Fri-Mon", "x", "1/0", "", "1-"] {
            assert!(days_of_week(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_fire_times_are_read_in_the_org_time_zone() {
        // 2026-01-19 is a Monday; 09:00 in New York is 14:00 UTC in winter.
        assert_eq!(
            next("0 9 * * 1", "2026-01-19T00:00:00Z", "America/New_York"),
            "2026-01-19T14:00:00Z"
        );
        // After that tick, the next weekday (1-5) is Tuesday.
        assert_eq!(
            next("0 9 * * 1-5", "2026-01-19T14:00:00Z", "America/New_York"),
            "2026-01-20T14:00:00Z"
        );
        // Sunday is 0: the next Sunday after Monday the 19th is the 25th.
        assert_eq!(
            next("30 17 * * 0", "2026-01-19T00:00:00Z", "Europe/London"),
            "2026-01-25T17:30:00Z"
        );
        // Summer time: 09:00 in New York is 13:00 UTC.
        assert_eq!(
            next("0 9 1 7 *", "2026-01-01T00:00:00Z", "America/New_York"),
            "2026-07-01T13:00:00Z"
        );
        assert_eq!(
            next("@daily", "2026-01-19T06:00:00Z", "America/New_York"),
            "2026-01-20T05:00:00Z"
        );
    }

    #[test]
    fn day_of_month_and_day_of_week_must_both_match() {
        // Unlike Vixie cron's "either", the cron crate wants both: the first Monday
        // that is the 1st after New Year 2026 (a Thursday) is June 1st.
        assert_eq!(
            next("0 9 1 * Mon", "2026-01-01T00:00:00Z", "UTC"),
            "2026-06-01T09:00:00Z"
        );
    }

    #[test]
    fn daylight_saving_skips_the_missing_hour_and_repeats_the_doubled_one() {
        let schedule = Schedule::parse("30 2 * * *").unwrap();
        let ny = parse_time_zone("America/New_York").unwrap();
        // 2026-03-08 02:30 does not exist in New York: that day is skipped.
        let spring: Vec<_> = schedule
            .upcoming(utc("2026-03-07T00:00:00Z"), ny)
            .take(2)
            .collect();
        assert_eq!(
            spring,
            [utc("2026-03-07T07:30:00Z"), utc("2026-03-09T06:30:00Z")]
        );
        // 2026-11-01 01:30 happens twice.
        let doubled = Schedule::parse("30 1 * * *").unwrap();
        let fall: Vec<_> = doubled
            .upcoming(utc("2026-11-01T00:00:00Z"), ny)
            .take(2)
            .collect();
        assert_eq!(
            fall,
            [utc("2026-11-01T05:30:00Z"), utc("2026-11-01T06:30:00Z")]
        );
    }

    #[test]
    fn invalid_and_too_frequent_schedules_are_refused() {
        let err = |s| Schedule::parse(s).unwrap_err();
        assert_eq!(err("0 0 9 * * *"), ScheduleError::FieldCount);
        assert_eq!(err("9 * *"), ScheduleError::FieldCount);
        assert!(matches!(err("61 * * * *"), ScheduleError::Invalid(_)));
        assert!(matches!(err("0 9 * * 9"), ScheduleError::DayOfWeek(_)));
        assert_eq!(err("* * * * *"), ScheduleError::TooFrequent);
        assert_eq!(err("0,30 9 * * *"), ScheduleError::TooFrequent);
        assert_eq!(err("0 0 30 2 *"), ScheduleError::Never);
        assert!(Schedule::parse("@hourly").is_ok());
        assert!(Schedule::parse("  0 10 * * Mon  ").is_ok());
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }
}
