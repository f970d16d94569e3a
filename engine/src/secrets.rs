//! Secrets at rest: what an org stores that must not be readable from the database alone
//! (a provider's auth token). Sealed with AES-256-GCM under a key derived from the
//! instance's `SWITCHBOARD_SECRET_KEY` (its SHA-256), with a fresh random nonce each time.
//! The sealed text is base64 of nonce ‖ ciphertext ‖ tag.
//!
//! Each secret is bound to what it is for (the associated data names the org and the
//! field), so a sealed value copied to another org's row does not open there.

use base64::Engine as _;
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The variable that holds the instance's secret key, named in every refusal.
pub const SECRET_KEY_VAR: &str = "SWITCHBOARD_SECRET_KEY";

#[derive(Clone)]
pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer for the instance's secret key; `None` when none is configured.
    pub fn new(secret: Option<&SecretString>) -> Option<Self> {
        let secret = secret?.expose_secret();
        if secret.is_empty() {
            return None;
        }
        let digest = Sha256::digest(secret.as_bytes());
        let key = UnboundKey::new(&AES_256_GCM, &digest).ok()?;
        Some(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// Seals `plain` for `purpose` (such as `twilio_auth_token:<org id>`).
    pub fn seal(&self, purpose: &str, plain: &SecretString) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::Internal("no randomness for a nonce".to_owned()))?;
        let mut data = plain.expose_secret().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut data,
            )
            .map_err(|_| Error::Internal("sealing failed".to_owned()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Opens what [`Self::seal`] sealed for the same `purpose` under the same key.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<SecretString> {
        let unreadable = || {
            Error::Provider(format!(
                "the stored credentials cannot be read with this {SECRET_KEY_VAR}; connect the provider again"
            ))
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| unreadable())?;
        if bytes.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut data)
            .map_err(|_| unreadable())?;
        let text = String::from_utf8(plain.to_vec()).map_err(|_| unreadable())?;
        Ok(SecretString::from(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(secret: &str) -> Sealer {
        Sealer::new(Some(&SecretString::from(secret.to_owned()))).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_for_its_purpose_only() {
        let token = SecretString::from("6c6d5f0e1b2a4d3c9e8f7a6b5c4d3e2f".to_owned());
        let s = sealer("instance secret");
        let sealed = s.seal("twilio_auth_token:org1", &token).unwrap();
        assert!(!sealed.contains("6c6d5f0e"));
        let opened = s.open("twilio_auth_token:org1", &sealed).unwrap();
        assert_eq!(opened.expose_secret(), token.expose_secret());
        assert!(s.open("twilio_auth_token:org2", &sealed).is_err());
        assert!(
            sealer("another secret")
                .open("twilio_auth_token:org1", &sealed)
                .is_err()
        );
        assert!(s.open("twilio_auth_token:org1", "not base64!").is_err());
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let s = sealer("k");
        let token = SecretString::from("same".to_owned());
        assert_ne!(s.seal("p", &token).unwrap(), s.seal("p", &token).unwrap());
    }

    #[test]
    fn no_or_empty_secret_means_no_sealer() {
        assert!(Sealer::new(None).is_none());
        assert!(Sealer::new(Some(&SecretString::from(String::new()))).is_none());
    }
}
