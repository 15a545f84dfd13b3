# History and backtests: the pipeline recomputed as of each month-end of the past
# BACKTEST_MONTHS months from the same exports (every tool honours --as-of without future
# leakage), one dated snapshot per month in $(HISTORY), and the report made again with that
# history: health trend, backtest, past renewals and the re-plan (docs/REPORT.md, "History").
#
#   make backtest                     # the samples, 12 month-ends before AS_OF
#   make backtest BACKTEST_MONTHS=6 OUT=build/acme INPUTS='exports/*'

HISTORY ?= $(OUT)/history
BACKTEST_MONTHS ?= 12
MONTH_ENDS := $(shell python3 scripts/month_ends.py $(AS_OF) $(BACKTEST_MONTHS))
SNAPSHOTS := $(foreach day,$(MONTH_ENDS),$(HISTORY)/$(day).ndjson)
BACKTEST_REPORT := $(OUT)/07-backtest/report.html

# One month-end: normalise, segment, score and stage as of that day, from the same raw records.
$(HISTORY)/%.ndjson: $(INGESTED) $(BIN)/normalise $(BIN)/segment $(BIN)/score $(BIN)/stage $(ALIASES) $(SEGMENT_CONFIG) $(MODEL) $(JOURNEY)
	@mkdir -p $(@D)
	set -o pipefail; $(BIN)/normalise -q $(INGESTED) --as-of $* --aliases $(ALIASES) $(addprefix --mappings ,$(MAPPINGS)) \
	  $(addprefix --timezone ,$(TIMEZONES)) \
	| $(BIN)/segment -q --as-of $* --config $(SEGMENT_CONFIG) $(addprefix --rates ,$(RATES)) \
	| $(BIN)/score -q --as-of $* --model $(MODEL) \
	| $(BIN)/stage -q --as-of $* --journey $(JOURNEY) -o $@

# The run itself is kept as the newest snapshot too.
$(HISTORY)/$(AS_OF).ndjson: $(STAGED)
	@mkdir -p $(@D)
	cp $< $@

$(BACKTEST_REPORT): $(STAGED) $(SNAPSHOTS) $(BIN)/report
	$(BIN)/report $< -o $(@D) --as-of $(AS_OF) --run $(OUT) --history $(HISTORY) --rejects $(OUT)/backtest-rejects.ndjson

## backtest: the pipeline as of each of the last BACKTEST_MONTHS month-ends (snapshots in OUT/history), then the report with its history
backtest: build
	@$(MAKE) --no-print-directory $(BACKTEST_REPORT) $(HISTORY)/$(AS_OF).ndjson
	@echo "backtest: $(BACKTEST_REPORT) (history in $(HISTORY)); open it with: xdg-open $(BACKTEST_REPORT)"

.PHONY: backtest
