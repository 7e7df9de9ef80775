//! How the fake signs as TextUs does, and how TextUs retries a delivery.

use std::time::{Duration, SystemTime};

use crate::fake::webhooks::{hmac_sha256, DeliveryPolicy, RetryOn, Signer};

/// HMAC-SHA256 of the body with the signing secret, hex, in
/// `x-textus-signature`.
pub(crate) struct TextusSigner(String);

impl Signer for TextusSigner {
    fn headers(&self, body: &[u8], _id: &str, _now: SystemTime) -> Vec<(&'static str, String)> {
        vec![(
            "x-textus-signature",
            hex::encode(hmac_sha256(self.0.as_bytes(), &[body])),
        )]
    }
}

/// A fake's signing secret from its seed (`textus-…`): the signer and the
/// secret its verifier takes.
pub(crate) fn signer(rng: &mut fastrand::Rng) -> (TextusSigner, String) {
    let secret: String = std::iter::repeat_with(|| rng.alphanumeric())
        .take(22)
        .collect();
    let secret = format!("textus-{secret}");
    (TextusSigner(secret.clone()), secret)
}

/// The signer `fake::webhooks::sign` uses: the signing secret as given.
pub(crate) fn signer_from_key(key: &str) -> Result<Box<dyn Signer>, crate::WebhookError> {
    Ok(Box::new(TextusSigner(key.to_string())))
}

impl DeliveryPolicy {
    /// TextUs's: a `2xx` is required; transient errors (`5xx`, no answer)
    /// are retried, fatal ones (`4xx`) are not (its pages do not give a
    /// count; the fake uses five).
    pub fn textus() -> Self {
        DeliveryPolicy {
            retries: 5,
            first_backoff: Duration::from_millis(20),
            retry_on: RetryOn::ServerErrors,
            timeout: Duration::from_secs(5),
        }
    }
}
