//! What the three providers' webhooks share: the error a verification
//! returns, the event an unknown type decodes to, the one-pass decoding the
//! generated `Event` enums use, and the checks every scheme makes (headers,
//! body size, timestamps). Each provider's scheme is in its own module
//! (`partoo::webhooks`, `quo::webhooks`, `textus::webhooks`).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
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
/// the request cannot be shown to come from the provider, `413` for an
/// oversized body, `500` for the receiver's own misconfiguration, and `503`
/// for a signed body that is not the documented event: a status every
/// provider retries, so a payload that drifted is not dropped by a `4xx`.
/// Better, for that case: verify with `verify_delivery`, keep
/// [`Delivery::body`] and answer `2xx` (nothing then depends on retries). What a provider does with the
/// answer is its own: Partoo retries a `5xx` only (never a `4xx`), Quo
/// retries any non-`2xx` (a `401` too), TextUs retries what it counts as
/// transient (a `5xx`, no answer).
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
            WebhookError::Payload { .. } => http::StatusCode::SERVICE_UNAVAILABLE,
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
// Decoding: the event type, then the payload straight from the body.

/// Implemented by `webhook_events!` for each `Event` enum.
#[doc(hidden)]
pub trait TaggedEvent: Sized {
    const TAG: &'static str;
    /// The event of a documented type, decoded by `deserializer` from the
    /// whole body; `None` for a type the enum does not know.
    fn known<'de, D: Deserializer<'de>>(
        event_type: &str,
        deserializer: D,
    ) -> Option<Result<Self, D::Error>>;
    fn unknown(unknown: UnknownEvent) -> Self;
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

/// Reads an object up to its event-type property, skipping (not building)
/// the values before it, and keeps the type in `found`. Without `whole` it
/// stops there: serde has no early return, so it returns an error that
/// `find_tag` recognizes by `found` being set. With `whole`, it reads on to
/// the end, refusing a second event-type property (an unknown event is
/// checked this way; a known one by its payload's own duplicate check).
struct FindTag<'f, 'de> {
    tag: &'static str,
    whole: bool,
    found: &'f mut Option<Cow<'de, str>>,
}

impl<'de> Visitor<'de> for FindTag<'_, 'de> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "an event object with a `{}`", self.tag)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key != self.tag {
                map.next_value::<de::IgnoredAny>()?;
                continue;
            }
            if self.found.is_some() {
                return Err(de::Error::custom(format_args!(
                    "duplicate field `{}`",
                    self.tag
                )));
            }
            // Borrowed from the body unless it has escapes.
            *self.found = Some(map.next_value::<Key<'de>>()?.0);
            if !self.whole {
                return Err(de::Error::custom("found"));
            }
        }
        match self.found {
            Some(_) => Ok(()),
            None => Err(de::Error::missing_field(self.tag)),
        }
    }
}

fn find_tag<'b>(
    body: &'b [u8],
    tag: &'static str,
    whole: bool,
) -> Result<Cow<'b, str>, serde_json::Error> {
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let outcome = deserializer.deserialize_map(FindTag {
        tag,
        whole,
        found: &mut found,
    });
    match (outcome, found) {
        // Stopped at the type (not `whole`), or read whole.
        (Err(_), Some(event_type)) if !whole => Ok(event_type),
        (Ok(()), Some(event_type)) => {
            deserializer.end()?;
            Ok(event_type)
        }
        (Err(error), _) => Err(error),
        (Ok(()), None) => Err(de::Error::missing_field(tag)),
    }
}

