//! [`Provider`]: the one name for a provider, in references, errors and
//! each client's `API`, and the registry every provider-generic part of the
//! crate expands from ([`providers!`]).

use std::fmt;
use std::str::FromStr;

/// The registry: one line per provider, and the only place that lists
/// them. Each line is the `Provider` variant, the module (`src/<module>.rs`,
/// `src/fake/<module>`), the cargo feature, the file of its conversation-id
/// rule (compiled with every feature set: a reference parses whichever
/// clients are built) and the variant's doc.
///
/// `providers!(then)` calls `then!` with the lines; what a provider module
/// must offer is what those expansions call (each says so), so a provider
/// that lacks a part fails to compile, naming it. Adding a provider is its
/// module, its `codegen.toml` entry, its cargo feature and one line here.
macro_rules! providers {
    ($then:ident) => {
        $then! {
            Partoo partoo "partoo" "partoo/reference.rs" "Partoo.";
            Quo quo "quo" "quo/reference.rs" "Quo (formerly OpenPhone).";
            Textus textus "textus" "textus/reference.rs" "TextUs.";
        }
    };
}
pub(crate) use providers;

macro_rules! define_provider {
    ($($variant:ident $module:ident $feature:literal $reference:literal $doc:literal;)*) => {
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
            $(#[doc = $doc] $variant,)*
            /// An API generated from another document (by `cargo xtask codegen
            /// --spec`, or the crate's own test specs), by its name. Never parsed
            /// from a reference.
            Other(&'static str),
        }

        // Each provider's always-compiled facts (its id rule, its variables).
        $(#[path = $reference] pub(crate) mod $module;)*

        impl Provider {
            /// Every provider this crate has a module for.
            pub const ALL: [Provider; [$($feature),*].len()] = [$(Provider::$variant),*];

            /// The provider of a generated API named `name` (`Other` for one
            /// that is none of [`Provider::ALL`]).
            pub const fn named(name: &'static str) -> Provider {
                $(if same(name, $feature) {
                    return Provider::$variant;
                })*
                Provider::Other(name)
            }

            /// Its name, as in references (`partoo`, `quo`, `textus`) and as
            /// its cargo feature and module.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Provider::$variant => $feature,)*
                    Provider::Other(name) => name,
                }
            }

            /// The environment variables this crate reads for the provider
            /// ([`Inbox::from_env`](crate::Inbox::from_env), the `inbox`
            /// command); `None` for [`Provider::Other`].
            ///
            /// ```
            /// let env = inbox_bindings::Provider::Quo.env().unwrap();
            /// assert_eq!(env.credential, "QUO_API_KEY");
            /// ```
            pub fn env(self) -> Option<ProviderEnv> {
                match self {
                    $(Provider::$variant => Some($module::ENV),)*
                    Provider::Other(_) => None,
                }
            }

            /// A conversation id of the provider's form, for messages.
            fn example_id(self) -> &'static str {
                match self {
                    $(Provider::$variant => $module::EXAMPLE,)*
                    Provider::Other(_) => "id",
                }
            }

            /// A conversation id by this provider's rule: the id as kept, or
            /// the rule it breaks.
            pub(crate) fn conversation_id(self, id: &str) -> Result<String, &'static str> {
                match self {
                    $(Provider::$variant => $module::conversation_id(id),)*
                    Provider::Other(_) => Err("conversation references exist for this crate's providers only"),
                }
            }
        }
    };
}
providers!(define_provider);

/// The environment variables that configure a provider ([`Provider::env`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderEnv {
    /// The credential (API key or token): a provider counts as configured
    /// when it is set and not blank.
    pub credential: &'static str,
    /// Another base URL than the provider's (a proxy, a fake).
    pub base_url: &'static str,
    /// The key webhook deliveries are verified with.
    pub webhook_key: &'static str,
    /// What the webhook key looks like.
    pub webhook_key_form: &'static str,
    /// What else the provider's module reads, with what it is for.
    pub others: &'static [(&'static str, &'static str)],
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

/// A reference of each provider, comma-separated (for messages).
pub(crate) fn examples() -> String {
    Provider::ALL
        .map(|provider| format!("{provider}:{}", provider.example_id()))
        .join(", ")
}

/// The names of [`Provider::ALL`], comma-separated (for messages).
pub(crate) fn known() -> String {
    Provider::ALL.map(Provider::as_str).join(", ")
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
#[error("unknown provider {0:?} (known: {known})", known = known())]
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
