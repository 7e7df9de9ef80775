//! Extensible enums: the string enums a provider says will grow ("New values
//! may be added to this enum…") or that `codegen.toml` lists. The document
//! stage finds them (hoisting inline ones into named components); the type
//! stage replaces typify's closed enum with one that has an `Unknown` variant.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{json, Value};

use crate::config::Selector;
use crate::document::{child, escape, schema_ref_name, unescape};
use crate::model::{Extensible, Kind};
use crate::naming::pascal;
use crate::openapi_walk::{schema_roots, subschema_pointers};
use crate::report::Report;
use crate::syntax::serde_rename;

/// Phrases that mark an enum as extensible in a description, compared after
/// folding case and white space.
const EXTENSIBILITY_NOTES: [&str; 1] = ["new values may be added to this enum"];

/// Whether a schema's description says new values may be added (one of
/// `EXTENSIBILITY_NOTES`): the generator's and the drift report's one test.
pub fn has_note(schema: &Value) -> bool {
    let Some(description) = schema.get("description").and_then(Value::as_str) else {
        return false;
    };
    let folded = description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    EXTENSIBILITY_NOTES.iter().any(|note| folded.contains(note))
}

fn is_string_enum(schema: &Value) -> bool {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| {
            values.iter().any(Value::is_string)
                && values.iter().all(|v| v.is_string() || v.is_null())
        })
}

/// A name for an inline schema, from where it sits: `Conversation` +
/// `/properties/issues/items` → `ConversationIssuesItem`.
fn name_for(doc: &Value, pointer: &str) -> String {
    let tokens: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let mut name = String::new();
    let mut rest: &[String] = &tokens;
    if tokens.first().map(String::as_str) == Some("components") && tokens.len() >= 3 {
        name = pascal(&tokens[2]);
        rest = &tokens[3..];
    } else if tokens.first().map(String::as_str) == Some("paths") && tokens.len() >= 3 {
        let operation_pointer = format!("/paths/{}/{}", escape(&tokens[1]), escape(&tokens[2]));
        let id = doc
            .pointer(&operation_pointer)
            .and_then(|operation| operation.get("operationId"))
            .and_then(Value::as_str)
            .unwrap_or("Operation");
        name = pascal(id);
        rest = &tokens[3..];
        if rest.first().map(String::as_str) == Some("responses") {
            name.push_str("Response");
        } else if rest.first().map(String::as_str) == Some("requestBody") {
            name.push_str("Body");
        }
        // Skip to the schema itself.
        if let Some(position) = rest.iter().position(|token| token == "schema") {
            rest = &rest[position + 1..];
        }
    }
    let mut iter = rest.iter();
    while let Some(token) = iter.next() {
        match token.as_str() {
            "properties" => {
                if let Some(property) = iter.next() {
                    name.push_str(&pascal(property));
                }
            }
            "items" => name.push_str("Item"),
            "additionalProperties" => name.push_str("Value"),
            "allOf" | "anyOf" | "oneOf" => {
                iter.next();
            }
            _ => {}
        }
    }
    name
}

/// Moves the inline enum at `pointer` into `components.schemas[name]` (merging
/// the values of enums hoisted under the same name) and leaves a reference.
fn hoist(doc: &mut Value, pointer: &str, name: &str) -> anyhow::Result<()> {
    let inline = doc
        .pointer(pointer)
        .cloned()
        .context("hoisted pointer resolves")?;
    let nullable = inline.get("nullable") == Some(&json!(true));
    let mut component = inline.clone();
    let object = component
        .as_object_mut()
        .context("an enum schema is an object")?;
    object.remove("nullable");
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        values.retain(|value| !value.is_null());
    }
    let schemas = crate::document::schemas_mut(doc)?;
    match schemas.get_mut(name) {
        None => {
            schemas.insert(name.to_string(), component);
        }
        Some(existing) if is_string_enum(existing) => {
            let values = existing["enum"].as_array_mut().expect("checked");
            for value in component["enum"].as_array().into_iter().flatten() {
                if !values.contains(value) {
                    values.push(value.clone());
                }
            }
        }
        Some(_) => bail!(
            "cannot hoist the enum at {pointer}: /components/schemas/{name} is something else"
        ),
    }
    let reference = json!({"$ref": format!("#/components/schemas/{}", escape(name))});
    let mut replacement = if nullable {
        json!({"allOf": [reference], "nullable": true})
    } else {
        reference
    };
    if let Some(description) = inline.get("description") {
        replacement["description"] = description.clone();
    }
    *doc.pointer_mut(pointer).expect("resolved above") = replacement;
    Ok(())
}