/// The event type by a scan of the body's top-level object (strings,
/// escapes and nesting tracked, nothing built), for the common case: a
/// plain string property, named without escapes. `None` whenever the scan
/// is not sure (no object, an escaped key, a non-string value, not found):
/// the caller then asks serde (`find_tag`), which says why. Either way the
/// payload is decoded by serde from the whole body afterwards, so a body
/// that is not JSON is refused there; on JSON both find the same property
/// (the tests compare them).
fn scan_tag<'b>(body: &'b [u8], tag: &str) -> Option<Cow<'b, str>> {
    let skip_space = |mut at: usize| {
        while body.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        at
    };
    // The index of the quote closing the string opened at `open`.
    let string_end = |open: usize| -> Option<usize> {
        let mut at = open + 1;
        loop {
            let offset = memchr::memchr2(b'"', b'\\', body.get(at..)?)?;
            if body[at + offset] == b'\\' {
                at += offset + 2;
            } else {
                return Some(at + offset);
            }
        }
    };
    let mut at = skip_space(0);
    if body.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    let mut depth = 1usize;
    let mut expect_key = true;
    loop {
        match *body.get(at)? {
            b'"' => {
                let end = string_end(at)?;
                if depth == 1 && expect_key {
                    let key = &body[at + 1..end];
                    if key.contains(&b'\\') {
                        return None;
                    }
                    let colon = skip_space(end + 1);
                    if body.get(colon) != Some(&b':') {
                        return None;
                    }
                    let value = skip_space(colon + 1);
                    if key == tag.as_bytes() {
                        if body.get(value) != Some(&b'"') {
                            return None;
                        }
                        let value_end = string_end(value)?;
                        let text = &body[value + 1..value_end];
                        if text.contains(&b'\\') {
                            return serde_json::from_slice::<String>(&body[value..=value_end])
                                .ok()
                                .map(Cow::Owned);
                        }
                        return std::str::from_utf8(text).ok().map(Cow::Borrowed);
                    }
                    expect_key = false;
                    at = value;
                    continue;
                }
                at = end + 1;
            }
            b'{' | b'[' => {
                depth += 1;
                at += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
                at += 1;
            }
            b',' => {
                expect_key = depth == 1;
                at += 1;
            }
            _ => at += 1,
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

/// Decodes an event from a body: the event type is found first (by a scan
/// of the body, else by serde skipping the properties before it: no value
/// is built either way), then the payload decodes from the body like any
/// response. An unknown type is checked as JSON and kept
/// as the body's exact text.
#[doc(hidden)]
pub fn decode_event<E: TaggedEvent>(body: &[u8]) -> Result<E, serde_json::Error> {
    let event_type = match scan_tag(body, E::TAG) {
        Some(event_type) => event_type,
        None => find_tag(body, E::TAG, false)?,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    if let Some(known) = E::known(&event_type, &mut deserializer) {
        let event = known?;
        deserializer.end()?;
        return Ok(event);
    }
    find_tag(body, E::TAG, true)?;
    let text = std::str::from_utf8(body).map_err(de::Error::custom)?;
    let json = RawValue::from_string(text.trim().to_string())?;
    Ok(E::unknown(UnknownEvent {
        event_type: event_type.into_owned(),
        json,
    }))
}

/// Where decoding `body` as `E` fails (`payload.message.id`), for the
/// error of a body that did not decode; `.` when the failure is not inside
/// a property.
#[cfg(all(feature = "webhooks", feature = "_provider"))]
pub(crate) fn error_path<E: TaggedEvent>(body: &[u8]) -> String {
    match failure::<E>(body) {
        Some(Some((path, _))) => path.to_string(),
        _ => ".".to_string(),
    }
}

/// Where and why the payload of `body`'s documented event type does not
/// decode as `E`; `Some(None)` when it does, `None` when the body names no
/// event type or one `E` does not document (kept whole as unknown).
#[cfg(all(feature = "webhooks", feature = "_provider"))]
fn failure<E: TaggedEvent>(body: &[u8]) -> Option<Option<(serde_path_to_error::Path, String)>> {
    let event_type = find_tag(body, E::TAG, false).ok()?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
    match E::known(&event_type, tracked)? {
        Ok(_) => Some(None),
        Err(error) => Some(Some((track.path(), error.to_string()))),
    }
}

/// The event type a body names, if it names one (for errors).
#[cfg(all(feature = "webhooks", feature = "_provider"))]
pub(crate) fn event_type_of<E: TaggedEvent>(body: &[u8]) -> Option<String> {
    find_tag(body, E::TAG, false).ok().map(Cow::into_owned)
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
            $( $(#[$variant_meta])* $variant(::std::boxed::Box<$payload>), )*
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
            fn known<'de, D: $crate::__private::serde::Deserializer<'de>>(
                event_type: &str,
                deserializer: D,
            ) -> ::std::option::Option<::std::result::Result<Self, D::Error>> {
                match event_type {
                    $( $value => ::std::option::Option::Some(
                        <::std::boxed::Box<$payload> as $crate::__private::serde::Deserialize>::deserialize(deserializer)
                            .map(Self::$variant),
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

        $crate::__event_json_schema!($name, $tag, [$( $value => $payload ),*]);
    };
}

/// The `schemars::JsonSchema` impl of an `Event` enum: each documented
/// type's payload (with its event type), or any object with an event type
/// string (an unknown type). Defined under this crate's `schemars` feature,
/// as `__enum_json_schema!` is.
#[cfg(feature = "schemars")]
#[doc(hidden)]
#[macro_export]
macro_rules! __event_json_schema {
    ($name:ident, $tag:literal, [$( $value:literal => $payload:ty ),*]) => {
        impl $crate::__private::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(
                generator: &mut $crate::__private::schemars::SchemaGenerator,
            ) -> $crate::__private::schemars::Schema {
                $crate::__private::event_schema(
                    $tag,
                    ::std::vec![$( ($value, generator.subschema_for::<$payload>()) ),*],
                )
            }
        }
    };
}

/// Without the `schemars` feature: nothing.
#[cfg(not(feature = "schemars"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __event_json_schema {
    ($($anything:tt)*) => {};
}

/// The schema `__event_json_schema!` builds: one branch per documented
/// event type (its payload, with the type as a constant), and one for the
/// types the enum does not know.
#[cfg(feature = "schemars")]
pub(crate) fn event_schema(tag: &str, known: Vec<(&str, schemars::Schema)>) -> schemars::Schema {
    let documented: Vec<&str> = known.iter().map(|(value, _)| *value).collect();
    let mut branches: Vec<serde_json::Value> = known
        .into_iter()
        .map(|(value, payload)| {
            serde_json::json!({"allOf": [
                payload,
                {"type": "object", "required": [tag], "properties": {tag: {"const": value}}}
            ]})
        })
        .collect();
    branches.push(serde_json::json!({
        "type": "object",
        "required": [tag],
        "properties": {tag: {"type": "string", "not": {"enum": documented}}},
        "description": "An event type this crate does not know: any object naming its type.",
    }));
    schemars::json_schema!({
        "description": format!("A webhook event, by its `{tag}`."),
        "anyOf": branches,
    })
}

// ---------------------------------------------------------------------------
// What every scheme checks.

/// The checks every provider's verifier makes, in the order it makes them:
/// the body's size, the signature headers, the timestamp (where the scheme
/// has one), the signature over the raw bytes, then decoding.
#[cfg(all(feature = "webhooks", feature = "_provider"))]
pub(crate) mod check {
    use super::{TaggedEvent, UnfitField, WebhookError};

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
    /// (`name` is a static `HeaderName`: looked up without parsing it.)
    pub fn header<'h>(
        headers: &'h http::HeaderMap,
        header: &'static http::HeaderName,
    ) -> Result<Option<&'h str>, WebhookError> {
        let name = header.as_str();
        let mut values = headers.get_all(header).iter();
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
        name: &'static http::HeaderName,
    ) -> Result<&'h str, WebhookError> {
        header(headers, name)?.ok_or(WebhookError::MissingHeader {
            name: name.as_str(),
        })
    }

    /// Digits only, at most 19 of them (no sign, no space, no exponent).
    #[cfg(feature = "_provider")]
    #[allow(dead_code, reason = "used by the schemes that sign a time")]
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
    #[cfg(feature = "_provider")]
    #[allow(dead_code, reason = "used by the schemes that sign a time")]
    pub fn timestamp(
        signed_at: std::time::SystemTime,
        now: std::time::SystemTime,
        tolerance: std::time::Duration,
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
    #[cfg(feature = "_provider")]
    #[allow(dead_code, reason = "used by the schemes that sign in base64")]
    pub fn base64_exact<const N: usize>(
        text: &str,
        name: &'static str,
        wrong_length: &'static str,
    ) -> Result<[u8; N], WebhookError> {
        use base64::Engine as _;
        // Exactly the length of `N` bytes in padded base64: anything else is
        // the wrong length before it is decoded (and nothing is allocated).
        if text.len() != N.div_ceil(3) * 4 {
            return Err(WebhookError::MalformedHeader {
                name,
                reason: wrong_length,
            });
        }
        let mut bytes = [0u8; N];
        match base64::engine::general_purpose::STANDARD.decode_slice(text, &mut bytes) {
            Ok(length) if length == N => Ok(bytes),
            Ok(_) => Err(WebhookError::MalformedHeader {
                name,
                reason: wrong_length,
            }),
            Err(_) => Err(WebhookError::MalformedHeader {
                name,
                reason: "the signature is not standard base64",
            }),
        }
    }

    /// Decodes a verified body, tolerantly (see [`decode_keeping`]).
    pub fn decode<E: TaggedEvent>(body: &[u8]) -> Result<E, WebhookError> {
        decode_keeping::<E>(body).map(|(event, _)| event)
    }

    /// Decodes a verified body; where it does not fit as a whole, without
    /// the members that do not fit, which are returned as received
    /// ([`super::tolerant`]); else says where and why it is not the
    /// documented JSON (bodies over the value cap are refused unread).
    pub fn decode_keeping<E: TaggedEvent>(
        body: &[u8],
    ) -> Result<(E, Vec<UnfitField>), WebhookError> {
        match strict::<E>(body) {
            Ok(event) => Ok((event, Vec::new())),
            Err(error) => match super::tolerant::decode::<E>(body) {
                Some((event, unfit)) => {
                    tracing::warn!(
                        unfit = ?unfit.iter().map(UnfitField::pointer).collect::<Vec<_>>(),
                        "a verified webhook payload decoded without members that did not fit"
                    );
                    Ok((event, unfit))
                }
                None => Err(error),
            },
        }
    }

    fn strict<E: TaggedEvent>(body: &[u8]) -> Result<E, WebhookError> {
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

/// Decoding a verified payload that does not fit as a whole: each member
/// whose value does not fit is taken out (and kept) until the rest decodes.
#[cfg(all(feature = "webhooks", feature = "_provider"))]
mod tolerant {
    use super::{TaggedEvent, UnfitField};
    use serde_json::Value;

    /// At most this many members are taken out of one payload.
    const MAX_UNFIT: usize = 32;

    /// The event without the members that do not fit, and those members
    /// (their values as in `body`); `None` when no such event exists: the
    /// body is not JSON, names no event type, or the event cannot do
    /// without a member (a required one, the event type itself).
    ///
    /// Where serde fails names what to take out: the member whose value it
    /// refused, or, for a missing member, the object that lacks it (which
    /// is then unfit as a whole, if its own container can do without it). A
    /// failure inside a list takes out the list. Only object members are
    /// taken out, so every pointer still reads the original body.
    pub fn decode<E: TaggedEvent>(body: &[u8]) -> Option<(E, Vec<UnfitField>)> {
        let original: Value = serde_json::from_slice(body).ok()?;
        let mut value = original.clone();
        let mut unfit: Vec<UnfitField> = Vec::new();
        for _ in 0..=MAX_UNFIT {
            let text = serde_json::to_vec(&value).ok()?;
            let (path, reason) = match super::failure::<E>(&text)? {
                None => {
                    let event = super::decode_event::<E>(&text).ok()?;
                    return Some((event, unfit));
                }
                Some(failure) => failure,
            };
            let path = member_path(path.iter())?;
            if path.len() == 1 && path[0] == E::TAG {
                return None;
            }
            let pointer: String = path.iter().map(|key| format!("/{}", escape(key))).collect();
            remove(&mut value, &path)?;
            // A container taken out holds what was taken out of it before.
            unfit.retain(|field| !field.pointer.starts_with(&format!("{pointer}/")));
            unfit.push(UnfitField {
                value: original.pointer(&pointer).cloned().unwrap_or(Value::Null),
                pointer,
                reason,
            });
        }
        None
    }

    /// The object members leading to what to take out: up to the first
    /// step serde could not name, and never into a list (a list with an
    /// item that does not fit is taken out whole). `None` for the root.
    fn member_path<'p>(
        path: impl Iterator<Item = &'p serde_path_to_error::Segment>,
    ) -> Option<Vec<String>> {
        let mut members = Vec::new();
        for segment in path {
            match segment {
                serde_path_to_error::Segment::Map { key } => members.push(key.clone()),
                _ => break,
            }
        }
        (!members.is_empty()).then_some(members)
    }

    fn remove(value: &mut Value, path: &[String]) -> Option<Value> {
        let (last, parents) = path.split_last()?;
        let mut object = value;
        for key in parents {
            object = object.get_mut(key.as_str())?;
        }
        object.as_object_mut()?.remove(last.as_str())
    }

    /// A key as a JSON pointer token.
    fn escape(key: &str) -> String {
        key.replace('~', "~0").replace('/', "~1")
    }
}

#[cfg(all(test, feature = "webhooks", feature = "_provider"))]
mod tolerant_tests {
    use super::{tolerant, TaggedEvent, UnknownEvent};
    use serde::{Deserialize, Deserializer};
    use serde_json::{json, Value};

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        required: String,
        optional: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Payload {
        #[serde(rename = "type")]
        kind: String,
        id: String,
        inner: Option<Inner>,
        list: Option<Vec<u32>>,
        name: Option<String>,
        #[serde(rename = "a/b")]
        slashed: Option<u32>,
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    enum TestEvent {
        Known(Payload),
        Unknown(UnknownEvent),
    }

    impl TaggedEvent for TestEvent {
        const TAG: &'static str = "type";
        fn known<'de, D: Deserializer<'de>>(
            event_type: &str,
            deserializer: D,
        ) -> Option<Result<Self, D::Error>> {
            (event_type == "known")
                .then(|| Payload::deserialize(deserializer).map(TestEvent::Known))
        }
        fn unknown(unknown: UnknownEvent) -> Self {
            TestEvent::Unknown(unknown)
        }
    }

    /// The payload and the unfit members' pointers and values.
    fn tolerate(body: Value) -> Option<(Payload, Vec<(String, Value)>)> {
        let (event, unfit) = tolerant::decode::<TestEvent>(body.to_string().as_bytes())?;
        let TestEvent::Known(payload) = event else {
            panic!("a known event")
        };
        let unfit = unfit
            .into_iter()
            .map(|field| (field.pointer().to_string(), field.value().clone()))
            .collect();
        Some((payload, unfit))
    }

    #[test]
    fn a_member_whose_value_does_not_fit_is_left_out_and_kept() {
        let (payload, unfit) = tolerate(json!({
            "type": "known", "id": "E1", "name": 5, "inner": {"required": "r", "optional": "x"}
        }))
        .unwrap();
        assert_eq!((payload.id.as_str(), payload.name), ("E1", None));
        assert_eq!(
            payload.inner.unwrap().required,
            "r",
            "the rest of the object is kept"
        );
        assert_eq!(
            unfit,
            [
                ("/name".to_string(), json!(5)),
                ("/inner/optional".to_string(), json!("x"))
            ]
        );
    }

    #[test]
    fn an_object_without_a_required_member_is_left_out_whole() {
        // Missing: the object is unfit.
        let (payload, unfit) =
            tolerate(json!({"type": "known", "id": "E1", "inner": {"optional": 1}})).unwrap();
        assert!(payload.inner.is_none());
        assert_eq!(unfit, [("/inner".to_string(), json!({"optional": 1}))]);
        // Of the wrong type: taken out, then its object is missing it: the
        // object is unfit, with the value as received (not a second entry).
        let (_, unfit) =
            tolerate(json!({"type": "known", "id": "E1", "inner": {"required": 5}})).unwrap();
        assert_eq!(unfit, [("/inner".to_string(), json!({"required": 5}))]);
    }

    #[test]
    fn a_list_with_an_item_that_does_not_fit_is_left_out_whole() {
        let (payload, unfit) =
            tolerate(json!({"type": "known", "id": "E1", "list": [1, "two", 3]})).unwrap();
        assert!(payload.list.is_none());
        assert_eq!(unfit, [("/list".to_string(), json!([1, "two", 3]))]);
    }

    #[test]
    fn pointers_escape_their_keys() {
        let (_, unfit) = tolerate(json!({"type": "known", "id": "E1", "a/b": "x"})).unwrap();
        assert_eq!(unfit, [("/a~1b".to_string(), json!("x"))]);
    }

    #[test]
    fn what_the_event_cannot_do_without_is_never_left_out() {
        // A required member of the event itself.
        assert!(tolerate(json!({"type": "known", "id": 5})).is_none());
        assert!(tolerate(json!({"type": "known"})).is_none());
        // Not JSON, or no event type: nothing to decode.
        assert!(tolerant::decode::<TestEvent>(b"not json").is_none());
        assert!(tolerant::decode::<TestEvent>(br#"{"id": "E1"}"#).is_none());
        // An unknown event type already keeps its JSON whole.
        assert!(tolerant::decode::<TestEvent>(br#"{"type": "other", "id": 5}"#).is_none());
    }

    #[test]
    fn a_payload_that_fits_has_nothing_unfit() {
        let (payload, unfit) = tolerate(json!({"type": "known", "id": "E1", "name": "n"})).unwrap();
        assert_eq!(payload.name.as_deref(), Some("n"));
        assert!(unfit.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde finds, as `scan_tag` would return it.
    fn by_serde(body: &[u8]) -> Option<String> {
        find_tag(body, "type", false).ok().map(Cow::into_owned)
    }

    #[test]
    fn the_scan_finds_what_serde_finds_or_defers_to_it() {
        for (body, expected) in [
            (r#"{"type": "a"}"#, Some("a")),
            (r#"  {"id": 1, "type" : "a", "payload": {}}"#, Some("a")),
            (
                r#"{"payload": {"type": "inner"}, "type": "outer"}"#,
                Some("outer"),
            ),
            (
                r#"{"x": "a \"type\": \"fake\"", "type": "real"}"#,
                Some("real"),
            ),
            (
                r#"{"list": [{"type": "no"}, "type"], "type": "yes"}"#,
                Some("yes"),
            ),
            (
                r#"{"type": "with \"escapes\" \u00e9"}"#,
                Some("with \"escapes\" é"),
            ),
            (
                r#"{"type": "message_created", "payload": {}, "type": "again"}"#,
                Some("message_created"),
            ),
        ] {
            assert_eq!(
                scan_tag(body.as_bytes(), "type").as_deref(),
                expected,
                "{body}"
            );
            assert_eq!(by_serde(body.as_bytes()).as_deref(), expected, "{body}");
        }
        // Unsure: serde decides (and explains).
        for body in [
            "",
            "[1]",
            r#"{"typ\u0065": "escaped key"}"#,
            r#"{"type": 7}"#,
            r#"{"id": 1}"#,
            r#"{"type" "a"}"#,
        ] {
            assert_eq!(scan_tag(body.as_bytes(), "type"), None, "{body}");
        }
        assert_eq!(
            by_serde(br#"{"typ\u0065": "escaped key"}"#).as_deref(),
            Some("escaped key")
        );
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[ -~\u{e9}\\\"]{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-z\\\"]{0,6}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// On any JSON object, with the type anywhere among its properties
        /// (or absent), the scan agrees with serde whenever it answers.
        #[test]
        fn the_scan_agrees_with_serde_on_any_json(
            before in prop::collection::vec(("[a-z\\\"]{0,6}", json_value()), 0..4),
            after in prop::collection::vec(("[a-z\\\"]{0,6}", json_value()), 0..4),
            event_type in prop::option::of("[ -~\u{e9}\\\"]{0,10}"),
            pretty in any::<bool>(),
        ) {
            let mut text = String::from("{");
            let mut parts: Vec<String> = Vec::new();
            let property = |key: &str, value: &serde_json::Value| {
                format!("{}:{}", serde_json::to_string(key).unwrap(), if pretty {
                    serde_json::to_string_pretty(value).unwrap()
                } else {
                    serde_json::to_string(value).unwrap()
                })
            };
            parts.extend(before.iter().filter(|(k, _)| k != "type").map(|(k, v)| property(k, v)));
            if let Some(event_type) = &event_type {
                parts.push(property("type", &serde_json::Value::from(event_type.clone())));
            }
            parts.extend(after.iter().filter(|(k, _)| k != "type").map(|(k, v)| property(k, v)));
            text.push_str(&parts.join(if pretty { ",\n  " } else { "," }));
            text.push('}');
            let scanned = scan_tag(text.as_bytes(), "type").map(Cow::into_owned);
            let serde = by_serde(text.as_bytes());
            if scanned.is_some() {
                prop_assert_eq!(&scanned, &serde, "{}", text);
            }
            prop_assert_eq!(serde, event_type, "{}", text);
        }
    }
}

// ---------------------------------------------------------------------------
// One verifier interface.

/// What every provider's `webhooks::Verifier` offers, for code generic over
/// providers (a receiver, a command): keys, the body limit, and
/// verification at the receiver's clock or at a given time. Each verifier
/// also has these as inherent methods.
///
/// Schemes that sign no time (Partoo's, TextUs's) verify the same at any
/// `now`: [`signs_time`](Self::signs_time) says which.
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
pub trait WebhookVerifier: Sized + Clone + fmt::Debug + Send + Sync + 'static {
    /// The provider's event.
    type Event: WebhookEvent + TaggedEvent;

    /// Whether the scheme signs a time (and so whether `now` matters).
    fn signs_time(&self) -> bool;

    /// A verifier accepting any of these keys (one at least), each in the
    /// form the provider shows it.
    fn with_keys<I, S>(keys: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>;

    /// The largest body verified.
    fn max_body_bytes(self, limit: usize) -> Self;

    /// Checks the signature of `body` against `headers` as if the
    /// receiver's clock read `now`, decoding nothing: for receivers that
    /// store the body first.
    fn verify_signature_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: std::time::SystemTime,
    ) -> Result<Signed, WebhookError>;

    /// Verifies `body` against `headers` as if the receiver's clock read
    /// `now`, keeping what the scheme signs about the delivery and the body;
    /// a body that does not decode is still a delivery (its `event()` says
    /// why), never an error here.
    fn verify_delivery_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: std::time::SystemTime,
    ) -> Result<Delivery<Self::Event>, WebhookError>;

    /// [`verify_delivery_at`](Self::verify_delivery_at) at the current time.
    fn verify_delivery(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Delivery<Self::Event>, WebhookError> {
        self.verify_delivery_at(headers, body, std::time::SystemTime::now())
    }

    /// The event of a delivery verified as if the clock read `now`.
    fn verify_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: std::time::SystemTime,
    ) -> Result<Self::Event, WebhookError> {
        self.verify_delivery_at(headers, body, now)?.into_event()
    }

    /// The event of a delivery verified at the current time.
    fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<Self::Event, WebhookError> {
        self.verify_at(headers, body, std::time::SystemTime::now())
    }
}

/// [`WebhookVerifier`] for a provider's `Verifier`, delegating to its
/// inherent methods of the same names (each verifier has them all, `*_at`
/// included: a scheme that signs no time ignores `now`).
#[cfg(all(feature = "webhooks", feature = "_provider"))]
macro_rules! impl_webhook_verifier {
    ($verifier:ty, $event:ty, signs_time: $signs_time:literal, provider: $provider:expr) => {
        impl $crate::AnyVerifier for $verifier {
            fn provider(&self) -> $crate::Provider {
                $provider
            }

            fn signs_time(&self) -> bool {
                $signs_time
            }

            fn verify_any_at(
                &self,
                headers: &http::HeaderMap,
                body: &[u8],
                now: std::time::SystemTime,
            ) -> Result<$crate::Delivery<Box<dyn $crate::AnyEvent>>, $crate::WebhookError> {
                Ok(<$verifier>::verify_delivery_at(self, headers, body, now)?
                    .map_event(|event| Box::new(event) as Box<dyn $crate::AnyEvent>))
            }
        }

        impl $crate::WebhookVerifier for $verifier {
            type Event = $event;

            fn signs_time(&self) -> bool {
                $signs_time
            }

            fn with_keys<I, S>(keys: I) -> Result<Self, $crate::WebhookError>
            where
                I: IntoIterator<Item = S>,
                S: AsRef<str>,
            {
                <$verifier>::with_keys(keys)
            }

            fn max_body_bytes(self, limit: usize) -> Self {
                <$verifier>::max_body_bytes(self, limit)
            }

            fn verify_signature_at(
                &self,
                headers: &http::HeaderMap,
                body: &[u8],
                now: std::time::SystemTime,
            ) -> Result<$crate::Signed, $crate::WebhookError> {
                <$verifier>::verify_signature_at(self, headers, body, now)
            }

            fn verify_delivery_at(
                &self,
                headers: &http::HeaderMap,
                body: &[u8],
                now: std::time::SystemTime,
            ) -> Result<$crate::Delivery<$event>, $crate::WebhookError> {
                <$verifier>::verify_delivery_at(self, headers, body, now)
            }

            // The cheap path: no replay key, no copy of the body.
            fn verify_at(
                &self,
                headers: &http::HeaderMap,
                body: &[u8],
                now: std::time::SystemTime,
            ) -> Result<$event, $crate::WebhookError> {
                <$verifier>::verify_at(self, headers, body, now)
            }
        }
    };
}
#[cfg(all(feature = "webhooks", feature = "_provider"))]
pub(crate) use impl_webhook_verifier;

// ---------------------------------------------------------------------------
// Deliveries and replays.

/// What a delivery's signature vouches for: the delivery id and signing
/// time where the scheme signs them, and the key that tells a replay from a
/// new delivery. [`WebhookVerifier::verify_signature_at`] returns it before
/// anything is decoded, for receivers that store the body first.
///
/// Partoo's and TextUs's signatures cover the body alone and never expire:
/// anyone who captures one delivery can send it again, as often as they
/// like, and it verifies. Quo's expire after the tolerance window. Check
/// [`replay_key`](Self::replay_key) against a [`ReplayGuard`] before acting.
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    id: Option<String>,
    signed_at: Option<std::time::SystemTime>,
    replay_key: String,
}

#[cfg(feature = "webhooks")]
impl Signed {
    /// What a verified `body` vouches for (the key: the signed delivery id
    /// where the scheme has one, else a SHA-256 of the body, which is all
    /// the other schemes sign: a replay is the same bytes).
    #[cfg(feature = "_provider")]
    pub(crate) fn new(
        provider: &str,
        id: Option<String>,
        signed_at: Option<std::time::SystemTime>,
        body: &[u8],
    ) -> Self {
        use sha2::Digest;
        let replay_key = match &id {
            Some(id) => format!("{provider}:id:{id}"),
            None => format!(
                "{provider}:body:{}",
                hex::encode(sha2::Sha256::digest(body))
            ),
        };
        Signed {
            id,
            signed_at,
            replay_key,
        }
    }

    /// The delivery's id, where the scheme signs one (Quo's current scheme,
    /// `webhook-id`: the same across the provider's retries).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// When the provider signed it, where the scheme signs a time (Quo's
    /// schemes; Partoo's and TextUs's have none).
    pub fn signed_at(&self) -> Option<std::time::SystemTime> {
        self.signed_at
    }

    /// What identifies this delivery across replays and the provider's own
    /// retries: the provider and the signed delivery id, or the provider and
    /// a SHA-256 of the signed body.
    pub fn replay_key(&self) -> &str {
        &self.replay_key
    }
}

/// A delivery whose signature holds: what the signature vouches for
/// ([`Signed`], through `Deref`), the body exactly as received, and its
/// event, or why the body did not decode as one. A verified delivery is
/// never lost to a payload that drifted: [`body`](Self::body) is there to
/// keep (and answer `2xx`) whatever [`event`](Self::event) says.
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
#[derive(Debug)]
pub struct Delivery<E> {
    signed: Signed,
    body: Vec<u8>,
    event: Result<E, WebhookError>,
    unfit: Vec<UnfitField>,
}

/// A member of a verified payload whose value did not fit the crate's type
/// for it, left out of the decoded event and kept here as received.
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
#[derive(Clone, Debug, PartialEq)]
pub struct UnfitField {
    pointer: String,
    value: serde_json::Value,
    reason: String,
}

#[cfg(feature = "webhooks")]
impl UnfitField {
    /// Where it is in the body, as a JSON pointer (`/data/object/media`).
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// Its value, as received.
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }

    /// Why it did not fit (serde's message).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[cfg(feature = "webhooks")]
impl<E> std::ops::Deref for Delivery<E> {
    type Target = Signed;

    fn deref(&self) -> &Signed {
        &self.signed
    }
}

#[cfg(feature = "webhooks")]
impl<E: TaggedEvent> Delivery<E> {
    /// A verified `body` and its event, decoded.
    #[cfg(feature = "_provider")]
    pub(crate) fn decode(signed: Signed, body: &[u8]) -> Self {
        let (event, unfit) = match check::decode_keeping::<E>(body) {
            Ok((event, unfit)) => (Ok(event), unfit),
            Err(error) => (Err(error), Vec::new()),
        };
        Delivery {
            signed,
            event,
            body: body.to_vec(),
            unfit,
        }
    }
}

#[cfg(feature = "webhooks")]
impl<E> Delivery<E> {
    /// The event, or why the verified body is not one
    /// ([`WebhookError::Payload`]).
    pub fn event(&self) -> Result<&E, &WebhookError> {
        self.event.as_ref()
    }

    /// The event, owned, or why the verified body is not one.
    pub fn into_event(self) -> Result<E, WebhookError> {
        self.event
    }

    /// The body exactly as received (and verified).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The members the event was decoded without: each one whose value did
    /// not fit the crate's type (a `null` where a list is documented, a
    /// number where a string is), kept as received. Empty when the payload
    /// fit as a whole.
    pub fn unfit(&self) -> &[UnfitField] {
        &self.unfit
    }

    /// What the signature vouches for.
    pub fn signed(&self) -> &Signed {
        &self.signed
    }

    /// The same delivery with its event turned by `f`.
    #[cfg(feature = "_provider")]
    pub(crate) fn map_event<F>(self, f: impl FnOnce(E) -> F) -> Delivery<F> {
        Delivery {
            signed: self.signed,
            body: self.body,
            event: self.event.map(f),
            unfit: self.unfit,
        }
    }
}

/// Remembers the deliveries a receiver handled, so a replayed one (or the
/// provider's retry of one already handled) is answered without acting
/// again: bounded in entries and in time.
///
/// [`claim`](Self::claim) a delivery's [`replay_key`](Signed::replay_key)
/// before acting on it; [`Claim::done`] once handled. A claim dropped
/// without `done` (the handler failed and answers 5xx, so the provider
/// retries) is released: the retry is not taken for a replay.
///
/// ```
/// # #[cfg(feature = "webhooks")] {
/// use std::time::Duration;
/// use inbox_bindings::ReplayGuard;
///
/// let guard = ReplayGuard::new(Duration::from_secs(24 * 60 * 60), 100_000);
/// let claim = guard.claim("partoo:body:ab12").expect("first time");
/// claim.done();
/// assert!(guard.claim("partoo:body:ab12").is_none(), "a replay");
/// # }
/// ```
///
/// It remembers one process's deliveries; receivers behind a load balancer
/// share the same keys through their own store (a `SET NX EX` in Redis).
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
#[derive(Debug, Clone)]
pub struct ReplayGuard {
    inner: std::sync::Arc<std::sync::Mutex<Remembered>>,
    ttl: Duration,
    capacity: usize,
}

#[cfg(feature = "webhooks")]
#[derive(Debug, Default)]
struct Remembered {
    /// Key → when it was handled (`None`: being handled now).
    entries: std::collections::HashMap<String, Option<tokio::time::Instant>>,
    /// Handled keys, oldest first, for expiry and the capacity bound.
    order: std::collections::VecDeque<(tokio::time::Instant, String)>,
}

#[cfg(feature = "webhooks")]
impl ReplayGuard {
    /// A guard remembering at most `capacity` handled deliveries (the oldest
    /// are forgotten first), each for `ttl`. Keep `ttl` longer than the
    /// provider retries (a day covers every provider here); a replay after
    /// it, or after `capacity` newer deliveries, is accepted again.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        ReplayGuard {
            inner: Default::default(),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// Claims `key` for handling: `None` when it was handled within the
    /// guard's memory, or is being handled right now (a concurrent replay).
    pub fn claim(&self, key: &str) -> Option<Claim> {
        let now = tokio::time::Instant::now();
        let mut remembered = self.inner.lock().expect("not poisoned");
        // Forget what expired.
        while let Some((at, _)) = remembered.order.front() {
            if now.duration_since(*at) < self.ttl {
                break;
            }
            let (at, key) = remembered.order.pop_front().expect("a front");
            if remembered.entries.get(&key) == Some(&Some(at)) {
                remembered.entries.remove(&key);
            }
        }
        if remembered.entries.contains_key(key) {
            return None;
        }
        remembered.entries.insert(key.to_string(), None);
        Some(Claim {
            guard: self.clone(),
            key: Some(key.to_string()),
        })
    }

    /// How many deliveries it remembers (handled or being handled).
    pub fn len(&self) -> usize {
        self.inner.lock().expect("not poisoned").entries.len()
    }

    /// Whether it remembers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn finish(&self, key: String, handled: bool) {
        let mut remembered = self.inner.lock().expect("not poisoned");
        if !handled {
            remembered.entries.remove(&key);
            return;
        }
        let now = tokio::time::Instant::now();
        remembered.entries.insert(key.clone(), Some(now));
        remembered.order.push_back((now, key));
        while remembered.order.len() > self.capacity {
            let (at, old) = remembered.order.pop_front().expect("over capacity");
            if remembered.entries.get(&old) == Some(&Some(at)) {
                remembered.entries.remove(&old);
            }
        }
    }
}

/// A delivery being handled ([`ReplayGuard::claim`]): [`done`](Self::done)
/// once it is; dropped without, the claim is released.
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
#[derive(Debug)]
#[must_use = "call done() once the delivery is handled; dropping releases it"]
pub struct Claim {
    guard: ReplayGuard,
    key: Option<String>,
}

#[cfg(feature = "webhooks")]
impl Claim {
    /// The delivery was handled: its key is remembered.
    pub fn done(mut self) {
        if let Some(key) = self.key.take() {
            self.guard.finish(key, true);
        }
    }
}

#[cfg(feature = "webhooks")]
impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.guard.finish(key, false);
        }
    }
}
