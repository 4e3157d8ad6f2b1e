//! Validation against the project's own JSON Schemas in `schemas/`. Placeholder until it lands.

/// One schema violation.
#[derive(Clone, Debug)]
pub struct SchemaError {
    /// JSON pointer of the offending value, relative to the validated document.
    pub pointer: String,
    pub message: String,
}

/// Validate a whole ARM template (root structure and every resource of a type the project has a
/// schema for).
pub fn validate_template(_template: &serde_json::Value) -> Vec<SchemaError> {
    Vec::new()
}

/// Validate a parameters file.
pub fn validate_parameters(_parameters: &serde_json::Value) -> Vec<SchemaError> {
    Vec::new()
}
