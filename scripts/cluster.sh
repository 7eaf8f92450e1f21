#!/usr/bin/env bash
# `make run-cluster` / `make stop-cluster`: N daphne processes (default 2) on ports 8001..800N and
# W worker processes (default 2, `manage.py run_worker`), all against one private PostgreSQL and one
# private Redis (scripts/services.sh). The web processes serve HTTP and websockets and do no
# background work; the workers run the timers, the outbox and campaigns. Demo data is loaded once.
#
#   scripts/cluster.sh start [N] [W]  services, migrate, load_demo, N daphne + W workers; waits until the web answers
#   scripts/cluster.sh stop         stops the daphne processes (pid files) and releases the services
#   scripts/cluster.sh status
#
# Environment: CXSMS_CLUSTER_HOST (127.0.0.1), CXSMS_CLUSTER_BASE_PORT (8000: processes on base+1..base+N),
# CXSMS_CHANNEL_LAYER and every other CXSMS_* setting pass through to the servers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=$ROOT/var/cluster
HOST=${CXSMS_CLUSTER_HOST:-127.0.0.1}
BASE=${CXSMS_CLUSTER_BASE_PORT:-8000}
PY=$ROOT/.venv/bin/python
export CXSMS_SERVICES_LEASE=cluster

log() { echo "cluster: $*" >&2; }

load_env() {
    local line
    while IFS= read -r line; do export "$line"; done < <(scripts/services.sh env)
}

running_pids() {
    local f pid
    for f in "$RUN"/daphne-*.pid "$RUN"/worker-*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        if kill -0 "$pid" 2>/dev/null; then echo "$pid"; else rm -f "$f"; fi
    done
}

start() {
    local n=${1:-${N:-2}} w=${2:-${W:-2}} i port origins="" urls=()
    mkdir -p "$RUN"
    if [ -n "$(running_pids)" ]; then log "already running:"; status; return 0; fi
    scripts/services.sh start
    load_env
    for i in $(seq 1 "$n"); do origins+="${origins:+,}http://$HOST:$((BASE + i))"; done
    export CXSMS_WS_ALLOWED_ORIGINS=${CXSMS_WS_ALLOWED_ORIGINS:-$origins}
    # Metrics of all N processes add up in one scrape (docs/operations.md); emptied at each start.
    export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$RUN/prometheus}
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && rm -f "$PROMETHEUS_MULTIPROC_DIR"/*.db
    "$PY" manage.py migrate --noinput >/dev/null
    "$PY" manage.py load_demo
    for i in $(seq 1 "$n"); do
        port=$((BASE + i))
        # Each process signs its Twilio status callbacks with its own address.
        CXSMS_PUBLIC_URL=${CXSMS_PUBLIC_URL:-http://$HOST:$port} \
            setsid "$PY" -m daphne -b "$HOST" -p "$port" cxsms_site.asgi:application >"$RUN/daphne-$port.log" 2>&1 < /dev/null &
        echo $! >"$RUN/daphne-$port.pid"
        urls+=("http://$HOST:$port")
    done
    for i in $(seq 1 "$w"); do
        CXSMS_PUBLIC_URL=${CXSMS_PUBLIC_URL:-http://$HOST:$((BASE + 1))} \
            setsid "$PY" manage.py run_worker >"$RUN/worker-$i.log" 2>&1 < /dev/null &
        echo $! >"$RUN/worker-$i.pid"
    done
    for url in "${urls[@]}"; do
        for i in $(seq 1 120); do
            if "$PY" - "$url" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/login/", timeout=2)
EOF
            sleep 0.5
        done
    done
    status
    log "logs: $RUN/daphne-<port>.log, $RUN/worker-<n>.log; stop with: make stop-cluster"
}

stop() {
    local pid i
    for pid in $(running_pids); do
        log "stopping pid $pid"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in $(running_pids); do
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    rm -f "$RUN"/daphne-*.pid "$RUN"/worker-*.pid
    scripts/services.sh stop
}

status() {
    local f port pid
    for f in "$RUN"/daphne-*.pid; do
        [ -e "$f" ] || continue
        port=${f##*/daphne-}; port=${port%.pid}; pid=$(cat "$f")
        if kill -0 "$pid" 2>/dev/null; then echo "daphne http://$HOST:$port pid $pid"; else echo "daphne :$port stopped"; fi
    done
    for f in "$RUN"/worker-*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        if kill -0 "$pid" 2>/dev/null; then echo "worker ${f##*/} pid $pid"; else echo "worker ${f##*/} stopped"; fi
    done
    scripts/services.sh status
}

case "${1:-}" in
    start) start "${2:-}" "${3:-}" ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start [N] [W]|stop|status" >&2; exit 2 ;;
esac
