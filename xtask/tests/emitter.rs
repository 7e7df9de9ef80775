//! The emitter's output, per shape: `tests/specs/every_stage.yaml` (a shape
//! for every fact of the model) and `tests/specs/send_shapes.yaml` (every
//! request and response shape) are generated and read back as Rust; the
//! complete documents in `../shared/fixtures` generate with a method for
//! every operation and a stream for every list. (The wire side of the same
//! shapes: `tests/it/every_stage.rs`, `tests/it/send_shapes.rs`.)

use std::path::PathBuf;

use serde_json::json;
use xtask::config::{ApiConfig, Config};

fn root() -> PathBuf {
    xtask::project_root()
}

/// The generated file of a test spec, parsed, and its plan.
fn generate_spec(api: &str) -> (xtask::plan::Plan, syn::File, String) {
    let config = Config::load(&root().join("tests/specs/codegen.toml")).unwrap();
    let config = config.api(api).unwrap();
    let path = root().join("tests/specs").join(&config.spec);
    let doc = xtask::codegen::load_document(&path, config, &root().join("tests/specs")).unwrap();
    let planned = xtask::plan::build(api, config, doc.clone()).unwrap();
    let output = xtask::codegen::pipeline(api, config, doc, "x").unwrap();
    let file = syn::parse_file(&output.rust).unwrap();
    (planned.plan, file, output.rust)
}

fn items<'f>(file: &'f syn::File, module: &str) -> &'f [syn::Item] {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == module => m.content.as_ref().map(|(_, i)| &i[..]),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no module {module}"))
}

/// The functions of the impls of `type_name` (in `items`), by name.
fn functions<'f>(items: &'f [syn::Item], type_name: &str) -> Vec<&'f syn::ImplItemFn> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(block)
                if quote::quote!(#block).to_string().contains("impl")
                    && matches!(&*block.self_ty, syn::Type::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == type_name)) =>
            {
                Some(block)
            }
            _ => None,
        })
        .flat_map(|block| block.items.iter())
        .filter_map(|member| match member {
            syn::ImplItem::Fn(function) => Some(function),
            _ => None,
        })
        .collect()
}

fn function<'f>(items: &'f [syn::Item], type_name: &str, name: &str) -> &'f syn::ImplItemFn {
    functions(items, type_name)
        .into_iter()
        .find(|f| f.sig.ident == name)
        .unwrap_or_else(|| panic!("no {type_name}::{name}"))
}

