use super::*;
use crate::config::Overrides;
use crate::plan::Plan;
use serde_json::json;

fn overrides() -> Overrides {
    crate::config::ApiConfig::ad_hoc("t", "t.json").overrides
}

/// The rules as production runs them (`plan::build`), on `doc`, which
/// becomes the document the types are made from.
fn apply(doc: &mut Value, overrides: &Overrides, report: &mut Report) -> anyhow::Result<Plan> {
    let mut config = crate::config::ApiConfig::ad_hoc("t", "t.json");
    config.overrides = overrides.clone();
    let planned = crate::plan::build("t", &config, doc.clone())?;
    *doc = planned.document;
    *report = planned.report;
    Ok(planned.plan)
}

fn apply_to(mut doc: Value) -> (Value, Report, Plan) {
    let mut report = Report::default();
    let plan = apply(&mut doc, &overrides(), &mut report).unwrap();
    (doc, report, plan)
}

fn with_operation(operation: Value, schemas: Value) -> Value {
    json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "paths": {"/x": {"post": operation}},
           "components": {"schemas": schemas}})
}

fn body(schema: Value) -> Value {
    json!({"description": "d", "content": {"application/json": {"schema": schema}}})
}

#[test]
fn error_bodies_share_one_component_with_the_union_of_fields() {
    let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": {"operationId": "op", "responses": {
            "200": body(json!({"type": "object", "properties": {"status": {"type": "string"}}})),
            "401": {"$ref": "#/components/responses/401"},
            "403": {"$ref": "#/components/responses/403"}}}}},
        "components": {"responses": {
            "401": body(json!({"type": "object", "properties": {"errors": {"type": "object",
                "properties": {"authentication": {"type": "string", "default": "User not authenticated"}}}}})),
            "403": body(json!({"type": "object", "properties": {"errors": {"type": "object",
                "properties": {"authorization": {"type": "string"}}}}}))}}});
    let (doc, report, _) = apply_to(doc);
    let error = &doc["components"]["schemas"]["ApiError"];
    assert_eq!(
        error["properties"]["errors"]["properties"],
        json!({"authentication": {"type": "string"}, "authorization": {"type": "string"}})
    );
    for status in ["401", "403"] {
        assert_eq!(
            doc["components"]["responses"][status]["content"]["application/json"]["schema"],
            json!({"$ref": "#/components/schemas/ApiError"})
        );
    }
    // The success body stays inline and untouched.
    assert!(doc
        .pointer("/paths/~1x/post/responses/200/content/application~1json/schema/properties")
        .is_some());
    assert_eq!(report.count(crate::report::Rule::UnifyErrorBodies), 2);
}

#[test]
fn error_union_requires_only_what_every_body_has_and_drops_constants() {
    let quo_error = |code: &str, extra: bool| {
        let mut schema = json!({"type": "object", "required": ["message", "code"],
            "properties": {"message": {"type": "string"}, "code": {"type": "string", "enum": [code]}}});
        if extra {
            schema["required"]
                .as_array_mut()
                .unwrap()
                .push(json!("description"));
            schema["properties"]["description"] =
                json!({"type": "string", "enum": ["Not Phone Number User"]});
        }
        body(schema)
    };
    let doc = with_operation(
        json!({"operationId": "op", "responses": {
            "200": body(json!({"type": "object"})),
            "400": quo_error("1000400", false), "403": quo_error("1001403", true), "404": {"description": "none"}}}),
        json!({}),
    );
    let (doc, report, _) = apply_to(doc);
    let error = &doc["components"]["schemas"]["ApiError"];
    assert_eq!(error["required"], json!(["message", "code"]));
    assert_eq!(error["properties"]["code"], json!({"type": "string"}));
    assert_eq!(
        error["properties"]["description"],
        json!({"type": "string"})
    );
    // A bodiless 404 beside bodies would give the operation two error types.
    assert!(doc.pointer("/paths/~1x/post/responses/404").is_none());
    assert_eq!(
        report.count(crate::report::Rule::DropBodilessErrorResponse),
        1
    );
}

