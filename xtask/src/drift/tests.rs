use super::*;
use serde_json::json;

const NOTE: &str = "New values may be added to this enum without prior notice.";

/// A small document: one list operation with a parameter, a request body on
/// a second operation, and a response with an extensible and a closed enum.
fn base() -> Value {
    json!({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.test/v2"}],
        "security": [{"key": []}],
        "components": {
            "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "x-APIKey"}},
            "schemas": {
                "Partner": {"type": "string", "enum": ["Google", "SMS"], "description": NOTE},
                "Status": {"type": "string", "enum": ["Open", "Closed"]},
                "Conversation": {"type": "object", "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "partner": {"$ref": "#/components/schemas/Partner"},
                    "status": {"$ref": "#/components/schemas/Status"}}}
            }
        },
        "paths": {
            "/conversations": {"get": {"operationId": "listConversations",
                "parameters": [{"name": "per_page", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"conversations": {"type": "array",
                        "items": {"$ref": "#/components/schemas/Conversation"}}}}}}}}}},
            "/conversations/{id}/read": {"post": {"operationId": "readConversation",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                    "properties": {"is_read": {"type": "boolean"}}}}}},
                "responses": {"200": {"description": ""}}}}
        }
    })
}

fn changes_between(edit: impl FnOnce(&mut Value)) -> Vec<Change> {
    let mut new = base();
    edit(&mut new);
    let config = crate::config::ApiConfig::ad_hoc("t", "t.json");
    compare(
        &prepared(base(), "t", &config).unwrap(),
        &prepared(new, "t", &config).unwrap(),
    )
}

fn one(edit: impl FnOnce(&mut Value)) -> Change {
    let changes = changes_between(edit);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    changes.into_iter().next().unwrap()
}

fn conversation(doc: &mut Value) -> &mut Value {
    doc.pointer_mut("/components/schemas/Conversation/properties")
        .unwrap()
}

#[test]
fn identical_documents_have_no_drift() {
    let changes = changes_between(|_| {});
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(exit_code(&changes), 0);
}

#[test]
fn operations_added_removed_and_deprecated() {
    let added = one(|doc| {
        doc["paths"]["/other"] = json!({"get": {"operationId": "other", "responses": {}}})
    });
    assert_eq!(
        (
            added.breaking,
            added.operation.as_str(),
            added.description.as_str()
        ),
        (false, "other", "operation added")
    );
    let removed = one(|doc| {
        doc["paths"]
            .as_object_mut()
            .unwrap()
            .remove("/conversations/{id}/read");
    });
    assert_eq!(
        (removed.breaking, removed.description.as_str()),
        (true, "operation removed")
    );
    let deprecated = one(|doc| doc["paths"]["/conversations"]["get"]["deprecated"] = json!(true));
    assert_eq!(
        (deprecated.breaking, deprecated.description.as_str()),
        (false, "operation newly deprecated")
    );
}

#[test]
fn parameters_added_removed_required_and_retyped() {
    let optional = one(|doc| {
        doc["paths"]["/conversations"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "cursor", "in": "query", "schema": {"type": "string"}}))
    });
    assert_eq!(
        (optional.breaking, optional.location.as_str()),
        (false, "parameter query cursor")
    );
    let required = one(|doc| {
        doc["paths"]["/conversations"]["get"]["parameters"].as_array_mut().unwrap().push(json!({"name": "org", "in": "query", "required": true, "schema": {"type": "string"}}))
    });
    assert_eq!(
        (required.breaking, required.description.as_str()),
        (true, "required parameter added")
    );
    let removed = one(|doc| doc["paths"]["/conversations"]["get"]["parameters"] = json!([]));
    assert_eq!(
        (removed.breaking, removed.description.as_str()),
        (true, "parameter removed")
    );
    let made_required =
        one(|doc| doc["paths"]["/conversations"]["get"]["parameters"][0]["required"] = json!(true));
    assert_eq!(
        (made_required.breaking, made_required.description.as_str()),
        (true, "now required")
    );
    let retyped = one(|doc| {
        doc["paths"]["/conversations"]["get"]["parameters"][0]["schema"]["type"] = json!("string")
    });
    assert_eq!(
        (retyped.breaking, retyped.description.as_str()),
        (true, "type changed from integer to string")
    );
}

