//! What the three providers' webhooks share: the error a verification
//! returns, the event an unknown type decodes to, the one-pass decoding the
//! generated `Event` enums use, and the checks every scheme makes (headers,
//! body size, timestamps). Each provider's scheme is in its own module
//! (`partoo::webhooks`, `quo::webhooks`, `textus::webhooks`).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// The largest body a verifier reads by default (1 MiB): a delivery larger
/// than that is refused before any signature is computed. Each
/// `Verifier::max_body_bytes` changes it.
pub const DEFAULT_MAX_WEBHOOK_BODY_BYTES: usize = 1024 * 1024;

/// The default window around the receiver's clock a signed timestamp must
/// fall in (Quo's five minutes).
pub const DEFAULT_WEBHOOK_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a delivery was refused (or a key was). Never holds a key, a secret or
/// a signature: it can be logged as it is.
///
/// [`status`](Self::status) is the answer a receiver should give: `401` when
/// the request cannot be shown to come from the provider (the provider then
/// does not retry), `400` for a signed body that is not the documented JSON,
/// `413` for an oversized body, `500` for the receiver's own misconfiguration
/// (retried by the provider, so nothing is lost while it is fixed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A key or secret given to a `Verifier` constructor is unusable.
    #[error("invalid webhook key: {reason}")]
    #[non_exhaustive]
    InvalidKey {
        /// What is wrong with it (never the key).
        reason: &'static str,
    },
    /// A header the scheme needs is absent.
    #[error("missing header `{name}`")]
    #[non_exhaustive]
    MissingHeader {
        /// The header.
        name: &'static str,
    },
    /// A header is present but not in the scheme's form.
    #[error("malformed header `{name}`: {reason}")]
    #[non_exhaustive]
    MalformedHeader {
        /// The header.
        name: &'static str,
        /// What is wrong with it (never its value).
        reason: &'static str,
    },
    /// The delivery is signed with a scheme none of the verifier's keys is for
    /// (a legacy Quo delivery checked with only a `whsec_` key, or the reverse).
    #[error("the delivery is signed with {headers}, but the verifier holds {keys}")]
    #[non_exhaustive]
    SchemeMismatch {
        /// The scheme the delivery's headers are for.
        headers: &'static str,
        /// The keys the verifier holds.
        keys: &'static str,
    },
    /// No signature of the delivery matches any of the keys.
    #[error("signature does not match the body")]
    BadSignature,
    /// The signed timestamp is older than the tolerance allows (a replay, or
    /// a clock far behind).
    #[error("signed {age:?} ago, more than the {tolerance:?} allowed")]
    #[non_exhaustive]
    StaleTimestamp {
        /// How long ago it was signed.
        age: Duration,
        /// The verifier's window.
        tolerance: Duration,
    },
    /// The signed timestamp is further in the future than the tolerance allows.
    #[error("signed {ahead:?} in the future, more than the {tolerance:?} allowed")]
    #[non_exhaustive]
    FutureTimestamp {
        /// How far ahead of the receiver's clock.
        ahead: Duration,
        /// The verifier's window.
        tolerance: Duration,
    },
    /// The body is larger than the verifier reads; nothing was computed.
    #[error("body of {length} bytes is larger than the {limit} bytes allowed")]
    #[non_exhaustive]
    BodyTooLarge {
        /// The body's length.
        length: usize,
        /// The verifier's limit.
        limit: usize,
    },
    /// The signature is valid, but the body is not the documented JSON.
    #[error(
        "signed body is not a documented event{}: at {path}: {source}",
        event_type.as_deref().map(|t| format!(" (`{t}`)")).unwrap_or_default()
    )]
    #[non_exhaustive]
    Payload {
        /// The event type, when the body names one.
        event_type: Option<String>,
        /// Where decoding failed (`payload.message.id`; `.` for the whole body).
        path: String,
        /// Why.
        source: serde_json::Error,
    },
}

