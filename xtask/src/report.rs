//! What the pipeline did to a document: rules applied (with counts) and notes,
//! printed in the codegen summary.

use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Rule name to the number of places it changed.
    pub rules: BTreeMap<&'static str, usize>,
    /// Things a maintainer should know that are not errors.
    pub notes: Vec<String>,
}

impl Report {
    pub fn applied(&mut self, rule: &'static str) {
        *self.rules.entry(rule).or_default() += 1;
    }

    #[cfg(test)]
    pub fn count(&self, rule: &str) -> usize {
        self.rules.get(rule).copied().unwrap_or(0)
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// `rule ×count, …` on one line.
    pub fn rules_line(&self) -> String {
        if self.rules.is_empty() {
            return "none".to_string();
        }
        self.rules
            .iter()
            .map(|(rule, count)| format!("{rule} ×{count}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
