#!/usr/bin/env bash
# make spark: the chain on Spark (scripts/spark_chain.py, local mode) against the one-process
# chain, byte for byte, on the samples and on generated exports shuffled and split into parts
# with copies of rows across them. Installs what it needs the documented way (a Java runtime
# from Debian, pyspark pinned from PyPI) when missing. Exits 1 on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
PYSPARK_VERSION=4.3.0
BIN=${BIN:-.build/release}
WORK=${WORK:-build/spark}
MASTER=${MASTER:-local[2]}
AS_OF=2026-11-15

if ! command -v java >/dev/null; then
  echo "spark: installing a Java runtime (openjdk-17-jre-headless)" >&2
  apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
fi
if [ "$(python3 -c 'import pyspark; print(pyspark.__version__)' 2>/dev/null)" != "$PYSPARK_VERSION" ]; then
  echo "spark: installing pyspark==$PYSPARK_VERSION" >&2
  python3 -m pip install -q "pyspark==$PYSPARK_VERSION"
fi
# Spark's own logging, not ours: keep it to errors.
export PYSPARK_PYTHON=${PYSPARK_PYTHON:-$(command -v python3)}
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}

normalise_flags=(--aliases pipelines/aliases.csv --timezone freshdesk=UTC)
# One process, the same exports, the same flags: the bytes Spark must give.
one_process() {
  local out=$1
  shift
  mkdir -p "$out"
  "$BIN/ingest" -q "$@" | "$BIN/normalise" --as-of $AS_OF "${normalise_flags[@]}" -o "$out/canonical.ndjson" \
    2> "$out/normalise.log"
  echo "spark: one process: $(tail -1 "$out/normalise.log")"
  "$BIN/segment" -q "$out/canonical.ndjson" --as-of $AS_OF --config pipelines/segments.json -o "$out/accounts.ndjson"
  "$BIN/score" -q "$out/accounts.ndjson" --as-of $AS_OF --model pipelines/model.json -o "$out/scored.ndjson"
  "$BIN/stage" -q "$out/scored.ndjson" --as-of $AS_OF --journey pipelines/journey.json \
    --cohorts "$out/cohorts.ndjson" -o "$out/staged.ndjson"
}

on_spark() {
  local out=$1 shard_records=$2
  shift 2
  python3 scripts/spark_chain.py --bin "$BIN" --as-of $AS_OF --work "$out" --master "$MASTER" \
    --shard-records "$shard_records" "${normalise_flags[@]}" --segment-config pipelines/segments.json \
    --model pipelines/model.json --journey pipelines/journey.json "$@"
}

compare() {
  local label=$1 one=$2 spark=$3 failed=0
  for file in accounts scored staged cohorts; do
    if cmp -s "$one/$file.ndjson" "$spark/out/$file.ndjson"; then
      echo "spark: $label: $file.ndjson identical ($(wc -l < "$one/$file.ndjson") lines)"
    else
      echo "spark: $label: $file.ndjson DIFFERS: cmp $one/$file.ndjson $spark/out/$file.ndjson" >&2
      failed=1
    fi
  done
  # The canonical records too, in any order: the shards' together are the one run's.
  if cmp -s <(sort "$one/canonical.ndjson") <(cat "$spark"/canonical/[0-9]*-[0-9][0-9][0-9][0-9].ndjson | sort); then
    echo "spark: $label: canonical records identical after sorting ($(wc -l < "$one/canonical.ndjson") lines)"
  else
    echo "spark: $label: canonical records DIFFER" >&2
    failed=1
  fi
  return $failed
}

rm -rf "$WORK"
mkdir -p "$WORK"
status=0

samples=(samples/exports/*.csv samples/exports/*.xml)
one_process "$WORK/samples-one" "${samples[@]}"
on_spark "$WORK/samples-spark" 300 "${samples[@]}"
compare samples "$WORK/samples-one" "$WORK/samples-spark" || status=1

# A few thousand accounts, every CSV shuffled and split in three, 40 rows of each repeated
# (changed) in another part: the same source key in two shards.
python3 scripts/generate_exports.py --out "$WORK/generated" --accounts ${SPARK_ACCOUNTS:-3000} --seed 7 --usage-days 14
python3 scripts/shuffle_split_exports.py --in "$WORK/generated" --out "$WORK/split" --parts 3 --seed 7 --copies 40
split_exports=("$WORK"/split/*)
one_process "$WORK/generated-one" "${split_exports[@]}"
on_spark "$WORK/generated-spark" 20000 "${split_exports[@]}"
compare generated "$WORK/generated-one" "$WORK/generated-spark" || status=1

# The check has teeth: shards normalised without the others' surveys do differ.
for shard in "$WORK"/generated-spark/shards/*.ndjson; do
  "$BIN/normalise" -q --as-of $AS_OF "${normalise_flags[@]}" "$shard"
done | sort > "$WORK/naive.sorted"
if cmp -s "$WORK/naive.sorted" <(sort "$WORK/generated-one/canonical.ndjson"); then
  echo "spark: shards normalised without --identity gave one run's records: the generated set does not test sharding" >&2
  status=1
else
  echo "spark: (without --identity, the shards' records differ from one run's, as they must)"
fi

[ $status -eq 0 ] && echo "spark: the Spark chain and the one-process chain agree byte for byte"
exit $status