fn text(function: &syn::ImplItemFn) -> String {
    quote::quote!(#function).to_string()
}

#[test]
fn every_fact_of_the_model_is_in_the_emitted_client() {
    let (plan, file, source) = generate_spec("every_stage");
    let builders = items(&file, "builder");
    let top = &file.items[..];
    for operation in &plan.model.operations {
        let method = xtask::naming::operation_name(&operation.id);
        let builder = xtask::naming::builder_name(&operation.id);
        let client_method = function(top, "Client", &method);
        assert!(text(client_method).contains(&format!("builder :: {builder} :: new")));
        let send = text(function(builders, &builder, "send"));
        let request = text(function(builders, &builder, "request"));
        // One setter per parameter; none for a constant.
        for parameter in &operation.parameters {
            function(builders, &builder, &xtask::naming::snake(&parameter.name));
        }
        for constant in &operation.constants {
            let setter = xtask::naming::snake(&constant.name);
            assert!(functions(builders, &builder)
                .iter()
                .all(|f| f.sig.ident != setter));
            assert!(
                request.contains(&format!("{:?}", constant.value)),
                "{}: the constant is sent: {request}",
                operation.id
            );
        }
        // Every path parameter is checked as a path segment.
        assert_eq!(
            request.matches("path_segment").count(),
            operation.path_parameters().count(),
            "{request}"
        );
        // The retry sentence is the runtime's, by idempotency.
        let retry = if operation.idempotent {
            "retry_doc ! (idempotent)"
        } else {
            "retry_doc ! (not_idempotent)"
        };
        assert!(send.contains(retry), "{}: {send}", operation.id);
        assert!(send.contains(&format!("{:?}", method)), "{send}");
        assert_eq!(
            functions(builders, &builder)
                .iter()
                .any(|f| f.sig.ident == "stream"),
            operation.pagination.is_some(),
            "{}: streams exactly when it pages",
            operation.id
        );
        let deprecated = client_method
            .attrs
            .iter()
            .any(|a| a.path().is_ident("deprecated"));
        assert_eq!(
            deprecated,
            operation.deprecated.is_some(),
            "{}",
            operation.id
        );
    }
    // The vendor media type and the optional body of touchThing.
    let touch = text(function(builders, "TouchThing", "request"));
    assert!(
        touch.contains("\"application/vnd.every-stage+json\""),
        "{touch}"
    );
    assert!(touch.contains("body . as_ref ()"), "{touch}");
    // The IRI parameter accepts `/boxes/b1`.
    assert!(source.contains(".strip_prefix(\"/boxes/\")"), "{source}");
    // The provider error and the webhook event.
    assert!(source.contains("impl ::inbox_bindings::ProviderError for ApiError"));
    assert!(source.contains("pub enum Event : \"kind\""));
    // Nothing of a generator's runtime.
    assert!(!source.contains("progenitor"), "{source}");
    assert!(!source.contains("api-version"));
}

#[test]
fn a_success_without_a_body_returns_unit_and_each_status_is_success() {
    let (_, file, _) = generate_spec("send_shapes");
    let builders = items(&file, "builder");
    let delete = text(function(builders, "DeleteNote", "send"));
    assert!(delete.contains("Response < () >"), "{delete}");
    let export = text(function(builders, "ExportNote", "send"));
    assert!(export.contains("Response < types :: Job >"), "{export}");
    let find = text(function(builders, "FindNotes", "request"));
    assert!(
        find.contains("__private :: query (request , \"tag\" , \"tag\""),
        "{find}"
    );
    assert!(
        find.contains("__private :: header (request , \"x_request_tag\" , \"X-Request-Tag\""),
        "{find}"
    );
}

/// A type reached only through an enum variant (what broke the complete
/// Quo document's generation) is documented by that variant; a type with
/// nowhere to point to gets a plain sentence, never an error.
#[test]
fn type_docs_come_from_the_type_graph_and_never_fail() {
    let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/tasks": {"post": {"operationId": "createTask",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "oneOf": [
                    {"type": "object", "required": ["title", "assignedTo"], "properties": {
                        "title": {"type": "string"},
                        "assignedTo": {"type": "object", "properties": {"userId": {"type": "string"}}}}},
                    {"type": "object", "required": ["note", "due"], "properties": {
                        "note": {"type": "string"}, "due": {"type": "string"}}}]}}}},
            "responses": {"204": {"description": "done"}}}}},
        "components": {"schemas": {"Orphan": {"type": "object", "properties": {"a": {"type": "string"}}}}}});
    let config = ApiConfig::ad_hoc("tasks", "t.json");
    let mut planned = xtask::plan::build("tasks", &config, doc).unwrap();
    // Keep the orphan: pruning would remove it, but a document may reach a
    // type the graph walk cannot place.
    planned.document["components"]["schemas"]["Orphan"] =
        json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let generated = xtask::emit::generate(&planned.document, &planned.plan, "x").unwrap();
    let assigned = generated
        .source
        .lines()
        .find(|line| line.contains("AssignedTo`:"))
        .unwrap_or_else(|| panic!("{}", generated.source));
    assert!(
        assigned.contains("the `assigned_to` of the `Variant0` variant of [`CreateTaskBody`]"),
        "{assigned}"
    );
    assert!(
        generated
            .source
            .contains("`Orphan`: a type of the `tasks` API."),
        "{}",
        generated.source
    );
}

