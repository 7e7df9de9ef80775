//! Stage "normalize": OpenAPI 3.1 to the 3.0.3 that openapiv3 and the
//! emitter's schema reading accept. Each rewrite is a named rule counted in the report; a 3.1 construct
//! without a rule is an error naming its JSON pointer, never dropped.

use anyhow::bail;
use serde_json::{Map, Value};

use crate::openapi_walk::{schema_roots, walk_schema_mut};
use crate::report::Report;

/// JSON Schema 2020-12 keywords that 3.0 cannot express. Reaching one is an error.
const UNSUPPORTED_KEYWORDS: [&str; 19] = [
    "$id",
    "$schema",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$defs",
    "$vocabulary",
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "patternProperties",
];

/// Annotation-only 2020-12 keywords: they change no value's validity, so
/// removing them changes nothing a client can observe.
const ANNOTATION_KEYWORDS: [&str; 4] = [
    "$comment",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
];

pub fn normalize(doc: &mut Value, report: &mut Report) -> anyhow::Result<()> {
    document_level(doc, report)?;
    for (pointer, _) in schema_roots(doc) {
        let schema = doc.pointer_mut(&pointer).expect("root pointers resolve");
        walk_schema_mut(schema, &pointer, &mut |node, at| {
            normalize_schema(node, at, report)
        })?;
    }
    Ok(())
}

fn document_level(doc: &mut Value, report: &mut Report) -> anyhow::Result<()> {
    let Some(root) = doc.as_object_mut() else {
        bail!("the document is not an object at /");
    };
    match root.get("openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.1.") => {
            root.insert("openapi".into(), Value::from("3.0.3"));
            report.applied(crate::report::Rule::Openapi31To303);
        }
        Some(version) if version.starts_with("3.0.") => {}
        Some(version) => {
            bail!("unsupported OpenAPI version `{version}` at /openapi (3.0.x and 3.1.x are)")
        }
        None => bail!("missing `openapi` version at /openapi"),
    }
    // `webhooks` (3.1) stays: its bodies are normalized like every schema,
    // and the plan reads the events and takes the section out before
    // the types are made (see `webhooks::plan`).
    if let Some(dialect) = root.remove("jsonSchemaDialect") {
        if dialect != "https://spec.openapis.org/oas/3.1/dialect/base" {
            bail!("unsupported jsonSchemaDialect {dialect} at /jsonSchemaDialect");
        }
        report.applied(crate::report::Rule::DropDefaultJsonSchemaDialect);
    }
    if !root.contains_key("paths") {
        // 3.1 makes `paths` optional; 3.0 requires it.
        root.insert("paths".into(), Value::Object(Map::new()));
        report.applied(crate::report::Rule::AddEmptyPaths);
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        if info.remove("summary").is_some() {
            report.applied(crate::report::Rule::DropInfoSummary);
        }
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            if license.remove("identifier").is_some() {
                report.applied(crate::report::Rule::DropLicenseIdentifier);
            }
        }
    }
    if root
        .get("components")
        .and_then(|components| components.get("pathItems"))
        .is_some()
    {
        bail!("unsupported OpenAPI 3.1 construct `pathItems` at /components/pathItems");
    }
    Ok(())
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
        && schema.as_object().is_some_and(|object| {
            object
                .keys()
                .all(|key| matches!(key.as_str(), "type" | "description" | "title"))
        })
}

fn normalize_schema(node: &mut Value, pointer: &str, report: &mut Report) -> anyhow::Result<()> {
    if let Value::Bool(accepts) = node {
        if !*accepts {
            bail!("unsupported boolean schema `false` at {pointer}");
        }
        *node = Value::Object(Map::new());
        report.applied(crate::report::Rule::TrueSchemaToEmpty);
    }
    let Some(schema) = node.as_object_mut() else {
        bail!("a schema must be an object at {pointer}");
    };
    for keyword in UNSUPPORTED_KEYWORDS {
        if schema.contains_key(keyword) {
            bail!("unsupported OpenAPI 3.1 construct `{keyword}` at {pointer}/{keyword}");
        }
    }
    for keyword in ANNOTATION_KEYWORDS {
        if schema.remove(keyword).is_some() {
            report.applied(crate::report::Rule::DropAnnotationKeywords);
        }
    }
    if let Some(names) = schema.get("propertyNames") {
        bail!("unsupported OpenAPI 3.1 construct `propertyNames` ({names}) at {pointer}/propertyNames");
    }
    type_list(schema, pointer, report)?;
    if let Some(value) = schema.remove("const") {
        if schema.contains_key("enum") {
            bail!("both `const` and `enum` at {pointer}");
        }
        schema.insert("enum".into(), Value::Array(vec![value]));
        report.applied(crate::report::Rule::ConstToEnum);
    }
    if let Some(examples) = schema.remove("examples") {
        // 2020-12 says a list; some upstream documents write one bare value.
        // Examples are documentation only, so either form is kept as `example`.
        let first = match examples {
            Value::Array(list) => list.into_iter().next(),
            single => Some(single),
        };
        if let Some(first) = first.filter(|_| !schema.contains_key("example")) {
            schema.insert("example".into(), first);
        }
        report.applied(crate::report::Rule::ExamplesToExample);
    }
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(bound) = schema
            .get(exclusive)
            .filter(|bound| bound.is_number())
            .cloned()
        {
            if schema.contains_key(inclusive) {
                bail!("both `{exclusive}` (a number) and `{inclusive}` at {pointer}");
            }
            schema.insert(inclusive.into(), bound);
            schema.insert(exclusive.into(), Value::Bool(true));
            report.applied(crate::report::Rule::NumericExclusiveBounds);
        }
    }
    for keyword in ["anyOf", "oneOf"] {
        null_union(schema, keyword, pointer, report)?;
    }
    Ok(())
}

