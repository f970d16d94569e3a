//! Email addresses (plain and spelled out), links and bare domains, and `@handles`.

use super::{Finding, ViolationType, tokens::Tokens};

/// Top-level domains that are not everyday words, so `mysite.com` or `bit.ly` is a link
/// wherever it appears, and `mysite dot com` too.
const STRONG_TLDS: [&str; 41] = [
    "com", "net", "org", "io", "co", "ly", "gg", "xyz", "info", "biz", "edu", "gov", "ca", "uk",
    "de", "fr", "au", "nz", "ie", "ru", "tv", "ai", "app", "dev", "ee", "cc", "ws", "bio", "fm",
    "sh", "gl", "mobi", "club", "website", "tech", "space", "art", "pro", "ninja", "social",
    "email",
];

/// Top-level domains that are also words (`Ok.So`, `good.Me too`, `sit.Go`), links only
/// with a path after them (`paypal.me/jane`) or a known short host (`t.me`, `youtu.be`).
const WEAK_TLDS: [&str; 28] = [
    "me", "us", "to", "so", "is", "it", "in", "be", "at", "no", "am", "go", "do", "my", "es",
    "lol", "vet", "pet", "dog", "link", "page", "site", "shop", "store", "online", "live", "life",
    "blog",
];

const WEAK_TLD_HOSTS: [&str; 4] = ["t", "wa", "m", "youtu"];
const SHORT_HOSTS: [&str; 4] = ["x", "t", "g", "m"];

/// Mail providers, so `jane@gmail` or `jane at gmail` is an address without its TLD.
const PROVIDERS: [&str; 11] = [
    "gmail",
    "googlemail",
    "yahoo",
    "ymail",
    "hotmail",
    "outlook",
    "icloud",
    "aol",
    "proton",
    "protonmail",
    "msn",
];

/// Words before "at" that name a place on the web rather than a mailbox.
const SITE_WORDS: [&str; 20] = [
    "me",
    "us",
    "rates",
    "prices",
    "site",
    "website",
    "online",
    "profile",
    "page",
    "reviews",
    "photos",
    "pics",
    "calendar",
    "schedule",
    "availability",
    "booking",
    "details",
    "more",
    "it",
    "them",
];

/// What follows `@` when it means "at" (`see you @noon`, `lunch@home`), not a handle or a
/// mail domain.
const AT_WORDS: [&str; 32] = [
    "noon",
    "midnight",
    "night",
    "home",
    "work",
    "school",
    "lunch",
    "dinner",
    "breakfast",
    "the",
    "my",
    "your",
    "our",
    "his",
    "her",
    "their",
    "this",
    "that",
    "least",
    "around",
    "about",
    "approx",
    "park",
    "vet",
    "gym",
    "office",
    "morning",
    "evening",
    "afternoon",
    "dusk",
    "dawn",
    "sunset",
];

pub(super) fn find(t: &Tokens, out: &mut Vec<Finding>) {
    let mut i = 0;
    while i < t.len() {
        let next = if t.punct(i) == Some('@') {
            at_sign(t, i, out)
        } else if let Some(w) = t.word(i) {
            scheme_url(t, i, w)
                .or_else(|| spelled_at(t, i, w))
                .or_else(|| domain(t, i))
                .map(|(kind, start, end)| {
                    push(t, out, kind, start, end);
                    end + 1
                })
        } else if t.num(i).is_some() {
            domain(t, i).map(|(kind, start, end)| {
                push(t, out, kind, start, end);
                end + 1
            })
        } else {
            None
        };
        i = next.map_or(i + 1, |n| n.max(i + 1));
    }
}

fn push(t: &Tokens, out: &mut Vec<Finding>, kind: ViolationType, a: usize, b: usize) {
    if let Some((start, end)) = t.span(a, b) {
        out.push(Finding { kind, start, end });
    }
}

