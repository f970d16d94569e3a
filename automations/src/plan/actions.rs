//! The actions an automation can take, and their checks at save time.

use serde::{Deserialize, Serialize};

use crate::Problem;
use crate::templates::{self, Audience};
use crate::triggers::{Object, Trigger, sample};

/// Shortest and longest `wait`: one minute to thirty days.
pub const WAIT_MINUTES: std::ops::RangeInclusive<i64> = 1..=30 * 24 * 60;
/// Longest rendered title of an alert, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;
/// Most actions in one automation.
pub const MAX_ACTIONS: usize = 20;

/// One step of an automation, as the builder's step 4 (and 5, for the templates) saves it:
/// `{"type": "send_sms", "to": "client", "template": "Hi {{ client.first_name }}!"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// A text on the automation's lane, through the normal outbound path.
    SendSms {
        to: Recipient,
        template: String,
    },
    /// An alert for the owner; `title` is a template too.
    NotifyOwner {
        title: String,
        template: String,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    /// A durable pause before the next step.
    Wait {
        minutes: i64,
    },
    CreateAlert {
        severity: Severity,
        title: String,
        template: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Client,
    Owner,
    /// The assigned sitter: `sitter`, or `booking.sitter` where the trigger has no
    /// top-level sitter (then a booking without one fails the step).
    Sitter,
}

impl Recipient {
    pub fn audience(self) -> Audience {
        match self {
            Self::Client => Audience::Client,
            Self::Owner => Audience::Owner,
            Self::Sitter => Audience::Sitter,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Action {
    /// The action's name as stored and shown: `send_sms`, `wait`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SendSms { .. } => "send_sms",
            Self::NotifyOwner { .. } => "notify_owner",
            Self::AddTag { .. } => "add_tag",
            Self::RemoveTag { .. } => "remove_tag",
            Self::Wait { .. } => "wait",
            Self::CreateAlert { .. } => "create_alert",
        }
    }

    /// Who reads this action's text, if it has one.
    pub fn audience(&self) -> Option<Audience> {
        match self {
            Self::SendSms { to, .. } => Some(to.audience()),
            Self::NotifyOwner { .. } | Self::CreateAlert { .. } => Some(Audience::Owner),
            Self::AddTag { .. } | Self::RemoveTag { .. } | Self::Wait { .. } => None,
        }
    }

    /// The action's title and body templates, if it has them.
    pub fn templates(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Self::SendSms { template, .. } => (None, Some(template)),
            Self::NotifyOwner { title, template }
            | Self::CreateAlert {
                title, template, ..
            } => (Some(title), Some(template)),
            Self::AddTag { .. } | Self::RemoveTag { .. } | Self::Wait { .. } => (None, None),
        }
    }

    /// Checks one action for `trigger`; `at` is its place (`actions[2]`).
    pub(crate) fn validate(&self, trigger: Trigger, at: &str, problems: &mut Vec<Problem>) {
        match self {
            Self::SendSms {
                to: Recipient::Sitter,
                ..
            } if !trigger.has(Object::Sitter) && !trigger.has(Object::Booking) => {
                problems.push(Problem::new(
                    format!("{at}.to"),
                    format!("a {trigger} event has no sitter to text"),
                ));
            }
            Self::AddTag { tag } | Self::RemoveTag { tag } => {
                if let Err(reason) = check_tag(tag) {
                    problems.push(Problem::new(format!("{at}.tag"), reason));
                }
            }
            Self::Wait { minutes } if !WAIT_MINUTES.contains(minutes) => {
                problems.push(Problem::new(
                    format!("{at}.minutes"),
                    "a wait is between 1 minute and 30 days",
                ));
            }
            _ => {}
        }
        let audience = self.audience().unwrap_or(Audience::Owner);
        let (title, body) = self.templates();
        if let Some(title) = title {
            let field = format!("{at}.title");
            match templates::check(title, trigger, audience) {
                Err(e) => problems.push(Problem::new(field, e.message).at(e.line, None)),
                Ok(()) => {
                    let text = templates::render_for(title, &sample(trigger), audience);
                    if text.is_ok_and(|t| t.chars().count() > MAX_TITLE_CHARS) {
                        problems.push(Problem::new(
                            field,
                            format!("a title may be at most {MAX_TITLE_CHARS} characters"),
                        ));
                    }
                }
            }
        }
        if let Some(Err(e)) = body.map(|body| templates::check(body, trigger, audience)) {
            problems.push(Problem::new(format!("{at}.template"), e.message).at(e.line, None));
        }
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    let trimmed = tag.trim();
    if trimmed.is_empty() {
        return Err("a tag cannot be empty".to_owned());
    }
    if trimmed != tag {
        return Err("a tag cannot start or end with a space".to_owned());
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(format!("a tag may be at most {MAX_TAG_CHARS} characters"));
    }
    if tag.chars().any(|c| c.is_control() || c == ',') {
        return Err("a tag cannot contain commas or control characters".to_owned());
    }
    Ok(())
}
