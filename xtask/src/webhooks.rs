//! Webhook events: a provider's `webhooks` section (in its document, or in
//! a document of its own named by `[<api>.webhooks]` in `codegen.toml`)
//! becomes one `Event` enum per API.
//!
//! - `merge` adds a webhook document to its API's document before the
//!   rules: its `webhooks` and its component schemas, with references to
//!   the API's document made local;
//! - `hoist` gives every inline event body a component, so the rules
//!   (tolerant enums, relaxed constraints, timestamps, pruning) treat event
//!   payloads like any received component (`openapi_walk` walks webhooks
//!   as received);
//! - `plan` reads the events once the rules have run (each webhook is named
//!   by its event type, the value of the configured envelope property) and
//!   takes the section out of the document the types are made from;
//! - `emit`, called by the emitter, writes the `webhook_events!` invocation that
//!   becomes the enum.

use anyhow::{bail, Context};
use serde_json::{Map, Value};

use crate::config::WebhooksConfig;
use crate::document::{child, escape, schema_ref_name};
use crate::naming::pascal;
use crate::report::{Report, Rule};

/// One event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPlan {
    /// The event type on the wire (`message_created`): the webhook's name.
    pub event_type: String,
    /// The enum variant (`MessageCreated`).
    pub variant: String,
    /// The component its body decodes into.
    pub schema: String,
    /// The webhook's summary, description and documentation page.
    pub summary: Option<String>,
    pub description: Option<String>,
    pub docs_url: Option<String>,
    pub deprecated: bool,
}

/// The events of one API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events {
    /// The envelope property holding the event type (`type`, `action`).
    pub field: String,
    /// In document order.
    pub events: Vec<EventPlan>,
}

