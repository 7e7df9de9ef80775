//! The typed model of a document, built once (by `plan.rs`) from the
//! normalized document after the rules: every operation with its method,
//! path, parameters and their bounds, request shape, constants, pagination,
//! idempotency and deprecation; the API's authentication and servers. Every
//! later stage reads it, and every count a stage checks comes from it, never
//! from the output being rewritten.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::config::{IriParameter, RuntimeConfig};
use crate::document::{child, parameters, resolve};
use crate::openapi_walk;
use crate::report::Report;

/// How the spec says to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// The credential in a header, after a prefix (`Bearer `, or none).
    Header { name: String, prefix: String },
    /// No security scheme.
    None,
}

/// A server the spec lists (one without template variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub url: String,
    pub description: String,
}

/// A numeric parameter's bounds, as the spec gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

impl Bounds {
    /// The `minimum` and `maximum` of a (resolved) schema.
    pub fn of(schema: Option<&Value>) -> Bounds {
        let bound = |key: &str| schema?.get(key)?.as_f64();
        Bounds {
            minimum: bound("minimum"),
            maximum: bound("maximum"),
        }
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// A parameter the caller sets (constants are not among them).
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Its name on the wire.
    pub name: String,
    pub location: Location,
    pub required: bool,
    /// For an integer or number parameter, its bounds when the spec has any.
    pub bounds: Option<Bounds>,
    /// Its schema (references kept), for the type generator.
    pub schema: Value,
    pub description: Option<String>,
}

/// Where a constant parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstantLocation {
    Header,
    Query,
}

/// A required header or query parameter whose schema allows one value: the
/// client sends it on every request of its operation, and no setter exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constant {
    pub location: ConstantLocation,
    /// The parameter's name as sent.
    pub name: String,
    /// Its one value, as sent.
    pub value: String,
}

/// What an operation's request puts on the wire beyond plain JSON.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RequestShape {
    /// `Accept` to send instead of `application/json`.
    pub accept: Option<String>,
    /// `Content-Type` of the body instead of `application/json`.
    pub content_type: Option<String>,
    /// The body is optional: send none unless the caller set one.
    pub optional_body: bool,
    pub iri_parameters: Vec<IriParameter>,
}

/// The page size parameter of a paginated operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSize {
    pub parameter: String,
    pub bounds: Bounds,
}

/// How an operation pages, by one of its API's conventions.
#[derive(Debug, Clone, PartialEq)]
pub struct Pagination {
    pub cursor_parameter: String,
    pub page_size: Option<PageSize>,
    pub next_cursor_field: String,
    pub items_field: String,
}

/// An operation's request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// Its media type as the rules left it (`application/json`; a vendor
    /// type is `request.content_type`).
    pub media_type: String,
    /// Its schema (references kept).
    pub schema: Value,
}

/// A success response of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Success {
    /// Its status as the document writes it (`200`, `2XX`, `default`).
    pub status: String,
    /// The JSON schema of its body (references kept); `None` when it has no body.
    pub schema: Option<Value>,
}

/// One operation of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The operationId, as the document spells it.
    pub id: String,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path template (`/conversations/{conversation_id}/read`).
    pub path: String,
    /// The parameters the caller sets, path ones in template order first.
    pub parameters: Vec<Parameter>,
    /// Its request body, when it takes one.
    pub body: Option<Body>,
    /// Its success responses (2xx, or `default` when none is), in document order.
    pub successes: Vec<Success>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub request: RequestShape,
    /// Whether it may be sent twice without doing it twice.
    pub idempotent: bool,
    pub constants: Vec<Constant>,
    pub pagination: Option<Pagination>,
    /// The advice of `#[deprecated]`, when the spec deprecates it.
    pub deprecated: Option<String>,
}

impl Operation {
    /// Its path parameters, as the path template names them.
    pub fn path_parameters(&self) -> impl Iterator<Item = &Parameter> {
        self.parameters
            .iter()
            .filter(|parameter| parameter.location == Location::Path)
    }

