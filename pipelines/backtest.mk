# History and backtests: the pipeline recomputed as of each month-end of the past
# BACKTEST_MONTHS months from the same exports (every tool honours --as-of without future
# leakage), one dated snapshot per month in $(HISTORY); score learns renewal probability per
# colour from them (--calibrate) and scores again with that calibration and its 7/30/90-day
# trend (--history); stage places those records; and the report is made with the history:
# health trend, backtest, past renewals and the re-plan (docs/REPORT.md, "History").
#
#   make backtest                     # the samples, 12 month-ends before AS_OF
#   make backtest BACKTEST_MONTHS=6 OUT=build/acme INPUTS='exports/*'

BACKTEST_MONTHS ?= 12
MONTH_ENDS := $(shell python3 scripts/month_ends.py $(AS_OF) $(BACKTEST_MONTHS))
SNAPSHOTS := $(foreach day,$(MONTH_ENDS),$(HISTORY)/$(day).ndjson)
CALIBRATED := $(OUT)/07-calibrated
BACKTEST_REPORT := $(OUT)/08-backtest/report.html

# One month-end: normalise, segment, score and stage as of that day, from the same raw records.
$(HISTORY)/%.ndjson: $(INGESTED) $(BIN)/normalise $(BIN)/segment $(BIN)/score $(BIN)/stage $(ALIASES) $(SEGMENT_CONFIG) $(MODEL) $(JOURNEY)
	@mkdir -p $(@D)
	set -o pipefail; $(BIN)/normalise -q $(INGESTED) --as-of $* --aliases $(ALIASES) $(addprefix --mappings ,$(MAPPINGS)) \
	  $(addprefix --timezone ,$(TIMEZONES)) \
	| $(BIN)/segment -q --as-of $* --config $(SEGMENT_CONFIG) $(addprefix --rates ,$(RATES)) \
	| $(BIN)/score -q --as-of $* --model $(MODEL) \
	| $(BIN)/stage -q --as-of $* --journey $(JOURNEY) -o $@

$(CALIBRATED)/calibration.ndjson: $(SEGMENTED) $(SNAPSHOTS) $(BIN)/score $(MODEL)
	@mkdir -p $(@D)
	$(BIN)/score $< --as-of $(AS_OF) --model $(MODEL) --calibrate $(HISTORY) -o $@

$(CALIBRATED)/scored.ndjson: $(SEGMENTED) $(CALIBRATED)/calibration.ndjson $(SNAPSHOTS) $(BIN)/score $(MODEL)
	$(BIN)/score $< --as-of $(AS_OF) --model $(MODEL) --calibration $(@D)/calibration.ndjson --history $(HISTORY) -o $@ \
	  --rejects $(@D)/score-rejects.ndjson

$(CALIBRATED)/staged.ndjson: $(CALIBRATED)/scored.ndjson $(BIN)/stage $(JOURNEY)
	$(BIN)/stage $< --as-of $(AS_OF) --journey $(JOURNEY) --history $(HISTORY) -o $@ --rejects $(@D)/stage-rejects.ndjson

$(BACKTEST_REPORT): $(CALIBRATED)/staged.ndjson $(BIN)/report
	$(BIN)/report $< -o $(@D) --as-of $(AS_OF) --run $(OUT) --history $(HISTORY) --rejects $(OUT)/backtest-rejects.ndjson

## backtest: the pipeline as of each of the last BACKTEST_MONTHS month-ends (OUT/history), score calibrated on them, the report with its history
backtest: build
	@$(MAKE) --no-print-directory $(BACKTEST_REPORT) $(SNAPSHOT)
	@echo "backtest: $(BACKTEST_REPORT) (history in $(HISTORY)); open it with: xdg-open $(BACKTEST_REPORT)"

.PHONY: backtest
