-- The small CRM under the messaging: archived clients, the booking lookups, and the
-- proactive windows a booking owns.

-- How far a booking's proactive window reaches before its start and after its end.
alter table org add column window_buffer_before_min integer not null default 60;
alter table org add column window_buffer_after_min integer not null default 60;

-- Clients are archived, never deleted: threads, bookings and the audit trail point at
-- them. An archived client keeps their phone number (still unique in the org).
alter table client add column archived_at bigint;
create index client_org_name on client (org_id, name);

create index booking_client on booking (client_id, start_at);
create index booking_sitter on booking (org_id, sitter_id, start_at);

-- A booking's windows are found by the booking when it is reassigned or cancelled.
create index assignment_window_booking on assignment_window (booking_id, start_at);
