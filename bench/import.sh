#!/usr/bin/env bash
# Import and demo benchmarks on the demo's history.
#
#   bench/import.sh [TICKETS] [POSTGRES_URL]
#
# 1. `sanjeh demo --tickets TICKETS --no-serve` into a fresh SQLite file (timed: the demo
#    budget), 2. `sanjeh export` of it, 3. `sanjeh import` of that file into a fresh SQLite
#    file and, when a URL is given, a fresh PostgreSQL database (timed: events per second).
set -euo pipefail
cd "$(dirname "$0")/.."
tickets=${1:-1000000}
pg=${2:-}
bin=target/release/sanjeh
mkdir -p target/bench
demo=target/bench/demo-$tickets.db
rm -f "$demo" "$demo-wal" "$demo-shm"

echo "== demo --tickets $tickets"
/usr/bin/time -f "demo: %e s wall, %M KB max RSS" "$bin" --database "$demo" demo --tickets "$tickets" --no-serve

export_file=target/bench/demo-$tickets.jsonl
"$bin" --database "$demo" export -o "$export_file"
echo "export: $(wc -l < "$export_file") events, $(du -h "$export_file" | cut -f1)"

echo "== import into SQLite"
target=target/bench/import-$tickets.db
rm -f "$target" "$target-wal" "$target-shm"
/usr/bin/time -f "import sqlite: %e s wall, %M KB max RSS" "$bin" --database "$target" import "$export_file"

if [ -n "$pg" ]; then
  echo "== import into PostgreSQL"
  name=sanjeh_bench_import
  psql "$pg" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
  /usr/bin/time -f "import postgres: %e s wall, %M KB max RSS" "$bin" --database "${pg%/*}/$name" import "$export_file"
fi
