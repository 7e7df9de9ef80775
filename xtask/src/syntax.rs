//! Helpers for reading and editing progenitor's output as a syntax tree,
//! shared by every stage that post-processes it.

use anyhow::Context;

/// The items of one of the generated modules (`types`, `builder`).
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
        .with_context(|| format!("progenitor output has no `{name}` module"))
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

/// The first generic argument of `Wrapper<T>` when the last path segment is `wrapper`.
pub fn generic_of<'t>(ty: &'t syn::Type, wrapper: &str) -> Option<&'t syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if segment.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    })
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
