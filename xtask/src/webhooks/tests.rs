use super::*;
use serde_json::json;

fn hooks() -> Value {
    json!({
        "openapi": "3.1.0",
        "webhooks": {
            "thing.created": {"post": {
                "summary": "A thing was created.",
                "externalDocs": {"url": "https://example.com/events/thing-created"},
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingEvent"}}}}}},
            "thing.deleted": {"post": {
                "deprecated": true,
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"type": {"type": "string"}, "thing": {"$ref": "main.yaml#/components/schemas/Thing"}}}}}}}}
        },
        "components": {"schemas": {
            "ThingEvent": {"type": "object", "properties": {
                "type": {"type": "string"},
                "thing": {"$ref": "main.yaml#/components/schemas/Thing"}}}
        }}
    })
}

fn main_doc() -> Value {
    json!({
        "openapi": "3.1.0",
        "paths": {},
        "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "integer"}}}}}
    })
}

fn config() -> WebhooksConfig {
    WebhooksConfig {
        spec: "hooks.yaml".into(),
        event_type_field: "type".into(),
    }
}

#[test]
fn merges_localizes_hoists_and_plans_events_in_document_order() {
    let mut doc = main_doc();
    merge(&mut doc, hooks(), "main.yaml").unwrap();
    assert_eq!(
        doc.pointer("/components/schemas/ThingEvent/properties/thing/$ref"),
        Some(&json!("#/components/schemas/Thing"))
    );
    let mut report = Report::default();
    hoist(&mut doc, &mut report).unwrap();
    assert_eq!(report.count(Rule::HoistWebhookBody), 1);
    assert_eq!(
        doc.pointer("/webhooks/thing.deleted/post/requestBody/content/application~1json/schema"),
        Some(&json!({"$ref": "#/components/schemas/ThingDeletedEvent"}))
    );
    assert_eq!(
        doc.pointer("/components/schemas/ThingDeletedEvent/properties/thing/$ref"),
        Some(&json!("#/components/schemas/Thing"))
    );
    let events = plan(&mut doc, Some(&config()), &mut report)
        .unwrap()
        .unwrap();
    assert!(
        doc.get("webhooks").is_none(),
        "the type generator never sees the section"
    );
    assert_eq!(events.field, "type");
    let summary: Vec<(&str, &str, &str, bool)> = events
        .events
        .iter()
        .map(|e| {
            (
                e.event_type.as_str(),
                e.variant.as_str(),
                e.schema.as_str(),
                e.deprecated,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("thing.created", "ThingCreated", "ThingEvent", false),
            ("thing.deleted", "ThingDeleted", "ThingDeletedEvent", true)
        ]
    );
    assert_eq!(
        events.events[0].docs_url.as_deref(),
        Some("https://example.com/events/thing-created")
    );
    assert_eq!(report.count(Rule::WebhookEvent), 2);
}

#[test]
fn webhooks_are_received_roots_and_select_keeps_what_they_reach() {
    let mut doc = main_doc();
    merge(&mut doc, hooks(), "main.yaml").unwrap();
    let received =
        crate::openapi_walk::reachable_components(&doc, crate::openapi_walk::Side::Received);
    assert!(
        received.contains("ThingEvent") && received.contains("Thing"),
        "{received:?}"
    );
    let mut report = Report::default();
    // Selecting no operation at all still keeps the events' components.
    crate::select::select(&mut doc, &["Nothing".to_string()], &[], &mut report);
    assert!(doc.pointer("/components/schemas/Thing").is_some());
    assert!(doc.pointer("/components/schemas/ThingEvent").is_some());
}

#[test]
fn refuses_what_it_cannot_merge_or_name() {
    let mut other_ref = hooks();
    other_ref["components"]["schemas"]["ThingEvent"]["properties"]["thing"]["$ref"] =
        json!("other.yaml#/components/schemas/Thing");
    let error = merge(&mut main_doc(), other_ref, "main.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("other.yaml#/components/schemas/Thing"),
        "{error}"
    );

    let mut clash = main_doc();
    clash["components"]["schemas"]["ThingEvent"] = json!({"type": "string"});
    let error = merge(&mut clash, hooks(), "main.yaml")
        .unwrap_err()
        .to_string();
    assert!(error.contains("`ThingEvent` is defined both"), "{error}");

    let error = merge(&mut main_doc(), json!({"openapi": "3.1.0"}), "main.yaml")
        .unwrap_err()
        .to_string();
    assert!(error.contains("no `webhooks`"), "{error}");

    // The event type must be a property of the body.
    let mut doc = main_doc();
    merge(&mut doc, hooks(), "main.yaml").unwrap();
    let mut report = Report::default();
    hoist(&mut doc, &mut report).unwrap();
    let wrong_field = WebhooksConfig {
        event_type_field: "kind".into(),
        ..config()
    };
    let error = plan(&mut doc.clone(), Some(&wrong_field), &mut report)
        .unwrap_err()
        .to_string();
    assert!(error.contains("has no `kind` property"), "{error}");

    // A body whose type property lists other values than its name.
    let mut listed = doc.clone();
    listed["components"]["schemas"]["ThingEvent"]["properties"]["type"]["enum"] =
        json!(["something.else"]);
    let error = plan(&mut listed, Some(&config()), &mut report)
        .unwrap_err()
        .to_string();
    assert!(error.contains("not the webhook's own name"), "{error}");

    // Two names with one variant, and the fallback's name.
    for (first, second, expected) in [
        (
            "thing.created",
            "thing_created",
            "would both be the variant `ThingCreated`",
        ),
        ("thing.created", "unknown", "the fallback's name"),
    ] {
        let mut named = doc.clone();
        let item = named["webhooks"]["thing.created"].clone();
        let webhooks = named["webhooks"].as_object_mut().unwrap();
        webhooks.clear();
        webhooks.insert(first.into(), item.clone());
        webhooks.insert(second.into(), item);
        let error = plan(&mut named, Some(&config()), &mut report)
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{expected}: {error}");
    }

    // Only `post`.
    let mut get = doc.clone();
    get["webhooks"]["thing.created"]["get"] = json!({});
    let error = plan(&mut get, Some(&config()), &mut report)
        .unwrap_err()
        .to_string();
    assert!(error.contains("has a `get` operation"), "{error}");
}

#[test]
fn without_a_table_the_section_is_dropped_and_said() {
    let mut doc = main_doc();
    merge(&mut doc, hooks(), "main.yaml").unwrap();
    let mut report = Report::default();
    assert_eq!(plan(&mut doc, None, &mut report).unwrap(), None);
    assert!(doc.get("webhooks").is_none());
    assert_eq!(report.count(Rule::DropWebhooks), 1);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("2 webhook(s) not generated")),
        "{:?}",
        report.notes
    );
    // A table without a section is an error, not a silent nothing.
    let error = plan(&mut main_doc(), Some(&config()), &mut report)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no `webhooks` section"), "{error}");
}

#[test]
fn emit_writes_one_variant_per_event_with_the_payload_type_it_is_given() {
    let events = Events {
        field: "type".into(),
        events: vec![EventPlan {
            event_type: "thing.created".into(),
            variant: "ThingCreated".into(),
            schema: "ThingEvent".into(),
            summary: Some("A thing was created.".into()),
            description: None,
            docs_url: Some("https://example.com/e".into()),
            deprecated: true,
        }],
    };
    let payload = quote::quote!(types::ThingEvent);
    let text = emit(Some(&events), "things", &[payload]).to_string();
    assert!(text.contains("webhook_events !"), "{text}");
    assert!(text.contains("pub enum Event : \"type\""), "{text}");
    assert!(
        text.contains("ThingCreated = \"thing.created\" => types :: ThingEvent"),
        "{text}"
    );
    assert!(text.contains("Deprecated by the provider"), "{text}");
    assert!(
        text.contains("[The event's page](https://example.com/e)"),
        "{text}"
    );
    // No events, nothing written.
    assert!(emit(None, "things", &[]).is_empty());
}