    /// Its parameters that have bounds.
    pub fn bounded_parameters(&self) -> impl Iterator<Item = (&Parameter, Bounds)> {
        self.parameters
            .iter()
            .filter_map(|parameter| Some((parameter, parameter.bounds?)))
    }
}

/// An enum generated with an `Unknown` fallback, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extensible {
    pub component: String,
    pub reason: String,
    pub kind: Kind,
}

/// What an unknown value of an enum may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The spec (or `codegen.toml`) says new values may be added: an unknown
    /// value decodes and may be sent back.
    Extensible,
    /// A closed enum of a response: an undocumented value decodes instead of
    /// failing the response. When the enum is also sent (`sent`), an
    /// undocumented value is refused before sending.
    Tolerant { sent: bool },
}

/// A component type the type generator must not generate, because the facade
/// provides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub component: String,
    pub rust_path: String,
}

/// The document's operations and what the runtime needs of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Every operation, in document order (paths, then methods).
    pub operations: Vec<Operation>,
    pub auth: Auth,
    pub servers: Vec<Server>,
}

/// What the document rules found per operation (keyed by operationId),
/// before they rewrote what the type generator cannot read.
#[derive(Debug, Default)]
pub struct Facts {
    pub constants: BTreeMap<String, Vec<Constant>>,
    pub requests: BTreeMap<String, RequestShape>,
    pub pagination: BTreeMap<String, Pagination>,
    pub deprecated: BTreeMap<String, String>,
}

/// Methods whose requests may be sent twice without doing it twice.
const IDEMPOTENT_METHODS: [&str; 5] = ["get", "head", "put", "delete", "options"];

