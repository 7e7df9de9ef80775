//! The emitter: the Rust of `generated/<api>.rs` from the plan. typify
//! (the type generator progenitor runs, at the version progenitor 0.15.1
//! pins) makes the types in one type space holding the document's
//! components and each operation's parameter, body and response schemas;
//! every type an operation uses is named by the type id the space returns
//! for its schema. The client (`Client`, one builder per operation,
//! `send()`, `pages()`/`stream()`, `API`) and the webhook `Event` are
//! written here, from the model, with `quote!`, against the facade's
//! `__private` ABI. Then the type stages (docs from the type graph,
//! extensible enums, IRI parameters, the crate's conversion error, the
//! provider error, `schemars`) and the render stage.

mod client;
mod schema;
mod type_docs;

use anyhow::{bail, Context};
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;
use typify::{TypeDetails, TypeId, TypeSpace, TypeSpaceImpl, TypeSpaceSettings};

use crate::model::{Location, Operation};
use crate::naming::{sanitize, Case};
use crate::plan::Plan;

pub use schema::json_schema;

/// A type the emitter names, as the type space returned it.
#[derive(Debug, Clone)]
pub struct Named {
    pub id: TypeId,
    /// Its path as written in the generated file (`types::Conversation`,
    /// `::std::string::String`).
    pub tokens: TokenStream,
}

/// The types of one operation.
#[derive(Debug, Clone)]
pub struct OperationTypes {
    /// One per parameter of the model, in its order; `optional` when no
    /// value need be set.
    pub parameters: Vec<(Named, bool)>,
    /// The body's type, and whether it has a `Default` (a body with no
    /// required field starts as its default).
    pub body: Option<(Named, bool)>,
    /// What `send()` returns: `()` when no success response has a body.
    pub success: TokenStream,
    pub success_id: Option<TypeId>,
}

/// The type space of one document, with every operation's types.
pub struct Types {
    pub space: TypeSpace,
    pub operations: Vec<OperationTypes>,
    /// Each webhook event's payload type, in the events' order.
    pub events: Vec<Named>,
    /// The error schema's type, when the document has one.
    pub error: Option<Named>,
    /// Each planned enum with an `Unknown` fallback, in the plan's order.
    pub extensible: Vec<Named>,
}

/// The settings progenitor gives typify, less struct builders (a body is
/// set as its struct): `types` as the module, `PartialEq` derived, the
/// facade's replacements.
fn settings(plan: &Plan) -> TypeSpaceSettings {
    let mut settings = TypeSpaceSettings::default();
    settings
        .with_type_mod("types")
        .with_struct_builder(false)
        .with_derive("PartialEq".to_string());
    for replacement in &plan.replacements {
        settings.with_replacement(
            &replacement.component,
            &replacement.rust_path,
            [TypeSpaceImpl::Display].into_iter(),
        );
    }
    settings
}

impl Types {
    /// Adds the document's components, then each operation's schemas (in
    /// model order, named as progenitor names them: `{operationId}-{name}`,
    /// `-body`, `-response`).
    pub fn build(doc: &Value, plan: &Plan) -> anyhow::Result<Types> {
        let mut space = TypeSpace::new(&settings(plan));
        let components: Vec<(String, schemars::schema::Schema)> = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, schema)| Ok((name.clone(), schema::convert(schema)?)))
            .collect::<anyhow::Result<_>>()?;
        guarded(&plan.api, || Ok(space.add_ref_types(components)?))?;
        let mut operations = Vec::new();
        for operation in &plan.model.operations {
            let types = guarded(&plan.api, || operation_types(&mut space, operation))
                .with_context(|| format!("the types of `{}`", operation.id))?;
            operations.push(types);
        }
        let mut component = |name: &str| {
            let reference = serde_json::json!({
                "$ref": crate::document::child("#/components/schemas", name)
            });
            guarded(&plan.api, || add(&mut space, &reference, name.to_string()))
                .with_context(|| format!("the component `{name}`"))
        };
        let error = if plan.errors.defined {
            Some(component(&plan.errors.schema)?)
        } else {
            None
        };
        let events = plan
            .webhooks
            .iter()
            .flat_map(|events| &events.events)
            .map(|event| component(&event.schema))
            .collect::<anyhow::Result<_>>()?;
        let extensible = plan
            .extensible
            .iter()
            .map(|entry| component(&entry.component))
            .collect::<anyhow::Result<_>>()?;
        Ok(Types {
            space,
            operations,
            events,
            error,
            extensible,
        })
    }
}

/// Runs typify, turning a panic (how it reports some shapes) into an error
/// naming the API.
fn guarded<T>(api: &str, run: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(result) => result.with_context(|| format!("typify failed on the `{api}` document")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            bail!("typify panicked on the `{api}` document: {message}")
        }
    }
}

fn add(space: &mut TypeSpace, schema: &Value, hint: String) -> anyhow::Result<Named> {
    let converted = schema::convert(schema)?;
    let id = space.add_type_with_name(&converted, Some(hint))?;
    let tokens = space.get_type(&id)?.ident();
    Ok(Named { id, tokens })
}

