#!/usr/bin/env bash
# Runs the Python interop suite against $QUIRE_BIN (default
# target/debug/quire). Run setup.sh first. Extra arguments go to pytest.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export QUIRE_BIN="${QUIRE_BIN:-$root/target/debug/quire}"
cd "$here"
exec "$here/.venv/bin/python" -m pytest -p no:cacheprovider "$@"
