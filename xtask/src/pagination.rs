//! Cursor pagination: finds every operation that follows its API's
//! convention (declared in `codegen.toml`) and generates `.pages()` and
//! `.stream()` on its builder, over `inbox_bindings::pagination`.

use anyhow::{bail, Context};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use std::collections::BTreeMap;

use crate::config::Convention;
use crate::document::{parameters, resolve};
use crate::index::Index;
use crate::model::{Bounds, Model, PageSize, Pagination};
use crate::openapi_walk::METHODS;
use crate::report::Report;
use crate::syntax::{generic_of, last_ident, module_items, serde_rename};

fn success_schema<'a>(doc: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    let responses = operation.get("responses")?.as_object()?;
    let (_, response) = responses
        .iter()
        .find(|(status, _)| status.starts_with('2'))?;
    let content = resolve(doc, response).get("content")?.as_object()?;
    let (_, media) = content
        .iter()
        .find(|(media_type, _)| media_type.contains("json"))?;
    Some(resolve(doc, media.get("schema")?))
}

/// Why an operation does not follow a convention.
enum Miss {
    /// Not a list of this convention (no cursor parameter, no next-cursor field).
    NotThisConvention,
    /// A cursor, but no items array: worth saying.
    NoItems,
}

fn match_convention(
    doc: &Value,
    item: &Value,
    operation: &Value,
    convention: &Convention,
) -> Result<Pagination, Miss> {
    let parameters: Vec<&Value> = parameters(item, operation)
        .map(|parameter| resolve(doc, parameter))
        .collect();
    let query = |name: &str| {
        parameters.iter().copied().find(|p| {
            p.get("in").and_then(Value::as_str) == Some("query")
                && p.get("name").and_then(Value::as_str) == Some(name)
        })
    };
    if query(&convention.cursor_parameter).is_none() {
        return Err(Miss::NotThisConvention);
    }
    let properties = success_schema(doc, operation)
        .and_then(|response| response.get("properties"))
        .and_then(Value::as_object)
        .ok_or(Miss::NotThisConvention)?;
    if !properties.contains_key(&convention.next_cursor_field) {
        return Err(Miss::NotThisConvention);
    }
    let is_array =
        |schema: &Value| resolve(doc, schema).get("type").and_then(Value::as_str) == Some("array");
    let items_field = match &convention.items_field {
        Some(field) => properties
            .get(field)
            .filter(|schema| is_array(schema))
            .map(|_| field.clone()),
        None => {
            let arrays: Vec<&String> = properties
                .iter()
                .filter(|(_, schema)| is_array(schema))
                .map(|(name, _)| name)
                .collect();
            match arrays.as_slice() {
                [only] => Some((*only).clone()),
                _ => None,
            }
        }
    }
    .ok_or(Miss::NoItems)?;
    let page_size = query(&convention.page_size_parameter).map(|parameter| {
        let schema = parameter.get("schema").map(|schema| resolve(doc, schema));
        let bound = |key: &str| schema.and_then(|s| s.get(key)).and_then(Value::as_f64);
        PageSize {
            parameter: convention.page_size_parameter.clone(),
            bounds: Bounds {
                minimum: bound("minimum"),
                maximum: bound("maximum"),
            },
        }
    });
    Ok(Pagination {
        cursor_parameter: convention.cursor_parameter.clone(),
        page_size,
        next_cursor_field: convention.next_cursor_field.clone(),
        items_field,
    })
}

