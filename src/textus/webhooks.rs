//! TextUs's webhooks: [`Event`] (one variant per documented action,
//! generated from `openapi/textus-webhooks.yaml`) and, with the `webhooks`
//! feature, [`Verifier`].
//!
//! TextUs sends `X-TextUs-Signature`, the hex HMAC-SHA256 of the raw body
//! keyed by the webhook's signing secret as given (`textus-…`)
//! ([webhooks page](https://apidocs.next.textus.com/overview/webhooks/)).
//! The scheme has no timestamp, so a captured delivery can be sent again:
//! make handling idempotent (each delivery has its own `id` IRI). Answer
//! `2xx` when handled. By default TextUs sends `message.received` and
//! `message.delivered`; other actions are subscribed through its
//! Integrations API.
//!
//! ```
//! # #[cfg(feature = "webhooks")] {
//! use inbox_bindings::textus::webhooks::Verifier;
//!
//! let verifier = Verifier::new("textus-HOTh4kXxHIbYst0xutpkdw").unwrap();
//! let mut headers = http::HeaderMap::new();
//! headers.insert("x-textus-signature", "00".repeat(32).parse().unwrap());
//! let refused = verifier.verify(&headers, br#"{"action": "message.received"}"#).unwrap_err();
//! assert_eq!(refused.to_string(), "signature does not match the body");
//! # }
//! ```

pub use super::generated::Event;

#[cfg(feature = "webhooks")]
pub use verifier::{Verifier, SIGNATURE_HEADER};

/// A verifier from a key as [`ProviderEnv::webhook_key_form`](crate::ProviderEnv)
/// says (the registry's `verifier_for`).
#[cfg(feature = "webhooks")]
pub(crate) fn verifier_from_key(key: &str) -> Result<Verifier, crate::WebhookError> {
    Verifier::new(key)
}

#[cfg(feature = "webhooks")]
mod verifier {
    use std::fmt;

    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    use super::Event;
    use crate::webhook::check;
    use crate::{Delivery, Signed, WebhookError};

    type HmacSha256 = Hmac<Sha256>;

    /// The header carrying the signature.
    pub const SIGNATURE_HEADER: &str = "x-textus-signature";
    static SIGNATURE: http::HeaderName = http::HeaderName::from_static(SIGNATURE_HEADER);

    /// Verifies TextUs deliveries against one or more signing secrets
    /// (several while a secret is rotated), then decodes them.
    #[derive(Clone)]
    pub struct Verifier {
        /// The secrets as keyed HMAC states (the key's own blocks computed
        /// once, here).
        secrets: Vec<HmacSha256>,
        max_body: usize,
    }

