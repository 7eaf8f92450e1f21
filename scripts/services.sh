#!/usr/bin/env bash
# A private PostgreSQL 15 and a private Redis for this checkout, for the PostgreSQL test pass,
# `make run-cluster` and `make bench`.
#
#   scripts/services.sh start   install when missing (root: apt-get), start both, wait, create role + db
#   scripts/services.sh env     print DATABASE_URL=... and REDIS_URL=... (eval-able)
#   scripts/services.sh stop    stop what `start` started (by the pid files under ./var)
#   scripts/services.sh status  say what runs
#
# Data lives under ./var (git-ignored). Ports: CXSMS_PG_PORT (55432) and CXSMS_REDIS_PORT (56379).
# Leases: `start` registers a user (CXSMS_SERVICES_LEASE: a pid, which lapses when that process
# ends, or a name such as `cluster`; default `manual`) and `stop` removes it and stops the servers
# only once no other user is left, so `make test` runs, `make run-cluster` and `make bench` in one
# working tree do not pull the servers from under each other. `stop --force` stops regardless.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VAR=$ROOT/var
PG_PORT=${CXSMS_PG_PORT:-55432}
REDIS_PORT=${CXSMS_REDIS_PORT:-56379}
PG_DB=${CXSMS_PG_DB:-cxsms}
PG_ROLE=${CXSMS_PG_ROLE:-cxsms}
LEASES=$VAR/leases
REDIS_PIDFILE=$VAR/redis.pid
PASSWORD_FILE=$VAR/pg.password

log() { echo "services: $*" >&2; }
die() { log "$*"; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
    is_root || die "$* missing and this is not root: apt-get install -y $*"
    log "installing Debian's $* …"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
    # Debian's maintainer scripts may try to start the packaged services; in a container without
    # an init system that fails harmlessly. Ours run on private ports anyway.
    apt-get install -y -qq "$@" >/dev/null
}

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    return 1
}

