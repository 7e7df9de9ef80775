//! A generator upgrade that changes the shape of its output is loud: every
//! post-processing stage, fed a syntax tree without the shape it expects,
//! fails naming the stage, the operation (or builder) and what it expected,
//! instead of silently producing something else.

use std::collections::BTreeMap;

use xtask::client::{AuthShape, ClientShape, RuntimeConfig};

fn shape() -> ClientShape {
    ClientShape {
        auth: AuthShape::None,
        servers: Vec::new(),
        bounds: BTreeMap::new(),
        idempotent: Vec::new(),
    }
}

/// progenitor's output for one operation, as the stages expect it, with
/// `send` replaced by `send_body`.
fn progenitor_like(send_body: proc_macro2::TokenStream, prelude: bool) -> syn::File {
    let prelude = if prelude {
        quote::quote! { pub use progenitor_client::{ByteStream, ClientInfo, Error, ResponseValue}; }
    } else {
        quote::quote! {}
    };
    syn::parse2(quote::quote! {
        #prelude
        pub mod types {}
        pub struct Client { baseurl: String }
        impl ClientInfo<()> for Client {}
        impl ClientHooks<()> for &Client {}
        impl Client {
            ///Sends a `GET` request to `/things`
            pub fn list_things(&self) -> builder::ListThings<'_> { builder::ListThings::new(self) }
        }
        pub mod builder {
            pub struct ListThings<'a> { client: &'a super::Client }
            impl<'a> ListThings<'a> {
                pub async fn send(self) -> Result<ResponseValue<types::Things>, Error<types::ApiError>> {
                    #send_body
                }
            }
        }
    })
    .unwrap()
}

/// A `send` that builds its request as progenitor does, for `path`.
fn well_formed_send(path: &str) -> proc_macro2::TokenStream {
    let template = format!("{{}}{path}");
    quote::quote! {
        let Self { client } = self;
        let url = format!(#template, client.baseurl);
        let mut request = client.client.get(url).build()?;
        let info = OperationInfo { operation_id: "list_things" };
        todo!()
    }
}

/// What the client stage says of `file`.
fn client_stage(
    file: &mut syn::File,
    constants: &BTreeMap<String, Vec<xtask::rules::Constant>>,
) -> String {
    error_of(xtask::client::rewrite(
        file,
        "t",
        &shape(),
        &RuntimeConfig::default(),
        constants,
    ))
}

fn error_of(result: anyhow::Result<()>) -> String {
    format!("{:#}", result.expect_err("the stage must refuse"))
}

#[test]
fn the_client_stage_names_the_builder_and_what_it_expected() {
    let none = BTreeMap::new();
    // A send that no longer builds a request then an `OperationInfo`.
    let error = client_stage(&mut progenitor_like(quote::quote! { todo!() }, true), &none);
    assert!(
        error.contains("stage client, builder ListThings"),
        "{error}"
    );
    assert!(error.contains("OperationInfo"), "{error}");

    // The URL has a path parameter, but no `encode_path` for it.
    let error = client_stage(
        &mut progenitor_like(well_formed_send("/things/{}"), true),
        &none,
    );
    assert!(
        error.contains("1 path parameter(s) but 0 `encode_path`"),
        "{error}"
    );

    // No progenitor prelude to make private.
    let error = client_stage(
        &mut progenitor_like(well_formed_send("/things"), false),
        &none,
    );
    assert!(
        error.contains("expected one `pub use progenitor_client"),
        "{error}"
    );

    // A constant planned for an operation that has no builder.
    let mut constants = BTreeMap::new();
    constants.insert(
        "deleteThing".to_string(),
        vec![xtask::rules::Constant {
            location: "header".into(),
            name: "Api-Version".into(),
            value: "1".into(),
        }],
    );
    let error = client_stage(
        &mut progenitor_like(well_formed_send("/things"), true),
        &constants,
    );
    assert!(
        error.contains("1 constant parameter(s) planned, 0 placed"),
        "{error}"
    );

    // The same tree passes when nothing is missing: the checks can pass.
    let mut file = progenitor_like(well_formed_send("/things"), true);
    xtask::client::rewrite(&mut file, "t", &shape(), &RuntimeConfig::default(), &none)
        .expect("a well-formed tree is rewritten");
}

#[test]
fn the_pagination_stage_names_the_operation_it_found_no_builder_for() {
    let mut file = progenitor_like(quote::quote! { todo!() }, true);
    let paginated = xtask::pagination::Paginated {
        operation_id: "listOthers".into(),
        method: "GET".into(),
        path: "/others".into(),
        cursor_parameter: "cursor".into(),
        page_size: None,
        next_cursor_field: "next".into(),
        items_field: "items".into(),
    };
    let error = error_of(xtask::pagination::inject(&mut file, &[paginated]));
    assert!(error.contains("listOthers"), "{error}");
}

#[test]
fn the_enum_and_lean_stages_name_the_type_they_expected() {
    let mut file = progenitor_like(quote::quote! { todo!() }, true);
    let missing = xtask::extensible::Extensible {
        component: "Status".into(),
        reason: "test".into(),
        kind: xtask::extensible::Kind::Tolerant { sent: false },
    };
    let error = error_of(xtask::extensible::rewrite(&mut file, &[missing]));
    assert!(
        error.contains("typify generated no enum") && error.contains("Status"),
        "{error}"
    );

    let mut file: syn::File = syn::parse_quote! {
        pub mod types { pub mod builder {} }
        pub mod builder { pub struct Touch { body: Result<types::builder::Thing, String> } }
    };
    let error = format!("{:#}", xtask::lean::rewrite(&mut file).unwrap_err());
    assert!(
        error.contains("stage lean") && error.contains("types::builder::Thing"),
        "{error}"
    );
}

#[test]
fn the_requests_stage_names_the_operation_and_the_header_it_expected() {
    // A send that no longer sets `Accept` the way progenitor did.
    let mut file = progenitor_like(quote::quote! { todo!() }, true);
    let mut shapes = BTreeMap::new();
    shapes.insert(
        "listThings".to_string(),
        xtask::requests::RequestShape {
            accept: Some("application/vnd.test+json".into()),
            ..Default::default()
        },
    );
    let error = error_of(xtask::requests::rewrite(&mut file, &shapes));
    assert!(
        error.contains("stage requests, listThings: expected 1 Accept header to rewrite, found 0"),
        "{error}"
    );
    // An operation whose builder is gone.
    let mut shapes = BTreeMap::new();
    shapes.insert(
        "deleteThing".to_string(),
        xtask::requests::RequestShape {
            accept: Some("application/vnd.test+json".into()),
            ..Default::default()
        },
    );
    let error = error_of(xtask::requests::rewrite(&mut file, &shapes));
    assert!(
        error.contains("stage requests, deleteThing: expected a send()"),
        "{error}"
    );
}
