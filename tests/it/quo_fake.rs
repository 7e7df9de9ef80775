//! The fake Quo answers every operation of the vendored v1 document: each is
//! called here through the generated client (so every answer decodes as the
//! document says), state carries from one call to the next, bad input gets
//! Quo's answer, and a last check reads the document's operations and fails
//! for any the calls above did not reach.

use inbox_bindings::fake::quo::FakeQuo;
use serde_json::{json, Value};

fn status<T: std::fmt::Debug>(result: Result<T, inbox_bindings::Error>) -> Option<u16> {
    result.unwrap_err().status().map(|s| s.as_u16())
}

fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a body of the document's shape")
}

/// Whether `path` is an instance of the document's path `template`.
fn instance_of(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

#[test]
fn instance_of_matches_templates_only() {
    assert!(instance_of("/v1/tasks/{taskId}", "/v1/tasks/TK1"));
    assert!(!instance_of("/v1/tasks/{taskId}", "/v1/tasks"));
    assert!(!instance_of("/v1/tasks/{taskId}", "/v1/tasks/TK1/complete"));
    assert!(!instance_of("/v1/calls", "/v1/tasks"));
}

#[tokio::test]
async fn the_fake_answers_every_operation_of_the_document() {
    let fake = FakeQuo::builder()
        .conversations(2)
        .phone_numbers(1)
        .user("alice", "key-a")
        .user("bob", "key-b")
        .outsider("eve", "key-e")
        .start()
        .await;
    let client = fake.client("alice");
    let conversation = fake.conversation(&fake.conversation_ids()[0]).unwrap();
    let cn = conversation.id.clone();
    let pn = conversation.phone_number_id.clone();
    let participant = conversation.participants[0].clone();

    // Conversations: listed, read, done, open.
    let listed = client
        .list_conversations_v1()
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.data.len(), 2);
    client
        .mark_conversation_as_read_v1()
        .conversation_id(cn.as_str())
        .send()
        .await
        .unwrap();
    assert!(fake.is_read("alice", &cn));
    let done = client
        .mark_conversation_as_done_v1()
        .conversation_id(cn.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(done.id, cn);
    assert!(fake.is_done(&cn));
    client
        .mark_conversation_as_open_v1()
        .conversation_id(cn.as_str())
        .send()
        .await
        .unwrap();
    assert!(!fake.is_done(&cn));
    let refused = client
        .mark_conversation_as_done_v1()
        .conversation_id("CN404")
        .send()
        .await;
    assert_eq!(status(refused), Some(404));
    let outsider = fake
        .client("eve")
        .mark_conversation_as_open_v1()
        .conversation_id(cn.as_str())
        .send()
        .await;
    assert_eq!(status(outsider), Some(403));

    // Messages: sent, listed, read by id.
    let sent = client
        .send_message_v1()
        .body(body::<inbox_bindings::quo::types::SendMessageV1Body>(
            json!({"content": "Hello", "from": pn, "to": [participant]}),
        ))
        .send()
        .await
        .unwrap();
    let message_id = sent.data.id.clone();
    let messages = client
        .list_messages_v1()
        .phone_number_id(pn.as_str())
        .participants(vec![participant
            .parse::<inbox_bindings::quo::types::ListMessagesV1ParticipantsItem>()
            .unwrap()])
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(messages.data.len(), 1);
    let message = client
        .get_message_by_id_v1()
        .id(message_id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(message.data.text, "Hello");
    assert_eq!(
        status(client.get_message_by_id_v1().id("AC404").send().await),
        Some(404)
    );

    // The workspace: users, phone numbers, custom fields.
    let users = client.list_users_v1().max_results(10).send().await.unwrap();
    let ids: Vec<&str> = users.data.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["USalice", "USbob", "USeve"]);
    let bob = client
        .get_user_by_id_v1()
        .user_id("USbob")
        .send()
        .await
        .unwrap();
    assert_eq!(bob.data.email, "bob@fake-quo.example");
    assert_eq!(
        status(client.get_user_by_id_v1().user_id("USnobody").send().await),
        Some(404)
    );
    let numbers = client.list_phone_numbers_v1().send().await.unwrap();
    assert_eq!(numbers.data.len(), 1);
    assert_eq!(numbers.data[0].id, pn);
    let on_it: Vec<&str> = numbers.data[0]
        .users
        .iter()
        .map(|u| u.id.as_str())
        .collect();
    assert_eq!(on_it, ["USalice", "USbob"], "the outsider is on no number");
    let eves = client
        .list_phone_numbers_v1()
        .user_id("USeve")
        .send()
        .await
        .unwrap();
    assert!(eves.data.is_empty());
    let number = client
        .get_phone_number_by_id_v1()
        .phone_number_id(pn.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(number.data.number, "+15550000001");
    let fields = client.get_contact_custom_fields_v1().send().await.unwrap();
    assert!(fields.data.iter().any(|f| f.key == "plan"));

    // Contacts: created, listed, read, updated, deleted.
    let created = client
        .create_contact_v1()
        .body(body::<inbox_bindings::quo::types::CreateContactV1Body>(
            json!({"defaultFields": {"firstName": "Ada", "company": "Engines"}}),
        ))
        .send()
        .await
        .unwrap();
    let contact = created.data.id.clone();
    let updated = client
        .update_contact_by_id_v1()
        .id(contact.as_str())
        .body(body::<inbox_bindings::quo::types::UpdateContactByIdV1Body>(
            json!({"defaultFields": {"lastName": "Lovelace"}}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            updated.data.default_fields.first_name.as_deref(),
            updated.data.default_fields.last_name.as_deref(),
            updated.data.default_fields.company.as_deref()
        ),
        (Some("Ada"), Some("Lovelace"), Some("Engines")),
        "fields left out are kept"
    );
    let read = client
        .get_contact_by_id_v1()
        .id(contact.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.data.default_fields.last_name.as_deref(),
        Some("Lovelace")
    );
    assert_eq!(
        client
            .list_contacts_v1()
            .max_results(10)
            .send()
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    let missing = client
        .update_contact_by_id_v1()
        .id("CT404")
        .body(body::<inbox_bindings::quo::types::UpdateContactByIdV1Body>(
            json!({}),
        ))
        .send()
        .await;
    assert_eq!(status(missing), Some(404));
    client
        .delete_contact_v1()
        .id(contact.as_str())
        .send()
        .await
        .unwrap();

    // Calls the test placed, and their parts.
    let answered = fake.answered_call(&cn, &["Is it ready?", "It is.", "Thanks!"]);
    let missed = fake.missed_call(&cn, "Call me back please");
    let calls = client
        .list_calls_v1()
        .phone_number_id(pn.as_str())
        .participants(vec![participant
            .parse::<inbox_bindings::quo::types::ListCallsV1ParticipantsItem>()
            .unwrap()])
        .max_results(10)
        .send()
        .await
        .unwrap();
    let listed_calls: Vec<&str> = calls.data.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(listed_calls, [answered.as_str(), missed.as_str()]);
    let call = client
        .get_call_by_id_v1()
        .call_id(answered.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (call.data.duration, call.data.answered_by.as_deref()),
        (30, Some("USalice"))
    );
    let recordings = client
        .get_call_recordings_v1()
        .call_id(answered.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(recordings.data.len(), 1);
    let summary = client
        .get_call_summary_v1()
        .call_id(answered.as_str())
        .send()
        .await
        .unwrap();
    assert!(summary.data.summary.is_some());
    let transcript = client
        .get_call_transcript_v1()
        .id(answered.as_str())
        .send()
        .await
        .unwrap();
    let lines: Vec<&str> = transcript
        .data
        .dialogue
        .as_deref()
        .unwrap()
        .iter()
        .map(|l| l.content.as_str())
        .collect();
    assert_eq!(lines, ["Is it ready?", "It is.", "Thanks!"]);
    let voicemail = client
        .get_call_voicemails_v1()
        .call_id(missed.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        voicemail.data.transcript.as_deref(),
        Some("Call me back please")
    );
    assert_eq!(
        status(
            client
                .get_call_voicemails_v1()
                .call_id(answered.as_str())
                .send()
                .await
        ),
        Some(404)
    );
    let nothing = client
        .get_call_recordings_v1()
        .call_id(missed.as_str())
        .send()
        .await
        .unwrap();
    assert!(nothing.data.is_empty());

    // Tasks: every action, each moving the revision.
    let task = client
        .create_task_v1()
        .body(body::<inbox_bindings::quo::types::CreateTaskV1Body>(
            json!({
                "title": "Call back", "description": "About the order", "conversationId": cn
            }),
        ))
        .send()
        .await
        .unwrap();
    let task_id = task.data.task_id.clone();
    assert_eq!(task.data.revision, "1");
    let edited = client
        .update_task_v1()
        .task_id(task_id.as_str())
        .body(body::<inbox_bindings::quo::types::UpdateTaskV1Body>(
            json!({"title": "Call back today", "description": "About the order"}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        edited.data.revision, "2",
        "an action answers the id and revision"
    );
    let read = client
        .get_task_by_id_v1()
        .task_id(task_id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(read.data.title.as_deref(), Some("Call back today"));
    let id = task_id.as_str();
    client.complete_task_v1().task_id(id).send().await.unwrap();
    client.reopen_task_v1().task_id(id).send().await.unwrap();
    client
        .assign_task_v1()
        .task_id(id)
        .body(body::<inbox_bindings::quo::types::AssignTaskV1Body>(
            json!({"userId": "USbob"}),
        ))
        .send()
        .await
        .unwrap();
    client
        .unassign_task_v1()
        .task_id(id)
        .body(body::<inbox_bindings::quo::types::UnassignTaskV1Body>(
            json!({"userId": "USbob"}),
        ))
        .send()
        .await
        .unwrap();
    client
        .unlink_task_from_conversation_v1()
        .task_id(id)
        .body(body::<
            inbox_bindings::quo::types::UnlinkTaskFromConversationV1Body,
        >(json!({"conversationId": cn})))
        .send()
        .await
        .unwrap();
    client
        .link_task_to_conversation_v1()
        .task_id(id)
        .body(body::<
            inbox_bindings::quo::types::LinkTaskToConversationV1Body,
        >(json!({"conversationId": cn})))
        .send()
        .await
        .unwrap();
    client
        .change_task_due_date_v1()
        .task_id(id)
        .body(body::<inbox_bindings::quo::types::ChangeTaskDueDateV1Body>(
            json!({"dueDate": "2026-12-24T09:00:00Z"}),
        ))
        .send()
        .await
        .unwrap();
    let due = client.get_task_by_id_v1().task_id(id).send().await.unwrap();
    assert_eq!(
        (
            due.data.completed,
            due.data.assigned_to.as_deref(),
            due.data.conversation_id.as_deref(),
            due.data.revision.as_str()
        ),
        (false, None, Some(cn.as_str()), "9")
    );
    assert!(due.data.due_date.is_some());
    client
        .remove_task_due_date_v1()
        .task_id(id)
        .send()
        .await
        .unwrap();
    let cleared = client.get_task_by_id_v1().task_id(id).send().await.unwrap();
    assert!(cleared.data.due_date.is_none());
    assert_eq!(
        client
            .list_tasks_v1()
            .max_results(10)
            .send()
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    // Bad input gets Quo's answers, and changes nothing.
    let unknown_user = client
        .assign_task_v1()
        .task_id(id)
        .body(body::<inbox_bindings::quo::types::AssignTaskV1Body>(
            json!({"userId": "USnobody"}),
        ))
        .send()
        .await;
    assert_eq!(status(unknown_user), Some(404));
    let not_assigned = client
        .unassign_task_v1()
        .task_id(id)
        .body(body::<inbox_bindings::quo::types::UnassignTaskV1Body>(
            json!({"userId": "USbob"}),
        ))
        .send()
        .await;
    assert_eq!(status(not_assigned), Some(400));
    let two_links = client
        .create_task_v1()
        .body(body::<inbox_bindings::quo::types::CreateTaskV1Body>(
            json!({
                "title": "t", "description": "d", "phoneNumberId": pn
            }),
        ))
        .send()
        .await
        .unwrap();
    client
        .delete_task_v1()
        .task_id(two_links.data.task_id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .get_task_by_id_v1()
            .task_id(id)
            .send()
            .await
            .unwrap()
            .data
            .revision,
        "10"
    );
    client.delete_task_v1().task_id(id).send().await.unwrap();
    assert_eq!(
        status(client.get_task_by_id_v1().task_id(id).send().await),
        Some(404)
    );

    // Webhook subscriptions of each kind.
    for (kind, event) in [
        ("messages", "message.received"),
        ("calls", "call.completed"),
        ("call-summaries", "call.summary.completed"),
        ("call-transcripts", "call.transcript.completed"),
    ] {
        let request =
            json!({"url": format!("https://hooks.example.test/{kind}"), "events": [event]});
        let id = match kind {
            "messages" => client
                .create_message_webhook_v1()
                .body(body::<inbox_bindings::quo::types::CreateMessageWebhookV1Body>(request))
                .send()
                .await
                .unwrap()
                .data
                .id
                .to_string(),
            "calls" => client
                .create_call_webhook_v1()
                .body(body::<inbox_bindings::quo::types::CreateCallWebhookV1Body>(
                    request,
                ))
                .send()
                .await
                .unwrap()
                .data
                .id
                .to_string(),
            "call-summaries" => client
                .create_call_summary_webhook_v1()
                .body(body::<
                    inbox_bindings::quo::types::CreateCallSummaryWebhookV1Body,
                >(request))
                .send()
                .await
                .unwrap()
                .data
                .id
                .to_string(),
            _ => client
                .create_call_transcript_webhook_v1()
                .body(body::<
                    inbox_bindings::quo::types::CreateCallTranscriptWebhookV1Body,
                >(request))
                .send()
                .await
                .unwrap()
                .data
                .id
                .to_string(),
        };
        client
            .get_webhook_by_id_v1()
            .id(id.as_str())
            .send()
            .await
            .unwrap();
        client
            .delete_webhook_by_id_v1()
            .id(id.as_str())
            .send()
            .await
            .unwrap();
    }
    assert!(client
        .list_webhooks_v1()
        .send()
        .await
        .unwrap()
        .data
        .is_empty());

    // Every operation of the document was called above.
    let document: Value = serde_json::from_str(include_str!("../../openapi/quo.json")).unwrap();
    let requests = fake.requests();
    let mut unreached = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let reached = requests
                .iter()
                .any(|r| r.method.eq_ignore_ascii_case(method) && instance_of(template, &r.path));
            if !reached {
                unreached.push(id.to_string());
            }
        }
    }
    assert!(
        unreached.is_empty(),
        "operations this test never called: {unreached:?}"
    );
    let operations = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter(|operation| operation.get("operationId").is_some())
        .count();
    assert_eq!(operations, 43, "the check above read every operation");
}
