//! Stage "lean": typify generates a builder (`types::builder::X`, and
//! `X::builder()`) for every struct, but a user only builds what they send.
//! This keeps the builders the operation builders name (request bodies) and
//! removes the rest, with their impls. It also marks every generated type
//! with the `schemars` feature's `JsonSchema` derive.

use std::collections::BTreeSet;

use anyhow::{bail, Context};

use crate::index::Index;
use crate::model::{Extensible, Model};
use crate::syntax::last_ident;

/// The type an impl block is for, and the trait, if any.
fn impl_target(block: &syn::ItemImpl) -> (Option<String>, Option<String>) {
    let target = last_ident(&block.self_ty);
    let trait_name = block
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last().map(|s| s.ident.to_string()));
    (target, trait_name)
}

/// The `X` of a `types::builder::X` somewhere in `ty`.
fn builder_named(ty: &syn::Type) -> Option<String> {
    struct Find(Option<String>);
    impl syn::visit_mut::VisitMut for Find {
        fn visit_type_path_mut(&mut self, path: &mut syn::TypePath) {
            let names: Vec<String> = path
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if let [types, builder, name] = names.as_slice() {
                if types == "types" && builder == "builder" {
                    self.0 = Some(name.clone());
                }
            }
            syn::visit_mut::visit_type_path_mut(self, path);
        }
    }
    let mut find = Find(None);
    syn::visit_mut::VisitMut::visit_type_mut(&mut find, &mut ty.clone());
    find.0
}

/// Adds `#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]`
/// to every struct and enum typify generated in `types` (the enums with an
/// `Unknown` fallback carry their own impl). Returns how many it marked.
pub fn schemars(file: &mut syn::File, extensible: &[Extensible]) -> anyhow::Result<usize> {
    let types = crate::syntax::module_items(file, "types")?;
    let has_own_impl: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(block)
                if block.trait_.as_ref().is_some_and(|(_, path, _)| {
                    path.segments
                        .last()
                        .is_some_and(|s| s.ident == "JsonSchema")
                }) =>
            {
                last_ident(&block.self_ty)
            }
            _ => None,
        })
        .collect();
    // The enums with an `Unknown` fallback, and only they, have their own.
    if has_own_impl.len() != extensible.len() {
        bail!(
            "stage schemars: {} enum(s) with an `Unknown` fallback planned, {} own `JsonSchema` impl(s) found",
            extensible.len(),
            has_own_impl.len()
        );
    }
    let mut marked = 0;
    let attribute: syn::Attribute =
        syn::parse_quote!(#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]);
    for item in types.iter_mut() {
        let (ident, attrs) = match item {
            syn::Item::Struct(s) => (s.ident.to_string(), &mut s.attrs),
            syn::Item::Enum(e) => (e.ident.to_string(), &mut e.attrs),
            _ => continue,
        };
        if ident == "UnknownValue" || has_own_impl.contains(&ident) {
            continue;
        }
        // After the derives, so serde's attributes stay beside them.
        let position = attrs
            .iter()
            .position(|a| a.path().is_ident("derive"))
            .map_or(0, |p| p + 1);
        attrs.insert(position, attribute.clone());
        marked += 1;
    }
    Ok(marked)
}

