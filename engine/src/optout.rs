//! Carrier keywords: opt-out, opt-in and help, matched on the whole body.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Keyword {
    OptOut,
    OptIn,
    Help,
}

/// The keyword a body is, if it is one: the whole body, any case, surrounding spaces
/// ignored ("stop" is, "please stop texting me" is not).
pub fn keyword(body: &str) -> Option<Keyword> {
    match body.trim().to_ascii_uppercase().as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE" | "OPTOUT" => {
            Some(Keyword::OptOut)
        }
        "START" | "YES" | "UNSTOP" => Some(Keyword::OptIn),
        "HELP" | "INFO" => Some(Keyword::Help),
        _ => None,
    }
}

/// The one-line answer to a keyword, sent back at once in the webhook's TwiML.
pub fn confirmation(keyword: Keyword, org_name: &str, help_text: &str) -> String {
    match keyword {
        Keyword::OptOut => format!(
            "You have been unsubscribed from {org_name} and will receive no more messages. Reply START to resubscribe."
        ),
        Keyword::OptIn => {
            format!("You have been resubscribed to {org_name}. Reply STOP to unsubscribe.")
        }
        Keyword::Help => format!("{org_name}: {help_text}"),
    }
}

impl Keyword {
    /// How the event reads in the thread, naming the word the client sent (`QUIT`).
    pub fn system_text(self, body: &str) -> String {
        let word = body.trim().to_uppercase();
        match self {
            Self::OptOut => format!("Client opted out of text messages ({word})."),
            Self::OptIn => format!("Client opted back in to text messages ({word})."),
            Self::Help => format!("Client asked for help ({word}); the help text was sent."),
        }
    }

    pub fn audit_type(self) -> &'static str {
        match self {
            Self::OptOut => "sms.opt_out",
            Self::OptIn => "sms.opt_in",
            Self::Help => "sms.help",
        }
    }

    /// The counter of these events: in `/metrics`, and the org's durable one
    /// ([`crate::counters`]).
    pub fn counter(self) -> &'static str {
        match self {
            Self::OptOut => crate::counters::SMS_OPT_OUT_EVENTS,
            Self::OptIn => crate::counters::SMS_OPT_IN_EVENTS,
            Self::Help => crate::counters::SMS_HELP_EVENTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_body_keywords_in_any_case() {
        let cases = [
            ("STOP", Some(Keyword::OptOut)),
            ("  stop ", Some(Keyword::OptOut)),
            ("Unsubscribe", Some(Keyword::OptOut)),
            ("cancel", Some(Keyword::OptOut)),
            ("StopAll", Some(Keyword::OptOut)),
            ("end", Some(Keyword::OptOut)),
            ("quit", Some(Keyword::OptOut)),
            ("revoke", Some(Keyword::OptOut)),
            ("optout", Some(Keyword::OptOut)),
            ("start", Some(Keyword::OptIn)),
            ("YES", Some(Keyword::OptIn)),
            ("unstop", Some(Keyword::OptIn)),
            ("help", Some(Keyword::Help)),
            ("Info", Some(Keyword::Help)),
            ("please stop", None),
            ("stop.", None),
            ("cancel my booking", None),
            ("yes please", None),
            ("", None),
        ];
        for (body, want) in cases {
            assert_eq!(keyword(body), want, "{body:?}");
        }
    }
}
