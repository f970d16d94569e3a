//! Twilio request signatures (X-Twilio-Signature).
//!
//! Twilio signs every webhook with `Base64(HMAC-SHA1(auth_token, data))`, where `data` is the
//! full public URL it called (query string verbatim) followed by each POST parameter's name and
//! value, sorted byte-wise. JSON bodies are covered indirectly: the URL carries a `bodySHA256`
//! query parameter with the hex SHA-256 of the raw body, and only the URL is signed.
//!
//! Behaviour follows Twilio's official helper libraries (and their test vectors in
//! `testdata/twilio_signature_vectors.json`), including two details the prose docs gloss over:
//! identical (name, value) pairs count once, and verification also tries the URL with *any*
//! explicit port stripped, because what Twilio signs and what a proxy forwards often disagree.

use std::fmt::Write as _;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::{Choice, ConstantTimeEq};

/// Base64 HMAC-SHA1 of url + sorted params, as Twilio computes it.
pub fn compute(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    // Tuple order on `String` is byte-wise by name, then by value. Exact duplicates are
    // dropped: the official libraries sort a *set* of values per name.
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();

    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// True when `signature` matches for the URL as given or with its default port removed/added.
/// Compares in constant time.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    // Every variant is checked (no early exit), so timing does not reveal which one matched.
    url_variants(url)
        .iter()
        .fold(Choice::from(0), |matched, candidate| {
            let expected = compute(auth_token, candidate, params);
            matched | expected.as_bytes().ct_eq(signature.as_bytes())
        })
        .into()
}

/// For JSON-bodied requests: checks the URL's bodySHA256 query parameter against the raw
/// body, then the signature over the URL alone (same port variants).
pub fn verify_json(auth_token: &str, url: &str, raw_body: &[u8], signature: &str) -> bool {
    use sha2::{Digest, Sha256};

    let Some(claimed) = query_param(url, "bodySHA256") else {
        return false;
    };
    let actual =
        Sha256::digest(raw_body)
            .iter()
            .fold(String::with_capacity(64), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            });
    // The body hash is not secret (it sits in the URL), so a plain comparison is fine.
    claimed.eq_ignore_ascii_case(&actual) && verify(auth_token, url, &[], signature)
}

/// The URL as given, plus the one port variant that applies: without its explicit port, or
/// with the scheme's default port when it has none. Unparseable URLs are only tried as given.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let Some(parts) = split_url(url) else {
        return variants;
    };
    if parts.port.is_some() {
        variants.push(format!("{}{}", parts.before_port, parts.rest));
    } else if let Some(port) = default_port(parts.scheme) {
        variants.push(format!("{}:{port}{}", parts.before_port, parts.rest));
    }
    variants
}

/// A URL cut around its port: `before_port` + (`:` + `port`)? + `rest` == the original.
struct UrlParts<'a> {
    scheme: &'a str,
    /// Scheme, `://`, optional userinfo and host.
    before_port: &'a str,
    port: Option<&'a str>,
    /// Path, query and fragment, verbatim.
    rest: &'a str,
}

fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let scheme_end = url.find("://")?;
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    // Userinfo (`user:pass@`) may contain colons of its own; the host starts after the last `@`.
    let host_start = url[authority_start..authority_end]
        .rfind('@')
        .map_or(authority_start, |i| authority_start + i + 1);
    // A port is a non-empty run of digits after the last colon. IPv6 literals (`[::1]`) end in
    // `]`, so a colon inside the brackets never qualifies.
    let port_colon = url[host_start..authority_end]
        .rfind(':')
        .map(|i| host_start + i)
        .filter(|&colon| {
            let digits = &url[colon + 1..authority_end];
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        });
    Some(UrlParts {
        scheme: &url[..scheme_end],
        before_port: &url[..port_colon.unwrap_or(authority_end)],
        port: port_colon.map(|colon| &url[colon + 1..authority_end]),
        rest: &url[authority_end..],
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    if scheme.eq_ignore_ascii_case("https") {
        Some(443)
    } else if scheme.eq_ignore_ascii_case("http") {
        Some(80)
    } else {
        None
    }
}

/// First value of `name` in the URL's query string, undecoded (hex needs no decoding).
fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query
        .split_once('#')
        .map_or(query, |(query, _fragment)| query);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Vec<Value> {
        let all: Value =
            serde_json::from_str(include_str!("testdata/twilio_signature_vectors.json"))
                .expect("vectors are valid JSON");
        all.as_array().expect("vectors are a JSON array").clone()
    }

    fn field<'a>(vector: &'a Value, name: &str) -> &'a str {
        vector[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} is a string in {vector}"))
    }

    /// `params` is an object whose values are strings or arrays of strings (repeated names).
    fn params(vector: &Value) -> Vec<(String, String)> {
        let object = vector["params"].as_object().expect("params is an object");
        let mut pairs = Vec::new();
        for (name, value) in object {
            let values = value
                .as_array()
                .map_or_else(|| vec![value], |v| v.iter().collect());
            for value in values {
                let value = value.as_str().expect("param values are strings");
                pairs.push((name.clone(), value.to_owned()));
            }
        }
        pairs
    }

    fn default_vector() -> (String, String, Vec<(String, String)>, String) {
        let vector = vectors()
            .into_iter()
            .find(|v| v["name"] == "default")
            .expect("a vector named default");
        let owned = |name: &str| field(&vector, name).to_owned();
        (
            owned("auth_token"),
            owned("url"),
            params(&vector),
            owned("expected_signature"),
        )
    }

    #[test]
    fn official_vectors_pass() {
        let vectors = vectors();
        assert_eq!(vectors.len(), 9, "every vector in the file is exercised");
        for vector in &vectors {
            let name = field(vector, "name");
            let token = field(vector, "auth_token");
            let expected = field(vector, "expected_signature");
            let params = params(vector);
            // What Twilio signed (after port juggling) must give the signature exactly...
            assert_eq!(
                compute(token, field(vector, "signed_url"), &params),
                expected,
                "{name}"
            );
            // ...and the URL as we see it must be accepted.
            let accepted = match vector["raw_body"].as_str() {
                Some(body) => verify_json(token, field(vector, "url"), body.as_bytes(), expected),
                None => verify(token, field(vector, "url"), &params, expected),
            };
            assert!(accepted, "{name}");
        }
    }

    #[test]
    fn wrong_token_is_rejected() {
        let (_, url, params, signature) = default_vector();
        assert!(!verify("54321", &url, &params, &signature));
    }

    #[test]
    fn tampered_extra_or_missing_params_are_rejected() {
        let (token, url, params, signature) = default_vector();
        assert!(verify(&token, &url, &params, &signature));

        let mut tampered = params.clone();
        tampered[0].1.push('0');
        assert!(!verify(&token, &url, &tampered, &signature));

        let mut extra = params.clone();
        extra.push(("Body".to_owned(), "hi".to_owned()));
        assert!(!verify(&token, &url, &extra, &signature));

        assert!(!verify(&token, &url, &params[1..], &signature));
        assert!(!verify(&token, &url, &params, "not-a-signature"));
    }

    #[test]
    fn json_body_must_match_its_hash() {
        let vector = vectors()
            .into_iter()
            .find(|v| v["name"] == "json_body_sha256")
            .expect("a vector named json_body_sha256");
        let (token, url) = (field(&vector, "auth_token"), field(&vector, "url"));
        let signature = field(&vector, "expected_signature");
        assert!(verify_json(
            token,
            url,
            field(&vector, "raw_body").as_bytes(),
            signature
        ));
        assert!(!verify_json(
            token,
            url,
            br#"{"property": "other"}"#,
            signature
        ));
        // A URL without bodySHA256 cannot vouch for any body.
        let bare = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert!(!verify_json(token, bare, b"", &compute(token, bare, &[])));
    }

    #[test]
    fn port_variants_handle_userinfo_and_ipv6() {
        assert_eq!(
            url_variants("https://u:p@[::1]:8443/x?a=1"),
            ["https://u:p@[::1]:8443/x?a=1", "https://u:p@[::1]/x?a=1"]
        );
        assert_eq!(
            url_variants("http://u:p@[::1]?a=b:1"),
            ["http://u:p@[::1]?a=b:1", "http://u:p@[::1]:80?a=b:1"]
        );
        assert_eq!(url_variants("ftp://host/x"), ["ftp://host/x"]);
        assert_eq!(url_variants("not a url"), ["not a url"]);
    }
}
