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

use crate::config::{ApiConfig, Config};
use crate::document::child;
use crate::model::{Auth, ConstantLocation, Kind, Location, Operation};
use crate::plan::Plan;
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
    /// The components the plan generates as extensible enums (a selector
    /// of `codegen.toml` has hoisted its inline enums into one by then).
    extensible: BTreeSet<&'d str>,
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

    fn listed(&self, names: &[String]) -> bool {
        names
            .iter()
            .any(|name| self.extensible.contains(name.as_str()))
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
        let extensible = values.is_some() && (note || self.listed(&names));
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

/// A document read for comparison as codegen reads it: its plan (the
/// model, the events) and the document the rules left.
pub struct Prepared {
    plan: Plan,
    document: Value,
}

/// The document planned like codegen plans it (select, normalize, the
/// rules, the model), with overrides that name nothing in it noted rather
/// than refused: the other version may have dropped what they name.
pub fn prepared(doc: Value, api: &str, config: &ApiConfig) -> anyhow::Result<Prepared> {
    let planned = crate::plan::build_with(api, config, doc, Report::lenient())?;
    Ok(Prepared {
        plan: planned.plan,
        document: planned.document,
    })
}

/// An API's document (the vendored one, or another version of it) with
/// the vendored webhook document merged in, as codegen reads it, prepared:
/// the events are compared by `--webhooks`, so both sides carry the same.
pub fn prepared_api(
    mut doc: Value,
    api: &str,
    config: &ApiConfig,
    folder: &std::path::Path,
) -> anyhow::Result<Prepared> {
    crate::webhooks::merge_configured(&mut doc, config, folder)?;
    prepared(doc, api, config)
}

impl Prepared {
    fn flattener(&self) -> Flattener<'_> {
        Flattener {
            doc: &self.document,
            extensible: self
                .plan
                .extensible
                .iter()
                .filter(|entry| entry.kind == Kind::Extensible)
                .map(|entry| entry.component.as_str())
                .collect(),
        }
    }

    /// What can be compared, by the name a change is reported under: each
    /// operation of the model by its id, each event by `webhook <type>`,
    /// the error body once as `(errors)`.
    fn comparables(&self) -> BTreeMap<String, Comparable> {
        let flattener = self.flattener();
        let mut found = BTreeMap::new();
        for operation in &self.plan.model.operations {
            found.insert(
                operation.id.clone(),
                Comparable {
                    deprecated: operation.deprecated.is_some(),
                    shapes: operation_shapes(&flattener, operation),
                },
            );
        }
        let component_shapes = |name: &str, prefix: &str| {
            let mut shapes = BTreeMap::new();
            let reference = serde_json::json!({"$ref": child("#/components/schemas", name)});
            flattener.flatten(&reference, "", true, false, 0, &mut Vec::new(), &mut shapes);
            shapes
                .into_iter()
                .map(|(key, shape)| (format!("{prefix} {key}"), shape))
                .collect()
        };
        for event in self.plan.webhooks.iter().flat_map(|events| &events.events) {
            found.insert(
                webhook_id(&event.event_type),
                Comparable {
                    deprecated: event.deprecated,
                    // A webhook's body is received: compared like a response.
                    shapes: component_shapes(&event.schema, "event"),
                },
            );
        }
        if self.plan.errors.defined {
            found.insert(
                ERRORS.to_string(),
                Comparable {
                    deprecated: false,
                    shapes: component_shapes(&self.plan.errors.schema, "response error"),
                },
            );
        }
        found
    }
}

/// One operation, event or the error body, flattened.
struct Comparable {
    deprecated: bool,
    shapes: BTreeMap<String, Shape>,
}

/// Where the error body's changes are reported: one body for every operation.
const ERRORS: &str = "(errors)";

