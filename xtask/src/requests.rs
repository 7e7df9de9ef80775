//! What a request puts on the wire beyond plain JSON: vendor JSON media
//! types (`application/vnd.x+json`, `+jsonld`) in `Accept` and
//! `Content-Type`, optional request bodies sent only when set, and IRI path
//! parameters (`/conversations/JYnJBY` accepted, `JYnJBY` sent). `detect`
//! finds them for the model (the emitter writes them); `iri_parameter`
//! makes the parameter's type accept an IRI.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::config::IriParameter;
use crate::document::child;
use crate::model::RequestShape;
use crate::report::Report;
use crate::syntax::{last_ident, module_items};

/// Whether a media type is JSON under a vendor name (`+json`, `+jsonld`).
pub fn is_vendor_json(media_type: &str) -> bool {
    let essence = crate::document::media_type_essence(media_type);
    essence != "application/json" && (essence.ends_with("+json") || essence.ends_with("+jsonld"))
}

/// Renames vendor JSON content keys to `application/json` in the object at
/// `pointer`, so every later stage reads one JSON media type; returns the
/// vendor type, which the request shape keeps for the wire.
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
/// what the later stages read as plain JSON.
pub fn detect(
    doc: &mut Value,
    iri_parameters: &[IriParameter],
    report: &mut Report,
) -> anyhow::Result<BTreeMap<String, RequestShape>> {
    let mut shapes = BTreeMap::new();
    let operations: Vec<(String, String, String)> = crate::openapi_walk::operations(doc)
        .filter_map(|at| {
            let id = at.operation.get("operationId")?.as_str()?;
            Some((at.pointer(), id.to_string(), at.path.to_string()))
        })
        .collect();
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
            // One component per IRI parameter (`ConversationSlug`), shared
            // by every operation that takes it: one type, named for what it
            // holds rather than `{operationId}-{parameter}`.
            parameter["schema"] =
                json!({"$ref": child("#/components/schemas", &slug_component(iri))});
            shape.iri_parameters.push(iri.clone());
            used_iri.insert(iri.parameter.clone());
            report.applied(crate::report::Rule::IriPathParameter);
        }
        if shape != RequestShape::default() {
            shapes.insert(id, shape);
        }
    }
    for iri in iri_parameters
        .iter()
        .filter(|iri| used_iri.contains(&iri.parameter))
    {
        let name = slug_component(iri);
        let schemas = doc
            .as_object_mut()
            .context("the document is not an object")?
            .entry("components")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .context("`components` is not an object")?
            .entry("schemas")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .context("`components/schemas` is not an object")?;
        if schemas.contains_key(&name) {
            bail!(
                "iri_path_parameters: the component `{name}` that `{}` becomes already exists",
                iri.parameter
            );
        }
        // A slug is one non-empty path segment: checked before sending.
        schemas.insert(
            name,
            json!({"type": "string", "pattern": "^[^/]+$",
                "description": format!("A slug, or the IRI `{}<slug>`.", iri.prefix)}),
        );
    }
    for iri in iri_parameters {
        if !used_iri.contains(&iri.parameter) {
            report.stale_override(format!(
                "overrides.iri_path_parameters names `{}`, which no path has",
                iri.parameter
            ))?;
        }
    }
    Ok(shapes)
}

/// The component an IRI path parameter's schema becomes: `{parameter}Slug`.
pub fn slug_component(iri: &IriParameter) -> String {
    format!("{}Slug", crate::naming::pascal(&iri.parameter))
}

// ---------------------------------------------------------------------------
// The type stage

/// Strips the IRI prefix at the start of the parameter type's `from_str`, so
/// every conversion (`TryFrom<&str>`, `Deserialize`) accepts IRI or slug.
pub fn iri_parameter(file: &mut syn::File, type_name: &str, prefix: &str) -> anyhow::Result<()> {
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
        if !is_from_str || last_ident(&block.self_ty).as_deref() != Some(type_name) {
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
            doc.pointer("/paths/~1conversations~1{conversation}~1read/put/parameters/0/schema"),
            Some(&json!({"$ref": "#/components/schemas/ConversationSlug"}))
        );
        assert_eq!(
            doc.pointer("/components/schemas/ConversationSlug/pattern"),
            Some(&json!("^[^/]+$"))
        );
        // A document that already has the name is refused, not overwritten.
        let mut taken = json!({"paths": {"/c/{conversation}": {"get": {
            "operationId": "getConversation",
            "parameters": [{"name": "conversation", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {}}}},
            "components": {"schemas": {"ConversationSlug": {"type": "integer"}}}});
        let error = detect(&mut taken, &iri, &mut report).unwrap_err();
        assert!(error.to_string().contains("`ConversationSlug`"), "{error}");
        let mut doc_without = json!({"paths": {}});
        let error = detect(&mut doc_without, &iri, &mut report).unwrap_err();
        assert!(error.to_string().contains("`conversation`"), "{error}");
    }
}