#[test]
fn error_schema_name_clash_is_an_error() {
    let mut doc = with_operation(
        json!({"operationId": "op", "responses": {"400": body(json!({"type": "object"}))}}),
        json!({"ApiError": {"type": "string"}}),
    );
    let message = format!(
        "{:#}",
        apply(&mut doc, &overrides(), &mut Report::default()).unwrap_err()
    );
    assert!(message.contains("overrides.error_schema"), "{message}");
}

#[test]
fn received_schemas_are_relaxed_and_sent_ones_stay_strict() {
    let doc = with_operation(
        json!({"operationId": "op",
            "parameters": [{"name": "id", "in": "query", "required": true,
                            "schema": {"type": "string", "pattern": "^CN(.*)$"}}],
            "responses": {"200": body(json!({"type": "object", "additionalProperties": false,
                "properties": {"id": {"type": "string", "pattern": "^CN(.*)$"},
                               "item": {"$ref": "#/components/schemas/Item"}}}))}}),
        json!({"Item": {"type": "object", "properties": {"n": {"type": "integer", "default": 3, "maximum": 9}}}}),
    );
    let (doc, report, _) = apply_to(doc);
    assert_eq!(
        doc.pointer("/paths/~1x/post/parameters/0/schema/pattern"),
        Some(&json!("^CN(.*)$"))
    );
    let received = doc
        .pointer("/paths/~1x/post/responses/200/content/application~1json/schema")
        .unwrap();
    assert_eq!(received.get("additionalProperties"), None);
    assert_eq!(received["properties"]["id"], json!({"type": "string"}));
    assert_eq!(
        doc["components"]["schemas"]["Item"]["properties"]["n"],
        json!({"type": "integer"})
    );
    assert!(report.count(crate::report::Rule::RelaxReceived) >= 3);
}

#[test]
fn shared_components_stay_strict_with_a_note() {
    let doc = with_operation(
        json!({"operationId": "op",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Id"}}}},
            "responses": {"200": body(json!({"$ref": "#/components/schemas/Id"}))}}),
        json!({"Id": {"type": "string", "pattern": "^A"}}),
    );
    let (doc, report, _) = apply_to(doc);
    assert_eq!(doc["components"]["schemas"]["Id"]["pattern"], "^A");
    assert!(
        report.notes.iter().any(|note| note.contains("`Id`")),
        "{:?}",
        report.notes
    );
}

#[test]
fn nullable_scalar_components_are_inlined() {
    let doc = with_operation(
        json!({"operationId": "op", "responses": {"200": body(json!({"type": "object", "properties": {
            "next_cursor": {"$ref": "#/components/schemas/NextCursor"}}}))}}),
        json!({"NextCursor": {"type": "string", "nullable": true, "description": "cursor"}}),
    );
    let (doc, report, _) = apply_to(doc);
    assert_eq!(
        doc.pointer(
            "/paths/~1x/post/responses/200/content/application~1json/schema/properties/next_cursor"
        ),
        Some(&json!({"type": "string", "nullable": true, "description": "cursor"}))
    );
    assert!(doc["components"]["schemas"].get("NextCursor").is_none());
    assert_eq!(report.count(crate::report::Rule::InlineNullableScalar), 1);
}

