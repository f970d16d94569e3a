//! Our filters: `datetime`, `date`, `time` (an RFC 3339 time shown in the org's time
//! zone, `org.time_zone` from the payload, UTC when the payload has no org) and
//! `first_name`.
//!
//! `{{ booking.start | datetime }}` → "Mon, Jan 19 at 10:00 AM";
//! `{{ booking.start | date }}` → "Mon, Jan 19"; `{{ booking.start | time }}` → "10:00 AM";
//! each takes an optional strftime format: `{{ booking.start | datetime("%B %-d") }}`.

use std::fmt::Write;

use chrono::DateTime;
use chrono::format::{Item, StrftimeItems};
use chrono_tz::Tz;
use minijinja::{Environment, Error, ErrorKind, State};

pub(crate) const DATETIME: &str = "%a, %b %-d at %-I:%M %p";
pub(crate) const DATE: &str = "%a, %b %-d";
pub(crate) const TIME: &str = "%-I:%M %p";

pub(crate) fn register(env: &mut Environment<'_>) {
    env.add_filter(
        "datetime",
        |state: &State<'_, '_>, value: String, format: Option<String>| {
            format_time(state, &value, format.as_deref().unwrap_or(DATETIME))
        },
    );
    env.add_filter(
        "date",
        |state: &State<'_, '_>, value: String, format: Option<String>| {
            format_time(state, &value, format.as_deref().unwrap_or(DATE))
        },
    );
    env.add_filter(
        "time",
        |state: &State<'_, '_>, value: String, format: Option<String>| {
            format_time(state, &value, format.as_deref().unwrap_or(TIME))
        },
    );
    env.add_filter("first_name", |name: String| {
        crate::triggers::payload::first_name(&name).to_owned()
    });
}

fn format_time(state: &State<'_, '_>, value: &str, format: &str) -> Result<String, Error> {
    let time = DateTime::parse_from_rfc3339(value).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("`{value}` is not a date and time"),
        )
    })?;
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("`{format}` is not a valid time format"),
        ));
    }
    let zone = org_zone(state);
    let mut out = String::new();
    write!(
        out,
        "{}",
        time.with_timezone(&zone)
            .format_with_items(items.into_iter())
    )
    .map_err(|_| Error::new(ErrorKind::InvalidOperation, "cannot format this time"))?;
    Ok(out)
}

fn org_zone(state: &State<'_, '_>) -> Tz {
    state
        .lookup("org")
        .and_then(|org| org.get_attr("time_zone").ok())
        .and_then(|tz| tz.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(Tz::UTC)
}
