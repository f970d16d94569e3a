//! Anti-poaching policy: finds contact details and off-platform payment talk in a text,
//! and redacts them. Pure and allocation-light; a typical SMS scans in a few microseconds.
//!
//! The text is read once into a normalised token stream (see `tokens`: case folded,
//! fullwidth and Cyrillic/Greek look-alike letters mapped to ASCII, zero-width characters
//! dropped), and three hand-written detectors run over it:
//!
//! - **Phone** (`phone`): runs of digit groups and spelled digits (`zero`/`oh`/`o` …
//!   `nine`) joined by spaces, `-`, `.`, `(` and `)` (and by `,` or "dash" once a spelled
//!   digit is in the run: `five, five, five`). A run is a number when it holds 7,
//!   10, 11 (starting 0 or 1) or 12–15 (starting `00`/`011`) digits, or 8–15 after `+`.
//!   So `555-123-4567`, `(555) 123-4567`, `+1 555 123 4567`, `5551234567`, `123-4567`,
//!   `5 5 5 1 2 3 4 5 6 7`, `555 one two three 4567` and `five five five …` all count.
//!   A run holding more than that is searched for the usual shapes (`3-3-4`, `3-4`, …).
//! - **Email** and **Url** (`contact`): `name@domain`, `name@gmail` (a known provider
//!   needs no TLD), `name at gmail dot com`, `name (at) gmail (dot) com`; `http(s)://…`,
//!   `www.…`, bare domains (`mysite.com`, `bit.ly/abc`, `t.me/x`) and `mysite dot com`.
//!   A plain "at" is an address only with a provider or a spelled dot after it, so
//!   "ordered at chewy.com" is a link and "my rates at mysite dot com" too.
//! - **Social** (`contact`, `words`): `@handles`; Instagram/IG/insta, Snapchat, WhatsApp,
//!   Telegram, Facebook/FB, WeChat, Kik; "snap" and "signal" when they name the app; "DM
//!   me", "PM me", "my personal (number)", "off/outside the app". An app name followed by
//!   an account ("IG: zig_the_dog", "venmo @jane-doe") takes the account into its span.
//! - **Payment** (`words`): Venmo, Cash App/`$cashtag`, Zelle, PayPal, "pay me directly",
//!   "pay you in cash", "pay outside the app".
//!
//! Deliberate trade-offs, each to keep what sitters and clients really write clean:
//!
//! - Digits glued to letters (`3pm`, `4B`, `2nd`) are not part of a number; digits after
//!   `$`, `:` or `/` and before `:`, `/` or `%` belong to a price, time or date; 8-digit
//!   dates (`2026-01-19`) fail the count, and 7-digit ones (`1-19-2026`) are recognised.
//!   A 7-digit run that reads as a quarter-hour time range up to four hours long
//!   (`930-1030`) is taken as the time, so a number like `915-1230` is missed.
//! - A lone 7- or 8-digit number after "code", "gate", "alarm", "lockbox", "order", … or
//!   next to `#` is a code. `555-1234` after "code" is still a phone. A run of five or more
//!   consecutive numbers (`1 2 3 4 5 6 7 8`) is counting.
//! - A phone number is flagged whoever it belongs to: the vet's or poison control's
//!   number is a violation too; the reviewer decides.
//! - Bare domains need a TLD that is not an everyday word (`.com`, `.net`, `.io`, `.ly`,
//!   …); `.me`, `.us`, `.so`, `.is` … count only with a path or a known short host, so
//!   "good.Me too" and "Ok.So" stay clean. `e.g.`, `i.e.`, `a.m.`, `done.See you` have no
//!   such TLD. A new or rare TLD (`.zip`, `.mov`) is missed.
//! - `@` followed by a digit or by a place or time word (`@ 3pm`, `@noon`, `lunch@home`)
//!   is "at". Any other `@word` is a handle, so `@Ziggy` is flagged.
//! - "snap" counts after "my/on/add/via …", before ":", "chat", "handle", or as "snap me"
//!   not followed by a photo word ("snap me a pic" is clean). "signal" counts after
//!   "on/via/use …" or before "me/app", so "no signal here" is clean.
//! - Mentioning an app is enough ("the IG post was cute", "my PayPal card"): the policy
//!   errs on the side of a reviewer looking at it. Cash without "pay" ("I left cash for
//!   the tip", "let's do cash from now on") is not flagged.
//! - Not handled: numbers in words above nine ("twelve thirty-four"), letter-for-digit
//!   swaps (`555-O12-3456`), other scripts' digits, app names spelled letter by letter
//!   (`v e n m o`; a spelled-out mailbox before "at gmail" is), an account named before
//!   its app ("jane.walks on insta" flags only "insta"), and details split across
//!   several messages.