/// `jane@gmail.com`, `jane@gmail`, `jane @ gmail dot com`, or a handle: `@ziggy_the_dog`.
fn at_sign(t: &Tokens, k: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let local_glued = t.joined(k) && t.is_alnum(k - 1);
    let domain_glued = t.joined(k + 1);
    if local_glued && domain_glued {
        // `me@3pm`, `lunch@noon` are times and places.
        t.word(k + 1)?;
        let end = ident_end(t, k + 1, &['.', '-', '_']);
        if end == k + 1 && t.word(k + 1).is_some_and(|w| AT_WORDS.contains(&w)) {
            return None;
        }
        push(t, out, ViolationType::Email, local_start(t, k - 1), end);
        return Some(end + 1);
    }
    if domain_glued {
        // A handle starts with a letter or `_`; `@3pm` and `@10` are times.
        if t.word(k + 1).is_none() && t.punct(k + 1) != Some('_') {
            return None;
        }
        let end = ident_end(t, k + 1, &['.', '_']);
        let one_word = end == k + 1;
        if one_word
            && t.word(k + 1)
                .is_some_and(|w| w.len() < 2 || AT_WORDS.contains(&w))
        {
            return None;
        }
        push(t, out, ViolationType::Social, k, end);
        return Some(end + 1);
    }
    // `jane @ gmail.com`: spaced out, so it needs a real-looking domain.
    if k > 0 && t.is_alnum(k - 1) {
        let d = mail_domain(t, k + 1)?;
        if d.tld || d.provider {
            push(t, out, ViolationType::Email, local_start(t, k - 1), d.end);
            return Some(d.end + 1);
        }
    }
    None
}

/// `jane at gmail dot com`, `jane (at) gmail (dot) com`, `jane at gmail`.
fn spelled_at(t: &Tokens, i: usize, w: &str) -> Option<(ViolationType, usize, usize)> {
    if w != "at" || !t.standalone(i) {
        return None;
    }
    let bracketed = i > 0 && is_open(t.punct(i - 1)) && is_close(t.punct(i + 1));
    let (lo, hi) = if bracketed { (i - 1, i + 1) } else { (i, i) };
    let local = lo.checked_sub(1).filter(|&p| t.is_alnum(p))?;
    let start = spelled_local_start(t, local);
    // "find my rates at mysite dot com" points at a site, not a mailbox.
    if !bracketed && start == local && t.word(local).is_some_and(|w| SITE_WORDS.contains(&w)) {
        return None;
    }
    let d = mail_domain(t, hi + 1)?;
    // A plain `at` before `chewy.com` is just "at"; the link rule takes the domain.
    (bracketed || d.provider || (d.tld && d.spelled)).then_some((
        ViolationType::Email,
        start,
        d.end,
    ))
}

/// `jane dot doe` or `j a n e` before a spelled `at`: the local part reaches back over
/// spelled dots and letters typed one by one.
fn spelled_local_start(t: &Tokens, i: usize) -> usize {
    let mut start = local_start(t, i);
    loop {
        let letter = |k: usize| t.word(k).is_some_and(|w| w.chars().count() == 1);
        if start >= 2 && t.is_word(start - 1, "dot") && t.is_alnum(start - 2) {
            start = local_start(t, start - 2);
        } else if start >= 1 && letter(start) && letter(start - 1) && t.standalone(start - 1) {
            start -= 1;
        } else {
            return start;
        }
    }
}

struct MailDomain {
    end: usize,
    tld: bool,
    spelled: bool,
    provider: bool,
}

fn mail_domain(t: &Tokens, j: usize) -> Option<MailDomain> {
    let first = t.word(j)?;
    let provider = PROVIDERS.contains(&first);
    let label = label_end(t, j);
    let mut d = MailDomain {
        end: label,
        tld: false,
        spelled: false,
        provider,
    };
    let mut le = label;
    let mut spelled = false;
    for _ in 0..6 {
        let Some((after, by_word)) = dot_at(t, le + 1) else {
            break;
        };
        if !t.is_alnum(after) {
            break;
        }
        spelled |= by_word;
        le = label_end(t, after);
        let is_tld = le == after
            && t.word(after)
                .is_some_and(|w| STRONG_TLDS.contains(&w) || WEAK_TLDS.contains(&w));
        if is_tld {
            d = MailDomain {
                end: le,
                tld: true,
                spelled,
                provider,
            };
        }
    }
    Some(d)
}

/// `http://…`, `https://…`, `www.…`: a link through to the next whitespace.
fn scheme_url(t: &Tokens, i: usize, w: &str) -> Option<(ViolationType, usize, usize)> {
    let linked = match w {
        "http" | "https" => {
            t.punct(i + 1) == Some(':')
                && t.joined(i + 1)
                && (i + 2..=i + 3).all(|k| t.punct(k) == Some('/') && t.joined(k))
        }
        "www" => t.punct(i + 1) == Some('.') && t.joined(i + 1) && t.joined(i + 2),
        _ => false,
    };
    linked.then(|| (ViolationType::Url, i, rest_end(t, i)))
}

