//! TextUs: `readConversation` from the authored spec sends exactly what the
//! documentation shows and decodes the documented response, tolerantly.

use inbox_bindings::textus::{types, Client};
use serde_json::{json, Value};

use crate::support::{api_error, body_json, header, loopback, only_request, server_answering};

const MEDIA_TYPE: &str = "application/vnd.textus+jsonld";

fn client(server: &wiremock::MockServer) -> Client {
    Client::with_config(loopback(server, "textus-test-token")).unwrap()
}

/// The example body of the documentation page (seed 003), verbatim.
fn documented_conversation() -> Value {
    serde_json::from_str(include_str!("data/textus-read-conversation.json")).unwrap()
}

fn assert_documented_request(request: &wiremock::Request) {
    assert_eq!(request.method.as_str(), "PUT");
    assert_eq!(request.url.path(), "/conversations/JYnJBY/read");
    assert_eq!(request.url.query(), None);
    assert_eq!(header(request, "accept"), Some(MEDIA_TYPE));
    assert_eq!(
        header(request, "authorization"),
        Some("Bearer textus-test-token")
    );
    assert_eq!(header(request, "api-version"), None);
}

#[tokio::test]
async fn marking_read_immediately_sends_no_body() {
    let server = server_answering(200, documented_conversation()).await;
    let conversation = client(&server)
        .read_conversation()
        .conversation("JYnJBY")
        .send()
        .await
        .unwrap();
    let request = only_request(&server).await;
    assert_documented_request(&request);
    assert!(
        request.body.is_empty(),
        "no body: {:?}",
        String::from_utf8_lossy(&request.body)
    );
    assert_eq!(
        header(&request, "content-type"),
        None,
        "no body, no content type"
    );
    assert_eq!(conversation.slug.as_deref(), Some("JYnJBY"));
}

#[tokio::test]
async fn marking_read_up_to_a_position_sends_ts() {
    let server = server_answering(200, documented_conversation()).await;
    let ts: chrono::DateTime<chrono::Utc> = "2018-07-01T01:02:03.000Z".parse().unwrap();
    client(&server)
        .read_conversation()
        .conversation("JYnJBY")
        .body(types::ReadConversationBody { ts: Some(ts) })
        .send()
        .await
        .unwrap();
    let request = only_request(&server).await;
    assert_documented_request(&request);
    assert_eq!(header(&request, "content-type"), Some(MEDIA_TYPE));
    assert_eq!(body_json(&request), json!({"ts": "2018-07-01T01:02:03Z"}));
}

#[tokio::test]
async fn the_documented_response_decodes_field_by_field() {
    let server = server_answering(200, documented_conversation()).await;
    let conversation = client(&server)
        .read_conversation()
        .conversation("JYnJBY")
        .send()
        .await
        .unwrap()
        .into_body();
    assert_eq!(conversation.id.as_deref(), Some("/conversations/JYnJBY"));
    assert_eq!(conversation.type_.as_deref(), Some("Conversation"));
    assert_eq!(conversation.current_state.as_deref(), Some("closed"));
    let user = conversation.requesting_user_info.as_ref().unwrap();
    assert_eq!(user.read, Some(true));
    assert_eq!(
        user.read_to_timeline_position
            .as_ref()
            .and_then(|t| t.to_utc())
            .map(|t| t.to_rfc3339())
            .as_deref(),
        Some("2018-07-01T01:02:03+00:00")
    );
    assert_eq!(
        conversation.reopen_conversation, None,
        "null link: the action does not apply"
    );
    assert_eq!(
        conversation.close_conversation.as_deref(),
        Some("/conversations/JYnJBY/close")
    );
    assert_eq!(conversation.assigned_contact, None);
    assert_eq!(conversation.blocked, Some(false));
    let message = conversation.latest_previewable_item.as_ref().unwrap();
    assert_eq!(message.direction.as_deref(), Some("in"));
    assert_eq!(message.delivery_state.as_deref(), Some("received"));
    let attachments = message.attachments.as_ref().unwrap();
    assert_eq!(attachments.total_items, Some(0));
    assert!(attachments.members.is_empty());
    assert_eq!(message.source.as_deref(), Some("textus"));
}