impl WebhookError {
    /// The status a receiver should answer this delivery with (see the type's docs).
    pub fn status(&self) -> http::StatusCode {
        match self {
            WebhookError::InvalidKey { .. } => http::StatusCode::INTERNAL_SERVER_ERROR,
            WebhookError::BodyTooLarge { .. } => http::StatusCode::PAYLOAD_TOO_LARGE,
            WebhookError::Payload { .. } => http::StatusCode::BAD_REQUEST,
            WebhookError::MissingHeader { .. }
            | WebhookError::MalformedHeader { .. }
            | WebhookError::SchemeMismatch { .. }
            | WebhookError::BadSignature
            | WebhookError::StaleTimestamp { .. }
            | WebhookError::FutureTimestamp { .. } => http::StatusCode::UNAUTHORIZED,
        }
    }

    /// Whether the delivery could not be shown to come from the provider
    /// (signature, timestamp or signature headers).
    pub fn is_unauthenticated(&self) -> bool {
        self.status() == http::StatusCode::UNAUTHORIZED
    }
}

/// An event of a type the crate does not know (yet): its type and its JSON
/// exactly as received. Receiving one is normal: providers add event types
/// without notice.
#[derive(Clone)]
pub struct UnknownEvent {
    event_type: String,
    json: Box<RawValue>,
}

impl UnknownEvent {
    /// The event type, as sent.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The whole event, as received (the body's exact text when decoded from
    /// a body).
    pub fn json(&self) -> &RawValue {
        &self.json
    }

    /// The whole event as a `serde_json::Value`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.json.get()).expect("kept only once parsed")
    }
}

impl fmt::Debug for UnknownEvent {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("UnknownEvent")
            .field("event_type", &self.event_type)
            .field("json", &self.json.get())
            .finish()
    }
}

impl PartialEq for UnknownEvent {
    fn eq(&self, other: &Self) -> bool {
        self.event_type == other.event_type && self.json.get() == other.json.get()
    }
}

impl Serialize for UnknownEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

/// What every provider's `Event` offers, for code generic over providers.
pub trait WebhookEvent: Sized + fmt::Debug + Send + 'static {
    /// The envelope property holding the event type (`type`, `action`).
    const EVENT_TYPE_FIELD: &'static str;
    /// The documented event types, in the provider's document order.
    const DOCUMENTED: &'static [&'static str];
    /// The event type, as sent.
    fn event_type(&self) -> &str;
    /// Whether the type is one the crate does not know.
    fn is_unknown(&self) -> bool;
    /// Decodes an event from a body (check its signature first: each
    /// provider's `webhooks::Verifier` does both).
    fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error>;
}

// ---------------------------------------------------------------------------
// Decoding: one pass, the event type first.

/// Implemented by `webhook_events!` for each `Event` enum.
#[doc(hidden)]
pub trait TaggedEvent: Sized {
    const TAG: &'static str;
    /// The event of a documented type, decoded from the rest of `map`; `None`
    /// for a type the enum does not know (`map` untouched).
    fn known<'de, A: MapAccess<'de>>(event_type: &str, map: A) -> Option<Result<Self, A::Error>>;
    fn unknown(unknown: UnknownEvent) -> Self;
}

/// Decodes a payload struct from what is left of the envelope map.
#[doc(hidden)]
pub fn decode_payload<'de, T: Deserialize<'de>, A: MapAccess<'de>>(map: A) -> Result<T, A::Error> {
    T::deserialize(de::value::MapAccessDeserializer::new(map))
}

