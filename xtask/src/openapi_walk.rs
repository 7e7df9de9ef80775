//! Where schemas live in an OpenAPI document. Every rule that rewrites schemas
//! finds them through here, so none of them misses a place.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::document::child;

pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document's `paths`.
#[derive(Clone, Copy)]
pub struct OperationAt<'d> {
    pub path: &'d str,
    pub method: &'static str,
    /// Its path item (where path-level parameters are).
    pub item: &'d Value,
    pub operation: &'d Value,
}

impl OperationAt<'_> {
    /// Its JSON pointer (`/paths/~1things/get`).
    pub fn pointer(&self) -> String {
        child(&child("/paths", self.path), self.method)
    }
}

/// The operations of one path item, in [`METHODS`] order, with their method.
pub fn methods(item: &Value) -> impl Iterator<Item = (&'static str, &Value)> {
    METHODS
        .iter()
        .filter_map(move |method| Some((*method, item.get(*method)?)))
}

/// Every operation of `paths`, in document order (paths, then [`METHODS`]):
/// the one read-only walk over operations ([`for_each_operation`] is the
/// one that edits them).
pub fn operations(doc: &Value) -> impl Iterator<Item = OperationAt<'_>> {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            methods(item).map(move |(method, operation)| OperationAt {
                path,
                method,
                item,
                operation,
            })
        })
}

/// Which side of the wire a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Parameters and request bodies: what the client sends.
    Sent,
    /// Responses: what the client receives.
    Received,
    /// Component schemas: either, depending on who references them.
    Component,
}

/// The JSON pointers of every schema root in the document, with its side.
pub fn schema_roots(doc: &Value) -> Vec<(String, Side)> {
    let mut roots = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item_pointer = child("/paths", path);
            parameter_roots(item, &item_pointer, &mut roots);
            for (method, operation) in methods(item) {
                let pointer = child(&item_pointer, method);
                parameter_roots(operation, &pointer, &mut roots);
                if let Some(body) = operation.get("requestBody") {
                    content_roots(
                        body,
                        &child(&pointer, "requestBody"),
                        Side::Sent,
                        &mut roots,
                    );
                }
                if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
                    for (status, response) in responses {
                        let response_pointer = child(&child(&pointer, "responses"), status);
                        response_roots(response, &response_pointer, &mut roots);
                    }
                }
            }
        }
    }
    // Webhooks are requests the crate receives: their bodies (and headers)
    // are received, like responses.
    if let Some(webhooks) = doc.get("webhooks").and_then(Value::as_object) {
        for (name, item) in webhooks {
            let item_pointer = child("/webhooks", name);
            received_parameter_roots(item, &item_pointer, &mut roots);
            for (method, operation) in methods(item) {
                let pointer = child(&item_pointer, method);
                received_parameter_roots(operation, &pointer, &mut roots);
                if let Some(body) = operation.get("requestBody") {
                    content_roots(
                        body,
                        &child(&pointer, "requestBody"),
                        Side::Received,
                        &mut roots,
                    );
                }
            }
        }
    }
    if let Some(components) = doc.get("components") {
        let table = |name: &str| components.get(name).and_then(Value::as_object);
        if let Some(schemas) = table("schemas") {
            for name in schemas.keys() {
                roots.push((child("/components/schemas", name), Side::Component));
            }
        }
        if let Some(parameters) = table("parameters") {
            for (name, parameter) in parameters {
                let pointer = child("/components/parameters", name);
                one_parameter_roots(parameter, &pointer, &mut roots);
            }
        }
        if let Some(bodies) = table("requestBodies") {
            for (name, body) in bodies {
                let pointer = child("/components/requestBodies", name);
                content_roots(body, &pointer, Side::Sent, &mut roots);
            }
        }
        if let Some(responses) = table("responses") {
            for (name, response) in responses {
                response_roots(response, &child("/components/responses", name), &mut roots);
            }
        }
        if let Some(headers) = table("headers") {
            for (name, header) in headers {
                let pointer = child("/components/headers", name);
                if header.get("schema").is_some() {
                    roots.push((child(&pointer, "schema"), Side::Received));
                }
            }
        }
    }
    roots
}

