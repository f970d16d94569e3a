-- Per-org counters, kept in the database rather than in process memory so they survive
-- restarts and agree across processes. Each is bumped in the transaction that commits
-- what it counts (a text's `submitted`, an opt-out), so it counts exactly what happened,
-- once, however often a job runs.

-- All-time totals: `sms_sent_total`, `sms_sent_owner`, `sms_sent_customer`,
-- `sms_opt_out_events`, …, and `retention_sent:<campaign type>`.
create table org_counter (
    org_id text not null references org (org_id),
    name text not null,
    value bigint not null default 0,
    primary key (org_id, name)
);

-- The same, per calendar day in the org's time zone when it was bumped (`YYYY-MM-DD`,
-- so text order is date order): the dashboard's week of sends.
create table org_daily_counter (
    org_id text not null references org (org_id),
    day text not null,
    name text not null,
    value bigint not null default 0,
    primary key (org_id, name, day)
);

-- The owner's reports: a day's visits read weekly series that began before the day, and
-- the conversations export reads an org's messages by time.
create index booking_weekly on booking (org_id, start_at) where recurring;
create index message_org_time on message (org_id, created_at);
