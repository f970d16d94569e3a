//! What page forms share: committing a form's change, and times.
//!
//! Times in page forms. A `datetime-local` field shows the reader's local time; app.js
//! writes the same moment as UTC (RFC 3339) into a hidden field on submit, which is what
//! the server reads. Without the script the field's value is read as UTC, and fields are
//! filled in UTC, so a form still round-trips.

use chrono::NaiveDateTime;
use engine::{
    Error, Result, Tx,
    clock::{self, Millis, to_datetime},
};

/// Commits a form's transaction when its change worked; otherwise drops it (a rollback)
/// and hands back the error for the page to show.
pub(super) async fn commit<T>(tx: Tx, done: Result<T>) -> Result<T> {
    let value = done?;
    tx.commit().await?;
    Ok(value)
}

/// The moment a form names: the script's UTC value if there is one, else the field.
pub(super) fn time(field: &'static str, utc: &str, typed: &str) -> Result<Millis> {
    let (utc, typed) = (utc.trim(), typed.trim());
    if !utc.is_empty() {
        return clock::parse_rfc3339(field, utc);
    }
    if typed.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(typed, f).ok())
        .map(|t| t.and_utc().timestamp_millis())
        .ok_or_else(|| Error::invalid(field, "must be a date and a time"))
}

/// What a `datetime-local` field holds for `ms` before the script localizes it.
pub(super) fn field_value(ms: Millis) -> String {
    to_datetime(ms).format("%Y-%m-%dT%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_utc_value_wins_and_a_typed_one_reads_as_utc() {
        let noon = 1_767_268_800_000; // 2026-01-01T12:00:00Z
        assert_eq!(
            time("startAt", "2026-01-01T12:00:00.000Z", "junk").unwrap(),
            noon
        );
        assert_eq!(time("startAt", "", "2026-01-01T12:00").unwrap(), noon);
        assert_eq!(time("startAt", " ", "2026-01-01T12:00:00").unwrap(), noon);
        assert!(time("startAt", "", "").is_err());
        assert!(time("startAt", "", "tomorrow").is_err());
        assert_eq!(field_value(noon), "2026-01-01T12:00");
    }
}