#[test]
fn indistinguishable_one_of_becomes_raw_json() {
    let doc = with_operation(
        json!({"operationId": "op", "responses": {"200": body(json!({"type": "object", "properties": {
            "content": {"oneOf": [
                {"$ref": "#/components/schemas/Text"}, {"$ref": "#/components/schemas/Image"},
                {"$ref": "#/components/schemas/Video"}, {"$ref": "#/components/schemas/Audio"}]}}}))}}),
        json!({"Text": {"type": "string"}, "Image": {"type": "string", "format": "url"},
               "Video": {"type": "object", "properties": {"url": {"type": "string"}}},
               "Audio": {"type": "object", "properties": {"url": {"type": "string"}}}}),
    );
    let (doc, report, _) = apply_to(doc);
    let content = doc
        .pointer(
            "/paths/~1x/post/responses/200/content/application~1json/schema/properties/content",
        )
        .unwrap();
    assert!(content.get("oneOf").is_none());
    assert!(content["description"]
        .as_str()
        .unwrap()
        .contains("raw JSON"));
    assert_eq!(
        report.count(crate::report::Rule::AmbiguousUnionToRawJson),
        1
    );
}

#[test]
fn distinguishable_one_of_is_kept() {
    let doc = with_operation(
        json!({"operationId": "op", "responses": {"200": body(json!({"oneOf": [
            {"type": "string"}, {"type": "integer"},
            {"type": "object", "required": ["a"], "properties": {"a": {}}},
            {"type": "object", "required": ["b"], "properties": {"b": {}}}]}))}}),
        json!({}),
    );
    let (doc, report, _) = apply_to(doc);
    assert_eq!(
        doc.pointer("/paths/~1x/post/responses/200/content/application~1json/schema/oneOf")
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(
        report.count(crate::report::Rule::AmbiguousUnionToRawJson),
        0
    );
}

#[test]
fn any_of_patterned_strings_is_one_string() {
    let doc = with_operation(
        json!({"operationId": "op", "responses": {"200": body(json!({"type": "object", "properties": {
            "assignedTo": {"nullable": true, "description": "user", "anyOf": [
                {"type": "string", "pattern": "^US(.*)$"}, {"type": "string", "pattern": "^SYU(.*)$"}]}}}))}}),
        json!({}),
    );
    let (doc, report, _) = apply_to(doc);
    assert_eq!(
        doc.pointer(
            "/paths/~1x/post/responses/200/content/application~1json/schema/properties/assignedTo"
        ),
        Some(&json!({"nullable": true, "description": "user", "type": "string"}))
    );
    assert_eq!(report.count(crate::report::Rule::AnyOfOneScalarKind), 1);
}

#[test]
fn any_of_distinct_kinds_becomes_one_of() {
    let doc = with_operation(
        json!({"operationId": "op", "responses": {"200": body(json!({"anyOf": [
            {"type": "string"}, {"type": "array", "items": {"type": "string"}}]}))}}),
        json!({}),
    );
    let (doc, report, _) = apply_to(doc);
    assert!(doc
        .pointer("/paths/~1x/post/responses/200/content/application~1json/schema/oneOf")
        .is_some());
    assert_eq!(report.count(crate::report::Rule::AnyOfToOneOf), 1);
}

#[test]
fn comma_separated_override_replaces_the_array_type() {
    let mut doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "op",
            "parameters": [{"$ref": "#/components/parameters/B"}],
            "responses": {"200": body(json!({"type": "object"}))}}}},
        "components": {"parameters": {"B": {"in": "query", "name": "business__in",
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/BusinessId"}}}},
            "schemas": {"BusinessId": {"type": "string"}}}});
    let mut overrides = overrides();
    overrides.comma_separated_query = vec!["business__in".into()];
    let mut report = Report::default();
    let plan = apply(&mut doc, &overrides, &mut report).unwrap();
    assert_eq!(
        doc["components"]["parameters"]["B"]["schema"],
        json!({"$ref": "#/components/schemas/CommaSeparatedStrings"})
    );
    assert_eq!(
        plan.replacements,
        [Replacement {
            component: "CommaSeparatedStrings".into(),
            rust_path: "::inbox_bindings::CommaSeparated<::std::string::String>".into()
        }]
    );
    overrides.comma_separated_query = vec!["nope".into()];
    let message = format!(
        "{:#}",
        apply(&mut doc, &overrides, &mut report).unwrap_err()
    );
    assert!(message.contains("`nope`"), "{message}");
}

