//! Stage "provider error": the `ProviderError` impl of the API's error
//! schema (where its code and message are, from `[<api>.errors]`). The
//! document says whether the schema exists (some operation documents an
//! error body): the stage finds its type exactly then, and fails otherwise.

use anyhow::bail;
use quote::{format_ident, quote};

use crate::plan::ErrorPlan;
use crate::syntax::module_items;

/// Adds `impl ProviderError for <schema>` to the `types` module.
pub fn implement(file: &mut syn::File, errors: &ErrorPlan) -> anyhow::Result<()> {
    if let Some(pointer) = errors
        .code
        .iter()
        .chain(&errors.message)
        .find(|pointer| !pointer.starts_with('/'))
    {
        bail!("stage provider error: error field pointer `{pointer}` must start with `/`");
    }
    let types = module_items(file, "types")?;
    let ident = format_ident!("{}", errors.schema);
    let found = types
        .iter()
        .filter(|item| matches!(item, syn::Item::Struct(s) if s.ident == ident))
        .count();
    match (errors.defined, found) {
        (true, 1) => {}
        (false, 0) => return Ok(()),
        (defined, found) => bail!(
            "stage provider error: the document {} the error schema `{}`, typify generated {found} struct(s) of that name",
            if defined { "defines" } else { "does not define" },
            errors.schema
        ),
    }
    let (code, message) = (&errors.code, &errors.message);
    types.push(syn::parse2(quote! {
        impl ::inbox_bindings::ProviderError for #ident {
            const CODE_POINTERS: &'static [&'static str] = &[#(#code),*];
            const MESSAGE_POINTERS: &'static [&'static str] = &[#(#message),*];
        }
    })?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(defined: bool) -> ErrorPlan {
        ErrorPlan {
            schema: "ApiError".into(),
            defined,
            code: vec!["/code".into()],
            message: vec!["/message".into()],
        }
    }

    #[test]
    fn the_impl_is_added_exactly_when_the_document_defines_the_schema() {
        let with: syn::File =
            syn::parse_quote! { pub mod types { pub struct ApiError(pub serde_json::Value); } };
        let without: syn::File = syn::parse_quote! { pub mod types { pub struct Other; } };
        let mut file = with.clone();
        implement(&mut file, &plan(true)).unwrap();
        assert!(quote!(#file)
            .to_string()
            .contains("ProviderError for ApiError"));
        let mut file = without.clone();
        implement(&mut file, &plan(false)).unwrap();
        assert!(!quote!(#file).to_string().contains("ProviderError"));
        // The shape missing, or there when the document has no such schema.
        let error = implement(&mut without.clone(), &plan(true))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("stage provider error") && error.contains("generated 0"),
            "{error}"
        );
        let error = implement(&mut with.clone(), &plan(false))
            .unwrap_err()
            .to_string();
        assert!(error.contains("does not define"), "{error}");
        let mut bad = plan(true);
        bad.code = vec!["code".into()];
        assert!(implement(&mut with.clone(), &bad).is_err());
    }
}
