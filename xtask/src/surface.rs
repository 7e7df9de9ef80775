//! Stages "surface" and "type docs": what users of a provider module can
//! name is the crate's choice, not the generator's. progenitor's `prelude`
//! goes, builder constructors are the crate's own (`client.op()` is the one
//! way in), typify's `types::error::ConversionError` becomes the crate's
//! `inbox_bindings::InvalidValue`, and each `request()` loses the header map
//! it no longer fills. A type typify documented only by its own name is
//! documented by where it appears.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use syn::visit_mut::VisitMut;

use crate::index::{builder_fn_mut, Index};
use crate::model::Model;
use crate::syntax::{doc_text, module_items, serde_rename};

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

/// Counts the uses of the identifier `header_map` in a block.
#[derive(Default)]
struct HeaderMapUses(usize);

impl VisitMut for HeaderMapUses {
    fn visit_ident_mut(&mut self, ident: &mut proc_macro2::Ident) {
        if ident == "header_map" {
            self.0 += 1;
        }
    }
}

/// `.headers(header_map)` in a chain: replaced by its receiver.
#[derive(Default)]
struct DropHeadersCall(usize);

impl VisitMut for DropHeadersCall {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr {
            let of_header_map = matches!(call.args.first(), Some(syn::Expr::Path(p)) if p.path.is_ident("header_map"));
            if call.method == "headers" && call.args.len() == 1 && of_header_map {
                *expr = (*call.receiver).clone();
                self.0 += 1;
            }
        }
    }
}

/// Removes `let mut header_map = ...` and `.headers(header_map)` from an
/// operation's `request()` when nothing else fills the map (progenitor's
/// `api-version` header, the only one, is gone).
fn drop_unused_header_map(function: &mut syn::ImplItemFn) -> anyhow::Result<()> {
    let declared = function
        .block
        .stmts
        .iter()
        .filter(|statement| {
            matches!(statement, syn::Stmt::Local(local)
                if matches!(&local.pat, syn::Pat::Ident(binding) if binding.ident == "header_map"))
        })
        .count();
    if declared != 1 {
        bail!("expected one `let mut header_map` in request(), found {declared}");
    }
    let mut uses = HeaderMapUses::default();
    uses.visit_block_mut(&mut function.block);
    // The `let` and `.headers(header_map)`: nothing appends to it.
    if uses.0 > 2 {
        return Ok(());
    }
    function.block.stmts.retain(|statement| {
        !matches!(statement, syn::Stmt::Local(local)
            if matches!(&local.pat, syn::Pat::Ident(binding) if binding.ident == "header_map"))
    });
    let mut drop = DropHeadersCall::default();
    drop.visit_block_mut(&mut function.block);
    if drop.0 != 1 {
        bail!(
            "expected `.headers(header_map)` once in request(), found {}",
            drop.0
        );
    }
    // The `#[allow(unused_mut)]` progenitor put on the request binding stays harmless.
    Ok(())
}

/// Stage "surface".
pub fn curate(file: &mut syn::File, model: &Model, index: &Index) -> anyhow::Result<()> {
    let before = file.items.len();
    file.items
        .retain(|item| !matches!(item, syn::Item::Mod(module) if module.ident == "prelude"));
    if before - file.items.len() != 1 {
        bail!(
            "stage surface: expected progenitor's `prelude` module once, found {}",
            before - file.items.len()
        );
    }
    for operation in &model.operations {
        let builder = &index.entry(&operation.id).builder;
        let new = builder_fn_mut(file, builder, "new")
            .with_context(|| format!("stage surface, operation {}", operation.id))?;
        new.vis = syn::parse_quote!(pub(crate));
        let request = builder_fn_mut(file, builder, "request")
            .with_context(|| format!("stage surface, operation {}", operation.id))?;
        drop_unused_header_map(request)
            .with_context(|| format!("stage surface, operation {}", operation.id))?;
    }
    let types = module_items(file, "types")?;
    let before = types.len();
    types.retain(|item| !matches!(item, syn::Item::Mod(module) if module.ident == "error"));
    if before - types.len() != 1 {
        bail!(
            "stage surface: expected typify's `types::error` module once, found {}",
            before - types.len()
        );
    }
    let mut conversion = CrateConversionError::default();
    conversion.visit_file_mut(file);
    Ok(())
}

