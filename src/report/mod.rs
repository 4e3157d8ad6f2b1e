//! Report writers: human (miette), JSON, SARIF.

pub mod human;
