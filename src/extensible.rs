//! Enums with an `Unknown` fallback: what every such generated enum offers.
//!
//! Every string enum a response can carry is generated with a variant per
//! documented value and `Unknown(UnknownValue)` for the rest, so an
//! undocumented value from the server never fails a response. Those the
//! provider documents as growing ("New values may be added to this enum
//! without prior notice") are *extensible*: an unknown value is also sent
//! back exactly as received. The others are closed in the spec: an unknown
//! value is kept when received (and serializes as received, so a response can
//! be stored and read back), but a request carrying one is refused before it
//! is sent.

/// Called by generated code when a value outside an enum's documented list
/// is decoded: a `debug` event, so a spec change is noticed without failing.
#[doc(hidden)]
pub fn undocumented_value(enum_name: &'static str, value: &str) {
    tracing::debug!(
        r#enum = enum_name,
        value,
        "undocumented enum value decoded as Unknown"
    );
}

/// Implemented by every generated enum with an `Unknown` fallback.
///
/// ```
/// use inbox_bindings::partoo::types::MessagingPartner;
/// use inbox_bindings::ExtensibleEnum;
///
/// let known: MessagingPartner = "Whatsapp".into();
/// assert_eq!(known, MessagingPartner::Whatsapp);
///
/// let new: MessagingPartner = serde_json::from_str("\"Telegram\"").unwrap();
/// assert!(new.is_unknown());
/// assert_eq!(new.as_str(), "Telegram");
/// assert_eq!(serde_json::to_string(&new).unwrap(), "\"Telegram\"");
/// assert!(MessagingPartner::DOCUMENTED.contains(&"Whatsapp"));
/// ```
pub trait ExtensibleEnum:
    std::str::FromStr<Err = std::convert::Infallible>
    + std::fmt::Display
    + for<'a> From<&'a str>
    + From<String>
    + serde::Serialize
    + serde::de::DeserializeOwned
{
    /// The values documented when the bindings were generated, in spec order.
    const DOCUMENTED: &'static [&'static str];

    /// Whether the spec (or `codegen.toml`) says new values may be added, so
    /// an unknown value may be sent back; `false` for a closed enum that is
    /// only tolerant on receipt.
    const DECLARED_EXTENSIBLE: bool;

    /// The value as sent on the wire, documented or not.
    fn as_str(&self) -> &str;

    /// Whether the value was not documented when the bindings were generated.
    fn is_unknown(&self) -> bool;
}