/// Where a type appears: (what it is there, where) pairs, in file order.
fn usages(file: &syn::File) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Which type names a type mentions, through any wrapper.
    fn mentioned(ty: &syn::Type) -> Vec<String> {
        struct Names(Vec<String>);
        impl VisitMut for Names {
            fn visit_type_path_mut(&mut self, path: &mut syn::TypePath) {
                if let Some(last) = path.path.segments.last() {
                    self.0.push(last.ident.to_string());
                }
                syn::visit_mut::visit_type_path_mut(self, path);
            }
        }
        let mut names = Names(Vec::new());
        names.visit_type_mut(&mut ty.clone());
        names.0
    }
    for item in &file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        let Some((_, items)) = &module.content else {
            continue;
        };
        for item in items {
            match item {
                // A field of another type.
                syn::Item::Struct(parent) if module.ident == "types" => {
                    for field in &parent.fields {
                        let wire = serde_rename(&field.attrs).or_else(|| {
                            field
                                .ident
                                .as_ref()
                                .map(|i| i.to_string().trim_start_matches("r#").to_string())
                        });
                        let place = match wire {
                            Some(name) => format!("the `{name}` of [`{}`]", parent.ident),
                            None => format!("the value of [`{}`]", parent.ident),
                        };
                        for name in mentioned(&field.ty) {
                            found.entry(name).or_default().push(place.clone());
                        }
                    }
                }
                // What an operation's `send` returns.
                syn::Item::Impl(block) if module.ident == "builder" => {
                    for member in &block.items {
                        let syn::ImplItem::Fn(function) = member else {
                            continue;
                        };
                        if function.sig.ident != "send" {
                            continue;
                        }
                        let syn::ReturnType::Type(_, output) = &function.sig.output else {
                            continue;
                        };
                        let builder = crate::syntax::last_ident(&block.self_ty).unwrap_or_default();
                        for name in mentioned(output) {
                            found.entry(name).or_default().push(format!(
                                "what [`{builder}::send`](super::builder::{builder}::send) returns"
                            ));
                        }
                    }
                }
                // What an operation's builder holds: its body, its parameters.
                syn::Item::Struct(builder) if module.ident == "builder" => {
                    for field in &builder.fields {
                        let Some(name) = &field.ident else {
                            continue;
                        };
                        let place = if name == "body" {
                            format!("the body [`{0}`](super::builder::{0}) sends", builder.ident)
                        } else {
                            format!(
                                "the `{}` parameter of [`{1}`](super::builder::{1})",
                                name.to_string().trim_start_matches("r#"),
                                builder.ident
                            )
                        };
                        for type_name in mentioned(&field.ty) {
                            found.entry(type_name).or_default().push(place.clone());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// Stage "type docs": a type typify documented only by its own name
/// (`` `Conversation` ``) says where it appears. Returns how many it
/// documented; fails for one that appears nowhere.
pub fn type_docs(file: &mut syn::File) -> anyhow::Result<usize> {
    let usages = usages(file);
    let types = module_items(file, "types")?;
    let mut documented = 0;
    for item in types.iter_mut() {
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
        let places = usages.get(&name).cloned().unwrap_or_default();
        if places.is_empty() {
            bail!("stage type docs: `{name}` is documented only by its name and appears nowhere");
        }
        let mut unique: Vec<String> = Vec::new();
        for place in places {
            if !unique.contains(&place) {
                unique.push(place);
            }
        }
        let shown: Vec<&str> = unique.iter().take(3).map(String::as_str).collect();
        let more = if unique.len() > 3 { ", ..." } else { "" };
        let doc = format!("{own_name}: {}{more}.", shown.join(", "));
        attrs.retain(|a| !a.path().is_ident("doc"));
        attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
        documented += 1;
    }
    Ok(documented)
}
