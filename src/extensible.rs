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
pub(crate) fn undocumented_value(enum_name: &'static str, value: &str) {
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

/// A value of an enum with an `Unknown` fallback that was not documented
/// when the bindings were generated, kept exactly as the server sent it.
///
/// It can be read (`as_str`) but not built by users of the crate, so a
/// documented value always decodes to its own variant and every value has
/// exactly one representation.
///
/// ```
/// use inbox_bindings::partoo::types::MessagingPartner;
///
/// let partner: MessagingPartner = "Telegram".into();
/// match &partner {
///     MessagingPartner::Unknown(value) => assert_eq!(value.as_str(), "Telegram"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct UnknownValue(String);

impl UnknownValue {
    /// Used by the enums' `From` impls (through `__private`), which build one
    /// only for a value they do not document.
    pub(crate) fn new(value: String) -> Self {
        UnknownValue(value)
    }

    /// The value as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The enum with an `Unknown` fallback, and all its impls, for one list of
/// documented values: what `cargo xtask codegen` emits for every such enum
/// (the generated file says the values and docs, this says how they work).
///
/// `extensible`: the provider says values may be added; an unknown one is
/// sent back as received. `tolerant`: closed in the spec, only received.
/// `tolerant_sent`: closed and also sent; an unknown value is refused when
/// serialized, before anything is sent. No `PartialOrd`/`Ord`: the order of
/// `Unknown` against documented values would change when a value became
/// documented.
#[doc(hidden)]
#[macro_export]
macro_rules! __extensible_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident: extensible {
            $( $(#[$variant_meta:meta])* $variant:ident = $value:literal, )*
        }
    ) => {
        $crate::__extensible_enum!(@enum
            [$(#[$meta])*] $vis $name
            [" Extensible: a value added by the provider decodes as `Unknown` and is\n sent back unchanged."]
            [" A value not documented when these bindings were generated."]
            ["One of the documented values, or any other string: the provider documents that new values may be added."]
            true [send]
            { $( [$(#[$variant_meta])*] $variant = $value, )* }
        );
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident: tolerant {
            $( $(#[$variant_meta:meta])* $variant:ident = $value:literal, )*
        }
    ) => {
        $crate::__extensible_enum!(@enum
            [$(#[$meta])*] $vis $name
            [" Closed in the spec, tolerant on receipt: a value the provider sends\n without documenting it decodes as `Unknown` instead of failing the response."]
            [" A value the spec does not document (received, kept as sent)."]
            ["One of the documented values; any other string the provider sends is kept as Unknown."]
            false [send]
            { $( [$(#[$variant_meta])*] $variant = $value, )* }
        );
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident: tolerant_sent {
            $( $(#[$variant_meta:meta])* $variant:ident = $value:literal, )*
        }
    ) => {
        $crate::__extensible_enum!(@enum
            [$(#[$meta])*] $vis $name
            [" Closed in the spec, tolerant on receipt: a value the provider sends\n without documenting it decodes as `Unknown` instead of failing the response;\n sending an `Unknown` value is refused before the request is made."]
            [" A value the spec does not document (received, kept as sent; never sent)."]
            ["One of the documented values; any other string the provider sends is kept as Unknown."]
            false [refuse]
            { $( [$(#[$variant_meta])*] $variant = $value, )* }
        );
    };
    (@enum
        [$($meta:tt)*] $vis:vis $name:ident
        [$behaviour:literal] [$unknown_doc:literal] [$schema_description:literal]
        $extensible:literal [$unknown:ident]
        { $( [$($variant_meta:tt)*] $variant:ident = $value:literal, )* }
    ) => {
        // Every doc line this macro adds is a raw `#[doc]` starting with a
        // space, like the generated ones it joins: rustdoc then removes
        // exactly that space from each (a `///` here would mix kinds and
        // leave the generated lines one column deeper, where four spaces
        // start a code block rustdoc runs).
        $($meta)*
        #[doc = ""]
        #[doc = $behaviour]
        #[derive(Clone, Debug, Eq, Hash, PartialEq)]
        #[non_exhaustive]
        $vis enum $name {
            $( #[doc = concat!(" `", $value, "`")] $($variant_meta)* $variant, )*
            #[doc = $unknown_doc]
            Unknown($crate::UnknownValue),
        }
        impl $name {
            /// The documented values, in the order the spec lists them.
            pub const DOCUMENTED: &'static [&'static str] = &[$($value),*];
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                    Self::Unknown(value) => value.as_str(),
                }
            }
            /// Whether the value was not documented when these bindings were generated.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }
        impl $crate::ExtensibleEnum for $name {
            const DOCUMENTED: &'static [&'static str] = Self::DOCUMENTED;
            const DECLARED_EXTENSIBLE: bool = $extensible;
            fn as_str(&self) -> &str {
                Self::as_str(self)
            }
            fn is_unknown(&self) -> bool {
                Self::is_unknown(self)
            }
        }
        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$variant, )*
                    other => Self::Unknown($crate::__private::unknown_value(other.to_owned())),
                }
            }
        }
        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $( $value => Self::$variant, )*
                    _ => Self::Unknown($crate::__private::unknown_value(value)),
                }
            }
        }
        impl ::std::convert::From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }
        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::__private::serialize_enum_value(
                    self.as_str(),
                    self.is_unknown(),
                    $crate::__extensible_enum!(@refuse $unknown),
                    stringify!($name),
                    serializer,
                )
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::deserialize_enum_value(deserializer, stringify!($name))
            }
        }
        $crate::__enum_json_schema!($name, [$($value),*], $schema_description);
    };
    (@refuse send) => { false };
    (@refuse refuse) => { true };
}

/// The `schemars::JsonSchema` impl of an enum with an `Unknown` fallback:
/// any string, the documented values listed. Defined under this crate's
/// `schemars` feature (a `cfg` inside the enum macro's expansion would be
/// read in the crate that calls it).
#[cfg(feature = "schemars")]
#[doc(hidden)]
#[macro_export]
macro_rules! __enum_json_schema {
    ($name:ident, [$($value:literal),*], $description:literal) => {
        impl $crate::__private::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(
                _: &mut $crate::__private::schemars::SchemaGenerator,
            ) -> $crate::__private::schemars::Schema {
                $crate::__private::enum_schema(&[$($value),*], $description)
            }
        }
    };
}

/// Without the `schemars` feature: nothing.
#[cfg(not(feature = "schemars"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __enum_json_schema {
    ($($anything:tt)*) => {};
}

/// `Serialize` for every enum of [`__extensible_enum!`]: the value as a
/// string, or (`refuse_unknown`) an error for an undocumented value of a
/// closed enum that is also sent.
pub(crate) fn serialize_enum_value<S: serde::Serializer>(
    value: &str,
    unknown: bool,
    refuse_unknown: bool,
    enum_name: &'static str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if unknown && refuse_unknown {
        return Err(serde::ser::Error::custom(format!(
            "{value:?} is not a documented {enum_name} value: the API does not accept it"
        )));
    }
    serializer.serialize_str(value)
}

/// `Deserialize` for every enum of [`__extensible_enum!`]: any string, an
/// undocumented one logged at `debug` (see [`undocumented_value`]).
pub(crate) fn deserialize_enum_value<'de, D, E>(
    deserializer: D,
    enum_name: &'static str,
) -> Result<E, D::Error>
where
    D: serde::Deserializer<'de>,
    E: ExtensibleEnum,
{
    struct Visitor<E>(&'static str, std::marker::PhantomData<E>);
    impl<E: ExtensibleEnum> serde::de::Visitor<'_> for Visitor<E> {
        type Value = E;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<Error: serde::de::Error>(self, value: &str) -> Result<E, Error> {
            let decoded = E::from(value);
            if decoded.is_unknown() {
                undocumented_value(self.0, value);
            }
            Ok(decoded)
        }
        fn visit_string<Error: serde::de::Error>(self, value: String) -> Result<E, Error> {
            let decoded = E::from(value);
            if decoded.is_unknown() {
                undocumented_value(self.0, decoded.as_str());
            }
            Ok(decoded)
        }
    }
    deserializer.deserialize_str(Visitor(enum_name, std::marker::PhantomData))
}

/// The JSON schema of an enum with an `Unknown` fallback: any string, its
/// documented values listed.
#[cfg(feature = "schemars")]
pub(crate) fn enum_schema(values: &[&str], description: &str) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "anyOf": [{"enum": values}, {"type": "string"}],
        "description": description,
    })
}