/// A bare domain, `mysite.com`, `bit.ly/abc`, `docs.google.com`, or a spelled-out one,
/// `mysite dot com`.
fn domain(t: &Tokens, i: usize) -> Option<(ViolationType, usize, usize)> {
    let mid_chain = t.joined(i)
        && (t.is_alnum(i - 1) || matches!(t.punct(i - 1), Some('.' | '-' | '_' | '@' | '/' | '+')));
    if mid_chain {
        return None;
    }
    let mut le = label_end(t, i);
    let mut host = (i, le);
    let mut spelled = false;
    let mut best = None;
    for _ in 0..8 {
        let Some((after, by_word)) = dot_at(t, le + 1) else {
            break;
        };
        if !t.is_alnum(after) {
            break;
        }
        spelled |= by_word;
        le = label_end(t, after);
        let path = !spelled && t.punct(le + 1) == Some('/') && t.joined(le + 1);
        if le == after
            && let Some(tld) = t.word(after)
            && tld_ok(t, tld, host, spelled, path)
        {
            best = Some(if path { rest_end(t, le) } else { le });
        }
        host = (after, le);
    }
    let end = best?;
    // `jane.co@gmail.com`: the address rule owns it.
    if t.punct(end + 1) == Some('@') && t.joined(end + 1) {
        return None;
    }
    Some((ViolationType::Url, i, end))
}

fn tld_ok(t: &Tokens, tld: &str, host: (usize, usize), spelled: bool, path: bool) -> bool {
    let host_word = (host.0 == host.1).then(|| t.word(host.0)).flatten();
    let host_len = t.span(host.0, host.1).map_or(0, |(a, b)| b - a);
    if STRONG_TLDS.contains(&tld) {
        host_len >= 2 || host_word.is_some_and(|h| SHORT_HOSTS.contains(&h))
    } else if WEAK_TLDS.contains(&tld) && !spelled {
        (path && host_len >= 2) || host_word.is_some_and(|h| WEAK_TLD_HOSTS.contains(&h))
    } else {
        false
    }
}

/// `.` between two labels, or `dot`, `(dot)`, `[dot]` between two words: the index of the
/// label after it, and whether the dot was spelled.
fn dot_at(t: &Tokens, k: usize) -> Option<(usize, bool)> {
    if t.punct(k) == Some('.') {
        return (t.joined(k) && t.joined(k + 1)).then_some((k + 1, false));
    }
    if t.is_word(k, "dot") && t.standalone(k) {
        return Some((k + 1, true));
    }
    (is_open(t.punct(k)) && t.is_word(k + 1, "dot") && is_close(t.punct(k + 2)))
        .then_some((k + 3, true))
}

fn is_open(c: Option<char>) -> bool {
    matches!(c, Some('(' | '[' | '{' | '<'))
}

fn is_close(c: Option<char>) -> bool {
    matches!(c, Some(')' | ']' | '}' | '>'))
}

/// The last token of a domain label: letters, digits and inner hyphens.
fn label_end(t: &Tokens, i: usize) -> usize {
    let mut k = i;
    loop {
        if t.joined(k + 1) && t.is_alnum(k + 1) {
            k += 1;
        } else if t.joined(k + 1)
            && t.punct(k + 1) == Some('-')
            && t.joined(k + 2)
            && t.is_alnum(k + 2)
        {
            k += 2;
        } else {
            return k;
        }
    }
}

/// The last token of an identifier that starts at `i`: letters, digits and the given
/// marks, not ending on a mark other than `_`.
fn ident_end(t: &Tokens, i: usize, marks: &[char]) -> usize {
    let mut k = i;
    while t.joined(k + 1)
        && (t.is_alnum(k + 1) || t.punct(k + 1).is_some_and(|c| marks.contains(&c)))
    {
        k += 1;
    }
    while k > i && !t.is_alnum(k) && t.punct(k) != Some('_') {
        k -= 1;
    }
    k
}

/// The first token of the local part that ends at `i`: `jane.doe+dogs` in
/// `jane.doe+dogs@gmail.com`.
fn local_start(t: &Tokens, i: usize) -> usize {
    let mut k = i;
    while t.joined(k)
        && (t.is_alnum(k - 1)
            || t.punct(k - 1)
                .is_some_and(|c| matches!(c, '.' | '_' | '-' | '+')))
    {
        k -= 1;
    }
    while k < i && !t.is_alnum(k) && t.punct(k) != Some('_') {
        k += 1;
    }
    k
}

/// The last token before the next whitespace, leaving out closing punctuation.
fn rest_end(t: &Tokens, i: usize) -> usize {
    let mut k = i;
    while t.joined(k + 1) {
        k += 1;
    }
    while k > i
        && t.punct(k)
            .is_some_and(|c| matches!(c, '.' | ',' | '!' | '?' | ';' | ':' | ')' | '"' | '\''))
    {
        k -= 1;
    }
    k
}
