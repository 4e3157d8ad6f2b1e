#!/usr/bin/env bash
# Build the seed corpora of the fuzz targets from the examples and test fixtures.
# Generated, not committed (fuzz/corpus is ignored): run it before the first `cargo fuzz run`
# and again whenever fixtures are added. Usage: fuzz/seed-corpus.sh   (from anywhere)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$repo/fuzz/corpus"
mkdir -p "$corpus"/{spec,arm,bicep,bicepparam,config,human_report}

# Name each seed after its content so reruns do not duplicate seeds.
seed() { # seed TARGET < bytes
    local tmp
    tmp="$(mktemp)"
    cat >"$tmp"
    mv "$tmp" "$corpus/$1/$(sha1sum "$tmp" | cut -c1-16)"
}

cd "$repo"
for f in examples/*.toml tests/fixtures/specs/*.toml tests/fixtures/rules/*/*.toml; do
    seed spec <"$f"
done
for f in $(find tests/fixtures -name '*.json' | sort); do
    seed arm <"$f"
done
# A template with each parameter file beside it (NUL-separated, as the arm target splits them).
for p in $(find tests/fixtures -name '*.parameters.json' | sort); do
    t="${p%.parameters.json}.json"
    [ -f "$t" ] && { cat "$t"; printf '\0'; cat "$p"; } | seed arm
done
for f in $(find tests/fixtures -name '*.bicep' | sort); do
    seed bicep <"$f"
done
for p in $(find tests/fixtures -name '*.bicepparam' | sort); do
    seed bicepparam <"$p"
    t="$(dirname "$p")/$(sed -n "s/^using '\(.*\)'.*/\1/p" "$p" | head -1)"
    [ -f "$t" ] && { cat "$t"; printf '\0'; cat "$p"; } | seed bicep
done
# The README's example configuration, plus small valid and broken ones.
sed -n '/^```toml/,/^```/p' README.md | sed '1d;$d' | awk '/cmk-required|\[rules\]|exclude|^[A-Z]+[0-9]+ *=/' | seed config
printf 'cmk-required = true\n[rules]\nCMK001 = "warning"\nCMK017 = "error"\n' | seed config
printf 'exclude = ["generated/**", "*.test.json"]\n[rules]\nCMK00l = "warn"\n' | seed config
printf '[rules]\nCMK001 = 3\n[other]\n' | seed config
# Renderer: an 18-byte header (span, related span, width, flags) before a source and message.
header() { printf "$1"; }
for f in examples/registry.toml tests/fixtures/bicep/*.bicep; do
    [ -f "$f" ] || continue
    { header '\x05\x00\x00\x00\x20\x00\x00\x00\x30\x00\x00\x00\x38\x00\x00\x00\x64\x06'
      cat "$f"; printf '\0message with \xc2\x85 and \x1b[31m'; } | seed human_report
done
{ header '\xf0\xff\x00\x00\xf8\xff\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x50\x26'
  head -c 70000 /dev/zero | tr '\0' 'x'; printf '\xc2\x85"é"\0wide'; } | seed human_report
for d in "$corpus"/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done
