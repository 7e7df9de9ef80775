//! Extensible enums: any string decodes, round-trips unchanged, and a
//! documented value is always its own variant, wherever the enum appears.

use std::fmt::Debug;

use inbox_bindings::partoo::types as partoo;
use inbox_bindings::quo::types as quo;
use inbox_bindings::ExtensibleEnum;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::support::{body_json, only_request, server_answering};

/// Generated from `tests/specs/extensible.yaml` by `cargo xtask codegen`.
#[allow(clippy::all, unused)]
mod spec {
    include!("../generated/extensible.rs");
}

fn round_trips<E: ExtensibleEnum + Debug + PartialEq>(value: &str) {
    let wire = Value::String(value.to_string());
    let decoded: E = serde_json::from_value(wire.clone()).expect("any string decodes");
    assert_eq!(decoded.as_str(), value);
    assert_eq!(
        serde_json::to_value(&decoded).unwrap(),
        wire,
        "serialized back unchanged"
    );
    assert_eq!(decoded.to_string(), value);
    let parsed: E = value.parse().unwrap();
    assert_eq!(parsed, decoded);
    assert_eq!(E::from(value.to_string()), decoded);
    assert_eq!(decoded.is_unknown(), !E::DOCUMENTED.contains(&value));
}

fn documented_values_are_variants<E: ExtensibleEnum + Debug + PartialEq>() {
    assert!(!E::DOCUMENTED.is_empty());
    let variants: Vec<E> = E::DOCUMENTED.iter().map(|value| E::from(*value)).collect();
    for (value, variant) in E::DOCUMENTED.iter().zip(&variants) {
        assert!(
            !variant.is_unknown(),
            "{value} must be its own variant, not Unknown"
        );
        assert_eq!(variant.as_str(), *value);
    }
    for (i, a) in variants.iter().enumerate() {
        for b in &variants[i + 1..] {
            assert_ne!(a, b, "two documented values share a variant");
        }
    }
}

/// Every enum with an `Unknown` fallback that serializes what it holds, of
/// every generated module: the extensible ones and the closed ones only ever
/// received. Calls `$apply!` with the list.
macro_rules! with_extensible_enums {
    ($apply:ident) => {
        $apply!(
            partoo::MessagingPartner,
            partoo::MessageContentType,
            partoo::SenderType,
            partoo::ConversationIssue,
            spec::types::Channel,
            spec::types::ThingTagsItem,
            spec::types::ThingMood,
            partoo::ConversationStatus,
            partoo::MessageStatus,
            partoo::ReadConversationResponseStatus,
            partoo::UpdateConversationDeprecatedResponseStatus,
            partoo::LeadValueType,
            partoo::RetrySendMessageResponseStatus,
            partoo::SendMessageResponseStatus,
            quo::ContactLookupStatus,
            quo::CreateCallSummaryWebhookV1ResponseDataEventsItem,
            quo::CreateCallSummaryWebhookV1ResponseDataStatus,
            quo::CreateCallTranscriptWebhookV1ResponseDataEventsItem,
            quo::CreateCallTranscriptWebhookV1ResponseDataStatus,
            quo::CreateCallWebhookV1ResponseDataEventsItem,
            quo::CreateCallWebhookV1ResponseDataStatus,
            quo::CreateMessageWebhookV1ResponseDataEventsItem,
            quo::CreateMessageWebhookV1ResponseDataStatus,
            quo::EventCallStatus,
            quo::EventDirection,
            quo::EventMessageStatus,
            quo::GetCallByIdV1ResponseDataDirection,
            quo::GetCallByIdV1ResponseDataStatus,
            quo::GetCallRecordingsV1ResponseDataItemStatus,
            quo::GetCallSummaryV1ResponseDataStatus,
            quo::GetCallTranscriptV1ResponseDataStatus,
            quo::GetCallVoicemailsV1ResponseDataStatus,
            quo::GetContactCustomFieldsV1ResponseDataItemType,
            quo::GetMessageByIdV1ResponseDataDirection,
            quo::GetPhoneNumberByIdV1ResponseDataRestrictionsCallingCa,
            quo::GetPhoneNumberByIdV1ResponseDataRestrictionsCallingIntl,
            quo::GetPhoneNumberByIdV1ResponseDataRestrictionsCallingUs,
            quo::GetPhoneNumberByIdV1ResponseDataRestrictionsMessagingCa,
            quo::GetPhoneNumberByIdV1ResponseDataRestrictionsMessagingIntl,
            quo::GetPhoneNumberByIdV1ResponseDataRestrictionsMessagingUs,
            quo::GetPhoneNumberByIdV1ResponseDataUsersItemRole,
            quo::GetUserByIdV1ResponseDataRole,
            quo::ListCallsV1ResponseDataItemDirection,
            quo::ListCallsV1ResponseDataItemStatus,
            quo::ListMessagesV1ResponseDataItemDirection,
            quo::ListPhoneNumbersResponseDataItemRestrictionsCallingCa,
            quo::ListPhoneNumbersResponseDataItemRestrictionsCallingIntl,
            quo::ListPhoneNumbersResponseDataItemRestrictionsCallingUs,
            quo::ListPhoneNumbersResponseDataItemRestrictionsMessagingCa,
            quo::ListPhoneNumbersResponseDataItemRestrictionsMessagingIntl,
            quo::ListPhoneNumbersResponseDataItemRestrictionsMessagingUs,
            quo::ListPhoneNumbersResponseDataItemUsersItemRole,
            quo::ListUsersV1ResponseDataItemRole,
            quo::MessageStatus,
            quo::ParticipantsResolution,
            quo::SendMessageV1ResponseDataDirection
        )
    };
}

