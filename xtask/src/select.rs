//! Stage "select": keeps the operations `codegen.toml` selects (by tag or
//! operationId) and the components they reach, so a whole upstream bundle can
//! be vendored without generating hundreds of unrelated operations.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::report::Report;

/// Component tables pruned to what the kept operations reach.
const TABLES: [&str; 5] = [
    "schemas",
    "parameters",
    "responses",
    "requestBodies",
    "headers",
];

fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                found.push(reference.to_string());
            }
            object.values().for_each(|v| references(v, found));
        }
        Value::Array(list) => list.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

pub fn select(doc: &mut Value, tags: &[String], operations: &[String], report: &mut Report) {
    if tags.is_empty() && operations.is_empty() {
        return;
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let dropped: Vec<&'static str> = crate::openapi_walk::methods(item)
            .filter(|(_, operation)| !selected(operation, tags, operations))
            .map(|(method, _)| method)
            .collect();
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in dropped {
            item.remove(method);
            report.applied(crate::report::Rule::SelectDropOperation);
        }
    }
    paths.retain(|_, item| crate::openapi_walk::methods(item).next().is_some());
    // Components reachable from what is kept.
    let mut reached = BTreeSet::new();
    let mut queue = Vec::new();
    references(doc.get("paths").unwrap_or(&Value::Null), &mut queue);
    // Webhooks are kept whole: their events are not selected by tag.
    references(doc.get("webhooks").unwrap_or(&Value::Null), &mut queue);
    while let Some(reference) = queue.pop() {
        if !reached.insert(reference.clone()) {
            continue;
        }
        if let Some(target) = reference
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
        {
            references(target, &mut queue);
        }
    }
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        for table in TABLES {
            if let Some(entries) = components.get_mut(table).and_then(Value::as_object_mut) {
                let before = entries.len();
                entries.retain(|name, _| {
                    reached.contains(&format!(
                        "#/components/{table}/{}",
                        crate::document::escape(name)
                    ))
                });
                for _ in entries.len()..before {
                    report.applied(crate::report::Rule::SelectDropComponent);
                }
            }
        }
    }
}

/// Whether an operation is kept: one of its tags, or its id, is selected.
fn selected(operation: &Value, tags: &[String], operations: &[String]) -> bool {
    let by_tag = operation
        .get("tags")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .any(|tag| tags.iter().any(|t| t == tag))
        });
    let by_id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .is_some_and(|id| operations.iter().any(|o| o == id));
    by_tag || by_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_selected_operations_and_what_they_reach() {
        let mut doc = json!({
            "paths": {
                "/conversations": {"get": {"operationId": "listConversations", "tags": ["Messages"],
                    "responses": {"200": {"$ref": "#/components/responses/Page"}}}},
                "/businesses": {"get": {"operationId": "listBusinesses", "tags": ["Businesses"],
                    "responses": {"200": {"description": "", "content": {"application/json":
                        {"schema": {"$ref": "#/components/schemas/Business"}}}}}}},
                "/users": {"get": {"operationId": "getUser", "tags": ["Users"], "responses": {}}}
            },
            "components": {
                "responses": {"Page": {"description": "", "content": {"application/json":
                    {"schema": {"$ref": "#/components/schemas/Conversation"}}}}},
                "schemas": {"Conversation": {"properties": {"m": {"$ref": "#/components/schemas/Message"}}},
                            "Message": {}, "Business": {}}
            }
        });
        let mut report = Report::default();
        select(
            &mut doc,
            &["Messages".to_string()],
            &["getUser".to_string()],
            &mut report,
        );
        let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        assert_eq!(paths, ["/conversations", "/users"]);
        let schemas: Vec<&String> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(schemas, ["Conversation", "Message"]);
        assert_eq!(report.count(crate::report::Rule::SelectDropOperation), 1);
        assert_eq!(report.count(crate::report::Rule::SelectDropComponent), 1);
    }

    #[test]
    fn no_selection_keeps_everything() {
        let mut doc = json!({"paths": {"/x": {"get": {"operationId": "x"}}}});
        let before = doc.clone();
        select(&mut doc, &[], &[], &mut Report::default());
        assert_eq!(doc, before);
    }
}
