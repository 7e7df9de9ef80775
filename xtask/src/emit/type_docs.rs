//! Type stage "type docs": a type typify documented only by its own name
//! (`` `Conversation` ``), or not at all, says where it appears. Where is
//! read from the type graph (struct fields, enum variants, list items, map
//! values, option and box contents), the operations (parameters, bodies,
//! what `send` returns) and the webhook events (payloads), never from the
//! output. A type with nowhere to point to gets a plain sentence: this
//! stage never fails a document.

use std::collections::BTreeMap;

use typify::{TypeDetails, TypeEnumVariant, TypeId};

use super::Types;
use crate::naming::{builder_name, snake};
use crate::plan::Plan;
use crate::syntax::{doc_text, module_items};

/// The named types an id stands for (through options, lists, maps, boxes).
fn named(types: &Types, id: &TypeId, out: &mut Vec<String>, depth: usize) {
    let Ok(ty) = types.space.get_type(id) else {
        return;
    };
    if depth > 16 {
        return;
    }
    let details = ty.details();
    match details {
        TypeDetails::Option(inner)
        | TypeDetails::Vec(inner)
        | TypeDetails::Set(inner)
        | TypeDetails::Box(inner)
        | TypeDetails::Array(inner, _) => named(types, &inner, out, depth + 1),
        TypeDetails::Map(key, value) => {
            named(types, &key, out, depth + 1);
            named(types, &value, out, depth + 1);
        }
        TypeDetails::Tuple(items) => {
            for item in items {
                named(types, &item, out, depth + 1);
            }
        }
        TypeDetails::Struct(_) | TypeDetails::Enum(_) | TypeDetails::Newtype(_) => {
            out.push(ty.name())
        }
        TypeDetails::Builtin(_) | TypeDetails::Unit | TypeDetails::String => {}
    };
}

/// Every place each named type appears, in a stable order.
fn places(plan: &Plan, types: &Types) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut record = |id: &TypeId, place: String| {
        let mut names = Vec::new();
        named(types, id, &mut names, 0);
        for name in names {
            let list = found.entry(name).or_default();
            if !list.contains(&place) {
                list.push(place.clone());
            }
        }
    };
    for (operation, operation_types) in plan.model.operations.iter().zip(&types.operations) {
        let builder = builder_name(&operation.id);
        if let Some(id) = &operation_types.success_id {
            record(
                id,
                format!("what [`{builder}::send`](super::builder::{builder}::send) returns"),
            );
        }
        if let Some((body, _)) = &operation_types.body {
            record(
                &body.id,
                format!("the body [`{builder}`](super::builder::{builder}) sends"),
            );
        }
        for (parameter, (named, _)) in operation.parameters.iter().zip(&operation_types.parameters)
        {
            record(
                &named.id,
                format!(
                    "the `{}` parameter of [`{builder}`](super::builder::{builder})",
                    snake(&parameter.name)
                ),
            );
        }
    }
    for (event, payload) in plan
        .webhooks
        .iter()
        .flat_map(|events| &events.events)
        .zip(&types.events)
    {
        record(
            &payload.id,
            format!("the payload of the `{}` event", event.event_type),
        );
    }
    for ty in types.space.iter_types() {
        let parent = ty.name();
        match ty.details() {
            TypeDetails::Struct(details) => {
                for property in details.properties_info() {
                    record(
                        &property.type_id,
                        format!("the `{}` of [`{parent}`]", property.name),
                    );
                }
            }
            TypeDetails::Enum(details) => {
                for variant in details.variants_info() {
                    let place = format!("the `{}` variant of [`{parent}`]", variant.name);
                    match variant.details {
                        TypeEnumVariant::Simple => {}
                        TypeEnumVariant::Tuple(ids) => {
                            for id in ids {
                                record(&id, place.clone());
                            }
                        }
                        TypeEnumVariant::Struct(fields) => {
                            for (field, id) in fields {
                                record(&id, format!("the `{field}` of {place}"));
                            }
                        }
                    }
                }
            }
            TypeDetails::Newtype(details) => {
                record(&details.inner(), format!("the value of [`{parent}`]"));
            }
            _ => {}
        }
    }
    found
}

/// Documents every type of `types` typify documented only by its name.
/// Returns how many it documented.
pub fn document(file: &mut syn::File, plan: &Plan, types: &Types) -> anyhow::Result<usize> {
    let places = places(plan, types);
    let items = module_items(file, "types")?;
    let mut documented = 0;
    for item in items.iter_mut() {
        let (name, attrs) = match item {
            syn::Item::Struct(s) => (s.ident.to_string(), &mut s.attrs),
            syn::Item::Enum(e) => (e.ident.to_string(), &mut e.attrs),
            _ => continue,
        };
        let text = doc_text(attrs);
        let own_name = format!("`{name}`");
        if !text.trim().is_empty() && text.trim() != own_name {
            continue;
        }
        let doc = match places.get(&name).filter(|list| !list.is_empty()) {
            Some(list) => {
                let shown: Vec<&str> = list.iter().take(3).map(String::as_str).collect();
                let more = if list.len() > 3 { ", ..." } else { "" };
                format!("{own_name}: {}{more}.", shown.join(", "))
            }
            None => format!("{own_name}: a type of the `{}` API.", plan.api),
        };
        attrs.retain(|a| !a.path().is_ident("doc"));
        attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
        documented += 1;
    }
    Ok(documented)
}
