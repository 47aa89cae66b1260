#!/usr/bin/env bash
# Fuzz the decode_apply target.
#
#   fuzz/run.sh [seconds]      CI gate: a fixed seed and a fixed number of
#                              runs (FUZZ_SEED, FUZZ_RUNS) from the committed
#                              seeds, so a CI run repeats the sequence that
#                              was checked before committing; `seconds`
#                              (default 60) only caps the time on a slow machine.
#   FUZZ_EXPLORE=1 fuzz/run.sh 1800
#                              exploration: a random seed, no run cap, and
#                              the corpus kept between runs. Whatever it
#                              finds becomes a regression test.
set -euo pipefail
secs="${1:-60}"
cd "$(dirname "$0")"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:detect_odr_violation=0}"
limits=(-max_total_time="$secs" -rss_limit_mb=1024 -malloc_limit_mb=65536 -timeout=10)
if [ "${FUZZ_EXPLORE:-0}" = 1 ]; then
    mkdir -p corpus/decode_apply
    cp -n seeds/* corpus/decode_apply/ 2>/dev/null || true
    exec cargo +nightly fuzz run -O decode_apply corpus/decode_apply -- "${limits[@]}"
fi
# A fresh corpus of the committed seeds each time, for a repeatable run.
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
cp seeds/* "$corpus/"
cargo +nightly fuzz run -O decode_apply "$corpus" -- "${limits[@]}" \
    -seed="${FUZZ_SEED:-20261122}" -runs="${FUZZ_RUNS:-250000}"
