//! `openapi/codegen.toml`, the whole schema: which documents exist, where
//! they come from, the per-API overrides the pipeline applies to them, and
//! the facts a spec does not carry (pagination conventions, error fields,
//! runtime facts). A leaf: it imports no stage.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// The whole configuration file: one table per API, in name order.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Config {
    pub apis: BTreeMap<String, ApiConfig>,
}

/// One API's table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The vendored document, relative to `openapi/`.
    pub spec: String,
    /// The Rust module the bindings are exposed as (`inbox_bindings::<module>`).
    pub module: String,
    /// How the vendored document was obtained.
    #[serde(default)]
    pub source: SpecSource,
    /// Generate only operations with one of these tags (with `select_operations`;
    /// both empty: every operation). A whole upstream bundle can be vendored.
    #[serde(default)]
    pub select_tags: Vec<String>,
    /// Generate these operations (by operationId) besides the selected tags.
    #[serde(default)]
    pub select_operations: Vec<String>,
    /// Where the provider publishes the document (absent for test specs).
    #[serde(default)]
    pub upstream: Option<String>,
    /// Where the provider's documentation lives: relative links in the spec's
    /// descriptions are made absolute against it (default: `upstream`'s origin).
    #[serde(default)]
    pub docs_url: Option<String>,
    #[serde(default)]
    pub overrides: Overrides,
    /// The API's cursor pagination convention, if it paginates.
    #[serde(default)]
    pub pagination: Option<Conventions>,
    /// Where the provider's code and message sit in its error bodies.
    #[serde(default)]
    pub errors: ErrorFields,
    /// Runtime facts the spec does not carry (rate limit, idempotent operations).
    #[serde(default)]
    pub runtime: RuntimeConfig,
    /// The provider's webhook events: a document of their own and the
    /// envelope property naming each event's type.
    #[serde(default)]
    pub webhooks: Option<WebhooksConfig>,
}

/// `[<api>.webhooks]`: where the events are described and how each names
/// its type.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// A document with a `webhooks` section (relative to the config's
    /// folder), merged into the API's document; empty when the API's own
    /// document has the section.
    #[serde(default)]
    pub spec: String,
    /// The envelope property whose value is the event type (each webhook is
    /// named by that value).
    pub event_type_field: String,
}

/// How a vendored document was obtained.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SpecSource {
    /// Downloaded as the provider publishes it.
    #[default]
    Fetched,
    /// Assembled from the OpenAPI slices of documentation pages (`cargo xtask assemble`).
    AssembledFromPages,
    /// Written by hand from prose documentation; the provider publishes no spec.
    AuthoredFromDocumentation,
}

impl std::fmt::Display for SpecSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            SpecSource::Fetched => "fetched from upstream",
            SpecSource::AssembledFromPages => "assembled from documentation pages",
            SpecSource::AuthoredFromDocumentation => "authored from documentation",
        })
    }
}

/// JSON pointers into an error body, tried in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorFields {
    #[serde(default = "default_code_pointers")]
    pub code: Vec<String>,
    #[serde(default = "default_message_pointers")]
    pub message: Vec<String>,
}

impl Default for ErrorFields {
    fn default() -> Self {
        ErrorFields {
            code: default_code_pointers(),
            message: default_message_pointers(),
        }
    }
}

fn default_code_pointers() -> Vec<String> {
    vec!["/code".to_string()]
}

fn default_message_pointers() -> Vec<String> {
    vec!["/message".to_string()]
}

/// Reviewed, per-API corrections of what a spec says. Each one carries a
/// comment in `codegen.toml` saying why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Query parameters (by name) that the API documents as one comma-separated
    /// value although the spec leaves `style`/`explode` at their defaults.
    #[serde(default)]
    pub comma_separated_query: Vec<String>,
    /// Enums that grow although the spec does not say so (component names, or
    /// property selectors that hoist inline enums into one component).
    #[serde(default)]
    pub extensible_enums: Vec<Selector>,
    /// Path parameters that take a resource's slug, also accepted as its IRI.
    #[serde(default)]
    pub iri_path_parameters: Vec<IriParameter>,
    /// Name of the one component schema every error response body decodes into.
    #[serde(default = "default_error_schema")]
    pub error_schema: String,
    /// String properties (by name) that hold timestamps although the spec
    /// gives them no `format: date-time` (Partoo documents its format in prose).
    #[serde(default)]
    pub timestamp_properties: Vec<String>,
}

