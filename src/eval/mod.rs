//! The evaluator core: what ARM expressions and Bicep expressions mean, written once.
//!
//! Bicep compiles to ARM, so a Bicep file and its compiled template must evaluate to the same
//! values, or the rules would give them different verdicts. The two front ends therefore keep
//! only their syntax — `crate::arm` the `[…]` expression language, JSON walking and copy loops;
//! `crate::bicep` the tree walk, its operators' syntax, symbols and modules — and turn it into
//! calls of this module, which sits between [`crate::model`] (the values) and them:
//!
//! - [`value`]: building unknowns ([`value::opaque`], named expressions) and measuring values;
//! - [`canon`]: the canonical expression text that names a deterministic unknown
//!   ([`canon::expr_of`]);
//! - [`equality`]: ARM `equals()`, which is also Bicep `==`, `!=`, `=~`, `!~`;
//! - [`access`]: property and index access;
//! - [`scope`]: the scope functions' objects (`resourceGroup()`, `subscription()`, `tenant()`,
//!   `managementGroup()`, `deployment()`, `environment()`) in the shape ARM documents;
//! - [`text`]: values as text and string building (`concat`, `format`, interpolation);
//! - [`lazy`]: `if`, `and`, `or`, `not`, `coalesce` (Bicep `?:`, `&&`, `||`, `!`, `??`);
//! - [`functions`]: the rest of the template function library;
//! - [`limits`]: the resource policy — every bound on evaluation, and the per-unit [`Meter`]
//!   that counts work and records where a limit was hit.

pub mod access;
pub mod canon;
pub mod equality;
pub mod functions;
pub mod lazy;
pub mod limits;
pub mod scope;
pub mod text;
pub mod value;

pub use limits::{Limit, LimitHit, Meter, Work};
pub use value::within_size;
