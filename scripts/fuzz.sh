#!/usr/bin/env bash
# Runs each libFuzzer target (built by `make fuzz`; FUZZ_TARGETS picks some) for RUNS executions over a seed corpus made
# from the samples, the real exports beside the project and the pipeline's own NDJSON.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000000}
out=build/fuzz
mkdir -p "$out/corpus/csv" "$out/corpus/xml" "$out/corpus/ndjson" "$out/corpus/raw" "$out/corpus/values" "$out/corpus/arithmetic" "$out/corpus/gzip" "$out/corpus/score" "$out/corpus/stage" "$out/corpus/report"
cp Tests/FuzzCorpus/raw/* "$out/corpus/raw/"
cp Tests/FuzzCorpus/values/* "$out/corpus/values/"
cp Tests/FuzzCorpus/arithmetic/* "$out/corpus/arithmetic/"
# score seeds: account records from the golden cases, one per file.
for file in Tests/CSPipeCLITests/Cases/score/*/stdin; do split -l 1 -a 3 "$file" "$out/corpus/score/$(basename "$(dirname "$file")")-"; done
# stage seeds: its golden account records and journeys, and the regression corpus.
for file in Tests/CSPipeCLITests/Cases/stage/*/stdin; do split -l 1 -a 3 "$file" "$out/corpus/stage/$(basename "$(dirname "$file")")-"; done
for file in Tests/CSPipeCLITests/Cases/stage/*/journey.json pipelines/journey.json; do
  python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$file" > "$out/corpus/stage/journey-$(basename "$(dirname "$file")").json"
done
cp Tests/FuzzCorpus/stage/* "$out/corpus/stage/"
# report seeds: its golden inputs, cut into pieces of a few lines, and the regression corpus.
for file in Tests/CSPipeCLITests/Cases/report/*/stdin; do split -l 3 -a 3 "$file" "$out/corpus/report/$(basename "$(dirname "$file")")-"; done
cp Tests/FuzzCorpus/report/* "$out/corpus/report/"
# gzip seeds: the samples compressed, without the two magic bytes the target puts back.
for file in samples/exports/*; do gzip -n -c "$file" | tail -c +3 > "$out/corpus/gzip/$(basename "$file").gz"; done
cp samples/exports/*.csv "$out/corpus/csv/"
cp samples/exports/*.xml "$out/corpus/xml/"
if [ -d ../shared/real-exports ]; then
  for file in ../shared/real-exports/*/*; do
    case "$file" in
      *.csv) cp "$file" "$out/corpus/csv/real-$(basename "$file")" ;;
      *.xml) cp "$file" "$out/corpus/xml/real-$(basename "$file")" ;;
    esac
  done
fi
for stage in 01-ingest/raw 02-normalise/canonical 03-segment/accounts; do
  [ -f "build/pipeline/$stage.ndjson" ] && head -n 50 "build/pipeline/$stage.ndjson" > "$out/corpus/ndjson/$(basename "$stage").ndjson"
done
# Raw records, one per line, as seeds for the conversion target.
[ -f build/pipeline/01-ingest/raw.ndjson ] && split -l 1 -a 4 <(head -n 200 build/pipeline/01-ingest/raw.ndjson) "$out/corpus/raw/pipeline-"
# And runs of three from one file: the second and third meet the reader's envelope fast path.
[ -f build/pipeline/01-ingest/raw.ndjson ] && split -l 3 -a 4 <(head -n 120 build/pipeline/01-ingest/raw.ndjson) "$out/corpus/raw/runs-"
targets=${FUZZ_TARGETS:-csv xml ndjson raw values arithmetic gzip score stage report}
for target in $targets; do
  echo "== fuzz $target: $runs runs" >&2
  .build-fuzz/release/fuzz "$target" "$out/corpus/$target" -runs="$runs" -max_len=8192 -rss_limit_mb=1024 \
    -artifact_prefix="$out/crash-$target-" 2>&1 | grep -E "^(#[0-9]+.*DONE|Done|==[0-9]+==ERROR|SUMMARY)" || true
done
