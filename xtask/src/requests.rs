//! What a generated request puts on the wire beyond progenitor's defaults:
//! vendor JSON media types (`application/vnd.x+json`, `+jsonld`) in `Accept`
//! and `Content-Type`, optional request bodies sent only when set, and IRI
//! path parameters (`/conversations/JYnJBY` accepted, `JYnJBY` sent).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context};
use quote::quote;
use serde_json::{json, Value};
use syn::visit_mut::VisitMut;

use crate::config::IriParameter;
use crate::document::child;
use crate::index::Index;
use crate::model::{Model, RequestShape};
use crate::naming::snake;
use crate::openapi_walk::METHODS;
use crate::report::Report;
use crate::syntax::{is_path_ending, last_ident, module_items, string_argument, try_into_target};

/// Whether a media type is JSON under a vendor name (`+json`, `+jsonld`).
pub fn is_vendor_json(media_type: &str) -> bool {
    let essence = crate::document::media_type_essence(media_type);
    essence != "application/json" && (essence.ends_with("+json") || essence.ends_with("+jsonld"))
}

/// Renames vendor JSON content keys to `application/json` (the only JSON
/// progenitor knows) in the object at `pointer`; returns the vendor type.
fn rename_content(doc: &mut Value, pointer: &str, report: &mut Report) -> Option<String> {
    let content = doc
        .pointer_mut(&child(pointer, "content"))?
        .as_object_mut()?;
    let vendor = content.keys().find(|key| is_vendor_json(key)).cloned()?;
    if content.contains_key("application/json") {
        return None;
    }
    let media = content.remove(&vendor)?;
    content.insert("application/json".to_string(), media);
    report.applied(crate::report::Rule::VendorJsonMediaType);
    Some(vendor)
}

fn local_target(doc: &Value, pointer: &str) -> String {
    doc.pointer(pointer)
        .and_then(|node| node.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
        .map(str::to_string)
        .unwrap_or_else(|| pointer.to_string())
}

/// The document stage: records each operation's request shape and rewrites
/// what progenitor cannot read.
pub fn detect(
    doc: &mut Value,
    iri_parameters: &[IriParameter],
    report: &mut Report,
) -> anyhow::Result<BTreeMap<String, RequestShape>> {
    let mut shapes = BTreeMap::new();
    let mut operations = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(id) = item
                    .get(method)
                    .and_then(|o| o.get("operationId"))
                    .and_then(Value::as_str)
                {
                    operations.push((
                        child(&child("/paths", path), method),
                        id.to_string(),
                        path.clone(),
                    ));
                }
            }
        }
    }
    let mut renamed: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut rename_once =
        |doc: &mut Value, pointer: String, report: &mut Report| -> Option<String> {
            if let Some(done) = renamed.get(&pointer) {
                return done.clone();
            }
            let vendor = rename_content(doc, &pointer, report);
            renamed.insert(pointer, vendor.clone());
            vendor
        };
    let mut used_iri = BTreeSet::new();
    for (pointer, id, path) in operations {
        let mut shape = RequestShape::default();
        let body_pointer = child(&pointer, "requestBody");
        if doc.pointer(&body_pointer).is_some() {
            let target = local_target(doc, &body_pointer);
            shape.content_type = rename_once(doc, target.clone(), report);
            let required =
                doc.pointer(&target).and_then(|b| b.get("required")) == Some(&json!(true));
            if !required {
                shape.optional_body = true;
                report.applied(crate::report::Rule::OptionalRequestBody);
            }
        }
        let statuses: Vec<String> = doc
            .pointer(&child(&pointer, "responses"))
            .and_then(Value::as_object)
            .map(|responses| responses.keys().cloned().collect())
            .unwrap_or_default();
        for status in statuses {
            let target = local_target(doc, &child(&child(&pointer, "responses"), &status));
            let vendor = rename_once(doc, target, report);
            if status.starts_with('2') && shape.accept.is_none() {
                shape.accept = vendor;
            }
        }
        for iri in iri_parameters {
            if !path.contains(&format!("{{{}}}", iri.parameter)) {
                continue;
            }
            let parameters = doc
                .pointer_mut(&child(&pointer, "parameters"))
                .and_then(Value::as_array_mut);
            let Some(parameter) = parameters.into_iter().flatten().find(|p| {
                p.get("in").and_then(Value::as_str) == Some("path")
                    && p.get("name").and_then(Value::as_str) == Some(&iri.parameter)
            }) else {
                bail!(
                    "path parameter `{}` of {id} must be declared inline for iri_path_parameters",
                    iri.parameter
                );
            };
            // A slug is one non-empty path segment: checked before sending.
            parameter["schema"] = json!({"type": "string", "pattern": "^[^/]+$",
                "description": format!("A slug, or the IRI `{}<slug>`.", iri.prefix)});
            shape.iri_parameters.push(iri.clone());
            used_iri.insert(iri.parameter.clone());
            report.applied(crate::report::Rule::IriPathParameter);
        }
        if shape != RequestShape::default() {
            shapes.insert(id, shape);
        }
    }
    for iri in iri_parameters {
        if !used_iri.contains(&iri.parameter) {
            bail!(
                "overrides.iri_path_parameters names `{}`, which no path has",
                iri.parameter
            );
        }
    }
    Ok(shapes)
}

