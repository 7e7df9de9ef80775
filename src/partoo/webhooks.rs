//! Partoo's webhooks: [`Event`] (one variant per documented event type,
//! generated from `openapi/partoo-webhooks.yaml`) and, with the `webhooks`
//! feature, [`Verifier`].
//!
//! Partoo signs the raw body with Ed25519 and sends the signature, base64,
//! in `X-Partoo-Signature-v1`
//! ([security page](https://developers.partoo.co/guides/api/resources/settings/webhooks/security)).
//! The scheme has no timestamp, so a captured delivery can be sent again:
//! make handling idempotent (a message event carries the message's `id`
//! and `status`). Answer `200` when handled; a `5xx` is retried up to five
//! times with exponential backoff, a `4xx` is not
//! ([setup page](https://developers.partoo.co/guides/api/resources/settings/webhooks/setup)).
//!
//! ```
//! # #[cfg(feature = "webhooks")] {
//! use inbox_bindings::partoo::webhooks::{Event, Verifier};
//!
//! // In the handler of the URL Partoo posts to, with the request's raw body:
//! fn receive(verifier: &Verifier, headers: &http::HeaderMap, body: &[u8]) -> http::StatusCode {
//!     match verifier.verify(headers, body) {
//!         Ok(Event::MessageCreated(event)) => {
//!             let conversation = event.payload.conversation.and_then(|c| c.id);
//!             println!("new message in conversation {conversation:?}");
//!             // ... keep the conversation current ...
//!             http::StatusCode::OK
//!         }
//!         Ok(other) => {
//!             println!("ignored {}", other.event_type());
//!             http::StatusCode::OK
//!         }
//!         Err(refused) => refused.status(),
//!     }
//! }
//!
//! let verifier = Verifier::production();
//! let status = receive(&verifier, &http::HeaderMap::new(), b"{}");
//! assert_eq!(status, http::StatusCode::UNAUTHORIZED); // no signature
//! # }
//! ```

pub use super::generated::Event;

#[cfg(feature = "webhooks")]
pub use verifier::{Verifier, PRODUCTION_PUBLIC_KEY_PEM, SANDBOX_PUBLIC_KEY_PEM, SIGNATURE_HEADER};

/// A verifier from a key as [`ProviderEnv::webhook_key_form`](crate::ProviderEnv)
/// says: a PEM public key, or `production`/`sandbox` for Partoo's own
/// (the registry's `verifier_for`).
#[cfg(feature = "webhooks")]
pub(crate) fn verifier_from_key(key: &str) -> Result<Verifier, crate::WebhookError> {
    match key.trim() {
        "production" => Ok(Verifier::production()),
        "sandbox" => Ok(Verifier::sandbox()),
        pem => Verifier::new(pem),
    }
}

#[cfg(feature = "webhooks")]
mod verifier {
    use std::fmt;

    use ed25519_dalek::pkcs8::DecodePublicKey;
    use ed25519_dalek::{Signature, VerifyingKey};

    use super::Event;
    use crate::webhook::check;
    use crate::{Delivery, Signed, WebhookError};

    /// The header carrying the signature.
    pub const SIGNATURE_HEADER: &str = "x-partoo-signature-v1";
    static SIGNATURE: http::HeaderName = http::HeaderName::from_static(SIGNATURE_HEADER);

    /// Partoo's production public key, as its security page publishes it.
    pub const PRODUCTION_PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
        MCowBQYDK2VwAyEA0G9ciHL6XZQXuWq6W4dFLvwNEPWgcdtQgEVlBIwZWBQ=\n\
        -----END PUBLIC KEY-----\n";

    /// Partoo's sandbox public key, as its security page publishes it.
    pub const SANDBOX_PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
        MCowBQYDK2VwAyEALsyvX2yVnG3ZKRIFfEvYk2nkzanoNgAqBSqdeNub4sM=\n\
        -----END PUBLIC KEY-----\n";

    /// Verifies Partoo deliveries against one or more Ed25519 public keys
    /// (several while Partoo rotates its key), then decodes them.
    #[derive(Clone)]
    pub struct Verifier {
        keys: Vec<VerifyingKey>,
        max_body: usize,
    }

    impl fmt::Debug for Verifier {
        fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter
                .debug_struct("Verifier")
                .field("keys", &self.keys.len())
                .field("max_body", &self.max_body)
                .finish()
        }
    }

    impl Verifier {
        /// A verifier for one public key, PEM (`-----BEGIN PUBLIC KEY-----`,
        /// SubjectPublicKeyInfo) as Partoo's security page shows it. Anything
        /// else, or a key that is not Ed25519, is refused here.
        pub fn new(public_key_pem: &str) -> Result<Self, WebhookError> {
            Self::with_keys([public_key_pem])
        }

        /// A verifier accepting a delivery signed by any of these keys (one
        /// at least).
        pub fn with_keys<I, S>(public_keys_pem: I) -> Result<Self, WebhookError>
        where
            I: IntoIterator<Item = S>,
            S: AsRef<str>,
        {
            let keys = public_keys_pem
                .into_iter()
                .map(|pem| {
                    VerifyingKey::from_public_key_pem(pem.as_ref().trim()).map_err(|_| {
                        WebhookError::InvalidKey {
                            reason: "not a PEM Ed25519 public key (SubjectPublicKeyInfo)",
                        }
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                return Err(WebhookError::InvalidKey {
                    reason: "no key given",
                });
            }
            Ok(Verifier {
                keys,
                max_body: crate::DEFAULT_MAX_WEBHOOK_BODY_BYTES,
            })
        }

        /// Partoo's production key.
        pub fn production() -> Self {
            Self::new(PRODUCTION_PUBLIC_KEY_PEM).expect("Partoo's published key parses")
        }

        /// Partoo's sandbox key.
        pub fn sandbox() -> Self {
            Self::new(SANDBOX_PUBLIC_KEY_PEM).expect("Partoo's published key parses")
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
            Ok(Signed::new("partoo", None, None, body))
        }

        /// The checks, in order (body size, header, signature over the raw
        /// bytes), and nothing more: `verify` pays for no replay key and no
        /// copy of the body.
        fn authenticate(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
            check::body(body, self.max_body)?;
            let header = check::required_header(headers, &SIGNATURE)?;
            let bytes: [u8; 64] = check::base64_exact(
                header.trim(),
                SIGNATURE_HEADER,
                "not a 64-byte Ed25519 signature",
            )?;
            let signature = Signature::from_bytes(&bytes);
            if !self
                .keys
                .iter()
                .any(|key| key.verify_strict(body, &signature).is_ok())
            {
                return Err(WebhookError::BadSignature);
            }
            Ok(())
        }
    }
    crate::webhook::impl_webhook_verifier!(
        Verifier,
        Event,
        signs_time: false,
        provider: crate::partoo::API.provider
    );
}
