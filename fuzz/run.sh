#!/usr/bin/env bash
# Run the decode_apply fuzz target for N seconds (default 60).
# Usage: fuzz/run.sh [seconds]
set -euo pipefail
secs="${1:-60}"
cd "$(dirname "$0")"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
mkdir -p corpus/decode_apply
cp -n seeds/* corpus/decode_apply/ 2>/dev/null || true
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:detect_odr_violation=0}"
exec cargo +nightly fuzz run -O decode_apply corpus/decode_apply -- \
    -max_total_time="$secs" -rss_limit_mb=1024 -malloc_limit_mb=65536 -timeout=10
