//! The client half of the generated file, from the model and the types the
//! type space named: `Client`, its one method per operation, the operation
//! builders (setters with the spec's bounds, a private `request()` that
//! builds the request, `send()` through the runtime, `pages()`/`stream()`
//! for lists), `API`, `Client::with_config` and `Client::base_url`.

use anyhow::{bail, Context};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use typify::{TypeDetails, TypeId};

use super::{OperationTypes, Types};
use crate::model::{Auth, Bounds, ConstantLocation, Location, Operation, Pagination};
use crate::naming::{builder_name, field_ident, operation_name, sanitize, snake, Case};
use crate::plan::Plan;

/// The whole client.
pub fn emit(plan: &Plan, types: &Types) -> anyhow::Result<TokenStream> {
    let mut methods = Vec::new();
    let mut builders = Vec::new();
    for (operation, operation_types) in plan.model.operations.iter().zip(&types.operations) {
        let (method, builder) = operation_items(types, operation, operation_types)
            .with_context(|| format!("emitting operation `{}`", operation.id))?;
        methods.push(method);
        builders.push(builder);
    }
    let client_doc = plan.client_doc.as_str();
    let api = api_constant(plan);
    Ok(quote! {
        #[doc = #client_doc]
        #[derive(Clone, Debug)]
        pub struct Client {
            pub(crate) baseurl: ::std::string::String,
            pub(crate) client: ::reqwest::Client,
            pub(crate) inner: ::inbox_bindings::__private::Runtime,
        }
        impl Client {
            #(#methods)*
        }
        /// The operation builders: each made by its [`Client`] method, set
        /// with its parameters, sent with `send()`.
        pub mod builder {
            use super::types;
            #(#builders)*
        }
        #api
    })
}

/// An identifier from a name the crate chose (`type` becomes `type_`).
fn ident(name: &str) -> syn::Ident {
    syn::parse_str(name).expect("sanitize gives an identifier")
}

/// The primitive a numeric type is set with (`NonZeroU64` is set as `u64`).
fn numeric_primitive(ty: &syn::Type) -> Option<syn::Ident> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let name = path.path.segments.last()?.ident.to_string();
    let primitive = match name.strip_prefix("NonZero") {
        Some(rest) => rest.to_ascii_lowercase(),
        None => name,
    };
    const NUMBERS: [&str; 14] = [
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "f32", "f64",
    ];
    NUMBERS
        .contains(&primitive.as_str())
        .then(|| format_ident!("{primitive}"))
}

fn is_string(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(path)
        if path.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>() == ["std", "string", "String"])
}