/// An envelope key: borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a property name")
            }
            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(value)))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(value.to_string())))
            }
            fn visit_string<E: de::Error>(self, value: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(value)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The envelope map again, for the payload's own deserializer: the entries
/// read before the event type (kept as values), the event type itself, then
/// the rest straight from the input. A second event-type property is an
/// error: two types in one event would make it mean two things.
struct Replay<'de, A> {
    before: std::vec::IntoIter<(String, serde_json::Value)>,
    tag: Option<(&'static str, String)>,
    pending: Option<Pending>,
    rest: A,
    tag_name: &'static str,
    _input: PhantomData<&'de ()>,
}

enum Pending {
    Value(serde_json::Value),
    Tag(String),
}

/// A key from the input, refused when it is the event type again.
struct CheckedKey<S> {
    seed: S,
    tag_name: &'static str,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for CheckedKey<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        let key = Key::deserialize(deserializer)?;
        if key.0 == self.tag_name {
            return Err(de::Error::custom(format_args!(
                "duplicate field `{}`",
                self.tag_name
            )));
        }
        match key.0 {
            Cow::Borrowed(borrowed) => self
                .seed
                .deserialize(de::value::BorrowedStrDeserializer::new(borrowed)),
            Cow::Owned(owned) => self.seed.deserialize(owned.into_deserializer()),
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.before.next() {
            self.pending = Some(Pending::Value(value));
            return seed.deserialize(key.into_deserializer()).map(Some);
        }
        if let Some((name, value)) = self.tag.take() {
            self.pending = Some(Pending::Tag(value));
            return seed
                .deserialize(de::value::StrDeserializer::<A::Error>::new(name))
                .map(Some);
        }
        self.rest.next_key_seed(CheckedKey {
            seed,
            tag_name: self.tag_name,
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.pending.take() {
            Some(Pending::Value(value)) => seed.deserialize(value).map_err(de::Error::custom),
            Some(Pending::Tag(value)) => seed.deserialize(value.into_deserializer()),
            None => self.rest.next_value_seed(seed),
        }
    }
}

/// `Deserialize` for an `Event` enum, from any deserializer: read as a
/// JSON value, then decoded like a body (an unknown type keeps that value's
/// text). Verifiers decode from the body itself (`decode_event`).
#[doc(hidden)]
pub fn deserialize_event<'de, E: TaggedEvent, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<E, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    let text = serde_json::to_vec(&value).map_err(de::Error::custom)?;
    decode_event::<E>(&text).map_err(de::Error::custom)
}

/// Decodes an event from a body in one pass: the envelope's properties up
/// to the event type are kept aside (a few short values), the type picks
/// the payload, and the payload decodes from the rest of the input. An
/// unknown type keeps the body's exact text.
#[doc(hidden)]
pub fn decode_event<E: TaggedEvent>(body: &[u8]) -> Result<E, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let decoded = deserializer.deserialize_map(Probe::<E>(PhantomData))?;
    deserializer.end()?;
    match decoded {
        Probed::Known(event) => Ok(event),
        Probed::Unknown(event_type) => {
            let text = std::str::from_utf8(body).map_err(de::Error::custom)?;
            let json = RawValue::from_string(text.trim().to_string())?;
            Ok(E::unknown(UnknownEvent { event_type, json }))
        }
    }
}

/// Where decoding `body` as `E` fails (`payload.message.id`), for the
/// error of a body that did not decode; `.` when the failure is not inside
/// a property read from the input.
pub(crate) fn error_path<E: TaggedEvent>(body: &[u8]) -> String {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
    match tracked.deserialize_map(Probe::<E>(PhantomData)) {
        Err(_) => track.path().to_string(),
        Ok(_) => ".".to_string(),
    }
}

/// The event type a body names, if it names one (for errors).
pub(crate) fn event_type_of<E: TaggedEvent>(body: &[u8]) -> Option<String> {
    struct TagOf(&'static str);
    impl<'de> Visitor<'de> for TagOf {
        type Value = Option<String>;
        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                if key == self.0 {
                    return Ok(map.next_value::<String>().ok());
                }
                map.next_value::<de::IgnoredAny>()?;
            }
            Ok(None)
        }
    }
    serde_json::Deserializer::from_slice(body)
        .deserialize_map(TagOf(E::TAG))
        .ok()
        .flatten()
}

enum Probed<E> {
    Known(E),
    Unknown(String),
}

struct Probe<E>(PhantomData<E>);