/// Removes the builders no operation takes; returns how many it removed.
/// The ones kept are the body builders of the operations whose body the
/// model says is an object, each found in its operation's builder (through
/// the index); an operation without such a body must name none.
pub fn rewrite(file: &mut syn::File, model: &Model, index: &Index) -> anyhow::Result<usize> {
    let mut kept = BTreeSet::new();
    for operation in &model.operations {
        let builder = crate::index::builder_struct(file, &index.entry(&operation.id).builder)?;
        let named = builder
            .fields
            .iter()
            .find(|field| field.ident.as_ref().is_some_and(|ident| ident == "body"))
            .and_then(|field| builder_named(&field.ty));
        match (operation.body.is_some_and(|body| body.object), named) {
            (true, Some(name)) => {
                kept.insert(name);
            }
            (false, None) => {}
            (expected, found) => bail!(
                "stage lean, operation {}: the model says its body {} an object, its builder names {}",
                operation.id,
                if expected { "is" } else { "is not" },
                found.map_or("no typify builder".to_string(), |name| format!("`types::builder::{name}`"))
            ),
        }
    }
    let types = crate::syntax::module_items(file, "types")?;
    let Some(builder_position) = types
        .iter()
        .position(|item| matches!(item, syn::Item::Mod(module) if module.ident == "builder"))
    else {
        return Ok(0);
    };
    let syn::Item::Mod(builder_module) = &mut types[builder_position] else {
        unreachable!()
    };
    let builders = &mut builder_module
        .content
        .as_mut()
        .context("typify's builder module has a body")?
        .1;
    let defined: BTreeSet<String> = builders
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            _ => None,
        })
        .collect();
    if let Some(missing) = kept.iter().find(|name| !defined.contains(*name)) {
        anyhow::bail!(
            "stage lean: an operation names `types::builder::{missing}`, which typify did not generate: typify's output changed"
        );
    }
    let dropped: BTreeSet<String> = defined.difference(&kept).cloned().collect();
    builders.retain(|item| match item {
        syn::Item::Struct(s) => !dropped.contains(&s.ident.to_string()),
        syn::Item::Impl(block) => {
            let (target, trait_name) = impl_target(block);
            // `impl From<super::X> for X` is for the builder `X`, and
            // `impl TryFrom<X> for super::X` names it in the trait's argument.
            let for_builder = match trait_name.as_deref() {
                Some("TryFrom") => block.trait_.as_ref().and_then(|(_, path, _)| {
                    let syn::PathArguments::AngleBracketed(arguments) =
                        &path.segments.last()?.arguments
                    else {
                        return None;
                    };
                    arguments.args.iter().find_map(|argument| match argument {
                        syn::GenericArgument::Type(ty) => last_ident(ty),
                        _ => None,
                    })
                }),
                _ => target,
            };
            !for_builder.is_some_and(|name| dropped.contains(&name))
        }
        _ => true,
    });
    let removed = dropped.len();
    if kept.is_empty() {
        types.remove(builder_position);
    }
    // `X::builder()` for the dropped ones.
    types.retain(|item| {
        let syn::Item::Impl(block) = item else {
            return true;
        };
        let (target, trait_name) = impl_target(block);
        let only_builder = trait_name.is_none()
            && block.items.len() == 1
            && matches!(&block.items[0], syn::ImplItem::Fn(f) if f.sig.ident == "builder");
        !(only_builder && target.is_some_and(|name| dropped.contains(&name)))
    });
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_type_derives_json_schema_under_the_feature_but_own_impls() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                #[derive(Clone, serde::Deserialize)]
                #[serde(rename_all = "camelCase")]
                pub struct Page { pub id: i64 }
                pub enum Closed { A }
                pub struct UnknownValue(String);
                pub enum Open { A, Unknown(UnknownValue) }
                impl ::schemars::JsonSchema for Open {}
            }
        };
        let open = Extensible {
            component: "Open".into(),
            reason: "r".into(),
            kind: crate::model::Kind::Extensible,
        };
        assert_eq!(
            schemars(&mut file.clone(), std::slice::from_ref(&open)).unwrap(),
            2
        );
        let error = schemars(&mut file.clone(), &[]).unwrap_err().to_string();
        assert!(error.contains("stage schemars: 0 enum(s)"), "{error}");
        schemars(&mut file, &[open]).unwrap();
        let text = quote::ToTokens::to_token_stream(&file).to_string();
        let derive = "# [cfg_attr (feature = \"schemars\" , derive (:: schemars :: JsonSchema))]";
        assert_eq!(text.matches(derive).count(), 2, "{text}");
        assert!(
            text.contains(&format!(
                "# [derive (Clone , serde :: Deserialize)] {derive} # [serde"
            )),
            "after the derives, before serde's attributes: {text}"
        );
    }
}
