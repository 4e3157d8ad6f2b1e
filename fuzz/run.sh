#!/usr/bin/env bash
# The long fuzz: seed the corpora, then run every target for SECONDS each (default 600), one
# after another, under a 2 GB memory cap. Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo +nightly install cargo-fuzz --locked
# Usage: fuzz/run.sh [SECONDS] [TARGET...]      Logs: fuzz/logs/TARGET.log
# A crash stops that target and leaves the input in fuzz/artifacts/TARGET/; reproduce it with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(spec arm bicep bicepparam config human_report)
fuzz/seed-corpus.sh >/dev/null
cargo +nightly fuzz build || exit 2
mkdir -p fuzz/logs
status=0
for t in "${targets[@]}"; do
    # -timeout: one input that runs 10 s is a hang (issue 8 gives every run a 10 s cap).
    # -fork=1 with -ignore_*: a crash is saved to fuzz/artifacts/TARGET/ and the run goes on,
    # so one known bug does not end the whole time slot.
    cargo +nightly fuzz run "$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
        -timeout=10 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        >"fuzz/logs/$t.log" 2>&1
    rc=$?
    # Fork mode reports the total on its status lines: "#RUNS: cov: … crash: N …".
    last=$(grep -E '^#[0-9]+: ' "fuzz/logs/$t.log" | tail -1)
    crashes=$(ls "fuzz/artifacts/$t" 2>/dev/null | wc -l)
    echo "$t: exit $rc; ${last:-no status line}; $crashes artifacts in fuzz/artifacts/$t"
    [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] && status=1
done
exit $status
