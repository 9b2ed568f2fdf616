#!/usr/bin/env bash
# System packages the test suite needs, from Debian's repositories (never downloaded browser
# builds): chromium for the report's real-browser test, postgresql for the Prefect server test
# (scripts/test-postgres.sh runs its throw-away clusters). Idempotent: installs only what is
# missing. Called by `make test` and .ci/run.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "system-deps: missing ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
else SUDO=""; fi
echo "system-deps: installing ${need[*]} (Debian packages)"
export DEBIAN_FRONTEND=noninteractive
fail() { echo "system-deps: $1 failed; install ${need[*]} with apt-get, then rerun" >&2; exit 1; }
$SUDO apt-get update -qq >/dev/null || fail "apt-get update"
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || fail "apt-get install ${need[*]}"
