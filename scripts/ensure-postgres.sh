#!/usr/bin/env bash
# Make sure the PostgreSQL used by the storage tests answers on 127.0.0.1:5432.
# Tests that need it are skipped with a plain message when it cannot be started.
set -u
host=${ATHAR_PG_HOST:-127.0.0.1}
port=${ATHAR_PG_PORT:-5432}
if command -v pg_isready >/dev/null && pg_isready -q -h "$host" -p "$port"; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is not answering on $host:$port: starting it..."
  for v in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do
    pg_isready -q -h "$host" -p "$port" && { echo "PostgreSQL started."; exit 0; }
    sleep 1
  done
fi
echo "WARNING: PostgreSQL is not running on $host:$port and could not be started here."
echo "         The PostgreSQL tests will be reported as skipped. Start it, or set ATHAR_TEST_PG_URL."
exit 0
