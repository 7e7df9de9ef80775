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
