# cspipe: `make` builds the tools and runs the pipeline on the shipped samples;
# `make test` runs every test. See README.md.

SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/release

.DEFAULT_GOAL := all
# A stage that fails (ingest with one unreadable export still writes the others) must not leave
# a file that a later make takes as up to date.
.DELETE_ON_ERROR:

## all: build (release) and run the pipeline on the samples (or INPUTS=…), ending in the report
all: build
	@$(MAKE) --no-print-directory pipeline

## setup: install what a fresh Debian machine lacks (libxml2-dev, zlib, GNU time, Chromium, jq)
setup:
	scripts/setup.sh

## build: release binaries in .build/release
build:
	$(SWIFT) build -c release

## help: list the targets and what they do
help:
	@awk -F': ' '/^## [a-z-]+:/ { sub(/^## /, ""); name = $$1; sub(/^[^:]*: /, ""); printf "  make %-13s %s\n", name, $$0 }' $(MAKEFILE_LIST)

## lint: swift-format (the toolchain's) in lint mode over every Swift file, configured by .swift-format
LINT_PATHS := Sources Tests Package.swift Fuzz/Package.swift Fuzz/Sources
lint:
	$(SWIFT) format lint --strict --recursive $(LINT_PATHS)

## format: rewrite every Swift file as .swift-format says (then make lint passes)
format:
	$(SWIFT) format format --in-place --recursive $(LINT_PATHS)

## test: unit, golden, conformance, real-export, hostile-input, Makefile and browser tests
test:
	$(SWIFT) build --build-tests
	$(SWIFT) test
	@test -c /dev/null || { echo "make test: /dev/null is no longer a character device" >&2; exit 1; }

## mappings: compile pipelines/mappings/*.json, model.json and journey.json into the binaries (after editing one)
mappings:
	python3 scripts/embed_mappings.py
	$(SWIFT) format format --in-place Sources/CSPipeNormalise/BuiltinMappings.swift Sources/CSPipeScore/BuiltinModel.swift Sources/CSPipeStage/BuiltinJourney.swift

## samples: regenerate the synthetic sample exports (deterministic)
samples:
	python3 scripts/generate_exports.py --out samples/exports

## bench: every stage and the chain against jq, Miller and DuckDB on generated data (SCALE
## accounts); peers: apt-get install jq miller libxml2-utils, pip install duckdb
SCALE ?= 100000
bench: build
	python3 scripts/bench.py --accounts $(SCALE)

## bench-ingest: ingest alone vs Miller, per generated file
bench-ingest: build
	scripts/bench_ingest.sh $(SCALE)

## fuzz: libFuzzer on the CSV, XML, NDJSON and gzip readers, normalise's raw-record conversion and its
## value parsers, score's arithmetic, stage's journey loader and placement, report's sections and rendering (FUZZ_RUNS each, FUZZ_TARGETS to pick; seeds from samples/, ../shared/real-exports
## and Tests/FuzzCorpus); a crash leaves its input in build/fuzz/ to turn into a regression test
FUZZ_RUNS ?= 1000000
FUZZ_TARGETS ?= csv xml ndjson raw values arithmetic gzip score stage report
fuzz:
	mkdir -p .build-fuzz && ln -sfn "$(CURDIR)" .build-fuzz/cspipe
	cd Fuzz && $(SWIFT) build -c release --scratch-path ../.build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld
	FUZZ_TARGETS="$(FUZZ_TARGETS)" scripts/fuzz.sh $(FUZZ_RUNS)

## spark: the chain on Apache Spark (local mode) against one process, byte for byte, on the samples and
## on 3000 generated accounts shuffled and split with copies across shards (installs Java 17 and pyspark 4.3.0 if missing)
spark: build
	scripts/spark_check.sh

clean:
	rm -rf build

include pipelines/default.mk
include pipelines/backtest.mk
include pipelines/demo.mk

.PHONY: all setup build help lint format test mappings samples bench bench-ingest fuzz spark clean
