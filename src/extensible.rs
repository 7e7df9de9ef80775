//! Enums a provider documents as growing ("New values may be added to this
//! enum without prior notice"): what every generated extensible enum offers.
//!
//! The pipeline generates each one with a variant per documented value and
//! `Unknown(UnknownValue)` for the rest, so a new value from the server never
//! fails a response and is sent back exactly as received.

/// Implemented by every extensible enum the pipeline generates.
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

    /// The value as sent on the wire, documented or not.
    fn as_str(&self) -> &str;

    /// Whether the value was not documented when the bindings were generated.
    fn is_unknown(&self) -> bool;
}
