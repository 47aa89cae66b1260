#!/usr/bin/env bash
# Side-by-side fan-out benchmark: Quire (PostgreSQL durability on) against
# y-sweet 0.9.1 (in memory, TCP_NODELAY forced by bench/nodelay.c) and the
# y-websocket reference server @y/websocket-server 0.1.1 (in memory), with
# one generator for all three (`quire loadtest`, one thread, TCP_NODELAY).
#
# Installs the peers into bench/.peers (ignored by git) on first use, starts
# every server fresh for every measurement, and interleaves the servers
# (the order rotates each run) so that machine noise hits all alike. Prints
# p99 per case and server, the ratios to Quire, lost receipts and server CPU.
#
#   bench/peers.sh [RUNS] [SECONDS]      # defaults: 2 runs, 15 s measured
#
# Needs: cargo, npm, cc, a PostgreSQL at $PG (default
# postgres://postgres@127.0.0.1:5432) where it may create databases.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-2}
SECS=${2:-15}
PEERS=$ROOT/bench/.peers
PG=${PG:-postgres://postgres@127.0.0.1:5432}
OUT=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$OUT"' EXIT

mkdir -p "$PEERS"
if [ ! -x "$PEERS/y-sweet/bin/y-sweet" ]; then
  echo "installing y-sweet 0.9.1 (cargo install; several minutes)…" >&2
  cargo install --quiet --locked y-sweet --version 0.9.1 --root "$PEERS/y-sweet"
fi
if [ ! -f "$PEERS/node/node_modules/@y/websocket-server/src/server.js" ]; then
  echo "installing @y/websocket-server 0.1.1…" >&2
  mkdir -p "$PEERS/node"
  npm install --silent --no-audit --no-fund --prefix "$PEERS/node" @y/websocket-server@0.1.1
fi
cc -O2 -shared -fPIC -o "$PEERS/nodelay.so" bench/nodelay.c -ldl
cargo build --quiet --release --bin quire
Q=$ROOT/target/release/quire

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

# start_server NAME PORT: starts it in the background, sets SERVER_PID.
start_server() {
  local name=$1 port=$2
  case $name in
    quire)
      DB=quire_bench_$RANDOM$RANDOM
      psql -q "$PG/postgres" -c "CREATE DATABASE $DB" >/dev/null
      DATABASE_URL="$PG/$DB" BIND_ADDR=127.0.0.1:$port RUST_LOG=error \
        JWT_SECRET=bench-secret-bench-secret-0123456789abcdef \
        "$Q" serve >"$OUT/$name.log" 2>&1 &
      ;;
    y-sweet)
      LD_PRELOAD=$PEERS/nodelay.so RUST_LOG=error \
        "$PEERS/y-sweet/bin/y-sweet" serve --host 127.0.0.1 --port "$port" >"$OUT/$name.log" 2>&1 &
      ;;
    y-websocket)
      LD_PRELOAD=$PEERS/nodelay.so HOST=127.0.0.1 PORT=$port \
        node "$PEERS/node/node_modules/@y/websocket-server/src/server.js" >"$OUT/$name.log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  wait_port "$port"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  if [ -n "${DB:-}" ]; then
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
    DB=
  fi
}

path_of() {
  case $1 in
    quire) echo "" ;;
    y-sweet) echo "/d/{doc}/ws/{doc}" ;;
    y-websocket) echo "/{doc}" ;;
  esac
}

CASES=("1 20 5" "10 20 2" "1 100 10" "1 500 10")
SERVERS=(quire y-sweet y-websocket)
echo "machine: $(nproc) cores, $(uname -r); $(date -u +%FT%TZ)" >&2
for run in $(seq 1 "$RUNS"); do
  for c in "${CASES[@]}"; do
    read -r docs clients writers <<<"$c"
    # Rotate the order of the servers from run to run.
    for i in 0 1 2; do
      s=${SERVERS[$(( (i + run) % 3 ))]}
      port=$(free_port)
      start_server "$s" "$port"
      peer=$(path_of "$s")
      args=(--url "http://127.0.0.1:$port" --server-pid "$SERVER_PID" --docs "$docs" --clients "$clients"
            --writers "$writers" --rate 10 --duration "$SECS" --warmup 2 --json --quiet)
      [ -n "$peer" ] && args+=(--peer-path "$peer")
      echo "run $run: $s, $docs doc(s) × $clients clients, $writers writers" >&2
      if "$Q" loadtest "${args[@]}" >"$OUT/out.txt" 2>"$OUT/err.txt"; then
        grep '^RESULT ' "$OUT/out.txt" | sed "s/^RESULT /{\"server\":\"$s\",\"run\":$run,\"r\":/; s/\$/}/" >>"$OUT/results.jsonl"
      else
        echo "  failed: $(tail -3 "$OUT/err.txt")" >&2
      fi
      stop_server
    done
  done
done

python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cases = []
for x in rows:
    r = x["r"]; key = (r["docs"], r["clients_per_doc"], r["writers_per_doc"])
    if key not in cases: cases.append(key)
def cell(server, key):
    rs = [x["r"] for x in rows if x["server"] == server and (x["r"]["docs"], x["r"]["clients_per_doc"], x["r"]["writers_per_doc"]) == key]
    return rs
print("| case | Quire p99 | y-sweet p99 | y-websocket p99 | y-sweet / Quire | y-websocket / Quire | lost receipts (Q/ys/yw) | server CPU (Q/ys/yw) |")
print("|---|---|---|---|---|---|---|---|")
for key in cases:
    d, c, w = key
    per = {s: cell(s, key) for s in ("quire", "y-sweet", "y-websocket")}
    p99 = {s: [r["latency"]["p99_ms"] for r in rs] for s, rs in per.items()}
    med = {s: sorted(v)[len(v)//2] if v else None for s, v in p99.items()}
    fmt = lambda v: " / ".join(f"{x:.2f}" for x in v) + " ms" if v else "n/a"
    ratio = lambda s: f"{med[s]/med['quire']:.2f}" if med[s] and med["quire"] else "n/a"
    lost = "/".join(str(sum(r["receipts_expected"] - r["receipts"] for r in per[s])) for s in per)
    cpu = "/".join(("%.0f %%" % (sum(r["server_cpu_pct"] or 0 for r in per[s]) / len(per[s]))) if per[s] else "n/a" for s in per)
    print(f"| {d} doc × {c} clients, {w} writers × 10/s | {fmt(p99['quire'])} | {fmt(p99['y-sweet'])} | {fmt(p99['y-websocket'])} | {ratio('y-sweet')} | {ratio('y-websocket')} | {lost} | {cpu} |")
PY
