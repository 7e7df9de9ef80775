//! Partoo: every operation of `openapi/partoo.yaml`, what it sends and what it decodes.

use inbox_bindings::partoo::{types, Client};
use inbox_bindings::Error;
use serde_json::json;

use crate::support::{
    api_error, assert_common_headers, body_json, header, loopback, only_request, server_answering,
};

fn client(server: &wiremock::MockServer) -> Client {
    Client::with_config(loopback(server, "partoo-test-key")).unwrap()
}

fn unauthenticated() -> serde_json::Value {
    json!({"errors": {"authentication": "User not authenticated"}})
}

fn forbidden() -> serde_json::Value {
    json!({"errors": {"authorization": "Operation not allowed"}})
}

/// A documented error status becomes `Error::Api` with the provider's body,
/// which decodes into the error type.
fn assert_error_body<T: std::fmt::Debug>(result: Result<T, Error>, status: u16) -> types::ApiError {
    let failure = api_error(result);
    assert_eq!((failure.provider, failure.status), ("partoo", status));
    serde_json::from_str(&failure.body).expect("the body is Partoo's error shape")
}

#[tokio::test]
async fn read_conversation_sends_the_documented_request() {
    let server = server_answering(200, json!({"status": "success"})).await;
    let response = client(&server)
        .read_conversation()
        .conversation_id(42)
        .body(types::ReadConversationBody {
            is_read: Some(true),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status,
        Some(types::ReadConversationResponseStatus::Success)
    );

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/conversations/42/read");
    assert_eq!(request.url.query(), None);
    assert_common_headers(&request, true);
    assert_eq!(header(&request, "x-apikey"), Some("partoo-test-key"));
    assert_eq!(body_json(&request), json!({"is_read": true}));
}

#[tokio::test]
async fn read_conversation_decodes_each_documented_error() {
    for (status, body, expect_authentication, expect_authorization) in [
        (401, unauthenticated(), Some("User not authenticated"), None),
        (403, forbidden(), None, Some("Operation not allowed")),
    ] {
        let server = server_answering(status, body).await;
        let result = client(&server)
            .read_conversation()
            .conversation_id(1)
            .body(types::ReadConversationBody {
                is_read: Some(true),
            })
            .send()
            .await;
        let failure = api_error(result);
        assert_eq!(
            failure.message.as_deref(),
            expect_authentication.or(expect_authorization),
            "{status}"
        );
        assert_eq!(failure.code, None, "Partoo errors carry no code");
        let error: types::ApiError = serde_json::from_str(&failure.body).unwrap();
        let errors = error.errors.expect("the errors object");
        assert_eq!(
            errors.authentication.as_deref(),
            expect_authentication,
            "{status}"
        );
        assert_eq!(
            errors.authorization.as_deref(),
            expect_authorization,
            "{status}"
        );
    }
}

/// The spec's `default: User not authenticated` must not make serde invent a
/// message the server never sent.
#[tokio::test]
async fn error_fields_the_server_omits_stay_absent() {
    let server = server_answering(401, json!({"errors": {}})).await;
    let result = client(&server)
        .read_conversation()
        .conversation_id(1)
        .body(types::ReadConversationBody {
            is_read: Some(true),
        })
        .send()
        .await;
    let error = assert_error_body(result, 401);
    assert_eq!(error.errors.unwrap().authentication, None);
}

#[tokio::test]
#[allow(deprecated)]
async fn update_conversation_deprecated_sends_the_documented_request() {
    let server = server_answering(200, json!({"status": "success"})).await;
    let response = client(&server)
        .update_conversation_deprecated()
        .conversation_id(7)
        .body(types::UpdateConversationDeprecatedBody {
            is_read: Some(false),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status,
        Some(types::UpdateConversationDeprecatedResponseStatus::Success)
    );
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/conversations/7");
    assert_common_headers(&request, true);
    assert_eq!(body_json(&request), json!({"is_read": false}));

    for (status, body) in [(401, unauthenticated()), (403, forbidden())] {
        let server = server_answering(status, body).await;
        let result = client(&server)
            .update_conversation_deprecated()
            .conversation_id(7)
            .body(types::UpdateConversationDeprecatedBody {
                is_read: Some(false),
            })
            .send()
            .await;
        assert!(assert_error_body(result, status).errors.is_some());
    }
}

/// The generated method carries the spec's advice (checked in the source, as
/// `#[deprecated]` leaves no trace a running program can see).
#[test]
fn the_deprecated_operation_is_marked_with_the_specs_advice() {
    let source = include_str!("../../generated/partoo.rs");
    assert!(source.contains(
        "#[deprecated(\n        note = \"Please use `read_conversation()` (POST /conversations/{conversation_id}/read) or PATCH /conversations/{conversation_id} (not in this crate) instead.\"\n    )]\n    pub fn update_conversation_deprecated("
    ));
}

fn sample_page() -> serde_json::Value {
    json!({
        "conversations": [
            {
                "id": 1,
                "consumer_img": null,
                "consumer_name": "John Doe",
                "consumer_phone_number": "+33612345678",
                "consumer_email": null,
                "last_message": {
                    "id": 10, "conversation_id": 1, "date": "2023-01-31 16:22:17.327878+00:00",
                    "content_type": "Image", "sender_type": "Consumer", "sender_label": null,
                    "status": "Success", "is_deleted": false, "is_automated": false,
                    "content": "https://cdn.example.test/picture.jpg", "user_id": null, "custom_channel": null
                },
                "is_read": false,
                "status": "Open",
                "created_at": "2023-01-31 16:22:17.327878+00:00",
                "has_one_user_message": true,
                "business": {"id": "5409c35a97bbc544d8e26737", "name": "Shop", "city": null,
                             "zipcode": null, "country": "FR", "formatted_address": null},
                "messaging_partner": "Whatsapp",
                "issues": ["facebook_no_page_linked"],
                "first_message_date": "2023-01-31 16:22:17.327878+00:00",
                "is_expired": false, "is_solved": false, "is_automated": false,
                "assigned_user_id": "62d80fae74e8b11d700302b8",
                "custom_channel": null
            },
            {
                "id": 2,
                "last_message": {
                    "id": 11, "content_type": "Audio", "sender_type": "User",
                    "content": {"url": "https://cdn.example.test/voice.ogg", "file_name": null}
                },
                "messaging_partner": "Custom",
                "custom_channel": {"id": "c1", "name": "Shop app", "icon": "https://cdn.example.test/i.png",
                                   "is_readonly": false, "external_conversation_id": "ext-2"},
                "issues": []
            },
            {"id": 3, "last_message": null}
        ],
        "count": 3,
        "next_cursor": "cursor-2"
    })
}

#[tokio::test]
async fn list_conversations_sends_filters_and_decodes_a_page() {
    let server = server_answering(200, sample_page()).await;
    let page = client(&server)
        .list_conversations()
        .per_page(100u64)
        .cursor("cursor-1")
        .business_in(vec!["a1c9f37b4deca92f83b61d02", "9f4e2a8c0d73b154e621bc97"])
        .send()
        .await
        .unwrap()
        .into_body();

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), "/conversations");
    // One comma-separated value, as Partoo documents; not a repeated key.
    assert_eq!(
        request.url.query(),
        Some("per_page=100&cursor=cursor-1&business__in=a1c9f37b4deca92f83b61d02%2C9f4e2a8c0d73b154e621bc97")
    );
    assert_common_headers(&request, false);
    assert!(request.body.is_empty());

    // Pitfall 7: a nullable cursor is one Option, not Option<NextCursor(Option<_>)>.
    let next: Option<String> = page.next_cursor;
    assert_eq!(next.as_deref(), Some("cursor-2"));
    assert_eq!(page.count.map(|count| count.0), Some(3));
    assert_eq!(page.conversations.len(), 3);

    let first = &page.conversations[0];
    assert_eq!(
        first.messaging_partner,
        Some(types::MessagingPartner::Whatsapp)
    );
    assert_eq!(
        first.issues,
        [types::ConversationIssue::FacebookNoPageLinked]
    );
    assert_eq!(first.status, Some(types::ConversationStatus::Open));
    assert_eq!(
        first.business.as_ref().and_then(|b| b.id.as_deref()),
        Some("5409c35a97bbc544d8e26737")
    );
    // Pitfall 3: content depends on content_type; the generated layer keeps it
    // raw rather than guessing (an untagged enum would call this URL "Text").
    let message = first.last_message.as_ref().unwrap();
    assert_eq!(message.content_type, Some(types::MessageContentType::Image));
    assert_eq!(
        message.content,
        Some(json!("https://cdn.example.test/picture.jpg"))
    );

    let second = &page.conversations[1];
    let audio = second.last_message.as_ref().unwrap();
    assert_eq!(audio.content_type, Some(types::MessageContentType::Audio));
    assert_eq!(
        audio.content,
        Some(json!({"url": "https://cdn.example.test/voice.ogg", "file_name": null}))
    );
    assert_eq!(
        second
            .custom_channel
            .as_ref()
            .and_then(|c| c.external_conversation_id.as_deref()),
        Some("ext-2")
    );
    assert_eq!(page.conversations[2].last_message, None);
}