/// `type: [X, 'null']` → `type: X, nullable: true`.
fn type_list(
    schema: &mut Map<String, Value>,
    pointer: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    match schema.get("type") {
        Some(Value::Array(types)) => {
            let mut nullable = false;
            let mut others = Vec::new();
            for item in types {
                match item.as_str() {
                    Some("null") => nullable = true,
                    Some(other) => others.push(other.to_string()),
                    None => bail!("a `type` list item is not a string at {pointer}/type"),
                }
            }
            let [single] = others.as_slice() else {
                bail!(
                    "unsupported type list {} at {pointer}/type (only one type plus 'null' maps to 3.0)",
                    Value::Array(types.clone())
                );
            };
            schema.insert("type".into(), Value::from(single.as_str()));
            if nullable {
                schema.insert("nullable".into(), Value::Bool(true));
            }
            report.applied(crate::report::Rule::TypeListToNullable);
        }
        Some(Value::String(kind)) if kind == "null" => {
            bail!("unsupported `type: 'null'` outside anyOf/oneOf at {pointer}/type");
        }
        _ => {}
    }
    Ok(())
}

/// `anyOf/oneOf [X, {type: 'null'}]` → X made nullable. A lone `$ref` becomes
/// `allOf: [$ref]` with `nullable`, because 3.0 ignores siblings of `$ref`.
fn null_union(
    schema: &mut Map<String, Value>,
    keyword: &str,
    pointer: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let Some(Value::Array(members)) = schema.get(keyword) else {
        return Ok(());
    };
    if !members.iter().any(is_null_schema) {
        return Ok(());
    }
    let mut rest: Vec<Value> = members
        .iter()
        .filter(|member| !is_null_schema(member))
        .cloned()
        .collect();
    schema.remove(keyword);
    schema.insert("nullable".into(), Value::Bool(true));
    report.applied(crate::report::Rule::NullUnionToNullable);
    match rest.len() {
        0 => bail!("a {keyword} of only 'null' at {pointer}/{keyword}"),
        1 => {
            let only = rest.pop().expect("one member");
            let Value::Object(only) = only else {
                bail!("a schema must be an object at {pointer}/{keyword}");
            };
            if only.contains_key("$ref") {
                schema.insert("allOf".into(), Value::Array(vec![Value::Object(only)]));
            } else {
                for (key, value) in only {
                    match schema.get(&key) {
                        None => {
                            schema.insert(key, value);
                        }
                        // The outer annotation wins: it describes the whole field.
                        Some(_)
                            if matches!(
                                key.as_str(),
                                "description" | "title" | "example" | "examples"
                            ) => {}
                        Some(existing) if *existing == value => {}
                        Some(_) => bail!(
                            "`{key}` both beside and inside the {keyword} at {pointer}/{keyword}"
                        ),
                    }
                }
            }
        }
        _ => {
            schema.insert(keyword.into(), Value::Array(rest));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc_with_schema(schema: Value) -> Value {
        json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
               "components": {"schemas": {"S": schema}}})
    }

    fn normalized(schema: Value) -> (Value, Report) {
        let mut doc = doc_with_schema(schema);
        let mut report = Report::default();
        normalize(&mut doc, &mut report).unwrap();
        (doc["components"]["schemas"]["S"].clone(), report)
    }

    fn error(schema: Value) -> String {
        let mut doc = doc_with_schema(schema);
        normalize(&mut doc, &mut Report::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn version_becomes_3_0_3_and_others_are_refused() {
        let mut doc = doc_with_schema(json!({}));
        let mut report = Report::default();
        normalize(&mut doc, &mut report).unwrap();
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(report.count(crate::report::Rule::Openapi31To303), 1);
        let mut swagger = json!({"openapi": "2.0"});
        let message = normalize(&mut swagger, &mut report)
            .unwrap_err()
            .to_string();
        assert!(message.contains("/openapi"), "{message}");
    }

    #[test]
    fn type_list_with_null_becomes_nullable() {
        let (schema, report) = normalized(json!({"type": ["string", "null"], "format": "url"}));
        assert_eq!(
            schema,
            json!({"type": "string", "format": "url", "nullable": true})
        );
        assert_eq!(report.count(crate::report::Rule::TypeListToNullable), 1);
    }

    #[test]
    fn type_list_of_two_real_types_names_its_pointer() {
        let message = error(json!({"properties": {"a": {"type": ["string", "integer"]}}}));
        assert!(
            message.contains("/components/schemas/S/properties/a/type"),
            "{message}"
        );
    }

    #[test]
    fn any_of_with_null_merges_into_the_parent() {
        let (schema, _) = normalized(json!({
            "description": "outer",
            "anyOf": [{"type": "string", "format": "date-time", "description": "inner"}, {"type": "null"}]
        }));
        assert_eq!(
            schema,
            json!({"description": "outer", "nullable": true, "type": "string", "format": "date-time"})
        );
    }

    #[test]
    fn one_of_null_and_ref_becomes_a_nullable_all_of() {
        let (schema, report) = normalized(json!({
            "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Message", "description": "d"}]
        }));
        assert_eq!(
            schema,
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/Message", "description": "d"}]})
        );
        assert_eq!(report.count(crate::report::Rule::NullUnionToNullable), 1);
    }

    #[test]
    fn nested_any_of_inside_a_null_union_is_kept_for_later_rules() {
        let (schema, _) = normalized(json!({"anyOf": [
            {"anyOf": [{"type": "string", "pattern": "^US"}, {"type": "string", "pattern": "^SYU"}]},
            {"type": "null"}
        ]}));
        assert_eq!(schema["nullable"], true);
        assert_eq!(schema["anyOf"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn const_and_examples_are_kept_in_3_0_form() {
        let (schema, report) = normalized(json!({"properties": {
            "code": {"const": "1000400", "type": "string"},
            "id": {"type": "string", "examples": ["CN123abc", "CN456"]}
        }}));
        assert_eq!(
            schema["properties"]["code"],
            json!({"type": "string", "enum": ["1000400"]})
        );
        assert_eq!(
            schema["properties"]["id"],
            json!({"type": "string", "example": "CN123abc"})
        );
        assert_eq!(report.count(crate::report::Rule::ConstToEnum), 1);
        assert_eq!(report.count(crate::report::Rule::ExamplesToExample), 1);
        let (schema, _) = normalized(json!({"type": "string", "examples": "U55wgP5I5"}));
        assert_eq!(schema, json!({"type": "string", "example": "U55wgP5I5"}));
    }

    #[test]
    fn numeric_exclusive_bounds_become_booleans() {
        let (schema, _) = normalized(json!({"type": "number", "exclusiveMinimum": 0}));
        assert_eq!(
            schema,
            json!({"type": "number", "exclusiveMinimum": true, "minimum": 0})
        );
    }

    #[test]
    fn unhandled_constructs_are_errors_naming_the_pointer() {
        for keyword in UNSUPPORTED_KEYWORDS {
            let message = error(json!({"items": {keyword: {}}}));
            assert!(
                message.contains(&format!("/components/schemas/S/items/{keyword}")),
                "{keyword}: {message}"
            );
        }
        let message = error(json!({"properties": {"n": {"type": "null"}}}));
        assert!(
            message.contains("/components/schemas/S/properties/n/type"),
            "{message}"
        );
        let message = error(json!({"items": false}));
        assert!(message.contains("/components/schemas/S/items"), "{message}");
    }

    #[test]
    fn schemas_in_operations_are_reached() {
        let mut doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {"parameters": [{"name": "a", "in": "query",
                "schema": {"type": ["integer", "null"]}}],
                "responses": {"200": {"description": "ok", "content": {"application/json":
                    {"schema": {"properties": {"b": {"const": 1}}}}}}}}}}});
        normalize(&mut doc, &mut Report::default()).unwrap();
        assert_eq!(
            doc.pointer("/paths/~1x/get/parameters/0/schema/nullable"),
            Some(&json!(true))
        );
        assert_eq!(
            doc.pointer(
                "/paths/~1x/get/responses/200/content/application~1json/schema/properties/b/enum"
            ),
            Some(&json!([1]))
        );
    }
}
