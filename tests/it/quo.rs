//! Quo: every operation of `openapi/quo.json`, what it sends and what it decodes.

use inbox_bindings::quo::{types, Client};
use inbox_bindings::Error;
use serde_json::json;

use crate::support::{
    api_error, assert_common_headers, header, loopback, only_request, server_answering,
};

fn client(server: &wiremock::MockServer) -> Client {
    Client::with_config(loopback(server, "quo-test-key")).unwrap()
}

fn conversation() -> serde_json::Value {
    json!({
        "assignedTo": "SYU123abc",
        "createdAt": "2024-05-01T10:00:00.000Z",
        "deletedAt": null,
        "id": "CN123abc",
        "lastActivityAt": "2024-05-02T10:00:00Z",
        "lastActivityId": "AC123abc",
        "mutedUntil": null,
        "name": null,
        "participants": ["+15555555555"],
        "phoneNumberId": "PN123abc",
        "snoozedUntil": null,
        "updatedAt": "2024-05-02T10:00:00Z"
    })
}

fn error_body(status: u16, code: &str, title: &str) -> serde_json::Value {
    json!({"message": format!("{title} message"), "code": code, "status": status,
           "docs": "https://quo.com/docs", "title": title, "trace": "trace-1",
           "errors": [{"path": "/id", "message": "bad", "value": 3, "schema": {"type": "string"}}]})
}

#[tokio::test]
async fn mark_as_read_sends_the_documented_request_and_decodes_the_conversation() {
    let server = server_answering(200, conversation()).await;
    let response = client(&server)
        .mark_conversation_as_read_v1()
        .conversation_id("CN123abc")
        .send()
        .await
        .unwrap()
        .into_body();

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(
        request.url.path(),
        "/v1/conversations/CN123abc/mark-as-read"
    );
    assert_eq!(request.url.query(), None);
    assert_common_headers(&request, false);
    // Quo takes the raw key in Authorization, without a scheme.
    assert_eq!(header(&request, "authorization"), Some("quo-test-key"));
    assert!(request.body.is_empty(), "no body is documented");

    assert_eq!(response.id, "CN123abc");
    // Pitfall 4: `anyOf` of two patterned strings is a plain string.
    assert_eq!(response.assigned_to.as_deref(), Some("SYU123abc"));
    assert_eq!(response.participants, ["+15555555555"]);
    assert_eq!(response.phone_number_id, "PN123abc");
    assert_eq!(
        response
            .created_at
            .and_then(|t| t.to_utc())
            .map(|t| t.to_rfc3339())
            .as_deref(),
        Some("2024-05-01T10:00:00+00:00")
    );
    assert_eq!(response.deleted_at, None);
    assert_eq!(response.name, None);
}

/// Pitfall 5, receiving side: ids that break the spec's own patterns (Quo's
/// examples do) decode; one off-pattern id never fails a whole response.
#[tokio::test]
async fn off_pattern_values_from_the_server_decode() {
    let mut body = conversation();
    body["id"] = json!("conversation-1");
    body["lastActivityId"] = json!("XY1");
    body["assignedTo"] = json!("someone");
    body["participants"] = json!(["not a phone number"]);
    let server = server_answering(200, body).await;
    let response = client(&server)
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.id, "conversation-1");
    assert_eq!(response.last_activity_id.as_deref(), Some("XY1"));
}

