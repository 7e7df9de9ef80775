//! `cargo xtask drift <api> [--against <url-or-file>] [--json]`: compares the
//! vendored document with another version of it, semantically, and classifies
//! each change as breaking for users of the crate or compatible.
//!
//! Exit status: 0 no drift, 1 compatible drift only, 2 breaking drift, 3 the
//! comparison could not be made.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::config::Selector;
use crate::config::{ApiConfig, Config};
use crate::document::parameters;
use crate::report::Report;

/// One semantic change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Change {
    pub breaking: bool,
    /// The operationId, or `(document)` for servers and security.
    pub operation: String,
    /// Where in the operation (`parameter query per_page`, `response 200 conversations[].id`).
    pub location: String,
    pub description: String,
}

/// What a schema position looks like, for comparison.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    kind: String,
    nullable: bool,
    required: bool,
    values: Option<Vec<String>>,
    extensible: bool,
}

struct Flattener<'d> {
    doc: &'d Value,
    selectors: &'d [Selector],
}

impl Flattener<'_> {
    fn resolve<'v>(&'v self, schema: &'v Value, names: &mut Vec<String>) -> &'v Value {
        let mut current = schema;
        for _ in 0..8 {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                break;
            };
            if let Some(name) = crate::document::schema_ref_name(reference) {
                names.push(name);
            }
            match reference
                .strip_prefix('#')
                .and_then(|p| self.doc.pointer(p))
            {
                Some(target) => current = target,
                None => break,
            }
        }
        current
    }

    fn listed(&self, names: &[String], property: &str, values: &[String]) -> bool {
        self.selectors.iter().any(|selector| match selector {
            Selector::Component(name) => names.contains(name),
            Selector::Property {
                property: wanted,
                values: expected,
                ..
            } => wanted == property && expected.iter().all(|v| values.contains(v)),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn flatten(
        &self,
        schema: &Value,
        path: &str,
        required: bool,
        parent_note: bool,
        depth: usize,
        stack: &mut Vec<String>,
        out: &mut BTreeMap<String, Shape>,
    ) {
        if depth > 12 {
            return;
        }
        let mut names = Vec::new();
        let resolved = self.resolve(schema, &mut names);
        if names.iter().any(|name| stack.contains(name)) {
            out.insert(
                path.to_string(),
                Shape {
                    kind: "recursive".into(),
                    nullable: false,
                    required,
                    values: None,
                    extensible: false,
                },
            );
            return;
        }
        stack.extend(names.iter().cloned());
        let nullable = schema.get("nullable") == Some(&Value::Bool(true))
            || resolved.get("nullable") == Some(&Value::Bool(true));
        let note = parent_note
            || crate::extensible::has_note(schema)
            || crate::extensible::has_note(resolved);
        // allOf: one object from its members.
        if let Some(Value::Array(members)) = resolved.get("allOf") {
            for member in members {
                self.flatten(member, path, required, note, depth + 1, stack, out);
            }
            if let Some(shape) = out.get_mut(path) {
                shape.nullable |= nullable;
            }
            stack.truncate(stack.len() - names.len());
            return;
        }
        let kind = if let Some(kind) = resolved.get("type").and_then(Value::as_str) {
            kind.to_string()
        } else if resolved.get("properties").is_some() {
            "object".into()
        } else if let Some(list) = resolved
            .get("oneOf")
            .or_else(|| resolved.get("anyOf"))
            .and_then(Value::as_array)
        {
            format!("union of {}", list.len())
        } else {
            "any".into()
        };
        let values: Option<Vec<String>> =
            resolved.get("enum").and_then(Value::as_array).map(|list| {
                list.iter()
                    .filter(|v| !v.is_null())
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect()
            });
        let property = path
            .rsplit(['.', ' '])
            .next()
            .unwrap_or("")
            .trim_end_matches("[]");
        let extensible = values
            .as_ref()
            .is_some_and(|v| note || self.listed(&names, property, v));
        if !path.is_empty() {
            out.insert(
                path.to_string(),
                Shape {
                    kind: kind.clone(),
                    nullable,
                    required,
                    values,
                    extensible,
                },
            );
        }
        if let Some(properties) = resolved.get("properties").and_then(Value::as_object) {
            let required_list: BTreeSet<&str> = resolved
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, property) in properties {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                self.flatten(
                    property,
                    &child,
                    required_list.contains(name.as_str()),
                    false,
                    depth + 1,
                    stack,
                    out,
                );
            }
        }
        if let Some(items) = resolved.get("items") {
            self.flatten(
                items,
                &format!("{path}[]"),
                true,
                note,
                depth + 1,
                stack,
                out,
            );
        }
        stack.truncate(stack.len() - names.len());
    }
}

/// Everything comparable in one operation: location → shape.
fn operation_shapes(
    doc: &Value,
    operation: &Value,
    item: &Value,
    selectors: &[Selector],
) -> BTreeMap<String, Shape> {
    let flattener = Flattener { doc, selectors };
    let mut out = BTreeMap::new();
    let parameters = parameters(item, operation);
    for parameter in parameters {
        let parameter = flattener.resolve(parameter, &mut Vec::new());
        let (Some(location), Some(name)) = (
            parameter.get("in").and_then(Value::as_str),
            parameter.get("name").and_then(Value::as_str),
        ) else {
            continue;
        };
        let required = parameter.get("required") == Some(&Value::Bool(true));
        let mut shapes = BTreeMap::new();
        if let Some(schema) = parameter.get("schema") {
            flattener.flatten(
                schema,
                "value",
                required,
                false,
                0,
                &mut Vec::new(),
                &mut shapes,
            );
        }
        for (key, shape) in shapes {
            let suffix = key.strip_prefix("value").unwrap_or(&key);
            out.insert(format!("parameter {location} {name}{suffix}"), shape);
        }
    }
    let body = |value: Option<&Value>, prefix: &str, out: &mut BTreeMap<String, Shape>| {
        let Some(value) = value.map(|v| flattener.resolve(v, &mut Vec::new())) else {
            return;
        };
        let Some(content) = value.get("content").and_then(Value::as_object) else {
            return;
        };
        let Some((_, media)) = content
            .iter()
            .find(|(media_type, _)| media_type.contains("json"))
        else {
            return;
        };
        if let Some(schema) = media.get("schema") {
            let mut shapes = BTreeMap::new();
            flattener.flatten(schema, "", true, false, 0, &mut Vec::new(), &mut shapes);
            for (key, shape) in shapes {
                out.insert(format!("{prefix} {key}"), shape);
            }
        }
    };
    if let Some(event) = operation.get(WEBHOOK_BODY) {
        // A webhook's body is received: compared like a response.
        body(Some(event), "event", &mut out);
        return out;
    }
    body(operation.get("requestBody"), "request", &mut out);
    if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
        for (status, response) in responses {
            body(Some(response), &format!("response {status}"), &mut out);
        }
    }
    out
}