macro_rules! count_types {
    ($($enum:ty),*) => { [$(stringify!($enum)),*].len() };
}

macro_rules! round_trip_all {
    ($($enum:ty),*) => { |value: &str| { $(round_trips::<$enum>(value);)* } };
}

macro_rules! documented_all {
    ($($enum:ty),*) => { $(documented_values_are_variants::<$enum>();)* };
}

/// The list above is complete: it names as many enums as the generated code has.
#[test]
fn the_list_of_extensible_enums_is_complete() {
    let sources = [
        include_str!("../../generated/partoo.rs"),
        include_str!("../../generated/quo.rs"),
        include_str!("../../generated/textus.rs"),
        include_str!("../generated/extensible.rs"),
    ];
    let generated: usize = sources
        .iter()
        .map(|source| source.matches("__private::extensible_enum!").count())
        .sum();
    // The enums both received and sent (`tolerant_sent`) are checked below.
    let sent: usize = sources
        .iter()
        .map(|source| source.matches(": tolerant_sent {").count())
        .sum();
    assert_eq!(sent, 1, "partoo::WebhookEventType");
    assert_eq!(generated - sent, with_extensible_enums!(count_types));
}

/// A closed enum that is also sent (`tolerant_sent`: Partoo's webhook
/// event type) decodes an undocumented value, but refuses to send it.
#[test]
fn a_closed_enum_that_is_sent_decodes_unknown_values_and_refuses_to_send_them() {
    use partoo::WebhookEventType;
    documented_values_are_variants::<WebhookEventType>();
    for value in WebhookEventType::DOCUMENTED {
        round_trips::<WebhookEventType>(value);
    }
    let unknown: WebhookEventType = serde_json::from_value(json!("review_created")).unwrap();
    assert!(unknown.is_unknown());
    assert_eq!(unknown.as_str(), "review_created");
    assert!(
        serde_json::to_value(&unknown).is_err(),
        "refused when serialized"
    );
}

proptest! {
    #[test]
    fn every_string_round_trips_through_every_extensible_enum(value in any::<String>()) {
        let check = with_extensible_enums!(round_trip_all);
        check(&value);
    }

    #[test]
    fn near_misses_of_documented_values_stay_unknown(index in 0usize..7, suffix in "[ a-z]{1,3}") {
        let value = format!("{}{suffix}", partoo::MessagingPartner::DOCUMENTED[index]);
        let decoded: partoo::MessagingPartner = serde_json::from_value(json!(value)).unwrap();
        prop_assert!(decoded.is_unknown());
        prop_assert_eq!(decoded.as_str(), value.as_str());
    }
}

#[test]
fn every_documented_value_maps_to_its_own_variant() {
    with_extensible_enums!(documented_all);
    // Case matters: the wire value is exact.
    assert!(partoo::MessagingPartner::from("sms").is_unknown());
    assert_eq!(
        partoo::MessagingPartner::from("SMS"),
        partoo::MessagingPartner::Sms
    );
}

#[test]
fn non_string_values_are_still_an_error() {
    let error = serde_json::from_value::<partoo::MessagingPartner>(json!(3)).unwrap_err();
    assert!(error.to_string().contains("expected a string"), "{error}");
}

/// A documented value spelled like the fallback does not collide with it.
#[test]
fn a_documented_unknown_value_is_not_the_fallback() {
    use spec::types::Channel;
    let documented: Channel = serde_json::from_value(json!("unknown")).unwrap();
    assert_eq!(documented, Channel::DocumentedUnknown);
    assert!(!documented.is_unknown());
    let fallback: Channel = serde_json::from_value(json!("fax")).unwrap();
    assert!(matches!(&fallback, Channel::Unknown(value) if value.as_str() == "fax"));
    assert_eq!(serde_json::to_value(&documented).unwrap(), json!("unknown"));
}

