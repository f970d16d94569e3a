//! The documented payload fields, object by object. Conditions are validated against
//! these, templates are checked against them, and the builder lists them.

use serde::Serialize;

/// A top-level payload object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Object {
    Org,
    Client,
    Booking,
    Sitter,
    Message,
    Lead,
    OptOut,
    Reminder,
    Schedule,
}

impl Object {
    pub const ALL: [Object; 9] = [
        Self::Org,
        Self::Client,
        Self::Booking,
        Self::Sitter,
        Self::Message,
        Self::Lead,
        Self::OptOut,
        Self::Reminder,
        Self::Schedule,
    ];

    /// The payload key, which is also the variable name in scripts and templates.
    pub fn key(self) -> &'static str {
        match self {
            Self::Org => "org",
            Self::Client => "client",
            Self::Booking => "booking",
            Self::Sitter => "sitter",
            Self::Message => "message",
            Self::Lead => "lead",
            Self::OptOut => "opt_out",
            Self::Reminder => "reminder",
            Self::Schedule => "schedule",
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::Org => ORG,
            Self::Client => CLIENT,
            Self::Booking => BOOKING,
            Self::Sitter => SITTER,
            Self::Message => MESSAGE,
            Self::Lead => LEAD,
            Self::OptOut => OPT_OUT,
            Self::Reminder => REMINDER,
            Self::Schedule => SCHEDULE,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Bool,
    /// An RFC 3339 time in UTC (`2026-01-19T15:00:00Z`).
    DateTime,
    /// A list of texts (tags).
    TextList,
    /// A nested object with its own fields.
    Object(&'static [Field]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
    /// May be `null`.
    pub nullable: bool,
    /// Left out of the payload a sitter-facing text is rendered from (the client's
    /// phone number and email never reach a sitter).
    pub private: bool,
    pub description: &'static str,
}

const fn field(name: &'static str, kind: FieldKind, description: &'static str) -> Field {
    Field {
        name,
        kind,
        nullable: false,
        private: false,
        description,
    }
}

const fn nullable(name: &'static str, kind: FieldKind, description: &'static str) -> Field {
    Field {
        nullable: true,
        ..field(name, kind, description)
    }
}

const fn private(name: &'static str, kind: FieldKind, nullable: bool, d: &'static str) -> Field {
    Field {
        nullable,
        private: true,
        ..field(name, kind, d)
    }
}

use FieldKind::{Bool, DateTime, Number, Text, TextList};

const ORG: &[Field] = &[
    field("name", Text, "The business's name."),
    field("time_zone", Text, "IANA time zone, e.g. America/New_York."),
];

const CLIENT: &[Field] = &[
    field("id", Text, "Client id."),
    field("name", Text, "Full name."),
    field("first_name", Text, "First word of the name."),
    private(
        "phone",
        Text,
        false,
        "E.164 number; never shown to sitters.",
    ),
    private(
        "email",
        Text,
        true,
        "Email address; never shown to sitters.",
    ),
    field("tags", TextList, "The client's tags, e.g. vip."),
    field("opted_out", Bool, "Has texted STOP and not START since."),
    field("created_at", DateTime, "When the client was added."),
    field("visits_count", Number, "Completed visits."),
    nullable(
        "last_visit_at",
        DateTime,
        "End of the last completed visit.",
    ),
    nullable("days_since_last_visit", Number, "Whole days since then."),
];

const BOOKING_SITTER: &[Field] = &[
    field("id", Text, "Sitter's user id."),
    field("first_name", Text, "Sitter's first name."),
    field("name", Text, "Sitter's full name."),
];

const BOOKING: &[Field] = &[
    field("id", Text, "Booking id."),
    field("service_type", Text, "dog_walk, drop_in, overnight, …"),
    field("start", DateTime, "Visit start."),
    field("end", DateTime, "Visit end."),
    field(
        "status",
        Text,
        "scheduled, confirmed, completed, cancelled or pending_reschedule.",
    ),
    field("recurring", Bool, "Part of a recurring series."),
    nullable(
        "sitter",
        FieldKind::Object(BOOKING_SITTER),
        "The assigned sitter, or null.",
    ),
];

const SITTER: &[Field] = BOOKING_SITTER;

const MESSAGE: &[Field] = &[
    field("id", Text, "Message id."),
    field("thread_id", Text, "Thread id."),
    field("body", Text, "The text as the client wrote it."),
    field("received_at", DateTime, "When it arrived."),
];

const LEAD: &[Field] = &[
    field(
        "source",
        Text,
        "Where the lead came from: sms, website, referral, …",
    ),
    nullable("notes", Text, "What they asked for."),
];

const OPT_OUT: &[Field] = &[
    field(
        "keyword",
        Text,
        "The keyword as texted: STOP, UNSUBSCRIBE, START, …",
    ),
    field("opted_out", Bool, "true after STOP, false after START."),
];

const REMINDER: &[Field] = &[field(
    "offset_minutes",
    Number,
    "How long before the booking's start this fired.",
)];

const SCHEDULE: &[Field] = &[
    field("cron", Text, "The schedule's expression."),
    field("fired_at", DateTime, "The tick this run belongs to."),
];

/// Finds `rest` (`first_name`, `sitter.name`) among `fields`.
pub(crate) fn find(fields: &'static [Field], rest: &str) -> Option<&'static Field> {
    let (head, tail) = match rest.split_once('.') {
        Some((head, tail)) => (head, Some(tail)),
        None => (rest, None),
    };
    let field = fields.iter().find(|f| f.name == head)?;
    match (tail, field.kind) {
        (None, _) => Some(field),
        (Some(tail), FieldKind::Object(inner)) => find(inner, tail),
        (Some(_), _) => None,
    }
}

/// Every field of `object` as a dotted path (`client.first_name`, `booking.sitter`,
/// `booking.sitter.name`), with its field.
pub fn paths(object: Object) -> Vec<(String, &'static Field)> {
    let mut out = Vec::new();
    collect(object.key(), object.fields(), &mut out);
    out
}

fn collect(prefix: &str, fields: &'static [Field], out: &mut Vec<(String, &'static Field)>) {
    for f in fields {
        let path = format!("{prefix}.{}", f.name);
        if let FieldKind::Object(inner) = f.kind {
            collect(&path, inner, out);
        }
        out.push((path, f));
    }
}
