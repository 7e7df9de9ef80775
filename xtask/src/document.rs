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
