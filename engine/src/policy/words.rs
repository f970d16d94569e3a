//! Words and phrases: messaging apps and social networks, "DM me", "my personal number",
//! payment apps, `$cashtags` and "pay me directly".

use super::{Finding, ViolationType, tokens::Tokens};

use ViolationType::{Payment, Social};

/// What may follow "snap me" when it means "send me a photo".
const PHOTO_WORDS: [&str; 20] = [
    "a", "an", "the", "some", "pic", "pics", "picture", "pictures", "photo", "photos", "video",
    "videos", "vid", "selfie", "quick", "few", "when", "once", "if", "after",
];

/// Words that can sit between "pay" and how: "pay *you in* cash".
const PAY_FILLER: [&str; 12] = [
    "me", "you", "us", "him", "her", "them", "the", "sitter", "in", "with", "by", "via",
];

/// What follows "personal" when it names a contact channel.
const CHANNELS: [&str; 12] = [
    "number", "num", "cell", "phone", "email", "line", "mobile", "contact", "insta", "ig", "snap",
    "whatsapp",
];

pub(super) fn find(t: &Tokens, out: &mut Vec<Finding>) {
    for i in 0..t.len() {
        let hit = match t.word(i) {
            Some(w) if t.standalone(i) => keyword(t, i, w),
            Some(_) => None,
            None => cashtag(t, i),
        };
        if let Some((kind, end)) = hit
            && let Some((start, end)) = t.span(i, end)
        {
            out.push(Finding { kind, start, end });
        }
    }
}

/// The kind and last token of the phrase starting with word `w` at `i`, if it is one.
fn keyword(t: &Tokens, i: usize, w: &str) -> Option<(ViolationType, usize)> {
    let (kind, end, names_account) = match w {
        "instagram" | "insta" | "ig" | "snapchat" | "whatsapp" | "whatsap" | "watsapp"
        | "telegram" | "facebook" | "fb" | "wechat" | "kik" => (Social, i, true),
        "dm" | "dms" => (Social, i, false),
        "snap" if t.is_word(i + 1, "chat") => (Social, i + 1, true),
        "snap" if snap_is_the_app(t, i) => (Social, i, true),
        "signal" if signal_is_the_app(t, i) => (Social, i, true),
        "whats" if t.is_word(i + 1, "app") => (Social, i + 1, true),
        // "pm me", but not "at 5 pm me and Ziggy…".
        "pm" if t.is_word(i + 1, "me") && i.checked_sub(1).is_none_or(|p| t.num(p).is_none()) => {
            (Social, i + 1, false)
        }
        "personal" => (Social, personal(t, i)?, false),
        "off" | "outside" => (Social, off_the_app(t, i)?, false),
        "cash" => (Payment, cash_app(t, i)?, true),
        "pay" if t.is_word(i + 1, "pal") => (Payment, i + 1, true),
        "pay" | "paying" | "pays" => (Payment, pay_directly(t, i)?, false),
        w if is_payment_app(w) => (Payment, i, true),
        _ => return None,
    };
    let end = if names_account {
        account_after(t, end).unwrap_or(end)
    } else {
        end
    };
    Some((kind, end))
}

/// `venmo`, `Venmo'd`, `venmoing`, `zelle`, `paypal`, `cashapp`.
fn is_payment_app(w: &str) -> bool {
    ["venmo", "cashapp", "paypal", "zelle"].iter().any(|app| {
        w.strip_prefix(app)
            .is_some_and(|rest| matches!(rest, "" | "s" | "d" | "ed" | "ing"))
    })
}

/// "my snap", "add me on snap", "snap: …", "snap me" — but not "snap a pic", "oh snap",
/// "snap me a photo when you get there" or "the harness snap".
fn snap_is_the_app(t: &Tokens, i: usize) -> bool {
    let prev = t.prev_word(i);
    if prev.is_some_and(|p| {
        matches!(
            p,
            "my" | "on" | "via" | "add" | "your" | "over" | "through" | "using" | "use"
        )
    }) {
        return true;
    }
    if matches!(t.punct(i + 1), Some(':' | '@')) {
        return true;
    }
    match t.word(i + 1) {
        Some("handle" | "username" | "name" | "id") => true,
        Some("me") => {
            let photo = t.word(i + 2).is_some_and(|w| PHOTO_WORDS.contains(&w));
            !photo && t.num(i + 2).is_none()
        }
        _ => false,
    }
}

/// "on Signal", "via signal", "signal me", "the Signal app" — not "no signal", "the signal
/// is weak", "signals".
fn signal_is_the_app(t: &Tokens, i: usize) -> bool {
    let prev = t.prev_word(i).is_some_and(|p| {
        matches!(
            p,
            "on" | "via" | "over" | "through" | "use" | "using" | "download" | "add"
        )
    });
    let next = t
        .word(i + 1)
        .is_some_and(|n| matches!(n, "me" | "app" | "number" | "chat"));
    prev || next
}

