//! Stages "parse" (the normalized document must be OpenAPI 3.0.3 that
//! openapiv3 reads; an error names the JSON pointer) and "render" (every
//! doc comment of the emitted file in the one shape rustdoc cannot read
//! differently, its code blocks `text`).

use anyhow::bail;
use serde_json::Value;
use syn::visit_mut::VisitMut;

use crate::syntax::doc_text;

/// Parses the normalized document with openapiv3. An error names the JSON
/// pointer that failed: openapiv3's untagged enums hide where, so on failure
/// the pieces are parsed one by one, most specific first.
pub fn parse(doc: &Value) -> anyhow::Result<openapiv3::OpenAPI> {
    serde_path_to_error::deserialize(doc).map_err(|error| {
        let location = locate_parse_error(doc).unwrap_or_else(|| {
            format!(
                "/{} ({})",
                error.path().to_string().replace('.', "/"),
                error.inner()
            )
        });
        anyhow::anyhow!("openapiv3 rejects the normalized document at {location}")
    })
}

fn try_part<T: serde::de::DeserializeOwned>(doc: &Value, pointer: &str) -> Option<String> {
    let part = doc.pointer(pointer)?;
    let error = serde_path_to_error::deserialize::<_, T>(part).err()?;
    let inner = error.path().to_string();
    let suffix = if inner == "." || inner.is_empty() {
        String::new()
    } else {
        format!("/{}", inner.replace('.', "/"))
    };
    Some(format!("{pointer}{suffix}: {}", error.inner()))
}

/// Parses one part of the document as its openapiv3 type; the error, if any.
type PartCheck = fn(&Value, &str) -> Option<String>;

fn locate_parse_error(doc: &Value) -> Option<String> {
    use crate::document::child;
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item_pointer = child("/paths", path);
            for (method, operation) in crate::openapi_walk::methods(item) {
                let pointer = child(&item_pointer, method);
                for (index, _) in operation
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let at = child(&child(&pointer, "parameters"), &index.to_string());
                    if let Some(found) =
                        try_part::<openapiv3::ReferenceOr<openapiv3::Parameter>>(doc, &at)
                    {
                        return Some(found);
                    }
                }
                if let Some(found) = try_part::<openapiv3::ReferenceOr<openapiv3::RequestBody>>(
                    doc,
                    &child(&pointer, "requestBody"),
                ) {
                    return Some(found);
                }
                for status in operation
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    let at = child(&child(&pointer, "responses"), status);
                    if let Some(found) =
                        try_part::<openapiv3::ReferenceOr<openapiv3::Response>>(doc, &at)
                    {
                        return Some(found);
                    }
                }
                if let Some(found) = try_part::<openapiv3::Operation>(doc, &pointer) {
                    return Some(found);
                }
            }
            if let Some(found) = try_part::<openapiv3::PathItem>(doc, &item_pointer) {
                return Some(found);
            }
        }
    }
    let tables: [(&str, PartCheck); 4] = [
        ("schemas", |doc, at| {
            try_part::<openapiv3::ReferenceOr<openapiv3::Schema>>(doc, at)
        }),
        ("parameters", |doc, at| {
            try_part::<openapiv3::ReferenceOr<openapiv3::Parameter>>(doc, at)
        }),
        ("requestBodies", |doc, at| {
            try_part::<openapiv3::ReferenceOr<openapiv3::RequestBody>>(doc, at)
        }),
        ("responses", |doc, at| {
            try_part::<openapiv3::ReferenceOr<openapiv3::Response>>(doc, at)
        }),
    ];
    for (table, check) in tables {
        let table_pointer = format!("/components/{table}");
        for name in doc
            .pointer(&table_pointer)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            if let Some(found) = check(doc, &child(&table_pointer, name)) {
                return Some(found);
            }
        }
    }
    None
}

