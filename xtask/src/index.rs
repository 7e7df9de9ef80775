//! One index of progenitor's output, built once from the generated file and
//! keyed by operationId: each operation's `Client` method and builder, found
//! through progenitor's own `OperationInfo { operation_id }` literal in the
//! builder's `send` (the name progenitor passes to its hooks), never through
//! doc-comment text or token strings. Built and checked against the model:
//! every operation found exactly once, and nothing else. Every Rust stage
//! finds what it rewrites through here.

use std::collections::BTreeMap;

use anyhow::{bail, Context};

use crate::model::Model;
use crate::naming::operation_name;
use crate::syntax::{last_ident, module_items};

/// Where one operation lives in progenitor's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The `Client` method that starts it (`list_conversations`).
    pub method: syn::Ident,
    /// Its builder struct in `builder` (`ListConversations`).
    pub builder: syn::Ident,
}

/// Every operation's entry, by operationId.
#[derive(Debug, Clone, Default)]
pub struct Index {
    entries: BTreeMap<String, Entry>,
}

/// The `operation_id` literal of a `let info = OperationInfo { .. }`.
fn operation_info(statement: &syn::Stmt) -> Option<String> {
    let syn::Stmt::Local(local) = statement else {
        return None;
    };
    let init = local.init.as_ref()?;
    let syn::Expr::Struct(info) = &*init.expr else {
        return None;
    };
    if info.path.segments.last()?.ident != "OperationInfo" {
        return None;
    }
    info.fields
        .iter()
        .find_map(|field| match (&field.member, &field.expr) {
            (
                syn::Member::Named(name),
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }),
            ) if name == "operation_id" => Some(text.value()),
            _ => None,
        })
}

impl Index {
    /// Indexes `file` (progenitor's output, before any stage changed it)
    /// and checks it against `model`.
    pub fn build(file: &mut syn::File, model: &Model) -> anyhow::Result<Index> {
        // progenitor's operation name → builder, from every builder's `send`.
        let mut sends: BTreeMap<String, Vec<syn::Ident>> = BTreeMap::new();
        for item in module_items(file, "builder").context("stage index")?.iter() {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let Some(builder) = last_ident(&block.self_ty) else {
                continue;
            };
            for member in &block.items {
                let syn::ImplItem::Fn(function) = member else {
                    continue;
                };
                if function.sig.ident != "send" {
                    continue;
                }
                for name in function.block.stmts.iter().filter_map(operation_info) {
                    sends
                        .entry(name)
                        .or_default()
                        .push(syn::Ident::new(&builder, proc_macro2::Span::call_site()));
                }
            }
        }
        // Builder → the `Client` methods returning it.
        let mut methods: BTreeMap<String, Vec<syn::Ident>> = BTreeMap::new();
        for item in &file.items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let is_client = block.trait_.is_none()
                && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
            if !is_client {
                continue;
            }
            for member in &block.items {
                let syn::ImplItem::Fn(function) = member else {
                    continue;
                };
                let syn::ReturnType::Type(_, output) = &function.sig.output else {
                    continue;
                };
                let syn::Type::Path(path) = &**output else {
                    continue;
                };
                let segments: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if let [module, builder] = segments.as_slice() {
                    if module == "builder" {
                        methods
                            .entry(builder.clone())
                            .or_default()
                            .push(function.sig.ident.clone());
                    }
                }
            }
        }
        let mut entries = BTreeMap::new();
        for operation in &model.operations {
            let name = operation_name(&operation.id);
            let builder = match sends.remove(&name).as_deref() {
                Some([builder]) => builder.clone(),
                found => bail!(
                    "stage index, operation {}: expected one builder `send` with \
                     `OperationInfo {{ operation_id: {name:?} }}`, found {}: progenitor's output changed",
                    operation.id,
                    found.map_or(0, <[_]>::len)
                ),
            };
            let method = match methods.get(&builder.to_string()).map(Vec::as_slice) {
                Some([method]) => method.clone(),
                found => bail!(
                    "stage index, operation {}: expected one `Client` method returning \
                     `builder::{builder}`, found {}: progenitor's output changed",
                    operation.id,
                    found.map_or(0, <[_]>::len)
                ),
            };
            entries.insert(operation.id.clone(), Entry { method, builder });
        }
        if let Some((name, _)) = sends.iter().next() {
            bail!(
                "stage index: progenitor generated a `send` for `{name}`, which is no operation of the model"
            );
        }
        Ok(Index { entries })
    }

    /// Where `operation_id` lives (every operation of the model has an entry).
    pub fn entry(&self, operation_id: &str) -> &Entry {
        self.entries.get(operation_id).unwrap_or_else(|| {
            panic!("the index was checked against the model, which has no `{operation_id}`")
        })
    }

    /// How many operations it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The non-trait impl blocks of `builder` in the `builder` module.
pub fn builder_impls_mut<'f>(
    file: &'f mut syn::File,
    builder: &syn::Ident,
) -> anyhow::Result<Vec<&'f mut syn::ItemImpl>> {
    Ok(module_items(file, "builder")?
        .iter_mut()
        .filter_map(|item| match item {
            syn::Item::Impl(block)
                if block.trait_.is_none()
                    && last_ident(&block.self_ty).is_some_and(|name| *builder == name) =>
            {
                Some(block)
            }
            _ => None,
        })
        .collect())
}

/// The struct `builder` in the `builder` module.
pub fn builder_struct<'f>(
    file: &'f mut syn::File,
    builder: &syn::Ident,
) -> anyhow::Result<&'f mut syn::ItemStruct> {
    module_items(file, "builder")?
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Struct(found) if found.ident == *builder => Some(found),
            _ => None,
        })
        .with_context(|| format!("no builder struct {builder}"))
}

/// The method `name` of `builder` (exactly one).
pub fn builder_fn_mut<'f>(
    file: &'f mut syn::File,
    builder: &syn::Ident,
    name: &str,
) -> anyhow::Result<&'f mut syn::ImplItemFn> {
    let mut found: Vec<&mut syn::ImplItemFn> = builder_impls_mut(file, builder)?
        .into_iter()
        .flat_map(|block| block.items.iter_mut())
        .filter_map(|member| match member {
            syn::ImplItem::Fn(function) if function.sig.ident == name => Some(function),
            _ => None,
        })
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        count => bail!("builder {builder} has {count} `{name}` methods, expected 1"),
    }
}

/// The `Client` method `method` (exactly one).
pub fn client_method_mut<'f>(
    file: &'f mut syn::File,
    method: &syn::Ident,
) -> anyhow::Result<&'f mut syn::ImplItemFn> {
    let mut found: Vec<&mut syn::ImplItemFn> = file
        .items
        .iter_mut()
        .filter_map(|item| match item {
            syn::Item::Impl(block)
                if block.trait_.is_none()
                    && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client")) =>
            {
                Some(block)
            }
            _ => None,
        })
        .flat_map(|block| block.items.iter_mut())
        .filter_map(|member| match member {
            syn::ImplItem::Fn(function) if function.sig.ident == *method => Some(function),
            _ => None,
        })
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        count => bail!("Client has {count} `{method}` methods, expected 1"),
    }
}