mod contact;
mod phone;
mod tokens;
mod words;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationType {
    Phone,
    Email,
    Url,
    Social,
    Payment,
}

impl ViolationType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Url => "url",
            Self::Social => "social",
            Self::Payment => "payment",
        }
    }

    /// What [`redact`] puts in place of a finding.
    pub fn placeholder(self) -> &'static str {
        match self {
            Self::Phone => "[phone removed]",
            Self::Email => "[email removed]",
            Self::Url => "[link removed]",
            Self::Social => "[contact removed]",
            Self::Payment => "[payment removed]",
        }
    }

    /// Which label wins when a redaction merges overlapping findings: `paypal.me/jane`
    /// reads as payment, `instagram.com/zig` as a link.
    fn precedence(self) -> u8 {
        match self {
            Self::Payment => 4,
            Self::Email => 3,
            Self::Phone => 2,
            Self::Url => 1,
            Self::Social => 0,
        }
    }

    /// Ranks kinds so that one that can enclose another sorts before it on a tie.
    fn nesting(self) -> u8 {
        match self {
            Self::Email => 3,
            Self::Payment | Self::Url => 2,
            Self::Phone => 1,
            Self::Social => 0,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// A finding of kind `self` that encloses one of kind `inner` makes it redundant: the
    /// domain of an address, the digits of `wa.me/1555…`, the handle after "venmo".
    fn encloses(self, inner: Self) -> bool {
        matches!(
            (self, inner),
            (Self::Email, Self::Url | Self::Phone | Self::Social)
                | (Self::Url, Self::Phone)
                | (Self::Payment, Self::Social)
        )
    }
}

/// One violation: its kind and its byte range in the scanned text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    pub kind: ViolationType,
    pub start: usize,
    pub end: usize,
}

/// Every violation in `text`, ordered by position; empty when the text is clean.
/// Findings of one kind never overlap; an enclosed finding of a lesser kind is dropped,
/// otherwise findings of different kinds may overlap (`paypal.me/jane` is both).
pub fn scan(text: &str) -> Vec<Finding> {
    let t = tokens::Tokens::new(text);
    let mut found = Vec::new();
    phone::find(&t, &mut found);
    contact::find(&t, &mut found);
    words::find(&t, &mut found);
    tidy(found)
}