// ---------------------------------------------------------------------------
// The Rust stage

/// Rewrites `accept`, `.json(&body)` in one `send` function.
struct SendRewrite<'s> {
    shape: &'s RequestShape,
    accept_rewritten: usize,
    json_rewritten: usize,
}

impl VisitMut for SendRewrite<'_> {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method == "header" && call.args.len() == 2 {
            let accept_json = is_path_ending(&call.args[0], "ACCEPT")
                && string_argument(&call.args[1]).as_deref() == Some("application/json");
            if let (Some(accept), true) = (&self.shape.accept, accept_json) {
                call.args[1] =
                    syn::parse_quote!(::reqwest::header::HeaderValue::from_static(#accept));
                self.accept_rewritten += 1;
            }
        } else if call.method == "json" && call.args.len() == 1 {
            let receiver = &call.receiver;
            let content_type = self
                .shape
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json".to_string());
            let body = if self.shape.optional_body {
                quote!(body.as_ref())
            } else {
                quote!(::std::option::Option::Some(&body))
            };
            *expr = syn::parse_quote!(::inbox_bindings::__private::json_body(#receiver, #body, #content_type));
            self.json_rewritten += 1;
        }
    }
}

/// Whether `types` has a `Default` for `name` (derived or implemented).
fn has_default(types: &[syn::Item], name: &str) -> bool {
    types.iter().any(|item| match item {
        syn::Item::Struct(found) if found.ident == name => found.attrs.iter().any(|attribute| {
            attribute.path().is_ident("derive")
                && attribute
                    .parse_args_with(
                        syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                    )
                    .is_ok_and(|paths| {
                        paths
                            .iter()
                            .any(|path| path.segments.last().is_some_and(|s| s.ident == "Default"))
                    })
        }),
        syn::Item::Impl(block) => {
            last_ident(&block.self_ty).as_deref() == Some(name)
                && block.trait_.as_ref().is_some_and(|(_, path, _)| {
                    path.segments.last().is_some_and(|s| s.ident == "Default")
                })
        }
        _ => false,
    })
}

/// The body as the generated type itself: progenitor keeps an object body
/// as typify's builder (`types::builder::X`, shaped by `body_map`) and
/// converts it when sending; the caller sets the struct instead (`body(X {
/// .. })`), so no typify builder is public. Rewrites the field, `new` (a
/// body with required fields starts unset), `body`, `send`, and removes
/// `body_map`: five places.
fn direct_body(file: &mut syn::File, builder: &syn::Ident) -> anyhow::Result<()> {
    let mut changed = 0;
    let mut body_type = None;
    {
        let fields = crate::index::builder_struct(file, builder)?;
        for field in fields.fields.iter_mut() {
            if field.ident.as_ref().is_some_and(|i| i == "body") {
                struct Unbuild(Option<syn::Ident>);
                impl VisitMut for Unbuild {
                    fn visit_type_path_mut(&mut self, path: &mut syn::TypePath) {
                        let names: Vec<String> = path
                            .path
                            .segments
                            .iter()
                            .map(|s| s.ident.to_string())
                            .collect();
                        if let [types, builder, name] = names.as_slice() {
                            if types == "types" && builder == "builder" {
                                let ident = syn::Ident::new(name, proc_macro2::Span::call_site());
                                *path = syn::parse_quote!(types::#ident);
                                self.0 = Some(ident);
                                return;
                            }
                        }
                        syn::visit_mut::visit_type_path_mut(self, path);
                    }
                }
                let mut unbuild = Unbuild(None);
                unbuild.visit_type_mut(&mut field.ty);
                body_type = unbuild.0;
                changed += usize::from(body_type.is_some());
            }
        }
    }
    let body_type = body_type.context("the body field names no `types::builder::X`")?;
    let defaultable = has_default(module_items(file, "types")?, &body_type.to_string());
    for block in crate::index::builder_impls_mut(file, builder)? {
        let before = block.items.len();
        block
            .items
            .retain(|member| !matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "body_map"));
        changed += before - block.items.len();
        for member in block.items.iter_mut() {
            let syn::ImplItem::Fn(function) = member else {
                continue;
            };
            match function.sig.ident.to_string().as_str() {
                "new" if !defaultable => {
                    struct Unset;
                    impl VisitMut for Unset {
                        fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
                            if matches!(&field.member, syn::Member::Named(i) if i == "body") {
                                field.expr =
                                    syn::parse_quote!(Err("body was not initialized".to_string()));
                            }
                        }
                    }
                    Unset.visit_block_mut(&mut function.block);
                    changed += 1;
                }
                "new" => changed += 1,
                "body" => {
                    // `value.try_into().map(From::from).map_err(..)`: no conversion to a builder.
                    struct NoFrom(usize);
                    impl VisitMut for NoFrom {
                        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
                            syn::visit_mut::visit_expr_mut(self, expr);
                            if let syn::Expr::MethodCall(call) = expr {
                                if call.method == "map"
                                    && call.args.len() == 1
                                    && matches!(&call.args[0], syn::Expr::Path(p)
                                        if p.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>() == ["From", "from"])
                                {
                                    *expr = (*call.receiver).clone();
                                    self.0 += 1;
                                }
                            }
                        }
                    }
                    let mut no_from = NoFrom(0);
                    no_from.visit_block_mut(&mut function.block);
                    changed += no_from.0;
                }
                "send" => {
                    // `body.and_then(|v| types::X::try_from(v)...)`: nothing to convert.
                    struct NoConversion(usize);
                    impl VisitMut for NoConversion {
                        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
                            syn::visit_mut::visit_expr_mut(self, expr);
                            if let syn::Expr::MethodCall(call) = expr {
                                let on_body = matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("body"));
                                if call.method == "and_then" && on_body {
                                    *expr = (*call.receiver).clone();
                                    self.0 += 1;
                                }
                            }
                        }
                    }
                    let mut no_conversion = NoConversion(0);
                    no_conversion.visit_block_mut(&mut function.block);
                    changed += no_conversion.0;
                }
                _ => {}
            }
        }
    }
    if changed != 5 {
        bail!(
            "body of {builder}: rewrote {changed} of 5 places (field, new, body, send, body_map); progenitor's builder changed"
        );
    }
    Ok(())
}