/// The complete documents users vendor: every operation has its method,
/// every list that follows a convention streams. Read where they are;
/// under CI they must be there.
#[test]
fn complete_documents_generate_every_operation() {
    let fixtures = root().join("../shared/fixtures");
    // (document, operations, lists that page by a convention)
    let cases = [
        ("quo-public-api-v1.json", 43, 6),
        ("openphone-public-api-v1.2025-06-16.json", 22, 4),
    ];
    if !fixtures.is_dir() {
        // The project's CI has ../shared beside the clone; a public CI
        // without those fixtures says so (INBOX_NO_SHARED_FIXTURES).
        assert!(
            std::env::var_os("CI").is_none()
                || std::env::var_os("INBOX_NO_SHARED_FIXTURES").is_some(),
            "CI runs with ../shared beside the clone"
        );
        eprintln!("skipped: no {}", fixtures.display());
        return;
    }
    let config = Config::load(&root().join("openapi/codegen.toml")).unwrap();
    let mut quo = config.api("quo").unwrap().clone();
    // The whole document, not the vendored selection.
    quo.select_tags.clear();
    quo.select_operations.clear();
    for (name, operations, paged) in cases {
        let path = fixtures.join(name);
        let doc = xtask::codegen::load_document(&path, &quo, &root().join("openapi")).unwrap();
        let planned = xtask::plan::build("quo", &quo, doc.clone()).unwrap();
        assert_eq!(planned.plan.model.operations.len(), operations, "{name}");
        let output = xtask::codegen::pipeline("quo", &quo, doc, name)
            .unwrap_or_else(|error| panic!("{name}: {error:#}"));
        assert_eq!(output.operations, operations);
        let file = syn::parse_file(&output.rust).unwrap();
        let builders = items(&file, "builder");
        let mut streams = 0;
        for operation in &planned.plan.model.operations {
            function(
                &file.items,
                "Client",
                &xtask::naming::operation_name(&operation.id),
            );
            let builder = xtask::naming::builder_name(&operation.id);
            function(builders, &builder, "send");
            if operation.pagination.is_some() {
                function(builders, &builder, "stream");
                streams += 1;
            }
            // An operation taking a convention's cursor pages.
            let cursor = operation
                .parameters
                .iter()
                .any(|p| p.name == "pageToken" || p.name == "after");
            assert_eq!(
                cursor,
                operation.pagination.is_some(),
                "{name}: {}",
                operation.id
            );
        }
        assert_eq!(streams, paged, "{name}");
        assert_eq!(stuttering_types(&file), Vec::<String>::new(), "{name}");
    }
}

/// The type names of a generated file that say one word twice in a row
/// (`ReadConversationConversation`: `{operationId}-{parameter}` where the
/// operation already names the parameter).
fn stuttering_types(file: &syn::File) -> Vec<String> {
    let words = |name: &str| {
        let mut words: Vec<String> = Vec::new();
        for c in name.chars() {
            match words.last_mut() {
                Some(word) if !c.is_ascii_uppercase() => word.push(c),
                _ => words.push(c.to_string()),
            }
        }
        words
    };
    items(file, "types")
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .filter(|name| words(name).windows(2).any(|pair| pair[0] == pair[1]))
        .collect()
}

#[test]
fn a_stutter_is_found() {
    let file: syn::File = syn::parse_quote! {
        pub mod types { pub struct ReadConversationConversation; pub struct ConversationSlug; pub enum AaA {} }
    };
    assert_eq!(stuttering_types(&file), ["ReadConversationConversation"]);
}

/// No committed output names a type with a repeated word; IRI parameters
/// shared by several operations are one `{Parameter}Slug` type.
#[test]
fn committed_type_names_do_not_stutter() {
    for folder in ["generated", "tests/generated"] {
        for entry in std::fs::read_dir(root().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let file = syn::parse_file(&std::fs::read_to_string(&path).unwrap()).unwrap();
                assert_eq!(
                    stuttering_types(&file),
                    Vec::<String>::new(),
                    "{}",
                    path.display()
                );
            }
        }
    }
    let (_, file, source) = generate_spec("send_shapes");
    let builders = items(&file, "builder");
    for builder in ["GetConversation", "ReadConversation"] {
        let setter = text(function(builders, builder, "conversation"));
        assert!(setter.contains("types :: ConversationSlug"), "{setter}");
    }
    // Patched once to accept the IRI, not once per operation.
    assert_eq!(
        source.matches("strip_prefix(\"/conversations/\")").count(),
        1
    );
}
