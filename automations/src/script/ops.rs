//! The condition builder's operators as script functions (`op_equals(a, b)`, …), so a
//! built condition is plain Rhai an owner can read and copy into a script by hand.
//!
//! They never fail: a comparison that makes no sense (a missing value, a number against
//! a text) is false, so a row over a field that is `null` in this event simply does not
//! match. Texts compare without regard to case ("VIP" is the tag "vip"); numbers compare
//! by value (2 equals 2.0); two RFC 3339 times compare as instants (`…15:00:00Z` equals
//! `…10:00:00.000-05:00`).

use std::cmp::Ordering;

use chrono::DateTime;
use rhai::{Dynamic, Engine};

pub(crate) fn register(engine: &mut Engine) {
    engine
        .register_fn("op_equals", |a: Dynamic, b: Dynamic| equals(&a, &b))
        .register_fn("op_not_equals", |a: Dynamic, b: Dynamic| !equals(&a, &b))
        .register_fn("op_contains", |a: Dynamic, b: Dynamic| contains(&a, &b))
        .register_fn("op_not_contains", |a: Dynamic, b: Dynamic| {
            !contains(&a, &b)
        })
        .register_fn("op_greater_than", |a: Dynamic, b: Dynamic| {
            compare(&a, &b) == Some(Ordering::Greater)
        })
        .register_fn("op_less_than", |a: Dynamic, b: Dynamic| {
            compare(&a, &b) == Some(Ordering::Less)
        })
        .register_fn("op_is_empty", |a: Dynamic| is_empty(&a))
        .register_fn("op_is_not_empty", |a: Dynamic| !is_empty(&a))
        .register_fn("op_in", |a: Dynamic, list: Dynamic| {
            list.read_lock::<rhai::Array>()
                .is_some_and(|items| items.iter().any(|item| equals(&a, item)))
        })
        .register_fn("op_has_tag", |tags: Dynamic, tag: Dynamic| {
            tag.is_string() && contains(&tags, &tag)
        });
}

fn number(d: &Dynamic) -> Option<f64> {
    d.as_int()
        .ok()
        .map(|i| i as f64)
        .or_else(|| d.as_float().ok())
}

fn same_text(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

pub(crate) fn equals(a: &Dynamic, b: &Dynamic) -> bool {
    if a.is_unit() || b.is_unit() {
        return a.is_unit() && b.is_unit();
    }
    if let (Ok(a), Ok(b)) = (a.as_immutable_string_ref(), b.as_immutable_string_ref()) {
        let times = (looks_like_time(&a) && looks_like_time(&b)).then(|| {
            (
                DateTime::parse_from_rfc3339(&a),
                DateTime::parse_from_rfc3339(&b),
            )
        });
        if let Some((Ok(a), Ok(b))) = times {
            return a == b;
        }
        return same_text(&a, &b);
    }
    if let (Some(a), Some(b)) = (number(a), number(b)) {
        return a == b;
    }
    if let (Ok(a), Ok(b)) = (a.as_bool(), b.as_bool()) {
        return a == b;
    }
    false
}

fn contains(haystack: &Dynamic, needle: &Dynamic) -> bool {
    if let Some(items) = haystack.read_lock::<rhai::Array>() {
        return items.iter().any(|item| equals(item, needle));
    }
    match (
        haystack.as_immutable_string_ref(),
        needle.as_immutable_string_ref(),
    ) {
        (Ok(h), Ok(n)) => h.to_lowercase().contains(&n.to_lowercase()),
        _ => false,
    }
}

/// `2026-01-19T15:00:00Z` and the like: cheap enough to ask of every text compared.
fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && matches!(b[10], b'T' | b't' | b' ')
}

fn compare(a: &Dynamic, b: &Dynamic) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (number(a), number(b)) {
        return a.partial_cmp(&b);
    }
    let (a, b) = (
        a.as_immutable_string_ref().ok()?,
        b.as_immutable_string_ref().ok()?,
    );
    match (
        DateTime::parse_from_rfc3339(&a),
        DateTime::parse_from_rfc3339(&b),
    ) {
        (Ok(a), Ok(b)) => Some(a.cmp(&b)),
        _ => Some(a.as_str().cmp(b.as_str())),
    }
}

fn is_empty(a: &Dynamic) -> bool {
    if a.is_unit() {
        return true;
    }
    if let Ok(s) = a.as_immutable_string_ref() {
        return s.trim().is_empty();
    }
    if let Some(items) = a.read_lock::<rhai::Array>() {
        return items.is_empty();
    }
    if let Some(map) = a.read_lock::<rhai::Map>() {
        return map.is_empty();
    }
    false
}
