-- Alerts, the audit trail, routing decisions, opt-outs and thread overrides.

-- Something a human must look at. While open, an alert with the same dedupe_key is not
-- raised again: its occurrence count goes up instead.
create table alert (
    alert_id text primary key,
    org_id text not null references org (org_id),
    severity text not null check (severity in ('info', 'warning', 'critical')),
    type text not null,
    title text not null,
    description text not null,
    entity_type text,
    entity_id text,
    dedupe_key text not null,
    status text not null default 'open' check (status in ('open', 'resolved')),
    occurrences integer not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    resolved_at bigint,
    resolved_by text,
    resolution_note text
);
create unique index alert_open_dedupe on alert (org_id, dedupe_key) where status = 'open';
create index alert_org_status on alert (org_id, status, updated_at);

-- Append-only: who did what to which entity, and when. Never updated or deleted.
create table audit_event (
    audit_event_id text primary key,
    org_id text not null references org (org_id),
    actor_type text not null check (actor_type in ('user', 'api_key', 'system', 'provider')),
    actor_id text,
    type text not null,
    entity_type text,
    entity_id text,
    payload text not null default '{}',
    created_at bigint not null
);
create index audit_event_org_time on audit_event (org_id, created_at);
create index audit_event_entity on audit_event (org_id, entity_type, entity_id);

-- Where each inbound message went and why. The inputs are kept so the decision can be
-- re-run and compared (routing is a pure function of them).
create table routing_decision (
    routing_decision_id text primary key,
    org_id text not null references org (org_id),
    thread_id text not null references thread (thread_id),
    message_id text references message (message_id),
    inbound_event_id text unique references inbound_event (inbound_event_id),
    target text not null,
    sitter_id text references app_user (user_id),
    reason text not null,
    operational boolean not null,
    input text not null,
    trace text not null,
    created_at bigint not null
);
create index routing_decision_org_time on routing_decision (org_id, created_at);
create index routing_decision_thread on routing_decision (thread_id, created_at);

-- Carrier opt-out state per sender and org (STOP / START), whether or not the sender is a
-- known client.
create table opt_out (
    org_id text not null references org (org_id),
    phone_e164 text not null,
    opted_out boolean not null,
    updated_at bigint not null,
    primary key (org_id, phone_e164)
);

-- An owner can pin a thread to the owner inbox or to a sitter until a time.
alter table thread add column override_target text;
alter table thread add column override_sitter_id text references app_user (user_id);
alter table thread add column override_until bigint;

-- `sms` for texts; `system` for events shown in the thread (opt-out, opt-in, help).
alter table message add column kind text not null default 'sms';

alter table org add column help_text text not null default 'Reply STOP to unsubscribe. For help, call us at our front desk number.';

-- Twilio may send an I-Twilio-Idempotency-Token; a retried delivery carries the same one.
-- (Unique, and NULLs are distinct on both databases.)
alter table inbound_event add column idempotency_token text;
create unique index inbound_event_idempotency on inbound_event (idempotency_token);

-- A pool number is lent to one client's thread at a time; inbound from anyone else is a
-- mismatch, and a pool number lent to nobody is unmapped.
alter table number add column assigned_thread_id text references thread (thread_id);
