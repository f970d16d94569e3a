-- Campaigns: Switchboard's scheduled sends over a segment of clients (appointment
-- reminders, lead follow-ups, win-back). Each text goes out at most once because the
-- state that says so is written in the same transaction as the send: a booking's
-- `reminder_sent_at`, or a `campaign_send` row. However many runs race (two API calls,
-- the scheduler, a run taken up again after a crash), one of them wins each item.

-- When the booking's reminder was queued. Set with `where reminder_sent_at is null`:
-- a runner that updates no row lost the race and sends nothing.
alter table booking add column reminder_sent_at bigint;

-- The reminder scan: bookings not yet reminded that are still to happen, by org and
-- start. Partial, so reminded, cancelled and completed bookings leave the index and a
-- scan reads only rows it may send; one range per org, so a scan over every org is
-- index-driven too.
create index booking_reminder_due on booking (org_id, start_at)
    where reminder_sent_at is null and status in ('scheduled', 'confirmed');
-- A reply to a reminder is matched to the client's latest reminded booking.
create index booking_reminded on booking (client_id, reminder_sent_at)
    where reminder_sent_at is not null;
-- Lead follow-ups scan an org's leads by when they got in touch.
create index client_lead on client (org_id, lead_at) where lead_at is not null;

-- One campaign of each kind per org, loaded with defaults (off until the owner turns it
-- on). `cron` is five-field, read in the org's time zone; `settings` is JSON
-- (hours_ahead, days, min_days_since_last_visit, max_messages, campaign_type,
-- service_type, tag, cooldown_days: each kind reads its own). `next_run_at` is the next
-- fire time in UTC while enabled: the ticker finds due campaigns by it.
create table campaign (
    campaign_id text primary key,
    org_id text not null references org (org_id),
    kind text not null check (kind in ('reminders', 'follow_ups', 'retention')),
    name text not null,
    cron text not null,
    template text not null,
    settings text not null default '{}',
    enabled boolean not null default false,
    next_run_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index campaign_kind on campaign (org_id, kind);
create index campaign_due on campaign (next_run_at) where enabled;

-- One run of a campaign: fired by its schedule (unique per fire time, so two tickers
-- start it once), Run now (`manual`), or an API call. `params` are the settings it ran
-- with. `sent` is bumped in each send's transaction, so it is exact even when a run is
-- taken up again; `skipped` is a JSON object of reason → count from its last pass.
-- While `running` a runner holds it until `lease_until` and renews that as it goes; a
-- run whose lease ran out (its process died) is taken up again by the ticker.
create table campaign_run (
    run_id text primary key,
    org_id text not null references org (org_id),
    campaign_id text not null references campaign (campaign_id),
    triggered_by text not null check (triggered_by in ('schedule', 'manual', 'api')),
    status text not null check (status in ('queued', 'waiting', 'running', 'done', 'failed')),
    params text not null,
    fire_at bigint,
    sent bigint not null default 0,
    skipped text not null default '{}',
    error text,
    lease_until bigint,
    -- While `waiting` (it fell in the org's quiet hours): when it goes on.
    resume_at bigint,
    created_at bigint not null,
    started_at bigint,
    updated_at bigint not null,
    finished_at bigint
);
create unique index campaign_run_fire on campaign_run (campaign_id, fire_at);
create index campaign_run_list on campaign_run (campaign_id, created_at);
create index campaign_run_open on campaign_run (status, lease_until)
    where status in ('queued', 'waiting', 'running');

-- A follow-up or win-back text, one row per (org, kind, client, key): `lead` for a lead's
-- one follow-up (inserted `on conflict do nothing`); the campaign type for win-back,
-- where the row is the cool-down (upserted only when its `sent_at` is older than the
-- cool-down). Either way a runner that writes no row sends nothing.
create table campaign_send (
    org_id text not null references org (org_id),
    kind text not null check (kind in ('follow_ups', 'retention')),
    client_id text not null references client (client_id),
    send_key text not null,
    run_id text references campaign_run (run_id),
    sends bigint not null default 1,
    sent_at bigint not null,
    primary key (org_id, kind, client_id, send_key)
);