/// Where `operations` puts a webhook's body (the request the crate receives).
const WEBHOOK_BODY: &str = "x-webhook-body";

/// The name a webhook is compared under.
fn webhook_id(name: &str) -> String {
    format!("webhook {name}")
}

fn operations(doc: &Value) -> BTreeMap<String, (Value, Value)> {
    let mut found = BTreeMap::new();
    if let Some(webhooks) = doc.get("webhooks").and_then(Value::as_object) {
        for (name, item) in webhooks {
            if let Some(post) = item.get("post") {
                let mut operation = serde_json::Map::new();
                if let Some(body) = post.get("requestBody") {
                    operation.insert(WEBHOOK_BODY.into(), body.clone());
                }
                if let Some(deprecated) = post.get("deprecated") {
                    operation.insert("deprecated".into(), deprecated.clone());
                }
                found.insert(webhook_id(name), (Value::Object(operation), Value::Null));
            }
        }
    }
    for at in crate::openapi_walk::operations(doc) {
        let id = at
            .operation
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} {}", at.method.to_uppercase(), at.path));
        found.insert(id, (at.operation.clone(), at.item.clone()));
    }
    found
}

/// Compares two documents (both already normalized to 3.0).
pub fn compare(old: &Value, new: &Value, selectors: &[Selector]) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut push = |breaking: bool, operation: &str, location: &str, description: String| {
        changes.push(Change {
            breaking,
            operation: operation.to_string(),
            location: location.to_string(),
            description,
        });
    };
    let (before, after) = (operations(old), operations(new));
    let is_webhook = |id: &str| id.starts_with("webhook ");
    for id in before.keys().filter(|id| !after.contains_key(*id)) {
        let what = if is_webhook(id) {
            "event type removed (its variant goes)"
        } else {
            "operation removed"
        };
        push(true, id, "", what.into());
    }
    for id in after.keys().filter(|id| !before.contains_key(*id)) {
        let what = if is_webhook(id) {
            "event type added (decoded as `Unknown` until regenerated)"
        } else {
            "operation added"
        };
        push(false, id, "", what.into());
    }
    for (id, (old_operation, old_item)) in &before {
        let Some((new_operation, new_item)) = after.get(id) else {
            continue;
        };
        let deprecated = |o: &Value| o.get("deprecated") == Some(&Value::Bool(true));
        if !deprecated(old_operation) && deprecated(new_operation) {
            push(false, id, "", "operation newly deprecated".into());
        }
        let old_shapes = operation_shapes(old, old_operation, old_item, selectors);
        let new_shapes = operation_shapes(new, new_operation, new_item, selectors);
        for (location, shape) in &old_shapes {
            let received = location.starts_with("response") || location.starts_with("event");
            match new_shapes.get(location) {
                None => {
                    let what = if location.starts_with("parameter") {
                        "parameter removed"
                    } else {
                        "property removed"
                    };
                    push(true, id, location, what.into());
                }
                Some(new_shape) => {
                    if shape.kind != new_shape.kind {
                        push(
                            true,
                            id,
                            location,
                            format!("type changed from {} to {}", shape.kind, new_shape.kind),
                        );
                    }
                    if shape.nullable != new_shape.nullable {
                        // A received value that may now be null, or a sent one that may no longer be, breaks code.
                        let breaking = if received {
                            new_shape.nullable
                        } else {
                            !new_shape.nullable
                        };
                        let now = if new_shape.nullable {
                            "nullable"
                        } else {
                            "not nullable"
                        };
                        push(breaking, id, location, format!("now {now}"));
                    }
                    if !received && !shape.required && new_shape.required {
                        push(true, id, location, "now required".into());
                    }
                    let constant_changed = match (&shape.values, &new_shape.values) {
                        (Some(old_values), Some(new_values))
                            if location.starts_with("parameter")
                                && shape.required
                                && new_shape.required
                                && old_values.len() == 1
                                && new_values.len() == 1
                                && old_values != new_values =>
                        {
                            // The client sends a constant on every request: a
                            // new one (a dated API version) changes them all.
                            push(
                                true,
                                id,
                                location,
                                format!(
                                    "constant changed from {:?} to {:?} (sent on every request)",
                                    old_values[0], new_values[0]
                                ),
                            );
                            true
                        }
                        _ => false,
                    };
                    if let (Some(old_values), Some(new_values), false) =
                        (&shape.values, &new_shape.values, constant_changed)
                    {
                        for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                            // Every received enum decodes an undocumented value
                            // as `Unknown`, and a sent one accepts more: the new
                            // value is worth noticing, never a failure.
                            let extensible = shape.extensible || new_shape.extensible;
                            let kind = match (extensible, received) {
                                (true, _) => "extensible enum",
                                (false, true) => {
                                    "closed enum: decoded as Unknown until regenerated"
                                }
                                (false, false) => "closed enum",
                            };
                            push(
                                false,
                                id,
                                location,
                                format!("enum value {value:?} added ({kind})"),
                            );
                        }
                        for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                            push(true, id, location, format!("enum value {value:?} removed"));
                        }
                    }
                }
            }
        }
        for (location, shape) in &new_shapes {
            if old_shapes.contains_key(location) {
                continue;
            }
            let is_parameter = location.starts_with("parameter");
            let sent = is_parameter || location.starts_with("request");
            let breaking = sent && shape.required;
            let what = match (is_parameter, shape.required && sent) {
                (true, true) => "required parameter added",
                (true, false) => "optional parameter added",
                (false, true) => "required property added",
                (false, false) => "property added",
            };
            // Properties inside a new property are part of that one change.
            let parent_new = location.rfind(['.', '[']).is_some_and(|end| {
                let parent = &location[..end];
                !old_shapes.contains_key(parent) && new_shapes.contains_key(parent)
            });
            if !parent_new {
                push(breaking, id, location, what.into());
            }
        }
    }
    let servers = |doc: &Value| -> BTreeSet<String> {
        doc.get("servers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("url")?.as_str().map(str::to_string))
            .collect()
    };
    let (old_servers, new_servers) = (servers(old), servers(new));
    for url in old_servers.difference(&new_servers) {
        push(
            true,
            "(document)",
            "servers",
            format!("server {url} removed"),
        );
    }
    for url in new_servers.difference(&old_servers) {
        push(
            false,
            "(document)",
            "servers",
            format!("server {url} added"),
        );
    }
    let schemes = |doc: &Value| {
        doc.pointer("/components/securitySchemes")
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (old_schemes, new_schemes) = (schemes(old), schemes(new));
    if old_schemes != new_schemes {
        let names = |v: &Value| -> BTreeSet<String> {
            v.as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        for name in names(&old_schemes).union(&names(&new_schemes)) {
            let (a, b) = (old_schemes.get(name), new_schemes.get(name));
            if a != b {
                let what = match (a, b) {
                    (Some(_), None) => "removed",
                    (None, Some(_)) => "added",
                    _ => "changed",
                };
                push(
                    what != "added",
                    "(document)",
                    "security",
                    format!("security scheme `{name}` {what}"),
                );
            }
        }
    }
    for (pointer, added) in code_blocks_added(old, new) {
        let operation = pointer
            .strip_prefix("/paths/")
            .and_then(|rest| {
                let mut tokens = rest.split('/');
                let (path, method) = (tokens.next()?, tokens.next()?);
                let operation = new.pointer(&format!("/paths/{path}/{method}"))?;
                operation.get("operationId")?.as_str()
            })
            .unwrap_or("(document)");
        push(
            false,
            operation,
            &pointer,
            format!("description adds {added} code block(s): generated as `text`, never run; review what it says"),
        );
    }
    changes.sort();
    changes.reverse();
    changes.sort_by(|a, b| {
        b.breaking
            .cmp(&a.breaking)
            .then(a.operation.cmp(&b.operation))
            .then(a.location.cmp(&b.location))
    });
    changes
}

/// Every description and summary of a document, by JSON pointer.
fn descriptions(doc: &Value) -> BTreeMap<String, &str> {
    fn visit<'d>(node: &'d Value, pointer: String, out: &mut BTreeMap<String, &'d str>) {
        match node {
            Value::Object(map) => {
                for (key, value) in map {
                    let at = crate::document::child(&pointer, key);
                    match value {
                        Value::String(text) if key == "description" || key == "summary" => {
                            out.insert(at, text);
                        }
                        other => visit(other, at, out),
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    visit(item, format!("{pointer}/{index}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    visit(doc, String::new(), &mut out);
    out
}

/// Descriptions (by pointer) that have more code blocks in `new` than in
/// `old`, and how many more: code from a provider's text is never run
/// (codegen makes every block `text`), but a maintainer should read it.
fn code_blocks_added(old: &Value, new: &Value) -> Vec<(String, usize)> {
    let before = descriptions(old);
    descriptions(new)
        .into_iter()
        .filter_map(|(pointer, text)| {
            // Counted on the text as codegen writes it and rustdoc reads it
            // (tabs expanded, common indentation removed): a block only
            // rustdoc would see is still a block.
            let blocks =
                |text: &str| crate::markdown::code_blocks(&crate::markdown::normalize(text));
            let now = blocks(text);
            let was = before.get(&pointer).map_or(0, |old| blocks(old));
            (now > was).then(|| (pointer, now - was))
        })
        .collect()
}

/// The document normalized for comparison (and selected like codegen does).
pub fn prepared(mut doc: Value, config: &ApiConfig) -> anyhow::Result<Value> {
    let mut report = Report::default();
    crate::select::select(
        &mut doc,
        &config.select_tags,
        &config.select_operations,
        &mut report,
    );
    crate::normalize::normalize(&mut doc, &mut report)?;
    Ok(doc)
}

pub fn markdown(api: &str, vendored: &str, against: &str, changes: &[Change]) -> String {
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let mut text = format!(
        "# Spec drift: {api}\n\nCompared `{vendored}` with `{against}`: **{breaking} breaking**, {} compatible.\n",
        changes.len() - breaking
    );
    if changes.is_empty() {
        text.push_str("\nNo drift.\n");
        return text;
    }
    text.push_str("\n| | operation | where | change |\n| --- | --- | --- | --- |\n");
    for change in changes {
        let mark = if change.breaking {
            "**breaking**"
        } else {
            "compatible"
        };
        let location = if change.location.is_empty() {
            "—".to_string()
        } else {
            format!("`{}`", change.location)
        };
        text.push_str(&format!(
            "| {mark} | {} | {location} | {} |\n",
            change.operation, change.description
        ));
    }
    text
}

pub fn exit_code(changes: &[Change]) -> u8 {
    if changes.iter().any(|c| c.breaking) {
        2
    } else if changes.is_empty() {
        0
    } else {
        1
    }
}

pub const USAGE: &str = "\
usage: cargo xtask drift <api> [--against <url-or-file>] [--json]
       cargo xtask drift <api> --webhooks --against <url-or-file> [--json]

Compares openapi/<api's spec> with another version of it (default: the
upstream URL in openapi/codegen.toml) semantically, and classifies each change
as breaking for users of the crate or compatible. With --webhooks, compares
the API's webhook document with another version of it instead (an event type
removed is breaking, one added compatible; payloads compare like responses).

exit status: 0 no drift, 1 compatible drift only, 2 breaking drift,
             3 the comparison could not be made
";

/// Runs the command; returns the exit status.
pub fn run(args: &[String]) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            3
        }
    }
}

fn run_inner(args: &[String]) -> anyhow::Result<u8> {
    let mut api = None;
    let mut against = None;
    let mut json = false;
    let mut webhooks = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--against" => {
                against = Some(
                    iter.next()
                        .context("--against needs a URL or file")?
                        .clone(),
                )
            }
            "--json" => json = true,
            "--webhooks" => webhooks = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(0);
            }
            other if api.is_none() && !other.starts_with('-') => api = Some(other.to_string()),
            other => anyhow::bail!("unexpected argument `{other}`\n\n{USAGE}"),
        }
    }
    let api = api.with_context(|| format!("no api given\n\n{USAGE}"))?;
    let root = crate::project_root();
    let config = Config::load(&root.join("openapi/codegen.toml"))?;
    let api_config = config.api(&api)?;
    if webhooks {
        return webhooks_drift(&root, &api, api_config, against, json);
    }
    let against = match against.or_else(|| {
        api_config.upstream.clone().filter(|_| {
            api_config.source == crate::config::SpecSource::Fetched
                || api_config.source == crate::config::SpecSource::AssembledFromPages
        })
    }) {
        Some(against) => against,
        None => anyhow::bail!("`{api}` has no upstream document to compare with: give --against"),
    };
    let vendored_path = root.join("openapi").join(&api_config.spec);
    let vendored = crate::document::load(&vendored_path)?;
    let other_text = crate::source::read_source(&against)?;
    let other =
        crate::source::parse_document(&other_text).with_context(|| format!("in {against}"))?;
    let changes = compare(
        &prepared(vendored, api_config)?,
        &prepared(other, api_config)?,
        &api_config.overrides.extensible_enums,
    );
    if json {
        let breaking = changes.iter().filter(|c| c.breaking).count();
        let report = serde_json::json!({
            "api": api, "against": against, "breaking": breaking,
            "compatible": changes.len() - breaking, "changes": changes,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!(
            "{}",
            markdown(
                &api,
                &format!("openapi/{}", api_config.spec),
                &against,
                &changes
            )
        );
    }
    Ok(exit_code(&changes))
}

/// `drift <api> --webhooks --against <other>`: the API's webhook document
/// against another version of it, each merged into the API's document.
fn webhooks_drift(
    root: &std::path::Path,
    api: &str,
    api_config: &ApiConfig,
    against: Option<String>,
    json: bool,
) -> anyhow::Result<u8> {
    let hooks = api_config
        .webhooks
        .as_ref()
        .filter(|w| !w.spec.is_empty())
        .with_context(|| format!("`{api}` has no webhook document"))?;
    let against = against.context(
        "--webhooks compares with another version of the webhook document: give --against",
    )?;
    let folder = root.join("openapi");
    let main_path = folder.join(&api_config.spec);
    let vendored = crate::codegen::load_document(&main_path, api_config, &folder)?;
    let mut other = crate::document::load(&main_path)?;
    let other_text = crate::source::read_source(&against)?;
    let other_hooks =
        crate::source::parse_document(&other_text).with_context(|| format!("in {against}"))?;
    crate::webhooks::merge(&mut other, other_hooks, &api_config.spec)
        .with_context(|| format!("merging {against}"))?;
    let changes = compare(
        &prepared(vendored, api_config)?,
        &prepared(other, api_config)?,
        &api_config.overrides.extensible_enums,
    );
    let vendored_name = format!("openapi/{}", hooks.spec);
    if json {
        let breaking = changes.iter().filter(|c| c.breaking).count();
        let report = serde_json::json!({
            "api": api, "document": vendored_name, "against": against, "breaking": breaking,
            "compatible": changes.len() - breaking, "changes": changes,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", markdown(api, &vendored_name, &against, &changes));
    }
    Ok(exit_code(&changes))
}

#[cfg(test)]
mod tests;
