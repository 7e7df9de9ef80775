//! [`Provider`]: the one name for a provider, in references, errors and
//! each client's `API`.

use std::fmt;
use std::str::FromStr;

/// A provider this crate speaks to.
///
/// ```
/// use inbox_bindings::Provider;
///
/// let provider: Provider = "quo".parse().unwrap();
/// assert_eq!(provider, Provider::Quo);
/// assert_eq!(Provider::ALL.map(Provider::as_str), ["partoo", "quo", "textus"]);
/// assert_eq!(inbox_bindings::partoo::API.provider, Provider::Partoo);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Provider {
    /// Partoo.
    Partoo,
    /// Quo (formerly OpenPhone).
    Quo,
    /// TextUs.
    Textus,
    /// An API generated from another document (by `cargo xtask codegen
    /// --spec`, or the crate's own test specs), by its name. Never parsed
    /// from a reference.
    Other(&'static str),
}

/// Whether two strings are equal, in a `const` context.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

// Each provider's conversation references, compiled whatever the features
// (a reference parses whichever clients are built): the one place besides
// the enum above that registers a provider.
#[path = "partoo/reference.rs"]
mod partoo_reference;
#[path = "quo/reference.rs"]
mod quo_reference;
#[path = "textus/reference.rs"]
mod textus_reference;

impl Provider {
    /// A conversation id by this provider's rule: the id as kept, or the
    /// rule it breaks.
    pub(crate) fn conversation_id(self, id: &str) -> Result<String, &'static str> {
        match self {
            Provider::Partoo => partoo_reference::conversation_id(id),
            Provider::Quo => quo_reference::conversation_id(id),
            Provider::Textus => textus_reference::conversation_id(id),
            Provider::Other(_) => {
                Err("conversation references exist for partoo, quo and textus only")
            }
        }
    }

    /// Every provider this crate has a module for.
    pub const ALL: [Provider; 3] = [Provider::Partoo, Provider::Quo, Provider::Textus];

    /// The provider of a generated API named `name` (`Other` for one that is
    /// none of the three).
    pub const fn named(name: &'static str) -> Provider {
        if same(name, "partoo") {
            Provider::Partoo
        } else if same(name, "quo") {
            Provider::Quo
        } else if same(name, "textus") {
            Provider::Textus
        } else {
            Provider::Other(name)
        }
    }

    /// Its name, as in references (`partoo`, `quo`, `textus`).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Partoo => "partoo",
            Provider::Quo => "quo",
            Provider::Textus => "textus",
            Provider::Other(name) => name,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A name that is none of [`Provider::ALL`].
///
/// ```
/// let error = "gmail".parse::<inbox_bindings::Provider>().unwrap_err();
/// assert_eq!(error.to_string(), "unknown provider \"gmail\" (known: partoo, quo, textus)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?} (known: partoo, quo, textus)")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.as_str() == name)
            .ok_or_else(|| UnknownProvider(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_providers_in_const_contexts() {
        const PARTOO: Provider = Provider::named("partoo");
        assert_eq!(PARTOO, Provider::Partoo);
        assert_eq!(Provider::named("textus"), Provider::Textus);
        assert_eq!(Provider::named("quo_dated"), Provider::Other("quo_dated"));
        assert_eq!(Provider::named("quo_dated").as_str(), "quo_dated");
        assert!("quo_dated".parse::<Provider>().is_err(), "never parsed");
    }
}
