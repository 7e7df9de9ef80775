//! The client runtime's generated half: `API` (authentication from the
//! spec's `securitySchemes`, servers, the documented rate limit and idempotent
//! operations from `codegen.toml`), `Client::with_config`, the `exec` hook
//! that runs every request through `inbox_bindings::runtime::Runtime`, and a
//! `send()` on every builder that checks parameter bounds and returns
//! `inbox_bindings::Error`.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde::Deserialize;
use serde_json::Value;
use syn::visit_mut::VisitMut;

use crate::document::{child, parameters, resolve};
use crate::openapi_walk::METHODS;
use crate::pagination::snake;
use crate::syntax::{generic_of, last_ident, module_items};

/// `[<api>.runtime]` in `codegen.toml`: facts the specs do not carry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// The documented rate limit.
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Non-GET operations (operationIds) that are idempotent, so safe to retry.
    #[serde(default)]
    pub idempotent_operations: Vec<String>,
    /// Responses carry `X-RateLimit-Remaining`/`X-RateLimit-Reset`.
    #[serde(default)]
    pub rate_limit_headers: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub requests: u32,
    pub per_seconds: u64,
}

/// How the spec says to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthShape {
    Header { name: String, prefix: String },
    None,
}

/// A numeric parameter's bounds: (name, minimum, maximum).
pub type Bound = (String, Option<f64>, Option<f64>);

/// What the Rust stage needs from the document.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientShape {
    pub auth: AuthShape,
    pub servers: Vec<(String, String)>,
    /// operationId → (parameter, minimum, maximum) for numeric parameters with bounds.
    pub bounds: BTreeMap<String, Vec<Bound>>,
    /// progenitor's operation ids of the idempotent non-GET operations.
    pub idempotent: Vec<String>,
}

