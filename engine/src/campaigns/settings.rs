//! A campaign's settings: what each kind's segment is and how big a run may be. The same
//! names are the JSON keys a campaign stores, the query parameters of the send endpoints
//! and the field names in errors (`hours_ahead`, `min_days_since_last_visit`, …), so a
//! 400 names exactly what the caller wrote.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use super::Kind;
use crate::{Error, Problems, Result, fields};

pub const HOURS_AHEAD: RangeInclusive<i64> = 1..=168;
pub const FOLLOW_UP_DAYS: RangeInclusive<i64> = 1..=90;
pub const MIN_DAYS_SINCE_LAST_VISIT: RangeInclusive<i64> = 30..=1095;
pub const MAX_MESSAGES: RangeInclusive<i64> = 1..=1000;
pub const COOLDOWN_DAYS: RangeInclusive<i64> = 1..=1095;

pub const DEFAULT_HOURS_AHEAD: i64 = 24;
pub const DEFAULT_FOLLOW_UP_DAYS: i64 = 7;
pub const DEFAULT_MIN_DAYS: i64 = 180;
pub const DEFAULT_MAX_MESSAGES: i64 = 50;
pub const DEFAULT_COOLDOWN_DAYS: i64 = 90;
pub const DEFAULT_CAMPAIGN_TYPE: &str = "win_back";

/// Every setting any kind reads; each kind reads its own and ignores the rest. Absent:
/// the default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Reminders: bookings starting within this many hours (1–168, default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_ahead: Option<i64>,
    /// Follow-ups: leads from the last this many days (1–90, default 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    /// Win-back: last completed visit at least this many days ago (30–1095, default 180).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_days_since_last_visit: Option<i64>,
    /// Win-back: at most this many texts per run (1–1000, default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_messages: Option<i64>,
    /// Win-back: the campaign's name in the counters (`retention_sent:<type>`) and its
    /// cool-down (default `win_back`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_type: Option<String>,
    /// Win-back: only clients with a completed visit of this service type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Win-back: only clients with this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Win-back: no second text of the same campaign type within this many days (1–1095,
    /// default 90).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_days: Option<i64>,
}

/// A whole number in `range`, from text (a query parameter); absent or empty: `None`.
pub fn parse_number(
    field: &'static str,
    raw: Option<&str>,
    range: RangeInclusive<i64>,
) -> Result<Option<i64>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let n: i64 = raw.parse().map_err(|_| out_of(field, &range))?;
    in_range(field, n, &range).map(Some)
}

fn out_of(field: &'static str, range: &RangeInclusive<i64>) -> Error {
    Error::invalid(
        field,
        format!(
            "must be a whole number from {} to {}",
            range.start(),
            range.end()
        ),
    )
}

fn in_range(field: &'static str, n: i64, range: &RangeInclusive<i64>) -> Result<i64> {
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(out_of(field, range))
    }
}

/// A campaign type: lower-case letters, digits, `_` and `-`, 1–40 characters.
fn campaign_type(raw: &str) -> Result<String> {
    let t = raw.trim().to_lowercase();
    let ok = (1..=40).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(t)
    } else {
        Err(Error::invalid(
            "campaign_type",
            "must be 1–40 letters, digits, _ or -, such as win_back",
        ))
    }
}

impl Settings {
    /// Checks every value, naming each bad one; trims and normalises the texts.
    pub fn checked(mut self) -> Result<Self> {
        let mut p = Problems::default();
        let numbers = [
            ("hours_ahead", self.hours_ahead, HOURS_AHEAD),
            ("days", self.days, FOLLOW_UP_DAYS),
            (
                "min_days_since_last_visit",
                self.min_days_since_last_visit,
                MIN_DAYS_SINCE_LAST_VISIT,
            ),
            ("max_messages", self.max_messages, MAX_MESSAGES),
            ("cooldown_days", self.cooldown_days, COOLDOWN_DAYS),
        ];
        for (field, value, range) in numbers {
            if let Some(n) = value {
                p.check(in_range(field, n, &range))?;
            }
        }
        let blank = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        self.campaign_type = match blank(&self.campaign_type) {
            Some(t) => p.check(campaign_type(&t))?,
            None => None,
        };
        self.service_type = match blank(&self.service_type) {
            Some(s) => p.check(fields::name("service_type", &s, 60))?,
            None => None,
        };
        self.tag = match blank(&self.tag) {
            Some(t) => p
                .check(fields::tags("tag", &[t]))?
                .and_then(|t| t.into_iter().next()),
            None => None,
        };
        p.finish()?;
        Ok(self)
    }

    /// These settings over `base`: a value given here wins.
    pub fn over(self, base: &Settings) -> Settings {
        Settings {
            hours_ahead: self.hours_ahead.or(base.hours_ahead),
            days: self.days.or(base.days),
            min_days_since_last_visit: self
                .min_days_since_last_visit
                .or(base.min_days_since_last_visit),
            max_messages: self.max_messages.or(base.max_messages),
            campaign_type: self.campaign_type.or_else(|| base.campaign_type.clone()),
            service_type: self.service_type.or_else(|| base.service_type.clone()),
            tag: self.tag.or_else(|| base.tag.clone()),
            cooldown_days: self.cooldown_days.or(base.cooldown_days),
        }
    }

