#!/usr/bin/env bash
# Runs every test. Fails loudly when a service or tool is missing instead of
# skipping: PostgreSQL and Redis must be reachable (scripts/services.sh starts
# them), Node.js for the interop and web tests, Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/services.sh

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== web UI build (embedded by the server)"
npm --prefix web ci --no-audit --no-fund
npm --prefix web run build

echo "== Rust tests (SQLite and PostgreSQL)"
cargo build --bin quire
cargo test --workspace -- --test-threads=4

echo "== interop with stock Yjs clients (Node)"
npm --prefix tests/interop ci --no-audit --no-fund
QUIRE_BIN="$PWD/target/debug/quire" node --test tests/interop/

echo "== interop with Python Yjs clients (pycrdt-websocket, ypy-websocket)"
./tests/interop_py/setup.sh
QUIRE_BIN="$PWD/target/debug/quire" ./tests/interop_py/run.sh
QUIRE_BIN="$PWD/target/debug/quire" ./tests/contract/run.sh

echo "== web UI unit tests"
npm --prefix web test

echo "== end-to-end in Chromium"
# (web/dist was built above; `npm run e2e` would build it again)
(cd web && QUIRE_BIN="$PWD/../target/debug/quire" QUIRE_WEB_DIR="$PWD/dist" node --test --test-concurrency=1 e2e/)

echo "== fuzz the message decoder (bounded)"
# Fixed seed and run count (see fuzz/run.sh); the time only caps a slow machine.
./fuzz/run.sh "${FUZZ_SECONDS:-120}"

echo "== all tests passed"
