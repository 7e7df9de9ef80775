//! Every request and response shape the emitter writes a `send()` for
//! (`tests/specs/send_shapes.yaml`), called on loopback: a JSON body and
//! none; path, query (a list repeated, a boolean) and header parameters,
//! set and unset; 200, 201, 202 and 204; and what each refuses before
//! anything is sent.

use inbox_bindings::Error;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::loopback;

#[allow(clippy::all, unused, deprecated)]
mod spec {
    include!("../generated/send_shapes.rs");
}

#[tokio::test]
async fn every_shape_reaches_the_wire_and_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/notes"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": 1, "text": "hi", "tags": ["a"]}])),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/notes"))
        .and(header("idempotency-key", "k-1"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"text": "new", "urgent": true})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 2, "text": "new"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/notes/2"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/notes/2/export"))
        .and(query_param("format", "pdf"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"jobId": "j"})))
        .mount(&server)
        .await;
    let client = spec::Client::with_config(loopback(&server, "token")).unwrap();

    // 200, a list body; query parameters unset, then set.
    let notes = client.find_notes().send().await.unwrap();
    assert_eq!(notes.http_status(), 200);
    assert_eq!(notes[0].tags, ["a"]);
    client
        .find_notes()
        .tag(vec!["a".to_string(), "b c".to_string()])
        .archived(false)
        .x_request_tag("trace-1")
        .send()
        .await
        .unwrap();
    // 201, a JSON body and a required header.
    let created = client
        .create_note()
        .idempotency_key("k-1")
        .body(spec::types::NewNote {
            text: "new".into(),
            urgent: Some(true),
        })
        .send()
        .await
        .unwrap();
    assert_eq!((created.http_status().as_u16(), created.id), (201, 2));
    // 204, no body either way: `Response<()>`.
    let deleted = client.delete_note().note_id(2).send().await.unwrap();
    assert_eq!(deleted.http_status(), 204);
    let () = deleted.into_body();
    // 202, a path and a required query parameter.
    let job = client
        .export_note()
        .note_id(2)
        .format("pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (job.http_status().as_u16(), job.job_id.as_str()),
        (202, "j")
    );

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 5);
    assert_eq!(requests[0].url.query(), None, "nothing unset is sent");
    assert!(!requests[0].headers.contains_key("x-request-tag"));
    assert_eq!(
        requests[1].url.query(),
        Some("tag=a&tag=b+c&archived=false"),
        "a list repeats its key"
    );
    assert_eq!(requests[1].headers["x-request-tag"], "trace-1");
    for request in &requests {
        assert_eq!(request.headers["authorization"], "Bearer token");
        assert_eq!(request.headers["accept"], "application/json");
    }
    assert!(requests[3].body.is_empty(), "a DELETE without a body");
}

#[tokio::test]
async fn what_cannot_be_sent_is_refused_by_name_before_sending() {
    let server = MockServer::start().await;
    let client = spec::Client::with_config(loopback(&server, "token")).unwrap();
    let refused = |result: Result<_, Error>, parameter: &str| match result {
        Err(Error::InvalidInput {
            parameter: said,
            reason,
            ..
        }) => {
            assert_eq!(said.as_deref(), Some(parameter), "{reason}")
        }
        other => panic!("{parameter}: expected InvalidInput, got {other:?}"),
    };
    refused(client.delete_note().send().await.map(drop), "note_id");
    refused(
        client.delete_note().note_id(0).send().await.map(drop),
        "note_id",
    );
    refused(
        client
            .create_note()
            .body(spec::types::NewNote {
                text: "x".into(),
                urgent: None,
            })
            .send()
            .await
            .map(drop),
        "idempotency_key",
    );
    refused(
        client
            .create_note()
            .idempotency_key("k")
            .send()
            .await
            .map(drop),
        "body",
    );
    refused(
        client
            .create_note()
            .idempotency_key("line\nbreak")
            .body(spec::types::NewNote {
                text: "x".into(),
                urgent: None,
            })
            .send()
            .await
            .map(drop),
        "idempotency_key",
    );
    refused(
        client.export_note().note_id(1).send().await.map(drop),
        "format",
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Two operations sharing one IRI path parameter share its type: either
/// takes the slug or the IRI, both send the slug, and anything else is
/// refused before sending.
#[tokio::test]
async fn a_shared_iri_parameter_is_one_type_for_every_operation() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/conversations/abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"jobId": "j"})))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/conversations/abc/read"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = spec::Client::with_config(loopback(&server, "token")).unwrap();
    let slug: spec::types::ConversationSlug = "/conversations/abc".parse().unwrap();
    assert_eq!(slug.as_str(), "abc");
    client
        .get_conversation()
        .conversation(slug.clone())
        .send()
        .await
        .unwrap();
    client
        .get_conversation()
        .conversation("abc")
        .send()
        .await
        .unwrap();
    client
        .read_conversation()
        .conversation(slug)
        .send()
        .await
        .unwrap();
    let refused = client
        .read_conversation()
        .conversation("/contacts/abc")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::InvalidInput { parameter: Some(p), .. } if p == "conversation"),
        "{refused:?}"
    );
}
