//! Checks for the plain fields people type (names, emails, tags, notes), and [`Patch`],
//! how an update says "leave", "clear" or "set" a field. Pure functions.

use serde::{Deserialize, Deserializer};

use crate::{Error, Result};

/// A field of a partial update: absent (leave it), `null` (clear it) or a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    /// Only called for a field that is present (use with `#[serde(default)]`).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Clear, Self::Set))
    }
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Self::Keep)
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A name on one line: trimmed, 1 to `max` characters.
pub fn name(field: &'static str, raw: &str, max: usize) -> Result<String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if s.chars().count() > max || has_control(s) {
        return Err(Error::invalid(
            field,
            format!("must be one line of at most {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// An email address, lower-cased: something@domain.tld with no spaces.
pub fn email(field: &'static str, raw: &str) -> Result<String> {
    let s = raw.trim().to_lowercase();
    let ok = s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain
                    .split_once('.')
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.ends_with('.'))
        });
    if ok {
        Ok(s)
    } else {
        Err(Error::invalid(
            field,
            "must be an email address such as name@example.com",
        ))
    }
}

/// Free text such as notes: up to `max` characters, line breaks allowed.
pub fn text(field: &'static str, raw: &str, max: usize) -> Result<String> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

pub const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 30;

/// Tags: lower case; letters, digits, spaces and hyphens; no repeats. The characters are
/// limited so a tag can be matched inside the stored JSON with a plain `like`.
pub fn tags(field: &'static str, raw: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in raw {
        let t = tag.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        let ok = t.chars().count() <= MAX_TAG_CHARS
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '-');
        if !ok {
            return Err(Error::invalid(
                field,
                format!(
                    "`{t}` is not a tag: use up to {MAX_TAG_CHARS} letters, digits, spaces or hyphens"
                ),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_TAGS} tags"),
        ));
    }
    Ok(out)
}

/// Tags typed in one box, separated by commas.
pub fn split_tags(raw: &str) -> Vec<String> {
    raw.split(',').map(str::to_owned).collect()
}

/// Where an id in a request body points: at the org's own row (its details), at another
/// org's (not found, as if it did not exist for the caller's org's paths), or at nothing
/// (a field error naming the field).
pub(crate) fn reference<T>(
    found: Option<(String, T)>,
    org_id: &str,
    field: &'static str,
    what: &'static str,
) -> Result<T> {
    match found {
        Some((org, row)) if org == org_id => Ok(row),
        Some(_) => Err(Error::NotFound(what)),
        None => Err(Error::invalid(
            field,
            format!("is not a {what} of this business"),
        )),
    }
}

/// `%text%` for a `like … escape '\'`, with the pattern characters in `text` escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  John Smith ", 100).unwrap(), "John Smith");
        for bad in ["", "   ", "a\nb"] {
            assert!(name("name", bad, 100).is_err(), "{bad:?}");
        }
        assert!(name("name", &"x".repeat(101), 100).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            email("email", " John.Smith@Example.net ").unwrap(),
            "john.smith@example.net"
        );
        for bad in [
            "john",
            "@example.net",
            "john@",
            "john@example",
            "john@.net",
            "jo hn@example.net",
            "a@b@c.net",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_lower_case_without_repeats_or_pattern_characters() {
        let raw = ["Weekly", " weekly", "dog walk", "", "VIP-client"].map(str::to_owned);
        assert_eq!(
            tags("tags", &raw).unwrap(),
            ["weekly", "dog walk", "vip-client"]
        );
        for bad in ["50%", "dog_walk", "\"x\"", &"t".repeat(31)] {
            assert!(tags("tags", &[bad.to_owned()]).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(tags("tags", &many).is_err());
        assert_eq!(split_tags("a, b"), ["a", " b"]);
    }

    #[test]
    fn patterns_escape_like_wildcards() {
        assert_eq!(contains_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }

    #[test]
    fn patches_tell_absent_from_null() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            email: Patch<String>,
        }
        let parse = |s: &str| serde_json::from_str::<Body>(s).unwrap().email;
        assert_eq!(parse("{}"), Patch::Keep);
        assert_eq!(parse(r#"{"email":null}"#), Patch::Clear);
        assert_eq!(
            parse(r#"{"email":"a@b.co"}"#),
            Patch::Set("a@b.co".to_owned())
        );
    }
}
