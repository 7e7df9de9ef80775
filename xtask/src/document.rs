//! Loading and writing OpenAPI documents (YAML or JSON) as `serde_json::Value`,
//! and JSON pointer helpers shared by every stage.

use std::path::Path;

use anyhow::Context;
use serde_json::Value;

/// The two formats providers publish their documents in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    pub fn of_path(path: &Path) -> Format {
        match path.extension().and_then(|extension| extension.to_str()) {
            Some("json") => Format::Json,
            _ => Format::Yaml,
        }
    }
}

/// Parses a document; JSON is tried first for `.json` files, YAML otherwise.
pub fn parse(text: &str, format: Format) -> anyhow::Result<Value> {
    match format {
        Format::Json => serde_json::from_str(text).context("the document is not valid JSON"),
        Format::Yaml => {
            let value: Value =
                serde_yaml_ng::from_str(text).context("the document is not valid YAML")?;
            Ok(value)
        }
    }
}

pub fn load(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text, Format::of_path(path)).with_context(|| format!("in {}", path.display()))
}

/// Serializes a document the way the vendored files are kept: two-space
/// indented JSON, or YAML, each ending in a newline.
pub fn render(value: &Value, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(value)?;
            text.push('\n');
            text
        }
        Format::Yaml => serde_yaml_ng::to_string(value)?,
    })
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescapes one reference token of a JSON pointer (RFC 6901).
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// `pointer` extended by one token.
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

/// `node`, or what its local `$ref` chain points at (at most 8 hops; an
/// unresolvable reference stops at the reference itself).
pub fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    let mut current = node;
    for _ in 0..8 {
        let target = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| doc.pointer(pointer));
        match target {
            Some(target) => current = target,
            None => break,
        }
    }
    current
}

/// An operation's parameters: the path item's, then the operation's own.
pub fn parameters<'a>(item: &'a Value, operation: &'a Value) -> impl Iterator<Item = &'a Value> {
    let list = |holder: &'a Value| {
        holder
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    };
    list(item).chain(list(operation))
}

/// The names a schema lists in `required`.
pub fn required_names(schema: &Value) -> std::collections::BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `components.schemas`, created if absent.
pub fn schemas_mut(doc: &mut Value) -> anyhow::Result<&mut serde_json::Map<String, Value>> {
    doc.as_object_mut()
        .context("the document is not an object")?
        .entry("components")
        .or_insert_with(|| Value::Object(Default::default()))
        .as_object_mut()
        .context("`components` is not an object")?
        .entry("schemas")
        .or_insert_with(|| Value::Object(Default::default()))
        .as_object_mut()
        .context("`components.schemas` is not an object")
}

/// A media type without parameters, lowercase (`Application/JSON; q=1` → `application/json`).
pub fn media_type_essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The component schema name a local `$ref` points at, if it points at one.
pub fn schema_ref_name(reference: &str) -> Option<String> {
    reference
        .strip_prefix("#/components/schemas/")
        .filter(|name| !name.contains('/'))
        .map(unescape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_and_unescape() {
        assert_eq!(child("/paths", "/a/{b}"), "/paths/~1a~1{b}");
        assert_eq!(unescape(&escape("a~/b")), "a~/b");
        assert_eq!(
            schema_ref_name("#/components/schemas/A~1B").as_deref(),
            Some("A/B")
        );
        assert_eq!(schema_ref_name("#/components/responses/401"), None);
    }

    #[test]
    fn shared_document_helpers() {
        use serde_json::json;
        let doc = json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}}});
        assert_eq!(
            resolve(&doc, &json!({"$ref": "#/components/schemas/A"})),
            &json!({"type": "string"})
        );
        assert_eq!(
            resolve(&doc, &json!({"$ref": "#/nowhere"})),
            &json!({"$ref": "#/nowhere"})
        );
        let item = json!({"parameters": [{"name": "a"}]});
        let operation = json!({"parameters": [{"name": "b"}]});
        let names: Vec<&Value> = parameters(&item, &operation).map(|p| &p["name"]).collect();
        assert_eq!(names, [&json!("a"), &json!("b")]);
        assert_eq!(
            required_names(&json!({"required": ["x", 3]}))
                .into_iter()
                .collect::<Vec<_>>(),
            ["x"]
        );
        let mut empty = json!({});
        schemas_mut(&mut empty)
            .unwrap()
            .insert("C".into(), json!({}));
        assert_eq!(empty, json!({"components": {"schemas": {"C": {}}}}));
        assert_eq!(
            media_type_essence("Application/JSON; charset=utf-8"),
            "application/json"
        );
    }

    #[test]
    fn yaml_and_json_load_to_the_same_value() {
        let yaml = parse("a: 1\nb: [x, 'null']\n", Format::Yaml).unwrap();
        let json = parse(r#"{"a": 1, "b": ["x", "null"]}"#, Format::Json).unwrap();
        assert_eq!(yaml, json);
    }

    #[test]
    fn yaml_keeps_key_order() {
        let value = parse("z: 1\na: 2\nm: 3\n", Format::Yaml).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }
}