/// Where a schema node's enum is: itself, its items, or a component it refers to.
enum EnumSite {
    Component(String),
    Inline(String),
}

fn enum_site(doc: &Value, pointer: &str) -> Option<EnumSite> {
    let node = doc.pointer(pointer)?;
    let referenced = |schema: &Value| -> Option<String> {
        let reference = schema.get("$ref").and_then(Value::as_str).or_else(|| {
            match schema
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                Some([only]) => only.get("$ref").and_then(Value::as_str),
                _ => None,
            }
        })?;
        let name = schema_ref_name(reference)?;
        is_string_enum(doc.pointer(&child("/components/schemas", &name))?).then_some(name)
    };
    if let Some(name) = referenced(node) {
        return Some(EnumSite::Component(name));
    }
    if is_string_enum(node) {
        return Some(match pointer.strip_prefix("/components/schemas/") {
            Some(name) if !name.contains('/') => EnumSite::Component(unescape(name)),
            _ => EnumSite::Inline(pointer.to_string()),
        });
    }
    let items = node.get("items")?;
    if let Some(name) = referenced(items) {
        return Some(EnumSite::Component(name));
    }
    is_string_enum(items).then(|| EnumSite::Inline(format!("{pointer}/items")))
}

/// Every schema pointer in the document, parents before children.
fn all_schema_pointers(doc: &Value) -> Vec<String> {
    let mut pointers = Vec::new();
    let mut stack: Vec<String> = schema_roots(doc)
        .into_iter()
        .map(|(pointer, _)| pointer)
        .rev()
        .collect();
    while let Some(pointer) = stack.pop() {
        if let Some(node) = doc.pointer(&pointer) {
            for relative in subschema_pointers(node).into_iter().rev() {
                stack.push(format!("{pointer}{relative}"));
            }
        }
        pointers.push(pointer);
    }
    pointers
}

/// Notes the closed enums made tolerant on receipt (after pruning, so only
/// generated ones are named).
pub fn note_tolerant(enums: &[Extensible], report: &mut Report) {
    let names: Vec<&str> = enums
        .iter()
        .filter(|e| matches!(e.kind, Kind::Tolerant { .. }))
        .map(|e| e.component.as_str())
        .collect();
    if !names.is_empty() {
        report.note(format!(
            "tolerant enums (closed, received: an undocumented value decodes as Unknown): {}",
            names.join(", ")
        ));
    }
}

/// The document stage: finds (and hoists) every extensible enum.
pub fn detect(
    doc: &mut Value,
    selectors: &[Selector],
    report: &mut Report,
) -> anyhow::Result<Vec<Extensible>> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    // Documented in the spec.
    for pointer in all_schema_pointers(doc) {
        let Some(node) = doc.pointer(&pointer) else {
            continue;
        };
        if !has_note(node) {
            continue;
        }
        let name = match enum_site(doc, &pointer) {
            Some(EnumSite::Component(name)) => name,
            Some(EnumSite::Inline(inline)) => {
                let name = name_for(doc, &inline);
                hoist(doc, &inline, &name)?;
                report.applied(crate::report::Rule::HoistExtensibleEnum);
                name
            }
            None => {
                report.note(format!(
                    "extensibility note at {pointer}, but no string enum there"
                ));
                continue;
            }
        };
        let reason = if pointer == child("/components/schemas", &name) {
            "its description says new values may be added".to_string()
        } else {
            format!("the note at {pointer}")
        };
        found.entry(name).or_insert(reason);
    }
    // Listed in codegen.toml.
    for selector in selectors {
        match selector {
            Selector::Component(name) => {
                let schema = doc.pointer(&child("/components/schemas", name));
                if !schema.is_some_and(is_string_enum) {
                    report.stale_override(format!("overrides.extensible_enums names `{name}`, which is no string enum component"))?;
                    continue;
                }
                found
                    .entry(name.clone())
                    .or_insert_with(|| "listed in codegen.toml".to_string());
            }
            Selector::Property {
                property,
                values,
                name,
            } => {
                let mut matched = 0;
                for pointer in all_schema_pointers(doc) {
                    if !pointer.ends_with(&format!("/properties/{}", escape(property))) {
                        continue;
                    }
                    let Some(node) = doc.pointer(&pointer) else {
                        continue;
                    };
                    let documented: Vec<&str> = node
                        .get("enum")
                        .and_then(Value::as_array)
                        .map(|list| list.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if is_string_enum(node)
                        && values
                            .iter()
                            .all(|value| documented.contains(&value.as_str()))
                    {
                        hoist(doc, &pointer, name)?;
                        report.applied(crate::report::Rule::HoistExtensibleEnum);
                        matched += 1;
                    }
                }
                if matched == 0 {
                    report.note(format!(
                        "overrides.extensible_enums: no `{property}` enum with values {values:?} in this document"
                    ));
                } else {
                    found.entry(name.clone()).or_insert_with(|| {
                        format!("listed in codegen.toml (`{property}` enums with {values:?}, {matched} place(s))")
                    });
                }
            }
        }
    }
    for (name, reason) in &found {
        report.note(format!("extensible enum {name}: {reason}"));
    }
    let mut enums: Vec<Extensible> = found
        .into_iter()
        .map(|(component, reason)| Extensible {
            component,
            reason,
            kind: Kind::Extensible,
        })
        .collect();
    let tolerant = detect_tolerant(doc, &enums, report)?;
    enums.extend(tolerant);
    enums.sort_by(|a, b| a.component.cmp(&b.component));
    Ok(enums)
}

