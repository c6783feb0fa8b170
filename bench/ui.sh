#!/usr/bin/env bash
# Web UI latency on loopback, signed in: N sequential requests per page with curl, then p50,
# p95, max and the bytes transferred. Usage (after `sanjeh demo` printed the admin's password):
#   SANJEH_PW=... bench/ui.sh http://127.0.0.1:8080 ADM 100 '/dashboard?from=2025-12-01&to=2025-12-31' ...
# Only loopback addresses are accepted; the loop is bounded by N.
set -euo pipefail
base=${1:?base URL}; login=${2:?login}; n=${3:?requests per page}; shift 3
case "$base" in http://127.*|http://localhost*|http://\[::1\]*) ;; *) echo "loopback only" >&2; exit 2;; esac
jar=$(mktemp); trap 'rm -f "$jar"' EXIT
csrf=$(curl -s -c "$jar" -b "$jar" "$base/signin" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
  --data-urlencode "login=$login" --data-urlencode "password=${SANJEH_PW:?}" --data-urlencode "csrf=$csrf" "$base/signin")
[ "$code" = 303 ] || { echo "sign-in answered $code" >&2; exit 1; }
printf 'page\tn\tp50_ms\tp95_ms\tmax_ms\tbytes\n'
for path in "$@"; do
  for _ in 1 2 3; do curl -s -o /dev/null -b "$jar" "$base$path"; done   # warm-up
  for _ in $(seq "$n"); do
    curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total} %{size_download}\n' "$base$path"
  done | awk -v p="$path" '
    $1 != 200 { bad++ } { t[NR] = $2 * 1000; b = $3 }
    END { n = asort(t); if (bad) print "non-200 answers: " bad > "/dev/stderr";
          printf "%s\t%d\t%.1f\t%.1f\t%.1f\t%d\n", p, n, t[int((n-1)*0.5)+1], t[int((n-1)*0.95)+1], t[n], b }'
done
