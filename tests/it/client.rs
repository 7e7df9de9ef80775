//! What holds for every generated client, whatever the provider.

/// `Client::new` builds a TLS-capable reqwest client: the rustls crypto
/// provider is compiled in (a missing one panics at this point).
#[test]
fn clients_build_for_https_base_urls() {
    use inbox_bindings::partoo::ClientInfo as _;
    let partoo = inbox_bindings::partoo::Client::new("https://api.partoo.co/v2");
    assert_eq!(partoo.baseurl(), "https://api.partoo.co/v2");
    let quo = inbox_bindings::quo::Client::new("https://api.quo.com");
    assert_eq!(quo.baseurl(), "https://api.quo.com");
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
