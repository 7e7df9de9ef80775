//! The names the emitter gives what it writes (client methods, builders,
//! setters, builder fields) and the name hints it gives typify, by the
//! rules progenitor used (heck's cases, unicode-ident's identifier classes,
//! typify's keyword check), so the surface keeps the names it had. Type
//! names are never made here: they come from the type space's ids. A leaf:
//! it imports no stage.

use heck::{ToPascalCase, ToSnakeCase};
use unicode_ident::{is_xid_continue, is_xid_start};

/// The two cases generated names take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Types and builders: `MarkConversationAsReadV1`.
    Pascal,
    /// Methods, fields, setters: `mark_conversation_as_read_v1`.
    Snake,
}

/// progenitor's `sanitize` (and typify's): a name from the document as a
/// Rust identifier in `case`.
pub fn sanitize(input: &str, case: Case) -> String {
    let to_case = match case {
        Case::Pascal => str::to_pascal_case,
        Case::Snake => str::to_snake_case,
    };
    let out = match input {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => to_case(
            &input
                .replace('\'', "")
                .replace(|c: char| !is_xid_continue(c), "-"),
        ),
    };
    let out = match out.chars().next() {
        None => to_case("x"),
        Some(c) if is_xid_start(c) => out,
        Some(_) => format!("_{out}"),
    };
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

/// `snake_case`, as progenitor names methods, builder fields and setters.
pub fn snake(name: &str) -> String {
    sanitize(name, Case::Snake)
}

/// `PascalCase`, as progenitor names builders and typify names types.
pub fn pascal(name: &str) -> String {
    sanitize(name, Case::Pascal)
}

/// The identifier of a parameter's builder field and setter.
pub fn field_ident(name: &str) -> syn::Ident {
    syn::parse_str(&snake(name)).expect("sanitize gives an identifier")
}

/// The client method of an operation (and the name the runtime traces).
pub fn operation_name(operation_id: &str) -> String {
    snake(operation_id)
}

/// The builder struct of an operation.
pub fn builder_name(operation_id: &str) -> String {
    pascal(operation_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_progenitor_and_typify_give_them() {
        for (name, snake_case, pascal_case) in [
            ("pageToken", "page_token", "PageToken"),
            ("maxResults", "max_results", "MaxResults"),
            ("per_page", "per_page", "PerPage"),
            ("business__in", "business_in", "BusinessIn"),
            ("HTTPServer", "http_server", "HttpServer"),
            (
                "markConversationAsRead_v1",
                "mark_conversation_as_read_v1",
                "MarkConversationAsReadV1",
            ),
            ("messaging_partner", "messaging_partner", "MessagingPartner"),
            ("Quo-Api-Version", "quo_api_version", "QuoApiVersion"),
            ("type", "type_", "Type"),
            ("403Results", "_403results", "_403results"),
            ("", "x", "X"),
            ("+1", "plus1", "plus1"),
        ] {
            assert_eq!(snake(name), snake_case, "{name}");
            assert_eq!(pascal(name), pascal_case, "{name}");
        }
        assert_eq!(field_ident("self").to_string(), "self_");
    }
}
