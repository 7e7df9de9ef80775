//! Stage "lean": typify generates a builder (`types::builder::X`, and
//! `X::builder()`) for every struct, but a user only builds what they send.
//! This keeps the builders the operation builders name (request bodies) and
//! removes the rest, with their impls. It also marks every generated type
//! with the `schemars` feature's `JsonSchema` derive.

use std::collections::BTreeSet;

use anyhow::Context;
use quote::ToTokens;

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

/// The `X` of every `types::builder::X` in `tokens`.
fn builders_named(tokens: &str, into: &mut BTreeSet<String>) {
    let mut rest = tokens;
    while let Some(at) = rest.find("types :: builder :: ") {
        rest = &rest[at + "types :: builder :: ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            into.insert(name);
        }
    }
}

/// Adds `#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]`
/// to every struct and enum typify generated in `types` (the enums with an
/// `Unknown` fallback carry their own impl). Returns how many it marked.
pub fn schemars(file: &mut syn::File) -> anyhow::Result<usize> {
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
pub fn rewrite(file: &mut syn::File) -> anyhow::Result<usize> {
    // Builders the operations name, from everything outside `types`.
    let mut kept = BTreeSet::new();
    for item in &file.items {
        if matches!(item, syn::Item::Mod(module) if module.ident == "types") {
            continue;
        }
        builders_named(&item.to_token_stream().to_string(), &mut kept);
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
                Some("TryFrom") => block
                    .trait_
                    .as_ref()
                    .map(|(_, path, _)| path.to_token_stream().to_string())
                    .and_then(|text| {
                        text.rsplit_once('<')
                            .map(|(_, argument)| argument.trim_end_matches('>').trim().to_string())
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
        assert_eq!(schemars(&mut file).unwrap(), 2);
        let text = file.to_token_stream().to_string();
        let derive = "# [cfg_attr (feature = \"schemars\" , derive (:: schemars :: JsonSchema))]";
        assert_eq!(text.matches(derive).count(), 2, "{text}");
        assert!(
            text.contains(&format!(
                "# [derive (Clone , serde :: Deserialize)] {derive} # [serde"
            )),
            "after the derives, before serde's attributes: {text}"
        );
    }

    #[test]
    fn keeps_the_builders_operations_take_and_drops_the_rest() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Sent { pub a: i64 }
                impl Sent { pub fn builder() -> builder::Sent { Default::default() } }
                pub struct Got { pub b: i64 }
                impl Got { pub fn builder() -> builder::Got { Default::default() } }
                impl Got { pub fn other(&self) {} }
                pub mod builder {
                    pub struct Sent { a: Result<i64, String> }
                    impl Default for Sent { fn default() -> Self { todo!() } }
                    impl Sent { pub fn a(self) -> Self { self } }
                    impl ::std::convert::TryFrom<Sent> for super::Sent { type Error = String; fn try_from(v: Sent) -> Result<Self, String> { todo!() } }
                    impl ::std::convert::From<super::Sent> for Sent { fn from(v: super::Sent) -> Self { todo!() } }
                    pub struct Got { b: Result<i64, String> }
                    impl Default for Got { fn default() -> Self { todo!() } }
                    impl Got { pub fn b(self) -> Self { self } }
                    impl ::std::convert::TryFrom<Got> for super::Got { type Error = String; fn try_from(v: Got) -> Result<Self, String> { todo!() } }
                    impl ::std::convert::From<super::Got> for Got { fn from(v: super::Got) -> Self { todo!() } }
                }
            }
            pub mod builder {
                pub struct Touch { body: Result<types::builder::Sent, String> }
            }
        };
        assert_eq!(rewrite(&mut file).unwrap(), 1);
        let text = file.to_token_stream().to_string();
        assert!(text.contains("pub struct Sent { a"), "{text}");
        assert!(!text.contains("pub struct Got { b"), "{text}");
        assert!(!text.contains("for super :: Got"), "{text}");
        assert!(!text.contains("builder :: Got"), "{text}");
        assert!(text.contains("fn other"), "other impls stay: {text}");
        assert!(text.contains("builder :: Sent"), "{text}");
    }
}
