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