/// Every other string enum a response can carry gets the fallback too: one
/// undocumented value must not fail a whole response. Inline ones are hoisted
/// into components named after where they sit; the enum stays closed for
/// sending.
fn detect_tolerant(
    doc: &mut Value,
    extensible: &[Extensible],
    report: &mut Report,
) -> anyhow::Result<Vec<Extensible>> {
    use crate::openapi_walk::reachable_components;
    use crate::openapi_walk::Side;
    let received_roots = |doc: &Value| -> Vec<String> {
        let received = reachable_components(doc, Side::Received);
        schema_roots(doc)
            .into_iter()
            .filter(|(pointer, side)| match side {
                Side::Received => true,
                Side::Component => pointer
                    .strip_prefix("/components/schemas/")
                    .is_some_and(|name| received.contains(&unescape(name))),
                Side::Sent => false,
            })
            .map(|(pointer, _)| pointer)
            .collect()
    };
    // Hoist the inline enums under received roots, deepest first so a
    // pointer stays valid while its parents are rewritten.
    let mut inline = Vec::new();
    for root in received_roots(doc) {
        let mut stack = vec![root];
        while let Some(pointer) = stack.pop() {
            let Some(node) = doc.pointer(&pointer) else {
                continue;
            };
            for relative in subschema_pointers(node) {
                stack.push(format!("{pointer}{relative}"));
            }
            let is_component_root = pointer
                .strip_prefix("/components/schemas/")
                .is_some_and(|name| !name.contains('/'));
            if is_string_enum(node) && !is_component_root {
                inline.push(pointer);
            }
        }
    }
    inline.sort();
    inline.dedup();
    for pointer in inline.iter().rev() {
        let name = unique_name(doc, &name_for(doc, pointer), pointer);
        hoist(doc, pointer, &name)?;
        report.applied(crate::report::Rule::HoistReceivedEnum);
    }
    let sent = reachable_components(doc, Side::Sent);
    let received = reachable_components(doc, Side::Received);
    let mut tolerant = Vec::new();
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        if !is_string_enum(schema) || !received.contains(name) {
            continue;
        }
        if extensible.iter().any(|e| &e.component == name) {
            continue;
        }
        tolerant.push(Extensible {
            component: name.clone(),
            reason: "a closed enum of a response".to_string(),
            kind: Kind::Tolerant {
                sent: sent.contains(name),
            },
        });
    }
    Ok(tolerant)
}

/// `name`, or `name` with a number after it when a component of that name
/// exists and is not the same enum.
fn unique_name(doc: &Value, name: &str, pointer: &str) -> String {
    let same = |candidate: &str| match doc.pointer(&child("/components/schemas", candidate)) {
        None => true,
        Some(existing) => {
            let inline = doc.pointer(pointer);
            let values = |schema: &Value| {
                let mut list: Vec<String> = schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                list.sort();
                list
            };
            is_string_enum(existing)
                && inline.is_some_and(|inline| values(inline) == values(existing))
        }
    };
    if same(name) {
        return name.to_string();
    }
    (2..)
        .map(|n| format!("{name}{n}"))
        .find(|candidate| same(candidate))
        .expect("some number is free")
}

