//! A generator upgrade that changes the shape of its output is loud: every
//! Rust stage, fed progenitor's real output for `tests/specs/every_stage.yaml`
//! (a shape for every stage) with its shape broken, fails naming the stage,
//! the operation and what it expected; the same output unbroken (the control)
//! passes every stage. The expected counts come from the document's model,
//! so breaking the output can never make a count agree with itself.

use quote::quote;
use syn::visit_mut::VisitMut;
use xtask::generate::Stage;
use xtask::index::Index;
use xtask::plan::Plan;

/// The plan of `tests/specs/every_stage.yaml` and progenitor's output for it.
fn fixture() -> (Plan, syn::File) {
    let root = xtask::project_root();
    let config = xtask::config::Config::load(&root.join("tests/specs/codegen.toml")).unwrap();
    let api = config.api("every_stage").unwrap();
    let doc = xtask::document::load(&root.join("tests/specs/every_stage.yaml")).unwrap();
    let planned = xtask::plan::build("every_stage", api, doc).unwrap();
    let spec = xtask::generate::parse(&planned.document).unwrap();
    let file = xtask::generate::progenitor(&spec, &planned.plan).unwrap();
    (planned.plan, file)
}

/// Runs the stages before `stage`, then `break_shape` on the output, then
/// `stage`: its error, in full (`{:#}`), or `None` when it passed.
fn stage_after(stage: Stage, break_shape: impl FnOnce(&mut syn::File)) -> Option<String> {
    let (plan, mut file) = fixture();
    let index = Index::build(&mut file, &plan.model).unwrap();
    for earlier in Stage::ALL.iter().take_while(|s| **s != stage) {
        earlier.run(&mut file, &plan, &index).unwrap();
    }
    break_shape(&mut file);
    stage
        .run(&mut file, &plan, &index)
        .err()
        .map(|error| format!("{error:#}"))
}

/// Asserts the stage fails on the broken shape, and the message says all of `says`.
fn loud(stage: Stage, break_shape: impl FnOnce(&mut syn::File), says: &[&str]) {
    let error = stage_after(stage, break_shape)
        .unwrap_or_else(|| panic!("{stage:?} passed a tree without its shape"));
    for part in says {
        assert!(error.contains(part), "{stage:?}: `{part}` not in: {error}");
    }
}

/// Every function of the `builder` module's impls named `name`, mutably.
fn builder_fns<'f>(
    file: &'f mut syn::File,
    builder: &str,
    name: &str,
) -> Vec<&'f mut syn::ImplItemFn> {
    let module = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|(_, items)| items),
            _ => None,
        })
        .unwrap();
    module
        .iter_mut()
        .filter_map(|item| match item {
            syn::Item::Impl(block)
                if quote!(#block)
                    .to_string()
                    .contains(&format!("impl < 'a > {builder} < 'a >")) =>
            {
                Some(block)
            }
            _ => None,
        })
        .flat_map(|block| block.items.iter_mut())
        .filter_map(|member| match member {
            syn::ImplItem::Fn(function) if function.sig.ident == name => Some(function),
            _ => None,
        })
        .collect()
}

/// The `types` module's items, mutably.
fn types(file: &mut syn::File) -> &mut Vec<syn::Item> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
            _ => None,
        })
        .unwrap()
}