impl Default for Overrides {
    fn default() -> Self {
        Overrides {
            comma_separated_query: Vec::new(),
            extensible_enums: Vec::new(),
            iri_path_parameters: Vec::new(),
            error_schema: default_error_schema(),
            timestamp_properties: Vec::new(),
        }
    }
}

fn default_error_schema() -> String {
    "ApiError".to_string()
}

/// `[<api>.runtime]` in `codegen.toml`: facts the specs do not carry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// The documented rate limit.
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Non-GET operations (operationIds) that are idempotent, so safe to retry.
    #[serde(default)]
    pub idempotent_operations: Vec<String>,
    /// Responses carry `X-RateLimit-Remaining`/`X-RateLimit-Reset`.
    #[serde(default)]
    pub rate_limit_headers: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub requests: u32,
    pub per_seconds: u64,
}

/// An API's pagination convention, from `[<api>.pagination]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Convention {
    /// Query parameter carrying the cursor (`cursor`, `pageToken`).
    pub cursor_parameter: String,
    /// Query parameter carrying the page size (`per_page`, `maxResults`).
    pub page_size_parameter: String,
    /// Response property holding the next cursor (`next_cursor`, `nextPageToken`).
    pub next_cursor_field: String,
    /// Response property holding the items; absent: the response's one array property.
    #[serde(default)]
    pub items_field: Option<String>,
}

/// `[<api>.pagination]`: one convention, or several (`[[<api>.pagination]]`)
/// for an API whose operations page in more than one way.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Conventions {
    One(Convention),
    Several(Vec<Convention>),
}

impl Conventions {
    pub fn list(&self) -> &[Convention] {
        match self {
            Conventions::One(one) => std::slice::from_ref(one),
            Conventions::Several(several) => several,
        }
    }
}

/// An entry of `overrides.extensible_enums` in `codegen.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged, deny_unknown_fields)]
pub enum Selector {
    /// A component schema by name.
    Component(String),
    /// Every enum on a property of this name whose values include all of
    /// `values`, hoisted into one component called `name`.
    Property {
        property: String,
        values: Vec<String>,
        name: String,
    },
}

/// An `overrides.iri_path_parameters` entry.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IriParameter {
    /// The path parameter's name.
    pub parameter: String,
    /// The IRI prefix whose last segment is the parameter (`/conversations/`).
    pub prefix: String,
}