#[tokio::test]
async fn unknown_fields_and_state_values_decode() {
    let mut body = documented_conversation();
    body["currentState"] = json!("snoozed");
    body["brandNewField"] = json!({"nested": [1, 2, 3]});
    body["latestPreviewableItem"]["deliveryState"] = json!("carrier_pending");
    body["latestPreviewableItem"]["direction"] = json!("sideways");
    body["latestPreviewableItem"]["source"] = json!("zapier");
    body["latestPreviewableItem"]["attachments"]["members"] =
        json!([{"@type": "Attachment", "url": "x"}]);
    body["requestingUserInfo"]["somethingNew"] = json!(true);
    let server = server_answering(200, body).await;
    let conversation = client(&server)
        .read_conversation()
        .conversation("JYnJBY")
        .send()
        .await
        .unwrap()
        .into_body();
    assert_eq!(conversation.current_state.as_deref(), Some("snoozed"));
    let message = conversation.latest_previewable_item.unwrap();
    assert_eq!(message.delivery_state.as_deref(), Some("carrier_pending"));
    assert_eq!(message.attachments.unwrap().members.len(), 1);
}

#[tokio::test]
async fn iris_are_accepted_and_the_slug_is_sent() {
    let server = server_answering(200, documented_conversation()).await;
    client(&server)
        .read_conversation()
        .conversation("/conversations/JYnJBY")
        .send()
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).await.url.path(),
        "/conversations/JYnJBY/read"
    );
}

#[tokio::test]
async fn anything_but_a_slug_or_a_conversation_iri_is_refused_before_sending() {
    let server = server_answering(200, documented_conversation()).await;
    for bad in [
        "",
        "/contacts/Vled2N",
        "JY/nJBY",
        "/conversations/",
        "/conversations/JYnJBY/read",
    ] {
        let result = client(&server)
            .read_conversation()
            .conversation(bad)
            .send()
            .await;
        match result {
            Err(error @ inbox_bindings::Error::InvalidInput { .. }) => {
                let message = error.to_string();
                assert!(message.contains("conversation"), "{bad:?}: {message}")
            }
            other => panic!("{bad:?}: expected InvalidInput, got {other:?}"),
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn each_documented_error_status_decodes() {
    for status in [401u16, 403, 404] {
        let body = json!({"error": format!("failure {status}")});
        let server = server_answering(status, body.clone()).await;
        let result = client(&server)
            .read_conversation()
            .conversation("JYnJBY")
            .send()
            .await;
        let failure = api_error(result);
        assert_eq!((failure.provider, failure.status), ("textus", status));
        assert_eq!(failure.message, Some(format!("failure {status}")));
        assert_eq!(failure.body_json(), body);
    }
}

/// TextUs documents no error body: one that is not JSON is kept as sent.
#[tokio::test]
async fn error_bodies_that_are_not_json_are_kept() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(404).set_body_string("<html>Not Found</html>"),
        )
        .mount(&server)
        .await;
    let failure = api_error(
        client(&server)
            .read_conversation()
            .conversation("JYnJBY")
            .send()
            .await,
    );
    assert_eq!(
        (failure.status, failure.message, failure.body.as_str()),
        (404, None, "<html>Not Found</html>")
    );
}

#[tokio::test]
async fn rate_limiting_is_reported_with_retry_after() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(429)
                .insert_header("retry-after", "30")
                .set_body_json(json!({})),
        )
        .mount(&server)
        .await;
    let result = client(&server)
        .read_conversation()
        .conversation("JYnJBY")
        .send()
        .await;
    let error = result.unwrap_err();
    assert!(
        matches!(error, inbox_bindings::Error::RateLimited { provider: inbox_bindings::Provider::Textus, retry_after: Some(wait) , .. } if wait.as_secs() == 30),
        "{error:?}"
    );
}