#[test]
fn properties_added_removed_retyped_and_nullability() {
    let added = one(|doc| conversation(doc)["email"] = json!({"type": "string"}));
    assert_eq!(
        (
            added.breaking,
            added.location.as_str(),
            added.description.as_str()
        ),
        (
            false,
            "response 200 conversations[].email",
            "property added"
        )
    );
    let removed = one(|doc| {
        conversation(doc).as_object_mut().unwrap().remove("name");
    });
    assert_eq!(
        (removed.breaking, removed.location.as_str()),
        (true, "response 200 conversations[].name")
    );
    let retyped = one(|doc| conversation(doc)["id"] = json!({"type": "string"}));
    assert!(retyped.breaking && retyped.description.contains("integer to string"));
    let nullable = one(|doc| conversation(doc)["name"] = json!({"type": ["string", "null"]}));
    assert_eq!(
        (nullable.breaking, nullable.description.as_str()),
        (true, "now nullable")
    );
    let request = one(|doc| {
        doc.pointer_mut(
            "/paths/~1conversations~1{id}~1read/post/requestBody/content/application~1json/schema",
        )
        .unwrap()["required"] = json!(["note"]);
        doc.pointer_mut("/paths/~1conversations~1{id}~1read/post/requestBody/content/application~1json/schema/properties").unwrap()["note"] = json!({"type": "string"});
    });
    assert_eq!(
        (request.breaking, request.description.as_str()),
        (true, "required property added")
    );
}

#[test]
fn enum_values_added_to_extensible_and_closed_enums_and_removed() {
    let extensible = one(|doc| {
        doc["components"]["schemas"]["Partner"]["enum"] = json!(["Google", "SMS", "Telegram"])
    });
    assert_eq!(
        (extensible.breaking, extensible.description.as_str()),
        (false, "enum value \"Telegram\" added (extensible enum)")
    );
    let closed = one(|doc| {
        doc["components"]["schemas"]["Status"]["enum"] = json!(["Open", "Closed", "Snoozed"])
    });
    // Received: decoded as `Unknown`, so noticed but not breaking.
    assert_eq!(
        (closed.breaking, closed.description.as_str()),
        (
            false,
            "enum value \"Snoozed\" added (closed enum: decoded as Unknown until regenerated)"
        )
    );
    let removed = one(|doc| doc["components"]["schemas"]["Status"]["enum"] = json!(["Open"]));
    assert_eq!(
        (removed.breaking, removed.description.as_str()),
        (true, "enum value \"Closed\" removed")
    );
    // An enum listed in codegen.toml counts as extensible too.
    let mut new = base();
    new["components"]["schemas"]["Status"]["enum"] = json!(["Open", "Closed", "Snoozed"]);
    let mut config = crate::config::ApiConfig::ad_hoc("t", "t.json");
    config.overrides.extensible_enums = vec![crate::config::Selector::Component("Status".into())];
    let listed = compare(
        &prepared(base(), "t", &config).unwrap(),
        &prepared(new, "t", &config).unwrap(),
    );
    assert!(!listed[0].breaking, "{listed:#?}");
}

#[test]
fn servers_and_security_schemes() {
    let changes = changes_between(|doc| {
        doc["servers"] = json!([{"url": "https://api.test/v3"}]);
        doc["components"]["securitySchemes"]["key"]["name"] = json!("Authorization");
    });
    let descriptions: Vec<(bool, &str)> = changes
        .iter()
        .map(|c| (c.breaking, c.description.as_str()))
        .collect();
    assert!(
        descriptions.contains(&(true, "server https://api.test/v2 removed")),
        "{descriptions:?}"
    );
    assert!(
        descriptions.contains(&(false, "server https://api.test/v3 added")),
        "{descriptions:?}"
    );
    assert!(
        descriptions.contains(&(
            true,
            "credential sent in header `Authorization` (was in header `x-APIKey`)"
        )),
        "{descriptions:?}"
    );
    // A scheme no operation uses is not the crate's concern.
    let unused = changes_between(|doc| {
        doc["components"]["securitySchemes"]["other"] = json!({"type": "http", "scheme": "basic"});
    });
    assert!(unused.is_empty(), "{unused:#?}");
}

