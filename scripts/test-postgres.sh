#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the Prefect server test (tests/test_server.py): Debian's
# postgresql (scripts/system-deps.sh installs it), on 127.0.0.1 at a free port, one empty
# database `prefect`, a random password. Used by .ci/run and, when LYMPHCAST_TEST_POSTGRES_URL
# is not set, by the test itself.
#
#   dir=$(scripts/test-postgres.sh start $$)   # prints the cluster's directory
#   cat "$dir/url"   # postgresql+asyncpg://postgres:PASSWORD@127.0.0.1:PORT/prefect
#   scripts/test-postgres.sh stop "$dir"       # stops the cluster, removes the directory
#
# The pid given to `start` (default: its parent) owns the cluster: once that process is gone,
# the next `start` stops and removes the cluster, so a killed CI job leaves nothing running.
# As root (CI) the cluster runs as the `postgres` user: PostgreSQL refuses to run as root.
# Durability is off (fsync, full-page writes): the data is thrown away.
set -euo pipefail

PREFIX=lymphcast-pg.
die() { echo "test-postgres: $*" >&2; exit 1; }

bin_dir() {
  local d
  d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1) \
    || true
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] \
    || die "PostgreSQL is not installed; run scripts/system-deps.sh (make test does it)."
  echo "$d"
}

as_db_user() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop() {
  local dir=$1 pid
  [ -d "$dir" ] || return 0
  [ -f "$dir/owner" ] || die "$dir was not made by test-postgres.sh start; refusing to remove it."
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    if ! as_db_user "$BIN/pg_ctl" -D "$dir/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1
    then
      pid=$(head -n 1 "$dir/pg/data/postmaster.pid" 2>/dev/null || true)
      [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

sweep() {  # clusters of callers that died (SIGKILL) before calling stop
  local d owner
  for d in "${TMPDIR:-/tmp}/$PREFIX"*; do
    [ -d "$d" ] && [ -O "$d" ] && [ -f "$d/owner" ] || continue
    owner=$(cat "$d/owner" 2>/dev/null || true)
    [ -n "$owner" ] && [ -d "/proc/$owner" ] || stop "$d"
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {  # $1: the pid whose death makes the cluster stale (default: the caller)
  local pg password out port attempt
  sweep
  dir=$(mktemp -d "${TMPDIR:-/tmp}/${PREFIX}XXXXXXXX")  # global: the EXIT trap reads it
  trap 'stop "$dir"' EXIT  # a failed start leaves nothing behind
  chmod 711 "$dir"  # the postgres user reaches pg/ only; url (the password) stays private
  echo "${1:-$PPID}" >"$dir/owner"
  pg="$dir/pg"
  mkdir -m 700 "$pg"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$pg"
  password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077 && echo "$password" >"$pg/pwfile")
  [ "$(id -u)" -ne 0 ] || chown postgres: "$pg/pwfile"
  out=$(as_db_user "$BIN/initdb" -D "$pg/data" -U postgres -E UTF8 --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pg/pwfile" 2>&1) \
    || die "initdb failed: $(tail -n 1 <<<"$out")"
  rm -f "$pg/pwfile"
  for attempt in 1 2 3; do  # another process may take the free port before postgres binds it
    port=$(free_port)
    if as_db_user "$BIN/pg_ctl" -D "$pg/data" -l "$pg/log" -w -t 60 start \
      -o "-h 127.0.0.1 -p $port -k $pg -c fsync=off -c full_page_writes=off" >/dev/null 2>&1
    then break; fi
    [ "$attempt" -lt 3 ] || die "postgres did not start: $(tail -n 1 "$pg/log" 2>/dev/null)"
  done
  out=$(as_db_user "$BIN/createdb" -h "$pg" -p "$port" -U postgres prefect 2>&1) \
    || die "createdb failed: $(tail -n 1 <<<"$out")"
  (umask 077 && echo "postgresql+asyncpg://postgres:$password@127.0.0.1:$port/prefect" \
    >"$dir/url")
  trap - EXIT
  echo "$dir"
}

BIN=$(bin_dir)
case "${1:-}" in
  start) [ $# -le 2 ] || die "usage: $0 start [OWNER_PID]"; start "${2:-$PPID}" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start [OWNER_PID] | $0 stop DIR" ;;
esac
