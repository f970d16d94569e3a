//! The demo org of the seeds: the owner and sitters to log in as, business numbers,
//! a dozen clients, threads with messages, bookings and assignment windows around now.
//! Seeding is idempotent: a second run finds the owner and changes nothing.

use ::automations::triggers::Trigger;

use crate::{
    Engine, Result,
    accounts::{self, NewUser, OwnerScope, Role},
    automations::{
        self,
        events::{self, Refs},
    },
    clock::{DAY, HOUR, MINUTE},
    db, ids,
    numbers::{self, NumberClass},
    threads::{self, NewMessage},
    tx,
};

pub const OWNER_EMAIL: &str = "owner@example.com";
/// The owner's own mobile, which automations may text.
pub const OWNER_MOBILE: &str = "+15550009000";
/// Stock automations the demo org has turned on.
pub const DEMO_ACTIVE: [&str; 3] = [
    "booking-confirmation",
    "appointment-reminder",
    "post-visit-thank-you",
];
pub const OWNER_PASSWORD: &str = "password123";
pub const SITTER_EMAIL: &str = "sitter@example.com";
pub const SITTER_PASSWORD: &str = "password";
pub const FRONT_DESK: &str = "+15551111111";
pub const SARAH_NUMBER: &str = "+15552222222";
/// A pool number lent to nobody: texts to it are unmapped (the seeds' demo step 8).
pub const POOL_NUMBER: &str = "+15553333333";
/// A pool number lent to Ashley Taylor's thread: texts from anyone else are a mismatch.
pub const LENT_POOL_NUMBER: &str = "+15553333334";

const CLIENTS: [(&str, &str); 12] = [
    ("John Smith", "+15551234567"),
    ("Emily Davis", "+15550100002"),
    ("Michael Brown", "+15550100003"),
    ("Jessica Wilson", "+15550100004"),
    ("David Martinez", "+15550100005"),
    ("Ashley Taylor", "+15550100006"),
    ("Chris Anderson", "+15550100007"),
    ("Amanda Thomas", "+15550100008"),
    ("Daniel Garcia", "+15550100009"),
    ("Sophia Lee", "+15550100010"),
    ("Ryan Harris", "+15550100011"),
    ("Olivia Clark", "+15550100012"),
];

/// A sitter's assignment window: (sitter, start, end), the times relative to now.
type Window<'a> = Option<(&'a str, i64, i64)>;
type Conversation<'a> = (usize, &'a str, Window<'a>, &'a [(&'a str, &'a str)]);

pub enum Seeded {
    Created { org_id: String },
    AlreadyThere,
}