impl<'de, E: TaggedEvent> Visitor<'de> for Probe<E> {
    type Value = Probed<E>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "an event object with a `{}`", E::TAG)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probed<E>, A::Error> {
        let mut before: Vec<(String, serde_json::Value)> = Vec::new();
        let event_type = loop {
            let Some(Key(key)) = map.next_key::<Key<'de>>()? else {
                return Err(de::Error::missing_field(E::TAG));
            };
            if key == E::TAG {
                break map.next_value::<String>()?;
            }
            if before.iter().any(|(seen, _)| *seen == key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            before.push((key.into_owned(), map.next_value()?));
        };
        let known = E::known(
            &event_type,
            Replay {
                before: before.into_iter(),
                tag: Some((E::TAG, event_type.clone())),
                pending: None,
                rest: &mut map,
                tag_name: E::TAG,
                _input: PhantomData,
            },
        );
        match known {
            Some(event) => event.map(Probed::Known),
            None => {
                // The rest is read (and checked as JSON, without duplicate
                // event types) but not kept: the body's text is.
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    if key == E::TAG {
                        return Err(de::Error::custom(format_args!(
                            "duplicate field `{}`",
                            E::TAG
                        )));
                    }
                    map.next_value::<de::IgnoredAny>()?;
                }
                Ok(Probed::Unknown(event_type))
            }
        }
    }
}