fn parameter_roots(holder: &Value, pointer: &str, roots: &mut Vec<(String, Side)>) {
    if let Some(parameters) = holder.get("parameters").and_then(Value::as_array) {
        for (index, parameter) in parameters.iter().enumerate() {
            let parameter_pointer = child(&child(pointer, "parameters"), &index.to_string());
            one_parameter_roots(parameter, &parameter_pointer, roots);
        }
    }
}

/// A webhook's parameters (the headers of a request the crate receives).
fn received_parameter_roots(holder: &Value, pointer: &str, roots: &mut Vec<(String, Side)>) {
    if let Some(parameters) = holder.get("parameters").and_then(Value::as_array) {
        for (index, parameter) in parameters.iter().enumerate() {
            let parameter_pointer = child(&child(pointer, "parameters"), &index.to_string());
            if parameter.get("schema").is_some() {
                roots.push((child(&parameter_pointer, "schema"), Side::Received));
            }
        }
    }
}

fn one_parameter_roots(parameter: &Value, pointer: &str, roots: &mut Vec<(String, Side)>) {
    if parameter.get("schema").is_some() {
        roots.push((child(pointer, "schema"), Side::Sent));
    }
    content_roots(parameter, pointer, Side::Sent, roots);
}

fn response_roots(response: &Value, pointer: &str, roots: &mut Vec<(String, Side)>) {
    content_roots(response, pointer, Side::Received, roots);
    if let Some(headers) = response.get("headers").and_then(Value::as_object) {
        for (name, header) in headers {
            if header.get("schema").is_some() {
                let header_pointer = child(&child(pointer, "headers"), name);
                roots.push((child(&header_pointer, "schema"), Side::Received));
            }
        }
    }
}

fn content_roots(holder: &Value, pointer: &str, side: Side, roots: &mut Vec<(String, Side)>) {
    if let Some(content) = holder.get("content").and_then(Value::as_object) {
        for (media_type, media) in content {
            if media.get("schema").is_some() {
                let media_pointer = child(&child(pointer, "content"), media_type);
                roots.push((child(&media_pointer, "schema"), side));
            }
        }
    }
}

/// The keywords whose values are sub-schemas, as (keyword, is a list).
pub const SUBSCHEMA_KEYWORDS: [(&str, bool); 6] = [
    ("items", false),
    ("additionalProperties", false),
    ("not", false),
    ("allOf", true),
    ("anyOf", true),
    ("oneOf", true),
];

/// The pointers (relative to `schema`) of its direct sub-schemas.
pub fn subschema_pointers(schema: &Value) -> Vec<String> {
    let mut pointers = Vec::new();
    let Some(object) = schema.as_object() else {
        return pointers;
    };
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        for name in properties.keys() {
            pointers.push(child("/properties", name));
        }
    }
    for (keyword, is_list) in SUBSCHEMA_KEYWORDS {
        match object.get(keyword) {
            Some(Value::Array(list)) if is_list => {
                for index in 0..list.len() {
                    pointers.push(format!("/{keyword}/{index}"));
                }
            }
            Some(Value::Object(_)) if !is_list => pointers.push(format!("/{keyword}")),
            // A boolean sub-schema is 3.1 (normalize rejects or rewrites it),
            // except `additionalProperties: bool`, which 3.0 has too.
            Some(Value::Bool(_)) if !is_list && keyword != "additionalProperties" => {
                pointers.push(format!("/{keyword}"))
            }
            _ => {}
        }
    }
    pointers
}

/// Calls `visit` on `schema` and then, recursively, on each sub-schema as it
/// is after `visit` returned, so a rule may rewrite a node's children.
pub fn walk_schema_mut<E>(
    schema: &mut Value,
    pointer: &str,
    visit: &mut dyn FnMut(&mut Value, &str) -> Result<(), E>,
) -> Result<(), E> {
    visit(schema, pointer)?;
    for relative in subschema_pointers(schema) {
        let target = schema
            .pointer_mut(&relative)
            .expect("pointer was just computed");
        walk_schema_mut(target, &format!("{pointer}{relative}"), visit)?;
    }
    Ok(())
}