/// Pitfall 5, sending side: an id the spec's pattern rejects is refused
/// before any request is made.
#[tokio::test]
async fn off_pattern_ids_are_refused_before_sending() {
    let server = server_answering(200, conversation()).await;
    let result = client(&server)
        .mark_conversation_as_read_v1()
        .conversation_id("US123")
        .send()
        .await;
    match result {
        Err(error @ Error::InvalidInput { .. }) => {
            let message = error.to_string();
            assert!(message.contains("conversation_id"), "{message}")
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Pitfall 2: every documented error status decodes into the error type with
/// its fields (not into the success type, and not as a decoding failure).
#[tokio::test]
async fn each_documented_error_decodes_with_its_fields() {
    for (status, code, title) in [
        (400, "1000400", "Bad Request"),
        (401, "1000401", "Unauthorized"),
        (403, "1001403", "Not Phone Number User"),
        (404, "1000404", "Not Found"),
        (500, "1001500", "Unknown"),
    ] {
        let mut body = error_body(status, code, title);
        if status == 403 {
            body["description"] = json!("Not Phone Number User");
        }
        let server = server_answering(status, body.clone()).await;
        let result = client(&server)
            .mark_conversation_as_read_v1()
            .conversation_id("CN1")
            .send()
            .await;
        let failure = api_error(result);
        assert_eq!((failure.provider, failure.status), ("quo", status));
        assert_eq!(failure.code.as_deref(), Some(code));
        assert_eq!(failure.message, Some(format!("{title} message")));
        assert_eq!(failure.body_json(), body, "the raw body is kept");
        let error: types::ApiError = serde_json::from_str(&failure.body).unwrap();
        assert_eq!(error.code, code);
        assert_eq!(error.message, format!("{title} message"));
        assert_eq!(error.title, title);
        assert_eq!(error.status, f64::from(status));
        assert_eq!(error.trace.as_deref(), Some("trace-1"));
        assert_eq!(error.errors[0].path, "/id");
        assert_eq!(error.errors[0].value, Some(json!(3)));
        assert_eq!(error.description.is_some(), status == 403);
        // The spec types `status` as a number (f64): it comes back as 400.0.
        body["status"] = json!(f64::from(status));
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            body,
            "{status} round-trips"
        );
    }
}

/// A code the spec does not list (its `const`s are per status) still decodes.
#[tokio::test]
async fn undocumented_error_codes_still_decode() {
    let server = server_answering(403, error_body(403, "1009999", "Some New Reason")).await;
    let result = client(&server)
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await;
    let failure = api_error(result);
    assert_eq!(failure.code.as_deref(), Some("1009999"));
    assert_eq!(failure.message.as_deref(), Some("Some New Reason message"));
}

/// Current Quo webhooks: `data.context` kept in full (the contact lookup
/// and the participants' resolution typed, every other member as
/// received), `answeredByUserId` on `call.answered`, and a message's
/// members the crate does not name (a failure's error code) kept too.
#[test]
fn current_webhook_payloads_keep_their_context_and_undocumented_members() {
    use inbox_bindings::quo::webhooks::Event;
    let answered: Event = serde_json::from_value(json!({
        "id": "EV1", "apiVersion": "2026-03-30", "createdAt": "2026-04-13T12:00:00Z",
        "type": "call.answered",
        "data": {
            "resource": {"id": "AC1", "direction": "incoming", "status": "in-progress",
                         "answeredByUserId": "US42"},
            "context": {
                "phoneNumber": {"id": "PN1", "number": "+15550000000"},
                "conversation": {"id": "CN1"},
                "participants": {"resolution": "unavailable", "workspace": [], "external": []},
                "contacts": {"lookupStatus": "none", "ids": []},
                "sharing": {"shared": true}
            },
            "links": {"quo": null}
        }
    }))
    .unwrap();
    let Event::CallAnswered(call) = answered else {
        panic!("{answered:?}")
    };
    let resource = call.data.resource.as_ref().unwrap();
    assert_eq!(resource.answered_by_user_id.as_deref(), Some("US42"));
    let context = call.data.context.as_ref().unwrap();
    let participants = context.participants.as_ref().unwrap();
    assert_eq!(
        participants.resolution,
        Some(types::ParticipantsResolution::Unavailable)
    );
    assert_eq!(participants.extra["workspace"], json!([]));
    assert_eq!(context.extra["phoneNumber"]["number"], "+15550000000");
    assert_eq!(context.extra["conversation"]["id"], "CN1");
    assert_eq!(context.extra["sharing"], json!({"shared": true}));
    // Re-serialized, nothing was dropped.
    let again = serde_json::to_value(context).unwrap();
    for key in [
        "phoneNumber",
        "conversation",
        "participants",
        "contacts",
        "sharing",
    ] {
        assert!(again.get(key).is_some(), "{key} lost: {again}");
    }

    let failed: Event = serde_json::from_value(json!({
        "id": "EV2", "type": "message.failed",
        "data": {"resource": {"id": "AC2", "conversationId": "CN1", "direction": "outgoing",
                              "status": "failed", "errorCode": "30007"}}
    }))
    .unwrap();
    let Event::MessageFailed(failed) = failed else {
        panic!("{failed:?}")
    };
    let message = failed.data.resource.as_ref().unwrap();
    assert_eq!(message.extra["errorCode"], "30007");
}
