#!/usr/bin/env bash
# The whole suite on SQLite, then the database-facing tests again on PostgreSQL.
# When no PostgreSQL answers, that half is reported as SKIPPED, loudly, never as passed.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=.venv/bin/pytest
POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

echo "=== ruff (lint and format) ==="
.venv/bin/ruff check --quiet . && .venv/bin/ruff format --check --quiet .
lint_rc=$?

echo "=== Manyi tests on SQLite ==="
env -u DATABASE_URL $PYTEST "$@"
sqlite_rc=$?

if .venv/bin/python - "$POSTGRES_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}")
    sys.exit(1)
PY
then
  echo "=== Manyi database-facing tests on PostgreSQL ($POSTGRES_URL) ==="
  DATABASE_URL=$POSTGRES_URL MANYI_DB_FACING_ONLY=1 $PYTEST "$@"
  pg_rc=$?
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

[ $lint_rc -eq 0 ] && [ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