/// The array properties of an operation's success body, if it has any.
fn list_fields(doc: &Value, operation: &Value) -> Vec<String> {
    success_schema(doc, operation)
        .and_then(|response| response.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .filter(|(_, schema)| {
                    resolve(doc, schema).get("type").and_then(Value::as_str) == Some("array")
                })
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Finds the operations that follow one of `conventions` (the first that
/// matches) in the normalized document; a GET that returns a list but
/// follows none gets no stream, and the report says why.
pub fn detect(
    doc: &Value,
    conventions: &[Convention],
    report: &mut Report,
) -> BTreeMap<String, Pagination> {
    let mut found = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for item in paths.values() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let operation_id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or("(no operationId)");
            let mut no_items = false;
            let matched = conventions.iter().find_map(|convention| {
                match match_convention(doc, item, operation, convention) {
                    Ok(paginated) => Some(paginated),
                    Err(Miss::NoItems) => {
                        no_items = true;
                        None
                    }
                    Err(Miss::NotThisConvention) => None,
                }
            });
            match matched {
                Some(paginated) => {
                    report.note(format!(
                        "stream: {operation_id} → items of `{}` (cursor `{}`)",
                        paginated.items_field, paginated.cursor_parameter
                    ));
                    found.insert(operation_id.to_string(), paginated);
                }
                None if no_items => report.note(format!(
                    "{operation_id} has a cursor but no items array: no stream"
                )),
                None if method == "get" => {
                    let lists = list_fields(doc, operation);
                    if !lists.is_empty() {
                        report.note(format!(
                            "no stream: {operation_id} returns a list (`{}`) but follows no pagination convention (no cursor parameter and next-cursor field)",
                            lists.join("`, `")
                        ));
                    }
                }
                None => {}
            }
        }
    }
    found
}

/// Rewrites bare type names of the `types` module (as they appear in its own
/// field types) into `types::Name`, the way the `builder` module names them.
fn qualify(mut ty: syn::Type, type_names: &std::collections::BTreeSet<String>) -> syn::Type {
    struct Qualify<'n>(&'n std::collections::BTreeSet<String>);
    impl syn::visit_mut::VisitMut for Qualify<'_> {
        fn visit_type_path_mut(&mut self, path: &mut syn::TypePath) {
            syn::visit_mut::visit_type_path_mut(self, path);
            let bare = path.qself.is_none()
                && path.path.leading_colon.is_none()
                && path.path.segments.len() == 1;
            if bare && self.0.contains(&path.path.segments[0].ident.to_string()) {
                path.path
                    .segments
                    .insert(0, syn::PathSegment::from(format_ident!("types")));
            }
        }
    }
    syn::visit_mut::VisitMut::visit_type_mut(&mut Qualify(type_names), &mut ty);
    ty
}

/// Adds `.pages()` and `.stream()` to the builder of every paginated operation.
pub fn inject(file: &mut syn::File, model: &Model, index: &Index) -> anyhow::Result<()> {
    for operation in &model.operations {
        let Some(pagination) = &operation.pagination else {
            continue;
        };
        inject_one(file, &operation.id, pagination, index)
            .with_context(|| format!("stage pagination, operation {}", operation.id))?;
    }
    Ok(())
}

