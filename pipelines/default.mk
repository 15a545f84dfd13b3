# The cspipe pipeline as make rules: each stage reads the previous stage's file and writes its
# own under $(OUT)/NN-stage/, atomically (-o), with its rejects beside it. Point INPUTS at your
# own exports to run it on them:
#
#   make INPUTS='exports/*.csv exports/*.xml' OUT=build/acme
#
# Stages that do not exist yet (normalise, segment, score, stage, report) join here as they land.

INPUTS ?= $(sort $(wildcard samples/exports/*.csv samples/exports/*.xml))
OUT ?= build/pipeline
BIN ?= .build/release

INGESTED := $(OUT)/01-ingest/raw.ndjson

pipeline: $(INGESTED)

$(INGESTED): $(INPUTS) $(BIN)/ingest
	@mkdir -p $(@D)
	$(BIN)/ingest $(INPUTS) -o $@ --rejects $(@D)/rejects.ndjson

.PHONY: pipeline