#[tokio::test]
async fn list_conversations_end_of_pages_has_no_cursor() {
    for body in [
        json!({"conversations": [], "count": 0, "next_cursor": null}),
        json!({"conversations": [], "count": 0}),
    ] {
        let server = server_answering(200, body).await;
        let page = client(&server).list_conversations().send().await.unwrap();
        assert_eq!(page.next_cursor, None);
        // Nothing set, nothing sent: no `per_page` default invented by the client.
        assert_eq!(only_request(&server).await.url.query(), None);
    }
}

#[tokio::test]
async fn list_conversations_decodes_each_documented_error() {
    for (status, body) in [(401, unauthenticated()), (403, forbidden())] {
        let server = server_answering(status, body.clone()).await;
        let result = client(&server).list_conversations().send().await;
        let error = assert_error_body(result, status);
        assert_eq!(serde_json::to_value(&error).unwrap(), body);
    }
}

#[tokio::test]
async fn invalid_filters_fail_before_anything_is_sent() {
    let server = server_answering(200, json!({"conversations": []})).await;
    let result = client(&server)
        .list_conversations()
        .business_in(vec!["a,b"])
        .send()
        .await;
    assert!(
        matches!(result, Err(Error::InvalidInput { .. })),
        "{result:?}"
    );
    let result = client(&server)
        .list_conversations()
        .per_page(0u64)
        .send()
        .await;
    assert!(
        matches!(result, Err(Error::InvalidInput { .. })),
        "{result:?}"
    );
    let result = client(&server)
        .list_conversations()
        .per_page(101u64)
        .send()
        .await;
    match result {
        Err(error @ Error::InvalidInput { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("invalid per_page: must be within 1..=100"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Partoo's documented timestamp form (a space), RFC 3339, and a value in
/// neither: the page decodes whole, the first two typed, the third kept.
#[tokio::test]
async fn partoo_timestamps_are_typed_in_both_forms_and_kept_when_odd() {
    let server = crate::support::server_answering(
        200,
        json!({"conversations": [
            {"id": 1, "created_at": "2023-01-31 16:22:17.327878+00:00"},
            {"id": 2, "created_at": "2023-01-31T17:22:17.327878+01:00"},
            {"id": 3, "created_at": "last tuesday", "last_message": {"id": 30, "date": "2023-01-31 16:22:17+00:00"}}
        ], "next_cursor": null}),
    )
    .await;
    let page = client(&server).list_conversations().send().await.unwrap();
    let created: Vec<_> = page
        .conversations
        .iter()
        .map(|c| c.created_at.as_ref().unwrap())
        .collect();
    assert_eq!(created[0].to_utc(), created[1].to_utc());
    assert_eq!(
        created[0].to_utc().unwrap().to_rfc3339(),
        "2023-01-31T16:22:17.327878+00:00"
    );
    assert!(created[2].is_unparsed());
    assert_eq!(created[2].as_str(), "last tuesday");
    let date = page.conversations[2]
        .last_message
        .as_ref()
        .unwrap()
        .date
        .as_ref()
        .unwrap();
    assert_eq!(date.to_utc().unwrap().timestamp(), 1_675_182_137);
}
