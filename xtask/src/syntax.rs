//! Helpers for reading the generated file as a syntax tree (typify's
//! `types` module, doc attributes, serde renames), shared by the type
//! stages and the render stage.

use anyhow::Context;

/// The items of one of the generated file's modules (`types`).
pub fn module_items<'f>(
    file: &'f mut syn::File,
    name: &str,
) -> anyhow::Result<&'f mut Vec<syn::Item>> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == name => {
                module.content.as_mut().map(|(_, items)| items)
            }
            _ => None,
        })
        .with_context(|| format!("the generated file has no `{name}` module"))
}

/// The doc comment text of an item.
pub fn doc_text(attributes: &[syn::Attribute]) -> String {
    attributes
        .iter()
        .filter(|attribute| attribute.path().is_ident("doc"))
        .filter_map(|attribute| match &attribute.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The last segment of a type path (`types::Foo<'a>` → `Foo`).
pub fn last_ident(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    Some(path.path.segments.last()?.ident.to_string())
}

/// The value of `#[serde(rename = "...")]`, if any.
pub fn serde_rename(attributes: &[syn::Attribute]) -> Option<String> {
    let mut renamed = None;
    for attribute in attributes.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    renamed
}