/// `text` with each finding's span replaced by its placeholder. Overlapping findings
/// merge into one placeholder; findings that do not fit `text` are ignored.
pub fn redact(text: &str, findings: &[Finding]) -> String {
    let mut spans: Vec<Finding> = findings
        .iter()
        .copied()
        .filter(|f| {
            f.start < f.end && text.is_char_boundary(f.start) && text.is_char_boundary(f.end)
        })
        .collect();
    spans.sort_by_key(|f| f.start);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut iter = spans.into_iter().peekable();
    while let Some(mut f) = iter.next() {
        while let Some(next) = iter.next_if(|n| n.start < f.end) {
            f.end = f.end.max(next.end);
            if next.kind.precedence() > f.kind.precedence() {
                f.kind = next.kind;
            }
        }
        out.push_str(text.get(copied..f.start).unwrap_or_default());
        out.push_str(f.kind.placeholder());
        copied = f.end;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

fn tidy(mut found: Vec<Finding>) -> Vec<Finding> {
    // Outer before inner: by start, then longest first, then the enclosing kind first.
    found.sort_unstable_by(|a, b| {
        (a.start, b.end, b.kind.nesting()).cmp(&(b.start, a.end, a.kind.nesting()))
    });
    let mut reach = [0usize; 5];
    let mut last: [Option<usize>; 5] = [None; 5];
    let mut out: Vec<Finding> = Vec::with_capacity(found.len());
    for f in found {
        let enclosed = [
            ViolationType::Phone,
            ViolationType::Email,
            ViolationType::Url,
            ViolationType::Social,
            ViolationType::Payment,
        ]
        .into_iter()
        .any(|outer| outer.encloses(f.kind) && reach[outer.index()] >= f.end);
        if enclosed {
            continue;
        }
        let k = f.kind.index();
        reach[k] = reach[k].max(f.end);
        match last[k].and_then(|j| out.get_mut(j)) {
            Some(prev) if f.start < prev.end => prev.end = prev.end.max(f.end),
            _ => {
                last[k] = Some(out.len());
                out.push(f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<ViolationType> {
        scan(text).into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn drops_findings_enclosed_by_a_stronger_one() {
        use ViolationType::*;
        assert_eq!(kinds("jane5551234567@gmail.com"), [Email]);
        assert_eq!(kinds("wa.me/15551234567"), [Url]);
        assert_eq!(kinds("venmo @jane-doe-12"), [Payment]);
        assert_eq!(kinds("paypal.me/janedoe"), [Url, Payment]);
        assert_eq!(kinds("insta: @zig.the.dog"), [Social]);
    }

    #[test]
    fn redacts_each_span_with_its_placeholder() {
        let text = "Text me 555-123-4567 or jane@gmail.com, venmo @jane-d";
        assert_eq!(
            redact(text, &scan(text)),
            "Text me [phone removed] or [email removed], [payment removed]"
        );
        let text = "see paypal.me/jane!";
        assert_eq!(redact(text, &scan(text)), "see [payment removed]!");
    }

    #[test]
    fn redact_ignores_findings_that_do_not_fit_the_text() {
        let f = |start, end| Finding {
            kind: ViolationType::Phone,
            start,
            end,
        };
        let text = "héllo wörld";
        let bad = [
            f(1, 2),
            f(5, 3),
            f(4, 400),
            f(7, 7),
            f(usize::MAX, usize::MAX),
        ];
        assert_eq!(redact(text, &bad), text);
        assert_eq!(
            redact(text, &[f(0, 3), f(0, 1)]),
            "[phone removed]llo wörld"
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let long = "555-1234 @xy jane@gmail.com ".repeat(20_000);
        let run = format!("five, {}", "1, ".repeat(50_000));
        let dots = "a.".repeat(50_000);
        let http = "http://".repeat(20_000);
        let nasty = [
            "",
            " ",
            "@",
            "@@@@",
            ".",
            "$",
            "+",
            "(((",
            "\u{200B}\u{FEFF}\u{00AD}",
            "🐶🐶🐶 ５５５－１２３－４５６７",
            "e\u{301}\u{301}\u{301} ǅ ﬃ İ",
            "a.b.c.d.e.f.g.h.i.j.k.l.com",
            "http://",
            "www.",
            "x@",
            "@_",
            "$_",
            "pay",
            "my personal",
            "snap",
            "ig:",
            "jane (at",
            "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
            "\0\u{1}\u{7f}\u{10FFFF}",
            long.as_str(),
            run.as_str(),
            dots.as_str(),
            http.as_str(),
        ];
        let started = std::time::Instant::now();
        for text in nasty {
            let found = scan(text);
            for f in &found {
                assert!(f.start < f.end && f.end <= text.len());
                assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            }
            let _ = redact(text, &found);
        }
        // Linear, not quadratic: a few hundred kilobytes scan well within a second.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(scan(&long).len(), 60_000);
    }
}
