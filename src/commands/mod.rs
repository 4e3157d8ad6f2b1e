//! One module per subcommand.

pub mod build;
pub mod explain;
pub mod init;
pub mod lint;
pub mod rotate;
pub mod rules;
pub mod validate;
