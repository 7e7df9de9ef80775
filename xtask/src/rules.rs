//! Stage "rules": generic rewrites of a 3.0.3 document into what the type
//! generator turns into correct types, plus the per-API overrides from `codegen.toml`.
//! Each rule is named in the report with how often it applied.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use crate::config::Overrides;
use crate::document::{child, schema_ref_name};
use crate::model::{Constant, ConstantLocation, Replacement};
use crate::openapi_walk::{
    for_each_operation, reachable_components, schema_roots, walk_schema_mut, Side, METHODS,
};
use crate::report::Report;

pub fn require_operation_ids(doc: &mut Value) -> anyhow::Result<()> {
    let mut seen = BTreeSet::new();
    for_each_operation(doc, |pointer, operation| {
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .with_context(|| format!("operation without an operationId at {pointer}"))?;
        if !seen.insert(id.to_string()) {
            bail!("operationId `{id}` used twice (again at {pointer})");
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Overrides

pub fn apply_overrides(
    doc: &mut Value,
    overrides: &Overrides,
    report: &mut Report,
) -> anyhow::Result<()> {
    for name in &overrides.comma_separated_query {
        let mut found = false;
        let mut mark = |parameter: &mut Value| {
            if parameter.get("in").and_then(Value::as_str) == Some("query")
                && parameter.get("name").and_then(Value::as_str) == Some(name)
            {
                parameter["style"] = json!("form");
                parameter["explode"] = json!(false);
                found = true;
            }
        };
        if let Some(parameters) = doc
            .pointer_mut("/components/parameters")
            .and_then(Value::as_object_mut)
        {
            parameters.values_mut().for_each(&mut mark);
        }
        for_each_operation(doc, |_, operation| {
            if let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            {
                parameters.iter_mut().for_each(&mut mark);
            }
            Ok(())
        })?;
        if !found {
            report.stale_override(format!("override comma_separated_query names `{name}`, which is no query parameter of the document"))?;
            continue;
        }
        report.applied(crate::report::Rule::OverrideCommaSeparatedQuery);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Error bodies

fn is_error_status(status: &str) -> bool {
    status == "default" || status.starts_with('4') || status.starts_with('5')
}

/// JSON, plain or under a vendor name (`+json`, `+jsonld`).
fn is_json_media_type(media_type: &str) -> bool {
    crate::document::media_type_essence(media_type) == "application/json"
        || crate::requests::is_vendor_json(media_type)
}

/// The response object an operation's response entry stands for, following a
/// `#/components/responses/...` reference: returns its pointer.
fn response_pointer(doc: &Value, operation_pointer: &str, status: &str) -> anyhow::Result<String> {
    let pointer = child(&child(operation_pointer, "responses"), status);
    let response = doc
        .pointer(&pointer)
        .expect("status came from the document");
    match response.get("$ref").and_then(Value::as_str) {
        None => Ok(pointer),
        Some(reference) => {
            let target = reference
                .strip_prefix('#')
                .filter(|target| target.starts_with("/components/responses/"))
                .with_context(|| {
                    format!("unsupported response reference `{reference}` at {pointer}")
                })?;
            doc.pointer(target)
                .with_context(|| format!("unresolved reference `{reference}` at {pointer}"))?;
            Ok(target.to_string())
        }
    }
}

/// The runtime decodes every error of an API into one type
/// (`finish::<Success, ApiError>`), and an inline error body would be named
/// `{OpId}Response`, the success body's name, so a 401 would decode as the
/// success type. Every error body therefore becomes one component,
/// the union of the documented shapes, with nothing required that any one of
/// them lacks and no enumerated values, so every documented body decodes.
pub fn unify_error_bodies(doc: &mut Value, name: &str, report: &mut Report) -> anyhow::Result<()> {
    let mut operation_pointers = Vec::new();
    for_each_operation(doc, |pointer, _| {
        operation_pointers.push(pointer.to_string());
        Ok(())
    })?;
    // (operation pointer, status, response pointer)
    let mut error_responses = Vec::new();
    for operation_pointer in &operation_pointers {
        let statuses: Vec<String> = doc
            .pointer(&child(operation_pointer, "responses"))
            .and_then(Value::as_object)
            .map(|responses| {
                responses
                    .keys()
                    .filter(|s| is_error_status(s))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for status in statuses {
            let target = response_pointer(doc, operation_pointer, &status)?;
            error_responses.push((operation_pointer.clone(), status, target));
        }
    }
    let reference =
        json!({"$ref": format!("#/components/schemas/{}", crate::document::escape(name))});
    let mut merged: Option<Value> = None;
    let mut rewritten = BTreeSet::new();
    for (_, _, target) in &error_responses {
        if !rewritten.insert(target.clone()) {
            continue;
        }
        let Some(content) = doc
            .pointer(&child(target, "content"))
            .and_then(Value::as_object)
            .cloned()
        else {
            continue;
        };
        for (media_type, media) in content {
            let media_pointer = child(&child(target, "content"), &media_type);
            if !is_json_media_type(&media_type) {
                // A non-JSON error body is read as bytes by nobody: keep the status, drop the body.
                doc.pointer_mut(&child(target, "content"))
                    .and_then(Value::as_object_mut)
                    .expect("content exists")
                    .remove(&media_type);
                report.applied(crate::report::Rule::DropNonJsonErrorBody);
                continue;
            }
            let Some(schema) = media.get("schema") else {
                continue;
            };
            let inlined = inline_refs(doc, schema, &mut Vec::new())
                .with_context(|| format!("in the error body at {media_pointer}"))?;
            let relaxed = strip_enumerations(inlined);
            merged = Some(match merged {
                None => relaxed,
                Some(previous) => merge_shapes(previous, relaxed),
            });
            doc.pointer_mut(&media_pointer).expect("media exists")["schema"] = reference.clone();
            report.applied(crate::report::Rule::UnifyErrorBodies);
        }
    }
    let Some(mut merged) = merged else {
        return Ok(());
    };
    if let Some(object) = merged.as_object_mut() {
        object.insert(
            "description".into(),
            json!("The body of every documented error response, merged into one shape."),
        );
    }
    let schemas = crate::document::schemas_mut(doc)?;
    if schemas.contains_key(name) {
        bail!("the error schema name `{name}` is taken by /components/schemas/{name}: set overrides.error_schema");
    }
    schemas.insert(name.to_string(), merged);

    // An operation mixing bodies and bodiless errors would have two error types.
    for operation_pointer in &operation_pointers {
        let mut bodiless = Vec::new();
        let mut with_body = 0;
        for (owner, status, target) in &error_responses {
            if owner != operation_pointer {
                continue;
            }
            let has_body = doc
                .pointer(&child(target, "content"))
                .and_then(Value::as_object)
                .is_some_and(|content| content.values().any(|media| media.get("schema").is_some()));
            if has_body {
                with_body += 1;
            } else {
                bodiless.push(status.clone());
            }
        }
        if with_body > 0 && !bodiless.is_empty() {
            let responses = doc
                .pointer_mut(&child(operation_pointer, "responses"))
                .and_then(Value::as_object_mut)
                .expect("responses exist");
            for status in bodiless {
                responses.remove(&status);
                report.applied(crate::report::Rule::DropBodilessErrorResponse);
            }
        }
    }
    Ok(())
}

/// A copy of `schema` with local schema references replaced by their targets.
fn inline_refs(doc: &Value, schema: &Value, stack: &mut Vec<String>) -> anyhow::Result<Value> {
    Ok(match schema {
        Value::Object(object) => {
            if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                let name = schema_ref_name(reference)
                    .with_context(|| format!("unsupported reference `{reference}`"))?;
                if stack.contains(&name) {
                    bail!("recursive schema `{name}` in an error body");
                }
                let target = doc
                    .pointer(&child("/components/schemas", &name))
                    .with_context(|| format!("unresolved reference `{reference}`"))?;
                stack.push(name);
                let inlined = inline_refs(doc, target, stack)?;
                stack.pop();
                return Ok(inlined);
            }
            Value::Object(
                object
                    .iter()
                    .map(|(key, value)| Ok((key.clone(), inline_refs(doc, value, stack)?)))
                    .collect::<anyhow::Result<_>>()?,
            )
        }
        Value::Array(list) => Value::Array(
            list.iter()
                .map(|value| inline_refs(doc, value, stack))
                .collect::<anyhow::Result<_>>()?,
        ),
        other => other.clone(),
    })
}

fn strip_enumerations(mut schema: Value) -> Value {
    walk_schema_mut::<()>(&mut schema, "", &mut |node, _| {
        if let Some(object) = node.as_object_mut() {
            object.remove("enum");
        }
        Ok(())
    })
    .expect("the visit cannot fail");
    schema
}

fn kind_of(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str).or_else(|| {
        if schema.get("properties").is_some() {
            Some("object")
        } else if schema.get("items").is_some() {
            Some("array")
        } else {
            None
        }
    })
}

/// The narrowest shape both `a` and `b` fit; `{}` (any JSON) when they disagree.
fn merge_shapes(a: Value, b: Value) -> Value {
    if a == b {
        return a;
    }
    match (kind_of(&a), kind_of(&b)) {
        (Some("object"), Some("object")) => {
            let mut properties = a
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (name, shape) in b
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
            {
                let merged = match properties.remove(&name) {
                    Some(existing) => merge_shapes(existing, shape),
                    None => shape,
                };
                properties.insert(name, merged);
            }
            let required_b = crate::document::required_names(&b);
            let required: Vec<Value> = a
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|name| name.as_str().is_some_and(|name| required_b.contains(name)))
                .cloned()
                .collect();
            let mut merged = json!({"type": "object", "properties": properties});
            if !required.is_empty() {
                merged["required"] = Value::Array(required);
            }
            merged
        }
        (Some("array"), Some("array")) => {
            let items = merge_shapes(
                a.get("items").cloned().unwrap_or(json!({})),
                b.get("items").cloned().unwrap_or(json!({})),
            );
            json!({"type": "array", "items": items})
        }
        (Some(x), Some(y)) if x == y => {
            let mut merged = json!({"type": x});
            if a.get("format").is_some() && a.get("format") == b.get("format") {
                merged["format"] = a["format"].clone();
            }
            if a.get("nullable") == Some(&json!(true)) || b.get("nullable") == Some(&json!(true)) {
                merged["nullable"] = json!(true);
            }
            merged
        }
        _ => json!({}),
    }
}

// ---------------------------------------------------------------------------
// Tolerance on what is received

/// Keywords that make a received value fail to decode over something the
/// client cannot act on. `default` would also make serde invent values.
const RECEIVED_CONSTRAINTS: [&str; 14] = [
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "default",
];

fn relax_node(node: &mut Value, report: &mut Report) -> bool {
    let Some(object) = node.as_object_mut() else {
        return false;
    };
    let mut changed = false;
    for keyword in RECEIVED_CONSTRAINTS {
        if object.remove(keyword).is_some() {
            changed = true;
        }
    }
    if object.get("additionalProperties") == Some(&Value::Bool(false)) {
        object.remove("additionalProperties");
        changed = true;
    }
    if changed {
        report.applied(crate::report::Rule::RelaxReceived);
    }
    changed
}

/// Strict on what is sent, tolerant on what is received: one off-pattern id
/// from a server must not fail a whole page.
pub fn relax_received(doc: &mut Value, report: &mut Report) {
    let sent = reachable_components(doc, Side::Sent);
    let received = reachable_components(doc, Side::Received);
    for (pointer, side) in schema_roots(doc) {
        let name = pointer
            .strip_prefix("/components/schemas/")
            .map(crate::document::unescape);
        let relax = match (side, &name) {
            (Side::Received, _) => true,
            (Side::Component, Some(name)) => received.contains(name) && !sent.contains(name),
            _ => false,
        };
        let schema = doc.pointer_mut(&pointer).expect("roots resolve");
        if relax {
            walk_schema_mut::<()>(schema, &pointer, &mut |node, _| {
                relax_node(node, report);
                Ok(())
            })
            .expect("the visit cannot fail");
        } else if let (Side::Component, Some(name)) = (side, &name) {
            if received.contains(name) {
                let mut probe = schema.clone();
                let mut scratch = Report::default();
                walk_schema_mut::<()>(&mut probe, "", &mut |node, _| {
                    relax_node(node, &mut scratch);
                    Ok(())
                })
                .expect("the visit cannot fail");
                if !scratch.rules.is_empty() {
                    report.note(format!(
                        "component `{name}` is both sent and received: its constraints stay strict when received"
                    ));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Constant parameters

/// The one value a parameter's schema allows, if it allows exactly one.
fn only_value(doc: &Value, parameter: &Value) -> Option<String> {
    let schema = crate::document::resolve(doc, parameter.get("schema")?);
    let values: Vec<&Value> = schema
        .get("enum")?
        .as_array()?
        .iter()
        .filter(|value| !value.is_null())
        .collect();
    match values.as_slice() {
        [Value::String(text)] => Some(text.clone()),
        [Value::Number(number)] => Some(number.to_string()),
        [Value::Bool(flag)] => Some(flag.to_string()),
        _ => None,
    }
}

/// Finds every required header or query parameter whose schema allows
/// exactly one value (a dated API version, say), removes it from the
/// operation so the emitter writes no setter, and returns it for the
/// client to send on every request.
pub fn constant_parameters(
    doc: &mut Value,
    report: &mut Report,
) -> anyhow::Result<BTreeMap<String, Vec<Constant>>> {
    let snapshot = doc.clone();
    let mut constants: BTreeMap<String, Vec<Constant>> = BTreeMap::new();
    let constant_of = |parameter: &Value| -> Option<Constant> {
        let parameter = crate::document::resolve(&snapshot, parameter);
        let location = parameter.get("in").and_then(Value::as_str)?;
        if !matches!(location, "header" | "query")
            || parameter.get("required") != Some(&json!(true))
        {
            return None;
        }
        Some(Constant {
            location: if location == "header" {
                ConstantLocation::Header
            } else {
                ConstantLocation::Query
            },
            name: parameter.get("name")?.as_str()?.to_string(),
            value: only_value(&snapshot, parameter)?,
        })
    };
    // Path-item parameters apply to every operation of the item.
    let mut shared: BTreeMap<String, Vec<Constant>> = BTreeMap::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let mut found = Vec::new();
            if let Some(list) = item.get_mut("parameters").and_then(Value::as_array_mut) {
                list.retain(|parameter| match constant_of(parameter) {
                    Some(constant) => {
                        found.push(constant);
                        false
                    }
                    None => true,
                });
            }
            shared.insert(crate::document::child("/paths", path), found);
        }
    }
    for_each_operation(doc, |pointer, operation| {
        let item_pointer = pointer.rsplit_once('/').map_or("", |(item, _)| item);
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut found = shared.get(item_pointer).cloned().unwrap_or_default();
        if let Some(list) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        {
            list.retain(|parameter| match constant_of(parameter) {
                Some(constant) => {
                    found.push(constant);
                    false
                }
                None => true,
            });
        }
        for constant in &found {
            if constant.location == ConstantLocation::Header
                && (reqwest_header_name_ok(&constant.name).is_none()
                    || !constant.value.bytes().all(|b| (0x20..0x7f).contains(&b)))
            {
                bail!(
                    "constant header `{}: {}` of {id} cannot be sent as an HTTP header",
                    constant.name,
                    constant.value
                );
            }
            report.applied(crate::report::Rule::ConstantParameter);
            report.note(format!(
                "constant: {id} sends {} `{}` = {:?} on every request (no setter)",
                match constant.location {
                    ConstantLocation::Header => "header",
                    ConstantLocation::Query => "query",
                },
                constant.name,
                constant.value
            ));
        }
        if !found.is_empty() {
            constants.insert(id, found);
        }
        Ok(())
    })?;
    Ok(constants)
}

/// A header name as HTTP allows it (token characters), lowercased.
fn reqwest_header_name_ok(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    ok.then(|| name.to_ascii_lowercase())
}

// ---------------------------------------------------------------------------
// Unreachable components

/// Removes the component schemas no operation reaches once the other rules
/// have run (the members of a union kept as raw JSON, a parameter type a
/// replacement took over): no generated type is dead code.
pub fn prune_unreachable(
    doc: &mut Value,
    replacements: &[Replacement],
    report: &mut Report,
) -> BTreeSet<String> {
    let mut reached = reachable_components(doc, Side::Sent);
    reached.extend(reachable_components(doc, Side::Received));
    reached.extend(replacements.iter().map(|r| r.component.clone()));
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return BTreeSet::new();
    };
    let unreached: Vec<String> = schemas
        .keys()
        .filter(|name| !reached.contains(*name))
        .cloned()
        .collect();
    for name in &unreached {
        schemas.remove(name);
        report.applied(crate::report::Rule::PruneUnreachable);
    }
    if !unreached.is_empty() {
        report.note(format!(
            "pruned (no operation reaches them): {}",
            unreached.join(", ")
        ));
    }
    unreached.into_iter().collect()
}

// ---------------------------------------------------------------------------
// Timestamps received

/// The component every received timestamp becomes, replaced by the facade's type.
const TIMESTAMP_COMPONENT: &str = "Timestamp";

/// Tolerant, typed timestamps on what is received: every string a response
/// carries with `format: date-time`, or under a property named in
/// `overrides.timestamp_properties`, becomes `inbox_bindings::Timestamp`
/// (parsed when it can be, kept as sent either way), so one malformed date
/// never fails a response. What is sent keeps its strict type.
pub fn received_timestamps(
    doc: &mut Value,
    properties: &[String],
    report: &mut Report,
) -> anyhow::Result<Vec<Replacement>> {
    let sent = reachable_components(doc, Side::Sent);
    let received = reachable_components(doc, Side::Received);
    let reference = json!({"$ref": format!("#/components/schemas/{TIMESTAMP_COMPONENT}")});
    let mut replaced = 0;
    let mut named = BTreeSet::new();
    for (pointer, side) in schema_roots(doc) {
        let component = pointer
            .strip_prefix("/components/schemas/")
            .map(crate::document::unescape);
        let receive_only = match (side, &component) {
            (Side::Received, _) => true,
            (Side::Component, Some(name)) => received.contains(name) && !sent.contains(name),
            _ => false,
        };
        if !receive_only {
            continue;
        }
        let schema = doc.pointer_mut(&pointer).expect("roots resolve");
        walk_schema_mut::<()>(schema, &pointer, &mut |node, at| {
            let is_string = node.get("type").and_then(Value::as_str) == Some("string")
                && node.get("enum").is_none();
            let date_time = node.get("format").and_then(Value::as_str) == Some("date-time");
            let property = at
                .rsplit_once("/properties/")
                .map(|(_, name)| crate::document::unescape(name))
                .filter(|name| properties.contains(name));
            if !is_string || !(date_time || property.is_some()) {
                return Ok(());
            }
            if let Some(name) = property {
                named.insert(name);
            }
            let mut replacement = if node.get("nullable") == Some(&json!(true)) {
                json!({"allOf": [reference.clone()], "nullable": true})
            } else {
                reference.clone()
            };
            if let Some(description) = node.get("description") {
                replacement["description"] = description.clone();
            }
            *node = replacement;
            replaced += 1;
            Ok(())
        })
        .expect("the visit cannot fail");
    }
    for property in properties {
        if !named.contains(property) {
            report.note(format!(
                "overrides.timestamp_properties: no received string property `{property}` in this document"
            ));
        }
    }
    if replaced == 0 {
        return Ok(Vec::new());
    }
    for _ in 0..replaced {
        report.applied(crate::report::Rule::ReceivedTimestamp);
    }
    let schemas = crate::document::schemas_mut(doc)?;
    if schemas.contains_key(TIMESTAMP_COMPONENT) {
        bail!("the document defines a component `{TIMESTAMP_COMPONENT}`, the name received timestamps use");
    }
    schemas.insert(
        TIMESTAMP_COMPONENT.to_string(),
        json!({"type": "string", "description": "A timestamp as received (replaced by inbox_bindings::Timestamp)."}),
    );
    Ok(vec![Replacement {
        component: TIMESTAMP_COMPONENT.to_string(),
        rust_path: "::inbox_bindings::Timestamp".to_string(),
    }])
}

// ---------------------------------------------------------------------------
// Nullable scalar components

fn is_nullable_scalar(schema: &Value) -> bool {
    schema.get("nullable") == Some(&json!(true))
        && matches!(
            kind_of(schema),
            Some("string" | "integer" | "number" | "boolean")
        )
        && schema.get("enum").is_none()
}

/// A nullable scalar component, referenced as a property, becomes
/// `Option<Name(Option<T>)>`: two ways to say "absent". Inline it instead.
pub fn inline_nullable_scalars(doc: &mut Value, report: &mut Report) {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    let targets: BTreeMap<String, Value> = schemas
        .iter()
        .filter(|(_, schema)| is_nullable_scalar(schema))
        .map(|(name, schema)| {
            (
                format!("#/components/schemas/{}", crate::document::escape(name)),
                schema.clone(),
            )
        })
        .collect();
    if targets.is_empty() {
        return;
    }
    fn replace(node: &mut Value, targets: &BTreeMap<String, Value>, report: &mut Report) {
        match node {
            Value::Object(object) => {
                let target = object
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| targets.get(r))
                    .cloned();
                if let Some(mut inlined) = target {
                    if let (Some(description), Some(inlined)) =
                        (object.get("description"), inlined.as_object_mut())
                    {
                        inlined.insert("description".into(), description.clone());
                    }
                    *node = inlined;
                    report.applied(crate::report::Rule::InlineNullableScalar);
                    return;
                }
                // `allOf: [$ref]` wrapping a nullable scalar collapses too.
                if let Some(Value::Array(all_of)) = object.get("allOf") {
                    if let [only] = all_of.as_slice() {
                        if let Some(inlined) = only
                            .get("$ref")
                            .and_then(Value::as_str)
                            .and_then(|r| targets.get(r))
                            .cloned()
                        {
                            object.remove("allOf");
                            for (key, value) in inlined.as_object().expect("schema is an object") {
                                object.entry(key.clone()).or_insert_with(|| value.clone());
                            }
                            report.applied(crate::report::Rule::InlineNullableScalar);
                            return;
                        }
                    }
                }
                object
                    .values_mut()
                    .for_each(|value| replace(value, targets, report));
            }
            Value::Array(list) => list
                .iter_mut()
                .for_each(|value| replace(value, targets, report)),
            _ => {}
        }
    }
    replace(doc, &targets, report);
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("checked above");
    for reference in targets.keys() {
        let name = schema_ref_name(reference).expect("built from a name");
        schemas.remove(&name);
    }
}

// ---------------------------------------------------------------------------
// Unions

/// The JSON kinds a schema may take, for telling union members apart.
fn member_kind(doc: &Value, schema: &Value, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(schema_ref_name)
    {
        return member_kind(
            doc,
            doc.pointer(&child("/components/schemas", &name))?,
            depth + 1,
        );
    }
    if let Some(Value::Array(all_of)) = schema.get("allOf") {
        return all_of
            .iter()
            .find_map(|member| member_kind(doc, member, depth + 1));
    }
    if let Some(kind) = kind_of(schema) {
        return Some(if kind == "integer" {
            "number".into()
        } else {
            kind.to_string()
        });
    }
    let values = schema.get("enum").and_then(Value::as_array)?;
    let kinds: BTreeSet<&str> = values
        .iter()
        .map(|value| match value {
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Null => "null",
        })
        .collect();
    (kinds.len() == 1).then(|| kinds.into_iter().next().expect("one kind").to_string())
}

fn required_set(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let resolved = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(schema_ref_name)
        .and_then(|name| doc.pointer(&child("/components/schemas", &name)))
        .unwrap_or(schema);
    crate::document::required_names(resolved)
}

/// Whether serde's untagged enum (first member that decodes wins) would pick
/// the documented member for every value.
fn members_distinguishable(doc: &Value, members: &[Value]) -> bool {
    let kinds: Vec<Option<String>> = members
        .iter()
        .map(|member| member_kind(doc, member, 0))
        .collect();
    for (i, kind) in kinds.iter().enumerate() {
        let Some(kind) = kind else { return false };
        for (j, other) in kinds.iter().enumerate().skip(i + 1) {
            if other.as_deref() != Some(kind.as_str()) {
                continue;
            }
            if kind != "object" {
                return false;
            }
            // Two objects are told apart only by required properties neither shares.
            let (a, b) = (
                required_set(doc, &members[i]),
                required_set(doc, &members[j]),
            );
            if a.is_empty() || b.is_empty() || a.is_subset(&b) || b.is_subset(&a) {
                return false;
            }
        }
    }
    true
}

fn raw_json(schema: &mut Map<String, Value>, keyword: &str, why: &str) {
    schema.remove(keyword);
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    let note = format!("Kept as raw JSON: {why}.");
    let joined = if description.is_empty() {
        note
    } else {
        format!("{description}\n\n{note}")
    };
    schema.insert("description".into(), Value::from(joined));
}

/// `oneOf`/`anyOf` whose members serde cannot tell apart would decode some
/// values as the wrong member, silently. Such a union is kept as raw JSON;
/// `anyOf` of one scalar kind is that scalar; `anyOf` of distinct kinds is a
/// `oneOf` (typify turns `anyOf` into a struct of optional flattened fields).
pub fn resolve_unions(doc: &mut Value, report: &mut Report) -> anyhow::Result<()> {
    let snapshot = doc.clone();
    for (pointer, _) in schema_roots(&snapshot) {
        let schema = doc.pointer_mut(&pointer).expect("roots resolve");
        walk_schema_mut::<anyhow::Error>(schema, &pointer, &mut |node, _| {
            let Some(object) = node.as_object_mut() else {
                return Ok(());
            };
            if let Some(Value::Array(members)) = object.get("anyOf").cloned() {
                let kinds: BTreeSet<Option<String>> = members
                    .iter()
                    .map(|member| member_kind(&snapshot, member, 0))
                    .collect();
                let scalar = matches!(
                    kinds.iter().next(),
                    Some(Some(kind)) if kinds.len() == 1 && kind != "object" && kind != "array"
                );
                if scalar && members.iter().all(|member| member.get("$ref").is_none()) {
                    let kind = kinds.into_iter().next().flatten().expect("checked");
                    object.remove("anyOf");
                    let original = members
                        .iter()
                        .find_map(|m| m.get("type").cloned())
                        .unwrap_or(Value::from(kind));
                    object.insert("type".into(), original);
                    report.applied(crate::report::Rule::AnyOfOneScalarKind);
                } else if members_distinguishable(&snapshot, &members) {
                    object.remove("anyOf");
                    object.insert("oneOf".into(), Value::Array(members));
                    report.applied(crate::report::Rule::AnyOfToOneOf);
                } else {
                    raw_json(
                        object,
                        "anyOf",
                        "its members are not distinguishable by shape",
                    );
                    report.applied(crate::report::Rule::AmbiguousUnionToRawJson);
                }
            }
            if let Some(Value::Array(members)) = object.get("oneOf").cloned() {
                let discriminated = object.get("discriminator").is_some();
                if !discriminated && !members_distinguishable(&snapshot, &members) {
                    raw_json(
                        object,
                        "oneOf",
                        "its members are not distinguishable by shape",
                    );
                    report.applied(crate::report::Rule::AmbiguousUnionToRawJson);
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Comma-separated query values

/// A query array is sent as repeated keys (`style: form, explode: true`).
/// A query array with `explode: false` becomes one comma-separated value,
/// through the facade's `CommaSeparated` type.
pub fn comma_separated_query(
    doc: &mut Value,
    report: &mut Report,
) -> anyhow::Result<Vec<Replacement>> {
    let mut replacements = BTreeMap::new();
    let snapshot = doc.clone();
    let mut rewrite = |parameter: &mut Value, pointer: &str| -> anyhow::Result<()> {
        let is_form_list = parameter.get("in").and_then(Value::as_str) == Some("query")
            && parameter.get("explode") == Some(&json!(false))
            && matches!(
                parameter.get("style").and_then(Value::as_str),
                None | Some("form")
            );
        let Some(schema) = parameter.get("schema").filter(|_| is_form_list) else {
            return Ok(());
        };
        if kind_of(schema) != Some("array") {
            return Ok(());
        }
        let items = schema.get("items").cloned().unwrap_or(json!({}));
        let (component, rust_path) = match member_kind(&snapshot, &items, 0).as_deref() {
            Some("string") => ("CommaSeparatedStrings", "::inbox_bindings::CommaSeparated<::std::string::String>"),
            Some("number") if kind_of(&items) == Some("integer") || items.get("$ref").is_some() => {
                ("CommaSeparatedIntegers", "::inbox_bindings::CommaSeparated<i64>")
            }
            other => bail!("comma-separated query items of kind {other:?} are not supported at {pointer}/schema"),
        };
        let description = schema.get("description").cloned();
        let mut reference = json!({"$ref": format!("#/components/schemas/{component}")});
        if let Some(description) = description {
            reference["description"] = description;
        }
        parameter["schema"] = reference;
        replacements.insert(component.to_string(), rust_path.to_string());
        report.applied(crate::report::Rule::CommaSeparatedQuery);
        Ok(())
    };
    if let Some(parameters) = doc
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        for (name, parameter) in parameters.iter_mut() {
            rewrite(parameter, &child("/components/parameters", name))?;
        }
    }
    for_each_operation(doc, |pointer, operation| {
        if let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        {
            for (index, parameter) in parameters.iter_mut().enumerate() {
                rewrite(
                    parameter,
                    &child(&child(pointer, "parameters"), &index.to_string()),
                )?;
            }
        }
        Ok(())
    })?;
    let schemas = crate::document::schemas_mut(doc)?;
    for component in replacements.keys() {
        schemas.insert(component.clone(), json!({
            "type": "string",
            "description": "Values joined with commas into one query value (replaced by inbox_bindings::CommaSeparated)."
        }));
    }
    Ok(replacements
        .into_iter()
        .map(|(component, rust_path)| Replacement {
            component,
            rust_path,
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Deprecation

/// The emitter adds `#[deprecated]` on a deprecated operation's method, with
/// the first paragraph of the operation's description as the advice.
/// Makes the relative links of every description absolute against the
/// provider's documentation (`](/x)` → `](https://docs.example/x)`,
/// `](#y)` → `](https://docs.example/#y)`): relative ones break on docs.rs.
pub fn absolute_links(doc: &mut Value, docs_url: &str, report: &mut Report) {
    let base = docs_url.trim_end_matches('/');
    fn visit(node: &mut Value, base: &str, report: &mut Report) {
        match node {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    match value {
                        Value::String(text) if key == "description" || key == "summary" => {
                            if text.contains("](/") || text.contains("](#") {
                                *text = text
                                    .replace("](/", &format!("]({base}/"))
                                    .replace("](#", &format!("]({base}/#"));
                                report.applied(crate::report::Rule::AbsoluteDocLinks);
                            }
                        }
                        other => visit(other, base, report),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| visit(item, base, report)),
            _ => {}
        }
    }
    visit(doc, base, report);
}

/// A path template with its parameter names blanked: `/a/{id}` → `/a/{}`.
fn path_shape(path: &str) -> String {
    let mut shape = String::new();
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                shape.push_str("{}");
            }
            '}' => in_parameter = false,
            _ if !in_parameter => shape.push(c),
            _ => {}
        }
    }
    shape
}

/// Rewrites every `METHOD /path` a deprecation note mentions into the
/// crate's method for it, or says the crate does not have it: a note never
/// points to something a user cannot call.
fn name_replacements(doc: &Value, advice: &str) -> String {
    let operations: BTreeMap<(String, String), String> = crate::openapi_walk::operations(doc)
        .filter_map(|at| {
            let id = at.operation.get("operationId")?.as_str()?;
            Some((
                (at.method.to_ascii_uppercase(), path_shape(at.path)),
                id.to_string(),
            ))
        })
        .collect();
    let words: Vec<&str> = advice.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let word = words[index];
        let next = words.get(index + 1).copied().unwrap_or("");
        let is_method = METHODS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(word) && word.chars().all(|c| c.is_ascii_uppercase()));
        if is_method && next.starts_with('/') {
            let path = next.trim_end_matches(['.', ',', ';', ':', ')']);
            let tail = &next[path.len()..];
            let named = match operations.get(&(word.to_string(), path_shape(path))) {
                Some(id) => format!("`{}()` ({word} {path})", crate::naming::snake(id)),
                None => format!("{word} {path} (not in this crate)"),
            };
            out.push(format!("{named}{tail}"));
            index += 2;
            continue;
        }
        out.push(word.to_string());
        index += 1;
    }
    out.join(" ")
}

pub fn deprecated_operations(doc: &mut Value) -> BTreeMap<String, String> {
    let snapshot = doc.clone();
    let mut deprecated = BTreeMap::new();
    let _ = for_each_operation(doc, |_, operation| {
        if operation.get("deprecated") == Some(&json!(true)) {
            let id = operation["operationId"]
                .as_str()
                .expect("checked earlier")
                .to_string();
            let advice = operation
                .get("description")
                .or_else(|| operation.get("summary"))
                .and_then(Value::as_str)
                .and_then(|text| {
                    text.split("\n\n")
                        .map(str::trim)
                        .find(|paragraph| !paragraph.is_empty())
                })
                .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| "deprecated by the provider".to_string());
            deprecated.insert(id, name_replacements(&snapshot, &advice));
        }
        Ok(())
    });
    deprecated
}

#[cfg(test)]
mod tests;
