#!/usr/bin/env bash
# Creates tests/interop_py/.venv with the pinned Python Yjs clients
# (requirements.txt). Idempotent: does nothing when the virtualenv exists and
# was built from the same requirements with the same Python.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"

# Prefer a Python for which y-py 0.6 ships wheels (3.8–3.12), else any python3.
py=""
for cand in python3.11 python3.12 python3.10 python3; do
  if command -v "$cand" >/dev/null 2>&1; then py="$(command -v "$cand")"; break; fi
done
if [ -z "$py" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
    py="$(command -v python3)"
  else
    echo "interop_py: python3 is required" >&2
    exit 1
  fi
fi

stamp_want="$("$py" -c 'import sys; print(sys.version.split()[0])') $(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$stamp_want" ]; then
  echo "interop_py: $venv is up to date"
  exit 0
fi

# Debian splits venv/ensurepip into python3-venv.
if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  else
    echo "interop_py: $py has no venv module (install python3-venv)" >&2
    exit 1
  fi
fi

echo "interop_py: creating $venv with $py"
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
"$venv/bin/python" -m pip check
echo "$stamp_want" > "$venv/.stamp"
