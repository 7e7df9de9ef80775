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

/// The example body of the Create Contact page, verbatim.
fn documented_contact() -> Value {
    serde_json::from_str(include_str!("data/textus-contact.json")).unwrap()
}

fn walker() -> types::ContactInput {
    serde_json::from_value(json!({
        "name": "Cordell Walker",
        "phones": [
            {"number": "1-720-333-1234", "type": "Mobile"},
            {"number": "1-303-123-4567 x2921", "type": "Work"}
        ],
        "data": {"businessName": "McDonalds", "tags": ["cashier"]}
    }))
    .unwrap()
}

#[tokio::test]
async fn creating_a_contact_sends_the_documented_body_and_decodes_its_answer() {
    let server = server_answering(200, documented_contact()).await;
    let contact = client(&server)
        .create_contact()
        .account("my_account")
        .body(walker())
        .send()
        .await
        .unwrap()
        .into_body();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/my_account/contacts");
    assert_eq!(header(&request, "content-type"), Some(MEDIA_TYPE));
    assert_eq!(
        body_json(&request),
        json!({
            "name": "Cordell Walker",
            "phones": [
                {"number": "1-720-333-1234", "type": "Mobile"},
                {"number": "1-303-123-4567 x2921", "type": "Work"}
            ],
            "data": {"businessName": "McDonalds", "tags": ["cashier"]}
        })
    );
    assert_eq!(contact.id.as_deref(), Some("/contacts/DQeeO69"));
    let phones = contact.phones.as_ref().unwrap();
    assert_eq!(phones.total_items, Some(3));
    assert_eq!(phones.members[1].extension.as_deref(), Some("2921"));
    assert_eq!(phones.members[0].extension, None);
    assert_eq!(
        contact.data["tags"],
        json!(["cashier", "burger flipper", "fry cook"])
    );
    assert_eq!(
        contact.created_at.as_ref().and_then(|t| t.to_utc()),
        Some("2020-01-06T21:49:58.312Z".parse().unwrap())
    );
    // Kept as received: the notes collection's shape is not documented.
    assert_eq!(contact.notes.as_ref().unwrap()["totalItems"], 0);
}

#[tokio::test]
async fn a_contact_is_read_and_updated_by_slug_or_iri() {
    let server = server_answering(200, documented_contact()).await;
    let client = client(&server);
    client
        .get_contact()
        .contact("/contacts/DQeeO69")
        .send()
        .await
        .unwrap();
    client
        .update_contact()
        .contact("DQeeO69")
        .body(walker())
        .send()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let sent: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.url.path().to_string()))
        .collect();
    assert_eq!(
        sent,
        [
            ("GET".to_string(), "/contacts/DQeeO69".to_string()),
            ("PUT".to_string(), "/contacts/DQeeO69".to_string())
        ]
    );
    // A conversation's IRI is not a contact's: refused before sending.
    let refused = client
        .get_contact()
        .contact("/conversations/DQeeO69")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, inbox_bindings::Error::InvalidInput { .. }),
        "{refused:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_fake_stores_contacts() {
    use inbox_bindings::fake::textus::{FakeTextus, ACCOUNT};
    let fake = FakeTextus::builder()
        .conversations(1)
        .user("alice", "t-alice")
        .outsider("eve", "t-eve")
        .start()
        .await;
    let client = fake.client("alice");
    let created = client
        .create_contact()
        .account(ACCOUNT)
        .body(walker())
        .send()
        .await
        .unwrap()
        .into_body();
    let iri = created.id.clone().unwrap();
    let phones = &created.phones.as_ref().unwrap().members;
    let numbers: Vec<_> = phones
        .iter()
        .map(|p| (p.phone_number.clone().unwrap(), p.extension.clone()))
        .collect();
    assert_eq!(
        numbers,
        [
            ("+17203331234".to_string(), None),
            ("+13031234567".to_string(), Some("2921".to_string()))
        ]
    );
    assert_eq!(
        (created.first_name.as_deref(), created.last_name.as_deref()),
        (Some("Cordell"), Some("Walker"))
    );

    let listed = client
        .list_contacts()
        .account(ACCOUNT)
        .send()
        .await
        .unwrap()
        .into_body();
    assert_eq!(listed.members, vec![created.clone()]);

    let renamed: types::ContactInput =
        serde_json::from_value(json!({"name": "Walker Texas Ranger"})).unwrap();
    let updated = client
        .update_contact()
        .contact(iri.as_str())
        .body(renamed)
        .send()
        .await
        .unwrap()
        .into_body();
    assert_eq!(updated.name.as_deref(), Some("Walker Texas Ranger"));
    assert_eq!(updated.phones, created.phones, "numbers left out are kept");
    let read = client
        .get_contact()
        .contact(iri.as_str())
        .send()
        .await
        .unwrap()
        .into_body();
    assert_eq!(read, updated);

    // Bad input gets TextUs's answers, nothing stored.
    let bad: types::ContactInput =
        serde_json::from_value(json!({"name": "X", "phones": [{"number": "12"}]})).unwrap();
    let refused = api_error(
        client
            .create_contact()
            .account(ACCOUNT)
            .body(bad)
            .send()
            .await,
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("is not a phone number"),
        "{}",
        refused.body
    );
    let missing = api_error(client.get_contact().contact("nobody").send().await);
    assert_eq!(missing.status, 404);
    let outsider = api_error(
        fake.client("eve")
            .get_contact()
            .contact(iri.as_str())
            .send()
            .await,
    );
    assert_eq!(outsider.status, 403);
    let after = client
        .list_contacts()
        .account(ACCOUNT)
        .send()
        .await
        .unwrap()
        .into_body();
    assert_eq!(after.members.len(), 1);
}
