//! [`Timestamp`]: a date and time as a provider sent it, parsed when it can
//! be and kept as sent either way, so one odd value never fails a response.

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};

/// The forms a timestamp is read in, after RFC 3339: Partoo's documented
/// `2023-01-31 16:22:17.327878+00:00` (a space instead of `T`), and offsets
/// written without a colon or without minutes.
const FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S%.fZ",
];

/// A timestamp received from a provider: every generated response field
/// that holds a date and time (`format: date-time`, or Partoo's documented
/// timestamps) has this type.
///
/// It is read as RFC 3339 or as Partoo's form with a space (any offset); a
/// value in neither is kept as text (`as_datetime()` is `None`) instead of
/// failing the response. It serializes back exactly as received.
///
/// ```
/// use inbox_bindings::Timestamp;
///
/// let partoo: Timestamp = serde_json::from_str("\"2023-01-31 16:22:17.327878+00:00\"").unwrap();
/// let rfc3339: Timestamp = "2023-01-31T17:22:17.327878+01:00".parse().unwrap();
/// assert_eq!(partoo.to_utc(), rfc3339.to_utc());
/// assert_eq!(partoo.to_utc().unwrap().to_rfc3339(), "2023-01-31T16:22:17.327878+00:00");
///
/// let odd: Timestamp = serde_json::from_str("\"yesterday\"").unwrap();
/// assert_eq!(odd.as_datetime(), None);
/// assert_eq!(serde_json::to_string(&odd).unwrap(), "\"yesterday\"");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    text: String,
    parsed: Option<DateTime<FixedOffset>>,
}

impl Timestamp {
    /// Reads `text` in any of the accepted forms; keeps it either way.
    pub fn parse(text: impl Into<String>) -> Timestamp {
        let text = text.into();
        let trimmed = text.trim();
        let parsed = DateTime::parse_from_rfc3339(trimmed).ok().or_else(|| {
            FORMATS
                .iter()
                .find_map(|format| DateTime::parse_from_str(trimmed, format).ok())
        });
        Timestamp { text, parsed }
    }

    /// The date and time with the offset it was sent in, when it parsed.
    pub fn as_datetime(&self) -> Option<DateTime<FixedOffset>> {
        self.parsed
    }

    /// The date and time in UTC, when it parsed.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        self.parsed.map(|parsed| parsed.with_timezone(&Utc))
    }

    /// The text exactly as received.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the text was in none of the accepted forms.
    pub fn is_unparsed(&self) -> bool {
        self.parsed.is_none()
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parsed {
            Some(parsed) => write!(formatter, "Timestamp({parsed:?})"),
            None => write!(formatter, "Timestamp(unparsed {:?})", self.text),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Timestamp::parse(text))
    }
}

impl<Tz: chrono::TimeZone> From<DateTime<Tz>> for Timestamp {
    fn from(value: DateTime<Tz>) -> Self {
        let parsed = value.fixed_offset();
        Timestamp {
            text: parsed.to_rfc3339(),
            parsed: Some(parsed),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a timestamp string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Ok(Timestamp::parse(text))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Timestamp, E> {
                Ok(Timestamp::parse(text))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// A string: RFC 3339, or Partoo's form with a space; a value in neither is
/// still accepted (kept as text).
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A date and time: RFC 3339 (`2023-01-31T16:22:17.327878+00:00`) or with a space instead of `T` (`2023-01-31 16:22:17.327878+00:00`), any offset. Another string is accepted and kept as text.",
            "examples": ["2023-01-31 16:22:17.327878+00:00", "2023-01-31T16:22:17Z"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_and_any_offset_parse_and_the_rest_is_kept() {
        let utc = "2023-01-31T16:22:17.327878Z";
        for text in [
            "2023-01-31 16:22:17.327878+00:00",
            "2023-01-31T16:22:17.327878+00:00",
            "2023-01-31T16:22:17.327878Z",
            "2023-01-31 18:22:17.327878+02:00",
            "2023-01-31 11:22:17.327878-05:00",
            "2023-01-31 16:22:17.327878+0000",
            "2023-01-31 21:52:17.327878+05:30",
            "2023-01-31 18:22:17.327878+02",
        ] {
            let timestamp = Timestamp::parse(text);
            assert_eq!(
                timestamp
                    .to_utc()
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
                Some(utc.to_string()),
                "{text}"
            );
            assert_eq!(timestamp.as_str(), text);
        }
        assert_eq!(
            Timestamp::parse("2023-01-31 16:22:17+00:00")
                .to_utc()
                .map(|t| t.timestamp()),
            Some(1_675_182_137),
            "no fraction"
        );
        for odd in [
            "",
            "yesterday",
            "2023-13-45 99:00:00+00:00",
            "1675182137",
            "2023-01-31",
        ] {
            let timestamp = Timestamp::parse(odd);
            assert!(timestamp.is_unparsed(), "{odd}");
            assert_eq!(
                serde_json::to_value(&timestamp).unwrap(),
                odd,
                "kept as sent"
            );
        }
    }
}