/// The `Event` enum of a provider's webhooks: the variants the pipeline
/// lists (one per documented event type, with its payload struct), plus
/// `Unknown`, `event_type()`, decoding in one pass, and serde.
#[doc(hidden)]
#[macro_export]
macro_rules! __webhook_events {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $tag:literal {
            $( $(#[$variant_meta:meta])* $variant:ident = $value:literal => $payload:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant($payload), )*
            /// An event type this version of the crate does not know, with its
            /// JSON as received. Providers add event types without notice:
            /// log it, store it, answer 2xx.
            Unknown($crate::UnknownEvent),
        }

        impl $name {
            /// The event types the provider documents, in its document's order.
            pub const DOCUMENTED: &'static [&'static str] = &[$($value),*];

            /// The envelope property naming the event type.
            pub const EVENT_TYPE_FIELD: &'static str = $tag;

            /// The event type, as sent.
            pub fn event_type(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $value, )*
                    Self::Unknown(unknown) => unknown.event_type(),
                }
            }

            /// Whether the event's type is one this crate does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }

            /// Decodes an event from a request body, in one pass. Check the
            /// signature first: the provider's `webhooks::Verifier` does both.
            pub fn from_slice(
                body: &[u8],
            ) -> ::std::result::Result<Self, $crate::__private::serde_json::Error> {
                $crate::__private::decode_event::<Self>(body)
            }
        }

        impl $crate::WebhookEvent for $name {
            const EVENT_TYPE_FIELD: &'static str = $tag;
            const DOCUMENTED: &'static [&'static str] = &[$($value),*];
            fn event_type(&self) -> &str {
                $name::event_type(self)
            }
            fn is_unknown(&self) -> bool {
                $name::is_unknown(self)
            }
            fn from_slice(
                body: &[u8],
            ) -> ::std::result::Result<Self, $crate::__private::serde_json::Error> {
                $name::from_slice(body)
            }
        }

        impl $crate::__private::TaggedEvent for $name {
            const TAG: &'static str = $tag;
            fn known<'de, A: $crate::__private::serde::de::MapAccess<'de>>(
                event_type: &str,
                map: A,
            ) -> ::std::option::Option<::std::result::Result<Self, A::Error>> {
                match event_type {
                    $( $value => ::std::option::Option::Some(
                        $crate::__private::decode_payload::<$payload, A>(map).map(Self::$variant),
                    ), )*
                    _ => ::std::option::Option::None,
                }
            }
            fn unknown(unknown: $crate::UnknownEvent) -> Self {
                Self::Unknown(unknown)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::deserialize_event::<Self, D>(deserializer)
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(payload) => $crate::__private::serde::Serialize::serialize(payload, serializer), )*
                    Self::Unknown(unknown) => $crate::__private::serde::Serialize::serialize(unknown, serializer),
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------
// What every scheme checks.

/// The checks every provider's verifier makes, in the order it makes them:
/// the body's size, the signature headers, the timestamp (where the scheme
/// has one), the signature over the raw bytes, then decoding.
#[cfg(feature = "webhooks")]
pub(crate) mod check {
    use std::time::{Duration, SystemTime};

    use base64::Engine as _;

    use super::{TaggedEvent, WebhookError};

    /// Refuses a body over `limit` before anything is computed.
    pub fn body(body: &[u8], limit: usize) -> Result<(), WebhookError> {
        if body.len() > limit {
            return Err(WebhookError::BodyTooLarge {
                length: body.len(),
                limit,
            });
        }
        Ok(())
    }

    /// A header's one value, if present. Sent twice, or with bytes outside
    /// visible ASCII, it is malformed: a signature header is never either.
    pub fn header<'h>(
        headers: &'h http::HeaderMap,
        name: &'static str,
    ) -> Result<Option<&'h str>, WebhookError> {
        let mut values = headers.get_all(name).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(WebhookError::MalformedHeader {
                name,
                reason: "sent more than once",
            });
        }
        value
            .to_str()
            .map(Some)
            .map_err(|_| WebhookError::MalformedHeader {
                name,
                reason: "not visible ASCII",
            })
    }

    /// A header the scheme cannot do without.
    pub fn required_header<'h>(
        headers: &'h http::HeaderMap,
        name: &'static str,
    ) -> Result<&'h str, WebhookError> {
        header(headers, name)?.ok_or(WebhookError::MissingHeader { name })
    }

    /// Digits only, at most 19 of them (no sign, no space, no exponent).
    pub fn integer(text: &str, name: &'static str) -> Result<u64, WebhookError> {
        let malformed = WebhookError::MalformedHeader {
            name,
            reason: "the timestamp is not a decimal integer",
        };
        if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed);
        }
        text.parse().map_err(|_| malformed)
    }

    /// The signed time is within `tolerance` of `now`, either way.
    pub fn timestamp(
        signed_at: SystemTime,
        now: SystemTime,
        tolerance: Duration,
    ) -> Result<(), WebhookError> {
        match now.duration_since(signed_at) {
            Ok(age) if age > tolerance => Err(WebhookError::StaleTimestamp { age, tolerance }),
            Ok(_) => Ok(()),
            Err(ahead) if ahead.duration() > tolerance => Err(WebhookError::FutureTimestamp {
                ahead: ahead.duration(),
                tolerance,
            }),
            Err(_) => Ok(()),
        }
    }

    /// Standard base64 (padded, canonical) of exactly `N` bytes.
    pub fn base64_exact<const N: usize>(
        text: &str,
        name: &'static str,
        wrong_length: &'static str,
    ) -> Result<[u8; N], WebhookError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| WebhookError::MalformedHeader {
                name,
                reason: "the signature is not standard base64",
            })?;
        bytes.try_into().map_err(|_| WebhookError::MalformedHeader {
            name,
            reason: wrong_length,
        })
    }

    /// Decodes a verified body, or says where and why it is not the
    /// documented JSON (bodies over the value cap are refused unread).
    pub fn decode<E: TaggedEvent>(body: &[u8]) -> Result<E, WebhookError> {
        if !crate::decode::within_value_limit(body, crate::MAX_RESPONSE_NODES) {
            return Err(WebhookError::Payload {
                event_type: super::event_type_of::<E>(body),
                path: ".".to_string(),
                source: <serde_json::Error as serde::de::Error>::custom(format_args!(
                    "more than {} JSON values",
                    crate::MAX_RESPONSE_NODES
                )),
            });
        }
        super::decode_event::<E>(body).map_err(|source| WebhookError::Payload {
            event_type: super::event_type_of::<E>(body),
            path: super::error_path::<E>(body),
            source,
        })
    }
}