// ---------------------------------------------------------------------------
// The type stage

struct Variant {
    ident: syn::Ident,
    value: String,
    docs: Vec<syn::Attribute>,
}

fn self_type_is(item: &syn::Item, ident: &syn::Ident) -> bool {
    matches!(item, syn::Item::Impl(block)
        if matches!(&*block.self_ty, syn::Type::Path(path) if path.path.is_ident(ident)))
}

fn is_default_impl(item: &syn::Item) -> bool {
    matches!(item, syn::Item::Impl(block)
        if block.trait_.as_ref().is_some_and(|(_, path, _)| path.segments.last().is_some_and(|s| s.ident == "Default")))
}

/// Replaces typify's closed enum of each planned entry (and its impls) in
/// the `types` module. `names` holds each entry's type name, as the type
/// space named its component.
pub fn rewrite(
    file: &mut syn::File,
    extensible: &[Extensible],
    names: &[String],
) -> anyhow::Result<()> {
    if extensible.is_empty() {
        return Ok(());
    }
    let types = crate::syntax::module_items(file, "types")?;
    for (entry, name) in extensible.iter().zip(names) {
        let position = types
            .iter()
            .position(|item| matches!(item, syn::Item::Enum(e) if e.ident == name))
            .with_context(|| {
                format!(
                    "stage extensible enums: `{}` is `{name}`, which typify did not generate as an enum",
                    entry.component
                )
            })?;
        let syn::Item::Enum(found) = &types[position] else {
            unreachable!()
        };
        let ident = found.ident.clone();
        let syn::Item::Enum(closed) = types[position].clone() else {
            unreachable!()
        };
        let renamed_unknown = closed
            .variants
            .iter()
            .any(|variant| variant.ident == "Unknown");
        let keeps_default = types
            .iter()
            .any(|item| self_type_is(item, &ident) && is_default_impl(item));
        if renamed_unknown && keeps_default {
            bail!("stage extensible enums: `{ident}` documents a value named like the fallback and has a default: not supported");
        }
        let variants: Vec<Variant> = closed
            .variants
            .iter()
            .map(|variant| {
                let value =
                    serde_rename(&variant.attrs).unwrap_or_else(|| variant.ident.to_string());
                let ident = if variant.ident == "Unknown" {
                    format_ident!("DocumentedUnknown")
                } else {
                    variant.ident.clone()
                };
                let docs = variant
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("doc"))
                    .cloned()
                    .collect();
                Variant { ident, value, docs }
            })
            .collect();
        let docs: Vec<&syn::Attribute> = closed
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .collect();
        let replacement = enum_tokens(&ident, &docs, &variants, entry.kind);
        let replacement: syn::File =
            syn::parse2(replacement).context("extensible enum tokens parse")?;
        types.retain(|item| {
            let is_closed_enum = matches!(item, syn::Item::Enum(e) if e.ident == ident);
            let is_closed_impl = self_type_is(item, &ident) && !is_default_impl(item);
            !is_closed_enum && !is_closed_impl
        });
        let insert_at = position.min(types.len());
        for (offset, item) in replacement.items.into_iter().enumerate() {
            types.insert(insert_at + offset, item);
        }
    }
    Ok(())
}

/// One invocation of the crate's `extensible_enum!` macro: the enum's docs,
/// its kind and its documented values; the macro holds the behaviour.
fn enum_tokens(
    ident: &syn::Ident,
    docs: &[&syn::Attribute],
    variants: &[Variant],
    kind: Kind,
) -> TokenStream {
    let kind = match kind {
        Kind::Extensible => quote!(extensible),
        Kind::Tolerant { sent: false } => quote!(tolerant),
        Kind::Tolerant { sent: true } => quote!(tolerant_sent),
    };
    // The macro documents each variant by its wire value; a doc of the
    // spec's own is kept beside it.
    let variants = variants.iter().map(|variant| {
        let (ident, value) = (&variant.ident, &variant.value);
        let wire = format!("`{value}`");
        let docs = variant
            .docs
            .iter()
            .filter(|doc| crate::syntax::doc_text(std::slice::from_ref(doc)).trim() != wire);
        quote! { #(#docs)* #ident = #value, }
    });
    quote! {
        ::inbox_bindings::__private::extensible_enum! {
            #(#docs)*
            pub enum #ident: #kind {
                #(#variants)*
            }
        }
    }
}

#[cfg(test)]
mod tests;
