//! Type stage "schemars": marks every generated type with the `schemars`
//! feature's `JsonSchema` derive (the enums of `extensible_enum!` have
//! their own impl).

use anyhow::bail;

use crate::model::Extensible;

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