impl Model {
    /// Reads the model from the document the rules produced, with the facts
    /// they found and `[<api>.runtime]`.
    pub fn read(
        doc: &Value,
        runtime: &RuntimeConfig,
        mut facts: Facts,
        report: &mut Report,
    ) -> anyhow::Result<Model> {
        let mut operations = Vec::new();
        let global_scheme = first_scheme(doc.get("security")).flatten();
        let mut schemes = BTreeSet::new();
        for at in openapi_walk::operations(doc) {
            let (path, method, item, operation) = (at.path, at.method, at.item, at.operation);
            let id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .with_context(|| format!("operation without an operationId at {method} {path}"))?
                .to_string();
            match first_scheme(operation.get("security")) {
                Some(Some(scheme)) => {
                    schemes.insert(scheme);
                }
                Some(None) => {} // `security: []`: this operation needs none.
                None => schemes.extend(global_scheme.clone()),
            }
            let mut list = Vec::new();
            for parameter in parameters(item, operation).map(|p| resolve(doc, p)) {
                let location = match parameter.get("in").and_then(Value::as_str) {
                    Some("path") => Location::Path,
                    Some("query") => Location::Query,
                    Some("header") => Location::Header,
                    other => bail!("{id}: parameters in {other:?} are not supported"),
                };
                let name = parameter
                    .get("name")
                    .and_then(Value::as_str)
                    .with_context(|| format!("{id}: a parameter without a name"))?
                    .to_string();
                let schema = parameter.get("schema").map(|schema| resolve(doc, schema));
                let numeric = schema
                    .and_then(|s| s.get("type"))
                    .and_then(Value::as_str)
                    .is_some_and(|kind| matches!(kind, "integer" | "number"));
                let bounds = Bounds::of(schema);
                let bounded = numeric && (bounds.minimum.is_some() || bounds.maximum.is_some());
                let description = text(parameter, "description");
                let schema = parameter
                    .get("schema")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                list.push(Parameter {
                    schema,
                    description,
                    name,
                    location,
                    required: location == Location::Path
                        || parameter.get("required") == Some(&json!(true)),
                    bounds: bounded.then_some(bounds),
                });
            }
            // Path parameters in the order the template names them.
            let order = template_parameters(path);
            list.sort_by_key(|parameter| match parameter.location {
                Location::Path => order
                    .iter()
                    .position(|name| *name == parameter.name)
                    .unwrap_or(usize::MAX),
                _ => usize::MAX,
            });
            let declared: Vec<&str> = list
                .iter()
                .filter(|p| p.location == Location::Path)
                .map(|p| p.name.as_str())
                .collect();
            if declared.len() != order.len() || order.iter().any(|name| !declared.contains(name)) {
                bail!(
                        "{id}: the path {path} names parameters {order:?}, the operation declares {declared:?}"
                    );
            }
            let body = match operation.get("requestBody") {
                None => None,
                Some(body) => {
                    let content = resolve(doc, body).get("content").and_then(Value::as_object);
                    let Some((media_type, media)) =
                        content.and_then(|content| content.iter().next())
                    else {
                        bail!("{id}: a request body without content");
                    };
                    if !is_json(media_type) {
                        bail!("{id}: request bodies of type `{media_type}` are not supported (JSON only)");
                    }
                    Some(Body {
                        media_type: media_type.clone(),
                        schema: media.get("schema").cloned().unwrap_or_else(|| json!({})),
                    })
                }
            };
            let successes = success_bodies(doc, &id, operation)?
                .into_iter()
                .map(|(status, schema)| Success {
                    status: status.to_string(),
                    schema: schema.cloned(),
                })
                .collect();
            operations.push(Operation {
                successes,
                summary: text(operation, "summary"),
                description: text(operation, "description"),
                idempotent: IDEMPOTENT_METHODS.contains(&method),
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
                parameters: list,
                body,
                request: facts.requests.remove(&id).unwrap_or_default(),
                constants: facts.constants.remove(&id).unwrap_or_default(),
                pagination: facts.pagination.remove(&id),
                deprecated: facts.deprecated.remove(&id),
                id,
            });
        }
        for (kind, left) in [
            ("constants", facts.constants.keys().collect::<Vec<_>>()),
            ("request shapes", facts.requests.keys().collect()),
            ("pagination", facts.pagination.keys().collect()),
            ("deprecations", facts.deprecated.keys().collect()),
        ] {
            if let Some(id) = left.first() {
                bail!("model: {kind} were found for `{id}`, which is no operation of the document");
            }
        }
        for id in &runtime.idempotent_operations {
            match operations.iter_mut().find(|operation| &operation.id == id) {
                // Another version of the document (a complete upstream one, say) may lack it.
                None => report.note(format!(
                    "runtime.idempotent_operations: no operation `{id}` in this document"
                )),
                Some(operation) if operation.method == "GET" => {
                    bail!("runtime.idempotent_operations: `{id}` is a GET, idempotent already")
                }
                Some(operation) => operation.idempotent = true,
            }
        }
        let auth = match schemes.len() {
            0 => Auth::None,
            1 => scheme_auth(doc, schemes.iter().next().expect("one"))?,
            _ => bail!("operations use different security schemes ({schemes:?}): not supported"),
        };
        let servers = doc
            .get("servers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|server| {
                let url = server.get("url")?.as_str()?;
                let description = server
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                (!url.contains('{')).then(|| Server {
                    url: url.to_string(),
                    description: description.to_string(),
                })
            })
            .collect();
        Ok(Model {
            operations,
            auth,
            servers,
        })
    }

    /// The operation with this operationId.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|operation| operation.id == id)
    }
}

/// A non-empty string property of a node.
fn text(node: &Value, key: &str) -> Option<String> {
    node.get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(str::to_string)
}

/// `application/json`, with parameters or not, in any case.
fn is_json(media_type: &str) -> bool {
    crate::document::media_type_essence(media_type) == "application/json"
}

/// The schema of a JSON body documented without one: any JSON.
static ANY_JSON: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| json!({}));

