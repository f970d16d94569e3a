-- An org's own value of a feature flag, over the install-wide default.
create table org_flag (
    org_id text not null references org (org_id),
    name text not null,
    enabled boolean not null,
    updated_at bigint not null,
    primary key (org_id, name)
);
