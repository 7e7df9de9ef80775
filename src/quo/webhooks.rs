//! Quo's webhooks: [`Event`] (one variant per documented event type,
//! generated from `openapi/quo-webhooks.yaml`) and, with the `webhooks`
//! feature, [`Verifier`].
//!
//! Quo has two webhook systems, and one verifier takes the key of either,
//! exactly as Quo shows it:
//!
//! - current webhooks (API version 2026-03-30) sign with
//!   [Standard Webhooks](https://www.quo.com/docs/2026-03-30/webhooks-signature-validation):
//!   `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
//!   (space-separated `v1,<base64>`), HMAC-SHA256 over
//!   `<id>.<timestamp>.<body>` keyed by the `whsec_…` secret;
//! - legacy webhooks sign with
//!   [`openphone-signature: hmac;1;<ms>;<base64>`](https://www.quo.com/docs/webhooks/legacy-signature-validation),
//!   HMAC-SHA256 over `<ms>.<body>` keyed by the base64-decoded signing key.
//!
//! [`Verifier::verify`] picks the scheme from the delivery's headers (with
//! both header sets, the one whose keys it holds) and refuses a current
//! timestamp more than [`Verifier::tolerance`] (five minutes by default,
//! Quo's) from the receiver's clock, either way, and a legacy one more than
//! [`Verifier::legacy_tolerance`] ([`DEFAULT_LEGACY_TOLERANCE`], a day: Quo
//! documents no window there, and a retry may carry the original
//! signature). A legacy header may carry several signatures after commas;
//! any that verifies will do, as with the current scheme's entries. Answer `2xx` when
//! handled: any other status is retried. Current deliveries are
//! at-least-once: `webhook-id` identifies a delivery, the event's `id` the
//! event, across retries.
//!
//! ```
//! # #[cfg(feature = "webhooks")] {
//! use inbox_bindings::quo::webhooks::{Event, Verifier};
//!
//! let verifier = Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
//! let mut headers = http::HeaderMap::new();
//! headers.insert("webhook-id", "msg_1".parse().unwrap());
//! headers.insert("webhook-timestamp", "1".parse().unwrap()); // 1970: long stale
//! headers.insert("webhook-signature", "v1,AAAA".parse().unwrap());
//! let refused = verifier.verify(&headers, b"{}").unwrap_err();
//! assert_eq!(refused.status(), http::StatusCode::UNAUTHORIZED);
//! assert!(refused.to_string().contains("ago"), "{refused}");
//! # }
//! ```

pub use super::generated::Event;

#[cfg(feature = "webhooks")]
pub use verifier::{Verifier, DEFAULT_LEGACY_TOLERANCE};

/// A verifier from a key as [`ProviderEnv::webhook_key_form`](crate::ProviderEnv)
/// says (the registry's `verifier_for`).
#[cfg(feature = "webhooks")]
pub(crate) fn verifier_from_key(key: &str) -> Result<Verifier, crate::WebhookError> {
    Verifier::new(key)
}

#[cfg(feature = "webhooks")]
mod verifier {
    use std::fmt;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use base64::Engine as _;
    use hmac::digest::CtOutput;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    use super::Event;
    use crate::webhook::check;
    use crate::{Delivery, Signed, WebhookError};

    type HmacSha256 = Hmac<Sha256>;

    fn keyed(key: &[u8]) -> HmacSha256 {
        HmacSha256::new_from_slice(key).expect("HMAC takes any key length")
    }

    static ID_HEADER: http::HeaderName = http::HeaderName::from_static("webhook-id");
    static TIMESTAMP_HEADER: http::HeaderName = http::HeaderName::from_static("webhook-timestamp");
    static SIGNATURE_HEADER: http::HeaderName = http::HeaderName::from_static("webhook-signature");
    static LEGACY_HEADER: http::HeaderName = http::HeaderName::from_static("openphone-signature");
    const TIMESTAMP: &str = "webhook-timestamp";
    const SIGNATURE: &str = "webhook-signature";
    const LEGACY: &str = "openphone-signature";
    const STANDARD_HEADERS: &str = "Standard Webhooks headers (`webhook-signature`)";
    const LEGACY_HEADERS: &str = "a legacy `openphone-signature` header";

    /// Verifies Quo deliveries (current and legacy webhooks) against one or
    /// more keys (several while a secret is rotated), then decodes them.
    #[derive(Clone)]
    pub struct Verifier {
        /// `whsec_` secrets, as keyed HMAC states (the key's own blocks
        /// computed once, here).
        standard: Vec<HmacSha256>,
        /// Legacy signing keys, as keyed HMAC states.
        legacy: Vec<HmacSha256>,
        tolerance: Duration,
        legacy_tolerance: Duration,
        max_body: usize,
    }

