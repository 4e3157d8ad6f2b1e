//! The TOML spec (owned by the build work). Placeholder until it lands.

/// A parsed, defaulted spec.
#[derive(Debug, Default)]
pub struct Spec {}