/// The issue's acceptance case: an added operation, a removed property, and
/// a value added to an extensible and to a closed enum; exit status 2 (for
/// the removed property: a closed enum's new value decodes as `Unknown`).
#[test]
fn the_four_changes_are_classified_and_exit_2() {
    let changes = changes_between(|doc| {
        doc["paths"]["/messages"] =
            json!({"get": {"operationId": "listMessages", "responses": {}}});
        conversation(doc).as_object_mut().unwrap().remove("name");
        doc["components"]["schemas"]["Partner"]["enum"] = json!(["Google", "SMS", "Telegram"]);
        doc["components"]["schemas"]["Status"]["enum"] = json!(["Open", "Closed", "Snoozed"]);
    });
    let summary: Vec<(bool, &str, &str)> = changes
        .iter()
        .map(|c| (c.breaking, c.operation.as_str(), c.description.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (true, "listConversations", "property removed"),
            (
                false,
                "listConversations",
                "enum value \"Telegram\" added (extensible enum)"
            ),
            (
                false,
                "listConversations",
                "enum value \"Snoozed\" added (closed enum: decoded as Unknown until regenerated)"
            ),
            (false, "listMessages", "operation added"),
        ]
    );
    assert_eq!(exit_code(&changes), 2);
    let report = markdown("t", "openapi/t.json", "new.json", &changes);
    assert!(report.contains("**1 breaking**, 3 compatible"), "{report}");
    assert!(
        report.contains("| compatible | listMessages | — | operation added |"),
        "{report}"
    );
}

#[test]
fn compatible_drift_alone_exits_1() {
    let changes = changes_between(|doc| conversation(doc)["email"] = json!({"type": "string"}));
    assert_eq!(exit_code(&changes), 1);
}

/// A constant the client sends on every request (a dated API version) that
/// changes is breaking, named as such, not an enum value added and removed.
#[test]
fn a_changed_constant_parameter_is_breaking() {
    let versioned = |version: &'static str, doc: &mut Value| {
        doc["paths"]["/conversations"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(
                json!({"name": "Api-Version", "in": "header", "required": true,
                         "schema": {"type": "string", "enum": [version]}}),
            );
    };
    let config = crate::config::ApiConfig::ad_hoc("t", "t.json");
    let (mut old, mut new) = (base(), base());
    versioned("2026-03-30", &mut old);
    versioned("2026-06-01", &mut new);
    let changes = compare(
        &prepared(old, "t", &config).unwrap(),
        &prepared(new, "t", &config).unwrap(),
    );
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert!(changes[0].breaking);
    assert_eq!(
        changes[0].description,
        "constant changed from \"2026-03-30\" to \"2026-06-01\" (sent on every request)"
    );
}

#[test]
fn a_description_that_adds_a_code_block_is_listed_for_review() {
    let changes = changes_between(|doc| {
        let operation = doc.pointer_mut("/paths/~1conversations/get").unwrap();
        operation["description"] = json!("Lists.\n\n```rust\nstd::fs::write(\"/tmp/x\", \"\").unwrap();\n```\n\n    indented();\n");
    });
    assert_eq!(changes.len(), 1, "{changes:?}");
    let change = &changes[0];
    assert!(!change.breaking);
    assert_eq!(change.operation, "listConversations");
    assert_eq!(change.location, "/paths/~1conversations/get/description");
    assert!(
        change
            .description
            .starts_with("description adds 2 code block(s)"),
        "{change:?}"
    );
    assert_eq!(exit_code(&changes), 1);
    // Prose-only description changes stay out of the report.
    let prose = changes_between(|doc| {
        doc.pointer_mut("/paths/~1conversations/get").unwrap()["description"] =
            json!("Reworded, with `inline code` only.");
    });
    assert!(prose.is_empty(), "{prose:?}");
}

/// `base()` with two webhooks, their bodies received.
fn with_webhooks() -> Value {
    let mut doc = base();
    doc["webhooks"] = json!({
        "conversation.created": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "type": {"type": "string"},
                "conversation": {"$ref": "#/components/schemas/Conversation"}}}}}}}},
        "conversation.closed": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"type": {"type": "string"}, "id": {"type": "integer"}}}}}}}}
    });
    doc
}

fn webhook_changes(edit: impl FnOnce(&mut Value)) -> Vec<Change> {
    let mut new = with_webhooks();
    edit(&mut new);
    let mut config = crate::config::ApiConfig::ad_hoc("t", "t.json");
    config.webhooks = Some(crate::config::WebhooksConfig {
        spec: String::new(),
        event_type_field: "type".into(),
    });
    compare(
        &prepared(with_webhooks(), "t", &config).unwrap(),
        &prepared(new, "t", &config).unwrap(),
    )
}

