//! `schemars::JsonSchema` on the generated types (feature `schemars`): one
//! schema per provider accepts a known-good value, as a JSON Schema
//! validator reads it, and says what the type really accepts.

use inbox_bindings::{partoo, quo, textus};
use serde_json::{json, Value};

fn schema_of<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap()
}

fn assert_valid(schema: &Value, instance: &Value) {
    let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{schema:#}");
}

#[test]
fn partoo_pages_with_new_values_and_partoo_timestamps_are_valid() {
    let schema = schema_of::<partoo::types::ListConversationsResponse>();
    let page = json!({"conversations": [
        {"id": 1, "status": "Open", "messaging_partner": "SMS",
         "created_at": "2023-01-31 16:22:17.327878+00:00", "issues": []},
        {"id": 2, "status": "Snoozed", "messaging_partner": "Telegram",
         "created_at": "yesterday",
         "last_message": {"id": 20, "content_type": "TEXT", "content": "hi", "status": "Queued",
                          "sender_type": "Bot", "date": "2023-01-31T16:22:17Z"}}
    ], "count": 2, "next_cursor": null});
    assert_valid(&schema, &page);
    // The page decodes too: the schema and the type agree.
    let decoded: partoo::types::ListConversationsResponse = serde_json::from_value(page).unwrap();
    assert_eq!(decoded.conversations.len(), 2);
    // Not anything goes: a conversation id is an integer.
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&json!({"conversations": [{"id": "one"}]})));
}

#[test]
fn an_extensible_enum_accepts_any_string_and_lists_its_values() {
    let schema = schema_of::<partoo::types::MessagingPartner>();
    let listed = schema["anyOf"][0]["enum"].as_array().unwrap();
    assert!(listed.contains(&json!("SMS")) && listed.contains(&json!("Whatsapp")));
    assert_valid(&schema, &json!("Telegram"));
    assert!(!jsonschema::validator_for(&schema)
        .unwrap()
        .is_valid(&json!(3)));
    let timestamp = schema_of::<inbox_bindings::Timestamp>();
    assert_eq!(timestamp["type"], "string");
    assert!(timestamp["description"]
        .as_str()
        .unwrap()
        .contains("with a space instead of `T`"));
}

#[test]
fn a_quo_error_body_is_valid() {
    let schema = schema_of::<quo::types::ApiError>();
    assert_valid(
        &schema,
        &json!({"message": "Invalid", "code": "0400400", "status": 400, "docs": "https://quo.com/docs",
                "title": "Bad Request",
                "errors": [{"path": "/phoneNumberId", "message": "Expected string", "value": 3,
                            "schema": {"type": "string"}}]}),
    );
}

#[test]
fn a_textus_conversation_is_valid() {
    let schema = schema_of::<textus::types::Conversation>();
    assert_valid(
        &schema,
        &json!({"@type": "Conversation", "id": "/conversations/JYnJBY", "slug": "JYnJBY",
                "currentState": "closed",
                "requestingUserInfo": {"read": true, "readToTimelinePosition": "2018-07-01T01:02:03Z",
                                       "starred": false, "assigned": false}}),
    );
}

#[test]
fn a_webhook_event_schema_takes_every_documented_type_and_unknown_ones() {
    let schema = schema_of::<partoo::webhooks::Event>();
    assert_valid(
        &schema,
        &json!({"type": "lead_received", "payload": {"id": 1, "values": [{"id": 1, "type": "TEXT", "name": "n", "value": "v"}]}}),
    );
    assert_valid(
        &schema,
        &json!({"type": "conversation_assigned", "anything": [1, 2]}),
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    // A documented type with a payload of the wrong shape, and no type at all.
    assert!(!validator.is_valid(&json!({"type": "lead_received", "payload": {"id": "one"}})));
    assert!(!validator.is_valid(&json!({"payload": {}})));
    let quo = schema_of::<quo::webhooks::Event>();
    assert_valid(
        &quo,
        &json!({"id": "EV1", "type": "contact.deleted", "data": {"resource": {"id": "CT1"}}}),
    );
    let textus = schema_of::<textus::webhooks::Event>();
    assert_valid(
        &textus,
        &json!({"action": "message.received", "conversation": {"slug": "abc"}}),
    );
}
