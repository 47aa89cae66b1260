# The two commands of README.md: `make run` and `make test`.
.PHONY: run test web build

# Build the web UI (if npm is present) and the server, then serve on
# http://127.0.0.1:8000 with SQLite under ./data/.
run: web
	cargo run --release -- serve

# Every test: formatting, lints, Rust unit/integration tests on SQLite and
# PostgreSQL, the fuzz target, Node interop with stock Yjs clients, the web
# UI's unit tests and end-to-end tests in Chromium.
test:
	./scripts/test.sh

web:
	@if command -v npm >/dev/null; then npm --prefix web ci --no-audit --no-fund && npm --prefix web run build; \
	else echo "npm not found: serving without the web UI"; fi

build: web
	cargo build --release