/// The body schemas (references kept) of an operation's success responses:
/// its 2xx ones, else `default`, in document order, `None` for one without
/// a body; none when the document documents neither. A body that is not
/// JSON is refused (the runtime decodes every body). The model and the
/// pagination detector read success responses through this one function.
pub fn success_bodies<'a>(
    doc: &'a Value,
    id: &str,
    operation: &'a Value,
) -> anyhow::Result<Vec<(&'a str, Option<&'a Value>)>> {
    // No response documented: the success is whatever JSON comes (the
    // emitter's `serde_json::Value`).
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let two_xx = |status: &str| status.starts_with('2');
    let any_two_xx = responses.keys().any(|status| two_xx(status));
    let mut out = Vec::new();
    for (status, response) in responses {
        let chosen = if any_two_xx {
            two_xx(status)
        } else {
            status == "default"
        };
        if !chosen {
            continue;
        }
        let content = resolve(doc, response)
            .get("content")
            .and_then(Value::as_object)
            .filter(|content| !content.is_empty());
        let Some(content) = content else {
            out.push((status.as_str(), None));
            continue;
        };
        let Some((_, media)) = content.iter().find(|(media_type, _)| is_json(media_type)) else {
            let types: Vec<&String> = content.keys().collect();
            bail!("{id}: the {status} response is {types:?}, not JSON: not supported (the runtime decodes JSON)");
        };
        out.push((
            status.as_str(),
            Some(media.get("schema").unwrap_or(&ANY_JSON)),
        ));
    }
    Ok(out)
}

/// The parameter names of a path template, in order (`/a/{x}/b/{y}` → x, y).
pub fn template_parameters(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

fn scheme_auth(doc: &Value, name: &str) -> anyhow::Result<Auth> {
    let scheme = doc
        .pointer(&child("/components/securitySchemes", name))
        .with_context(|| {
            format!("security scheme `{name}` is not in components.securitySchemes")
        })?;
    match scheme.get("type").and_then(Value::as_str).unwrap_or("") {
        "apiKey" => {
            let location = scheme.get("in").and_then(Value::as_str).unwrap_or("");
            let header = scheme
                .get("name")
                .and_then(Value::as_str)
                .context("apiKey scheme without a name")?;
            if location != "header" {
                bail!(
                    "security scheme `{name}`: apiKey in {location} is not supported (header only)"
                );
            }
            Ok(Auth::Header {
                name: header.to_string(),
                prefix: String::new(),
            })
        }
        "http" => match scheme
            .get("scheme")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("bearer") => Ok(Auth::Header {
                name: "Authorization".into(),
                prefix: "Bearer ".into(),
            }),
            other => bail!(
                "security scheme `{name}`: http scheme {other:?} is not supported (bearer only)"
            ),
        },
        other => bail!("security scheme `{name}` of type {other:?} is not supported"),
    }
}