/// Partoo's documented "Done when" page: unknown values in a top-level field,
/// an array item and a nested message decode, read back, and re-serialize.
#[test]
fn a_partoo_page_with_new_values_decodes_and_reserializes() {
    let page = json!({
        "conversations": [{
            "id": 1,
            "messaging_partner": "Telegram",
            "issues": ["whatsapp_token_expired", "sms_no_phone_number"],
            "is_read": false,
            "last_message": {"id": 9, "content_type": "Carousel", "sender_type": "Bot",
                             "content": {"cards": [{"title": "a"}]}, "status": "Success"}
        }],
        "count": 1,
        "next_cursor": "abc"
    });
    let decoded: partoo::ListConversationsResponse = serde_json::from_value(page.clone()).unwrap();
    let conversation = &decoded.conversations[0];
    let partner = conversation.messaging_partner.as_ref().unwrap();
    assert!(partner.is_unknown());
    assert_eq!(partner.as_str(), "Telegram");
    assert!(
        matches!(partner, partoo::MessagingPartner::Unknown(value) if value.as_str() == "Telegram")
    );
    assert_eq!(conversation.issues[0].as_str(), "whatsapp_token_expired");
    assert!(conversation.issues[0].is_unknown());
    assert_eq!(
        conversation.issues[1],
        partoo::ConversationIssue::SmsNoPhoneNumber
    );
    let message = conversation.last_message.as_ref().unwrap();
    assert_eq!(message.content_type.as_ref().unwrap().as_str(), "Carousel");
    assert!(message.content_type.as_ref().unwrap().is_unknown());
    assert_eq!(message.sender_type.as_ref().unwrap().as_str(), "Bot");
    assert_eq!(serde_json::to_value(&decoded).unwrap(), page);
}

/// Pages with unknown values in every extensible position round-trip. The
/// generated types do not keep `null` apart from absent (typify skips `None`
/// when serializing), so members that are `null` are compared as absent.
#[test]
fn a_corpus_of_unknown_values_round_trips() {
    fn without_nulls(value: Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, without_nulls(v)))
                    .collect(),
            ),
            Value::Array(list) => Value::Array(list.into_iter().map(without_nulls).collect()),
            other => other,
        }
    }
    let message = |content_type: &str, sender_type: &str| json!({"id": 1, "content_type": content_type, "sender_type": sender_type, "content": "x", "user_id": null});
    let corpus = [
        json!({"conversations": [{"id": 1, "messaging_partner": "Threads", "consumer_img": null}]}),
        json!({"conversations": [{"id": 1, "issues": ["brand_new_issue", "facebook_invalid_status", ""]}]}),
        json!({"conversations": [{"id": 1, "last_message": message("Sticker", "User")}]}),
        json!({"conversations": [{"id": 1, "last_message": message("Text", "Assistant")}]}),
        json!({"conversations": [{"id": 1, "messaging_partner": "É\u{0}\"", "last_message": message("😀", "")}],
               "next_cursor": null}),
    ];
    for page in corpus {
        let decoded: partoo::ListConversationsResponse =
            serde_json::from_value(page.clone()).unwrap();
        assert_eq!(serde_json::to_value(&decoded).unwrap(), without_nulls(page));
    }
}

#[tokio::test]
async fn extensible_enums_in_query_parameters_are_sent_as_their_wire_value() {
    for (channel, expected) in [
        (spec::types::Channel::Email, "channel=email"),
        (spec::types::Channel::DocumentedUnknown, "channel=unknown"),
        (
            spec::types::Channel::from("carrier pigeon"),
            "channel=carrier+pigeon",
        ),
    ] {
        let server = server_answering(200, json!({"things": []})).await;
        spec::Client::with_config(crate::support::loopback(&server, "unused"))
            .unwrap()
            .search_things()
            .channel(channel)
            .send()
            .await
            .unwrap();
        assert_eq!(only_request(&server).await.url.query(), Some(expected));
    }
}

#[tokio::test]
async fn extensible_enums_in_bodies_and_nested_responses_round_trip() {
    let body = json!({"id": 4, "channel": "fax", "tags": ["red", "green"], "mood": "curious",
                      "nested": {"channel": "unknown"}});
    let server = server_answering(200, body.clone()).await;
    let thing: spec::types::Thing = serde_json::from_value(body.clone()).unwrap();
    let client = spec::Client::with_config(crate::support::loopback(&server, "unused")).unwrap();
    let echoed = client
        .create_thing()
        .body(thing.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        body_json(&only_request(&server).await),
        body,
        "the request body carries the wire values"
    );
    assert_eq!(echoed.into_body(), thing);
    assert_eq!(thing.tags[1].as_str(), "green");
    assert!(thing.mood.as_ref().unwrap().is_unknown());
    assert_eq!(
        thing.nested.as_ref().unwrap().channel,
        Some(spec::types::Channel::DocumentedUnknown)
    );
}
