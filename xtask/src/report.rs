//! What the pipeline did to a document: rules applied (with counts) and notes,
//! printed in the codegen summary. Every difference between a vendored
//! document and what the type generator receives is one of the named [`Rule`]s.

use std::collections::BTreeMap;

/// A named rule of the pipeline: each rewrite of the document or of the
/// generated file counts under one (the compiler checks there is no other).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    AbsoluteDocLinks,
    AddEmptyPaths,
    AmbiguousUnionToRawJson,
    AnyOfOneScalarKind,
    AnyOfToOneOf,
    CommaSeparatedQuery,
    ConstToEnum,
    ConstantParameter,
    DocCodeBlockAsText,
    DropAnnotationKeywords,
    DropBodilessErrorResponse,
    DropDefaultJsonSchemaDialect,
    DropInfoSummary,
    DropLicenseIdentifier,
    DropNonJsonErrorBody,
    DropWebhooks,
    ExamplesToExample,
    HoistExtensibleEnum,
    HoistWebhookBody,
    HoistReceivedEnum,
    InlineNullableScalar,
    IriPathParameter,
    NullUnionToNullable,
    NumericExclusiveBounds,
    Openapi31To303,
    OptionalRequestBody,
    OverrideCommaSeparatedQuery,
    PruneUnreachable,
    ReceivedTimestamp,
    RelaxReceived,
    SelectDropComponent,
    SelectDropOperation,
    TrueSchemaToEmpty,
    TypeListToNullable,
    UnifyErrorBodies,
    VendorJsonMediaType,
    WebhookEvent,
}

impl Rule {
    /// Every rule, for documentation and tests.
    pub const ALL: [Rule; 37] = [
        Rule::AbsoluteDocLinks,
        Rule::AddEmptyPaths,
        Rule::AmbiguousUnionToRawJson,
        Rule::AnyOfOneScalarKind,
        Rule::AnyOfToOneOf,
        Rule::CommaSeparatedQuery,
        Rule::ConstToEnum,
        Rule::ConstantParameter,
        Rule::DocCodeBlockAsText,
        Rule::DropAnnotationKeywords,
        Rule::DropBodilessErrorResponse,
        Rule::DropDefaultJsonSchemaDialect,
        Rule::DropInfoSummary,
        Rule::DropLicenseIdentifier,
        Rule::DropNonJsonErrorBody,
        Rule::DropWebhooks,
        Rule::ExamplesToExample,
        Rule::HoistExtensibleEnum,
        Rule::HoistWebhookBody,
        Rule::HoistReceivedEnum,
        Rule::InlineNullableScalar,
        Rule::IriPathParameter,
        Rule::NullUnionToNullable,
        Rule::NumericExclusiveBounds,
        Rule::Openapi31To303,
        Rule::OptionalRequestBody,
        Rule::OverrideCommaSeparatedQuery,
        Rule::PruneUnreachable,
        Rule::ReceivedTimestamp,
        Rule::RelaxReceived,
        Rule::SelectDropComponent,
        Rule::SelectDropOperation,
        Rule::TrueSchemaToEmpty,
        Rule::TypeListToNullable,
        Rule::UnifyErrorBodies,
        Rule::VendorJsonMediaType,
        Rule::WebhookEvent,
    ];

    /// The name printed in the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::AbsoluteDocLinks => "absolute-doc-links",
            Rule::AddEmptyPaths => "add-empty-paths",
            Rule::AmbiguousUnionToRawJson => "ambiguous-union-to-raw-json",
            Rule::AnyOfOneScalarKind => "any-of-one-scalar-kind",
            Rule::AnyOfToOneOf => "any-of-to-one-of",
            Rule::CommaSeparatedQuery => "comma-separated-query",
            Rule::ConstToEnum => "const-to-enum",
            Rule::ConstantParameter => "constant-parameter",
            Rule::DocCodeBlockAsText => "doc-code-block-as-text",
            Rule::DropAnnotationKeywords => "drop-annotation-keywords",
            Rule::DropBodilessErrorResponse => "drop-bodiless-error-response",
            Rule::DropDefaultJsonSchemaDialect => "drop-default-json-schema-dialect",
            Rule::DropInfoSummary => "drop-info-summary",
            Rule::DropLicenseIdentifier => "drop-license-identifier",
            Rule::DropNonJsonErrorBody => "drop-non-json-error-body",
            Rule::DropWebhooks => "drop-webhooks",
            Rule::ExamplesToExample => "examples-to-example",
            Rule::HoistExtensibleEnum => "hoist-extensible-enum",
            Rule::HoistReceivedEnum => "hoist-received-enum",
            Rule::HoistWebhookBody => "hoist-webhook-body",
            Rule::InlineNullableScalar => "inline-nullable-scalar",
            Rule::IriPathParameter => "iri-path-parameter",
            Rule::NullUnionToNullable => "null-union-to-nullable",
            Rule::NumericExclusiveBounds => "numeric-exclusive-bounds",
            Rule::Openapi31To303 => "openapi-3.1-to-3.0.3",
            Rule::OptionalRequestBody => "optional-request-body",
            Rule::OverrideCommaSeparatedQuery => "override-comma-separated-query",
            Rule::PruneUnreachable => "prune-unreachable",
            Rule::ReceivedTimestamp => "received-timestamp",
            Rule::RelaxReceived => "relax-received",
            Rule::SelectDropComponent => "select-drop-component",
            Rule::SelectDropOperation => "select-drop-operation",
            Rule::TrueSchemaToEmpty => "true-schema-to-empty",
            Rule::TypeListToNullable => "type-list-to-nullable",
            Rule::UnifyErrorBodies => "unify-error-bodies",
            Rule::VendorJsonMediaType => "vendor-json-media-type",
            Rule::WebhookEvent => "webhook-event",
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Rule to the number of places it changed.
    pub rules: BTreeMap<Rule, usize>,
    /// Things a maintainer should know that are not errors.
    pub notes: Vec<String>,
    /// Overrides naming nothing in the document are notes, not errors:
    /// drift reads another version of a document, which may have dropped
    /// what `codegen.toml` names (that is the drift to report).
    pub lenient: bool,
}

impl Report {
    pub fn applied(&mut self, rule: Rule) {
        *self.rules.entry(rule).or_default() += 1;
    }

    /// How often `rule` applied.
    pub fn count(&self, rule: Rule) -> usize {
        self.rules.get(&rule).copied().unwrap_or(0)
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// A report for drift: see [`Report::lenient`].
    pub fn lenient() -> Report {
        Report {
            lenient: true,
            ..Report::default()
        }
    }

    /// An override of `codegen.toml` that names nothing in the document:
    /// an error, or a note when the report is lenient.
    pub fn stale_override(&mut self, message: String) -> anyhow::Result<()> {
        if self.lenient {
            self.note(format!("ignored: {message}"));
            Ok(())
        } else {
            Err(anyhow::anyhow!(message))
        }
    }

    /// `rule ×count, …` on one line, in name order.
    pub fn rules_line(&self) -> String {
        if self.rules.is_empty() {
            return "none".to_string();
        }
        let mut entries: Vec<(&str, usize)> = self
            .rules
            .iter()
            .map(|(rule, count)| (rule.as_str(), *count))
            .collect();
        entries.sort();
        entries
            .iter()
            .map(|(rule, count)| format!("{rule} ×{count}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_distinct_kebab_case() {
        let names: std::collections::BTreeSet<&str> =
            Rule::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), Rule::ALL.len());
        assert!(names.iter().all(|n| n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')));
    }
}
