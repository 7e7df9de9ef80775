//! An OpenAPI 3.0.3 schema (as the rules leave it) read as the JSON Schema
//! typify takes, the way progenitor reads it: `nullable` becomes a `null`
//! type (or a `oneOf` with `null` around a composition), `example` one of
//! `examples`, a boolean exclusive bound the numeric one, references kept as
//! they are (typify resolves `#/components/schemas/X` by its last segment),
//! and only the keywords JSON Schema and typify know are kept (with `x-`
//! extensions).

use serde_json::{json, Map, Value};

/// The keywords a converted schema keeps (besides `x-` extensions).
const KEPT: [&str; 36] = [
    "type",
    "format",
    "enum",
    "const",
    "title",
    "description",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "examples",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "items",
    "additionalItems",
    "maxItems",
    "minItems",
    "uniqueItems",
    "contains",
    "maxProperties",
    "minProperties",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
];

/// What typify reads for `schema`.
pub fn convert(schema: &Value) -> anyhow::Result<schemars::schema::Schema> {
    Ok(serde_json::from_value(json_schema(schema))?)
}

/// `schema` as JSON Schema, recursively.
pub fn json_schema(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    if let Some(reference) = object.get("$ref") {
        // OpenAPI 3.0 ignores a reference's siblings.
        return json!({ "$ref": reference });
    }
    let mut out = Map::new();
    for (key, value) in object {
        let converted = match key.as_str() {
            "properties" | "patternProperties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, property)| (name.clone(), json_schema(property)))
                    .collect(),
            ),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(json_schema)
                    .collect(),
            ),
            "items" | "not" | "additionalItems" | "contains" | "propertyNames" => {
                json_schema(value)
            }
            "additionalProperties" if value.is_object() => json_schema(value),
            "example" => {
                out.insert("examples".into(), json!([value]));
                continue;
            }
            known if KEPT.contains(&known) || known.starts_with("x-") => value.clone(),
            _ => continue,
        };
        out.insert(key.clone(), converted);
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match out.get(flag) {
            Some(Value::Bool(true)) => match out.remove(bound) {
                Some(value) => {
                    out.insert(flag.into(), value);
                }
                None => {
                    out.remove(flag);
                }
            },
            Some(Value::Bool(false)) => {
                out.remove(flag);
            }
            _ => {}
        }
    }
    if object.get("nullable") == Some(&Value::Bool(true)) {
        return nullable(out);
    }
    Value::Object(out)
}

/// A nullable schema: `null` among its types, or (a composition, which
/// has none) a `oneOf` of `null` and the schema, its metadata outside.
fn nullable(mut out: Map<String, Value>) -> Value {
    match out.get("type").cloned() {
        Some(Value::String(kind)) => {
            out.insert("type".into(), json!([kind, "null"]));
            Value::Object(out)
        }
        Some(_) => Value::Object(out),
        None if ["allOf", "anyOf", "oneOf", "not"]
            .iter()
            .any(|key| out.contains_key(*key)) =>
        {
            let mut outer = Map::new();
            for key in [
                "title",
                "description",
                "default",
                "deprecated",
                "readOnly",
                "writeOnly",
                "examples",
            ] {
                if let Some(value) = out.remove(key) {
                    outer.insert(key.into(), value);
                }
            }
            let extensions: Vec<String> = out
                .keys()
                .filter(|key| key.starts_with("x-"))
                .cloned()
                .collect();
            for key in extensions {
                let value = out.remove(&key).expect("listed");
                outer.insert(key, value);
            }
            outer.insert(
                "oneOf".into(),
                json!([{"type": "null"}, Value::Object(out)]),
            );
            Value::Object(outer)
        }
        // A schema allowing anything allows null already.
        None => Value::Object(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_examples_bounds_and_references_read_as_progenitor_reads_them() {
        assert_eq!(
            json_schema(&json!({"type": "string", "nullable": true, "example": "x", "xml": {}})),
            json!({"type": ["string", "null"], "examples": ["x"]})
        );
        assert_eq!(
            json_schema(
                &json!({"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": true, "description": "d"})
            ),
            json!({"description": "d", "oneOf": [{"type": "null"}, {"allOf": [{"$ref": "#/components/schemas/A"}]}]})
        );
        assert_eq!(
            json_schema(
                &json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 9, "exclusiveMaximum": false})
            ),
            json!({"type": "integer", "exclusiveMinimum": 0, "maximum": 9})
        );
        assert_eq!(
            json_schema(&json!({"$ref": "#/components/schemas/A", "description": "ignored"})),
            json!({"$ref": "#/components/schemas/A"})
        );
        assert_eq!(
            json_schema(
                &json!({"type": "object", "properties": {"a": {"type": "string", "nullable": true}},
                "additionalProperties": {"type": "integer", "x-rust-type": {}}, "discriminator": {}})
            ),
            json!({"type": "object", "properties": {"a": {"type": ["string", "null"]}},
                "additionalProperties": {"type": "integer", "x-rust-type": {}}})
        );
        assert!(convert(&json!({"type": "string", "nullable": true})).is_ok());
    }
}
