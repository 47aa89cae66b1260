#!/usr/bin/env bash
# Runs every test. First installs what is missing (scripts/prereqs.sh:
# Chromium, Redis, PostgreSQL client tools, rustfmt/clippy, nightly,
# cargo-fuzz) and starts PostgreSQL and Redis when they are down
# (scripts/services.sh). Then fails loudly instead of skipping when a
# service or tool is still missing. Node.js must be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's heading carries the minutes elapsed, to see where CI time goes.
started=$SECONDS
step() { echo "== $* (at $(( (SECONDS - started) / 60 )) min)"; }

./scripts/prereqs.sh
./scripts/services.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "web UI build (embedded by the server)"
npm --prefix web ci --no-audit --no-fund
npm --prefix web run build

step "Rust tests (SQLite and PostgreSQL), with line coverage"
./scripts/coverage.sh
# The steps below run the binary built (instrumented) by the coverage run.
QUIRE_DEBUG_BIN="$PWD/target/coverage/debug/quire"
export LLVM_PROFILE_FILE="$PWD/target/coverage/profraw/e2e-%p-%m.profraw"

step "interop with stock Yjs clients (Node)"
npm --prefix tests/interop ci --no-audit --no-fund
QUIRE_BIN="$QUIRE_DEBUG_BIN" node --test tests/interop/

step "interop with Python Yjs clients (pycrdt-websocket, ypy-websocket)"
./tests/interop_py/setup.sh
QUIRE_BIN="$QUIRE_DEBUG_BIN" ./tests/interop_py/run.sh
QUIRE_BIN="$QUIRE_DEBUG_BIN" ./tests/contract/run.sh

step "web UI unit tests"
npm --prefix web test

step "end-to-end in Chromium"
# (web/dist was built above; `npm run e2e` would build it again)
(cd web && QUIRE_BIN="$QUIRE_DEBUG_BIN" QUIRE_WEB_DIR="$PWD/dist" node --test --test-concurrency=1 e2e/)

step "fuzz the message decoder (bounded)"
# Fixed seed and run count (see fuzz/run.sh); the time only caps a slow machine.
./fuzz/run.sh "${FUZZ_SECONDS:-60}"

step "all tests passed"