/// Every doc comment in the one shape rustdoc cannot read differently:
/// an item's doc attributes are joined (as rustdoc joins them),
/// normalized (no tab, no line break but `\n`, no common indentation) and
/// written back as one `#[doc = " line"]` per line, which prettyplease
/// prints as `///` (never a `/** */` block, whose leading `*` column and
/// tab-counted indentation rustdoc strips). Every code block of that text
/// becomes a `text` block: spec descriptions reach doc comments, and
/// rustdoc would compile and run their code. Returns how many blocks were
/// rewritten; fails if rustdoc's view of any doc comment still holds one.
pub fn neutralize_doc_code(file: &mut syn::File) -> anyhow::Result<usize> {
    struct Neutralize {
        rewritten: usize,
    }
    impl Neutralize {
        fn attributes(&mut self, attributes: &mut Vec<syn::Attribute>) {
            let Some(first) = attributes.iter().position(is_doc_text) else {
                return;
            };
            let (lines, count) = crate::markdown::doc_lines(&doc_text(attributes));
            self.rewritten += count;
            let style = attributes[first].style;
            attributes.retain(|a| !is_doc_text(a));
            let docs = lines.iter().map(|line| syn::Attribute {
                pound_token: Default::default(),
                style,
                bracket_token: Default::default(),
                meta: syn::parse_quote!(doc = #line),
            });
            let at = first.min(attributes.len());
            attributes.splice(at..at, docs);
        }
    }
    impl DocSites for Neutralize {
        fn list(&mut self, attributes: &mut Vec<syn::Attribute>) {
            self.attributes(attributes);
        }
        fn invocation(&mut self, mac: &mut syn::Macro) {
            mac.tokens = neutralize_tokens(mac.tokens.clone(), &mut self.rewritten);
        }
    }
    let mut neutralize = Neutralize { rewritten: 0 };
    neutralize.attributes(&mut file.attrs);
    DocWalk(&mut neutralize).visit_file_mut(file);
    let left = runnable_doc_comments(file);
    if let Some(first) = left.first() {
        bail!(
            "stage render: {} doc comment(s) still hold a code block rustdoc would run (first: {first:?}): \
             a place doc attributes sit that neutralize_doc_code does not visit",
            left.len()
        );
    }
    Ok(neutralize.rewritten)
}

/// What the render stage does where doc comments sit: each attribute list
/// that can carry one (items, impl items, fields, variants), each macro
/// invocation (`extensible_enum!` carries docs as tokens), and any other
/// attribute. Rewriting and checking walk the same places, through
/// [`DocWalk`].
trait DocSites {
    fn list(&mut self, attributes: &mut Vec<syn::Attribute>);
    fn invocation(&mut self, mac: &mut syn::Macro);
    fn lone(&mut self, _attribute: &mut syn::Attribute) {}
}

/// The one traversal of a file's doc sites.
struct DocWalk<'s, S>(&'s mut S);

impl<S: DocSites> VisitMut for DocWalk<'_, S> {
    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        if let Some(attributes) = item_attributes(item) {
            self.0.list(attributes);
        }
        syn::visit_mut::visit_item_mut(self, item);
    }
    fn visit_impl_item_mut(&mut self, item: &mut syn::ImplItem) {
        match item {
            syn::ImplItem::Fn(f) => self.0.list(&mut f.attrs),
            syn::ImplItem::Const(c) => self.0.list(&mut c.attrs),
            syn::ImplItem::Type(t) => self.0.list(&mut t.attrs),
            _ => {}
        }
        syn::visit_mut::visit_impl_item_mut(self, item);
    }
    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        self.0.list(&mut field.attrs);
        syn::visit_mut::visit_field_mut(self, field);
    }
    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        self.0.list(&mut variant.attrs);
        syn::visit_mut::visit_variant_mut(self, variant);
    }
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        self.0.invocation(mac);
    }
    fn visit_attribute_mut(&mut self, attribute: &mut syn::Attribute) {
        self.0.lone(attribute);
    }
}

/// Whether an attribute is `#[doc = "..."]` (not `#[doc(hidden)]`).
/// A doc attribute whose value is a macro (`#[doc = retry_doc!(..)]`, the
/// crate's own text) is left where it is.
fn is_doc_text(attribute: &syn::Attribute) -> bool {
    attribute.path().is_ident("doc")
        && matches!(&attribute.meta, syn::Meta::NameValue(pair)
            if matches!(&pair.value, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(_), .. })))
}