fn scheme_auth(doc: &Value, name: &str) -> anyhow::Result<AuthShape> {
    let scheme = doc
        .pointer(&child("/components/securitySchemes", name))
        .with_context(|| {
            format!("security scheme `{name}` is not in components.securitySchemes")
        })?;
    let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
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
            Ok(AuthShape::Header {
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
            Some("bearer") => Ok(AuthShape::Header {
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

/// Reads what the runtime needs from the normalized document.
pub fn describe(
    doc: &Value,
    runtime: &RuntimeConfig,
    report: &mut crate::report::Report,
) -> anyhow::Result<ClientShape> {
    let global = first_scheme(doc.get("security")).flatten();
    let mut schemes = std::collections::BTreeSet::new();
    let mut bounds = BTreeMap::new();
    let mut operations = BTreeMap::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                operations.insert(id.to_string(), method);
                match first_scheme(operation.get("security")) {
                    Some(Some(scheme)) => {
                        schemes.insert(scheme);
                    }
                    Some(None) => {} // `security: []`: this operation needs none.
                    None => {
                        if let Some(scheme) = &global {
                            schemes.insert(scheme.clone());
                        }
                    }
                }
                let parameters =
                    parameters(item, operation).map(|parameter| resolve(doc, parameter));
                let mut found = Vec::new();
                for parameter in parameters {
                    let location = parameter.get("in").and_then(Value::as_str);
                    if !matches!(location, Some("query" | "path")) {
                        continue;
                    }
                    let Some(schema) = parameter.get("schema").map(|schema| resolve(doc, schema))
                    else {
                        continue;
                    };
                    let numeric = matches!(
                        schema.get("type").and_then(Value::as_str),
                        Some("integer" | "number")
                    );
                    let minimum = schema.get("minimum").and_then(Value::as_f64);
                    let maximum = schema.get("maximum").and_then(Value::as_f64);
                    if numeric && (minimum.is_some() || maximum.is_some()) {
                        let name = parameter
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        found.push((name.to_string(), minimum, maximum));
                    }
                }
                if !found.is_empty() {
                    bounds.insert(id.to_string(), found);
                }
                let _ = path;
            }
        }
    }
    let auth = match schemes.len() {
        0 => AuthShape::None,
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
            (!url.contains('{')).then(|| (url.to_string(), description.to_string()))
        })
        .collect();
    let mut idempotent = Vec::new();
    for id in &runtime.idempotent_operations {
        match operations.get(id) {
            // Another version of the document (a complete upstream one, say) may lack it.
            None => report.note(format!(
                "runtime.idempotent_operations: no operation `{id}` in this document"
            )),
            Some(&"get") => {
                bail!("runtime.idempotent_operations: `{id}` is a GET, idempotent already")
            }
            Some(_) => idempotent.push(snake(id)),
        }
    }
    Ok(ClientShape {
        auth,
        servers,
        bounds,
        idempotent,
    })
}

// ---------------------------------------------------------------------------
// The Rust stage

/// The `Error<E>` argument of `Result<_, Error<E>>`.
fn error_type(output: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(path) = output else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(arguments) = &path.path.segments.last()?.arguments
    else {
        return None;
    };
    let error = arguments
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(1)?;
    generic_of(error, "Error").cloned()
}

/// An expression giving the builder field of `parameter` as `Option<String>`.
pub fn field_as_text(builder: &syn::ItemStruct, parameter: &str) -> anyhow::Result<TokenStream> {
    let ident = crate::pagination::field_ident(parameter)?;
    let field = builder
        .fields
        .iter()
        .find(|field| field.ident.as_ref() == Some(&ident))
        .with_context(|| format!("builder {} has no field `{ident}`", builder.ident))?;
    let stored = generic_of(&field.ty, "Result").context("builder fields are Results")?;
    Ok(if generic_of(stored, "Option").is_some() {
        quote! { self.#ident.as_ref().ok().and_then(|value| value.as_ref()).map(|value| value.to_string()) }
    } else {
        quote! { self.#ident.as_ref().ok().map(|value| value.to_string()) }
    })
}

/// Rewrites every `encode_path(&name.to_string())` in progenitor's URL
/// `format!` into `inbox_bindings::path_segment`, which refuses an id that
/// would address another resource (`..`, `/`, `\\`, controls, their
/// percent-encoded forms) and encodes the rest. Counts what it rewrote.
struct CheckPathSegments(usize);

impl CheckPathSegments {
    fn rewrite_tokens(&mut self, tokens: TokenStream) -> TokenStream {
        use proc_macro2::TokenTree;
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out = Vec::new();
        let mut index = 0;
        while index < trees.len() {
            if let (TokenTree::Ident(ident), Some(TokenTree::Group(group))) =
                (&trees[index], trees.get(index + 1))
            {
                if ident == "encode_path"
                    && group.delimiter() == proc_macro2::Delimiter::Parenthesis
                {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    if let [TokenTree::Punct(and), TokenTree::Ident(name), ..] = inner.as_slice() {
                        if and.as_char() == '&' {
                            let argument = group.stream();
                            let parameter = name.to_string();
                            let parameter = parameter.trim_start_matches("r#");
                            out.extend(quote! {
                                ::inbox_bindings::path_segment(#parameter, #argument)?
                            });
                            self.0 += 1;
                            index += 2;
                            continue;
                        }
                    }
                }
            }
            match &trees[index] {
                TokenTree::Group(group) => {
                    let mut rewritten = proc_macro2::Group::new(
                        group.delimiter(),
                        self.rewrite_tokens(group.stream()),
                    );
                    rewritten.set_span(group.span());
                    out.push(TokenTree::Group(rewritten));
                }
                other => out.push(other.clone()),
            }
            index += 1;
        }
        out.into_iter().collect()
    }
}

impl VisitMut for CheckPathSegments {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if mac.path.is_ident("format") {
            mac.tokens = self.rewrite_tokens(mac.tokens.clone());
        }
    }
}

/// Makes progenitor's request building return `inbox_bindings::Error`:
/// `let name = name.map_err(Error::InvalidRequest)?` names its parameter
/// (`invalid_parameter`), and `.build()?` maps reqwest's builder error.
/// Counts both; anything of progenitor's error left over is an error.
#[derive(Default)]
struct CrateErrors {
    parameters: usize,
    builds: usize,
}

fn is_invalid_request(path: &syn::Path) -> bool {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    names == ["Error", "InvalidRequest"]
}

struct ReplaceInvalidRequest {
    parameter: String,
    replaced: usize,
}

impl VisitMut for ReplaceInvalidRequest {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Path(path) = expr {
            if is_invalid_request(&path.path) {
                let parameter = &self.parameter;
                *expr = syn::parse_quote!(|reason| ::inbox_bindings::invalid_parameter(#parameter, reason));
                self.replaced += 1;
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

impl VisitMut for CrateErrors {
    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        if let syn::Pat::Ident(binding) = &local.pat {
            let parameter = binding.ident.to_string();
            let parameter = parameter.trim_start_matches("r#").to_string();
            let mut replace = ReplaceInvalidRequest {
                parameter,
                replaced: 0,
            };
            if let Some(init) = &mut local.init {
                replace.visit_expr_mut(&mut init.expr);
            }
            self.parameters += replace.replaced;
        }
        syn::visit_mut::visit_local_mut(self, local);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Try(attempt) = expr {
            if let syn::Expr::MethodCall(call) = &*attempt.expr {
                if call.method == "build" && call.args.is_empty() {
                    let receiver = &call.receiver;
                    *expr = syn::parse_quote!(#receiver.build().map_err(::inbox_bindings::request_not_built)?);
                    self.builds += 1;
                }
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// How many path parameters progenitor's URL template fills: the `{}`
/// of the `format!` string after the base URL's.
fn path_placeholders(block: &syn::Block) -> usize {
    let text = quote!(#block).to_string();
    let Some(start) = text.find("let url = format ! (") else {
        return 0;
    };
    let rest = &text[start..];
    let template = rest.split('"').nth(1).unwrap_or_default();
    template.matches("{}").count().saturating_sub(1)
}

/// The primitive a setter takes for an integer or float parameter type
/// (`NonZeroU64` → `u64`), if the type is one.
fn numeric_primitive(ty: &syn::Type) -> Option<syn::Ident> {
    let name = last_ident(ty)?;
    let primitive = match name.strip_prefix("NonZero") {
        Some(rest) => rest.to_ascii_lowercase(),
        None => name.clone(),
    };
    const NUMBERS: [&str; 14] = [
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "f32", "f64",
    ];
    NUMBERS
        .contains(&primitive.as_str())
        .then(|| format_ident!("{primitive}"))
}

/// The `T` of a setter's `where V: std::convert::TryInto<T>`.
fn setter_target(function: &syn::ImplItemFn) -> Option<syn::Type> {
    let clause = function.sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|predicate| {
        let syn::WherePredicate::Type(bound) = predicate else {
            return None;
        };
        if quote!(#bound).to_string().starts_with("V :") {
            bound.bounds.iter().find_map(|b| match b {
                syn::TypeParamBound::Trait(t) => {
                    let last = t.path.segments.last()?;
                    if last.ident != "TryInto" {
                        return None;
                    }
                    match &last.arguments {
                        syn::PathArguments::AngleBracketed(a) => {
                            a.args.iter().find_map(|g| match g {
                                syn::GenericArgument::Type(t) => Some(t.clone()),
                                _ => None,
                            })
                        }
                        _ => None,
                    }
                }
                _ => None,
            })
        } else {
            None
        }
    })
}

/// Setters users can call naturally: an integer or float parameter takes its
/// primitive (`per_page(100)` compiles) and checks the spec's bounds in the
/// setter, with one message for every out-of-range value; a string takes
/// `impl Into<String>`; any other conversion keeps its own error message
/// instead of progenitor's generic "conversion ... failed". Returns how many
/// setters it rewrote.
fn natural_setters(
    block: &mut syn::ItemImpl,
    builder: &syn::ItemStruct,
    bounds: &[Bound],
) -> anyhow::Result<usize> {
    let mut rewritten = 0;
    for member in block.items.iter_mut() {
        let syn::ImplItem::Fn(function) = member else {
            continue;
        };
        let name = function.sig.ident.clone();
        if name == "body" || name == "body_map" || function.sig.generics.params.len() != 1 {
            continue;
        }
        let Some(target) = setter_target(function) else {
            continue;
        };
        let field = builder
            .fields
            .iter()
            .find(|field| field.ident.as_ref() == Some(&name))
            .with_context(|| format!("builder {}: setter `{name}` has no field", builder.ident))?;
        let stored = generic_of(&field.ty, "Result").context("builder fields are Results")?;
        let optional = generic_of(stored, "Option").is_some();
        let wrap = if optional {
            quote!(.map(::std::option::Option::Some))
        } else {
            quote!()
        };
        let docs: Vec<&syn::Attribute> = function
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .collect();
        let replacement: syn::ImplItemFn = if let Some(primitive) = numeric_primitive(&target) {
            let (minimum, maximum) = bounds
                .iter()
                .find(|(wire, _, _)| {
                    crate::pagination::field_ident(wire).is_ok_and(|ident| ident == name)
                })
                .map(|(_, minimum, maximum)| (*minimum, *maximum))
                .unwrap_or((None, None));
            let bound = |b: Option<f64>| match b {
                Some(v) => quote!(::std::option::Option::Some(#v)),
                None => quote!(::std::option::Option::None),
            };
            let (minimum, maximum) = (bound(minimum), bound(maximum));
            syn::parse_quote! {
                #(#docs)*
                pub fn #name(mut self, value: #primitive) -> Self {
                    self.#name = ::inbox_bindings::bounded::<#primitive, #target>(value, #minimum, #maximum) #wrap;
                    self
                }
            }
        } else if last_ident(&target).as_deref() == Some("String") {
            let wrapped = if optional {
                quote!(::std::option::Option::Some(value.into()))
            } else {
                quote!(value.into())
            };
            syn::parse_quote! {
                #(#docs)*
                pub fn #name(mut self, value: impl ::std::convert::Into<::std::string::String>) -> Self {
                    self.#name = ::std::result::Result::Ok(#wrapped);
                    self
                }
            }
        } else {
            syn::parse_quote! {
                #(#docs)*
                pub fn #name<V>(mut self, value: V) -> Self
                where
                    V: ::std::convert::TryInto<#target>,
                    <V as ::std::convert::TryInto<#target>>::Error: ::std::fmt::Display,
                {
                    self.#name = value.try_into() #wrap .map_err(|error| {
                        ::std::format!("{}", error)
                    });
                    self
                }
            }
        };
        *function = replacement;
        rewritten += 1;
    }
    Ok(rewritten)
}

pub fn rewrite(
    file: &mut syn::File,
    api: &str,
    shape: &ClientShape,
    runtime: &RuntimeConfig,
    constants: &BTreeMap<String, Vec<crate::rules::Constant>>,
) -> anyhow::Result<()> {
    let mut constants_sent = 0;
    // Every builder's send: renamed, errors routed raw, and wrapped.
    let builder_items = module_items(file, "builder")?;
    let structs: BTreeMap<String, syn::ItemStruct> = builder_items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some((s.ident.to_string(), s.clone())),
            _ => None,
        })
        .collect();
    let mut wrapped = 0;
    let mut setters = 0;
    for item in builder_items.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let Some(name) = last_ident(&block.self_ty) else {
            continue;
        };
        let Some(builder) = structs.get(&name) else {
            continue;
        };
        // This builder's operation id, from its `send`, names its bounds.
        let operation_bounds: Vec<Bound> = {
            let text = quote!(#block).to_string();
            let id = text
                .split("operation_id : \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default()
                .to_string();
            shape
                .bounds
                .iter()
                .filter(|(operation, _)| snake(operation) == id)
                .flat_map(|(_, list)| list.iter().cloned())
                .collect()
        };
        setters += natural_setters(block, builder, &operation_bounds)?;
        let Some(position) = block
            .items
            .iter()
            .position(|m| matches!(m, syn::ImplItem::Fn(f) if f.sig.ident == "send"))
        else {
            continue;
        };
        let syn::ImplItem::Fn(mut generated) = block.items.remove(position) else {
            unreachable!()
        };
        let syn::ReturnType::Type(_, output) = &generated.sig.output else {
            bail!("send returns nothing")
        };
        let output = (**output).clone();
        let ok = generic_of(&output, "Result")
            .context("send returns a Result")?
            .clone();
        let success = generic_of(&ok, "ResponseValue")
            .context("send returns a ResponseValue")?
            .clone();
        let error = error_type(&output).context("send's error is progenitor's Error<E>")?;
        let docs: Vec<syn::Attribute> = generated
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .cloned()
            .collect();
        if last_ident(&success).as_deref() == Some("ByteStream") {
            bail!(
                "builder {name}: a success response that is not JSON is not supported yet \
                 (the runtime reads and decodes every body)"
            );
        }
        // The operation id progenitor passes to hooks names this operation's bounds.
        let operation_id = {
            let text = quote!(#generated).to_string();
            let start = text
                .find("operation_id : \"")
                .with_context(|| format!("stage client, builder {name}: expected `let info = OperationInfo {{ operation_id }}` in send, found no operation id"))?
                + "operation_id : \"".len();
            text[start..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        // progenitor's send, up to the request it builds: the runtime sends it.
        let statements = &mut generated.block.stmts;
        let info = statements
            .iter()
            .position(|statement| {
                matches!(statement, syn::Stmt::Local(local)
                    if matches!(&local.pat, syn::Pat::Ident(binding) if binding.ident == "info"))
            })
            .with_context(|| {
                format!("stage client, builder {name}: expected `let info = OperationInfo` in send, found none")
            })?;
        let builds = statements[..info].iter().any(|statement| {
            matches!(statement, syn::Stmt::Local(local)
                if matches!(&local.pat, syn::Pat::Ident(binding) if binding.ident == "request"))
        });
        if !builds {
            bail!("stage client, builder {name}: expected `let mut request = ...` before `let info`, found none");
        }
        statements.truncate(info);
        statements.push(syn::parse_quote!(return Ok(request);));
        let placeholders = path_placeholders(&generated.block);
        let mut segments = CheckPathSegments(0);
        segments.visit_block_mut(&mut generated.block);
        if segments.0 != placeholders {
            bail!(
                "stage client, builder {name}: the URL has {placeholders} path parameter(s) but \
                 {} `encode_path` call(s) were rewritten: progenitor's output changed",
                segments.0
            );
        }
        let mut errors = CrateErrors::default();
        errors.visit_block_mut(&mut generated.block);
        let leftover = quote!(#generated).to_string();
        if errors.builds != 1 || leftover.contains("Error :: InvalidRequest") {
            bail!(
                "stage client, builder {name}: expected one `.build()?` and every \
                 `Error::InvalidRequest` in a `let`, found {} build(s) and {} parameter(s){}: \
                 progenitor's output changed",
                errors.builds,
                errors.parameters,
                if leftover.contains("Error :: InvalidRequest") {
                    " and an InvalidRequest elsewhere"
                } else {
                    ""
                }
            );
        }
        generated.sig.ident = format_ident!("request");
        generated.sig.asyncness = None;
        generated.sig.output = syn::parse_quote!(-> ::std::result::Result<::reqwest::Request, ::inbox_bindings::Error>);
        generated.vis = syn::Visibility::Inherited;
        generated.attrs.retain(|a| !a.path().is_ident("doc"));
        let constant_statements: Vec<TokenStream> = constants
            .iter()
            .filter(|(id, _)| snake(id) == operation_id)
            .flat_map(|(_, list)| list.iter())
            .map(|constant| {
                let value = &constant.value;
                constants_sent += 1;
                if constant.location == "header" {
                    let name = constant.name.to_ascii_lowercase();
                    quote! {
                        request.headers_mut().insert(
                            ::reqwest::header::HeaderName::from_static(#name),
                            ::reqwest::header::HeaderValue::from_static(#value),
                        );
                    }
                } else {
                    let name = &constant.name;
                    quote! { request.url_mut().query_pairs_mut().append_pair(#name, #value); }
                }
            })
            .collect();
        let request_binding = if constant_statements.is_empty() {
            quote!(let request = self.request()?;)
        } else {
            quote! {
                let mut request = self.request()?;
                // Constants of the spec (one allowed value): sent on every request.
                #(#constant_statements)*
            }
        };
        let wrapper: syn::ImplItem = syn::parse_quote! {
            #(#docs)*
            ///
            /// Parameters were checked against the spec when set;
            /// the call is retried, rate limited and traced by the client's runtime.
            pub async fn send(self) -> ::std::result::Result<::inbox_bindings::Response<#success>, ::inbox_bindings::Error> {
                let client = self.client;
                #request_binding
                let received = client.inner.call(&client.client, request, #operation_id).await?;
                ::inbox_bindings::finish::<#success, #error>(super::API.name, received)
            }
        };
        block.items.insert(position, wrapper);
        block
            .items
            .insert(position + 1, syn::ImplItem::Fn(generated));
        wrapped += 1;
    }
    if wrapped == 0 && !structs.is_empty() {
        bail!("found no `send` to wrap");
    }
    let expected_constants: usize = constants.values().map(Vec::len).sum();
    if constants_sent != expected_constants {
        bail!(
            "stage client: {expected_constants} constant parameter(s) planned, {constants_sent} placed in a send(): \
             an operation with constants has no builder"
        );
    }
    let bounded_parameters: usize = shape.bounds.values().map(Vec::len).sum();
    if bounded_parameters > 0 && setters == 0 {
        bail!("stage client: the spec bounds {bounded_parameters} parameter(s) but no setter was rewritten: progenitor's output changed");
    }

    // No type or trait of progenitor's is part of the public API: its
    // re-exports become private imports (the builders still use them) and
    // its trait impls on `Client` go (the runtime sends every request).
    let mut reexports = 0;
    for item in file.items.iter_mut() {
        if let syn::Item::Use(import) = item {
            let text = quote!(#import).to_string();
            if text.contains("pub use progenitor_client") {
                import.vis = syn::Visibility::Inherited;
                reexports += 1;
            }
        }
    }
    let before = file.items.len();
    file.items.retain(|item| {
        let syn::Item::Impl(block) = item else {
            return true;
        };
        let Some((_, path, _)) = &block.trait_ else {
            return true;
        };
        let name = path.segments.last().map(|s| s.ident.to_string());
        !matches!(name.as_deref(), Some("ClientInfo" | "ClientHooks"))
    });
    let removed = before - file.items.len();
    if reexports != 1 || removed != 2 {
        bail!(
            "stage client: expected one `pub use progenitor_client::...` and two trait impls \
             (ClientInfo, ClientHooks) on Client, found {reexports} and {removed}: progenitor's output changed"
        );
    }

    // `new` would skip validation and panics when TLS cannot start; clients
    // are built with `with_config`.
    for item in file.items.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let is_client = matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"))
            && block.trait_.is_none();
        if !is_client {
            continue;
        }
        block
            .items
            .retain(|member| !matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
        for member in block.items.iter_mut() {
            if let syn::ImplItem::Fn(function) = member {
                if function.sig.ident == "new_with_client" {
                    function.vis = syn::parse_quote!(pub(crate));
                    function.attrs.retain(|a| !a.path().is_ident("doc"));
                }
            }
        }
    }

    let auth = match &shape.auth {
        AuthShape::None => quote!(::inbox_bindings::runtime::Auth::None),
        AuthShape::Header { name, prefix } => {
            quote!(::inbox_bindings::runtime::Auth::Header { name: #name, prefix: #prefix })
        }
    };
    let servers = shape.servers.iter().map(|(url, description)| {
        quote!(::inbox_bindings::runtime::Server { url: #url, description: #description })
    });
    let rate_limit = match runtime.rate_limit {
        Some(RateLimitConfig {
            requests,
            per_seconds,
        }) => {
            quote!(::std::option::Option::Some(::inbox_bindings::runtime::RateLimit { requests: #requests, per_seconds: #per_seconds }))
        }
        None => quote!(::std::option::Option::None),
    };
    let idempotent = &shape.idempotent;
    let headers = runtime.rate_limit_headers;
    let provider_doc = format!(
        "What the runtime needs to know of the `{api}` API (from its spec and `codegen.toml`)."
    );
    let items: syn::File = syn::parse2(quote! {
        #[doc = #provider_doc]
        pub const API: ::inbox_bindings::runtime::ApiInfo = ::inbox_bindings::runtime::ApiInfo::new(
            #api,
            #auth,
            &[#(#servers),*],
            #rate_limit,
            &[#(#idempotent),*],
            #headers,
        );
        impl Client {
            /// Builds a client from one configuration: authentication as the
            /// spec declares it, the spec's first server unless another base URL
            /// is set, retries, rate limiting and timeouts. Nothing is sent; a
            /// configuration that cannot work is refused with `Error::InvalidInput`.
            pub fn with_config(
                config: ::inbox_bindings::ClientConfig,
            ) -> ::std::result::Result<Self, ::inbox_bindings::Error> {
                let parts = ::inbox_bindings::runtime::Runtime::build(config, &API)?;
                Ok(Self::new_with_client(&parts.base_url, parts.http, parts.runtime))
            }

            /// The base URL every request goes to (without a trailing slash).
            pub fn base_url(&self) -> &str {
                &self.baseurl
            }
        }
    })?;
    file.items.extend(items.items);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(schemes: Value, security: Value) -> Value {
        json!({"security": security, "servers": [{"url": "https://api.test/v2", "description": "Production"},
                                                  {"url": "https://{region}.api.test"}],
            "paths": {"/x/{id}": {"post": {"operationId": "touchX", "parameters": [
                {"name": "id", "in": "path", "schema": {"type": "integer", "minimum": 1}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                {"name": "q", "in": "query", "schema": {"type": "string"}}]}}},
            "components": {"securitySchemes": schemes}})
    }

    #[test]
    fn auth_comes_from_the_security_schemes() {
        let cases = [
            (
                json!({"k": {"type": "apiKey", "in": "header", "name": "x-APIKey"}}),
                AuthShape::Header {
                    name: "x-APIKey".into(),
                    prefix: String::new(),
                },
            ),
            (
                json!({"k": {"type": "apiKey", "in": "header", "name": "Authorization"}}),
                AuthShape::Header {
                    name: "Authorization".into(),
                    prefix: String::new(),
                },
            ),
            (
                json!({"k": {"type": "http", "scheme": "bearer"}}),
                AuthShape::Header {
                    name: "Authorization".into(),
                    prefix: "Bearer ".into(),
                },
            ),
        ];
        for (schemes, expected) in cases {
            let shape = describe(
                &doc(schemes, json!([{"k": []}])),
                &RuntimeConfig::default(),
                &mut Default::default(),
            )
            .unwrap();
            assert_eq!(shape.auth, expected);
        }
        let shape = describe(
            &doc(json!({}), json!(null)),
            &RuntimeConfig::default(),
            &mut Default::default(),
        )
        .unwrap();
        assert_eq!(shape.auth, AuthShape::None);
        for unsupported in [
            json!({"k": {"type": "apiKey", "in": "query", "name": "key"}}),
            json!({"k": {"type": "http", "scheme": "basic"}}),
        ] {
            assert!(describe(
                &doc(unsupported, json!([{"k": []}])),
                &RuntimeConfig::default(),
                &mut Default::default()
            )
            .is_err());
        }
    }

    #[test]
    fn servers_bounds_and_idempotent_operations() {
        let runtime = RuntimeConfig {
            idempotent_operations: vec!["touchX".into()],
            ..RuntimeConfig::default()
        };
        let shape = describe(
            &doc(json!({}), json!(null)),
            &runtime,
            &mut Default::default(),
        )
        .unwrap();
        assert_eq!(
            shape.servers,
            [("https://api.test/v2".to_string(), "Production".to_string())]
        );
        assert_eq!(
            shape.bounds["touchX"],
            [
                ("id".to_string(), Some(1.0), None),
                ("per_page".to_string(), Some(1.0), Some(100.0))
            ]
        );
        assert_eq!(shape.idempotent, ["touch_x"]);
        let wrong = RuntimeConfig {
            idempotent_operations: vec!["nope".into()],
            ..RuntimeConfig::default()
        };
        let mut report = crate::report::Report::default();
        let shape = describe(&doc(json!({}), json!(null)), &wrong, &mut report).unwrap();
        assert!(shape.idempotent.is_empty());
        assert!(
            report.notes.iter().any(|note| note.contains("`nope`")),
            "{:?}",
            report.notes
        );
    }
}
