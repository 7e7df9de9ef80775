//! Helpers for reading and editing progenitor's output as a syntax tree,
//! shared by every stage that post-processes it.

use anyhow::Context;
use proc_macro2::TokenStream;
use quote::quote;

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

/// The `T` of a setter's `where V: TryInto<T>` (progenitor's typed setters).
pub fn try_into_target(function: &syn::ImplItemFn) -> Option<syn::Type> {
    let clause = function.sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|predicate| {
        let syn::WherePredicate::Type(bound) = predicate else {
            return None;
        };
        let syn::Type::Path(bounded) = &bound.bounded_ty else {
            return None;
        };
        if !bounded.path.is_ident("V") {
            return None;
        }
        bound.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(t) = b else {
                return None;
            };
            let last = t.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
                return None;
            };
            arguments.args.iter().find_map(|argument| match argument {
                syn::GenericArgument::Type(target) => Some(target.clone()),
                _ => None,
            })
        })
    })
}

/// Whether `expr` is a path whose last segment is `name` (`header::ACCEPT`).
pub fn is_path_ending(expr: &syn::Expr, name: &str) -> bool {
    matches!(expr, syn::Expr::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == name))
}

/// The string literal `expr` is, or the one argument of the call it is
/// (`HeaderValue::from_static("x")` → `x`).
pub fn string_argument(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => Some(text.value()),
        syn::Expr::Call(call) if call.args.len() == 1 => string_argument(&call.args[0]),
        _ => None,
    }
}

/// An expression giving the builder field of `parameter` as `Option<String>`.
pub fn field_as_text(builder: &syn::ItemStruct, parameter: &str) -> anyhow::Result<TokenStream> {
    let ident = crate::naming::field_ident(parameter);
    let field = builder
        .fields
        .iter()
        .find(|field| field.ident.as_ref() == Some(&ident))
        .with_context(|| format!("builder {} has no field `{ident}`", builder.ident))?;
    let stored = generic_of(&field.ty, "Result").context("builder fields are Results")?;
    Ok(if generic_of(stored, "Option").is_some() {
        quote! { self.#ident.as_ref().ok().and_then(|value| value.as_ref()).map(|value| value.to_string()) }
    } else {
        quote! { self.#ident.as_ref().ok().map(|value| value.to_string()) }
    })
}

/// The enum an `extensible_enum! { ... enum Name: kind { .. } }` defines.
pub fn macro_enum_name(item: &syn::ItemMacro) -> Option<String> {
    let tokens: Vec<proc_macro2::TokenTree> = item.mac.tokens.clone().into_iter().collect();
    tokens.windows(2).find_map(|pair| match pair {
        [proc_macro2::TokenTree::Ident(keyword), proc_macro2::TokenTree::Ident(name)]
            if keyword == "enum" =>
        {
            Some(name.to_string())
        }
        _ => None,
    })
}