/// [`runnable_doc_comments`] of printed source (the fuzz target's check).
pub fn runnable_doc_comments_in(source: &str) -> anyhow::Result<Vec<String>> {
    Ok(runnable_doc_comments(&syn::parse_file(source)?))
}

/// Every doc comment of a file (an attribute list's doc attributes, a run
/// of them in a macro's tokens) whose text, as rustdoc reads it after the
/// file is printed, holds a code block rustdoc would run: the first 80
/// characters of each.
pub fn runnable_doc_comments(file: &syn::File) -> Vec<String> {
    struct Check {
        found: Vec<String>,
        /// The attributes read as part of their list (by address, in the
        /// copy being visited): any other doc attribute, somewhere no list
        /// is read, is checked alone.
        read: std::collections::HashSet<*const syn::Attribute>,
    }
    impl Check {
        fn attributes(&mut self, attributes: &[syn::Attribute]) {
            self.read.extend(attributes.iter().map(|a| a as *const _));
            let fragments: Vec<(String, crate::markdown::Fragment)> = attributes
                .iter()
                .filter(|a| is_doc_text(a))
                .map(|a| {
                    let text = doc_text(std::slice::from_ref(a));
                    let kind = match a.style {
                        syn::AttrStyle::Outer => crate::markdown::Fragment::printed(&text),
                        syn::AttrStyle::Inner(_) if !text.contains('\n') => {
                            crate::markdown::Fragment::Sugared
                        }
                        syn::AttrStyle::Inner(_) => crate::markdown::Fragment::Raw,
                    };
                    (text, kind)
                })
                .collect();
            self.fragments(&fragments);
        }
        fn fragments(&mut self, fragments: &[(String, crate::markdown::Fragment)]) {
            if fragments.is_empty() {
                return;
            }
            let text = crate::markdown::rustdoc_view(fragments);
            if crate::markdown::runnable_blocks(&text) > 0 {
                self.found.push(text.chars().take(80).collect());
            }
        }
        fn tokens(&mut self, tokens: &proc_macro2::TokenStream) {
            let trees: Vec<_> = tokens.clone().into_iter().collect();
            for run in doc_runs(&trees) {
                let fragments: Vec<_> = run
                    .texts
                    .into_iter()
                    .map(|text| (text, crate::markdown::Fragment::Raw))
                    .collect();
                self.fragments(&fragments);
            }
            for tree in trees {
                if let proc_macro2::TokenTree::Group(group) = tree {
                    self.tokens(&group.stream());
                }
            }
        }
    }
    impl DocSites for Check {
        fn list(&mut self, attributes: &mut Vec<syn::Attribute>) {
            self.attributes(attributes);
        }
        fn invocation(&mut self, mac: &mut syn::Macro) {
            self.tokens(&mac.tokens);
        }
        fn lone(&mut self, attribute: &mut syn::Attribute) {
            if !self.read.contains(&(attribute as *const _)) {
                self.attributes(std::slice::from_ref(attribute));
            }
        }
    }
    let mut copy = file.clone();
    let mut check = Check {
        found: Vec::new(),
        read: Default::default(),
    };
    check.attributes(&copy.attrs);
    // Walked mutably (item attribute lists are reached through
    // `item_attributes`), on a copy.
    DocWalk(&mut check).visit_file_mut(&mut copy);
    check.found
}

/// A run of consecutive `#[doc = "..."]` attributes in a token stream (as
/// rustdoc joins them): where it starts and ends, and its texts.
struct DocRun {
    start: usize,
    end: usize,
    texts: Vec<String>,
}

/// The text of `#[doc = "..."]` at `trees[at]` (`#`, then the bracket group).
fn doc_attribute(trees: &[proc_macro2::TokenTree], at: usize) -> Option<String> {
    use proc_macro2::TokenTree;
    let (TokenTree::Punct(hash), Some(TokenTree::Group(group))) = (&trees[at], trees.get(at + 1))
    else {
        return None;
    };
    if hash.as_char() != '#' || group.delimiter() != proc_macro2::Delimiter::Bracket {
        return None;
    }
    let attribute: syn::Meta = syn::parse2(group.stream()).ok()?;
    match attribute {
        syn::Meta::NameValue(syn::MetaNameValue {
            path,
            value:
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }),
            ..
        }) if path.is_ident("doc") => Some(text.value()),
        _ => None,
    }
}