#[test]
fn an_event_type_removed_is_breaking_and_one_added_compatible() {
    let changes = webhook_changes(|doc| {
        let hooks = doc["webhooks"].as_object_mut().unwrap();
        hooks.remove("conversation.closed");
        let created = hooks["conversation.created"].clone();
        hooks.insert("conversation.assigned".into(), created);
    });
    let summary: Vec<(bool, &str, &str)> = changes
        .iter()
        .map(|c| (c.breaking, c.operation.as_str(), c.description.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                true,
                "webhook conversation.closed",
                "event type removed (its variant goes)"
            ),
            (
                false,
                "webhook conversation.assigned",
                "event type added (decoded as `Unknown` until regenerated)"
            ),
        ]
    );
    assert_eq!(exit_code(&changes), 2);
}

#[test]
fn event_payloads_compare_like_responses() {
    // A property gone from a payload breaks code reading it; a new one does not.
    let changes = webhook_changes(|doc| {
        let properties = doc
            .pointer_mut("/webhooks/conversation.closed/post/requestBody/content/application~1json/schema/properties")
            .unwrap()
            .as_object_mut()
            .unwrap();
        properties.remove("id");
        properties.insert("reason".into(), json!({"type": "string"}));
    });
    let summary: Vec<(bool, &str, &str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c.breaking,
                c.operation.as_str(),
                c.location.as_str(),
                c.description.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                true,
                "webhook conversation.closed",
                "event id",
                "property removed"
            ),
            (
                false,
                "webhook conversation.closed",
                "event reason",
                "property added"
            ),
        ]
    );
    // A value added to an enum a payload carries (through a shared
    // component) is compatible, and shows under the event too.
    let changes = webhook_changes(|doc| {
        doc.pointer_mut("/components/schemas/Status/enum")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .push(json!("Snoozed"));
    });
    assert!(
        changes.iter().any(|c| !c.breaking
            && c.operation == "webhook conversation.created"
            && c.location == "event conversation.status"),
        "{changes:#?}"
    );
}

/// Drift reads both versions as codegen does, with one difference: an
/// override naming what the other version dropped is that drift, reported,
/// where codegen refuses the document.
#[test]
fn an_override_naming_what_was_dropped_is_reported_not_an_error() {
    let mut config = crate::config::ApiConfig::ad_hoc("t", "t.json");
    config.overrides.comma_separated_query = vec!["per_page".into()];
    let mut new = base();
    new["paths"]["/conversations"]["get"]["parameters"] = json!([]);
    assert!(crate::plan::build("t", &config, new.clone()).is_err());
    let changes = compare(
        &prepared(base(), "t", &config).unwrap(),
        &prepared(new, "t", &config).unwrap(),
    );
    let summary: Vec<(bool, &str, &str)> = changes
        .iter()
        .map(|c| (c.breaking, c.location.as_str(), c.description.as_str()))
        .collect();
    assert_eq!(
        summary,
        [(true, "parameter query per_page", "parameter removed")]
    );
}

/// What the crate does not generate is not drift: a component no operation
/// reaches changes freely; the one error body is compared once.
#[test]
fn only_what_is_generated_is_compared() {
    let unreached = changes_between(|doc| {
        doc["components"]["schemas"]["Unused"] = json!({"type": "object",
            "properties": {"a": {"type": "string"}}});
    });
    assert!(unreached.is_empty(), "{unreached:#?}");
    let with_errors = |message: &str| {
        let mut doc = base();
        doc["components"]["schemas"]["Problem"] = json!({"type": "object",
            "properties": {message: {"type": "string"}}});
        for pointer in [
            "/paths/~1conversations/get",
            "/paths/~1conversations~1{id}~1read/post",
        ] {
            doc.pointer_mut(pointer).unwrap()["responses"]["400"] = json!({"description": "",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        }
        doc
    };
    let config = crate::config::ApiConfig::ad_hoc("t", "t.json");
    let changes = compare(
        &prepared(with_errors("message"), "t", &config).unwrap(),
        &prepared(with_errors("detail"), "t", &config).unwrap(),
    );
    let summary: Vec<(bool, &str, &str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c.breaking,
                c.operation.as_str(),
                c.location.as_str(),
                c.description.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                true,
                "(errors)",
                "response error message",
                "property removed"
            ),
            (false, "(errors)", "response error detail", "property added"),
        ]
    );
    let documented = compare(
        &prepared(base(), "t", &config).unwrap(),
        &prepared(with_errors("message"), "t", &config).unwrap(),
    );
    assert_eq!(documented.len(), 1, "{documented:#?}");
    assert_eq!(
        (documented[0].breaking, documented[0].description.as_str()),
        (false, "error body documented (its type comes)")
    );
}
