//! Thin binary: parse arguments, run, map to an exit code.

use clap::Parser;

/// mimalloc instead of the system allocator: the front ends build many small strings, vectors
/// and maps per file, and with glibc malloc/free about 45% of the ARM load time went to the
/// allocator (perf on the corpus). Set here, in the binary, so the library stays neutral.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = acr_cmk::cli::Cli::parse();
    acr_cmk::run(cli).into()
}