fn operation_types(space: &mut TypeSpace, operation: &Operation) -> anyhow::Result<OperationTypes> {
    let hint = |suffix: &str| sanitize(&format!("{}-{suffix}", operation.id), Case::Pascal);
    let mut parameters = Vec::new();
    for parameter in &operation.parameters {
        let named = add(space, &parameter.schema, hint(&parameter.name))?;
        // A nullable schema is an optional parameter of its inner type.
        let inner = match space.get_type(&named.id)?.details() {
            TypeDetails::Option(inner) => Some(inner),
            _ => None,
        };
        let (named, optional) = match inner {
            Some(id) if parameter.location != Location::Path => {
                let tokens = space.get_type(&id)?.ident();
                (Named { id, tokens }, true)
            }
            _ => (named, !parameter.required),
        };
        parameters.push((named, optional));
    }
    let body = match &operation.body {
        None => None,
        Some(body) => {
            let named = add(space, &body.schema, hint("body"))?;
            let default = space.get_type(&named.id)?.has_impl(TypeSpaceImpl::Default);
            Some((named, default))
        }
    };
    let mut success: Option<Named> = None;
    for response in &operation.successes {
        let Some(schema) = &response.schema else {
            continue;
        };
        let named = add(space, schema, hint("response"))?;
        match &success {
            Some(first) if first.id != named.id => bail!(
                "its success responses have different bodies ({} and {}): not supported",
                first.tokens,
                named.tokens
            ),
            _ => success = Some(named),
        }
    }
    // No success documented at all: whatever JSON comes; documented
    // successes without a body: nothing.
    let nothing = if operation.successes.is_empty() {
        quote!(::serde_json::Value)
    } else {
        quote!(())
    };
    Ok(OperationTypes {
        parameters,
        body,
        success_id: success.as_ref().map(|named| named.id.clone()),
        success: success.map_or(nothing, |named| named.tokens),
    })
}

/// What the emitter produced for one API.
pub struct Generated {
    pub source: String,
    pub operations: usize,
    pub types: usize,
    /// Code blocks of doc comments made `text`.
    pub doc_code_blocks: usize,
}

/// The generated file: types, client, `API`, events; then the type stages
/// and the render stage. `origin` is the document path named in the header.
pub fn generate(doc: &Value, plan: &Plan, origin: &str) -> anyhow::Result<Generated> {
    let types = Types::build(doc, plan)?;
    let type_items = types.space.to_stream();
    let client = client::emit(plan, &types)?;
    let payloads: Vec<TokenStream> = types
        .events
        .iter()
        .map(|named| named.tokens.clone())
        .collect();
    let events = crate::webhooks::emit(plan.webhooks.as_ref(), &plan.api, &payloads);
    let tokens = quote! {
        /// Types used as operation parameters and responses.
        #[allow(clippy::all)]
        pub mod types {
            #type_items
        }
        #client
        #events
    };
    let mut file: syn::File = syn::parse2(tokens).context("the emitter wrote unparsable Rust")?;
    type_stages(&mut file, plan, &types)?;
    let doc_code_blocks = crate::generate::neutralize_doc_code(&mut file)?;
    let types_count = count_types(&file);
    let body = prettyplease::unparse(&file);
    let source =
        format!("// @generated by `cargo xtask codegen` from {origin}. Do not edit.\n\n{body}");
    Ok(Generated {
        source,
        operations: plan.model.operations.len(),
        types: types_count,
        doc_code_blocks,
    })
}

/// What is done to typify's types: fields typify named alike made
/// distinct, docs from the type graph, enums with
/// an `Unknown` fallback, IRI path parameters, the crate's conversion
/// error, the provider error, the `schemars` derive.
fn type_stages(file: &mut syn::File, plan: &Plan, types: &Types) -> anyhow::Result<()> {
    crate::fields::distinct(file)?;
    type_docs::document(file, plan, types)?;
    let names = types
        .extensible
        .iter()
        .map(|named| Ok(types.space.get_type(&named.id)?.name()))
        .collect::<anyhow::Result<Vec<String>>>()?;
    crate::extensible::rewrite(file, &plan.extensible, &names)?;
    // Operations taking the same IRI parameter share its type: patched once.
    let mut patched = std::collections::BTreeSet::new();
    for (operation, operation_types) in plan.model.operations.iter().zip(&types.operations) {
        for iri in &operation.request.iri_parameters {
            let position = operation
                .parameters
                .iter()
                .position(|parameter| parameter.name == iri.parameter)
                .with_context(|| {
                    format!(
                        "{}: no parameter `{}` to accept IRIs",
                        operation.id, iri.parameter
                    )
                })?;
            let name = types
                .space
                .get_type(&operation_types.parameters[position].0.id)?
                .name();
            if !patched.insert(name.clone()) {
                continue;
            }
            crate::requests::iri_parameter(file, &name, &iri.prefix)
                .with_context(|| format!("{}: IRIs of `{}`", operation.id, iri.parameter))?;
        }
    }
    crate::surface::crate_conversion_error(file)?;
    crate::provider_error::implement(file, &plan.errors)?;
    crate::lean::schemars(file, &plan.extensible)?;
    Ok(())
}

fn count_types(file: &syn::File) -> usize {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "types" => module.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
        .filter(|item| {
            matches!(item, syn::Item::Struct(_) | syn::Item::Enum(_))
                || crate::lean::is_enum_macro(item)
        })
        .count()
}