/// Every local `#/components/schemas/...` name referenced inside `schema`.
pub fn referenced_schema_names(schema: &Value, names: &mut Vec<String>) {
    match schema {
        Value::Object(object) => {
            if let Some(name) = object
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(crate::document::schema_ref_name)
            {
                names.push(name);
            }
            object
                .values()
                .for_each(|value| referenced_schema_names(value, names));
        }
        Value::Array(list) => list
            .iter()
            .for_each(|value| referenced_schema_names(value, names)),
        _ => {}
    }
}

/// Visits every operation as (pointer, operation).
pub fn for_each_operation(
    doc: &mut Value,
    mut visit: impl FnMut(&str, &mut Map<String, Value>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (path, item) in paths.iter_mut() {
        let item_pointer = child("/paths", path);
        for method in METHODS {
            if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                visit(&child(&item_pointer, method), operation)?;
            }
        }
    }
    Ok(())
}

/// Components reachable (transitively) from the roots of one side.
pub fn reachable_components(doc: &Value, side: Side) -> BTreeSet<String> {
    let mut queue = Vec::new();
    for (pointer, root_side) in schema_roots(doc) {
        if root_side == side {
            referenced_schema_names(doc.pointer(&pointer).expect("roots resolve"), &mut queue);
        }
    }
    let mut reached = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if reached.insert(name.clone()) {
            if let Some(schema) = doc.pointer(&child("/components/schemas", &name)) {
                referenced_schema_names(schema, &mut queue);
            }
        }
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_every_kind_of_root() {
        let doc = json!({
            "paths": {"/a/{id}": {
                "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                "post": {
                    "parameters": [{"name": "q", "in": "query", "content": {"application/json": {"schema": {}}}}],
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                    "responses": {"200": {
                        "headers": {"X-Rate": {"schema": {"type": "integer"}}},
                        "content": {"application/json": {"schema": {}}}
                    }}
                }
            }},
            "components": {
                "schemas": {"A": {}},
                "parameters": {"P": {"schema": {}}},
                "requestBodies": {"B": {"content": {"application/json": {"schema": {}}}}},
                "responses": {"401": {"content": {"application/json": {"schema": {}}}}},
                "headers": {"H": {"schema": {}}}
            }
        });
        let roots = schema_roots(&doc);
        let expect = [
            ("/paths/~1a~1{id}/parameters/0/schema", Side::Sent),
            (
                "/paths/~1a~1{id}/post/parameters/0/content/application~1json/schema",
                Side::Sent,
            ),
            (
                "/paths/~1a~1{id}/post/requestBody/content/application~1json/schema",
                Side::Sent,
            ),
            (
                "/paths/~1a~1{id}/post/responses/200/content/application~1json/schema",
                Side::Received,
            ),
            (
                "/paths/~1a~1{id}/post/responses/200/headers/X-Rate/schema",
                Side::Received,
            ),
            ("/components/schemas/A", Side::Component),
            ("/components/parameters/P/schema", Side::Sent),
            (
                "/components/requestBodies/B/content/application~1json/schema",
                Side::Sent,
            ),
            (
                "/components/responses/401/content/application~1json/schema",
                Side::Received,
            ),
            ("/components/headers/H/schema", Side::Received),
        ];
        let expect: Vec<(String, Side)> = expect.iter().map(|(p, s)| (p.to_string(), *s)).collect();
        assert_eq!(roots, expect);
        for (pointer, _) in &roots {
            assert!(doc.pointer(pointer).is_some(), "{pointer} does not resolve");
        }
    }

    #[test]
    fn walks_nested_subschemas_after_the_visit() {
        let mut schema = json!({
            "properties": {"a": {"items": {"type": "x"}}},
            "oneOf": [{"type": "x"}, {"additionalProperties": {"type": "x"}}]
        });
        let mut seen = Vec::new();
        walk_schema_mut::<()>(&mut schema, "", &mut |node, pointer| {
            if node.get("type").is_some() {
                seen.push(pointer.to_string());
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                "/properties/a/items",
                "/oneOf/0",
                "/oneOf/1/additionalProperties"
            ]
        );
    }
}
