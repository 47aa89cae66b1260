#!/usr/bin/env bash
# Installs what the tests need and is missing, so `make test` works on a
# fresh machine: Chromium (browser tests), Redis and its CLI (Redis Cluster
# test), the PostgreSQL client tools (read-replica test), rustfmt and clippy,
# a nightly toolchain and cargo-fuzz (fuzz step). Each is skipped when
# present; apt-get runs only when a package is missing. npm packages are
# installed by scripts/test.sh (`npm ci`), Python tools by the interop
# scripts themselves. Node.js must be installed already.
set -euo pipefail

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v redis-cli >/dev/null || need_apt+=(redis-tools)
command -v pg_dump >/dev/null || need_apt+=(postgresql-client)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

command -v node >/dev/null || { echo "Node.js is required" >&2; exit 1; }

installed=$(rustup component list --installed)
for component in rustfmt clippy; do
  grep -q "^$component" <<<"$installed" || rustup component add "$component"
done
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
echo "prerequisites: present"