pub async fn seed(engine: &Engine) -> Result<Seeded> {
    let db = &engine.db;
    let exists: Option<String> = db!(db, c => sqlx::query_scalar("select org_id from app_user where email = $1")
        .bind(OWNER_EMAIL).fetch_optional(c).await)?;
    if exists.is_some() {
        return Ok(Seeded::AlreadyThere);
    }
    let now = engine.clock.now();
    let owner_hash = accounts::hash_password(OWNER_PASSWORD.to_owned()).await?;
    let sitter_hash = accounts::hash_password(SITTER_PASSWORD.to_owned()).await?;
    let mut tx = db.begin().await?;
    let org = accounts::create_org(&mut tx, "Snout Pet Care", now).await?;
    let owner = accounts::create_user(
        &mut tx,
        &org,
        NewUser {
            email: OWNER_EMAIL,
            name: "Olivia Owner",
            role: Role::Owner,
            password_hash: &owner_hash,
        },
        now,
    )
    .await?;
    let sarah = accounts::create_user(
        &mut tx,
        &org,
        NewUser {
            email: SITTER_EMAIL,
            name: "Sarah Johnson",
            role: Role::Sitter,
            password_hash: &sitter_hash,
        },
        now,
    )
    .await?;
    let mike = accounts::create_user(
        &mut tx,
        &org,
        NewUser {
            email: "mike@example.com",
            name: "Mike Chen",
            role: Role::Sitter,
            password_hash: &sitter_hash,
        },
        now,
    )
    .await?;
    let priya = accounts::create_user(
        &mut tx,
        &org,
        NewUser {
            email: "priya@example.com",
            name: "Priya Patel",
            role: Role::Sitter,
            password_hash: &sitter_hash,
        },
        now,
    )
    .await?;

    let front_desk =
        numbers::create(&mut tx, &org, FRONT_DESK, NumberClass::FrontDesk, None, now).await?;
    let sarah_number = numbers::create(
        &mut tx,
        &org,
        SARAH_NUMBER,
        NumberClass::Sitter,
        Some(&sarah),
        now,
    )
    .await?;
    numbers::create(
        &mut tx,
        &org,
        "+15552222223",
        NumberClass::Sitter,
        Some(&mike),
        now,
    )
    .await?;
    numbers::create(
        &mut tx,
        &org,
        "+15552222224",
        NumberClass::Sitter,
        Some(&priya),
        now,
    )
    .await?;
    numbers::create(&mut tx, &org, POOL_NUMBER, NumberClass::Pool, None, now).await?;
    let lent_pool = numbers::create(
        &mut tx,
        &org,
        LENT_POOL_NUMBER,
        NumberClass::Pool,
        None,
        now,
    )
    .await?;

    let mut clients = Vec::new();
    for (i, (name, phone)) in CLIENTS.iter().enumerate() {
        let id = ids::new_id();
        let email = format!("{}@example.net", name.to_lowercase().replace(' ', "."));
        tx!(&mut tx, c => sqlx::query(
            "insert into client (client_id, org_id, name, phone_e164, email, tags, created_at) values ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id).bind(&org).bind(name).bind(phone).bind(email)
            .bind(if i % 3 == 0 { r#"["weekly"]"# } else { "[]" }).bind(now - 90 * DAY)
            .execute(c).await.map(|r| r.rows_affected()))?;
        clients.push((id, *phone));
    }

    // Threads: client index, business number, a sitter's window relative to now, messages.
    let conversations: [Conversation<'_>; 6] = [
        (
            0,
            &front_desk,
            None,
            &[
                ("inbound", "Hi! Can we add a walk on Friday?"),
                ("outbound", "Of course, John. Friday 3pm works?"),
                ("inbound", "Perfect, thanks!"),
            ],
        ),
        (
            1,
            &sarah_number,
            Some((&sarah, -HOUR, 7 * DAY)),
            &[
                (
                    "outbound",
                    "Hi Emily, Sarah here for Biscuit's visits this week.",
                ),
                ("inbound", "Great! The spare key is under the mat."),
            ],
        ),
        (
            2,
            &sarah_number,
            Some((&sarah, 2 * DAY, 5 * DAY)),
            &[("inbound", "Looking forward to next week's visits.")],
        ),
        (
            3,
            &sarah_number,
            Some((&sarah, -10 * DAY, -3 * DAY)),
            &[
                ("outbound", "All done, Luna had a great walk!"),
                ("inbound", "Thank you so much!"),
            ],
        ),
        (
            4,
            &front_desk,
            None,
            &[("inbound", "Do you do overnight stays?")],
        ),
        (
            5,
            &lent_pool,
            None,
            &[
                ("inbound", "Is my booking for Saturday confirmed?"),
                ("outbound", "Yes, see you Saturday at 10."),
            ],
        ),
    ];
    for (k, (client, number_id, window, msgs)) in conversations.iter().enumerate() {
        let (_, phone) = clients[*client];
        let business = match *number_id {
            n if n == front_desk => FRONT_DESK,
            n if n == lent_pool => LENT_POOL_NUMBER,
            _ => SARAH_NUMBER,
        };
        let base = now - (k as i64 + 1) * 3 * HOUR;
        let thread = threads::find_or_create(&mut tx, &org, number_id, phone, base).await?;
        for (j, (direction, body)) in msgs.iter().enumerate() {
            let (from, to) = if *direction == "inbound" {
                (phone, business)
            } else {
                (business, phone)
            };
            threads::add_message(
                &mut tx,
                &org,
                NewMessage {
                    thread_id: &thread,
                    direction,
                    kind: "sms",
                    from,
                    to,
                    body,
                    redacted_body: None,
                    sender_user_id: None,
                    inbound_event_id: None,
                    at: base + j as i64 * 7 * MINUTE,
                },
            )
            .await?;
        }
        if *number_id == lent_pool {
            tx!(&mut tx, c => sqlx::query("update number set assigned_thread_id = $2 where number_id = $1")
                .bind(&lent_pool).bind(&thread).execute(c).await.map(|r| r.rows_affected()))?;
        }
        if let Some((sitter, start, end)) = window {
            tx!(&mut tx, c => sqlx::query(
                "insert into assignment_window (window_id, org_id, thread_id, sitter_id, start_at, end_at, created_at) values ($1, $2, $3, $4, $5, $6, $7)")
                .bind(ids::new_id()).bind(&org).bind(&thread).bind(*sitter).bind(now + start).bind(now + end).bind(now)
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
    }

    // Mobiles for automations that text the owner or a sitter.
    for (user, phone) in [(&owner, OWNER_MOBILE), (&sarah, "+15550009001")] {
        tx!(&mut tx, c => sqlx::query("update app_user set phone_e164 = $2 where user_id = $1")
            .bind(user).bind(phone).execute(c).await.map(|r| r.rows_affected()))?;
    }

    // Bookings: weekly visits for every third client, one-off visits for the rest.
    let sitters = [&sarah, &mike, &priya];
    for (i, (client_id, _)) in clients.iter().enumerate() {
        let start = now + (i as i64 - 4) * DAY + 10 * HOUR;
        let status = if start < now {
            "completed"
        } else {
            "scheduled"
        };
        let booking_id = ids::new_id();
        tx!(&mut tx, c => sqlx::query(
            "insert into booking (booking_id, org_id, client_id, sitter_id, service_type, start_at, end_at, status, recurring, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&booking_id).bind(&org).bind(client_id).bind(sitters[i % 3])
            .bind(if i % 2 == 0 { "dog_walk" } else { "drop_in" })
            .bind(start).bind(start + HOUR).bind(status).bind(i % 3 == 0).bind(now - 30 * DAY)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(Seeded::Created { org_id: org })
}

/// Turns on some of the demo org's stock automations the way an owner would (a passing
/// test run, then Activate), and gives each of them history as the org's data would
/// have: the first upcoming bookings are announced as made (the confirmation), the
/// reminder gets the runs a day of ticks would have started (the visits of the day
/// ahead), and the latest visit is announced as completed (the thank-you, which then
/// waits its hour). The workers carry the runs out and text those clients.
/// `serve --demo` and `seed --demo` do this after [`seed`]; tests that want it call it.
pub async fn activate_automations(engine: &Engine, org: &str) -> Result<()> {
    let owner: String = db!(&engine.db, c => sqlx::query_scalar(
        "select user_id from app_user where org_id = $1 and role = 'owner' order by created_at limit 1")
        .bind(org).fetch_one(c).await)?;
    let upcoming: Vec<(String, String)> = db!(&engine.db, c => sqlx::query_as(
        "select client_id, booking_id from booking where org_id = $1 and status = 'scheduled' and start_at > $2
          order by start_at limit 3")
        .bind(org).bind(engine.clock.now()).fetch_all(c).await)?;
    let completed: Vec<(String, String)> = db!(&engine.db, c => sqlx::query_as(
        "select client_id, booking_id from booking
          where org_id = $1 and status = 'completed' and sitter_id is not null
          order by end_at desc limit 1")
        .bind(org).fetch_all(c).await)?;
    let scope = OwnerScope {
        org_id: org.to_owned(),
        user_id: Some(owner),
    };
    let mut active = Vec::new();
    for key in DEMO_ACTIVE {
        let id: String = db!(&engine.db, c => sqlx::query_scalar(
            "select automation_id from automation where org_id = $1 and stock_key = $2")
            .bind(org).bind(key).fetch_one(c).await)?;
        automations::executions::test(engine, &scope, &id, None, None).await?;
        automations::activate(engine, &scope, &id, None).await?;
        active.push(id);
    }
    let now = engine.clock.now();
    for id in &active {
        automations::ticker::catch_up(engine, org, id, now - DAY).await?;
    }
    let mut tx = engine.db.begin().await?;
    for (trigger, bookings) in [
        (Trigger::BookingCreated, &upcoming),
        (Trigger::BookingCompleted, &completed),
    ] {
        for (client_id, booking_id) in bookings {
            let refs = Refs::booking(client_id, booking_id);
            // The keys `bookings` gives these events, so they are the ones it would emit.
            let key = format!("{trigger}:{booking_id}");
            events::emit(&mut tx, org, trigger, &key, &refs, now).await?;
        }
    }
    tx.commit().await
}
