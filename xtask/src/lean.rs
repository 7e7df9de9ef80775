//! Stage "lean": typify generates a builder (`types::builder::X`, and
//! `X::builder()`) for every struct; a caller sets a request body as the
//! struct itself (the requests stage made the operation builders take it),
//! so no typify builder is used and all go, with their impls. Stage
//! "schemars": marks every generated type with the `schemars` feature's
//! `JsonSchema` derive (the enums of `extensible_enum!` have their own impl).

use anyhow::{bail, Context};

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

/// Whether an item is an invocation of the crate's `extensible_enum!`.
pub fn is_enum_macro(item: &syn::Item) -> bool {
    matches!(item, syn::Item::Macro(found)
        if found.mac.path.segments.last().is_some_and(|s| s.ident == "extensible_enum"))
}

/// Adds `#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]`
/// to every struct and enum typify generated in `types` (the enums of
/// `extensible_enum!` carry their own impl: one invocation per planned
/// enum). Returns how many it marked.
pub fn schemars(file: &mut syn::File, extensible: &[Extensible]) -> anyhow::Result<usize> {
    let types = crate::syntax::module_items(file, "types")?;
    let own = types.iter().filter(|item| is_enum_macro(item)).count();
    if own != extensible.len() {
        bail!(
            "stage schemars: {} enum(s) with an `Unknown` fallback planned, {own} `extensible_enum!` invocation(s) found",
            extensible.len()
        );
    }
    let mut marked = 0;
    let attribute: syn::Attribute =
        syn::parse_quote!(#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]);
    for item in types.iter_mut() {
        let attrs = match item {
            syn::Item::Struct(s) => &mut s.attrs,
            syn::Item::Enum(e) => &mut e.attrs,
            _ => continue,
        };
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

/// Counts paths naming `types::builder::...` (or `builder::...` inside `types`).
#[derive(Default)]
struct BuilderPaths(usize);

impl syn::visit_mut::VisitMut for BuilderPaths {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if names.windows(2).any(|pair| pair == ["types", "builder"]) {
            self.0 += 1;
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// Removes typify's builders (the `types::builder` module and every
/// `X::builder()`); returns how many builder structs it removed. The
/// model's object bodies each had one (typify makes a builder for every
/// struct), and once removed no path may name one.
pub fn rewrite(file: &mut syn::File, model: &Model) -> anyhow::Result<usize> {
    let object_bodies = model
        .operations
        .iter()
        .filter(|operation| operation.body.is_some_and(|body| body.object))
        .count();
    let types = crate::syntax::module_items(file, "types")?;
    let builder_module = types
        .iter()
        .position(|item| matches!(item, syn::Item::Mod(module) if module.ident == "builder"));
    let removed = match builder_module {
        Some(position) => {
            let syn::Item::Mod(module) = types.remove(position) else {
                unreachable!("found as a module")
            };
            module
                .content
                .context("typify's builder module has a body")?
                .1
                .iter()
                .filter(|item| matches!(item, syn::Item::Struct(_)))
                .count()
        }
        None => 0,
    };
    if object_bodies > 0 && removed == 0 {
        bail!(
            "stage lean: the model has {object_bodies} object body(ies), typify generated no builder module: typify's output changed"
        );
    }
    // `X::builder()`, each alone in an impl.
    types.retain(|item| {
        let syn::Item::Impl(block) = item else {
            return true;
        };
        let (_, trait_name) = impl_target(block);
        let only_builder = trait_name.is_none()
            && block.items.len() == 1
            && matches!(&block.items[0], syn::ImplItem::Fn(f) if f.sig.ident == "builder");
        !only_builder
    });
    let mut left = BuilderPaths::default();
    syn::visit_mut::VisitMut::visit_file_mut(&mut left, file);
    if left.0 > 0 {
        bail!(
            "stage lean: {} path(s) still name `types::builder::...` after the requests stage: \
             an operation builder takes a typify builder",
            left.0
        );
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_type_derives_json_schema_under_the_feature_but_the_enum_macros() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                #[derive(Clone, serde::Deserialize)]
                #[serde(rename_all = "camelCase")]
                pub struct Page { pub id: i64 }
                pub enum Closed { A }
                ::inbox_bindings::__private::extensible_enum! { pub enum Open: extensible { A = "a", } }
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
