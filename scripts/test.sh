#!/usr/bin/env bash
# The whole suite on SQLite and, beside it, the database-facing tests again on PostgreSQL.
# When no PostgreSQL answers, that half is reported as SKIPPED, loudly, never as passed.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=.venv/bin/pytest
POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

echo "=== ruff (lint and format) ==="
.venv/bin/ruff check --quiet . && .venv/bin/ruff format --check --quiet .
lint_rc=$?

# The two halves run side by side (two cores), each in a state directory of its own:
# its own test database file, file cache, media and mail, so neither sees the other's.
# Each prints its 25 slowest tests, to see where the time goes.
VAR_BASE=${MANYI_TEST_VAR:-$PWD/var/test-runs}
mkdir -p "$VAR_BASE"
rm -rf "$VAR_BASE/sqlite" "$VAR_BASE/postgres"

postgres_up() {
  .venv/bin/python - "$POSTGRES_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}")
    sys.exit(1)
PY
}

echo "=== Manyi tests on SQLite (log: $VAR_BASE/sqlite.log) ==="
env -u DATABASE_URL MANYI_VAR_DIR="$VAR_BASE/sqlite" $PYTEST --durations=25 "$@" >"$VAR_BASE/sqlite.log" 2>&1 &
sqlite_pid=$!

pg_pid=""
if postgres_up; then
  echo "=== Manyi database-facing tests on PostgreSQL ($POSTGRES_URL; log: $VAR_BASE/postgres.log) ==="
  DATABASE_URL=$POSTGRES_URL MANYI_DB_FACING_ONLY=1 MANYI_VAR_DIR="$VAR_BASE/postgres" \
    $PYTEST --durations=25 "$@" >"$VAR_BASE/postgres.log" 2>&1 &
  pg_pid=$!
fi

wait $sqlite_pid
sqlite_rc=$?
echo "=== Manyi tests on SQLite: output ==="
cat "$VAR_BASE/sqlite.log"

if [ -n "$pg_pid" ]; then
  wait $pg_pid
  pg_rc=$?
  echo "=== Manyi database-facing tests on PostgreSQL: output ==="
  cat "$VAR_BASE/postgres.log"
else
  pg_rc=0
  cat <<'BANNER'
##########################################################################
###  POSTGRESQL TESTS SKIPPED: no PostgreSQL server answered.          ###
###  Only the SQLite half ran. Start PostgreSQL on 127.0.0.1:5432      ###
###  (or set POSTGRES_URL) to run the database tests on PostgreSQL.    ###
##########################################################################
BANNER
fi

echo "=== summary: lint rc=$lint_rc, SQLite rc=$sqlite_rc, PostgreSQL rc=$pg_rc ==="
[ $lint_rc -eq 0 ] && [ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