    /// What a run of `kind` uses: its own settings, defaults filled in, the rest left out.
    pub fn for_kind(&self, kind: Kind) -> Settings {
        match kind {
            Kind::Reminders => Settings {
                hours_ahead: Some(self.hours_ahead()),
                ..Settings::default()
            },
            Kind::FollowUps => Settings {
                days: Some(self.days()),
                ..Settings::default()
            },
            Kind::Retention => Settings {
                min_days_since_last_visit: Some(self.min_days()),
                max_messages: Some(self.max_messages()),
                campaign_type: Some(self.campaign_type().to_owned()),
                service_type: self.service_type.clone(),
                tag: self.tag.clone(),
                cooldown_days: Some(self.cooldown_days()),
                ..Settings::default()
            },
        }
    }

    pub fn hours_ahead(&self) -> i64 {
        self.hours_ahead.unwrap_or(DEFAULT_HOURS_AHEAD)
    }

    pub fn days(&self) -> i64 {
        self.days.unwrap_or(DEFAULT_FOLLOW_UP_DAYS)
    }

    pub fn min_days(&self) -> i64 {
        self.min_days_since_last_visit.unwrap_or(DEFAULT_MIN_DAYS)
    }

    pub fn max_messages(&self) -> i64 {
        self.max_messages.unwrap_or(DEFAULT_MAX_MESSAGES)
    }

    pub fn campaign_type(&self) -> &str {
        self.campaign_type
            .as_deref()
            .unwrap_or(DEFAULT_CAMPAIGN_TYPE)
    }

    pub fn cooldown_days(&self) -> i64 {
        self.cooldown_days.unwrap_or(DEFAULT_COOLDOWN_DAYS)
    }

    pub(crate) fn from_json(raw: &str) -> Settings {
        serde_json::from_str(raw).unwrap_or_default()
    }

    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: Error) -> Vec<&'static str> {
        e.fields().iter().map(|(f, _)| *f).collect()
    }

    #[test]
    fn query_numbers_are_checked_against_their_range() {
        let h = |raw| parse_number("hours_ahead", raw, HOURS_AHEAD);
        assert_eq!(h(None).unwrap(), None);
        assert_eq!(h(Some("")).unwrap(), None);
        assert_eq!(h(Some("1")).unwrap(), Some(1));
        assert_eq!(h(Some(" 168 ")).unwrap(), Some(168));
        for bad in ["0", "169", "-1", "24h", "1.5"] {
            let e = h(Some(bad)).unwrap_err();
            assert_eq!(field_of(e), ["hours_ahead"], "{bad}");
        }
        let e = parse_number(
            "min_days_since_last_visit",
            Some("29"),
            MIN_DAYS_SINCE_LAST_VISIT,
        )
        .unwrap_err();
        assert!(e.to_string().contains("from 30 to 1095"), "{e}");
    }

    #[test]
    fn every_bad_setting_is_named_at_once() {
        let s = Settings {
            hours_ahead: Some(0),
            days: Some(91),
            max_messages: Some(1001),
            campaign_type: Some("Win Back!".into()),
            ..Settings::default()
        };
        let mut named = field_of(s.checked().unwrap_err());
        named.sort_unstable();
        assert_eq!(
            named,
            ["campaign_type", "days", "hours_ahead", "max_messages"]
        );
        let ok = Settings {
            campaign_type: Some(" Spring-2027 ".into()),
            tag: Some("  ".into()),
            ..Settings::default()
        }
        .checked()
        .unwrap();
        assert_eq!(ok.campaign_type.as_deref(), Some("spring-2027"));
        assert_eq!(ok.tag, None);
    }

    #[test]
    fn a_run_uses_its_kinds_settings_with_defaults() {
        let stored = Settings {
            hours_ahead: Some(48),
            tag: Some("vip".into()),
            ..Settings::default()
        };
        let given = Settings {
            max_messages: Some(5),
            ..Settings::default()
        };
        let merged = given.over(&stored);
        assert_eq!(
            merged.for_kind(Kind::Reminders),
            Settings {
                hours_ahead: Some(48),
                ..Settings::default()
            }
        );
        let retention = merged.for_kind(Kind::Retention);
        assert_eq!(retention.max_messages, Some(5));
        assert_eq!(retention.min_days_since_last_visit, Some(180));
        assert_eq!(retention.campaign_type.as_deref(), Some("win_back"));
        assert_eq!(retention.tag.as_deref(), Some("vip"));
        assert_eq!(retention.hours_ahead, None);
        assert_eq!(Settings::default().for_kind(Kind::FollowUps).days, Some(7));
    }
}
