#!/usr/bin/env bash
# Runs the Rust test suite (unit and integration tests, SQLite and
# PostgreSQL) once, under cargo-tarpaulin, and reports line coverage per
# crate. The tests are the same as `cargo test --workspace`; a failing test
# fails this script.
#
# Coverage comes from LLVM's source-based instrumentation (tarpaulin's
# `llvm` engine), which needs no extra LLVM tools. The instrumented build
# lives in target/coverage so it does not disturb the ordinary debug build;
# its `quire` binary is what the interop and browser tests run next
# (scripts/test.sh), so the code is compiled once for all test steps.
#
# The report is target/coverage/tarpaulin-report.json; the summary printed
# at the end counts lines of `src/` (the server) and of each crate under
# `crates/`, never tests, fuzz targets or generated code.
#
# COVERAGE_MIN (percent, default below) is the bar for the server and
# quire-doc; below it the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."

min="${COVERAGE_MIN:-80}"
out=target/coverage

command -v cargo-tarpaulin >/dev/null || cargo install cargo-tarpaulin --locked

# Instrumented processes the tests start (the CLI and loadtest tests run
# the binary) write profiles; keep them out of the source tree.
export LLVM_PROFILE_FILE="$PWD/$out/profraw/test-%p-%m.profraw"
mkdir -p "$out/profraw"

cargo tarpaulin --workspace --engine llvm --skip-clean \
  --target-dir "$out" --output-dir "$out" --out Json \
  --timeout 900 \
  --exclude-files 'target/*' 'fuzz/*' 'tests/*' 'crates/*/tests/*' 'crates/*/benches/*' \
  -- --test-threads=4

python3 - "$out/tarpaulin-report.json" "$min" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
bar = float(sys.argv[2])
groups = {}
for f in report["files"]:
    parts = f["path"] if isinstance(f["path"], list) else f["path"].split("/")
    path = "/".join(p for p in parts if p not in ("", "/"))
    if "/crates/" in "/" + path:
        rest = path.split("crates/", 1)[1]
        name = rest.split("/", 1)[0]
    elif "/src/" in "/" + path:
        name = "quire (server)"
    else:
        continue
    c, n = groups.get(name, (0, 0))
    groups[name] = (c + f["covered"], n + f["coverable"])
print("line coverage:")
failed = []
for name, (c, n) in sorted(groups.items()):
    pct = 100.0 * c / n if n else 100.0
    print(f"  {name:<16} {pct:5.1f} %  ({c} of {n} lines)")
    if name in ("quire (server)", "quire-doc") and pct < bar:
        failed.append(name)
if failed:
    print(f"below the {bar:.0f} % bar: {', '.join(failed)}")
    sys.exit(1)
EOF
