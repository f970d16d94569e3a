-- Outbound delivery, the anti-poaching policy's findings, pacing, and the mock carrier.

-- Each attempt to send one outbound message; a message's deliveries list every attempt.
-- `attempt_no` counts across the message's life (a manual retry continues it);
-- `run_attempt` counts within one run of automatic retries (1 to 3).
create table delivery (
    delivery_id text primary key,
    org_id text not null references org (org_id),
    message_id text not null references message (message_id),
    attempt_no integer not null,
    run_attempt integer not null,
    status text not null default 'queued' check (status in
        ('queued', 'sending', 'submitted', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'read', 'uncertain')),
    provider text not null,
    provider_message_id text,
    channel text not null default 'sms',
    error_code integer,
    error_message text,
    -- While `sending`: after this time an attempt with no outcome is `uncertain`.
    lease_until bigint,
    created_at bigint not null,
    updated_at bigint not null,
    unique (message_id, attempt_no)
);
create unique index delivery_provider_message on delivery (provider_message_id);
create index delivery_in_flight on delivery (status, lease_until);

-- Every status callback once, by (provider message id, status): a callback delivered twice
-- acts once, and one that arrives before we stored the provider's id is applied then.
create table delivery_status_event (
    provider_message_id text not null,
    status text not null,
    error_code integer,
    received_at bigint not null,
    primary key (provider_message_id, status)
);

-- What the anti-poaching policy found in a message. `content` is the text as written
-- (owners only); `redacted_content` is what anyone else may see.
create table policy_violation (
    policy_violation_id text primary key,
    org_id text not null references org (org_id),
    thread_id text not null references thread (thread_id),
    message_id text references message (message_id),
    sender_user_id text references app_user (user_id),
    direction text not null check (direction in ('inbound', 'outbound')),
    type text not null check (type in ('phone', 'email', 'url', 'social', 'payment')),
    types text not null,
    severity text not null check (severity in ('warning', 'block')),
    action text not null check (action in ('blocked', 'warned', 'flagged')),
    status text not null default 'open' check (status in ('open', 'resolved', 'overridden')),
    content text not null,
    redacted_content text not null,
    created_at bigint not null,
    resolved_at bigint,
    resolved_by text,
    resolution_note text
);
create index policy_violation_org on policy_violation (org_id, status, created_at);
create index policy_violation_message on policy_violation (message_id);

-- Pacing: the earliest time the next text may leave this number.
alter table number add column next_send_at bigint not null default 0;

-- The mock provider's carrier: every text it "sent", and how it is told to misbehave.
create table mock_message (
    sid text primary key,
    org_id text not null references org (org_id),
    from_e164 text not null,
    to_e164 text not null,
    body text not null,
    status text not null,
    error_code integer,
    created_at bigint not null
);
create index mock_message_org on mock_message (org_id, created_at);

create table mock_config (
    org_id text primary key references org (org_id),
    fail_next integer not null default 0,
    error_code integer not null default 30008,
    fail_all boolean not null default false,
    latency_ms integer not null default 0,
    updated_at bigint not null
);

-- Why a human replayed or discarded a dead letter.
alter table dead_letter add column resolution_note text;
