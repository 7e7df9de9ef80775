//! The plan: everything the emitter needs, built once, in order, from a
//! loaded document and its `codegen.toml` table. The document-side stages
//! (select, normalize, the rules, the detectors) run here and nowhere else;
//! the result is the document the types are made from and a [`Plan`] whose every
//! field production fills.

use anyhow::Context;
use serde_json::Value;

use crate::config::{ApiConfig, RateLimitConfig};
use crate::model::{Extensible, Facts, Model, Replacement};
use crate::report::Report;

/// The provider's error bodies: the one schema they decode into and where
/// its code and message are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPlan {
    /// The component every error body decodes into (`ApiError`).
    pub schema: String,
    /// Whether the document has it (no operation documents an error body
    /// otherwise): the error stage must find its type exactly when it does.
    pub defined: bool,
    /// JSON pointers to the code and the message in a body.
    pub code: Vec<String>,
    pub message: Vec<String>,
}

/// What the emitter writes the client and the type stages from.
#[derive(Debug)]
pub struct Plan {
    /// The API's name (`partoo`): what `API.name` says.
    pub api: String,
    pub model: Model,
    /// Components the facade provides instead of a generated type.
    pub replacements: Vec<Replacement>,
    /// Enums generated with an `Unknown` fallback.
    pub extensible: Vec<Extensible>,
    pub errors: ErrorPlan,
    /// The documented rate limit.
    pub rate_limit: Option<RateLimitConfig>,
    /// Responses carry `X-RateLimit-Remaining`/`X-RateLimit-Reset`.
    pub rate_limit_headers: bool,
    /// The webhook events, when the API has them.
    pub webhooks: Option<crate::webhooks::Events>,
    /// The docs of `Client`: the document's title, description, terms and version.
    pub client_doc: String,
}

/// A plan, the document the types are made from, and what was done to it.
pub struct Planned {
    pub plan: Plan,
    pub document: Value,
    pub report: Report,
}

/// Runs the document-side stages on `doc`, in order, and builds the plan.
pub fn build(api: &str, config: &ApiConfig, doc: Value) -> anyhow::Result<Planned> {
    build_with(api, config, doc, Report::default())
}

/// [`build`], adding to `report` (drift passes a lenient one).
pub fn build_with(
    api: &str,
    config: &ApiConfig,
    mut doc: Value,
    mut report: Report,
) -> anyhow::Result<Planned> {
    crate::select::select(
        &mut doc,
        &config.select_tags,
        &config.select_operations,
        &mut report,
    );
    crate::normalize::normalize(&mut doc, &mut report)
        .with_context(|| format!("normalizing the `{api}` document"))?;
    crate::webhooks::hoist(&mut doc, &mut report)
        .with_context(|| format!("the `{api}` document's webhooks"))?;
    if let Some(docs_url) = docs_url(config) {
        crate::rules::absolute_links(&mut doc, &docs_url, &mut report);
    }
    let mut plan = apply_rules(api, config, &mut doc, &mut report)
        .with_context(|| format!("applying rules to the `{api}` document"))?;
    plan.webhooks = crate::webhooks::plan(&mut doc, config.webhooks.as_ref(), &mut report)
        .with_context(|| format!("the `{api}` document's webhooks"))?;
    Ok(Planned {
        plan,
        document: doc,
        report,
    })
}

/// The rules and detectors, in order, then the model and the plan.
fn apply_rules(
    api: &str,
    config: &ApiConfig,
    doc: &mut Value,
    report: &mut Report,
) -> anyhow::Result<Plan> {
    use crate::rules;
    let overrides = &config.overrides;
    rules::require_operation_ids(doc)?;
    rules::apply_overrides(doc, overrides, report)?;
    let constants = rules::constant_parameters(doc, report)?;
    let requests = crate::requests::detect(doc, &overrides.iri_path_parameters, report)?;
    rules::unify_error_bodies(doc, &overrides.error_schema, report)?;
    let mut extensible = crate::extensible::detect(doc, &overrides.extensible_enums, report)?;
    rules::relax_received(doc, report);
    let mut replacements =
        rules::received_timestamps(doc, &overrides.timestamp_properties, report)?;
    rules::inline_nullable_scalars(doc, report);
    rules::resolve_unions(doc, report)?;
    replacements.extend(rules::comma_separated_query(doc, report)?);
    let pruned = rules::prune_unreachable(doc, &replacements, report);
    extensible.retain(|entry| !pruned.contains(&entry.component));
    crate::extensible::note_tolerant(&extensible, report);
    let deprecated = rules::deprecated_operations(doc);
    let pagination = match &config.pagination {
        Some(conventions) => crate::pagination::detect(doc, conventions.list(), report),
        None => Default::default(),
    };
    let facts = Facts {
        constants,
        requests,
        pagination,
        deprecated,
    };
    let model = Model::read(doc, &config.runtime, facts, report)?;
    let defined = doc
        .pointer(&crate::document::child(
            "/components/schemas",
            &overrides.error_schema,
        ))
        .is_some();
    Ok(Plan {
        api: api.to_string(),
        model,
        replacements,
        extensible,
        errors: ErrorPlan {
            schema: overrides.error_schema.clone(),
            defined,
            code: config.errors.code.clone(),
            message: config.errors.message.clone(),
        },
        rate_limit: config.runtime.rate_limit,
        rate_limit_headers: config.runtime.rate_limit_headers,
        webhooks: None,
        client_doc: client_doc(doc),
    })
}

/// `Client`'s docs, from the document's `info`.
fn client_doc(doc: &Value) -> String {
    let info = |key: &str| {
        doc.pointer(&format!("/info/{key}"))
            .and_then(Value::as_str)
            .filter(|text| !text.trim().is_empty())
    };
    let mut text = format!("Client for {}", info("title").unwrap_or("the API"));
    for key in ["description", "termsOfService"] {
        if let Some(value) = info(key) {
            text.push_str("\n\n");
            text.push_str(value.trim_end());
        }
    }
    if let Some(version) = info("version") {
        text.push_str(&format!("\n\nVersion: {version}"));
    }
    text
}

/// Where relative documentation links point: `docs_url`, else the origin of
/// the upstream document.
fn docs_url(config: &ApiConfig) -> Option<String> {
    config.docs_url.clone().or_else(|| {
        let upstream = config.upstream.as_deref()?;
        let after_scheme = upstream.strip_prefix("https://")?;
        let host = after_scheme.split('/').next()?;
        Some(format!("https://{host}"))
    })
}