/// "personal number", "personal cell", or "my personal" before a number or closing a
/// clause ("text me on my personal."), but not "my personal favorite".
fn personal(t: &Tokens, i: usize) -> Option<usize> {
    if t.word(i + 1).is_some_and(|n| CHANNELS.contains(&n)) {
        return Some(i + 1);
    }
    if t.punct(i + 1) == Some('#') {
        return Some(i + 1);
    }
    // "my personal." or "my personal: 555…": the channel goes unnamed.
    let ends = i + 1 >= t.len()
        || t.num(i + 1).is_some()
        || t.punct(i + 1)
            .is_some_and(|c| matches!(c, '.' | '!' | '?' | ',' | ';' | ':' | ')'));
    (t.prev_word(i) == Some("my") && ends).then_some(i)
}

/// "off the app", "outside the app", "outside of the app", "off platform".
fn off_the_app(t: &Tokens, i: usize) -> Option<usize> {
    let mut k = i + 1;
    if t.is_word(k, "of") {
        k += 1;
    }
    if t.is_word(k, "the") {
        k += 1;
    }
    t.word(k)
        .is_some_and(|w| matches!(w, "app" | "platform"))
        .then_some(k)
}

/// "cash app", "cash-app".
fn cash_app(t: &Tokens, i: usize) -> Option<usize> {
    if t.is_word(i + 1, "app") {
        return Some(i + 1);
    }
    (t.punct(i + 1) == Some('-') && t.joined(i + 1) && t.joined(i + 2) && t.is_word(i + 2, "app"))
        .then_some(i + 2)
}

/// "pay me directly", "pay you in cash", "pay the sitter privately", "pay outside the
/// app" — but not "pay directly in the app" or "pay with the app".
fn pay_directly(t: &Tokens, i: usize) -> Option<usize> {
    let mut k = i + 1;
    while k <= i + 3 && t.word(k).is_some_and(|w| PAY_FILLER.contains(&w)) {
        k += 1;
    }
    match t.word(k)? {
        "cash" | "privately" | "personally" | "offline" => Some(k),
        "directly" | "direct" => {
            let in_app = (k + 1..=k + 3).any(|n| {
                t.word(n).is_some_and(|w| {
                    matches!(
                        w,
                        "app" | "platform" | "portal" | "invoice" | "website" | "booking"
                    )
                })
            });
            (!in_app).then_some(k)
        }
        "outside" | "off" => off_the_app(t, k),
        _ => None,
    }
}

/// `$janedoe`: a Cash App tag. `$25` is a price.
fn cashtag(t: &Tokens, i: usize) -> Option<(ViolationType, usize)> {
    if t.punct(i) != Some('$') || !t.joined(i + 1) || t.word(i + 1).is_none() {
        return None;
    }
    let mut end = i + 1;
    while t.joined(end + 1) && (t.is_alnum(end + 1) || matches!(t.punct(end + 1), Some('_' | '-')))
    {
        end += 1;
    }
    while end > i + 1 && !t.is_alnum(end) {
        end -= 1;
    }
    Some((Payment, end))
}

/// The account named right after an app: "insta: ziggy_the_dog", "venmo @jane-doe-12",
/// "my IG is zig.dog". A plain word counts only after a colon ("IG: zigmeister"); after
/// "is" it must look like a handle, so "insta is great" stays short.
fn account_after(t: &Tokens, end: usize) -> Option<usize> {
    let mut k = end + 1;
    let mut colon = false;
    for _ in 0..3 {
        match (t.punct(k), t.word(k)) {
            (Some(':' | '-' | '='), _) => colon = true,
            (_, Some("is" | "me" | "at" | "on" | "handle" | "name" | "username" | "id")) => {}
            _ => break,
        }
        k += 1;
    }
    let at = t.punct(k) == Some('@') && t.joined(k + 1);
    let first = if at { k + 1 } else { k };
    if t.word(first).is_none() && t.punct(first) != Some('_') {
        return None;
    }
    let mut last = first;
    while t.joined(last + 1)
        && (t.is_alnum(last + 1) || matches!(t.punct(last + 1), Some('_' | '.' | '-')))
    {
        last += 1;
    }
    while last > first && !t.is_alnum(last) && t.punct(last) != Some('_') {
        last -= 1;
    }
    let marked = (first..=last).any(|j| t.num(j).is_some() || t.punct(j).is_some());
    let direct_colon = colon && k == end + 2;
    (at || marked || direct_colon).then_some(last)
}
