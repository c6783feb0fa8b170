#!/usr/bin/env bash
# API write benchmark: single-message POSTs from 64 concurrent loopback connections (wrk),
# against `sanjeh serve` on SQLite or PostgreSQL. Every answer must be 201 (durably committed).
#
#   bench/api.sh sqlite            # a fresh SQLite file under target/bench
#   bench/api.sh postgres URL      # a fresh database on the server URL points at
#
# Needs: wrk (Debian package), a release build (cargo build --release -p sanjeh).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
duration=${DURATION:-20s}
bin=target/release/sanjeh
mkdir -p target/bench
case "$backend" in
  sqlite)
    db=target/bench/api.db
    rm -f "$db" "$db-wal" "$db-shm" ;;
  postgres)
    base=${2:-postgres://postgres@127.0.0.1:5432/postgres}
    name=sanjeh_bench_api
    psql "$base" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    db="${base%/*}/$name" ;;
  *) echo "usage: $0 sqlite|postgres [URL]" >&2; exit 64 ;;
esac

tickets=target/bench/api-tickets.jsonl
for i in $(seq 0 999); do
  echo "{\"type\":\"ticket.created\",\"at\":\"2026-01-01T00:00:00Z\",\"ticket\":\"B-$i\",\"customer\":\"C-1\",\"channel\":\"web\"}"
done > "$tickets"
"$bin" --database "$db" import "$tickets" 2>/dev/null
export SANJEH_TOKEN=$("$bin" --database "$db" admin token issue --name bench --role agent 2>/dev/null)

SANJEH_LOG=warn ${PERF:-} "$bin" --database "$db" serve --listen 127.0.0.1:18080 > /dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/readyz > /dev/null && break; sleep 0.1; done

wrk -t2 -c64 -d"$duration" --latency -s bench/post_message.lua http://127.0.0.1:18080
kill $server; wait $server 2>/dev/null || true
trap - EXIT
echo "messages stored: $("$bin" --database "$db" export 2>/dev/null | grep -c '"ticket.message"')"
