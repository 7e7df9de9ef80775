//! How the fake signs as Quo does (current and legacy webhooks), and how
//! Quo retries a delivery.

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use crate::fake::webhooks::{base64, hmac_sha256, since_epoch, DeliveryPolicy, RetryOn, Signer};

/// Quo's schemes.
pub(crate) enum QuoSigner {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp` (seconds) and
    /// `webhook-signature` (`v1,` + base64 HMAC of `id.timestamp.body`).
    Standard(Vec<u8>),
    /// Legacy: `openphone-signature` (`hmac;1;<milliseconds>;<base64 HMAC
    /// of timestamp.body>`).
    Legacy(Vec<u8>),
}

impl Signer for QuoSigner {
    fn headers(&self, body: &[u8], id: &str, now: SystemTime) -> Vec<(&'static str, String)> {
        match self {
            QuoSigner::Standard(secret) => {
                let timestamp = since_epoch(now).as_secs().to_string();
                let signed = format!("{id}.{timestamp}.");
                let signature = base64(&hmac_sha256(secret, &[signed.as_bytes(), body]));
                vec![
                    ("webhook-id", id.to_string()),
                    ("webhook-timestamp", timestamp),
                    ("webhook-signature", format!("v1,{signature}")),
                ]
            }
            QuoSigner::Legacy(key) => {
                let timestamp = since_epoch(now).as_millis().to_string();
                let signed = format!("{timestamp}.");
                let signature = base64(&hmac_sha256(key, &[signed.as_bytes(), body]));
                vec![(
                    "openphone-signature",
                    format!("hmac;1;{timestamp};{signature}"),
                )]
            }
        }
    }
}

/// A fake's secret from its seed: a `whsec_` secret, or a legacy signing
/// key (base64); the signer and the key its verifier takes.
pub(crate) fn signer(rng: &mut fastrand::Rng, legacy: bool) -> (QuoSigner, String) {
    let mut secret = vec![0u8; 32];
    rng.fill(&mut secret);
    let encoded = base64(&secret);
    if legacy {
        (QuoSigner::Legacy(secret), encoded)
    } else {
        (QuoSigner::Standard(secret), format!("whsec_{encoded}"))
    }
}

/// The signer `fake::webhooks::sign` uses: a `whsec_…` secret (current
/// webhooks), else a base64 legacy signing key.
pub(crate) fn signer_from_key(key: &str) -> Result<Box<dyn Signer>, crate::WebhookError> {
    let invalid = |reason| crate::WebhookError::InvalidKey { reason };
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    Ok(Box::new(match key.trim().strip_prefix("whsec_") {
        Some(secret) => QuoSigner::Standard(
            engine
                .decode(secret)
                .map_err(|_| invalid("the part after `whsec_` is not standard base64"))?,
        ),
        None => QuoSigner::Legacy(engine.decode(key.trim()).map_err(|_| {
            invalid("neither a `whsec_` secret nor a base64 legacy signing key")
        })?),
    }))
}

impl DeliveryPolicy {
    /// Quo's: any non-`2xx` answer is retried (its pages do not give a
    /// count; the fake uses five, like Partoo's).
    pub fn quo() -> Self {
        DeliveryPolicy {
            retries: 5,
            first_backoff: Duration::from_millis(20),
            retry_on: RetryOn::AnyNon2xx,
            timeout: Duration::from_secs(5),
        }
    }
}
