//! Ids are UUIDv7 (time-ordered) stored as text; tokens are 256 random bits.

use sha2::{Digest, Sha256};

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A fresh secret for a session cookie or an API key, hex-encoded.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

/// What we store instead of a secret token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
