//! What holds for every generated client, whatever the provider.

/// `with_config` builds a TLS-capable reqwest client (the rustls crypto
/// provider is compiled in: a missing one panics at this point) for the
/// spec's first server.
#[test]
fn clients_default_to_the_specs_production_server() {
    use inbox_bindings::ClientConfig;
    let partoo = inbox_bindings::partoo::Client::with_config(ClientConfig::new("k")).unwrap();
    assert_eq!(partoo.base_url(), "https://api.partoo.co/v2");
    let quo = inbox_bindings::quo::Client::with_config(ClientConfig::new("k")).unwrap();
    assert_eq!(quo.base_url(), "https://api.quo.com");
    let textus = inbox_bindings::textus::Client::with_config(ClientConfig::new("k")).unwrap();
    assert_eq!(textus.base_url(), "https://next.textus.com");
}

#[test]
fn comma_separated_lists_refuse_values_that_would_split_wrongly() {
    use inbox_bindings::{CommaSeparated, CommaSeparatedError};
    let error = CommaSeparated::<String>::try_from(["ok", "a,b"]).unwrap_err();
    assert_eq!(error, CommaSeparatedError::InvalidItem("a,b".into()));
    assert_eq!(
        error.to_string(),
        "item \"a,b\" is empty or contains a comma"
    );
}

/// Every bounded parameter of every generated client, at min−1, min, max and
/// max+1: literals compile, in-range values are sent, out-of-range ones
/// (zero included) get one message naming the parameter and its range, and
/// nothing is sent for them.
#[tokio::test]
async fn every_bounded_parameter_at_its_edges() {
    use inbox_bindings::{partoo, Error};
    let server = crate::support::server_answering(
        200,
        serde_json::json!({"conversations": [], "data": [], "totalItems": 0, "next_cursor": null, "nextPageToken": null}),
    )
    .await;
    let partoo = &partoo::Client::with_config(crate::support::loopback(&server, "k")).unwrap();
    let quo_list =
        &crate::pagination::quo_list::Client::with_config(crate::support::loopback(&server, "k"))
            .unwrap();
    // (parameter, minimum, maximum, send with the value)
    type Send<'c> = Box<dyn Fn(u64) -> futures_util::future::BoxFuture<'c, Result<(), Error>> + 'c>;
    let cases: Vec<(&str, u64, u64, Send<'_>)> = vec![
        (
            "per_page",
            1,
            100,
            Box::new(|value| {
                Box::pin(async move {
                    partoo
                        .list_conversations()
                        .per_page(value)
                        .send()
                        .await
                        .map(drop)
                })
            }),
        ),
        (
            "max_results",
            1,
            100,
            Box::new(|value| {
                Box::pin(async move {
                    quo_list
                        .list_conversations_v1()
                        .max_results(value)
                        .send()
                        .await
                        .map(drop)
                })
            }),
        ),
    ];
    let mut sent = 0;
    for (parameter, minimum, maximum, send) in &cases {
        for value in [*minimum - 1, *minimum, *maximum, *maximum + 1] {
            let outcome = send(value).await;
            if (*minimum..=*maximum).contains(&value) {
                outcome.unwrap_or_else(|e| panic!("{parameter} = {value}: {e}"));
                sent += 1;
            } else {
                match outcome {
                    Err(Error::InvalidInput {
                        parameter: Some(named),
                        reason,
                        ..
                    }) => {
                        assert_eq!(named, *parameter);
                        assert_eq!(
                            reason,
                            format!("must be within {minimum}..={maximum}, not {value}")
                        );
                    }
                    other => panic!("{parameter} = {value}: {other:?}"),
                }
            }
        }
    }
    assert_eq!(server.received_requests().await.unwrap().len(), sent);
    // Literal integers compile as they are.
    let _ = partoo.list_conversations().per_page(100);
}

/// Each provider's error body is reachable as its generated type from
/// `Error`, with the request id and the headers that came with it.
#[tokio::test]
async fn an_api_error_per_provider_keeps_its_typed_body_and_request_id() {
    use inbox_bindings::{partoo, quo, textus, Error};
    use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
    async fn failing(status: u16, body: serde_json::Value, request_id: &str) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-request-id", request_id)
                    .insert_header("x-ratelimit-remaining", "41")
                    .insert_header("set-cookie", "session=secret")
                    .set_body_json(body),
            )
            .mount(&server)
            .await;
        server
    }
    let config = |server: &MockServer| crate::support::loopback(server, "k");

    let server = failing(
        403,
        serde_json::json!({"errors": {"authorization": "not your business"}}),
        "pt-1",
    )
    .await;
    let error = partoo::Client::with_config(config(&server))
        .unwrap()
        .list_conversations()
        .send()
        .await
        .unwrap_err();
    let body: &partoo::types::ApiError = error.api_body().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(
        body.errors.as_ref().unwrap().authorization.as_deref(),
        Some("not your business")
    );
    assert_eq!(error.request_id().as_deref(), Some("pt-1"));
    assert!(error.to_string().contains("[request id pt-1]"), "{error}");
    let Error::Api { headers, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(headers["x-ratelimit-remaining"], "41");
    assert!(headers.get("set-cookie").is_none(), "cookies are not kept");

    let server = failing(
        400,
        serde_json::json!({"message": "Invalid", "code": "0400400", "status": 400, "docs": "https://quo.com/docs",
                           "title": "Bad Request",
                           "errors": [{"path": "/phoneNumberId", "message": "Expected string", "value": 3,
                                       "schema": {"type": "string"}}]}),
        "quo-7",
    )
    .await;
    let error = quo::Client::with_config(config(&server))
        .unwrap()
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    let body: &quo::types::ApiError = error.api_body().expect("Quo's body");
    assert_eq!(body.errors[0].path, "/phoneNumberId");
    assert_eq!(body.errors[0].message, "Expected string");
    assert_eq!(error.request_id().as_deref(), Some("quo-7"));
    assert!(
        error.api_body::<partoo::types::ApiError>().is_none(),
        "typed: another provider's type is not it"
    );

    let server = failing(
        422,
        serde_json::json!({"error": "slug is archived"}),
        "tx-3",
    )
    .await;
    let error = textus::Client::with_config(config(&server))
        .unwrap()
        .read_conversation()
        .conversation("abc")
        .send()
        .await
        .unwrap_err();
    let body: &textus::types::ApiError = error.api_body().expect("TextUs's body");
    assert_eq!(body["error"], "slug is archived");
    assert_eq!(error.request_id().as_deref(), Some("tx-3"));
    let Error::Api { message, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(message.as_deref(), Some("slug is archived"));
}
