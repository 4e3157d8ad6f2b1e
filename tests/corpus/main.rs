//! Every test that reads the reference corpus (`../shared/corpus`), in one test binary: each
//! corpus file is read from disk once ([`corpus_support::text`]) and each front end's pass over
//! the corpus runs once, shared by the tests that use it (issue 7, item 8).

#[path = "../corpus_support/mod.rs"]
mod corpus_support;
#[path = "../oracle_support/mod.rs"]
mod oracle_support;

mod arm;
mod bicep;
mod bicep_oracle;
mod lint;
mod oracle_avm;