fn bound(value: Option<f64>) -> TokenStream {
    match value {
        Some(value) => quote!(::std::option::Option::Some(#value)),
        None => quote!(::std::option::Option::None),
    }
}

/// One setter: a number takes its primitive and checks the spec's bounds
/// when set, a string takes `impl Into<String>`, anything else `TryInto`
/// with the conversion's own message.
fn setter(
    name: &syn::Ident,
    ty: &TokenStream,
    optional: bool,
    bounds: Option<Bounds>,
    doc: Option<&str>,
    wire: &str,
) -> anyhow::Result<TokenStream> {
    let parsed: syn::Type = syn::parse2(ty.clone()).context("a parameter type")?;
    let wrap = if optional {
        quote!(.map(::std::option::Option::Some))
    } else {
        quote!()
    };
    let doc = doc.map(|doc| quote!(#[doc = #doc]));
    if let Some(primitive) = numeric_primitive(&parsed) {
        let bounds = bounds.unwrap_or(Bounds {
            minimum: None,
            maximum: None,
        });
        let (minimum, maximum) = (bound(bounds.minimum), bound(bounds.maximum));
        return Ok(quote! {
            #doc
            pub fn #name(mut self, value: #primitive) -> Self {
                self.#name = ::inbox_bindings::__private::bounded::<#primitive, #ty>(value, #minimum, #maximum) #wrap;
                self
            }
        });
    }
    if bounds.is_some() {
        bail!("parameter `{wire}` has bounds, but its type is {ty}, not a number");
    }
    if is_string(&parsed) {
        let value = if optional {
            quote!(::std::option::Option::Some(value.into()))
        } else {
            quote!(value.into())
        };
        return Ok(quote! {
            #doc
            pub fn #name(mut self, value: impl ::std::convert::Into<::std::string::String>) -> Self {
                self.#name = ::std::result::Result::Ok(#value);
                self
            }
        });
    }
    Ok(quote! {
        #doc
        pub fn #name<V>(mut self, value: V) -> Self
        where
            V: ::std::convert::TryInto<#ty>,
            <V as ::std::convert::TryInto<#ty>>::Error: ::std::fmt::Display,
        {
            self.#name = value.try_into() #wrap .map_err(|error| ::std::format!("{}", error));
            self
        }
    })
}

/// The docs of an operation's `Client` method: the spec's summary and
/// description, the method and path, the parameters' descriptions.
fn method_doc(operation: &Operation) -> String {
    let mut doc = String::new();
    if let Some(summary) = &operation.summary {
        doc.push_str(summary.trim().trim_end_matches(['.', ',']));
        doc.push_str("\n\n");
    }
    if let Some(description) = &operation.description {
        doc.push_str(description.trim_end());
        doc.push_str("\n\n");
    }
    doc.push_str(&format!(
        "Sends a `{}` request to `{}`.",
        operation.method, operation.path
    ));
    let described: Vec<String> = operation
        .parameters
        .iter()
        .filter_map(|parameter| {
            let description = parameter.description.as_deref()?;
            Some(format!(
                "- `{}`: {}",
                snake(&parameter.name),
                description.trim().replace('\n', "\n  ")
            ))
        })
        .collect();
    if !described.is_empty() {
        doc.push_str("\n\nArguments:\n");
        doc.push_str(&described.join("\n"));
    }
    doc
}

/// The `Client` method and the builder (struct and impls) of one operation.
fn operation_items(
    types: &Types,
    operation: &Operation,
    operation_types: &OperationTypes,
) -> anyhow::Result<(TokenStream, TokenStream)> {
    let method = ident(&operation_name(&operation.id));
    let builder = ident(&builder_name(&operation.id));
    let method_doc = method_doc(operation);
    let builder_doc = format!("Builder for [`Client::{method}`](super::Client::{method}).");
    let deprecated = operation
        .deprecated
        .as_deref()
        .map(|note| quote!(#[deprecated(note = #note)]));

    let mut fields = Vec::new();
    let mut initial = Vec::new();
    let mut setters = Vec::new();
    let mut names = Vec::new();
    for (parameter, (named, optional)) in
        operation.parameters.iter().zip(&operation_types.parameters)
    {
        let name = field_ident(&parameter.name);
        let ty = &named.tokens;
        let unset = format!("{name} was not initialized");
        if *optional {
            fields.push(quote!(#name: ::std::result::Result<::std::option::Option<#ty>, ::std::string::String>));
            initial.push(quote!(#name: ::std::result::Result::Ok(::std::option::Option::None)));
        } else {
            fields.push(quote!(#name: ::std::result::Result<#ty, ::std::string::String>));
            initial.push(quote!(#name: ::std::result::Result::Err(#unset.to_string())));
        }
        setters.push(setter(
            &name,
            ty,
            *optional,
            parameter.bounds,
            parameter.description.as_deref(),
            &parameter.name,
        )?);
        names.push((name, parameter));
    }
    let optional_body = operation.request.optional_body;
    let body = operation_types.body.as_ref().map(|(named, default)| {
        let ty = &named.tokens;
        if optional_body {
            fields.push(quote!(body: ::std::result::Result<::std::option::Option<#ty>, ::std::string::String>));
            initial.push(quote!(body: ::std::result::Result::Ok(::std::option::Option::None)));
        } else {
            fields.push(quote!(body: ::std::result::Result<#ty, ::std::string::String>));
            if *default {
                initial.push(quote!(body: ::std::result::Result::Ok(::std::default::Default::default())));
            } else {
                initial.push(quote!(body: ::std::result::Result::Err("body was not initialized".to_string())));
            }
        }
        let wrap = if optional_body {
            quote!(.map(::std::option::Option::Some))
        } else {
            quote!()
        };
        setters.push(quote! {
            /// The request body.
            pub fn body<V>(mut self, value: V) -> Self
            where
                V: ::std::convert::TryInto<#ty>,
                <V as ::std::convert::TryInto<#ty>>::Error: ::std::fmt::Display,
            {
                self.body = value.try_into() #wrap .map_err(|error| ::std::format!("{}", error));
                self
            }
        });
        ty.clone()
    });

    let request = request_fn(operation, &names, body.is_some())?;
    let send = send_fn(types, operation, operation_types);
    let pages = match &operation.pagination {
        Some(pagination) => pages_fns(types, operation, operation_types, pagination)?,
        None => TokenStream::new(),
    };
    let builder_items = quote! {
        #[doc = #builder_doc]
        #[derive(Debug, Clone)]
        pub struct #builder<'a> {
            client: &'a super::Client,
            #(#fields,)*
        }
        impl<'a> #builder<'a> {
            pub(crate) fn new(client: &'a super::Client) -> Self {
                Self {
                    client,
                    #(#initial,)*
                }
            }
            #(#setters)*
            #send
            #request
            #pages
        }
    };
    let method_item = quote! {
        #[doc = #method_doc]
        #deprecated
        pub fn #method(&self) -> builder::#builder<'_> {
            builder::#builder::new(self)
        }
    };
    Ok((method_item, builder_items))
}

/// `request()`: every parameter checked (its setter's error names it),
/// path segments checked by `path_segment`, the URL, `Accept`, query and
/// header parameters, the constants and the body.
fn request_fn(
    operation: &Operation,
    names: &[(syn::Ident, &crate::model::Parameter)],
    has_body: bool,
) -> anyhow::Result<TokenStream> {
    let mut bindings = Vec::new();
    let mut destructured: Vec<&syn::Ident> = Vec::new();
    for (name, _) in names {
        let wire = name.to_string();
        let wire = wire.trim_start_matches("r#");
        destructured.push(name);
        bindings.push(quote! {
            let #name = #name.map_err(|reason| ::inbox_bindings::__private::invalid_parameter(#wire, reason))?;
        });
    }
    let body_binding = has_body.then(|| {
        quote! {
            let body = body.map_err(|reason| ::inbox_bindings::__private::invalid_parameter("body", reason))?;
        }
    });
    let body_field = has_body.then(|| quote!(body,));
    // The URL: the template with each path parameter checked and encoded.
    let mut template = String::from("{}");
    let mut arguments = Vec::new();
    let mut rest = operation.path.as_str();
    while let Some(open) = rest.find('{') {
        template.push_str(&rest[..open].replace('{', "{{").replace('}', "}}"));
        let close = rest[open..]
            .find('}')
            .map(|at| open + at)
            .with_context(|| format!("an unclosed `{{` in the path {}", operation.path))?;
        let wire = &rest[open + 1..close];
        let (name, _) = names
            .iter()
            .find(|(_, parameter)| parameter.location == Location::Path && parameter.name == wire)
            .with_context(|| format!("no path parameter `{wire}`"))?;
        template.push_str("{}");
        let setter = name.to_string();
        let setter = setter.trim_start_matches("r#");
        arguments.push(quote! {
            ::inbox_bindings::__private::path_segment(#setter, &#name.to_string())?
        });
        rest = &rest[close + 1..];
    }
    template.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    let accept = operation
        .request
        .accept
        .clone()
        .unwrap_or_else(|| "application/json".to_string());
    let http_method = format_ident!("{}", operation.method.to_ascii_uppercase());
    let mut parts = Vec::new();
    for (name, parameter) in names {
        let wire = parameter.name.as_str();
        let setter = name.to_string();
        let setter = setter.trim_start_matches("r#");
        match parameter.location {
            Location::Path => {}
            Location::Query => parts.push(quote! {
                request = ::inbox_bindings::__private::query(request, #setter, #wire, &#name)?;
            }),
            Location::Header => parts.push(quote! {
                request = ::inbox_bindings::__private::header(request, #setter, #wire, &#name)?;
            }),
        }
    }
    for constant in &operation.constants {
        let value = &constant.value;
        let wire = &constant.name;
        parts.push(match constant.location {
            ConstantLocation::Header => {
                let lower = constant.name.to_ascii_lowercase();
                quote! {
                    request = request.header(
                        ::reqwest::header::HeaderName::from_static(#lower),
                        ::reqwest::header::HeaderValue::from_static(#value),
                    );
                }
            }
            ConstantLocation::Query => quote! {
                request = request.query(&[(#wire, #value)]);
            },
        });
    }
    if has_body {
        let content_type = operation
            .request
            .content_type
            .clone()
            .or_else(|| operation.body.as_ref().map(|body| body.media_type.clone()))
            .unwrap_or_else(|| "application/json".to_string());
        let value = if operation.request.optional_body {
            quote!(body.as_ref())
        } else {
            quote!(::std::option::Option::Some(&body))
        };
        parts.push(quote! {
            request = ::inbox_bindings::__private::json_body(request, #value, #content_type);
        });
    }
    Ok(quote! {
        fn request(self) -> ::std::result::Result<::reqwest::Request, ::inbox_bindings::Error> {
            let Self { client, #(#destructured,)* #body_field } = self;
            #(#bindings)*
            #body_binding
            let url = ::std::format!(#template, client.baseurl, #(#arguments),*);
            let mut request = client
                .client
                .request(::reqwest::Method::#http_method, url)
                .header(
                    ::reqwest::header::ACCEPT,
                    ::reqwest::header::HeaderValue::from_static(#accept),
                );
            #(#parts)*
            request
                .build()
                .map_err(::inbox_bindings::__private::request_not_built)
        }
    })
}

/// `send()`: the request through the runtime, decoded into the success
/// type or the API's error.
fn send_fn(types: &Types, operation: &Operation, operation_types: &OperationTypes) -> TokenStream {
    let success = &operation_types.success;
    let error = match &types.error {
        Some(named) => named.tokens.clone(),
        None => quote!(()),
    };
    let id = operation_name(&operation.id);
    let template = &operation.path;
    let idempotent = operation.idempotent;
    let doc = format!(
        "Sends a `{}` request to `{}`.\n\nParameters were checked against the spec when set; \
         the call is rate limited and traced by the client's runtime.",
        operation.method, operation.path
    );
    let retries = if idempotent {
        quote!(::inbox_bindings::__private::retry_doc!(idempotent))
    } else {
        quote!(::inbox_bindings::__private::retry_doc!(not_idempotent))
    };
    quote! {
        #[doc = #doc]
        ///
        #[doc = #retries]
        pub async fn send(self) -> ::std::result::Result<::inbox_bindings::Response<#success>, ::inbox_bindings::Error> {
            let client = self.client;
            let request = self.request()?;
            let received = client.inner.call(&client.client, request, #id, #template, #idempotent).await?;
            ::inbox_bindings::__private::finish::<#success, #error>(received)
        }
    }
}

/// A struct property of the page type, by its wire name.
fn page_field(types: &Types, page: &TypeId, wire: &str) -> anyhow::Result<(syn::Ident, TypeId)> {
    let ty = types.space.get_type(page)?;
    let TypeDetails::Struct(details) = ty.details() else {
        bail!("the page type {} is not a struct", ty.name());
    };
    let rust = sanitize(wire, Case::Snake);
    let found = details
        .properties()
        .find(|(name, _)| *name == rust)
        .map(|(name, id)| (ident(name), id));
    found.with_context(|| format!("the page type {} has no field `{wire}`", ty.name()))
}

/// `pages()` and `stream()` of a paginated operation.
fn pages_fns(
    types: &Types,
    operation: &Operation,
    operation_types: &OperationTypes,
    pagination: &Pagination,
) -> anyhow::Result<TokenStream> {
    let page_id = operation_types
        .success_id
        .as_ref()
        .context("a paginated operation without a response body")?;
    let page_type = &operation_types.success;
    let (next, next_id) = page_field(types, page_id, &pagination.next_cursor_field)?;
    let next_cursor = match types.space.get_type(&next_id)?.details() {
        TypeDetails::Option(_) => quote! { |page: &#page_type| page.#next.as_deref() },
        _ => quote! { |page: &#page_type| ::std::option::Option::Some(page.#next.as_str()) },
    };
    let (items, items_id) = page_field(types, page_id, &pagination.items_field)?;
    let (list_id, take) = match types.space.get_type(&items_id)?.details() {
        TypeDetails::Option(inner) => (
            inner,
            quote! { |page: #page_type| page.#items.unwrap_or_default() },
        ),
        _ => (items_id, quote! { |page: #page_type| page.#items }),
    };
    let TypeDetails::Vec(item_id) = types.space.get_type(&list_id)?.details() else {
        bail!("the `{}` of the page is not a list", pagination.items_field);
    };
    let item_type = types.space.get_type(&item_id)?.ident();
    let cursor = field_ident(&pagination.cursor_parameter);
    let cursor_optional = operation
        .parameters
        .iter()
        .zip(&operation_types.parameters)
        .find(|(parameter, _)| parameter.name == pagination.cursor_parameter)
        .map(|(_, (_, optional))| *optional)
        .context("no cursor parameter")?;
    let initial_cursor = if cursor_optional {
        quote!(self.#cursor.as_ref().ok().and_then(|value| value.as_ref()).map(|value| value.to_string()))
    } else {
        quote!(self.#cursor.as_ref().ok().map(|value| value.to_string()))
    };
    let pages_doc = format!(
        "Every page of `{}`, requested lazily, each a `Response` (its status, headers and request id \
         beside the body): the parameters set on this builder are sent with every page, only `{}` \
         changes. Ends when `{}` is null, absent or empty.",
        operation.id, pagination.cursor_parameter, pagination.next_cursor_field
    );
    let stream_doc = format!(
        "Every item of `{}` (the `{}` of each page), in order, across pages; see [`Self::pages`].",
        operation.id, pagination.items_field
    );
    Ok(quote! {
        #[doc = #pages_doc]
        pub fn pages(self) -> ::inbox_bindings::pagination::BoxStream<'a, ::inbox_bindings::Response<#page_type>> {
            let initial_cursor = #initial_cursor;
            ::inbox_bindings::__private::pages(
                self,
                initial_cursor,
                |builder: Self, cursor: ::std::string::String| builder.#cursor(cursor),
                |builder: Self| builder.send(),
                #next_cursor,
            )
        }
        #[doc = #stream_doc]
        pub fn stream(self) -> ::inbox_bindings::pagination::BoxStream<'a, #item_type> {
            ::inbox_bindings::__private::items(self.pages(), #take)
        }
    })
}

/// `API` (what the runtime needs of the API, from the model and
/// `codegen.toml`), `Client::with_config` and `Client::base_url`.
fn api_constant(plan: &Plan) -> TokenStream {
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
    quote! {
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
                ::std::result::Result::Ok(Self {
                    baseurl: parts.base_url,
                    client: parts.http,
                    inner: parts.runtime,
                })
            }

            /// The base URL every request goes to (without a trailing slash).
            pub fn base_url(&self) -> &str {
                &self.baseurl
            }
        }
    }
}
