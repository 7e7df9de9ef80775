use super::*;
use serde_json::json;

fn detect_in(mut doc: Value, selectors: &[Selector]) -> (Value, Vec<Extensible>, Report) {
    let mut report = Report::default();
    let found = detect(&mut doc, selectors, &mut report).unwrap();
    (doc, found, report)
}

const NOTE: &str = "The channel.\n\n⚠️ New values may be added to this enum without prior\nnotice.";

/// The whole pipeline, as production runs it, on a small document.
fn generate(doc: Value) -> anyhow::Result<String> {
    let config = crate::config::ApiConfig::ad_hoc("t", "t.json");
    crate::codegen::pipeline("t", &config, doc, "t").map(|output| output.rust)
}

fn names(found: &[Extensible]) -> Vec<&str> {
    found.iter().map(|entry| entry.component.as_str()).collect()
}

#[test]
fn component_enums_with_the_note_are_found() {
    let doc = json!({"components": {"schemas": {
        "MessagingPartner": {"type": "string", "enum": ["Google", "SMS"], "description": NOTE},
        "ConversationStatus": {"type": "string", "enum": ["Open", "Closed"]}}}});
    let (_, found, report) = detect_in(doc, &[]);
    assert_eq!(names(&found), ["MessagingPartner"]);
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("MessagingPartner") && n.contains("description")));
}

#[test]
fn the_note_on_an_array_property_marks_its_item_enum() {
    let doc = json!({"components": {"schemas": {
        "Conversation": {"type": "object", "properties": {
            "issues": {"type": "array", "description": NOTE, "items": {"$ref": "#/components/schemas/ConversationIssue"}}}},
        "ConversationIssue": {"type": "string", "enum": ["facebook_no_page_linked"]}}}});
    let (_, found, _) = detect_in(doc, &[]);
    assert_eq!(found[0].component, "ConversationIssue");
    assert!(
        found[0]
            .reason
            .contains("/components/schemas/Conversation/properties/issues"),
        "{}",
        found[0].reason
    );
}

#[test]
fn inline_enums_with_the_note_are_hoisted() {
    let doc = json!({"paths": {"/x": {"get": {"operationId": "listThings", "responses": {"200": {
        "content": {"application/json": {"schema": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["a", "b"], "nullable": true, "description": NOTE},
            "tags": {"type": "array", "description": NOTE, "items": {"type": "string", "enum": ["x"]}}}}}}}}}}}});
    let (doc, found, report) = detect_in(doc, &[]);
    assert_eq!(
        names(&found),
        ["ListThingsResponseKind", "ListThingsResponseTagsItem"]
    );
    assert_eq!(
        doc["components"]["schemas"]["ListThingsResponseKind"]["enum"],
        json!(["a", "b"])
    );
    let kind = doc
        .pointer("/paths/~1x/get/responses/200/content/application~1json/schema/properties/kind")
        .unwrap();
    assert_eq!(
        kind["allOf"],
        json!([{"$ref": "#/components/schemas/ListThingsResponseKind"}])
    );
    assert_eq!(kind["nullable"], true);
    assert_eq!(report.count(crate::report::Rule::HoistExtensibleEnum), 2);
}

#[test]
fn property_selectors_hoist_every_match_into_one_component() {
    let status = |values: Value| json!({"type": "object", "properties": {"status": {"type": "string", "enum": values}}});
    let doc = json!({"components": {"schemas": {
        "A": status(json!(["queued", "sent", "delivered"])),
        "B": status(json!(["queued", "sent", "delivered", "received"])),
        "Call": status(json!(["ringing", "completed"]))}}});
    let selector = Selector::Property {
        property: "status".into(),
        values: vec!["queued".into(), "delivered".into()],
        name: "MessageStatus".into(),
    };
    let (doc, found, _) = detect_in(doc, &[selector]);
    assert_eq!(names(&found), ["MessageStatus"]);
    assert_eq!(
        doc["components"]["schemas"]["MessageStatus"]["enum"],
        json!(["queued", "sent", "delivered", "received"])
    );
    assert_eq!(
        doc["components"]["schemas"]["A"]["properties"]["status"]["$ref"],
        "#/components/schemas/MessageStatus"
    );
    assert!(doc["components"]["schemas"]["Call"]["properties"]["status"]
        .get("enum")
        .is_some());
}