/// Makes the `body` builder field optional: `Result<Option<T>, String>`,
/// unset by default, set by `body()`/`body_map()`.
fn optional_body(builder: &mut [syn::Item], name: &str) -> anyhow::Result<()> {
    let mut changed = 0;
    for item in builder.iter_mut() {
        match item {
            syn::Item::Struct(s) if s.ident == name => {
                for field in s.fields.iter_mut() {
                    if field.ident.as_ref().is_some_and(|i| i == "body") {
                        let syn::Type::Path(path) = &mut field.ty else {
                            bail!("body field is not a Result")
                        };
                        let last = path.path.segments.last_mut().context("body field type")?;
                        let syn::PathArguments::AngleBracketed(arguments) = &mut last.arguments
                        else {
                            bail!("body field is not a Result<T, String>")
                        };
                        let syn::GenericArgument::Type(inner) = &arguments.args[0] else {
                            bail!("body type")
                        };
                        let inner = inner.clone();
                        arguments.args[0] = syn::GenericArgument::Type(
                            syn::parse_quote!(::std::option::Option<#inner>),
                        );
                        changed += 1;
                    }
                }
            }
            syn::Item::Impl(block)
                if last_ident(&block.self_ty).as_deref() == Some(name)
                    && block.trait_.is_none() =>
            {
                for member in block.items.iter_mut() {
                    let syn::ImplItem::Fn(function) = member else {
                        continue;
                    };
                    match function.sig.ident.to_string().as_str() {
                        "new" => {
                            struct Init;
                            impl VisitMut for Init {
                                fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
                                    if matches!(&field.member, syn::Member::Named(i) if i == "body")
                                    {
                                        field.expr =
                                            syn::parse_quote!(Ok(::std::option::Option::None));
                                    }
                                }
                            }
                            Init.visit_block_mut(&mut function.block);
                            changed += 1;
                        }
                        "body" => {
                            struct Wrap;
                            impl VisitMut for Wrap {
                                fn visit_expr_assign_mut(&mut self, assign: &mut syn::ExprAssign) {
                                    let right = &assign.right;
                                    *assign.right = syn::parse_quote!((#right).map(::std::option::Option::Some));
                                }
                            }
                            Wrap.visit_block_mut(&mut function.block);
                            changed += 1;
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if changed != 3 {
        bail!(
            "optional body of {name}: rewrote {changed} of 3 places (field, new, body); progenitor's builder changed"
        );
    }
    Ok(())
}

/// Strips the IRI prefix at the start of the parameter type's `from_str`, so
/// every conversion (`TryFrom<&str>`, `Deserialize`) accepts IRI or slug.
fn iri_parameter(
    file: &mut syn::File,
    builder: &str,
    parameter: &str,
    prefix: &str,
) -> anyhow::Result<()> {
    let setter = snake(parameter);
    let builder_items = module_items(file, "builder")?;
    // The parameter's type, from the setter's `V: TryInto<types::X>` bound.
    let type_name = builder_items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(block) if last_ident(&block.self_ty).as_deref() == Some(builder) => {
                Some(block)
            }
            _ => None,
        })
        .flat_map(|block| block.items.iter())
        .find_map(|member| match member {
            syn::ImplItem::Fn(function) if function.sig.ident == setter => {
                last_ident(&try_into_target(function)?)
            }
            _ => None,
        })
        .with_context(|| format!("no typed setter `{setter}` on {builder}"))?;
    let types = module_items(file, "types")?;
    let mut patched = 0;
    for item in types.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let is_from_str = block
            .trait_
            .as_ref()
            .is_some_and(|(_, path, _)| path.segments.last().is_some_and(|s| s.ident == "FromStr"));
        if !is_from_str || last_ident(&block.self_ty).as_deref() != Some(type_name.as_str()) {
            continue;
        }
        for member in block.items.iter_mut() {
            if let syn::ImplItem::Fn(function) = member {
                if function.sig.ident == "from_str" {
                    function.block.stmts.insert(0, syn::parse_quote!(let value = value.strip_prefix(#prefix).unwrap_or(value);));
                    patched += 1;
                }
            }
        }
    }
    if patched != 1 {
        bail!("no FromStr for `{type_name}` to accept IRIs of {prefix}");
    }
    Ok(())
}

/// The Rust stage: applies every operation's request shape, through the
/// index, each rewrite counted against what the model says.
pub fn rewrite(file: &mut syn::File, model: &Model, index: &Index) -> anyhow::Result<()> {
    for operation in &model.operations {
        let shape = &operation.request;
        let operation_id = &operation.id;
        let builder = index.entry(operation_id).builder.to_string();
        for iri in &shape.iri_parameters {
            iri_parameter(file, &builder, &iri.parameter, &iri.prefix)
                .with_context(|| format!("stage requests, {operation_id}"))?;
        }
        if operation.body.is_some_and(|body| body.object) {
            direct_body(file, &index.entry(operation_id).builder)
                .with_context(|| format!("stage requests, {operation_id}"))?;
        }
        let builder_items = module_items(file, "builder")?;
        if shape.optional_body {
            optional_body(builder_items, &builder)
                .with_context(|| format!("stage requests, {operation_id}"))?;
        }
        if shape.accept.is_none() && shape.content_type.is_none() && !shape.optional_body {
            continue;
        }
        let send = crate::index::builder_fn_mut(file, &index.entry(operation_id).builder, "send")
            .with_context(|| format!("stage requests, {operation_id}"))?;
        let mut rewrite = SendRewrite {
            shape,
            accept_rewritten: 0,
            json_rewritten: 0,
        };
        rewrite.visit_block_mut(&mut send.block);
        if shape.accept.is_some() && rewrite.accept_rewritten != 1 {
            bail!(
                "stage requests, {operation_id}: expected 1 Accept header to rewrite, found {}",
                rewrite.accept_rewritten
            );
        }
        let has_body = shape.content_type.is_some() || shape.optional_body;
        if has_body && rewrite.json_rewritten != 1 {
            bail!(
                "stage requests, {operation_id}: expected 1 JSON body to rewrite, found {}",
                rewrite.json_rewritten
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_json_media_types_are_recognized() {
        assert!(is_vendor_json("application/vnd.textus+jsonld"));
        assert!(is_vendor_json("application/problem+json; charset=utf-8"));
        assert!(!is_vendor_json("application/json"));
        assert!(!is_vendor_json("text/plain"));
    }

    #[test]
    fn detects_media_types_optional_bodies_and_iri_parameters() {
        let mut doc = json!({"paths": {"/conversations/{conversation}/read": {"put": {
            "operationId": "readConversation",
            "parameters": [{"name": "conversation", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/vnd.textus+jsonld": {"schema": {"type": "object"}}}},
            "responses": {
                "200": {"description": "ok", "content": {"application/vnd.textus+jsonld": {"schema": {}}}},
                "404": {"$ref": "#/components/responses/Error"}}}}},
            "components": {"responses": {"Error": {"description": "e",
                "content": {"application/vnd.textus+jsonld": {"schema": {}}}}}}});
        let iri = [IriParameter {
            parameter: "conversation".into(),
            prefix: "/conversations/".into(),
        }];
        let mut report = Report::default();
        let shapes = detect(&mut doc, &iri, &mut report).unwrap();
        let shape = &shapes["readConversation"];
        assert_eq!(
            shape.accept.as_deref(),
            Some("application/vnd.textus+jsonld")
        );
        assert_eq!(
            shape.content_type.as_deref(),
            Some("application/vnd.textus+jsonld")
        );
        assert!(shape.optional_body);
        assert_eq!(shape.iri_parameters, iri);
        assert!(doc
            .pointer("/components/responses/Error/content/application~1json")
            .is_some());
        assert_eq!(
            doc.pointer(
                "/paths/~1conversations~1{conversation}~1read/put/parameters/0/schema/pattern"
            ),
            Some(&json!("^[^/]+$"))
        );
        let mut doc_without = json!({"paths": {}});
        let error = detect(&mut doc_without, &iri, &mut report).unwrap_err();
        assert!(error.to_string().contains("`conversation`"), "{error}");
    }
}
