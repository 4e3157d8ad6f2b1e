#!/usr/bin/env bash
# Measure the lint against its baselines (issues 3 and 4), all figures from this one run:
#   1. `cargo bench`: in-process ratios, lint vs serde_json (ARM) and vs tree-sitter (Bicep);
#   2. the release binary on the whole corpus and on single files (hyperfine if installed,
#      else a loop timed with `date +%s%N`, best of N);
#   3. peak memory of the whole-corpus run (`/usr/bin/time -v`, maximum resident set size).
# Usage: benches/run.sh [RUNS]   (env BENCH_CORPUS overrides ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
corpus="${BENCH_CORPUS:-../shared/corpus}"
bin=target/release/acr-cmk
# A typical ARM template and a Bicep module with child modules, as pre-commit would pass them.
arm_file="$corpus/bicep-registry-modules/avm/res/container-registry/registry/main.json"
bicep_file="$corpus/bicep-registry-modules/avm/res/container-registry/registry/main.bicep"

echo "== cargo bench (in-process, best of $runs)"
BENCH_RUNS="$runs" BENCH_CORPUS="$corpus" cargo bench --bench lint 2>/dev/null

cargo build --release --quiet
# Exit 1 (findings) is the expected outcome on the corpus; only exit 2 with no output would
# mean a broken run, which the figures would show.
lint() { "$bin" lint "$@" >/dev/null 2>&1 || true; }

best_ms() { # best wall time of N runs, in ms
  local best=
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N); lint "$@"; t1=$(date +%s%N)
    local ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

echo "== release binary"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs "$runs" -i --style basic \
    "$bin lint $corpus" "$bin lint $arm_file" "$bin lint $bicep_file"
else
  lint "$corpus" # warm the page cache
  echo "whole corpus:      $(best_ms "$corpus") ms (best of $runs)"
  echo "single ARM file:   $(best_ms "$arm_file") ms"
  echo "single Bicep file: $(best_ms "$bicep_file") ms"
fi

echo "== peak memory and CPU, whole corpus"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$bin" lint "$corpus" 2>&1 >/dev/null |
    grep -E "Maximum resident|Elapsed|User time|System time|Percent of CPU" || true
else
  echo "/usr/bin/time not installed (apt-get install time)"
fi