#[test]
fn deprecated_operations_carry_the_first_paragraph() {
    let doc = with_operation(
        json!({"operationId": "old", "deprecated": true,
            "description": "Please use\nthe new one instead.\n\n\nMore text.",
            "responses": {"200": body(json!({"type": "object"}))}}),
        json!({}),
    );
    let (_, _, plan) = apply_to(doc);
    assert_eq!(
        plan.model.operation("old").unwrap().deprecated.as_deref(),
        Some("Please use the new one instead.")
    );
}

#[test]
fn operations_need_unique_ids() {
    let mut doc = with_operation(json!({"responses": {}}), json!({}));
    let message = format!(
        "{:#}",
        apply(&mut doc, &overrides(), &mut Report::default()).unwrap_err()
    );
    assert!(message.contains("/paths/~1x/post"), "{message}");
}

#[test]
fn received_timestamps_become_the_facade_type_and_sent_ones_stay_strict() {
    let doc = with_operation(
        json!({"operationId": "touch",
               "requestBody": body(json!({"$ref": "#/components/schemas/Sent"})),
               "responses": {"200": body(json!({"$ref": "#/components/schemas/Got"}))}}),
        json!({
            "Sent": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}},
            "Got": {"type": "object", "properties": {
                "at": {"type": "string", "format": "date-time", "description": "When."},
                "maybe": {"type": "string", "format": "date-time", "nullable": true},
                "created_at": {"type": "string"},
                "kind": {"type": "string", "enum": ["a"]},
                "name": {"type": "string"}}}
        }),
    );
    let mut overrides = overrides();
    overrides.timestamp_properties = vec!["created_at".into(), "missing".into()];
    let mut doc = doc;
    let mut report = Report::default();
    let plan = apply(&mut doc, &overrides, &mut report).unwrap();
    let got = &doc["components"]["schemas"]["Got"]["properties"];
    let reference = json!("#/components/schemas/Timestamp");
    assert_eq!(got["at"]["$ref"], reference);
    assert_eq!(got["at"]["description"], "When.", "the description stays");
    assert_eq!(got["maybe"]["allOf"][0]["$ref"], reference);
    assert_eq!(got["maybe"]["nullable"], true);
    assert_eq!(
        got["created_at"]["$ref"], reference,
        "named in the overrides"
    );
    assert_eq!(got["name"]["type"], "string", "other strings stay");
    assert_eq!(
        doc["components"]["schemas"]["Sent"]["properties"]["at"]["format"], "date-time",
        "what is sent keeps its strict type"
    );
    assert_eq!(report.count(crate::report::Rule::ReceivedTimestamp), 3);
    assert!(
        report.notes.iter().any(|n| n.contains("`missing`")),
        "{:?}",
        report.notes
    );
    assert!(plan
        .replacements
        .iter()
        .any(|r| r.component == "Timestamp" && r.rust_path == "::inbox_bindings::Timestamp"));
}

#[test]
fn components_no_operation_reaches_are_pruned_and_named() {
    let (doc, report, _) = apply_to(with_operation(
        json!({"operationId": "touch",
               "responses": {"200": body(json!({"$ref": "#/components/schemas/Used"}))}}),
        json!({
            "Used": {"type": "object", "properties": {"part": {"$ref": "#/components/schemas/Part"}}},
            "Part": {"type": "string"},
            "Orphan": {"type": "object", "properties": {"x": {"$ref": "#/components/schemas/OrphanPart"}}},
            "OrphanPart": {"type": "integer"}
        }),
    ));
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("Used") && schemas.contains_key("Part"));
    assert!(!schemas.contains_key("Orphan") && !schemas.contains_key("OrphanPart"));
    assert_eq!(report.count(crate::report::Rule::PruneUnreachable), 2);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("Orphan, OrphanPart") || n.contains("OrphanPart, Orphan")),
        "{:?}",
        report.notes
    );
}

