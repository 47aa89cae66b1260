#!/usr/bin/env bash
# Fuzz the decode_apply target (arbitrary bytes through the codec and the
# guard; seeds in seeds/) and the nested_types target (generated,
# structurally valid updates with deep type trees and bad parents; seeds in
# seeds_nested/).
#
#   fuzz/run.sh [seconds]      CI gate: a fixed seed and a fixed number of
#                              runs (FUZZ_SEED, FUZZ_RUNS, NESTED_RUNS) from
#                              the committed seeds, so a CI run repeats the
#                              sequence that was checked before committing;
#                              `seconds` (default 60) only caps the time of
#                              each target on a slow machine.
#   FUZZ_EXPLORE=1 [FUZZ_TARGET=nested_types] fuzz/run.sh 1800
#                              exploration of one target (decode_apply by
#                              default): a random seed, no run cap, and the
#                              corpus kept between runs. Whatever it finds
#                              becomes a regression test.
set -euo pipefail
secs="${1:-60}"
cd "$(dirname "$0")"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:detect_odr_violation=0}"
limits=(-max_total_time="$secs" -rss_limit_mb=1024 -malloc_limit_mb=65536 -timeout=10)
seeds_of() { if [ "$1" = nested_types ]; then echo seeds_nested; else echo seeds; fi; }
if [ "${FUZZ_EXPLORE:-0}" = 1 ]; then
    target="${FUZZ_TARGET:-decode_apply}"
    mkdir -p "corpus/$target"
    cp -n "$(seeds_of "$target")"/* "corpus/$target/" 2>/dev/null || true
    exec cargo +nightly fuzz run -O "$target" "corpus/$target" -- "${limits[@]}"
fi
# A fresh corpus of the committed seeds each time, for a repeatable run.
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
mkdir "$corpus/decode_apply" "$corpus/nested_types"
cp seeds/* "$corpus/decode_apply/"
cp seeds_nested/* "$corpus/nested_types/"
cargo +nightly fuzz run -O decode_apply "$corpus/decode_apply" -- "${limits[@]}" \
    -seed="${FUZZ_SEED:-20261122}" -runs="${FUZZ_RUNS:-250000}"
cargo +nightly fuzz run -O nested_types "$corpus/nested_types" -- "${limits[@]}" \
    -seed="${FUZZ_SEED:-20261122}" -runs="${NESTED_RUNS:-20000}"
