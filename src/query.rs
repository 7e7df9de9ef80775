//! Query values that an API documents as one comma-separated list
//! (`business__in=a,b,c`), where a list parameter repeats the key instead.

use std::fmt;
use std::str::FromStr;

/// A non-empty list sent as one comma-separated query value.
///
/// Built with `TryFrom` so a value that cannot survive the round trip (an
/// empty list, or an item that is empty or contains a comma) is refused
/// before any request is made:
///
/// ```
/// use inbox_bindings::CommaSeparated;
///
/// let ids = CommaSeparated::<String>::try_from(vec!["a1c9", "9f4e"]).unwrap();
/// assert_eq!(ids.to_string(), "a1c9,9f4e");
/// assert!(CommaSeparated::<String>::try_from(vec!["a,b"]).is_err());
/// assert!(CommaSeparated::<String>::try_from(Vec::<String>::new()).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommaSeparated<T>(Vec<T>);

/// Why a list cannot be sent as one comma-separated value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommaSeparatedError {
    /// The list has no item; leave the parameter unset instead.
    Empty,
    /// An item is empty or contains a comma, so the server would split it differently.
    InvalidItem(String),
}

impl fmt::Display for CommaSeparatedError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommaSeparatedError::Empty => {
                write!(formatter, "a comma-separated list needs at least one item")
            }
            CommaSeparatedError::InvalidItem(item) => {
                write!(formatter, "item {item:?} is empty or contains a comma")
            }
        }
    }
}

impl std::error::Error for CommaSeparatedError {}

impl<T> CommaSeparated<T> {
    /// The items, in the order they are sent.
    pub fn items(&self) -> &[T] {
        &self.0
    }

    /// The items, by value.
    pub fn into_items(self) -> Vec<T> {
        self.0
    }
}

fn checked<T: fmt::Display>(items: Vec<T>) -> Result<CommaSeparated<T>, CommaSeparatedError> {
    if items.is_empty() {
        return Err(CommaSeparatedError::Empty);
    }
    for item in &items {
        let text = item.to_string();
        if text.is_empty() || text.contains(',') {
            return Err(CommaSeparatedError::InvalidItem(text));
        }
    }
    Ok(CommaSeparated(items))
}

impl<S: AsRef<str>> TryFrom<Vec<S>> for CommaSeparated<String> {
    type Error = CommaSeparatedError;

    fn try_from(items: Vec<S>) -> Result<Self, Self::Error> {
        checked(items.iter().map(|item| item.as_ref().to_string()).collect())
    }
}

impl<S: AsRef<str>, const N: usize> TryFrom<[S; N]> for CommaSeparated<String> {
    type Error = CommaSeparatedError;

    fn try_from(items: [S; N]) -> Result<Self, Self::Error> {
        checked(items.iter().map(|item| item.as_ref().to_string()).collect())
    }
}

impl TryFrom<&str> for CommaSeparated<String> {
    type Error = CommaSeparatedError;

    /// An already joined list, `"a,b,c"`.
    fn try_from(joined: &str) -> Result<Self, Self::Error> {
        joined.parse()
    }
}

impl TryFrom<Vec<i64>> for CommaSeparated<i64> {
    type Error = CommaSeparatedError;

    fn try_from(items: Vec<i64>) -> Result<Self, Self::Error> {
        checked(items)
    }
}

impl<const N: usize> TryFrom<[i64; N]> for CommaSeparated<i64> {
    type Error = CommaSeparatedError;

    fn try_from(items: [i64; N]) -> Result<Self, Self::Error> {
        checked(items.to_vec())
    }
}

impl<T: fmt::Display> fmt::Display for CommaSeparated<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, item) in self.0.iter().enumerate() {
            if index > 0 {
                formatter.write_str(",")?;
            }
            write!(formatter, "{item}")?;
        }
        Ok(())
    }
}

impl<T: FromStr + fmt::Display> FromStr for CommaSeparated<T> {
    type Err = CommaSeparatedError;

    fn from_str(joined: &str) -> Result<Self, Self::Err> {
        let items = joined
            .split(',')
            .map(|item| {
                item.parse()
                    .map_err(|_| CommaSeparatedError::InvalidItem(item.to_string()))
            })
            .collect::<Result<Vec<T>, _>>()?;
        checked(items)
    }
}

impl<T: fmt::Display> serde::Serialize for CommaSeparated<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, T: FromStr + fmt::Display> serde::Deserialize<'de> for CommaSeparated<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let joined = String::deserialize(deserializer)?;
        joined.parse().map_err(serde::de::Error::custom)
    }
}

/// One string: the values joined with commas.
#[cfg(feature = "schemars")]
impl<T> schemars::JsonSchema for CommaSeparated<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CommaSeparated".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Values joined with commas into one query value; no value contains a comma.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_splits() {
        let list = CommaSeparated::<String>::try_from(["a", "b", "c"]).unwrap();
        assert_eq!(list.to_string(), "a,b,c");
        assert_eq!(serde_json::to_value(&list).unwrap(), "a,b,c");
        let parsed: CommaSeparated<String> = serde_json::from_str("\"a,b,c\"").unwrap();
        assert_eq!(parsed, list);
        let numbers = CommaSeparated::<i64>::try_from([1, 22]).unwrap();
        assert_eq!(numbers.to_string(), "1,22");
        assert_eq!(numbers.items(), [1, 22]);
    }

    #[test]
    fn refuses_what_would_not_survive() {
        assert_eq!(
            CommaSeparated::<String>::try_from(Vec::<&str>::new()),
            Err(CommaSeparatedError::Empty)
        );
        assert_eq!(
            CommaSeparated::<String>::try_from(["ok", "a,b"]),
            Err(CommaSeparatedError::InvalidItem("a,b".into()))
        );
        assert_eq!(
            CommaSeparated::<String>::try_from("a,,b"),
            Err(CommaSeparatedError::InvalidItem(String::new()))
        );
        assert!("1,x".parse::<CommaSeparated<i64>>().is_err());
    }
}
