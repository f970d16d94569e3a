-- Business numbers on the provider account, each org's own provider, the setup wizard's
-- progress, and the pool's lifecycle settings.

-- The provider's id for a number (Twilio's PN… sid): stored when the number is bought or
-- imported, or looked up by E.164 the first time the provider is asked about it.
alter table number add column provider_sid text;
-- The pool release job looks numbers up by the thread they are lent to.
create index number_lent on number (assigned_thread_id);

-- The seeds' Model A: a pool number stays lent to its thread until the thread has been
-- quiet this many days. Fewer free pool numbers than the low-water mark raise a warning.
alter table org add column pool_release_days integer not null default 30;
alter table org add column pool_low_water integer not null default 1;

-- An org's own provider, over the install-wide one from the environment. The auth token
-- is sealed with AES-256-GCM under a key derived from SWITCHBOARD_SECRET_KEY (base64 of
-- nonce, ciphertext and tag) and never stored in clear; the account SID is not a secret.
create table org_provider (
    org_id text primary key references org (org_id),
    kind text not null check (kind in ('mock', 'twilio')),
    account_sid text,
    auth_token_sealed text,
    connected_at bigint not null,
    check (kind = 'mock' or (account_sid is not null and auth_token_sealed is not null))
);

-- The step of the setup wizard (1 to 7) the owner reached, so it resumes there.
create table setup_progress (
    org_id text primary key references org (org_id),
    step integer not null default 1 check (step between 1 and 7),
    finished_at bigint,
    updated_at bigint not null
);

-- The mock provider's account: the numbers an org holds at the simulated carrier, so
-- buying, importing, listing and giving numbers back behave as they do with Twilio. As
-- at a real carrier, a number is on one account at a time.
create table mock_number (
    sid text primary key,
    org_id text not null references org (org_id),
    e164 text not null,
    created_at bigint not null
);
create unique index mock_number_e164 on mock_number (e164);
create index mock_number_org on mock_number (org_id, e164);
