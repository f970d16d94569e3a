//! `/dashboard`: the owner's landing page: the inbox in figures, today's and tomorrow's
//! visits, bookings waiting for a new time, open alerts, and the week's texts as a small
//! bar chart drawn here (inline SVG, no script).

use axum::{Router, extract::State, response::IntoResponse, routing::get};
use engine::{
    alerts,
    bookings::{self, BookingFilter},
    counters,
    reports::schedule::{self, Day},
    threads,
};
use minijinja::{context, value::Serde};
use serde::Serialize;

use crate::{auth::OwnerPage, error::ApiResult, state::AppState, templates};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(show))
}

/// How many items each list shows; its link leads to the rest.
const LIST: u32 = 5;

async fn show(
    State(state): State<AppState>,
    OwnerPage(caller, scope): OwnerPage,
) -> ApiResult<impl IntoResponse> {
    let db = &state.engine.db;
    let now = state.engine.clock.now();
    let stats = threads::stats(db, &scope, now).await?;
    let today = schedule::day(db, &scope, Day::Today, now).await?;
    let tomorrow = schedule::day(db, &scope, Day::Tomorrow, now).await?;
    let reschedules = bookings::list(
        db,
        &scope,
        &BookingFilter {
            status: Some(bookings::PENDING_RESCHEDULE.to_owned()),
            limit: LIST,
            ..BookingFilter::default()
        },
    )
    .await?;
    let open_alerts = alerts::open_count(db, &scope.org_id).await?;
    let alerts = alerts::list(db, &scope, "open", LIST.into()).await?;
    let sends = counters::daily(db, &scope.org_id, counters::SMS_SENT_TOTAL, today.date, 7).await?;
    templates::page(
        &state,
        &caller,
        "dashboard.html",
        "dashboard",
        "dashboard",
        context! {
            stats => Serde(stats),
            today => Serde(today),
            tomorrow => Serde(tomorrow),
            reschedules => Serde(reschedules),
            open_alerts,
            alerts => Serde(alerts),
            week_total => sends.iter().map(|(_, n)| n).sum::<i64>(),
            week => Serde(bars(&sends)),
        },
    )
    .await
}

/// One day's bar of the chart, in the SVG's units (a 280 × 140 view box).
#[derive(Serialize)]
struct Bar {
    date: String,
    /// The weekday, `Mon`.
    label: String,
    value: i64,
    x: i64,
    y: i64,
    height: i64,
}

/// Bars scaled so the busiest day is 100 units tall, in 40-unit slots.
fn bars(days: &[(chrono::NaiveDate, i64)]) -> Vec<Bar> {
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    days.iter()
        .zip(0..)
        .map(|((date, value), i)| {
            let height = value * 100 / max;
            Bar {
                date: date.to_string(),
                label: date.format("%a").to_string(),
                value: *value,
                x: i * 40 + 6,
                y: 118 - height,
                height,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_busiest_day_is_full_height_and_an_empty_week_is_flat() {
        let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
        let bars = super::bars(&[
            (day("2026-11-16"), 2),
            (day("2026-11-17"), 8),
            (day("2026-11-18"), 0),
        ]);
        let heights: Vec<i64> = bars.iter().map(|b| b.height).collect();
        assert_eq!(heights, [25, 100, 0]);
        assert_eq!(
            (bars[1].x, bars[1].y, bars[1].label.as_str()),
            (46, 18, "Tue")
        );
        let flat = super::bars(&[(day("2026-11-16"), 0)]);
        assert_eq!(flat[0].height, 0);
    }
}
