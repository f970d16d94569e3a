//! The campaigns' pass of the once-a-minute ticker ([`crate::automations::ticker`]).
//!
//! An enabled campaign keeps its next fire time (`next_run_at`, UTC, from its crontab
//! read in the org's zone). Each pass takes the campaigns due by now from the
//! `campaign_due` index, records one `schedule` run per (campaign, fire time), unique, so
//! two processes ticking at once start it once, queues its `run_campaign` job in the
//! same transaction, and moves the campaign to its next fire time after now. A ticker
//! that was down for a while fires a campaign once for the stretch it missed, not once
//! per missed time. The pass also queues again the runs whose runner died.

use automations::triggers::Schedule;

use super::{
    Kind, Settings, next_fire,
    run::{self, RunCampaign},
};
use crate::{Engine, Result, clock::Millis, tx};

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    /// Scheduled runs started.
    pub started: usize,
    /// Runs queued again (runner died, or quiet hours over).
    pub resumed: usize,
}

#[derive(sqlx::FromRow)]
struct Due {
    campaign_id: String,
    org_id: String,
    kind: String,
    cron: String,
    settings: String,
    next_run_at: i64,
    time_zone: String,
}

/// Fires every campaign due by now and takes up abandoned runs.
pub async fn tick(engine: &Engine) -> Result<Tick> {
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let due: Vec<Due> = tx!(&mut tx, c => sqlx::query_as(
        "select c.campaign_id, c.org_id, c.kind, c.cron, c.settings, c.next_run_at, o.time_zone
           from campaign c join org o on o.org_id = c.org_id
          where c.enabled and c.next_run_at <= $1
          order by c.next_run_at limit 500")
        .bind(now).fetch_all(c).await)?;
    let mut started = 0;
    for d in due {
        let Ok(kind) = Kind::parse(&d.kind) else {
            continue;
        };
        let params = Settings::from_json(&d.settings).for_kind(kind);
        let fired = run::insert(
            &mut tx,
            &d.org_id,
            &d.campaign_id,
            "schedule",
            "queued",
            &params,
            Some(d.next_run_at),
            None,
            now,
        )
        .await?;
        if let Some(run_id) = fired {
            RunCampaign::new(&d.org_id, &run_id)
                .enqueue(&mut tx)
                .await?;
            started += 1;
        }
        let next = following(&d.cron, &d.time_zone, d.next_run_at.max(now));
        tx!(&mut tx, c => sqlx::query(
            "update campaign set next_run_at = $3 where campaign_id = $1 and next_run_at = $2")
            .bind(&d.campaign_id).bind(d.next_run_at).bind(next)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    let resumed = run::resume_abandoned(&mut tx, now).await?;
    tx.commit().await?;
    Ok(Tick { started, resumed })
}

/// The fire time after `after`; a crontab that no longer parses stops firing.
fn following(cron: &str, time_zone: &str, after: Millis) -> Option<Millis> {
    if Schedule::parse(cron).is_err() {
        tracing::warn!(
            cron,
            "a campaign's schedule does not parse; it stops firing"
        );
        return None;
    }
    next_fire(cron, time_zone, after)
}