#[test]
fn the_control_passes_every_stage_and_the_index_finds_every_operation() {
    let (plan, mut file) = fixture();
    let index = Index::build(&mut file, &plan.model).unwrap();
    assert_eq!(index.len(), plan.model.operations.len());
    assert_eq!(index.len(), 4);
    for operation in &plan.model.operations {
        let entry = index.entry(&operation.id);
        assert_eq!(entry.builder, xtask::naming::builder_name(&operation.id));
        assert_eq!(entry.method, xtask::naming::operation_name(&operation.id));
    }
    let mut code_blocks = 0;
    for stage in Stage::ALL {
        code_blocks += stage.run(&mut file, &plan, &index).unwrap();
    }
    // Every stage left its mark on the real output.
    let text = quote!(#file).to_string();
    for (stage, mark) in [
        ("extensible enums", "__private :: extensible_enum !"),
        ("type docs", "`ThingPage`: what"),
        ("surface", "pub (crate) fn new"),
        ("requests", "\"application/vnd.every-stage+json\""),
        ("requests (IRI)", "strip_prefix (\"/boxes/\")"),
        ("pagination", "pub fn stream"),
        ("provider error", "ProviderError for ApiError"),
        ("client (path segments)", "path_segment (\"note_number\""),
        ("client (bounds)", "Some (50f64)"),
        ("client (constants)", "\"every-stage-version\""),
        ("deprecation", "deprecated (note ="),
        ("schemars", "schemars :: JsonSchema"),
    ] {
        assert!(text.contains(mark), "{stage}: `{mark}` missing");
    }
    assert!(
        !text.contains("encode_path (&"),
        "every path parameter goes through path_segment"
    );
    assert!(
        !text.contains("\"api-version\""),
        "progenitor's api-version header is gone"
    );
    assert!(
        code_blocks >= 2,
        "the description's block and the usage snippets"
    );
}

#[test]
fn index_without_operation_info() {
    let (plan, mut file) = fixture();
    for send in builder_fns(&mut file, "TouchThing", "send") {
        send.block
            .stmts
            .retain(|statement| !quote!(#statement).to_string().contains("OperationInfo"));
    }
    let error = format!("{:#}", Index::build(&mut file, &plan.model).unwrap_err());
    assert!(
        error.contains("stage index, operation touchThing"),
        "{error}"
    );
    assert!(error.contains("operation_id: \"touch_thing\""), "{error}");
}

#[test]
fn api_version_header_missing() {
    loud(
        Stage::ApiVersionHeader,
        |file| {
            for send in builder_fns(file, "ListThings", "send") {
                send.block
                    .stmts
                    .retain(|s| !quote!(#s).to_string().contains("\"api-version\""));
            }
        },
        &["stage api-version header, operation listThings", "found 0"],
    );
}

#[test]
fn extensible_enum_missing() {
    loud(
        Stage::ExtensibleEnums,
        |file| {
            for item in types(file).iter_mut() {
                if let syn::Item::Enum(e) = item {
                    if e.ident == "Channel" {
                        e.ident = quote::format_ident!("Medium");
                    }
                }
            }
        },
        &["stage extensible enums", "`Channel`"],
    );
}

#[test]
fn requests_without_the_accept_header() {
    loud(
        Stage::Requests,
        |file| {
            for send in builder_fns(file, "TouchThing", "send") {
                struct NoAccept;
                impl VisitMut for NoAccept {
                    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
                        syn::visit_mut::visit_expr_method_call_mut(self, call);
                        if call.method == "header" {
                            call.method = quote::format_ident!("header_elsewhere");
                        }
                    }
                }
                NoAccept.visit_block_mut(&mut send.block);
            }
        },
        &["stage requests, touchThing", "expected 1 Accept header"],
    );
}

#[test]
fn requests_without_the_optional_body_shape() {
    loud(
        Stage::Requests,
        |file| {
            for body_map in builder_fns(file, "TouchThing", "body_map") {
                body_map.sig.ident = quote::format_ident!("body_with");
            }
        },
        &["stage requests, touchThing", "rewrote 4 of 5"],
    );
}

#[test]
fn requests_without_a_parsable_iri_parameter() {
    loud(
        Stage::Requests,
        |file| {
            types(file)
                .retain(|item| !quote!(#item).to_string().contains("FromStr for GetNoteBox"));
        },
        &["stage requests, getNote", "FromStr"],
    );
}

#[test]
fn pagination_without_the_next_cursor_field() {
    loud(
        Stage::Pagination,
        |file| {
            for item in types(file).iter_mut() {
                if let syn::Item::Struct(s) = item {
                    if s.ident == "ThingPage" {
                        for field in s.fields.iter_mut() {
                            if field.ident.as_ref().is_some_and(|i| i == "next_cursor") {
                                field.ident = Some(quote::format_ident!("cursor_after"));
                            }
                        }
                    }
                }
            }
        },
        &["stage pagination, operation listThings", "`next_cursor`"],
    );
}

#[test]
fn provider_error_schema_missing() {
    loud(
        Stage::ProviderError,
        |file| {
            types(file)
                .retain(|item| !matches!(item, syn::Item::Struct(s) if s.ident == "ApiError"))
        },
        &[
            "stage provider error",
            "defines the error schema `ApiError`",
            "generated 0",
        ],
    );
}

/// The issue's own example: the URL built with `::std::format!` (same
/// meaning) must not let `encode_path` survive unnoticed.
#[test]
fn path_segments_with_the_url_built_another_way() {
    loud(
        Stage::Client,
        |file| {
            for send in builder_fns(file, "GetNote", "send") {
                struct StdFormat;
                impl VisitMut for StdFormat {
                    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
                        if mac.path.is_ident("format") {
                            mac.path = syn::parse_quote!(::std::format);
                        }
                    }
                }
                StdFormat.visit_block_mut(&mut send.block);
            }
        },
        &[
            "operation getNote",
            "stage path segments",
            "has 2 parameter(s)",
            "0 `encode_path`",
        ],
    );
}

#[test]
fn client_without_a_setter() {
    loud(
        Stage::Client,
        |file| {
            let module = file
                .items
                .iter_mut()
                .find_map(|item| match item {
                    syn::Item::Mod(m) if m.ident == "builder" => {
                        m.content.as_mut().map(|(_, items)| items)
                    }
                    _ => None,
                })
                .unwrap();
            for item in module.iter_mut() {
                if let syn::Item::Impl(block) = item {
                    block
                        .items
                        .retain(|member| !matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "per_page"));
                }
            }
        },
        &[
            "stage client (setters), operation listThings",
            "no setter for [\"per_page\"]",
        ],
    );
}

/// A constant the document rules failed to remove: progenitor generates a
/// setter for it, which the model has no parameter for.
#[test]
fn client_with_a_setter_for_a_constant() {
    loud(
        Stage::Client,
        |file| {
            let setter = builder_fns(file, "ListThings", "cursor").remove(0).clone();
            let mut constant = setter;
            constant.sig.ident = quote::format_ident!("every_stage_version");
            let module = file
                .items
                .iter_mut()
                .find_map(|item| match item {
                    syn::Item::Mod(m) if m.ident == "builder" => {
                        m.content.as_mut().map(|(_, items)| items)
                    }
                    _ => None,
                })
                .unwrap();
            let block = module
                .iter_mut()
                .find_map(|item| match item {
                    syn::Item::Impl(block) if quote!(#block).to_string().contains("fn cursor") => {
                        Some(block)
                    }
                    _ => None,
                })
                .unwrap();
            block.items.push(syn::ImplItem::Fn(constant));
        },
        &[
            "stage client (setters), operation listThings",
            "`every_stage_version` is for no parameter",
            "Every-Stage-Version",
        ],
    );
}

#[test]
fn client_without_the_request_build() {
    loud(
        Stage::Client,
        |file| {
            for send in builder_fns(file, "TouchThing", "send") {
                struct NoBuild;
                impl VisitMut for NoBuild {
                    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
                        syn::visit_mut::visit_expr_method_call_mut(self, call);
                        if call.method == "build" {
                            call.method = quote::format_ident!("finish");
                        }
                    }
                }
                NoBuild.visit_block_mut(&mut send.block);
            }
        },
        &[
            "stage client, operation touchThing",
            "expected one `.build()?`",
        ],
    );
}

#[test]
fn client_without_progenitors_reexport() {
    loud(
        Stage::Client,
        |file| {
            file.items.retain(|item| !matches!(item, syn::Item::Use(u) if matches!(u.vis, syn::Visibility::Public(_))))
        },
        &["stage client", "expected one `pub use progenitor_client"],
    );
}

#[test]
fn deprecation_without_its_method() {
    loud(
        Stage::Deprecation,
        |file| {
            for item in file.items.iter_mut() {
                if let syn::Item::Impl(block) = item {
                    for member in block.items.iter_mut() {
                        if let syn::ImplItem::Fn(f) = member {
                            if f.sig.ident == "rename_thing_deprecated" {
                                f.sig.ident = quote::format_ident!("rename_thing");
                            }
                        }
                    }
                }
            }
        },
        &["stage deprecation, operation renameThingDeprecated"],
    );
}

#[test]
fn lean_without_typifys_builders() {
    loud(
        Stage::Lean,
        |file| {
            types(file).retain(|item| !matches!(item, syn::Item::Mod(m) if m.ident == "builder"))
        },
        &["stage lean", "2 object body(ies)", "no builder module"],
    );
}

#[test]
fn lean_with_a_typify_builder_still_taken() {
    loud(
        Stage::Lean,
        |file| {
            let module = file
                .items
                .iter_mut()
                .find_map(|item| match item {
                    syn::Item::Mod(m) if m.ident == "builder" => {
                        m.content.as_mut().map(|(_, items)| items)
                    }
                    _ => None,
                })
                .unwrap();
            module.push(syn::parse_quote! {
                pub struct Leftover { body: Result<types::builder::TouchThingBody, String> }
            });
        },
        &["stage lean", "still name `types::builder::...`"],
    );
}

#[test]
fn schemars_without_an_enum_macro() {
    loud(
        Stage::Schemars,
        |file| {
            let mut dropped = false;
            types(file).retain(|item| {
                let is_enum_macro = xtask::lean::is_enum_macro(item);
                let keep = dropped || !is_enum_macro;
                dropped |= is_enum_macro;
                keep
            });
        },
        &[
            "stage schemars",
            "2 enum(s)",
            "1 `extensible_enum!` invocation(s)",
        ],
    );
}

#[test]
fn type_docs_for_a_type_used_nowhere() {
    loud(
        Stage::TypeDocs,
        |file| {
            types(file).push(syn::parse_quote! {
                #[doc = "`Orphan`"]
                pub struct Orphan;
            })
        },
        &[
            "stage type docs",
            "`Orphan` is documented only by its name and appears nowhere",
        ],
    );
}

#[test]
fn surface_without_progenitors_prelude() {
    loud(
        Stage::Surface,
        |file| {
            file.items
                .retain(|item| !matches!(item, syn::Item::Mod(m) if m.ident == "prelude"))
        },
        &["stage surface", "`prelude` module once, found 0"],
    );
}

#[test]
fn surface_without_typifys_error_module() {
    loud(
        Stage::Surface,
        |file| types(file).retain(|item| !matches!(item, syn::Item::Mod(m) if m.ident == "error")),
        &["stage surface", "`types::error` module once, found 0"],
    );
}

#[test]
fn events_without_the_payload_struct() {
    loud(
        Stage::Events,
        |file| {
            types(file).retain(
                |item| !matches!(item, syn::Item::Struct(s) if s.ident == "ThingArchivedEvent"),
            )
        },
        &[
            "stage events",
            "no struct for `ThingArchivedEvent`",
            "event `thing.archived`",
        ],
    );
}

#[test]
fn render_with_a_doc_comment_where_none_is_visited() {
    loud(
        Stage::Render,
        |file| {
            for send in builder_fns(file, "ListThings", "send") {
                let statement: syn::Stmt = syn::parse_quote! {
                    #[doc = "```rust\nstd::process::exit(1);\n```"]
                    let hidden = ();
                };
                send.block.stmts.insert(0, statement);
            }
        },
        &["stage render", "still hold a code block"],
    );
}
