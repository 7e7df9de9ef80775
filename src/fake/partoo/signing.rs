//! How the fake signs as Partoo does, and how Partoo retries a delivery.

use std::time::{Duration, SystemTime};

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::Signer as _;

use crate::fake::webhooks::{base64, DeliveryPolicy, RetryOn, Signer};

/// Ed25519 over the body, base64, in `x-partoo-signature-v1`.
pub(crate) struct PartooSigner(ed25519_dalek::SigningKey);

impl Signer for PartooSigner {
    fn headers(&self, body: &[u8], _id: &str, _now: SystemTime) -> Vec<(&'static str, String)> {
        vec![(
            "x-partoo-signature-v1",
            base64(&self.0.sign(body).to_bytes()),
        )]
    }
}

/// A fake's key pair from its seed (never Partoo's own key): the signer and
/// the public key PEM its verifier takes.
pub(crate) fn signer(rng: &mut fastrand::Rng) -> (PartooSigner, String) {
    let mut seed = [0u8; 32];
    rng.fill(&mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let pem = key
        .verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .expect("a verifying key encodes");
    (PartooSigner(key), pem)
}

/// The signer `fake::webhooks::sign` uses: a PKCS#8 Ed25519 private key PEM.
pub(crate) fn signer_from_key(key: &str) -> Result<Box<dyn Signer>, crate::WebhookError> {
    let key = ed25519_dalek::SigningKey::from_pkcs8_pem(key.trim()).map_err(|_| {
        crate::WebhookError::InvalidKey {
            reason: "not a PKCS#8 Ed25519 private key PEM",
        }
    })?;
    Ok(Box::new(PartooSigner(key)))
}

/// A fresh Ed25519 key pair for testing a Partoo receiver with
/// [`sign`](crate::fake::webhooks::sign): (the private key as PKCS#8 PEM,
/// the public key as the PEM `partoo::webhooks::Verifier::new` takes). Test
/// keys only: the seed comes from a fast, non-cryptographic generator.
pub fn webhook_test_keys() -> (String, String) {
    let (PartooSigner(key), public_pem) = signer(&mut fastrand::Rng::new());
    let private_pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .expect("a signing key encodes")
        .to_string();
    (private_pem, public_pem)
}

impl DeliveryPolicy {
    /// Partoo's, from its setup page
    /// (<https://developers.partoo.co/guides/api/resources/settings/webhooks/setup>):
    /// a `5xx` is retried up to five times with exponential backoff, a `4xx`
    /// is not. The page does not say what a timeout is: retried here like
    /// a `5xx` (see [`RetryOn::ServerErrors`]).
    pub fn partoo() -> Self {
        DeliveryPolicy {
            retries: 5,
            first_backoff: Duration::from_millis(20),
            retry_on: RetryOn::ServerErrors,
            timeout: Duration::from_secs(5),
        }
    }
}