/// `.pages()` and `.stream()` on one operation's builder.
fn inject_one(
    file: &mut syn::File,
    operation_id: &str,
    operation: &Pagination,
    index: &Index,
) -> anyhow::Result<()> {
    {
        let builder_name = index.entry(operation_id).builder.to_string();
        let builder_ident = &index.entry(operation_id).builder;
        let builder_struct = crate::index::builder_struct(file, builder_ident)?.clone();
        let field_as_text = |name: &str| crate::syntax::field_as_text(&builder_struct, name);
        // The success type, from the builder's `send`.
        let send_output = match &crate::index::builder_fn_mut(file, builder_ident, "send")?
            .sig
            .output
        {
            syn::ReturnType::Type(_, ty) => (**ty).clone(),
            syn::ReturnType::Default => bail!("`send` of {builder_name} returns nothing"),
        };
        let result_ok = generic_of(&send_output, "Result").context("send returns a Result")?;
        let page_type = generic_of(result_ok, "ResponseValue")
            .context("send returns a ResponseValue")?
            .clone();
        let page_name = last_ident(&page_type).context("page type has a name")?;
        // The page's fields, by wire name.
        let types_items = module_items(file, "types")?;
        let type_names: std::collections::BTreeSet<String> = types_items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Struct(s) => Some(s.ident.to_string()),
                syn::Item::Enum(e) => Some(e.ident.to_string()),
                syn::Item::Type(t) => Some(t.ident.to_string()),
                syn::Item::Macro(m) => crate::syntax::macro_enum_name(m),
                _ => None,
            })
            .collect();
        let page_struct = types_items
            .iter()
            .find_map(|item| match item {
                syn::Item::Struct(s) if s.ident == page_name => Some(s.clone()),
                _ => None,
            })
            .with_context(|| format!("no struct {page_name}"))?;
        let field = |wire: &str| {
            page_struct.fields.iter().find(|field| {
                serde_rename(&field.attrs).as_deref() == Some(wire)
                    || (serde_rename(&field.attrs).is_none()
                        && field.ident.as_ref().is_some_and(|i| i == wire))
            })
        };
        let next = field(&operation.next_cursor_field).with_context(|| {
            format!(
                "{page_name} has no field for `{}`",
                operation.next_cursor_field
            )
        })?;
        let items = field(&operation.items_field)
            .with_context(|| format!("{page_name} has no field for `{}`", operation.items_field))?;
        let next_ident = next.ident.clone().expect("named field");
        let items_ident = items.ident.clone().expect("named field");
        let next_cursor = if generic_of(&next.ty, "Option").is_some() {
            quote! { |page: &#page_type| page.#next_ident.as_deref() }
        } else {
            quote! { |page: &#page_type| ::std::option::Option::Some(page.#next_ident.as_str()) }
        };
        let items_type = qualify(items.ty.clone(), &type_names);
        let (item_type, take_items) = if let Some(inner) = generic_of(&items_type, "Option") {
            let item = generic_of(inner, "Vec")
                .context("items field is a list")?
                .clone();
            (
                item,
                quote! { |page: #page_type| page.#items_ident.unwrap_or_default() },
            )
        } else {
            let item = generic_of(&items_type, "Vec")
                .context("items field is a list")?
                .clone();
            (item, quote! { |page: #page_type| page.#items_ident })
        };
        let cursor_ident = crate::naming::field_ident(&operation.cursor_parameter);
        let initial_cursor = field_as_text(&operation.cursor_parameter)?;
        let pages_doc = format!(
            "Every page of `{}`, requested lazily, each a `Response` (its status, headers and request id \
             beside the body): the parameters set on this builder are sent with every page, only `{}` \
             changes. Ends when `{}` is null, absent or empty.",
            operation_id, operation.cursor_parameter, operation.next_cursor_field
        );
        let stream_doc = format!(
            "Every item of `{}` (the `{}` of each page), in order, across pages; see [`Self::pages`].",
            operation_id, operation.items_field
        );
        let tokens: TokenStream = quote! {
            impl<'a> #builder_ident<'a> {
                #[doc = #pages_doc]
                pub fn pages(self) -> ::inbox_bindings::pagination::BoxStream<'a, ::inbox_bindings::Response<#page_type>> {
                    let initial_cursor = #initial_cursor;
                    ::inbox_bindings::__private::pages(
                        self,
                        initial_cursor,
                        |builder: Self, cursor: ::std::string::String| builder.#cursor_ident(cursor),
                        |builder: Self| builder.send(),
                        #next_cursor,
                    )
                }
                #[doc = #stream_doc]
                pub fn stream(self) -> ::inbox_bindings::pagination::BoxStream<'a, #item_type> {
                    ::inbox_bindings::__private::items(self.pages(), #take_items)
                }
            }
        };
        let item: syn::Item = syn::parse2(tokens).context("pagination tokens parse")?;
        let builder_items = module_items(file, "builder")?;
        let position = builder_items
            .iter()
            .rposition(|item| matches!(item, syn::Item::Impl(block) if last_ident(&block.self_ty).as_deref() == Some(builder_name.as_str())))
            .map(|index| index + 1)
            .unwrap_or(builder_items.len());
        builder_items.insert(position, item);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn partoo_convention() -> Convention {
        Convention {
            cursor_parameter: "cursor".into(),
            page_size_parameter: "per_page".into(),
            next_cursor_field: "next_cursor".into(),
            items_field: None,
        }
    }

    #[test]
    fn detects_operations_following_the_convention() {
        let list = |items: &str| {
            json!({"operationId": format!("list_{items}"),
                "parameters": [{"$ref": "#/components/parameters/Cursor"},
                               {"in": "query", "name": "per_page", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {items: {"type": "array", "items": {}},
                    "count": {"type": "integer"}, "next_cursor": {"type": "string", "nullable": true}}}}}}}})
        };
        let doc = json!({"paths": {
            "/conversations": {"get": list("conversations")},
            "/messages": {"get": list("messages")},
            "/other": {"get": {"operationId": "other", "responses": {}}}},
            "components": {"parameters": {"Cursor": {"in": "query", "name": "cursor", "schema": {"type": "string"}}}}});
        let mut report = Report::default();
        let found = detect(&doc, &[partoo_convention()], &mut report);
        assert_eq!(found.len(), 2);
        assert_eq!(found["list_conversations"].items_field, "conversations");
        assert_eq!(found["list_messages"].items_field, "messages");
        assert_eq!(
            found["list_conversations"].page_size,
            Some(PageSize {
                parameter: "per_page".into(),
                bounds: Bounds {
                    minimum: Some(1.0),
                    maximum: Some(100.0)
                }
            })
        );
        assert!(report
            .notes
            .iter()
            .any(|note| note == "stream: list_messages → items of `messages` (cursor `cursor`)"));
    }

    #[test]
    fn several_conventions_each_operation_by_the_first_that_fits() {
        let dated = Convention {
            cursor_parameter: "after".into(),
            page_size_parameter: "limit".into(),
            next_cursor_field: "nextCursor".into(),
            items_field: Some("data".into()),
        };
        let v1 = Convention {
            cursor_parameter: "pageToken".into(),
            page_size_parameter: "maxResults".into(),
            next_cursor_field: "nextPageToken".into(),
            items_field: Some("data".into()),
        };
        let page = |cursor_field: &str| {
            json!({"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"data": {"type": "array", "items": {}},
                cursor_field: {"type": "string", "nullable": true}}}}}}})
        };
        let doc = json!({"paths": {
            "/contacts": {"get": {"operationId": "listContacts",
                "parameters": [{"in": "query", "name": "after", "schema": {"type": "string"}},
                               {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 50}}],
                "responses": page("nextCursor")}},
            "/v1/calls": {"get": {"operationId": "listCalls",
                "parameters": [{"in": "query", "name": "pageToken", "schema": {"type": "string"}}],
                "responses": page("nextPageToken")}},
            "/webhooks": {"get": {"operationId": "listWebhooks",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"data": {"type": "array", "items": {}}}}}}}}}}}});
        let mut report = Report::default();
        let found = detect(&doc, &[dated, v1], &mut report);
        let summary: Vec<(&str, &str, Option<&PageSize>)> = found
            .iter()
            .map(|(id, p)| {
                (
                    id.as_str(),
                    p.cursor_parameter.as_str(),
                    p.page_size.as_ref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("listCalls", "pageToken", None),
                (
                    "listContacts",
                    "after",
                    Some(&PageSize {
                        parameter: "limit".into(),
                        bounds: Bounds {
                            minimum: Some(1.0),
                            maximum: Some(50.0)
                        }
                    })
                ),
            ]
        );
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("no stream: listWebhooks returns a list (`data`)")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn two_arrays_without_an_items_field_get_no_stream() {
        let doc = json!({"paths": {"/x": {"get": {"operationId": "x",
            "parameters": [{"in": "query", "name": "cursor", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"a": {"type": "array"}, "b": {"type": "array"},
                "next_cursor": {"type": "string"}}}}}}}}}}});
        let mut report = Report::default();
        assert!(detect(&doc, &[partoo_convention()], &mut report).is_empty());
        assert!(report.notes[0].contains("no items array"));
    }
}
