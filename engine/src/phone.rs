//! Phone numbers: E.164 validation and the redaction every log line and diagnostic uses.

use std::borrow::Cow;

/// Checks a number is E.164: `+`, a non-zero country digit, 8 to 15 digits in all.
pub fn parse_e164(field: &'static str, raw: &str) -> crate::Result<String> {
    let s = raw.trim();
    let digits = s.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(crate::Error::invalid(
            field,
            "must be a phone number in E.164 form, such as +15551234567",
        ))
    }
}

/// `+15551234567` → `+1555****4567`: the first four digits after `+`, four stars, the
/// last four. Anything too short to keep both ends is fully starred.
pub fn redact(e164: &str) -> String {
    let digits = e164.strip_prefix('+').unwrap_or(e164);
    if digits.len() < 9 || !digits.is_ascii() {
        return "+****".to_owned();
    }
    format!("+{}****{}", &digits[..4], &digits[digits.len() - 4..])
}

/// Redacts every E.164-looking number (`+` and 8–15 digits) inside free text, such as a
/// formatted log line. Text without one is returned as is, without copying.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'+' {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            let len = end - start;
            let bounded = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
            if (8..=15).contains(&len) && bounded {
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(&text[copied..i]);
                o.push_str(&redact(&text[i..end]));
                copied = end;
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
    }
}

/// The shape a scan for leaks looks for: an unredacted E.164 number anywhere in `text`.
pub fn contains_unredacted(text: &str) -> bool {
    matches!(redact_text(text), Cow::Owned(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_like_the_seeds() {
        assert_eq!(redact("+15551233456"), "+1555****3456");
        assert_eq!(redact("+447700900123"), "+4477****0123");
        assert_eq!(redact("+1234"), "+****");
    }

    #[test]
    fn redacts_numbers_inside_text() {
        let cases = [
            (
                "from=+15551234567 to=+15551111111",
                "from=+1555****4567 to=+1555****1111",
            ),
            ("\"From\":\"+15551234567\"", "\"From\":\"+1555****4567\""),
            ("no numbers here", "no numbers here"),
            ("price +25 and 3+4", "price +25 and 3+4"),
            ("already +1555****4567", "already +1555****4567"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input), want, "{input}");
        }
        assert!(contains_unredacted("x +15551234567"));
        assert!(!contains_unredacted("x +1555****4567"));
    }

    #[test]
    fn validates_e164() {
        assert_eq!(parse_e164("f", " +15551234567 ").unwrap(), "+15551234567");
        for bad in [
            "5551234567",
            "+0551234567",
            "+1555-123-4567",
            "+1",
            "",
            "+1234567890123456",
        ] {
            assert!(parse_e164("f", bad).is_err(), "{bad}");
        }
    }
}