ensure_installed() {
    local pkgs=()
    pg_bindir >/dev/null || pkgs+=(postgresql)
    command -v psql >/dev/null 2>&1 || pkgs+=(postgresql-client)
    command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
    if [ ${#pkgs[@]} -gt 0 ]; then apt_install "${pkgs[@]}"; fi
    PG_BIN=$(pg_bindir) || die "PostgreSQL binaries not found after installing"
}

# PostgreSQL refuses to run as root: as root we run it as the `postgres` system user.
PG_USER=$(id -un)
setup_pg_user() {
    if is_root; then
        PG_USER=postgres
        if ! id postgres >/dev/null 2>&1; then
            log "creating the postgres system user"
            useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
        fi
    fi
}

as_pg() {
    if is_root; then
        if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
    else
        "$@"
    fi
}

# The data folder must be reachable by the postgres user; a checkout under a private home folder is
# not, so fall back to a folder under /var/tmp named after the checkout.
pg_dirs() {
    PG_BASE=$VAR/pg
    mkdir -p "$VAR"
    if is_root && ! runuser -u postgres -- test -x "$VAR" 2>/dev/null; then
        PG_BASE=/var/tmp/cxsms-pg-$(echo -n "$ROOT" | md5sum | cut -c1-10)
    fi
    PGDATA=$PG_BASE/data
    PG_SOCK=$PG_BASE/sock
    PG_LOG=$PG_BASE/postgres.log
}

pg_pid() {
    # The postmaster's pid from its own pid file, when that process still runs.
    local pid
    [ -f "$PGDATA/postmaster.pid" ] || return 1
    pid=$(head -1 "$PGDATA/postmaster.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

redis_pid() {
    local pid
    [ -f "$REDIS_PIDFILE" ] || return 1
    pid=$(cat "$REDIS_PIDFILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

psql_admin() {
    as_pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

start_pg() {
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        log "initdb $PGDATA"
        mkdir -p "$PG_BASE"
        rm -rf "$PGDATA"
        mkdir -p "$PGDATA" "$PG_SOCK"
        is_root && chown -R postgres: "$PG_BASE"
        chmod 700 "$PGDATA"
        # Local socket: trust (the socket folder is private to the postgres user and root); TCP: password.
        as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=trust --auth-host=scram-sha-256 >"$PG_BASE/initdb.log" 2>&1 \
            || { cat "$PG_BASE/initdb.log" >&2; die "initdb failed"; }
        cat >>"$PGDATA/postgresql.conf" <<EOF
# cxsms private test/bench server
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCK'
unix_socket_permissions = 0700
max_connections = 300
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    mkdir -p "$PG_SOCK"; is_root && chown postgres: "$PG_SOCK"
    if pid=$(pg_pid); then
        log "PostgreSQL already runs (pid $pid, port $PG_PORT)"
    else
        if port_in_use "$PG_PORT"; then die "port $PG_PORT is taken by something that is not ours; set CXSMS_PG_PORT"; fi
        log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -o "-p $PG_PORT -k $PG_SOCK" -w -t 60 start >/dev/null 9>&- \
            || { tail -30 "$PG_LOG" >&2; die "PostgreSQL did not start"; }
    fi
    local i
    for i in $(seq 1 120); do
        as_pg "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" && break
        sleep 0.5
    done
    as_pg "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" || die "PostgreSQL does not answer"

    if [ ! -s "$PASSWORD_FILE" ]; then
        (umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PASSWORD_FILE")
    fi
    local password; password=$(cat "$PASSWORD_FILE")
    # Role with CREATEDB: pytest-django and the live servers create throwaway databases.
    psql_admin <<SQL >/dev/null
SELECT 'CREATE ROLE $PG_ROLE LOGIN CREATEDB' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE') \gexec
ALTER ROLE $PG_ROLE WITH LOGIN CREATEDB PASSWORD '$password';
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_ROLE' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DB') \gexec
SQL
}

start_redis() {
    if pid=$(redis_pid); then
        log "Redis already runs (pid $pid, port $REDIS_PORT)"
    else
        if port_in_use "$REDIS_PORT"; then die "port $REDIS_PORT is taken by something that is not ours; set CXSMS_REDIS_PORT"; fi
        log "starting Redis on 127.0.0.1:$REDIS_PORT"
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --pidfile "$REDIS_PIDFILE" --dir "$VAR" \
            --logfile "$VAR/redis.log" --save "" --appendonly no 9>&-
    fi
    local i
    for i in $(seq 1 100); do
        if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then return 0; fi
        sleep 0.1
    done
    die "Redis does not answer on port $REDIS_PORT (see var/redis.log)"
}

print_env() {
    [ -s "$PASSWORD_FILE" ] || die "not started yet: scripts/services.sh start"
    echo "DATABASE_URL=postgres://$PG_ROLE:$(cat "$PASSWORD_FILE")@127.0.0.1:$PG_PORT/$PG_DB"
    echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

live_leases() {
    local f pid out=()
    [ -d "$LEASES" ] || return 0
    for f in "$LEASES"/*; do
        [ -e "$f" ] || continue
        pid=$(basename "$f")
        if ! [[ $pid =~ ^[0-9]+$ ]] || kill -0 "$pid" 2>/dev/null; then out+=("$pid"); else rm -f "$f"; fi
    done
    echo "${out[@]:-}"
}

stop_all() {
    local pid i
    if pid=$(redis_pid); then
        log "stopping Redis (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        rm -f "$REDIS_PIDFILE"
    fi
    if pid=$(pg_pid); then
        log "stopping PostgreSQL (pid $pid)"
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null || kill "$pid" 2>/dev/null || true
    fi
}

cmd=${1:-}
setup_pg_user
pg_dirs
case "$cmd" in
    start)
        ensure_installed
        mkdir -p "$LEASES"
        touch "$LEASES/${CXSMS_SERVICES_LEASE:-manual}"
        # One start at a time in this checkout (two `make test` runs at once).
        exec 9>"$VAR/services.lock"
        flock 9 2>/dev/null || true
        start_pg
        start_redis
        log "ready"
        ;;
    env)
        print_env
        ;;
    stop)
        PG_BIN=$(pg_bindir) || PG_BIN=""
        rm -f "$LEASES/${CXSMS_SERVICES_LEASE:-manual}"
        others=$(live_leases)
        if [ -n "$others" ] && [ "${2:-}" != "--force" ]; then
            log "still in use by: $others; leaving them running (stop --force to stop anyway)"
            exit 0
        fi
        stop_all
        ;;
    status)
        if pid=$(pg_pid); then echo "postgresql: pid $pid port $PG_PORT data $PGDATA"; else echo "postgresql: stopped"; fi
        if pid=$(redis_pid); then echo "redis: pid $pid port $REDIS_PORT"; else echo "redis: stopped"; fi
        others=$(live_leases); [ -n "$others" ] && echo "leases: $others"
        exit 0
        ;;
    *)
        echo "usage: $0 start|stop [--force]|env|status" >&2
        exit 2
        ;;
esac