impl ApiConfig {
    /// The settings used for a document that has no table (`codegen --spec`).
    pub fn ad_hoc(api: &str, spec: &str) -> Self {
        ApiConfig {
            spec: spec.to_string(),
            docs_url: None,
            module: api.to_string(),
            source: SpecSource::Fetched,
            select_tags: Vec::new(),
            select_operations: Vec::new(),
            upstream: None,
            overrides: Overrides::default(),
            pagination: None,
            errors: ErrorFields::default(),
            runtime: RuntimeConfig::default(),
            webhooks: None,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        for (name, api) in &config.apis {
            if let Some(upstream) = api
                .upstream
                .as_deref()
                .filter(|u| !u.starts_with("https://"))
            {
                anyhow::bail!("[{name}] upstream must be an https:// URL, not `{upstream}`");
            }
            let spec = Path::new(&api.spec);
            let confined = !api.spec.is_empty()
                && !api.spec.contains('\\')
                && spec
                    .components()
                    .all(|part| matches!(part, std::path::Component::Normal(_)));
            if !confined {
                anyhow::bail!(
                    "[{name}] spec `{}` must be a file inside the config's folder (a relative path without `..`)",
                    api.spec
                );
            }
            if let Some(webhooks) = &api.webhooks {
                let confined = webhooks.spec.is_empty()
                    || (!webhooks.spec.contains('\\')
                        && Path::new(&webhooks.spec)
                            .components()
                            .all(|part| matches!(part, std::path::Component::Normal(_))));
                if !confined {
                    anyhow::bail!(
                        "[{name}.webhooks] spec `{}` must be a file inside the config's folder (a relative path without `..`)",
                        webhooks.spec
                    );
                }
                if webhooks.event_type_field.is_empty() {
                    anyhow::bail!("[{name}.webhooks] event_type_field is empty");
                }
            }
            let valid_module = api
                .module
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
                && api
                    .module
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            let schema = &api.overrides.error_schema;
            if !schema
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
                || !schema.chars().all(|c| c.is_ascii_alphanumeric())
            {
                anyhow::bail!(
                    "[{name}] overrides.error_schema `{schema}` is not a PascalCase type name"
                );
            }
            if !valid_module {
                anyhow::bail!(
                    "[{name}] module `{}` is not a snake_case Rust module name",
                    api.module
                );
            }
        }
        Ok(config)
    }

    pub fn api(&self, name: &str) -> anyhow::Result<&ApiConfig> {
        self.apis.get(name).with_context(|| {
            let known: Vec<&str> = self.apis.keys().map(String::as_str).collect();
            format!("unknown api `{name}` (known: {})", known.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tables_and_defaults() {
        let config = Config::parse(
            r#"
            [partoo]
            spec = "partoo.yaml"
            module = "partoo"
            upstream = "https://example.test/openapi.yaml"
            [partoo.overrides]
            comma_separated_query = ["business__in"]
            "#,
        )
        .unwrap();
        let partoo = config.api("partoo").unwrap();
        let without_overrides =
            Config::parse("[q]\nspec='q.json'\nmodule='q'\nupstream='https://u'\n").unwrap();
        assert_eq!(
            without_overrides.api("q").unwrap().overrides.error_schema,
            "ApiError"
        );
        assert_eq!(partoo.overrides.comma_separated_query, ["business__in"]);
        assert_eq!(partoo.overrides.error_schema, "ApiError");
        let error = config.api("nope").unwrap_err().to_string();
        assert!(
            error.contains("unknown api `nope` (known: partoo)"),
            "{error}"
        );
    }

    #[test]
    fn rejects_unknown_keys() {
        let error = Config::parse("[a]\nspec='a'\nmodule='a'\nupstream='https://u'\nsurprise=1\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("surprise"), "{error}");
    }

    #[test]
    fn rejects_plain_http_upstreams_and_bad_module_names() {
        for escaping in [
            "../a.json",
            "/etc/passwd",
            "sub/../../a.json",
            "..\\\\a.json",
            "",
        ] {
            let error = Config::parse(&format!(
                "[a]\nspec='{escaping}'\nmodule='a'\nupstream='https://u'\n"
            ))
            .unwrap_err();
            assert!(
                error.to_string().contains("inside the config's folder"),
                "{escaping}: {error}"
            );
        }
        assert!(
            Config::parse("[a]\nspec='sub/a.json'\nmodule='a'\nupstream='https://u'\n").is_ok()
        );
        let error = Config::parse("[a]\nspec='a'\nmodule='a'\nupstream='http://u'\n").unwrap_err();
        assert!(error.to_string().contains("https://"), "{error}");
        let error =
            Config::parse("[a]\nspec='a'\nmodule='A-b'\nupstream='https://u'\n").unwrap_err();
        assert!(error.to_string().contains("`A-b`"), "{error}");
    }

    #[test]
    fn the_committed_file_parses() {
        let config = Config::load(&crate::project_root().join("openapi/codegen.toml")).unwrap();
        assert!(config.apis.contains_key("partoo") && config.apis.contains_key("quo"));
        for (name, api) in &config.apis {
            assert!(
                api.upstream.is_some(),
                "vendored api `{name}` names its upstream"
            );
        }
    }
}
