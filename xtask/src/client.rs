//! Stage "client": the runtime's generated half. On every operation's
//! builder (found through the index): setters users can call naturally, with
//! the spec's bounds checked when set; and a `send()` that builds the
//! request with progenitor's code (its `send` cut at the built request, with
//! every path parameter checked by `inbox_bindings::path_segment` and the
//! crate's errors), adds the spec's constants, and hands it to
//! `inbox_bindings::runtime::Runtime`. Then progenitor's public runtime items
//! go private, and `API` and `Client::with_config` are added. Every count is
//! the model's: path parameters, setters, bounds, constants.

use anyhow::{bail, Context};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

use crate::index::{builder_impls_mut, builder_struct, Index};
use crate::model::{Auth, ConstantLocation, Operation};
use crate::naming::{field_ident, operation_name};
use crate::plan::Plan;
use crate::syntax::{generic_of, last_ident, try_into_target};

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
                                ::inbox_bindings::__private::path_segment(#parameter, #argument)?
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
                *expr = syn::parse_quote!(|reason| ::inbox_bindings::__private::invalid_parameter(#parameter, reason));
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
                    *expr = syn::parse_quote!(#receiver.build().map_err(::inbox_bindings::__private::request_not_built)?);
                    self.builds += 1;
                }
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

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

/// Counts every `Error::InvalidRequest` left, anywhere.
#[derive(Default)]
struct LeftoverInvalidRequest(usize);

impl VisitMut for LeftoverInvalidRequest {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if is_invalid_request(path) {
            self.0 += 1;
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// Setters users can call naturally: an integer or float parameter takes its
/// primitive (`per_page(100)` compiles) and checks the spec's bounds in the
/// setter, with one message for every out-of-range value; a string takes
/// `impl Into<String>`; any other conversion keeps its own error message
/// instead of progenitor's generic "conversion ... failed". One setter per
/// parameter of the model, each found by its name; a bounded parameter's
/// setter must take a number.
fn natural_setters(
    file: &mut syn::File,
    operation: &Operation,
    builder: &syn::Ident,
) -> anyhow::Result<()> {
    let fields = builder_struct(file, builder)?.clone();
    let mut rewritten = Vec::new();
    for block in builder_impls_mut(file, builder)? {
        for member in block.items.iter_mut() {
            let syn::ImplItem::Fn(function) = member else {
                continue;
            };
            let name = function.sig.ident.clone();
            let Some(parameter) = operation
                .parameters
                .iter()
                .find(|parameter| field_ident(&parameter.name) == name)
            else {
                // A typed setter for something the model does not let the
                // caller set: a constant progenitor still sees, say.
                if name != "body" && try_into_target(function).is_some() {
                    bail!(
                        "setter `{name}` is for no parameter of the model (constants: {:?})",
                        operation
                            .constants
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                    );
                }
                continue;
            };
            let target = try_into_target(function)
                .with_context(|| format!("setter `{name}` takes no `V: TryInto<T>`"))?;
            let field = fields
                .fields
                .iter()
                .find(|field| field.ident.as_ref() == Some(&name))
                .with_context(|| format!("setter `{name}` has no field"))?;
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
                let bounds = parameter.bounds.unwrap_or(crate::model::Bounds {
                    minimum: None,
                    maximum: None,
                });
                let bound = |b: Option<f64>| match b {
                    Some(v) => quote!(::std::option::Option::Some(#v)),
                    None => quote!(::std::option::Option::None),
                };
                let (minimum, maximum) = (bound(bounds.minimum), bound(bounds.maximum));
                syn::parse_quote! {
                    #(#docs)*
                    pub fn #name(mut self, value: #primitive) -> Self {
                        self.#name = ::inbox_bindings::__private::bounded::<#primitive, #target>(value, #minimum, #maximum) #wrap;
                        self
                    }
                }
            } else if parameter.bounds.is_some() {
                bail!(
                    "parameter `{}` has bounds, but its setter takes {}, not a number",
                    parameter.name,
                    quote!(#target)
                );
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
            rewritten.push(parameter.name.clone());
        }
    }
    let missing: Vec<&str> = operation
        .parameters
        .iter()
        .map(|parameter| parameter.name.as_str())
        .filter(|name| !rewritten.iter().any(|done| done == name))
        .collect();
    if !missing.is_empty() || rewritten.len() != operation.parameters.len() {
        bail!(
            "expected one setter for each of the {} parameter(s), rewrote {} (no setter for {missing:?})",
            operation.parameters.len(),
            rewritten.len()
        );
    }
    Ok(())
}

/// The position of `let info = OperationInfo { .. }` in a `send`.
fn operation_info_position(statements: &[syn::Stmt]) -> Option<usize> {
    statements.iter().position(|statement| {
        matches!(statement, syn::Stmt::Local(local)
            if matches!(&local.pat, syn::Pat::Ident(binding) if binding.ident == "info"))
    })
}

/// The statements sending the operation's constants on its request.
fn constant_statements(operation: &Operation) -> Vec<TokenStream> {
    operation
        .constants
        .iter()
        .map(|constant| {
            let value = &constant.value;
            match constant.location {
                ConstantLocation::Header => {
                    let name = constant.name.to_ascii_lowercase();
                    quote! {
                        request.headers_mut().insert(
                            ::reqwest::header::HeaderName::from_static(#name),
                            ::reqwest::header::HeaderValue::from_static(#value),
                        );
                    }
                }
                ConstantLocation::Query => {
                    let name = &constant.name;
                    quote! { request.url_mut().query_pairs_mut().append_pair(#name, #value); }
                }
            }
        })
        .collect()
}

/// progenitor's `send`, cut after the request it builds, as a private
/// `request()` (path segments checked, the crate's errors), and beside it a
/// `send()` that adds the constants and hands the request to the runtime.
fn send_through_runtime(
    file: &mut syn::File,
    operation: &Operation,
    builder: &syn::Ident,
) -> anyhow::Result<()> {
    let operation_id = operation_name(&operation.id);
    let mut blocks = builder_impls_mut(file, builder)?;
    let (block, position) = blocks
        .iter_mut()
        .find_map(|block| {
            let position = block
                .items
                .iter()
                .position(|m| matches!(m, syn::ImplItem::Fn(f) if f.sig.ident == "send"))?;
            Some((block, position))
        })
        .context("no `send` on the builder")?;
    let syn::ImplItem::Fn(mut generated) = block.items.remove(position) else {
        unreachable!("found as a function")
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
            "a success response that is not JSON is not supported yet \
             (the runtime reads and decodes every body)"
        );
    }
    // progenitor's send, up to the request it builds: the runtime sends it.
    let statements = &mut generated.block.stmts;
    let info = operation_info_position(statements)
        .context("expected `let info = OperationInfo` in send, found none")?;
    let builds = statements[..info].iter().any(|statement| {
        matches!(statement, syn::Stmt::Local(local)
            if matches!(&local.pat, syn::Pat::Ident(binding) if binding.ident == "request"))
    });
    if !builds {
        bail!("expected `let mut request = ...` before `let info`, found none");
    }
    statements.truncate(info);
    statements.push(syn::parse_quote!(return Ok(request);));
    // Every path parameter of the document, checked where the URL is formatted.
    let expected = operation.path_parameters().count();
    let mut segments = CheckPathSegments(0);
    segments.visit_block_mut(&mut generated.block);
    if segments.0 != expected {
        bail!(
            "stage path segments: the path {} has {expected} parameter(s), but {} `encode_path` \
             call(s) inside `format!` were rewritten to `path_segment`: progenitor's output changed",
            operation.path,
            segments.0
        );
    }
    let mut errors = CrateErrors::default();
    errors.visit_block_mut(&mut generated.block);
    let mut leftover = LeftoverInvalidRequest::default();
    leftover.visit_block_mut(&mut generated.block);
    if errors.builds != 1 || leftover.0 > 0 {
        bail!(
            "expected one `.build()?` and every `Error::InvalidRequest` in a `let`, found {} build(s), \
             {} parameter(s) and {} `Error::InvalidRequest` elsewhere: progenitor's output changed",
            errors.builds,
            errors.parameters,
            leftover.0
        );
    }
    generated.sig.ident = format_ident!("request");
    generated.sig.asyncness = None;
    generated.sig.output =
        syn::parse_quote!(-> ::std::result::Result<::reqwest::Request, ::inbox_bindings::Error>);
    generated.vis = syn::Visibility::Inherited;
    generated.attrs.retain(|a| !a.path().is_ident("doc"));
    let constants = constant_statements(operation);
    let request_binding = if constants.is_empty() {
        quote!(let request = self.request()?;)
    } else {
        quote! {
            let mut request = self.request()?;
            // Constants of the spec (one allowed value): sent on every request.
            #(#constants)*
        }
    };
    let idempotent = operation.idempotent;
    let retries = if idempotent {
        "Retried (it is idempotent) on 429, 502, 503, 504, connection failures, timeouts and bodies cut short, within the call timeout."
    } else {
        "Never sent twice (it is not idempotent): a failure is returned as it is, with `Error::is_retryable` saying whether resending is safe."
    };
    let wrapper: syn::ImplItem = syn::parse_quote! {
        #(#docs)*
        ///
        /// Parameters were checked against the spec when set; the call is
        /// rate limited and traced by the client's runtime.
        #[doc = #retries]
        pub async fn send(self) -> ::std::result::Result<::inbox_bindings::Response<#success>, ::inbox_bindings::Error> {
            let client = self.client;
            #request_binding
            let received = client.inner.call(&client.client, request, #operation_id, #idempotent).await?;
            ::inbox_bindings::__private::finish::<#success, #error>(received)
        }
    };
    block.items.insert(position, wrapper);
    block
        .items
        .insert(position + 1, syn::ImplItem::Fn(generated));
    Ok(())
}

/// No type or trait of progenitor's is part of the public API: its
/// re-exports become private imports (the builders still use them), its
/// trait impls on `Client` go (the runtime sends every request), and so does
/// `Client::new` (it skips validation and panics when TLS cannot start;
/// clients are built with `with_config`).
fn hide_generator_items(file: &mut syn::File) -> anyhow::Result<()> {
    let mut reexports = 0;
    for item in file.items.iter_mut() {
        if let syn::Item::Use(import) = item {
            let from_progenitor = matches!(&import.tree, syn::UseTree::Path(path) if path.ident == "progenitor_client");
            if from_progenitor && matches!(import.vis, syn::Visibility::Public(_)) {
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
    let mut constructors = 0;
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
                    constructors += 1;
                }
            }
        }
    }
    if constructors != 1 {
        bail!("stage client: expected one `Client::new_with_client`, found {constructors}: progenitor's output changed");
    }
    Ok(())
}

/// `API` (what the runtime needs of the API, from the model and
/// `codegen.toml`), `Client::with_config` and `Client::base_url`.
fn api_constant(file: &mut syn::File, plan: &Plan) -> anyhow::Result<()> {
    let api = plan.api.as_str();
    let auth = match &plan.model.auth {
        Auth::None => quote!(::inbox_bindings::runtime::Auth::None),
        Auth::Header { name, prefix } => {
            quote!(::inbox_bindings::runtime::Auth::Header { name: #name, prefix: #prefix })
        }
    };
    let servers = plan.model.servers.iter().map(|server| {
        let (url, description) = (&server.url, &server.description);
        quote!(::inbox_bindings::runtime::Server { url: #url, description: #description })
    });
    let rate_limit = match plan.rate_limit {
        Some(crate::config::RateLimitConfig {
            requests,
            per_seconds,
        }) => {
            quote!(::std::option::Option::Some(::inbox_bindings::RateLimit::new(#requests, ::std::time::Duration::from_secs(#per_seconds))))
        }
        None => quote!(::std::option::Option::None),
    };
    let headers = plan.rate_limit_headers;
    let provider_doc = format!(
        "What the runtime needs to know of the `{api}` API (from its spec and `codegen.toml`)."
    );
    let items: syn::File = syn::parse2(quote! {
        #[doc = #provider_doc]
        pub const API: ::inbox_bindings::runtime::ApiInfo = ::inbox_bindings::__private::api_info(
            #api,
            #auth,
            &[#(#servers),*],
            #rate_limit,
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
                let parts = ::inbox_bindings::__private::Runtime::build(config, &API)?;
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

/// The stage, in its named steps.
pub fn rewrite(file: &mut syn::File, plan: &Plan, index: &Index) -> anyhow::Result<()> {
    for operation in &plan.model.operations {
        let builder = &index.entry(&operation.id).builder;
        natural_setters(file, operation, builder).with_context(|| {
            format!(
                "stage client (setters), operation {}, builder {builder}",
                operation.id
            )
        })?;
        send_through_runtime(file, operation, builder).with_context(|| {
            format!(
                "stage client, operation {}, builder {builder}",
                operation.id
            )
        })?;
    }
    hide_generator_items(file)?;
    api_constant(file, plan)
}