    /// The window a legacy `openphone-signature` timestamp must fall in by
    /// default: a day. Quo documents no window for its legacy scheme (the
    /// five minutes are the current scheme's), and a legacy retry may carry
    /// the original signature: a short window would refuse every retry
    /// after it, and the event would be lost. Replays inside the window are
    /// for a [`ReplayGuard`](crate::ReplayGuard).
    pub const DEFAULT_LEGACY_TOLERANCE: Duration = Duration::from_secs(24 * 60 * 60);

    impl fmt::Debug for Verifier {
        fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter
                .debug_struct("Verifier")
                .field("standard_keys", &self.standard.len())
                .field("legacy_keys", &self.legacy.len())
                .field("tolerance", &self.tolerance)
                .field("legacy_tolerance", &self.legacy_tolerance)
                .field("max_body", &self.max_body)
                .finish()
        }
    }

    impl Verifier {
        /// A verifier for one key as Quo shows it: a current webhook's
        /// `whsec_…` secret, or a legacy webhook's base64 signing key. A key
        /// that is neither is refused here.
        pub fn new(key: &str) -> Result<Self, WebhookError> {
            Self::with_keys([key])
        }

        /// A verifier accepting a delivery signed with any of these keys
        /// (one at least; `whsec_` and legacy keys may be mixed).
        pub fn with_keys<I, S>(keys: I) -> Result<Self, WebhookError>
        where
            I: IntoIterator<Item = S>,
            S: AsRef<str>,
        {
            let mut verifier = Verifier {
                standard: Vec::new(),
                legacy: Vec::new(),
                tolerance: crate::DEFAULT_WEBHOOK_TOLERANCE,
                legacy_tolerance: DEFAULT_LEGACY_TOLERANCE,
                max_body: crate::DEFAULT_MAX_WEBHOOK_BODY_BYTES,
            };
            // Padding or none: the Standard Webhooks libraries add what is missing.
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            for key in keys {
                let key = key.as_ref().trim();
                if let Some(secret) = key.strip_prefix("whsec_") {
                    let bytes = engine
                        .decode(secret)
                        .map_err(|_| WebhookError::InvalidKey {
                            reason: "the part after `whsec_` is not standard base64",
                        })?;
                    if bytes.is_empty() {
                        return Err(WebhookError::InvalidKey {
                            reason: "the `whsec_` secret is empty",
                        });
                    }
                    verifier.standard.push(keyed(&bytes));
                } else {
                    let bytes = engine.decode(key).map_err(|_| WebhookError::InvalidKey {
                        reason: "neither a `whsec_` secret nor a base64 legacy signing key",
                    })?;
                    if bytes.is_empty() {
                        return Err(WebhookError::InvalidKey {
                            reason: "the signing key is empty",
                        });
                    }
                    verifier.legacy.push(keyed(&bytes));
                }
            }
            if verifier.standard.is_empty() && verifier.legacy.is_empty() {
                return Err(WebhookError::InvalidKey {
                    reason: "no key given",
                });
            }
            Ok(verifier)
        }

        /// How far a current (Standard Webhooks) timestamp may be from the
        /// receiver's clock, either way (default five minutes, as Quo advises).
        pub fn tolerance(mut self, tolerance: Duration) -> Self {
            self.tolerance = tolerance;
            self
        }

        /// How far a legacy `openphone-signature` timestamp may be from the
        /// receiver's clock, either way (default
        /// [`DEFAULT_LEGACY_TOLERANCE`], a day: see there why).
        pub fn legacy_tolerance(mut self, tolerance: Duration) -> Self {
            self.legacy_tolerance = tolerance;
            self
        }

        /// The largest body verified (default
        /// [`DEFAULT_MAX_WEBHOOK_BODY_BYTES`](crate::DEFAULT_MAX_WEBHOOK_BODY_BYTES)).
        pub fn max_body_bytes(mut self, limit: usize) -> Self {
            self.max_body = limit;
            self
        }

        /// Checks `body` (the raw request body, unparsed) against `headers`
        /// with the scheme the headers use, at the current time, then decodes
        /// it. Nothing is parsed before the signature holds.
        pub fn verify(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
        ) -> Result<Event, WebhookError> {
            self.verify_at(headers, body, SystemTime::now())
        }

        /// [`verify`](Self::verify) as if the receiver's clock read `now`
        /// (to check a captured delivery, or in tests).
        pub fn verify_at(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
            now: SystemTime,
        ) -> Result<Event, WebhookError> {
            self.authenticate(headers, body, now)?;
            check::decode::<Event>(body)
        }

        /// [`verify`](Self::verify), keeping the body and what the signature
        /// vouches for (its `webhook-id` in the current scheme, when it was
        /// signed, the key a [`ReplayGuard`](crate::ReplayGuard) checks): a
        /// body that does not decode is still a delivery (its `event()` says
        /// why), never an error here.
        pub fn verify_delivery(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
        ) -> Result<Delivery<Event>, WebhookError> {
            self.verify_delivery_at(headers, body, SystemTime::now())
        }

        /// [`verify_delivery`](Self::verify_delivery) as if the receiver's
        /// clock read `now`.
        pub fn verify_delivery_at(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
            now: SystemTime,
        ) -> Result<Delivery<Event>, WebhookError> {
            let signed = self.verify_signature_at(headers, body, now)?;
            Ok(Delivery::decode(signed, body))
        }

        /// Checks the signature of `body` against `headers` at the current
        /// time, decoding nothing: for receivers that store the body first.
        pub fn verify_signature(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
        ) -> Result<Signed, WebhookError> {
            self.verify_signature_at(headers, body, SystemTime::now())
        }

        /// [`verify_signature`](Self::verify_signature) as if the receiver's
        /// clock read `now`.
        pub fn verify_signature_at(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
            now: SystemTime,
        ) -> Result<Signed, WebhookError> {
            let (id, signed_at) = self.authenticate(headers, body, now)?;
            Ok(Signed::new("quo", id, Some(signed_at), body))
        }

        /// The checks, in order (body size, headers, timestamp, signature
        /// over the raw bytes), and nothing more: `verify` pays for no
        /// replay key and no copy of the body. The delivery id (current
        /// scheme) and the signing time.
        fn authenticate(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
            now: SystemTime,
        ) -> Result<(Option<String>, SystemTime), WebhookError> {
            check::body(body, self.max_body)?;
            let standard = check::header(headers, &SIGNATURE_HEADER)?;
            let legacy = check::header(headers, &LEGACY_HEADER)?;
            // Both header sets (Quo's migration path): the scheme whose keys
            // this verifier holds.
            let use_standard = match (standard, legacy) {
                (Some(_), Some(_)) => !self.standard.is_empty() || self.legacy.is_empty(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => {
                    return Err(WebhookError::MissingHeader {
                        name: "webhook-signature (or openphone-signature)",
                    })
                }
            };
            let (id, signed_at) = match (use_standard, standard, legacy) {
                (true, Some(signatures), _) => {
                    let (id, signed_at) = self.standard(headers, signatures, body, now)?;
                    (Some(id), signed_at)
                }
                (_, _, Some(legacy)) => (None, self.legacy(legacy, body, now)?),
                _ => unreachable!("a header was found above"),
            };
            Ok((id, signed_at))
        }

        fn keys_for(&self, headers: &'static str) -> Result<&[HmacSha256], WebhookError> {
            let (keys, other) = if headers == STANDARD_HEADERS {
                (&self.standard, "only legacy signing keys")
            } else {
                (&self.legacy, "only `whsec_` secrets")
            };
            if keys.is_empty() {
                return Err(WebhookError::SchemeMismatch {
                    headers,
                    keys: other,
                });
            }
            Ok(keys)
        }

        fn standard(
            &self,
            headers: &http::HeaderMap,
            signatures: &str,
            body: &[u8],
            now: SystemTime,
        ) -> Result<(String, SystemTime), WebhookError> {
            let keys = self.keys_for(STANDARD_HEADERS)?;
            let id = check::required_header(headers, &ID_HEADER)?;
            let timestamp = check::required_header(headers, &TIMESTAMP_HEADER)?;
            let seconds = check::integer(timestamp, TIMESTAMP)?;
            let signed_at = UNIX_EPOCH.checked_add(Duration::from_secs(seconds)).ok_or(
                WebhookError::MalformedHeader {
                    name: TIMESTAMP,
                    reason: "the timestamp is out of range",
                },
            )?;
            check::timestamp(signed_at, now, self.tolerance)?;
            // Any `v1,` entry may match any key. Other versions (`v1a`,
            // asymmetric) are not Quo's, and a malformed entry is skipped as
            // the reference libraries skip it: refused only when no entry is
            // well formed.
            let mut first_problem = None;
            let decoded: Vec<[u8; 32]> = signatures
                .split(' ')
                .filter_map(|entry| entry.strip_prefix("v1,"))
                .filter_map(|encoded| {
                    check::base64_exact::<32>(encoded, SIGNATURE, "a v1 signature is not 32 bytes")
                        .map_err(|problem| first_problem.get_or_insert(problem))
                        .ok()
                })
                .collect();
            if decoded.is_empty() {
                return Err(first_problem.unwrap_or(WebhookError::MalformedHeader {
                    name: SIGNATURE,
                    reason: "no `v1,` signature",
                }));
            }
            let mut matched = false;
            for key in keys {
                let mut mac = key.clone();
                mac.update(id.as_bytes());
                mac.update(b".");
                mac.update(timestamp.as_bytes());
                mac.update(b".");
                mac.update(body);
                let expected = mac.finalize();
                for signature in &decoded {
                    // `CtOutput`'s equality is constant time; no early exit on a match.
                    matched |= expected == CtOutput::new((*signature).into());
                }
            }
            if matched {
                Ok((id.to_string(), signed_at))
            } else {
                Err(WebhookError::BadSignature)
            }
        }

        fn legacy(
            &self,
            header: &str,
            body: &[u8],
            now: SystemTime,
        ) -> Result<SystemTime, WebhookError> {
            let keys = self.keys_for(LEGACY_HEADERS)?;
            // `hmac;1;<ms>;<base64>`, and (Quo: later versions may carry
            // several) more after commas, each whole or a bare signature
            // over the same timestamp. Any that verifies will do; a
            // malformed one is skipped when another is well formed.
            let mut first_problem = None;
            let mut candidates: Vec<(&str, [u8; 32])> = Vec::new();
            let mut timestamp: Option<&str> = None;
            for entry in header.split(',').map(str::trim) {
                let parsed = Self::legacy_entry(entry, timestamp);
                match parsed {
                    Ok((at, signature)) => {
                        timestamp = Some(at);
                        candidates.push((at, signature));
                    }
                    Err(problem) => {
                        first_problem.get_or_insert(problem);
                    }
                }
            }
            let Some(&(stamp, _)) = candidates.first() else {
                return Err(first_problem.unwrap_or(WebhookError::MalformedHeader {
                    name: LEGACY,
                    reason: "not `hmac;1;<timestamp>;<signature>`",
                }));
            };
            if candidates.iter().any(|(at, _)| *at != stamp) {
                return Err(WebhookError::MalformedHeader {
                    name: LEGACY,
                    reason: "the signatures carry different timestamps",
                });
            }
            let millis = check::integer(stamp, LEGACY)?;
            let signed_at = UNIX_EPOCH
                .checked_add(Duration::from_millis(millis))
                .ok_or(WebhookError::MalformedHeader {
                    name: LEGACY,
                    reason: "the timestamp is out of range",
                })?;
            check::timestamp(signed_at, now, self.legacy_tolerance)?;
            let mut matched = false;
            for key in keys {
                let mut mac = key.clone();
                mac.update(stamp.as_bytes());
                mac.update(b".");
                mac.update(body);
                let expected = mac.finalize();
                for (_, signature) in &candidates {
                    // Constant-time equality; no early exit on a match.
                    matched |= expected == CtOutput::new((*signature).into());
                }
            }
            if matched {
                Ok(signed_at)
            } else {
                Err(WebhookError::BadSignature)
            }
        }

        /// One legacy entry: `hmac;1;<ms>;<base64>`, or a bare signature
        /// over the previous entry's timestamp.
        fn legacy_entry<'h>(
            entry: &'h str,
            previous: Option<&'h str>,
        ) -> Result<(&'h str, [u8; 32]), WebhookError> {
            let parts: Vec<&str> = entry.split(';').collect();
            let (timestamp, encoded) = match parts.as_slice() {
                [scheme, version, timestamp, encoded] => {
                    if *scheme != "hmac" || *version != "1" {
                        return Err(WebhookError::MalformedHeader {
                            name: LEGACY,
                            reason: "not the `hmac` scheme, version 1",
                        });
                    }
                    (*timestamp, *encoded)
                }
                [encoded] if previous.is_some() => (previous.expect("checked"), *encoded),
                _ => {
                    return Err(WebhookError::MalformedHeader {
                        name: LEGACY,
                        reason: "not `hmac;1;<timestamp>;<signature>`",
                    })
                }
            };
            let signature =
                check::base64_exact::<32>(encoded, LEGACY, "the signature is not 32 bytes")?;
            Ok((timestamp, signature))
        }
    }
    crate::webhook::impl_webhook_verifier!(
        Verifier,
        Event,
        signs_time: true,
        provider: crate::quo::API.provider
    );
}