    impl fmt::Debug for Verifier {
        fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter
                .debug_struct("Verifier")
                .field("secrets", &self.secrets.len())
                .field("max_body", &self.max_body)
                .finish()
        }
    }

    impl Verifier {
        /// A verifier for one signing secret, exactly as the webhook's
        /// settings show it (used as given, not decoded). An empty one is
        /// refused.
        pub fn new(signing_secret: &str) -> Result<Self, WebhookError> {
            Self::with_keys([signing_secret])
        }

        /// A verifier accepting a delivery signed with any of these secrets
        /// (one at least).
        pub fn with_keys<I, S>(signing_secrets: I) -> Result<Self, WebhookError>
        where
            I: IntoIterator<Item = S>,
            S: AsRef<str>,
        {
            let secrets = signing_secrets
                .into_iter()
                .map(|secret| {
                    let secret = secret.as_ref();
                    if secret.trim().is_empty() {
                        return Err(WebhookError::InvalidKey {
                            reason: "the signing secret is empty",
                        });
                    }
                    if secret.trim() != secret {
                        return Err(WebhookError::InvalidKey {
                            reason: "the signing secret starts or ends with whitespace (copied with it?)",
                        });
                    }
                    Ok(HmacSha256::new_from_slice(secret.as_bytes())
                        .expect("HMAC takes any key length"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if secrets.is_empty() {
                return Err(WebhookError::InvalidKey {
                    reason: "no secret given",
                });
            }
            Ok(Verifier {
                secrets,
                max_body: crate::DEFAULT_MAX_WEBHOOK_BODY_BYTES,
            })
        }

        /// The largest body verified (default
        /// [`DEFAULT_MAX_WEBHOOK_BODY_BYTES`](crate::DEFAULT_MAX_WEBHOOK_BODY_BYTES)).
        pub fn max_body_bytes(mut self, limit: usize) -> Self {
            self.max_body = limit;
            self
        }

        /// Checks the signature of `body` (the raw request body, unparsed)
        /// against `headers`, then decodes it. Nothing is parsed before the
        /// signature holds.
        pub fn verify(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
        ) -> Result<Event, WebhookError> {
            self.authenticate(headers, body)?;
            check::decode::<Event>(body)
        }

        /// [`verify`](Self::verify), keeping the body and what the signature
        /// vouches for: a body that does not decode is still a delivery
        /// (its `event()` says why), never an error here.
        pub fn verify_delivery(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
        ) -> Result<Delivery<Event>, WebhookError> {
            let signed = self.verify_signature(headers, body)?;
            Ok(Delivery::decode(signed, body))
        }

        /// [`verify`](Self::verify): the scheme signs no time, so `now`
        /// changes nothing (for code that passes a clock to every provider).
        pub fn verify_at(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
            _now: std::time::SystemTime,
        ) -> Result<Event, WebhookError> {
            self.verify(headers, body)
        }

        /// [`verify_delivery`](Self::verify_delivery): `now` changes nothing.
        pub fn verify_delivery_at(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
            _now: std::time::SystemTime,
        ) -> Result<Delivery<Event>, WebhookError> {
            self.verify_delivery(headers, body)
        }

        /// [`verify_signature`](Self::verify_signature): `now` changes nothing.
        pub fn verify_signature_at(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
            _now: std::time::SystemTime,
        ) -> Result<Signed, WebhookError> {
            self.verify_signature(headers, body)
        }

        /// Checks the signature of `body` (the raw request body) against
        /// `headers`, decoding nothing: for receivers that store the body
        /// first. The scheme signs no id and no time, and a signature never
        /// expires, so a captured delivery verifies again whenever it is
        /// replayed: check [`Signed::replay_key`](crate::Signed::replay_key)
        /// against a [`ReplayGuard`](crate::ReplayGuard).
        pub fn verify_signature(
            &self,
            headers: &http::HeaderMap,
            body: &[u8],
        ) -> Result<Signed, WebhookError> {
            self.authenticate(headers, body)?;
            Ok(Signed::new("textus", None, None, body))
        }

        /// The checks, in order (body size, header, signature over the raw
        /// bytes), and nothing more: `verify` pays for no replay key and no
        /// copy of the body.
        fn authenticate(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
            check::body(body, self.max_body)?;
            let header = check::required_header(headers, &SIGNATURE)?.trim();
            let mut signature = [0u8; 32];
            if header.len() != 64 {
                return Err(WebhookError::MalformedHeader {
                    name: SIGNATURE_HEADER,
                    reason: "not 64 hexadecimal digits",
                });
            }
            hex::decode_to_slice(header, &mut signature).map_err(|_| {
                WebhookError::MalformedHeader {
                    name: SIGNATURE_HEADER,
                    reason: "not 64 hexadecimal digits",
                }
            })?;
            let matched = self.secrets.iter().any(|secret| {
                let mut mac = secret.clone();
                mac.update(body);
                mac.verify_slice(&signature).is_ok()
            });
            if !matched {
                return Err(WebhookError::BadSignature);
            }
            Ok(())
        }
    }
    crate::webhook::impl_webhook_verifier!(
        Verifier,
        Event,
        signs_time: false,
        provider: crate::textus::API.provider
    );
}