#[test]
fn relative_links_in_descriptions_become_absolute() {
    let mut doc = json!({"info": {"description": "See [the guide](/guides/a) and [b](#operation/b)."},
                         "paths": {"/x": {"get": {"summary": "[c](/c)", "description": "[d](https://d.test/d)"}}}});
    let mut report = Report::default();
    absolute_links(&mut doc, "https://docs.test/", &mut report);
    assert_eq!(
        doc["info"]["description"],
        "See [the guide](https://docs.test/guides/a) and [b](https://docs.test/#operation/b)."
    );
    assert_eq!(
        doc["paths"]["/x"]["get"]["summary"],
        "[c](https://docs.test/c)"
    );
    assert_eq!(
        doc["paths"]["/x"]["get"]["description"], "[d](https://d.test/d)",
        "absolute stays"
    );
    assert_eq!(report.count(crate::report::Rule::AbsoluteDocLinks), 2);
}

#[test]
fn deprecation_notes_name_the_crates_method_or_say_it_is_absent() {
    let doc = json!({"paths": {
        "/c/{conversation_id}/read": {"post": {"operationId": "readConversation"}},
        "/c/{id}": {"post": {"operationId": "updateOld", "deprecated": true,
            "description": "Please use POST /c/{conversation_id}/read or PATCH /c/{conversation_id} instead.\n\nMore."}}}});
    let advice = name_replacements(&doc, "Please use POST /c/{id}/read, or PATCH /c/{id}.");
    assert_eq!(
        advice,
        "Please use `read_conversation()` (POST /c/{id}/read), or PATCH /c/{id} (not in this crate)."
    );
    let mut doc = doc;
    let notes = deprecated_operations(&mut doc);
    assert_eq!(
        notes["updateOld"],
        "Please use `read_conversation()` (POST /c/{conversation_id}/read) or PATCH /c/{conversation_id} (not in this crate) instead."
    );
}

#[test]
fn constant_parameters_are_read_from_the_path_item_and_the_operation() {
    let version = json!({"name": "Api-Version", "in": "header", "required": true,
        "schema": {"type": "string", "enum": ["2026-03-30"]}});
    let mut doc = json!({"paths": {
        "/a": {
            "parameters": [version],
            "get": {"operationId": "getA", "parameters": [
                {"name": "mode", "in": "query", "required": true, "schema": {"enum": ["x"]}},
                {"name": "free", "in": "query", "required": true, "schema": {"type": "string"}}]},
            "post": {"operationId": "postA"}},
        "/b": {"get": {"operationId": "getB"}}}});
    let mut report = Report::default();
    let constants = constant_parameters(&mut doc, &mut report).unwrap();
    let names = |id: &str| -> Vec<(String, String)> {
        constants[id]
            .iter()
            .map(|c| (c.name.clone(), c.value.clone()))
            .collect()
    };
    let header = ("Api-Version".to_string(), "2026-03-30".to_string());
    assert_eq!(names("getA"), [header.clone(), ("mode".into(), "x".into())]);
    assert_eq!(names("postA"), [header]);
    assert!(!constants.contains_key("getB"));
    // Removed where they were declared; the free parameter stays.
    assert_eq!(doc.pointer("/paths/~1a/parameters"), Some(&json!([])));
    assert_eq!(
        doc.pointer("/paths/~1a/get/parameters/0/name"),
        Some(&json!("free"))
    );
    // A constant header no client can send is refused, naming the operation.
    let mut bad = json!({"paths": {"/c": {"get": {"operationId": "getC", "parameters": [
        {"name": "Bad Header", "in": "header", "required": true, "schema": {"enum": ["v"]}}]}}}});
    let error = constant_parameters(&mut bad, &mut report).unwrap_err();
    assert!(error.to_string().contains("of getC"), "{error}");
}
