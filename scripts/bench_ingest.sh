#!/usr/bin/env bash
# Times `ingest` on generated exports and, where Miller is installed, `mlr --icsv --ojsonl cat`
# on the same CSV files. Prints a Markdown table: wall seconds, MB/s, records/s, peak RSS.
#   scripts/bench_ingest.sh [ACCOUNTS]     (default 100000; data cached in bench-data/)
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-100000}
data=bench-data/$accounts
if [ ! -d "$data" ]; then
  echo "generating $accounts accounts into $data …" >&2
  python3 scripts/generate_exports.py --out "$data" --accounts "$accounts" --usage-days 14
fi
bin=.build/release/ingest
[ -x "$bin" ] || swift build -c release

measure() {  # measure LABEL FILE COMMAND… → one table row
  local label=$1 file=$2; shift 2
  local bytes records stats wall rss
  bytes=$(stat -c %s "$file")
  /usr/bin/time -f '%e %M' -o /tmp/cspipe-bench.time "$@" > /tmp/cspipe-bench.out 2> /dev/null
  stats=$(tail -n 1 /tmp/cspipe-bench.time)
  records=$(wc -l < /tmp/cspipe-bench.out)
  wall=${stats% *}; rss=${stats#* }
  awk -v l="$label" -v f="$(basename "$file")" -v b="$bytes" -v w="$wall" -v r="$rss" -v n="$records" 'BEGIN {
    if (w == 0) w = 0.01
    printf "| %s | %s | %.1f | %.2f | %.1f | %.0f | %.0f |\n", l, f, b / 1e6, w, b / 1e6 / w, n / w, r / 1024 }'
}

echo "| tool | file | MB | wall s | MB/s | records/s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for file in "$data"/*.csv "$data"/*.xml; do
  measure ingest "$file" "$bin" "$file"
  if [[ $file == *.csv ]] && command -v mlr > /dev/null; then
    measure "mlr 6 cat" "$file" mlr --icsv --ojsonl cat "$file"
  fi
done
rm -f /tmp/cspipe-bench.out /tmp/cspipe-bench.time
