//! What the owner reads about their business: the day's schedule in the org's time zone
//! (`schedule`), the mix of services over recent days (`service_mix`), and the
//! conversations of recent days as rows for an export (`conversations`). Every query is
//! scoped by the owner's org. The SMS figures are [`crate::counters`].

pub mod conversations;
pub mod schedule;
pub mod service_mix;

use crate::{Error, Result};

pub const DEFAULT_DAYS: u32 = 30;
pub const MAX_DAYS: u32 = 90;

/// The `days` a report looks back over: 30 when not given, else a whole number from 1
/// to 90.
pub fn days(raw: Option<&str>) -> Result<u32> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(DEFAULT_DAYS),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| Error::invalid("days", "must be a whole number from 1 to 90")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_default_to_30_and_stay_from_1_to_90() {
        assert_eq!(super::days(None).unwrap(), 30);
        assert_eq!(super::days(Some("")).unwrap(), 30);
        assert_eq!(super::days(Some("1")).unwrap(), 1);
        assert_eq!(super::days(Some("90")).unwrap(), 90);
        for bad in ["0", "91", "-1", "7.5", "seven", "1e2"] {
            assert!(super::days(Some(bad)).is_err(), "{bad}");
        }
    }
}
