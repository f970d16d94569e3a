-- Automations: owners' trigger → conditions → actions programs, their immutable
-- versions, the domain events that start them, and every execution with its steps.

-- Quiet hours, in minutes after local midnight in the org's time zone: automated texts
-- due inside them wait until they end. Both null: no quiet hours.
alter table org add column quiet_start_min integer;
alter table org add column quiet_end_min integer;

-- A user's own mobile, for automations that text the owner or a sitter. Optional.
alter table app_user add column phone_e164 text;

-- A client who got in touch but has not booked yet is a lead from lead_at on.
alter table client add column lead_source text;
alter table client add column lead_notes text;
alter table client add column lead_at bigint;

create table automation (
    automation_id text primary key,
    org_id text not null references org (org_id),
    name text not null,
    description text not null default '',
    -- The latest version's lane and cap (each version keeps its own).
    lane text not null check (lane in ('front_desk', 'sitter', 'pool')),
    -- The trigger of the live version (or, before one goes live, of the latest).
    trigger_event text not null,
    status text not null default 'draft' check (status in ('draft', 'active', 'paused', 'archived')),
    -- The newest version, and the one that runs (null until first activated).
    latest_version integer not null,
    live_version integer,
    -- At most one run per client per this many hours; null: no cap.
    frequency_cap_hours integer,
    -- Which stock automation it was loaded from, if any.
    stock_key text,
    created_at bigint not null,
    updated_at bigint not null
);
create index automation_org on automation (org_id, updated_at);
create index automation_live on automation (org_id, trigger_event, status);
create unique index automation_stock on automation (org_id, stock_key);

-- Every save is a new, never-changed version: the program, and the lane and frequency
-- cap it runs with. tested_at: when this exact version last passed a test run (what
-- activation requires).
create table automation_version (
    automation_id text not null references automation (automation_id),
    version integer not null,
    org_id text not null references org (org_id),
    program text not null,
    lane text not null,
    frequency_cap_hours integer,
    created_by text,
    created_at bigint not null,
    tested_at bigint,
    primary key (automation_id, version)
);

-- A domain event that may start automations: the ids it is about, not a copy of the
-- rows; the payload is built when a run or a test needs it. Unique per org and key, so
-- an event emitted twice is stored, and run, once.
create table domain_event (
    event_id text primary key,
    org_id text not null references org (org_id),
    event_key text not null,
    trigger_event text not null,
    client_id text,
    refs text not null,
    created_at bigint not null
);
create unique index domain_event_key on domain_event (org_id, event_key);
create index domain_event_recent on domain_event (org_id, trigger_event, created_at);

-- One run of one automation version on one event. Live runs are unique per
-- (automation, version, event): a duplicated job finds the run already there. A re-run
-- is a new execution pointing at the one it re-runs. Steps are a JSON array of
-- {index, action, status, input, output, error, attempts, durationUs, at}.
create table automation_execution (
    execution_id text primary key,
    org_id text not null references org (org_id),
    automation_id text not null references automation (automation_id),
    version integer not null,
    event_id text,
    mode text not null check (mode in ('live', 'test')),
    status text not null check (status in ('running', 'waiting', 'success', 'failed', 'skipped', 'test')),
    -- For a test run: whether it passed. For a skipped run: why.
    passed boolean,
    reason text,
    client_id text,
    payload text not null,
    conditions text not null default '[]',
    steps text not null default '[]',
    next_step integer not null default 0,
    -- While `waiting`: when the next step is due (after a wait, or at the end of quiet
    -- hours). The ticker resumes what is due even if its timer job was lost.
    resume_at bigint,
    rerun_of text,
    error text,
    started_at bigint not null,
    updated_at bigint not null,
    finished_at bigint
);
create unique index automation_execution_once on automation_execution (automation_id, version, event_id)
    where mode = 'live' and rerun_of is null;
create index automation_execution_list on automation_execution (org_id, automation_id, started_at);
create index automation_execution_cap on automation_execution (automation_id, client_id, started_at);
create index automation_execution_due on automation_execution (status, resume_at);
-- A failed run is re-run at most once (a re-run that fails can be re-run in turn).
create unique index automation_execution_rerun on automation_execution (rerun_of);

-- Where the schedule ticker got to: each tick looks at (last_at, now].
create table ticker (
    name text primary key,
    last_at bigint not null
);