/// Everything comparable in one operation of the model: location → shape.
fn operation_shapes(flattener: &Flattener<'_>, operation: &Operation) -> BTreeMap<String, Shape> {
    let mut out = BTreeMap::new();
    let location_name = |location: Location| match location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
    };
    for parameter in &operation.parameters {
        let mut shapes = BTreeMap::new();
        flattener.flatten(
            &parameter.schema,
            "value",
            parameter.required,
            false,
            0,
            &mut Vec::new(),
            &mut shapes,
        );
        for (key, shape) in shapes {
            let suffix = key.strip_prefix("value").unwrap_or(&key);
            out.insert(
                format!(
                    "parameter {} {}{suffix}",
                    location_name(parameter.location),
                    parameter.name
                ),
                shape,
            );
        }
    }
    // A constant is sent on every request, with no setter.
    for constant in &operation.constants {
        let location = match constant.location {
            ConstantLocation::Header => "header",
            ConstantLocation::Query => "query",
        };
        out.insert(
            format!("parameter {location} {}", constant.name),
            Shape {
                kind: "constant".into(),
                nullable: false,
                required: true,
                values: Some(vec![constant.value.clone()]),
                extensible: false,
            },
        );
    }
    let mut body = |schema: &Value, prefix: &str| {
        let mut shapes = BTreeMap::new();
        flattener.flatten(schema, "", true, false, 0, &mut Vec::new(), &mut shapes);
        for (key, shape) in shapes {
            out.insert(format!("{prefix} {key}"), shape);
        }
    };
    if let Some(request) = &operation.body {
        body(&request.schema, "request");
    }
    for success in &operation.successes {
        if let Some(schema) = &success.schema {
            body(schema, &format!("response {}", success.status));
        }
    }
    out
}

/// The name a webhook is compared under.
fn webhook_id(name: &str) -> String {
    format!("webhook {name}")
}

/// Compares two documents as codegen reads them.
pub fn compare(old: &Prepared, new: &Prepared) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut push = |breaking: bool, operation: &str, location: &str, description: String| {
        changes.push(Change {
            breaking,
            operation: operation.to_string(),
            location: location.to_string(),
            description,
        });
    };
    let (before, after) = (old.comparables(), new.comparables());
    let is_webhook = |id: &str| id.starts_with("webhook ");
    for id in before.keys().filter(|id| !after.contains_key(*id)) {
        let what = if is_webhook(id) {
            "event type removed (its variant goes)"
        } else if id == ERRORS {
            "error body no longer documented (its type goes)"
        } else {
            "operation removed"
        };
        push(true, id, "", what.into());
    }
    for id in after.keys().filter(|id| !before.contains_key(*id)) {
        let what = if is_webhook(id) {
            "event type added (decoded as `Unknown` until regenerated)"
        } else if id == ERRORS {
            "error body documented (its type comes)"
        } else {
            "operation added"
        };
        push(false, id, "", what.into());
    }
    for (id, was) in &before {
        let Some(now) = after.get(id) else {
            continue;
        };
        if !was.deprecated && now.deprecated {
            push(false, id, "", "operation newly deprecated".into());
        }
        let (old_shapes, new_shapes) = (&was.shapes, &now.shapes);
        for (location, shape) in old_shapes {
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
        for (location, shape) in new_shapes {
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
    let servers = |prepared: &Prepared| -> BTreeSet<String> {
        prepared
            .plan
            .model
            .servers
            .iter()
            .map(|server| server.url.clone())
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
    let (old_auth, new_auth) = (&old.plan.model.auth, &new.plan.model.auth);
    if old_auth != new_auth {
        push(
            true,
            "(document)",
            "security",
            format!(
                "credential sent {} (was {})",
                auth_text(new_auth),
                auth_text(old_auth)
            ),
        );
    }
    let (old, new) = (&old.document, &new.document);
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

/// How the credential is sent, for a change's description.
fn auth_text(auth: &Auth) -> String {
    match auth {
        Auth::Header { name, prefix } if prefix.is_empty() => format!("in header `{name}`"),
        Auth::Header { name, prefix } => format!("in header `{name}` after `{prefix}`"),
        Auth::None => "nowhere (no security scheme)".to_string(),
    }
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
    let folder = root.join("openapi");
    let vendored = crate::document::load(&folder.join(&api_config.spec))?;
    let other_text = crate::source::read_source(&against)?;
    let other =
        crate::source::parse_document(&other_text).with_context(|| format!("in {against}"))?;
    let changes = compare(
        &prepared_api(vendored, &api, api_config, &folder)
            .context("reading the vendored document")?,
        &prepared_api(other, &api, api_config, &folder)
            .with_context(|| format!("reading {against}"))?,
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
        &prepared(vendored, api, api_config).context("reading the vendored documents")?,
        &prepared(other, api, api_config).with_context(|| format!("reading {against}"))?,
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
