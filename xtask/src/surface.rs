//! Type stage "surface": typify's `types::error::ConversionError` becomes
//! the crate's `inbox_bindings::InvalidValue`, so no generator type is part
//! of the public API.

use anyhow::bail;
use syn::visit_mut::VisitMut;

use crate::syntax::module_items;

/// Rewrites every path ending in `error::ConversionError`.
#[derive(Default)]
struct CrateConversionError(usize);

impl VisitMut for CrateConversionError {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if names.ends_with(&["error".to_string(), "ConversionError".to_string()]) {
            *path = syn::parse_quote!(::inbox_bindings::InvalidValue);
            self.0 += 1;
            return;
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// typify's `types::error` module goes, and every `ConversionError` path
/// becomes the crate's `inbox_bindings::InvalidValue`.
pub fn crate_conversion_error(file: &mut syn::File) -> anyhow::Result<()> {
    let types = module_items(file, "types")?;
    let before = types.len();
    types.retain(|item| !matches!(item, syn::Item::Mod(module) if module.ident == "error"));
    if before - types.len() != 1 {
        bail!(
            "expected typify's `types::error` module once, found {}",
            before - types.len()
        );
    }
    CrateConversionError::default().visit_file_mut(file);
    Ok(())
}
