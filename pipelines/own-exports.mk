# The chain on a user's own export folder with the user's own mapping files: an in-house
# billing export and helpdesk that cspipe does not know (pipelines/examples/acme/: semicolons,
# German statuses, day-first dates, euros), tagged with their source at ingest, read through
# the mappings in pipelines/examples/acme/mappings/ (docs/MAPPINGS.md), MRR in EUR by their own
# segment config, then score, stage and the report.
#
#   make -f pipelines/own-exports.mk                       # → build/own-exports/06-report/report.html
#   make -f pipelines/own-exports.mk ACME=path/to/your/folder

SHELL := /bin/bash
SWIFT ?= swift
BIN ?= .build/release
ACME ?= pipelines/examples/acme
OUT ?= build/own-exports
AS_OF ?= 2026-11-15

.DEFAULT_GOAL := own-exports
.DELETE_ON_ERROR:

RAW := $(OUT)/01-ingest
CANONICAL := $(OUT)/02-normalise/canonical.ndjson
ACCOUNTS := $(OUT)/03-segment/accounts.ndjson
SCORED := $(OUT)/04-score/scored.ndjson
STAGED := $(OUT)/05-stage/staged.ndjson
REPORT := $(OUT)/06-report/report.html

# Each export is ingested with the source its mapping names; the account list is a layout
# cspipe knows (cspipe/accounts) and needs no tag.
$(RAW)/accounts.ndjson: $(ACME)/exports/accounts.csv $(BIN)/ingest
	@mkdir -p $(@D)
	$(BIN)/ingest $< -o $@
$(RAW)/billing.ndjson: $(ACME)/exports/billing.csv $(BIN)/ingest
	@mkdir -p $(@D)
	$(BIN)/ingest --source acme/billing $< -o $@
$(RAW)/helpdesk.ndjson: $(ACME)/exports/helpdesk.csv $(BIN)/ingest
	@mkdir -p $(@D)
	$(BIN)/ingest --source acmedesk/cases $< -o $@

$(CANONICAL): $(RAW)/accounts.ndjson $(RAW)/billing.ndjson $(RAW)/helpdesk.ndjson $(wildcard $(ACME)/mappings/*.json) $(BIN)/normalise
	@mkdir -p $(@D)
	$(BIN)/normalise $(filter %.ndjson,$^) --mappings $(ACME)/mappings --as-of $(AS_OF) -o $@ \
	  --rejects $(@D)/rejects.ndjson --unmatched $(@D)/unmatched.ndjson
$(ACCOUNTS): $(CANONICAL) $(ACME)/segments.json $(BIN)/segment
	@mkdir -p $(@D)
	$(BIN)/segment $< --config $(ACME)/segments.json --as-of $(AS_OF) -o $@ --rejects $(@D)/rejects.ndjson
$(SCORED): $(ACCOUNTS) $(BIN)/score
	@mkdir -p $(@D)
	$(BIN)/score $< --as-of $(AS_OF) -o $@ --rejects $(@D)/rejects.ndjson
$(STAGED): $(SCORED) $(BIN)/stage
	@mkdir -p $(@D)
	$(BIN)/stage $< --as-of $(AS_OF) -o $@ --rejects $(@D)/rejects.ndjson
$(REPORT): $(STAGED) $(BIN)/report
	$(BIN)/report $< -o $(@D) --as-of $(AS_OF) --run $(OUT)

own-exports: $(REPORT)
	@echo "own exports: $(REPORT)"

$(BIN)/%:
	$(SWIFT) build -c release

.PHONY: own-exports