/// The first scheme of a security requirement list, if any.
fn first_scheme(requirements: Option<&Value>) -> Option<Option<String>> {
    let list = requirements?.as_array()?;
    Some(
        list.iter()
            .find_map(|requirement| requirement.as_object()?.keys().next().cloned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(schemes: Value, security: Value) -> Value {
        json!({"security": security, "servers": [{"url": "https://api.test/v2", "description": "Production"},
                                                  {"url": "https://{region}.api.test"}],
            "paths": {"/x/{id}": {"post": {"operationId": "touchX", "parameters": [
                {"name": "id", "in": "path", "schema": {"type": "integer", "minimum": 1}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                {"name": "q", "in": "query", "schema": {"type": "string"}}]}}},
            "components": {"securitySchemes": schemes}})
    }

    fn read(doc: &Value, runtime: &RuntimeConfig) -> anyhow::Result<Model> {
        Model::read(doc, runtime, Facts::default(), &mut Report::default())
    }

    #[test]
    fn auth_comes_from_the_security_schemes() {
        let cases = [
            (
                json!({"k": {"type": "apiKey", "in": "header", "name": "x-APIKey"}}),
                Auth::Header {
                    name: "x-APIKey".into(),
                    prefix: String::new(),
                },
            ),
            (
                json!({"k": {"type": "apiKey", "in": "header", "name": "Authorization"}}),
                Auth::Header {
                    name: "Authorization".into(),
                    prefix: String::new(),
                },
            ),
            (
                json!({"k": {"type": "http", "scheme": "bearer"}}),
                Auth::Header {
                    name: "Authorization".into(),
                    prefix: "Bearer ".into(),
                },
            ),
        ];
        for (schemes, expected) in cases {
            let model = read(&doc(schemes, json!([{"k": []}])), &RuntimeConfig::default()).unwrap();
            assert_eq!(model.auth, expected);
        }
        let model = read(&doc(json!({}), json!(null)), &RuntimeConfig::default()).unwrap();
        assert_eq!(model.auth, Auth::None);
        for unsupported in [
            json!({"k": {"type": "apiKey", "in": "query", "name": "key"}}),
            json!({"k": {"type": "http", "scheme": "basic"}}),
        ] {
            assert!(read(
                &doc(unsupported, json!([{"k": []}])),
                &RuntimeConfig::default()
            )
            .is_err());
        }
    }

    #[test]
    fn servers_parameters_bounds_and_idempotency() {
        let runtime = RuntimeConfig {
            idempotent_operations: vec!["touchX".into()],
            ..RuntimeConfig::default()
        };
        let model = read(&doc(json!({}), json!(null)), &runtime).unwrap();
        assert_eq!(
            model.servers,
            [Server {
                url: "https://api.test/v2".into(),
                description: "Production".into()
            }]
        );
        let operation = model.operation("touchX").unwrap();
        assert_eq!(
            (operation.method.as_str(), operation.path.as_str()),
            ("POST", "/x/{id}")
        );
        assert!(operation.idempotent);
        let bounded: Vec<(&str, Bounds)> = operation
            .bounded_parameters()
            .map(|(parameter, bounds)| (parameter.name.as_str(), bounds))
            .collect();
        assert_eq!(
            bounded,
            [
                (
                    "id",
                    Bounds {
                        minimum: Some(1.0),
                        maximum: None
                    }
                ),
                (
                    "per_page",
                    Bounds {
                        minimum: Some(1.0),
                        maximum: Some(100.0)
                    }
                )
            ]
        );
        assert_eq!(operation.path_parameters().count(), 1);
        let wrong = RuntimeConfig {
            idempotent_operations: vec!["nope".into()],
            ..RuntimeConfig::default()
        };
        let mut report = Report::default();
        let model = Model::read(
            &doc(json!({}), json!(null)),
            &wrong,
            Facts::default(),
            &mut report,
        )
        .unwrap();
        assert!(!model.operations[0].idempotent, "a POST not listed");
        assert!(
            report.notes.iter().any(|note| note.contains("`nope`")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn a_path_template_and_its_declared_parameters_must_agree() {
        let mut document = doc(json!({}), json!(null));
        document["paths"]["/x/{id}/{other}"] = document["paths"]["/x/{id}"].take();
        document["paths"].as_object_mut().unwrap().remove("/x/{id}");
        let error = read(&document, &RuntimeConfig::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("touchX") && error.contains("other"),
            "{error}"
        );
        assert_eq!(template_parameters("/a/{x}/b/{y}"), ["x", "y"]);
    }

    #[test]
    fn facts_for_an_operation_the_document_lacks_are_an_error() {
        let mut facts = Facts::default();
        facts.deprecated.insert("ghost".into(), "gone".into());
        let error = Model::read(
            &doc(json!({}), json!(null)),
            &RuntimeConfig::default(),
            facts,
            &mut Report::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("`ghost`"), "{error}");
    }
}
