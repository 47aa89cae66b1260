#!/usr/bin/env bash
# A real multi-instance setup on this machine: N quire instances on loopback
# ports, nginx (Debian package) in front with sticky sessions, PostgreSQL and
# Redis. Usage:
#   scripts/cluster.sh start [N] [PORT]   # default 3 instances behind :8080
#   scripts/cluster.sh stop
#   scripts/cluster.sh status
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${QUIRE_CLUSTER_DIR:-/tmp/quire-cluster}
DB=${QUIRE_CLUSTER_DB:-quire_cluster}
PG_ADMIN=${QUIRE_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}

start() {
  local n=${1:-3} port=${2:-8080}
  command -v nginx >/dev/null || { echo "nginx is required: apt-get install -y nginx" >&2; exit 1; }
  ./scripts/services.sh
  mkdir -p "$RUN/logs"
  [ -x target/release/quire ] || cargo build --release --bin quire
  psql "$PG_ADMIN" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
    || psql "$PG_ADMIN" -qc "CREATE DATABASE $DB"
  local secret_file="$RUN/jwt_secret"
  [ -f "$secret_file" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > "$secret_file"
  local upstream=""
  for i in $(seq 1 "$n"); do
    local p=$((port + i))
    DATABASE_URL="${PG_ADMIN%/*}/$DB" REDIS_URL=redis://127.0.0.1:6379/ \
      JWT_SECRET="$(cat "$secret_file")" INSTANCE_ID="quire$i" BIND_ADDR="127.0.0.1:$p" \
      TRUSTED_PROXIES=127.0.0.1 nohup target/release/quire serve > "$RUN/logs/quire$i.log" 2>&1 &
    echo $! > "$RUN/quire$i.pid"
    upstream+="        server 127.0.0.1:$p;"$'\n'
  done
  cat > "$RUN/nginx.conf" <<CONF
worker_processes 1;
pid $RUN/nginx.pid;
error_log $RUN/logs/nginx-error.log;
events { worker_connections 20000; }
http {
    access_log off;
    client_body_temp_path $RUN/tmp; proxy_temp_path $RUN/tmp;
    fastcgi_temp_path $RUN/tmp; uwsgi_temp_path $RUN/tmp; scgi_temp_path $RUN/tmp;
    upstream quire {
        ip_hash;
$upstream    }
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    server {
        listen 127.0.0.1:$port;
        client_max_body_size 4m;
        location /ws/ {
            proxy_pass http://quire;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_read_timeout 120s;
            proxy_buffering off;
            tcp_nodelay on;
        }
        location / {
            proxy_pass http://quire;
            proxy_http_version 1.1;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP \$remote_addr;
        }
    }
}
CONF
  mkdir -p "$RUN/tmp"
  nginx -c "$RUN/nginx.conf" -p "$RUN"
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  echo "cluster: $n instances behind http://127.0.0.1:$port (logs in $RUN/logs)"
}

stop() {
  [ -f "$RUN/nginx.pid" ] && nginx -c "$RUN/nginx.conf" -p "$RUN" -s quit 2>/dev/null || true
  for f in "$RUN"/quire*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  echo "cluster stopped"
}

status() {
  for f in "$RUN"/quire*.pid; do
    [ -f "$f" ] && { kill -0 "$(cat "$f")" 2>/dev/null && echo "$(basename "$f" .pid): running" || echo "$(basename "$f" .pid): dead"; }
  done
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start [N] [PORT] | stop | status" >&2; exit 2 ;;
esac
