# The cspipe pipeline as make rules: each stage reads the previous stage's file and writes its
# own under $(OUT)/NN-stage/, atomically (-o), with its rejects beside it. Point INPUTS at your
# own exports, and AS_OF at the day the results should describe:
#
#   make INPUTS='exports/*.csv exports/*.xml' OUT=build/acme AS_OF=2026-11-30
#

INPUTS ?= $(sort $(wildcard samples/exports/*.csv samples/exports/*.xml))
OUT ?= build/pipeline
BIN ?= .build/release
# The samples describe 2026-11-15; a fixed day keeps the results reproducible.
AS_OF ?= 2026-11-15
ALIASES ?= pipelines/aliases.csv
# Extra mapping files or folders for systems cspipe does not know (docs/MAPPINGS.md).
MAPPINGS ?=
# The zone of exports that write times without one (Freshdesk: the helpdesk's own setting),
# as SOURCE=ZONE words; the samples' helpdesk runs on UTC.
TIMEZONES ?= freshdesk=UTC
# Tier rule, touch models and MRR policies (docs/SEGMENT.md); exchange rates when billing
# holds several currencies.
SEGMENT_CONFIG ?= pipelines/segments.json
RATES ?=
# The health model (docs/SCORE.md).
MODEL ?= pipelines/model.json
# The customer journey: milestones, stages, playbooks, moments (docs/STAGE.md).
JOURNEY ?= pipelines/journey.json

# One raw file per export (its path with / as _), so that a changed export is ingested again
# alone; normalise reads them in the exports' sorted order, whatever order INPUTS lists them in.
INPUT_FILES := $(sort $(wildcard $(INPUTS)))
raw_of = $(OUT)/01-ingest/$(subst /,_,$(1)).ndjson
INGESTED := $(foreach file,$(INPUT_FILES),$(call raw_of,$(file)))
NORMALISED := $(OUT)/02-normalise/canonical.ndjson
SEGMENTED := $(OUT)/03-segment/accounts.ndjson
SCORED := $(OUT)/04-score/scored.ndjson
STAGED := $(OUT)/05-stage/staged.ndjson
REPORT := $(OUT)/06-report/report.html
# Each run keeps its dated final records: the history `make backtest`, score and report read.
HISTORY ?= $(OUT)/history
SNAPSHOT := $(HISTORY)/$(AS_OF).ndjson

pipeline: $(REPORT) $(SNAPSHOT)
	@echo "report: $(REPORT) (and report.md, tables/ beside it); open it with: xdg-open $(REPORT)"

define ingest_rule
$(call raw_of,$(1)): $(1) $(BIN)/ingest
	@mkdir -p $$(@D)
	$(BIN)/ingest $(1) -o $$@ --rejects $$(basename $$@).rejects.ndjson
endef
$(foreach file,$(INPUT_FILES),$(eval $(call ingest_rule,$(file))))

$(NORMALISED): $(INGESTED) $(BIN)/normalise $(ALIASES) $(MAPPINGS)
	@mkdir -p $(@D)
	$(BIN)/normalise $(INGESTED) -o $@ --as-of $(AS_OF) --aliases $(ALIASES) $(addprefix --mappings ,$(MAPPINGS)) \
	  $(addprefix --timezone ,$(TIMEZONES)) \
	  --rejects $(@D)/rejects.ndjson --unmatched $(@D)/unmatched.ndjson

$(SEGMENTED): $(NORMALISED) $(BIN)/segment $(SEGMENT_CONFIG) $(RATES)
	@mkdir -p $(@D)
	$(BIN)/segment $< -o $@ --as-of $(AS_OF) --config $(SEGMENT_CONFIG) $(addprefix --rates ,$(RATES)) \
	  --rejects $(@D)/rejects.ndjson

$(SCORED): $(SEGMENTED) $(BIN)/score $(MODEL)
	@mkdir -p $(@D)
	$(BIN)/score $< -o $@ --as-of $(AS_OF) --model $(MODEL) --rejects $(@D)/rejects.ndjson

$(STAGED): $(SCORED) $(BIN)/stage $(JOURNEY)
	@mkdir -p $(@D)
	$(BIN)/stage $< -o $@ --as-of $(AS_OF) --journey $(JOURNEY) --cohorts $(@D)/cohorts.ndjson --rejects $(@D)/rejects.ndjson

# The report is a folder, replaced whole when the run succeeds; report.html inside is the target.
$(REPORT): $(STAGED) $(BIN)/report
	$(BIN)/report $< -o $(@D) --as-of $(AS_OF) --run $(OUT) --rejects $(OUT)/report-rejects.ndjson

$(SNAPSHOT): $(STAGED)
	@mkdir -p $(@D)
	cp $< $@

.PHONY: pipeline