/// Adds the webhook document `hooks` to `doc`: its webhooks, and its
/// component schemas. A reference to `main_file#...` (the API's own
/// document) becomes local; any other reference outside `hooks` is refused.
/// A webhook or a component defined differently in both is an error.
pub fn merge(doc: &mut Value, mut hooks: Value, main_file: &str) -> anyhow::Result<()> {
    let Some(webhooks) = hooks.get("webhooks").and_then(Value::as_object) else {
        bail!("the webhook document has no `webhooks` section");
    };
    if webhooks.is_empty() {
        bail!("the webhook document's `webhooks` section is empty");
    }
    if let Some(components) = hooks.get("components").and_then(Value::as_object) {
        if let Some(other) = components.keys().find(|table| *table != "schemas") {
            bail!("the webhook document has `components.{other}`: only schemas are merged");
        }
    }
    let prefix = format!("{main_file}#");
    localize_refs(&mut hooks, &prefix, "")?;
    let root = doc
        .as_object_mut()
        .context("the API's document is not an object")?;
    let incoming = hooks
        .get("webhooks")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let existing = root
        .entry("webhooks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .context("the API's `webhooks` is not an object")?;
    for (name, item) in incoming {
        match existing.get(&name) {
            Some(found) if *found != item => {
                bail!("webhook `{name}` is defined both in the API's document and in the webhook document")
            }
            _ => {
                existing.insert(name, item);
            }
        }
    }
    if let Some(schemas) = hooks
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
    {
        let components = root
            .entry("components")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .context("the API's `components` is not an object")?;
        let table = components
            .entry("schemas")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .context("the API's `components.schemas` is not an object")?;
        for (name, schema) in schemas {
            match table.get(&name) {
                Some(found) if *found != schema => bail!(
                    "component `{name}` is defined both in the API's document and in the webhook document, differently"
                ),
                _ => {
                    table.insert(name, schema);
                }
            }
        }
    }
    Ok(())
}

/// Reads the API's webhook document (`[<api>.webhooks] spec`, relative to
/// `folder`), if it has one, and merges it into `doc`.
pub fn merge_configured(
    doc: &mut Value,
    config: &crate::config::ApiConfig,
    folder: &std::path::Path,
) -> anyhow::Result<()> {
    let Some(webhooks) = config.webhooks.as_ref().filter(|w| !w.spec.is_empty()) else {
        return Ok(());
    };
    let path = folder.join(&webhooks.spec);
    let hooks = crate::document::load(&path)?;
    let main_file = std::path::Path::new(&config.spec)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(&config.spec);
    merge(doc, hooks, main_file).with_context(|| format!("merging {}", path.display()))
}

/// Rewrites `main#/x` references to `#/x`; refuses any other non-local one.
fn localize_refs(node: &mut Value, prefix: &str, pointer: &str) -> anyhow::Result<()> {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let here = child(pointer, key);
                if key == "$ref" {
                    if let Value::String(reference) = value {
                        if let Some(rest) = reference.strip_prefix(prefix) {
                            *reference = format!("#{rest}");
                        } else if !reference.starts_with('#') {
                            bail!(
                                "the webhook document refers to `{reference}` at {here}: only its own components and `{}` may be referenced",
                                prefix.trim_end_matches('#')
                            );
                        }
                    }
                } else {
                    localize_refs(value, prefix, &here)?;
                }
            }
        }
        Value::Array(list) => {
            for (index, value) in list.iter_mut().enumerate() {
                localize_refs(value, prefix, &child(pointer, &index.to_string()))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The JSON body schema of a webhook's `post`, as a pointer into its path item.
fn body_schema_pointer(item: &Value, name: &str) -> anyhow::Result<String> {
    let Some(object) = item.as_object() else {
        bail!("webhook `{name}` is not a path item");
    };
    if let Some(reference) = object.get("$ref") {
        bail!("webhook `{name}` is a reference ({reference}): not supported, write the path item");
    }
    if let Some((method, _)) = crate::openapi_walk::methods(item).find(|(m, _)| *m != "post") {
        bail!("webhook `{name}` has a `{method}` operation: an event is a `post`");
    }
    let post = object
        .get("post")
        .with_context(|| format!("webhook `{name}` has no `post` operation"))?;
    let content = post
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        .with_context(|| format!("webhook `{name}` has no request body"))?;
    let media = content
        .iter()
        .find(|(media_type, _)| crate::document::media_type_essence(media_type).ends_with("json"))
        .map(|(media_type, _)| media_type)
        .with_context(|| format!("webhook `{name}` has no JSON request body"))?;
    Ok(format!(
        "/post/requestBody/content/{}/schema",
        escape(media)
    ))
}

/// The component an event body is hoisted into: `<EventType>Event`.
fn hoisted_name(event_type: &str) -> String {
    format!("{}Event", pascal(event_type))
}

/// Gives every inline webhook body a component of its own
/// (`<EventType>Event`), leaving a reference, so the rules see one named
/// payload per event.
pub fn hoist(doc: &mut Value, report: &mut Report) -> anyhow::Result<()> {
    let Some(webhooks) = doc.get("webhooks").and_then(Value::as_object).cloned() else {
        return Ok(());
    };
    for (name, item) in &webhooks {
        let pointer = child("/webhooks", name) + &body_schema_pointer(item, name)?;
        let schema = doc
            .pointer(&pointer)
            .cloned()
            .with_context(|| format!("webhook `{name}` has no body schema"))?;
        if schema.get("$ref").is_some() {
            continue;
        }
        let component = hoisted_name(name);
        let mut schema = schema;
        if let Some(object) = schema.as_object_mut() {
            // Documented where it is used: the event enum comes later.
            object
                .entry("description")
                .or_insert_with(|| Value::from(format!("The body of a `{name}` event.")));
        }
        let schemas = crate::document::schemas_mut(doc)?;
        if schemas.contains_key(&component) {
            bail!("webhook `{name}`'s inline body would become component `{component}`, which exists: give the body a `$ref`");
        }
        schemas.insert(component.clone(), schema);
        *doc.pointer_mut(&pointer).expect("found above") =
            serde_json::json!({"$ref": format!("#/components/schemas/{}", escape(&component))});
        report.applied(Rule::HoistWebhookBody);
    }
    Ok(())
}

/// Reads the events (after the rules) and removes the `webhooks` section
/// from the document the types are made from. Without `config` the section is dropped
/// and the report says how many events went ungenerated.
pub fn plan(
    doc: &mut Value,
    config: Option<&WebhooksConfig>,
    report: &mut Report,
) -> anyhow::Result<Option<Events>> {
    let Some(webhooks) = doc.as_object_mut().and_then(|root| root.remove("webhooks")) else {
        if let Some(config) = config {
            bail!(
                "`webhooks` is configured (`{}`), but the document has no `webhooks` section",
                config.spec
            );
        }
        return Ok(None);
    };
    let webhooks = webhooks
        .as_object()
        .cloned()
        .context("`webhooks` is not an object")?;
    let Some(config) = config else {
        report.applied(Rule::DropWebhooks);
        report.note(format!(
            "{} webhook(s) not generated: no `[<api>.webhooks]` table names the event type property",
            webhooks.len()
        ));
        return Ok(None);
    };
    let field = &config.event_type_field;
    let mut events: Vec<EventPlan> = Vec::new();
    for (name, item) in &webhooks {
        let body = item
            .pointer(&body_schema_pointer(item, name)?)
            .with_context(|| format!("webhook `{name}` has no body schema"))?;
        let schema = body
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(schema_ref_name)
            .with_context(|| format!("webhook `{name}`'s body is not a component reference"))?;
        let component = doc
            .pointer(&child("/components/schemas", &schema))
            .with_context(|| format!("webhook `{name}`'s body `{schema}` is not a component"))?;
        let property = component
            .pointer(&child("/properties", field))
            .with_context(|| {
                format!("webhook `{name}`'s body `{schema}` has no `{field}` property: the event type is read from it")
            })?;
        let listed: Vec<&str> = property
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !listed.is_empty() && !listed.contains(&name.as_str()) {
            bail!(
                "webhook `{name}`: its body's `{field}` lists {listed:?}, not the webhook's own name"
            );
        }
        let variant = pascal(name);
        if variant == "Unknown" {
            bail!("webhook `{name}` would be the variant `Unknown`, the fallback's name");
        }
        if let Some(other) = events.iter().find(|e| e.variant == variant) {
            bail!(
                "webhooks `{}` and `{name}` would both be the variant `{variant}`",
                other.event_type
            );
        }
        let post = &item["post"];
        let text = |key: &str| post.get(key).and_then(Value::as_str).map(str::to_string);
        events.push(EventPlan {
            event_type: name.clone(),
            variant,
            schema,
            summary: text("summary"),
            description: text("description"),
            docs_url: post
                .pointer("/externalDocs/url")
                .and_then(Value::as_str)
                .map(str::to_string),
            deprecated: post.get("deprecated") == Some(&Value::Bool(true)),
        });
        report.applied(Rule::WebhookEvent);
    }
    Ok(Some(Events {
        field: field.clone(),
        events,
    }))
}

/// The API's `Event` enum, one variant per event type, through the
/// crate's `webhook_events!` (which adds `Unknown`, decoding and
/// `event_type`). `payloads` holds each event's payload type, as the type
/// space named it, in the events' order.
pub fn emit(
    events: Option<&Events>,
    provider: &str,
    payloads: &[proc_macro2::TokenStream],
) -> proc_macro2::TokenStream {
    let Some(events) = events else {
        return proc_macro2::TokenStream::new();
    };
    let mut variants = Vec::new();
    for (event, payload) in events.events.iter().zip(payloads) {
        let variant = syn::Ident::new(&event.variant, proc_macro2::Span::call_site());
        let value = &event.event_type;
        let mut doc = event
            .summary
            .clone()
            .unwrap_or_else(|| format!("A `{value}` event."));
        if let Some(description) = &event.description {
            doc.push_str("\n\n");
            doc.push_str(description.trim());
        }
        if event.deprecated {
            doc.push_str("\n\nDeprecated by the provider: it may stop being sent.");
        }
        if let Some(url) = &event.docs_url {
            doc.push_str(&format!("\n\n[The event's page]({url})."));
        }
        doc.push_str(&format!("\n\nEvent type `{value}`."));
        variants.push(quote::quote! {
            #[doc = #doc]
            #variant = #value => #payload,
        });
    }
    let field = &events.field;
    let doc = format!(
        "An event the `{provider}` API POSTs to a webhook, by its `{field}`: one variant per \
         documented event type. A type this crate does not know yet decodes as `Unknown`, with its JSON \
         kept as received."
    );
    quote::quote! {
        ::inbox_bindings::__private::webhook_events! {
            #[doc = #doc]
            pub enum Event: #field {
                #(#variants)*
            }
        }
    }
}

#[cfg(test)]
mod tests;
