//! The process exit status: a leaf, so the commands, the build pipeline and the report can all
//! produce one without depending on the crate root.

/// Process exit status, documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing to report.
    Ok = 0,
    /// Rule violations at or above the threshold, or drift with `build --check`.
    Findings = 1,
    /// Usage error, unreadable or unparseable input, I/O failure.
    Error = 2,
}

impl Exit {
    /// Combine two statuses: the worse wins.
    pub fn max(self, other: Exit) -> Exit {
        if (other as u8) > (self as u8) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}