/// Every run of doc attributes at the top level of `trees`.
fn doc_runs(trees: &[proc_macro2::TokenTree]) -> Vec<DocRun> {
    let mut runs: Vec<DocRun> = Vec::new();
    let mut at = 0;
    while at < trees.len() {
        if let Some(text) = doc_attribute(trees, at) {
            match runs.last_mut() {
                Some(run) if run.end == at => {
                    run.end = at + 2;
                    run.texts.push(text);
                }
                _ => runs.push(DocRun {
                    start: at,
                    end: at + 2,
                    texts: vec![text],
                }),
            }
            at += 2;
        } else {
            at += 1;
        }
    }
    runs
}

/// The doc attributes inside a macro invocation's tokens, each run made
/// safe as [`neutralize_doc_code`] makes an item's, at every depth.
fn neutralize_tokens(
    tokens: proc_macro2::TokenStream,
    rewritten: &mut usize,
) -> proc_macro2::TokenStream {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let runs = doc_runs(&trees);
    let mut out: Vec<TokenTree> = Vec::new();
    let mut at = 0;
    while at < trees.len() {
        if let Some(run) = runs.iter().find(|run| run.start == at) {
            let (lines, count) = crate::markdown::doc_lines(&run.texts.join("\n"));
            *rewritten += count;
            for line in lines {
                out.extend(quote::quote!(#[doc = #line]));
            }
            at = run.end;
            continue;
        }
        match &trees[at] {
            TokenTree::Group(group) => {
                let mut inner = proc_macro2::Group::new(
                    group.delimiter(),
                    neutralize_tokens(group.stream(), rewritten),
                );
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        at += 1;
    }
    out.into_iter().collect()
}

/// The attributes of an item, for the kinds that carry doc comments.
fn item_attributes(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    Some(match item {
        syn::Item::Const(i) => &mut i.attrs,
        syn::Item::Enum(i) => &mut i.attrs,
        syn::Item::Fn(i) => &mut i.attrs,
        syn::Item::Impl(i) => &mut i.attrs,
        syn::Item::Macro(i) => &mut i.attrs,
        syn::Item::Mod(i) => &mut i.attrs,
        syn::Item::Static(i) => &mut i.attrs,
        syn::Item::Struct(i) => &mut i.attrs,
        syn::Item::Trait(i) => &mut i.attrs,
        syn::Item::Type(i) => &mut i.attrs,
        syn::Item::Union(i) => &mut i.attrs,
        syn::Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tiny_spec(deprecated: bool) -> Value {
        json!({"openapi": "3.0.3", "info": {"title": "t", "version": "9.9.9"},
            "paths": {"/things/{id}": {"post": {"operationId": "touchThing", "deprecated": deprecated,
                "description": "Use something else.",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json":
                    {"schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}}}}}}}})
    }

    /// The plan and document production builds from `doc`.
    fn planned(api: &str, doc: Value) -> (crate::plan::Plan, Value) {
        let config = crate::config::ApiConfig::ad_hoc(api, "t.json");
        let planned = crate::plan::build(api, &config, doc).unwrap();
        (planned.plan, planned.document)
    }

    #[test]
    fn parse_errors_name_the_path() {
        let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {"responses": {"200": {"description": 7}}}}}});
        let message = parse(&doc).unwrap_err().to_string();
        assert!(
            message.contains("at /paths/~1x/get/responses/200"),
            "{message}"
        );
        let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"A": {"type": "object", "required": "b"}}}});
        let message = parse(&doc).unwrap_err().to_string();
        assert!(message.contains("at /components/schemas/A"), "{message}");
    }

    #[test]
    fn output_has_the_header_and_no_api_version_header() {
        let (plan, doc) = planned("tiny", tiny_spec(false));
        let generated = crate::emit::generate(&doc, &plan, "openapi/tiny.json").unwrap();
        assert!(generated.source.starts_with(
            "// @generated by `cargo xtask codegen` from openapi/tiny.json. Do not edit.\n"
        ));
        assert!(
            !generated.source.contains("api-version\""),
            "api-version header survived"
        );
        assert!(!generated.source.contains("#[deprecated"));
        assert!(
            !generated.source.contains("```ignore"),
            "usage snippets would be ignored doctests"
        );
        assert_eq!(generated.operations, 1);
    }

    #[test]
    fn deprecated_operations_get_the_attribute_with_advice() {
        let (plan, doc) = planned("tiny", tiny_spec(true));
        let generated = crate::emit::generate(&doc, &plan, "x").unwrap();
        assert!(
            generated
                .source
                .contains("#[deprecated(note = \"Use something else.\")]\n    pub fn touch_thing("),
            "{}",
            generated.source
        );
    }

    /// Every code block of tests/specs/hostile_docs.yaml's descriptions is
    /// `text` in the output, its code shown.
    #[test]
    fn code_in_spec_text_is_emitted_as_text_blocks() {
        let root = crate::project_root();
        let doc = crate::document::load(&root.join("tests/specs/hostile_docs.yaml")).unwrap();
        let config = crate::config::ApiConfig::ad_hoc("hostile_docs", "hostile_docs.yaml");
        let output = crate::codegen::pipeline("hostile_docs", &config, doc, "x").unwrap();
        // Eight blocks of the document (the tabbed one a block only once
        // tabs count as rustdoc counts them; the star column is a paragraph
        // when no block comment is printed), and the parameter's block a
        // second time: in its setter's docs and the method's argument list.
        assert_eq!(
            output
                .report
                .rules
                .get(&crate::report::Rule::DocCodeBlockAsText),
            Some(&9)
        );
        let file = syn::parse_file(&output.rust).unwrap();
        for marker in [
            "-info-fenced",
            "-operation-bare",
            "-operation-indented",
            "-parameter-tilde",
            "-schema-quoted",
            "-property-list",
            "-enum-should-panic",
            "-star-column",
            "-leading-tab",
        ] {
            assert!(
                output.rust.contains(marker),
                "{marker}: the code is still shown"
            );
        }
        // Read as rustdoc reads the printed file: none runs.
        assert_eq!(runnable_doc_comments(&file), Vec::<String>::new());
        // Every doc comment is one `///` line per line: no block comment
        // (rustdoc strips a `*` column from those) and no tab.
        assert!(!output.rust.contains("/**"), "{}", output.rust);
        assert!(!output.rust.contains('\t'));
    }

    /// The render stage's own reading is rustdoc's: the text a block comment
    /// or a tab would have turned into a fence is caught, on the printed file.
    #[test]
    fn the_check_reads_doc_comments_as_rustdoc_does() {
        let tabbed: syn::File = syn::parse_quote! {
            #[doc = " Tabbed:"]
            #[doc = "\t```rust"]
            #[doc = "\tran();"]
            #[doc = "\t```"]
            pub struct Tabbed;
        };
        assert_eq!(runnable_doc_comments(&tabbed).len(), 1);
        let mixed: syn::File = syn::parse_quote! {
            #[doc = " Mixed:"]
            #[doc = "/ raw, so the sugared lines decide the indentation"]
            #[doc = "     ran();"]
            pub struct Mixed;
        };
        assert_eq!(runnable_doc_comments(&mixed), Vec::<String>::new());
        let mut safe = tabbed.clone();
        neutralize_doc_code(&mut safe).unwrap();
        assert_eq!(runnable_doc_comments(&safe), Vec::<String>::new());
    }

    #[test]
    fn two_success_bodies_of_different_types_are_refused_by_name() {
        let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {"operationId": "x", "responses": {
                "200": {"description": "a", "content": {"application/json": {"schema": {"type": "string"}}}},
                "201": {"description": "b", "content": {"application/json": {"schema": {"type": "integer"}}}}}}}}});
        let (plan, doc) = planned("panicky", doc);
        let message = crate::emit::generate(&doc, &plan, "x")
            .err()
            .map(|error| format!("{error:#}"))
            .expect("one success type per operation");
        assert!(
            message.contains("`x`") && message.contains("different bodies"),
            "{message}"
        );
    }
}
