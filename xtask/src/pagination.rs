//! Cursor pagination: finds every operation that follows its API's
//! convention (declared in `codegen.toml`), for the model; the emitter
//! writes `.pages()` and `.stream()` on its builder, over
//! `inbox_bindings::pagination`.

use serde_json::Value;

use std::collections::BTreeMap;

use crate::config::Convention;
use crate::document::{parameters, resolve};
use crate::model::{Bounds, PageSize, Pagination};
use crate::openapi_walk::operations;
use crate::report::Report;

/// The body schema of an operation's first success response that has one.
fn success_schema<'a>(doc: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    let bodies = crate::model::success_bodies(doc, "", operation).ok()?;
    Some(resolve(doc, bodies.into_iter().find_map(|(_, body)| body)?))
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
        PageSize {
            parameter: convention.page_size_parameter.clone(),
            bounds: Bounds::of(schema),
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
    for at in operations(doc) {
        let (method, item, operation) = (at.method, at.item, at.operation);
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
    found
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