#[test]
fn selectors_that_match_nothing_are_reported_and_bad_names_fail() {
    let (_, found, report) = detect_in(
        json!({"components": {"schemas": {}}}),
        &[Selector::Property {
            property: "status".into(),
            values: vec!["queued".into()],
            name: "S".into(),
        }],
    );
    assert!(found.is_empty());
    assert!(report.notes.iter().any(|n| n.contains("no `status` enum")));
    let mut doc = json!({"components": {"schemas": {"S": {"type": "string"}}}});
    let error = detect(
        &mut doc,
        &[Selector::Component("S".into())],
        &mut Report::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("`S`"), "{error}");
}

#[test]
fn selectors_parse_from_toml() {
    #[derive(serde::Deserialize)]
    struct Holder {
        list: Vec<Selector>,
    }
    let holder: Holder = toml::from_str(
        "list = [\"Name\", { property = \"status\", values = [\"a\"], name = \"S\" }]",
    )
    .unwrap();
    assert_eq!(holder.list[0], Selector::Component("Name".into()));
    assert!(matches!(&holder.list[1], Selector::Property { name, .. } if name == "S"));
}

/// The type stage on real typify output: a documented `unknown` value
/// does not collide with the fallback, and the tokens are valid Rust.
#[test]
fn rewritten_enums_have_the_fallback_and_no_collision() {
    let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "getX", "responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Kind"}}}}}}}},
        "components": {"schemas": {"Kind": {"type": "string", "enum": ["video", "unknown", "SMS"], "description": NOTE}}}});
    let source = generate(doc).unwrap();
    // prettyplease prints macro bodies with its own spacing and line breaks.
    let source = source.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(source.contains("pub enum Kind : extensible {"), "{source}");
    assert!(
        source.contains("DocumentedUnknown = \"unknown\","),
        "{source}"
    );
    assert!(source.contains("Sms = \"SMS\""));
    assert!(
        !source.contains("impl ::std::convert::TryFrom<&str> for Kind"),
        "typify's closed impls are gone"
    );
    assert!(
        !source.contains("pub struct UnknownValue"),
        "one UnknownValue, the crate's"
    );
}

/// A spec that adds a documented value gets a named variant, no hand edit.
#[test]
fn a_newly_documented_value_becomes_a_variant() {
    let generate_with = |values: Value| {
        let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {"operationId": "getX", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Partner"}}}}}}}},
            "components": {"schemas": {"Partner": {"type": "string", "enum": values, "description": NOTE}}}});
        generate(doc).unwrap()
    };
    let before = generate_with(json!(["Google"]));
    let after = generate_with(json!(["Google", "Telegram"]));
    assert!(!before.contains("Telegram"));
    // prettyplease wraps macro tokens where it likes: compared without spaces.
    let compact: String = after.split_whitespace().collect();
    assert!(compact.contains("Telegram=\"Telegram\","), "{after}");
}

/// Found by fuzzing's neighbour: names that are not Rust identifiers are
/// matched to what typify made of them, not turned into identifiers (a panic).
#[test]
fn component_names_that_are_not_identifiers() {
    let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "getX", "parameters": [
            {"name": "403Results", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/my-enum"}}}}}}}},
        "components": {"schemas": {"my-enum": {"type": "string", "enum": ["a"], "description": NOTE}}}});
    let source = generate(doc).unwrap();
    assert!(
        source.contains("pub enum MyEnum : extensible {"),
        "{source}"
    );
}
